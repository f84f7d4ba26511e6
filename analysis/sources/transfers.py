"""Where a brief's transfer data comes from: the embedded case data or a SIPRI export.

``transfers="auto"`` looks at every file in ``data/raw/sipri/`` (:func:`choose_register`) and takes
the newest readable SIPRI register: the latest "Data generated" date, then the newest file. Every other
file there is *skipped with its reason* (unreadable, not a SIPRI register, an older vintage, ...), and
the choice is told: :func:`load_transfers` returns the register as a :class:`SelectedRegister` whose
``selection`` lines the brief's methodology prints and the CLI writes to stderr. With no readable
register there, ``auto`` is the embedded case data, and says so.

Figures computed from the embedded case data are a curated subset of SIPRI's register (only the
supplier-recipient pairs restated in ``data/case/registered_deliveries.csv``): :func:`source_label` is
the one label for printed figures, and it says "curated subset" for them.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
from pathlib import Path

from analysis import paths
from analysis.case.params import AUTO, EMBEDDED
from analysis.sources.sipri import Register

#: The files ``auto`` reads in data/raw/sipri/ (SIPRI's export is a CSV file).
AUTO_SUFFIX = ".csv"
#: Characters of the register's SHA-256 in an output name (enough to tell two exports of one day apart).
SLUG_SHA_CHARS = 6


@dataclasses.dataclass(frozen=True)
class SelectedRegister(Register):
    """A :class:`~analysis.sources.sipri.Register` chosen by ``transfers="auto"``, with how it was chosen."""

    #: One sentence per line: the file chosen (or the embedded data), then every file skipped and why.
    selection: tuple = ()


@dataclasses.dataclass(frozen=True)
class Skipped:
    """A file of data/raw/sipri/ that ``auto`` did not use, and why."""

    path: Path
    reason: str


@dataclasses.dataclass(frozen=True)
class Choice:
    """What ``transfers="auto"`` found in ``folder``: the register chosen (None: the embedded data)
    and every file skipped with its reason."""

    folder: Path
    chosen: Path | None
    vintage: str
    format: str
    skipped: tuple[Skipped, ...]

    def notes(self) -> tuple[str, ...]:
        """One sentence per line: the choice first, then each skipped file with its reason."""
        where = _shown(self.folder) + "/"
        if self.chosen is None:
            lead = (f"transfers 'auto' found no readable SIPRI register in {where}, so this uses the embedded "
                    "case data (a curated subset of the SIPRI register, not the full register).")
        else:
            dated = f"data generated {self.vintage}" if self.vintage else "no 'Data generated' date in the file"
            lead = (f"transfers 'auto' chose {_shown(self.chosen)} (SIPRI {self.format} register, {dated}), "
                    f"the newest readable register in {where}.")
        return (lead, *(f"transfers 'auto' skipped {_shown(s.path)}: {s.reason}." for s in self.skipped))


def _shown(path: Path) -> str:
    """A path as notes print it: relative to the project when inside it (never a user's home folders)."""
    try:
        return Path(path).resolve().relative_to(paths.PROJECT_ROOT).as_posix()
    except ValueError:
        return Path(path).name


def _one_line(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    text = text.splitlines()[0]
    return text if len(text) <= 300 else text[:297] + "..."


#: The file name `armsbrief download` gives a register in its <vintage>/ folder (analysis.sources.download).
DOWNLOADED_NAME = "trade-register.csv"


def _snapshot(folder: Path) -> tuple:
    """What the choice depends on: every entry's name, size and modification time."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return ()
    except OSError as err:
        return (("<unreadable folder>", str(err)),)
    out = []
    for entry in entries:
        try:
            st = entry.stat()
            out.append((entry.name, st.st_size, st.st_mtime_ns, entry.is_dir()))
            inner = Path(entry.path) / DOWNLOADED_NAME
            if entry.is_dir() and inner.is_file():
                ist = inner.stat()
                out.append((f"{entry.name}/{DOWNLOADED_NAME}", ist.st_size, ist.st_mtime_ns, False))
        except OSError as err:
            out.append((entry.name, str(err)))
    return tuple(out)


_memo_lock = threading.Lock()
_memo: dict = {}  # (folder, snapshot) -> (Choice, register): one entry, the last folder looked at


def choose_register(folder: str | os.PathLike | None = None) -> tuple[Choice, object | None]:
    """The register ``transfers="auto"`` uses among the files of ``folder`` (default data/raw/sipri/),
    loaded, with the :class:`Choice` that names it and every file skipped and why.

    Only SIPRI's public readers are used (:func:`analysis.sources.sipri.detect_format`,
    :func:`~analysis.sources.sipri.load_register`, parsed registers are cached by checksum): a file
    is a candidate when it is a ``*.csv`` classic or per-year register that loads (in the folder itself, or
    as ``<subfolder>/trade-register.csv``, where ``armsbrief download`` writes it); the newest
    "Data generated" date wins, then the newest file (modification time), then the name. Hidden files
    and folders are ignored; other files are skipped with a reason.
    """
    from analysis.sources import sipri

    folder = Path(folder) if folder is not None else paths.RAW_SIPRI_DIR
    key = (str(folder), _snapshot(folder))
    with _memo_lock:
        if key in _memo:
            return _memo[key]
    skipped: list[Skipped] = []
    candidates = []  # (vintage, mtime_ns, name, path, format)
    try:
        entries = sorted(folder.iterdir())
    except FileNotFoundError:
        entries = []
    except OSError as err:
        entries = []
        skipped.append(Skipped(folder, f"the folder cannot be read ({_one_line(err)})"))
    # `armsbrief download` writes <vintage>/trade-register.csv: those files are candidates too
    entries = [e / DOWNLOADED_NAME if e.is_dir() and (e / DOWNLOADED_NAME).is_file() else e for e in entries]
    for path in entries:
        if path.name.startswith(".") or path.parent.name.startswith(".") or path.is_dir():
            continue
        if path.suffix.lower() != AUTO_SUFFIX:
            skipped.append(Skipped(path, f"not a {AUTO_SUFFIX} file ('auto' reads SIPRI's CSV exports)"))
            continue
        try:
            fmt = sipri.detect_format(path)
        except OSError as err:
            skipped.append(Skipped(path, f"unreadable ({err.strerror or _one_line(err)})"))
            continue
        except ValueError as err:  # SipriFormatError: not a SIPRI export
            skipped.append(Skipped(path, f"not a SIPRI register ({_one_line(err)})"))
            continue
        if fmt not in ("classic", "per-year"):
            skipped.append(Skipped(path, f"not a register but a SIPRI {fmt} table"))
            continue
        candidates.append((path, fmt))
    best = None  # ((vintage, mtime, name), path, register)
    losers = []  # ((vintage, mtime, name), path, format)
    for path, fmt in candidates:
        try:
            register = sipri.load_register(path)
            mtime = path.stat().st_mtime_ns
        except (OSError, ValueError) as err:
            skipped.append(Skipped(path, f"unreadable as a {fmt} register ({_one_line(err)})"))
            continue
        rank = (bool(register.vintage), register.vintage, mtime, path.name)
        if best is None or rank > best[0]:
            if best is not None:
                losers.append((best[0], best[1], best[2].format))
            best = (rank, path, register)
        else:
            losers.append((rank, path, register.format))
    if best is None:
        choice = Choice(folder, None, "", "", tuple(skipped))
        result = (choice, None)
    else:
        (_, vintage, _, _), chosen, register = best
        for (dated, old, _, _), path, fmt in losers:
            if not dated and vintage:
                why = f"{fmt} register without a 'Data generated' date (the chosen one has {vintage})"
            elif old != vintage:
                why = f"older vintage (data generated {old}; the chosen register's is {vintage})"
            else:
                why = "same vintage as the chosen register, which is the newer file"
            skipped.append(Skipped(path, why))
        result = (Choice(folder, chosen, vintage, register.format, tuple(skipped)), register)
    with _memo_lock:
        _memo.clear()
        _memo[key] = result
    return result


def _with_selection(register, notes: tuple[str, ...]) -> SelectedRegister:
    values = {f.name: getattr(register, f.name) for f in dataclasses.fields(register)}
    values["selection"] = tuple(notes)
    return SelectedRegister(**values)


def load_transfers(transfers: str = EMBEDDED):
    """Load the register a brief uses.

    ``"embedded"``: the curated case data in data/case/; ``"auto"``: the newest readable SIPRI register
    dropped into data/raw/sipri/, else the embedded data, returned as a :class:`SelectedRegister`
    whose ``selection`` says which file was chosen and which were skipped and why (see
    :func:`choose_register`); anything else: the path of a SIPRI trade-register export (classic or
    per-year format).
    """
    from analysis.sources import curated, sipri

    if transfers == AUTO:
        choice, register = choose_register()
        if register is None:
            register = curated.load_embedded_register()
        return _with_selection(register, choice.notes())
    if transfers == EMBEDDED:
        return curated.load_embedded_register()
    return sipri.load_register(Path(transfers))


def selection_notes(register) -> tuple[str, ...]:
    """How ``transfers="auto"`` chose ``register`` (empty for a register named explicitly)."""
    return tuple(getattr(register, "selection", ()) or ())


def is_full_register(register) -> bool:
    """True for a whole SIPRI export (every supplier and recipient), False for curated pairs."""
    return register.format != "embedded"


#: What :func:`source_label` says of figures computed from the embedded case data.
CURATED_SUBSET = ("curated subset: only the supplier-recipient pairs restated in "
                  "data/case/registered_deliveries.csv, not the full register")


def source_label(register) -> str:
    """The one label for a figure computed from ``register``: SIPRI's database and vintage, and for the
    embedded case data that it is a curated subset (its totals are not SIPRI's)."""
    vintage = register.vintage or "date not stated in the file"
    if not is_full_register(register):
        return f"SIPRI Arms Transfers Database, data generated {vintage} ({CURATED_SUBSET})"
    return f"SIPRI Arms Transfers Database, data generated {vintage} (full {register.format} register export)"


# ------------------------------------------------------------------------------------------ output names

def register_tag(register) -> str:
    """The data part of an output name: "" for the embedded case data, else ``sipri-<vintage>-<sha>``
    (the register's "Data generated" date, or "undated", and the start of its SHA-256): two exports
    of one day (say, a whole register and one country's) get different names, one file read through
    ``auto`` or by its path the same name."""
    if not is_full_register(register):
        return ""
    vintage = register.vintage.replace("-", "") if register.vintage else "undated"
    sha = (register.sha256 or hashlib.sha256(str(register.source).encode()).hexdigest())[:SLUG_SHA_CHARS]
    return f"sipri-{vintage}-{sha}"


def data_tag(transfers: str) -> str:
    """:func:`register_tag` of what ``transfers`` names, without keeping it loaded: "" for ``embedded``
    and for ``auto`` without a readable register in data/raw/sipri/. A path that cannot be read as a
    register gets ``file-<hash of its path>`` (its build fails later with the reader's message)."""
    if transfers == EMBEDDED:
        return ""
    if transfers == AUTO:
        _, register = choose_register()
        return register_tag(register) if register is not None else ""
    from analysis.sources import sipri

    try:
        return register_tag(sipri.load_register(Path(transfers)))
    except (OSError, ValueError):
        return "file-" + hashlib.sha256(str(transfers).encode()).hexdigest()[:SLUG_SHA_CHARS]
