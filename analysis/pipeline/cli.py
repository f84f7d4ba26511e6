"""Command line: ``armsbrief brief | screen | tiv | batch``."""
from __future__ import annotations

import os
import sys

import click

from analysis.case.params import AUTO, EMBEDDED, PDF_ENGINE_ENV, PDF_ENGINES


def _fail(err: Exception) -> None:
    raise click.ClickException(str(err))


EXPECTED_ERRORS = (ValueError, RuntimeError, OSError)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="armsbrief")
@click.option("--pdf-engine", type=click.Choice(PDF_ENGINES, case_sensitive=False), default=PDF_ENGINES[0],
              envvar=PDF_ENGINE_ENV, show_default=True, show_envvar=True,
              help="PDF engine: the system's headless Chromium (fast) or WeasyPrint (pure Python).")
def main(pdf_engine) -> None:
    """armsbrief: sourced arms-transfer briefings from SIPRI data."""
    os.environ[PDF_ENGINE_ENV] = pdf_engine.lower()  # read by the exporters, in batch workers too


@main.command()
@click.option("--supplier", required=True, help="Supplying country, e.g. Belarus.")
@click.option("--recipient", required=True, help="Receiving country, e.g. Azerbaijan.")
@click.option("--ally", default="", help="The supplier's ally to compare with (optional), e.g. Armenia.")
@click.option("--alliance", default="", help="Alliance for the screen (optional), e.g. CSTO.")
@click.option("--start", "start_year", type=int, required=True, help="First year of the period.")
@click.option("--end", "end_year", type=int, required=True, help="Last year of the period.")
@click.option("--transfers", default=AUTO, show_default=True,
              help="'auto' (the newest register dropped in data/raw/sipri/, else the embedded data), "
                   "'embedded' or a SIPRI export path.")
@click.option("--formats", default="html,pdf", show_default=True, help="Comma-separated: html, pdf.")
def brief(supplier, recipient, ally, alliance, start_year, end_year, transfers, formats):
    """Build a bilateral brief into reports/<slug>/ and print its paths."""
    from analysis.pipeline.build import build_brief

    try:
        result = build_brief(supplier, recipient, ally, alliance, start_year, end_year, transfers,
                             formats=tuple(f.strip() for f in formats.split(",") if f.strip()))
    except EXPECTED_ERRORS as err:
        _fail(err)
    _print_result(result)


@main.command()
@click.option("--alliance", required=True, help="Alliance to screen, e.g. CSTO.")
@click.option("--start", "start_year", type=int, required=True, help="First year of the period.")
@click.option("--end", "end_year", type=int, required=True, help="Last year of the period.")
@click.option("--transfers", default=AUTO, show_default=True, help="'auto', 'embedded' or a SIPRI export path.")
def screen(alliance, start_year, end_year, transfers):
    """Build the cross-alliance supply screen brief for an alliance."""
    from analysis.pipeline.build import build_screen

    try:
        result = build_screen(alliance, start_year, end_year, transfers)
    except EXPECTED_ERRORS as err:
        _fail(err)
    _print_result(result)


def _print_result(result) -> None:
    for path in (result.pdf, result.html):
        if path is not None:
            click.echo(str(path))


@main.command()
@click.option("--transfers", default=AUTO, show_default=True,
              help="A SIPRI register export (either format), 'auto' or 'embedded'.")
@click.option("--supplier", default=None, help="Only this supplier's exports.")
@click.option("--recipient", default=None, help="Only this recipient's imports.")
@click.option("--start", "start_year", type=int, required=True)
@click.option("--end", "end_year", type=int, required=True)
@click.option("--by", type=click.Choice(["supplier", "recipient"]), default=None,
              help="Rows by supplier or recipient (default: the counterpart of the country given).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
def tiv(transfers, supplier, recipient, start_year, end_year, by, as_csv):
    """Delivered TIV (millions) by counterpart and year, with a total column."""
    from analysis.sources.countries import normalise
    from analysis.case.params import _period
    from analysis.case.tiv import delivered_tiv
    from analysis.sources.transfers import load_transfers

    try:
        start, end = _period(start_year, end_year)
        supplier = normalise(supplier) if supplier else None
        recipient = normalise(recipient) if recipient else None
        register = load_transfers(transfers if transfers in (EMBEDDED, "auto") else str(transfers))
        table = delivered_tiv(register.deliveries, supplier=supplier, recipient=recipient,
                              start=start, end=end, by=by)
    except EXPECTED_ERRORS as err:
        _fail(err)
    if as_csv:
        table.to_csv(sys.stdout, float_format="%.2f")
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", None, "display.width", 200):
            click.echo(table.round(1).to_string())
    click.echo(f"# SIPRI Arms Transfers Database, data generated {register.vintage}; TIV in millions", err=True)


@main.group()
def vintages():
    """Compare SIPRI releases (vintages) of the trade register."""


@vintages.command("diff")
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--supplier", default=None, help="Only this supplier's deals.")
@click.option("--recipient", default=None, help="Only this recipient's deals.")
@click.option("--start", "start_year", type=int, default=None, help="First year of the period (with --end).")
@click.option("--end", "end_year", type=int, default=None, help="Last year of the period (with --start).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Also write every deal's class and changes to this CSV file.")
@click.option("--top", type=int, default=10, show_default=True, help="Pairs (and deals per pair) to explain.")
def vintages_diff(old, new, supplier, recipient, start_year, end_year, csv_path, top):
    """Deal-level comparison of two SIPRI registers (either format): classes, totals moved, reasons."""
    from analysis.case.params import _period
    from analysis.sources.cache import atomic_write
    from analysis.sources.sipri import load_register
    from analysis.sources.vintages import MATCHING_RULE, TIV_TOLERANCE_MN, diff

    try:
        if (start_year is None) != (end_year is None):
            raise ValueError("give both --start and --end, or neither")
        if start_year is not None:
            start_year, end_year = _period(start_year, end_year)
        result = diff(load_register(old), load_register(new), supplier=supplier, recipient=recipient,
                      start=start_year, end=end_year)
    except EXPECTED_ERRORS as err:
        _fail(err)
    click.echo(f"Matching rule: {MATCHING_RULE}")
    click.echo(f"Vintages: {result.old_vintage} -> {result.new_vintage}"
               + (f"; deliveries {start_year}-{end_year}" if start_year is not None else ""))
    click.echo(result.counts().to_string())
    totals = result.totals()
    moved = totals[totals["delta_mn"].abs() > TIV_TOLERANCE_MN]
    largest = moved.reindex(moved["delta_mn"].abs().sort_values(ascending=False, kind="stable").index).head(top)
    click.echo(f"\nDelivered TIV moved (mn), the {len(largest)} largest of {len(moved)} pairs:")
    for row in largest.itertuples(index=False):
        click.echo(f"  {row.supplier} -> {row.recipient}: {row.tiv_delivered_old_mn:,.2f} -> "
                   f"{row.tiv_delivered_new_mn:,.2f} ({row.delta_mn:+,.2f})")
        deals = result.explain(row.supplier, row.recipient)
        for _, deal in deals[deals["delta_mn"].abs() > TIV_TOLERANCE_MN].head(top).iterrows():
            name = deal["designation_new"] if isinstance(deal["designation_new"], str) else deal["designation_old"]
            click.echo(f"      {deal['class']}: {name} ({deal['delta_mn']:+,.2f}) {deal['changes'] or ''}".rstrip())
    if csv_path:
        atomic_write(csv_path, result.deals.to_csv(index=False))
        click.echo(f"\nEvery deal: {csv_path}", err=True)


@main.command()
def alliances():
    """List the alliances the data holds, with their members and the years they cover."""
    import pandas as pd

    from analysis.case.alliances import coverage
    from analysis.sources.curated import load_table

    try:
        table = coverage(load_table("alliances"), load_table("alliance_membership"))
    except EXPECTED_ERRORS as err:
        _fail(err)
    for row in table.itertuples(index=False):
        last = "ongoing" if pd.isna(row.last_year) else row.last_year
        click.echo(f"{row.alliance:<15} {row.first_year}-{last:<8} {row.members:>3} members  {row.name}")
    click.echo("# membership spells: data/case/alliance_membership.csv (sources per row)", err=True)


@main.command()
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--jobs", type=int, default=None, help="Parallel builds (default: number of cores).")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="Run the builds on a dask.distributed cluster: a scheduler address (tcp://host:8786) or "
                   "'local' for a LocalCluster of --jobs workers. Default: the local process pool.")
def batch(spec, jobs, dask_address):
    """Build many briefs from a YAML spec in parallel, with an index page."""
    from analysis.pipeline.batch import run_batch

    try:
        ok = run_batch(spec, jobs=jobs, dask=dask_address)
    except EXPECTED_ERRORS as err:
        _fail(err)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
