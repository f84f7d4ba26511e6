"""The one cache of derived data (parsed SIPRI registers, validated curated tables) and the one
atomic file write.

An entry is a folder ``paths.CACHE_DIR/<kind>/<key>/`` holding named files and a ``manifest.json``
with each file's SHA-256. :func:`read` verifies every file against the manifest; an entry that is
incomplete, truncated or altered (a flipped bit) is discarded with a one-line warning on stderr and
the caller rebuilds it. Keys include :func:`fingerprint` of the code that produced the entry, so a
changed parser never serves numbers from an older one. Entries are written into a temporary folder
and renamed into place: concurrent builds never see half an entry. ``ARMSBRIEF_CACHE=0`` turns the
cache off; a read-only checkout simply works without it.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from analysis import paths

CACHE_ENV = "ARMSBRIEF_CACHE"
MANIFEST = "manifest.json"
KEEP = 16  # entries kept per kind (several checkouts, registers or test copies may alternate)


def enabled() -> bool:
    return os.environ.get(CACHE_ENV, "1").strip().lower() not in ("0", "no", "false", "off")


def atomic_write(path: str | os.PathLike, data: bytes | str, *, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename: readers see the old
    file or the new one, never a part. An error names the path."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise OSError(err.errno, f"cannot write {path}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OSError(err.errno, f"cannot write {path}: {err.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


@functools.cache
def fingerprint(modules: tuple[str, ...], packages: tuple[str, ...] = ()) -> str:
    """SHA-256 of the package's own ``modules`` (paths relative to ``analysis/``), the Python version and
    the versions of ``packages``: part of every key, so new code never reads an old entry."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(sys.version.encode())
    for module in modules:
        digest.update(module.encode() + b"\0" + (paths.PACKAGE_DIR / module).read_bytes())
    for package in packages:
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=missing".encode())
    return digest.hexdigest()


def _entry(kind: str, key: str) -> Path:
    return paths.CACHE_DIR / kind / key


def _discard(folder: Path, why: str) -> None:
    print(f"armsbrief: cache entry {folder} {why}; discarded, rebuilding it", file=sys.stderr)
    shutil.rmtree(folder, ignore_errors=True)


def read(kind: str, key: str) -> dict[str, bytes] | None:
    """The verified files of an entry, or None (no entry, cache off, or an entry that failed
    verification, which is removed)."""
    if not enabled():
        return None
    folder = _entry(kind, key)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        _discard(folder, "has an unreadable manifest")
        return None
    files = {}
    try:
        for name, checksum in dict(manifest["files"]).items():
            data = (folder / name).read_bytes()
            if hashlib.sha256(data).hexdigest() != checksum:
                _discard(folder, f"failed verification ({name}: checksum differs)")
                return None
            files[name] = data
    except (OSError, KeyError, TypeError, AttributeError) as err:
        _discard(folder, f"is incomplete ({type(err).__name__}: {err})")
        return None
    return files


def write(kind: str, key: str, files: dict[str, bytes]) -> None:
    """Store ``files`` as the entry ``kind/key`` (atomically; errors are ignored: no cache, same results)."""
    if not enabled():
        return
    final = _entry(kind, key)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
    except OSError:
        return
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        manifest = {"files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")
        with contextlib.suppress(OSError):
            shutil.rmtree(final)  # a stale or damaged entry of the same key
        os.rename(tmp, final)
        _prune(final.parent)
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _prune(folder: Path, keep: int = KEEP) -> None:
    entries = []
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.name.startswith("."):
            with contextlib.suppress(OSError):
                entries.append((entry.stat().st_mtime_ns, entry))
    for _, entry in sorted(entries, reverse=True)[keep:]:
        shutil.rmtree(entry, ignore_errors=True)
