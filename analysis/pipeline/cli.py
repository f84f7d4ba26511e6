"""Command line: ``armsbrief brief | screen | trends | tiv | batch | alliances | vintages | case | download``."""
from __future__ import annotations

import os
import sys

import click

from analysis.case.params import AUTO, EMBEDDED, PDF_ENGINE_ENV, PDF_ENGINES


def _fail(err: Exception) -> None:
    raise click.ClickException(str(err))


EXPECTED_ERRORS = (ValueError, RuntimeError, OSError)
#: Exit status after Ctrl-C (SIGINT), as shells report a command killed by it: 128 + 2.
INTERRUPTED_STATUS = 130


class _Main(click.Group):
    """The ``armsbrief`` group: Ctrl-C ends any command with one line, ``armsbrief: interrupted``, and
    status 130 (click's own handling prints "Aborted!" and exits 1). The build has removed its temporary
    folder by then (the published brief is untouched); the messages of helpers torn down mid-work
    (the browser's driver connection) are not printed."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            import logging

            # Playwright's pending futures fail when its driver stops: asyncio would log "Future
            # exception was never retrieved" for each as they are collected. Nothing is lost: the
            # build has already stopped.
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            from analysis.pipeline.build import stop_child_processes

            stop_child_processes()  # a kernel still starting, the browser's driver: gone with us, silently
            click.echo("armsbrief: interrupted", err=True)
            ctx.exit(INTERRUPTED_STATUS)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--case", "case_name", default="", help="Use only this case pack (see `armsbrief case list`); "
              "default: every pack whose supplier, recipient and period match.")
@click.option("--case-dir", "case_dirs", multiple=True, type=click.Path(file_okay=False),
              help="A folder of case packs, searched before $ARMSBRIEF_CASES and data/cases (repeatable).")
@click.option("--conflicts", default="", help="A UCDP/PRIO Armed Conflict Dataset CSV (a newer version); default: "
              "the newest file in data/raw/ucdp/, else the embedded 25.1 extract.")
@click.option("--compare-with", "compare_with", default="",
              help="A second SIPRI register (another release): adds the section 'Revisions between SIPRI vintages'.")
@click.option("--atop", "atop_path", default="", type=click.Path(dir_okay=False),
              help="The ATOP member-level file you downloaded, for --alliance 'ATOP <atopid>'.")
def brief(supplier, recipient, ally, alliance, start_year, end_year, transfers, formats, case_name, case_dirs,
          conflicts, compare_with, atop_path):
    """Build a bilateral brief into reports/<slug>/ and print its paths."""
    from analysis.pipeline.build import build_brief

    _use_atop(atop_path)

    try:
        result = build_brief(supplier, recipient, ally, alliance, start_year, end_year, transfers,
                             case=case_name, case_dirs=case_dirs, conflicts=conflicts, compare_with=compare_with,
                             formats=tuple(f.strip() for f in formats.split(",") if f.strip()))
    except EXPECTED_ERRORS as err:
        _fail(err)
    _print_result(result)


@main.command()
@click.option("--alliance", required=True, help="Alliance to screen, e.g. CSTO.")
@click.option("--start", "start_year", type=int, required=True, help="First year of the period.")
@click.option("--end", "end_year", type=int, required=True, help="Last year of the period.")
@click.option("--transfers", default=AUTO, show_default=True, help="'auto', 'embedded' or a SIPRI export path.")
@click.option("--atop", "atop_path", default="", type=click.Path(dir_okay=False),
              help="The ATOP member-level file (atop5_1m.csv) you downloaded: screen 'ATOP <atopid>' alliances "
                   "(also $ARMSBRIEF_ATOP or data/raw/atop/atop5_1m.csv).")
def screen(alliance, start_year, end_year, transfers, atop_path):
    """Build the cross-alliance supply screen brief for an alliance."""
    from analysis.pipeline.build import build_screen

    _use_atop(atop_path)
    try:
        result = build_screen(alliance, start_year, end_year, transfers)
    except EXPECTED_ERRORS as err:
        _fail(err)
    _print_result(result)


@main.command()
@click.option("--start", "start_year", type=int, required=True, help="First year of the period, e.g. 2019.")
@click.option("--end", "end_year", type=int, required=True, help="Last year of the period, e.g. 2023.")
@click.option("--region", default="", help="A SIPRI region or subregion (data/case/regions.csv); empty: the world.")
@click.option("--focus", default="", help="A country to place in the world (optional), e.g. Ukraine.")
@click.option("--transfers", default=AUTO, show_default=True,
              help="A whole SIPRI register: its path, or 'auto' (the newest one in data/raw/sipri/). "
                   "The embedded data (curated pairs only) cannot make world figures and is refused.")
@click.option("--formats", default="html,pdf", show_default=True, help="Comma-separated: html, pdf.")
def trends(start_year, end_year, region, focus, transfers, formats):
    """Build the trends report (SIPRI fact-sheet form: exporters, importers, shares, partners)."""
    from analysis.pipeline.build import build_trends

    try:
        result = build_trends(start_year, end_year, region, focus, transfers,
                              formats=tuple(f.strip() for f in formats.split(",") if f.strip()))
    except EXPECTED_ERRORS as err:
        _fail(err)
    _print_result(result)


def _use_atop(path: str) -> None:
    """--atop PATH: the ATOP file for this process and the kernels it starts (through the environment)."""
    if path:
        from pathlib import Path

        from analysis.sources.atop import ENV_VAR

        if not Path(path).is_file():
            _fail(FileNotFoundError(f"--atop: no file at {path!r}; expected ATOP's member-level CSV (atop5_1m.csv)"))
        os.environ[ENV_VAR] = str(Path(path).resolve())


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
    from analysis.sources.transfers import is_full_register, load_transfers, selection_notes, source_label

    try:
        start, end = _period(start_year, end_year)
        supplier = normalise(supplier) if supplier else None
        recipient = normalise(recipient) if recipient else None
        register = load_transfers(transfers if transfers in (EMBEDDED, "auto") else str(transfers))
        table = delivered_tiv(register.deliveries, supplier=supplier, recipient=recipient,
                              start=start, end=end, by=by)
    except EXPECTED_ERRORS as err:
        _fail(err)
    for note in selection_notes(register):  # which register 'auto' chose, and what it skipped
        click.echo(f"armsbrief: {note}", err=True)
    label = f"# {source_label(register)}; TIV in millions"
    if as_csv:  # the label on stderr only: stdout stays plain CSV
        table.to_csv(sys.stdout, float_format="%.2f")
    else:
        import pandas as pd

        click.echo(label)
        with pd.option_context("display.max_rows", None, "display.width", 200):
            click.echo(table.round(1).to_string())
    click.echo(label, err=True)
    if not is_full_register(register):
        click.echo("# not SIPRI's totals: for every recipient and supplier pass --transfers PATH (a SIPRI "
                   "trade-register export) or drop one into data/raw/sipri/", err=True)


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
@click.option("--to", "to_dir", type=click.Path(file_okay=False), default=None,
              help="Folder of downloaded registers (default: data/raw/sipri/); writes <to>/<vintage>/.")
@click.option("--from-year", type=int, default=None, help="First delivery year (default: 1950, the whole register).")
@click.option("--to-year", type=int, default=None, help="Last delivery year (default: this year).")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds to wait for SIPRI's answer.")
@click.option("--backend", default=None, envvar="ARMSBRIEF_SIPRI_BACKEND", show_envvar=True,
              help="Base URL of SIPRI's backend (default: https://atbackend.sipri.org/api/p).")
def download(to_dir, from_year, to_year, timeout, backend):
    """Fetch SIPRI's trade register (the only command that uses the network) into <to>/<vintage>/."""
    from analysis.sources import download as fetcher

    def asking(url):
        click.echo(f"armsbrief: asking {url} for the trade register (about 30 s)...", err=True)

    try:
        result = fetcher.download(to_dir, from_year=fetcher.FIRST_YEAR if from_year is None else from_year,
                                  to_year=to_year, timeout=timeout, backend=backend, on_request=asking)
    except EXPECTED_ERRORS as err:
        _fail(err)
    click.echo(fetcher.describe(result), err=True)
    click.echo(str(result.path))


@main.command()
@click.option("--atop", "atop_path", metavar="PATH", default=None,
              help="Also list the alliances of ATOP's member-level file (atop5_1m.csv, downloaded from "
                   "atopdata.org; never shipped). Without it the file is used when $ARMSBRIEF_ATOP is set.")
def alliances(atop_path):
    """List the alliances the data holds, with their members and the years they cover."""
    import pandas as pd

    from analysis.case.alliances import coverage
    from analysis.sources.curated import load_table

    use_atop = bool(atop_path or os.environ.get("ARMSBRIEF_ATOP", "").strip())
    try:
        tables = load_table("alliances"), load_table("alliance_membership")
        if use_atop:
            from analysis.sources.atop import with_atop

            tables = with_atop(*tables, atop_path or None)
        table = coverage(*tables)
    except EXPECTED_ERRORS as err:
        _fail(err)
    for row in table.itertuples(index=False):
        last = "ongoing" if pd.isna(row.last_year) else row.last_year
        click.echo(f"{row.alliance:<15} {row.first_year}-{last:<8} {row.members:>3} members  {row.name}")
    click.echo("# membership spells: data/case/alliance_membership.csv (sources per row)"
               + ("; ATOP ids: the ATOP member-level file (file lines per row)" if use_atop else ""), err=True)


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


_CASE_DIR_OPTION = click.option("--case-dir", "case_dirs", multiple=True, type=click.Path(file_okay=False),
                                help="A folder of case packs, searched before $ARMSBRIEF_CASES and data/cases "
                                     "(repeatable).")


@main.group("case")
def case_group():
    """Case packs: a story's events, claims and reported transfers (analysis.sources.packs)."""


@case_group.command("new")
@click.argument("name")
@click.option("--supplier", required=True, help="Supplying country, e.g. Belarus.")
@click.option("--recipient", required=True, help="Receiving country, e.g. Azerbaijan.")
@click.option("--ally", default="", help="The supplier's ally the story compares with (optional).")
@click.option("--alliance", default="", help="The alliance the story is about (optional), e.g. CSTO.")
@click.option("--start", "start_year", type=int, default=None, help="First year of the story's period (with --end).")
@click.option("--end", "end_year", type=int, default=None, help="Last year of the story's period (with --start).")
@click.option("--title", default=None, help="Title of the story (default: 'SUPPLIER -> RECIPIENT').")
@click.option("--compiled-by", default=None, help="Who compiles the pack (person or newsroom).")
@click.option("--dir", "folder", type=click.Path(file_okay=False), default=None,
              help="Where to create the pack (default: data/cases).")
def case_new(name, supplier, recipient, ally, alliance, start_year, end_year, title, compiled_by, folder):
    """Write a new case pack NAME: case.yml, empty tables with sidecars, README.md."""
    from analysis.sources.packs import new_pack

    try:
        pack = new_pack(name, supplier=supplier, recipient=recipient, ally=ally or None, alliance=alliance or None,
                        start_year=start_year, end_year=end_year, folder=folder, title=title,
                        compiled_by=compiled_by)
    except EXPECTED_ERRORS as err:
        _fail(err)
    click.echo(f"{pack.path}")
    click.echo(f"# case pack {pack.name!r} ({pack.parameters}): edit case.yml, add rows to events.csv, claims.csv "
               f"and reported_transfers.csv (README.md there says what each column takes), then run "
               f"`armsbrief case check {pack.name} --update-checksums`", err=True)


@case_group.command("check")
@click.argument("name_or_path")
@click.option("--update-checksums", is_flag=True,
              help="Rewrite the checksums and row counts of the sidecars whose CSV was edited (listed).")
@_CASE_DIR_OPTION
def case_check(name_or_path, update_checksums, case_dirs):
    """Validate a case pack (by name or folder): case.yml, every row of its tables, their sidecars."""
    from analysis.sources.packs import check_pack

    try:
        result = check_pack(name_or_path, update_checksums=update_checksums, extra=case_dirs)
    except EXPECTED_ERRORS as err:
        _fail(err)
    for path in result.updated:
        click.echo(f"updated checksum_sha256 and rows: {path}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    rows = ", ".join(f"{n} {t}" for t, n in result.rows.items())
    click.echo(f"{result.pack.name}: ok ({rows}) in {result.pack.path}")


@case_group.command("list")
@_CASE_DIR_OPTION
def case_list(case_dirs):
    """List the case packs: name, title, parameters, folder, row counts."""
    from analysis.sources.packs import PACK_TABLES, discover, search_path
    from analysis.sources.sidecars import load_sidecar

    try:
        packs = discover(case_dirs)
        for pack in packs:
            counts = []
            for table in PACK_TABLES:
                rows = load_sidecar(pack.table_path(table)).get("rows") if pack.table_path(table).is_file() else None
                counts.append(f"{rows if rows is not None else '?'} {table}")
            click.echo(f"{pack.name}: {pack.title}\n    {pack.parameters}; {', '.join(counts)}\n    {pack.path}")
        click.echo(f"# {len(packs)} pack(s); searched: {', '.join(str(f) for f in search_path(case_dirs))}; row "
                   "counts from the sidecars (`armsbrief case check NAME` validates them)", err=True)
    except EXPECTED_ERRORS as err:
        _fail(err)


if __name__ == "__main__":
    main()
