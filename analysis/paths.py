"""The one place that knows where things live.

Every path is built from this file's location, so nothing depends on the current
directory. Other modules import these names; nothing else hard-codes a path.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent

DATA_DIR = PROJECT_ROOT / "data"
CASE_DIR = DATA_DIR / "case"                 # curated, hand-restated case data (committed)
RAW_SIPRI_DIR = DATA_DIR / "raw" / "sipri"   # user-dropped SIPRI downloads (git-ignored)
RAW_UCDP_DIR = DATA_DIR / "raw" / "ucdp"     # user-dropped newer UCDP/PRIO ACD versions (git-ignored)
CACHE_DIR = DATA_DIR / "cache"               # parsed-register cache (git-ignored)

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
BRIEF_NOTEBOOK = NOTEBOOKS_DIR / "brief.ipynb"
SCREEN_NOTEBOOK = NOTEBOOKS_DIR / "alliance_screen.ipynb"

TEMPLATES_DIR = PACKAGE_DIR / "render" / "templates"
REPORTS_DIR = Path(os.environ.get("ARMSBRIEF_REPORTS_DIR", PROJECT_ROOT / "reports"))

# Real SIPRI exports beside the repository, used only by tests and benchmarks.
SHARED_SIPRI_DIR = PROJECT_ROOT.parent / "shared" / "sipri"


def case_file(name: str) -> Path:
    """Path of an embedded case dataset, e.g. ``case_file("registered_deliveries.csv")``."""
    return CASE_DIR / name
