"""``armsbrief batch SPEC --dask local`` builds the same briefs as the default local process pool."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

SPEC = """
briefs:
  - {supplier: Belarus, recipient: Azerbaijan, ally: Armenia, alliance: CSTO, start: 2018, end: 2022, formats: [html]}
  - {supplier: Russia, recipient: Armenia, alliance: CSTO, start: 2010, end: 2020, formats: [html]}
  - {supplier: Belarus, recipient: Azerbaijan, start: 1950, end: 1951, formats: [html]}
"""


def _batch(tmp_path, name, *extra):
    spec = tmp_path / "spec.yml"
    spec.write_text(SPEC)
    reports = tmp_path / name
    out = subprocess.run([sys.executable, "-m", "analysis.pipeline.cli", "batch", str(spec), "--jobs", "2", *extra],
                         capture_output=True, text=True, timeout=900,
                         env={**__import__("os").environ, "ARMSBRIEF_REPORTS_DIR": str(reports)})
    return out, reports


def _files(reports):
    return sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*")
                  if p.is_file() and ".batch-logs" not in p.parts)


def _index_rows(reports):
    page = (reports / "index.html").read_text()
    page = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "<time>", page)
    return page


@pytest.mark.slow
def test_batch_on_a_local_dask_cluster_builds_the_same_briefs_as_the_process_pool(tmp_path):
    pool, pool_reports = _batch(tmp_path, "pool")
    dask, dask_reports = _batch(tmp_path, "dask", "--dask", "local")
    # the same outcome: two built, the third (no data in 1950-1951) named with its reason, exit 1
    assert pool.returncode == dask.returncode == 1, dask.stderr[-3000:]
    for out in (pool, dask):
        assert "built 2 of 3 briefs" in out.stderr and "FAILED briefs[2]" in out.stderr
    assert "on dask local" in dask.stderr
    assert _files(pool_reports) == _files(dask_reports)
    assert _index_rows(pool_reports) == _index_rows(dask_reports)


def test_an_unreachable_dask_scheduler_is_a_clear_error(tmp_path):
    out, reports = _batch(tmp_path, "none", "--dask", "tcp://127.0.0.1:9")
    assert out.returncode == 1
    assert "cannot reach the dask scheduler" in out.stderr and "tcp://127.0.0.1:9" in out.stderr
