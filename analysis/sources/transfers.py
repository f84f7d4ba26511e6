"""Where a brief's transfer data comes from: the embedded case data or a SIPRI export."""
from __future__ import annotations

from pathlib import Path

from analysis.case.params import AUTO, EMBEDDED


def load_transfers(transfers: str = EMBEDDED):
    """Load the register a brief uses.

    ``"embedded"``: the curated case data in data/case/; ``"auto"``: the newest SIPRI register
    dropped into data/raw/sipri/, else the embedded data; anything else: the path of a SIPRI
    trade-register export (classic or per-year format).
    """
    from analysis.sources import curated, sipri

    if transfers == AUTO:
        found = sipri.find_user_register()
        return sipri.load_register(found) if found else curated.load_embedded_register()
    if transfers == EMBEDDED:
        return curated.load_embedded_register()
    return sipri.load_register(Path(transfers))


def is_full_register(register) -> bool:
    """True for a whole SIPRI export (every supplier and recipient), False for curated pairs."""
    return register.format != "embedded"
