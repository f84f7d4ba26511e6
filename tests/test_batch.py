"""Batch builds: the spec (format, errors naming entry and key, the alliance expansion), the index
page, and one small end-to-end batch through the CLI with a failing entry."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis import paths
from analysis.pipeline import batch
from analysis.pipeline.batch import SpecError, load_spec


def write_spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_defaults_apply_and_entries_override(tmp_path):
    spec = write_spec(tmp_path, """
        defaults: {start: 2018, end: 2022, formats: html}
        briefs:
          - {supplier: Belarus, recipient: Azerbaijan, ally: Armenia, alliance: CSTO}
          - {supplier: russia, recipient: Armenia, start: 2010, end: 2020, formats: [pdf, html]}
    """)
    first, second = load_spec(spec)
    assert (first.params.start_year, first.params.end_year, first.formats) == (2018, 2022, ("html",))
    assert first.params.ally == "Armenia" and first.params.alliance == "CSTO"
    assert second.params.supplier == "Russia"  # any spelling, checked and normalised up front
    assert (second.params.start_year, second.formats) == (2010, ("pdf", "html"))
    assert first.entry.startswith("briefs[0]") and second.entry.startswith("briefs[1]")


def test_alliance_expansion_is_every_member_against_the_other_members_adversaries(tmp_path):
    spec = write_spec(tmp_path, """
        briefs:
          - {alliance: csto, mode: members-vs-adversaries, start: 2018, end: 2022}
    """)
    jobs = load_spec(spec)
    triples = {(j.params.supplier, j.params.recipient, j.params.ally) for j in jobs}
    # Armenia's adversary Azerbaijan, armed by the other members (the founding case among them)
    assert {("Belarus", "Azerbaijan", "Armenia"), ("Russia", "Azerbaijan", "Armenia"),
            ("Kazakhstan", "Azerbaijan", "Armenia")} <= triples
    # Kyrgyzstan and Tajikistan are members in conflict with each other: each is the other's adversary
    assert ("Russia", "Tajikistan", "Kyrgyzstan") in triples and ("Russia", "Kyrgyzstan", "Tajikistan") in triples
    for supplier, recipient, ally in triples:
        assert supplier not in (recipient, ally)
        assert ally != recipient
    assert all(j.params.alliance == "CSTO" and j.note == f"threatened member: {j.params.ally}" for j in jobs)
    assert "Uzbekistan" not in {s for s, _, _ in triples}  # suspended since 2012: not a member in the period
    assert ("Russia", "Georgia", None) not in {(s, r, None) for s, r, _ in triples}  # the 2008 war is outside
    assert len({j.slug for j in jobs}) == len(jobs)


def test_an_explicit_brief_and_an_expansion_giving_the_same_brief_build_it_once(tmp_path):
    spec = write_spec(tmp_path, """
        defaults: {start: 2018, end: 2022}
        briefs:
          - {supplier: Belarus, recipient: Azerbaijan, ally: Armenia, alliance: CSTO}
          - {alliance: CSTO, mode: members-vs-adversaries}
    """)
    slugs = [j.slug for j in load_spec(spec)]
    assert slugs.count("belarus-azerbaijan-2018-2022-ally-armenia-csto") == 1 and slugs[0] == "belarus-azerbaijan-2018-2022-ally-armenia-csto"


@pytest.mark.parametrize("text, expected", [
    ("briefs: []", r"briefs: expected a non-empty list"),
    ("- {supplier: Belarus}", r"a spec is a YAML mapping"),
    ("brief: []", r"top level: unknown key 'brief' \(did you mean 'briefs'\?\)"),
    ("defaults: {strat: 2018}\nbriefs: [{supplier: Belarus, recipient: Azerbaijan}]",
     r"defaults: unknown key 'strat' \(did you mean 'start'\?\)"),
    ("briefs:\n  - {suplier: Belarus, recipient: Azerbaijan, start: 2018, end: 2022}",
     r"briefs\[0\]: unknown key 'suplier' \(did you mean 'supplier'\?\)"),
    ("briefs:\n  - {supplier: Belarus, recipient: Azerbaijan, end: 2022}",
     r"briefs\[0\] \(Belarus -> Azerbaijan\): key 'start' is required"),
    ("briefs:\n  - {supplier: Belarus, recipient: Azerbaijan, start: '2018', end: 2022}",
     r"briefs\[0\] \(Belarus -> Azerbaijan\): key 'start': expected a year"),
    ("defaults: {start: 2018, end: 2022}\nbriefs:\n  - {supplier: Belarus, recipient: Azerbaijan}\n"
     "  - {supplier: Belarus, recipient: Atlantis}",
     r"briefs\[1\] \(Belarus -> Atlantis\): key 'recipient': .*Atlantis"),
    ("briefs:\n  - {supplier: Belarus, recipient: Azerbaijan, start: 2022, end: 2018}",
     r"briefs\[0\] \(Belarus -> Azerbaijan\): keys 'start' and 'end': the period starts \(2022\) after it ends"),
    ("briefs:\n  - {supplier: Belarus, recipient: Azerbaijan, start: 2018, end: 2022, formats: [html, docx]}",
     r"briefs\[0\] \(Belarus -> Azerbaijan\): key 'formats': expected html and/or pdf, got 'docx'"),
    ("briefs:\n  - {alliance: CSTO, mode: everyone, start: 2018, end: 2022}",
     r"briefs\[0\] \(CSTO everyone\): key 'mode': expected one of members-vs-adversaries"),
    ("briefs:\n  - {alliance: CSTO, mode: members-vs-adversaries, supplier: Belarus, start: 2018, end: 2022}",
     r"briefs\[0\] \(CSTO members-vs-adversaries\): unknown key 'supplier'"),
    ("briefs:\n  - {alliance: ATLANTIS, mode: members-vs-adversaries, start: 2018, end: 2022}",
     r"briefs\[0\] \(ATLANTIS members-vs-adversaries\): key 'alliance': .*unknown alliance 'ATLANTIS'"),
    # an ally equal to the recipient is dropped: the same output name as no ally, with other parameters
    ("defaults: {start: 2018, end: 2022}\nbriefs:\n  - {supplier: Belarus, recipient: Azerbaijan}\n"
     "  - {supplier: Belarus, recipient: Azerbaijan, ally: Azerbaijan}",
     r"briefs\[1\] \(Belarus -> Azerbaijan\): builds the same output reports/belarus-azerbaijan-2018-2022/ "
     r"as briefs\[0\]"),
    ("briefs:\n  - Belarus", r"briefs\[0\]: expected a mapping"),
    ("briefs: [{supplier: Belarus, recipient: [Azerbaijan], start: 2018, end: 2022}]",
     r"briefs\[0\]: key 'recipient': expected text"),
])
def test_a_bad_spec_names_the_file_entry_and_key(tmp_path, text, expected):
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as err:
        load_spec(spec)
    message = str(err.value)
    assert message.startswith(str(spec) + ": ")
    assert re.search(expected, message), message


def test_invalid_yaml_and_missing_file(tmp_path):
    with pytest.raises(SpecError, match="not valid UTF-8 YAML"):
        load_spec(write_spec(tmp_path, "briefs: [{supplier: Belarus"))
    with pytest.raises(SpecError, match="cannot read the spec"):
        load_spec(tmp_path / "missing.yml")


def test_the_example_spec_is_valid():
    jobs = load_spec(paths.PROJECT_ROOT / "briefs.yml")
    assert jobs[0].slug == "belarus-azerbaijan-2018-2022-ally-armenia-csto"
    assert len(jobs) > 10


def test_index_page_escapes_everything_and_has_no_script(tmp_path):
    spec = write_spec(tmp_path, """
        briefs:
          - {supplier: Belarus, recipient: Azerbaijan, start: 2018, end: 2022}
    """)
    (job,) = load_spec(spec)
    job = batch.dataclasses.replace(job, note='<script>alert("note")</script>')
    result = {"ok": False, "error": 'BuildError: cell 3 failed: <img src=x onerror="alert(1)">'}
    figures = {"error": "ValueError: <b>bold</b> & co"}
    index = batch.write_index(tmp_path, [job], {0: result}, {0: figures}, built_at="2026-01-01T00:00:00+00:00",
                              spec="<spec>.yml")
    page = index.read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#34;note&#34;)&lt;/script&gt;" in page
    assert "onerror=&#34;alert(1)&#34;" in page and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    assert "&lt;spec&gt;.yml" in page and "failed" in page


@pytest.mark.slow
def test_batch_builds_the_briefs_continues_after_a_failure_and_exits_non_zero(tmp_path, monkeypatch):
    """Two HTML-only briefs and one whose period has no data: two are built, the third is named in the
    summary with its reason, the index links the two and marks the third failed, and the exit status is 1."""
    from analysis.pipeline.cli import main

    reports = tmp_path / "reports"
    monkeypatch.setattr(paths, "REPORTS_DIR", reports)
    spec = write_spec(tmp_path, """
        defaults: {start: 2018, end: 2022, formats: [html]}
        briefs:
          - {supplier: Belarus, recipient: Azerbaijan, ally: Armenia, alliance: CSTO}
          - {supplier: Russia, recipient: Armenia, start: 2010, end: 2020}
          - {supplier: Belarus, recipient: Armenia, start: 1950, end: 1955}
    """)
    result = CliRunner().invoke(main, ["batch", str(spec), "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert "built 2 of 3 briefs" in result.output
    failed = [line for line in result.output.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and "briefs[2]" in failed[0] and "Belarus → Armenia, 1950–1955" in failed[0]
    assert "1950" in failed[0] and "ParameterError" in failed[0]

    for slug in ("belarus-azerbaijan-2018-2022-ally-armenia-csto", "russia-armenia-2010-2020"):
        assert (reports / slug / f"{slug}.html").is_file()
        assert not (reports / slug / f"{slug}.pdf").exists()  # HTML only, as the spec asks
    assert not (reports / "belarus-armenia-1950-1955").exists()

    page = (reports / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert 'href="belarus-azerbaijan-2018-2022-ally-armenia-csto/belarus-azerbaijan-2018-2022-ally-armenia-csto.html"' in page
    assert 'href="russia-armenia-2010-2020/russia-armenia-2010-2020.html"' in page
    rows = re.findall(r"<tr>.*?</tr>", page, flags=re.S)[1:]
    assert len(rows) == 3
    assert "37.2" in rows[0] and "7.7%" in rows[0]  # the founding case's registered TIV and share
    assert re.search(r"\d+ supported", rows[0])
    assert "failed" in rows[2] and "ParameterError" in rows[2]
    assert not list(reports.glob(".build-*"))  # no temporary build folder left behind
