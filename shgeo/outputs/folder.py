"""The output folder: whose it is, one run at a time, safe folder names for project ids, atomic writes.

* :func:`claim_output_folder` refuses a folder that is neither new, empty nor
  a shgeo output folder (``.shgeo-output`` marker): shgeo never writes over a
  user's files.  It then holds an exclusive lock (``.shgeo-lock``,
  ``flock``; the kernel drops it when the process ends, however it ends), so
  a second run into the same folder is refused instead of interleaving.
* :func:`atomic_write` writes through a temporary file and ``os.replace``;
  :func:`remove_temporary` removes the temporary files a killed run left.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

from ..errors import OutputFolderError
from ..inputs.discovery import OUTPUT_MARKER

__all__ = ["safe_name", "unique_names", "atomic_write", "claim_output_folder", "remove_temporary",
           "OUTPUT_FILES", "LOCK_FILE", "STALE_DIR", "TEMP_MARK"]

log = logging.getLogger(__name__)

#: Files of the batch in the top of an output folder (no project folder may take these names).
OUTPUT_FILES: Final = frozenset({"index.html", "summary.csv", "summary.xlsx", "summary.gpkg", "_assets", "_stale"})
#: the lock a run holds on its output folder
LOCK_FILE: Final = ".shgeo-lock"
#: where report folders of projects no longer in the inputs are moved
STALE_DIR: Final = "_stale"
#: temporary files of :func:`atomic_write` (and of the writer's project files) start with a dot and carry this
TEMP_MARK: Final = ".tmp"
_RESERVED: Final = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_MAX_NAME: Final = 80


def safe_name(project_id: str) -> str:
    """A file-name-safe folder name for *project_id*.

    Letters (any script, so 中文 ids stay readable), digits, spaces, ``.``,
    ``-`` and ``_`` are kept; everything else (``/``, ``\\``, ``:``, ``*``,
    control characters …) becomes ``_``.  Leading dots, ``..``, Windows reserved names
    (CON, NUL, COM1 …, with or without extension) and trailing dots or
    spaces are neutralised; names are at most 80 characters.
    """
    text = unicodedata.normalize("NFC", str(project_id))
    text = "".join(ch if (ch.isalnum() or ch in "-_. ") else "_" for ch in text)
    text = re.sub(r" +", " ", text)
    text = re.sub(r"_+", "_", text).strip(" .")
    text = text.lstrip(".")
    if not text or set(text) <= {"_", "."}:
        text = "project"
    if text.split(".")[0].lower() in _RESERVED:
        text = "_" + text
    return text[:_MAX_NAME].rstrip(" .") or "project"


def unique_names(project_ids: Iterable[str]) -> dict[str, str]:
    """Map each project id to a distinct safe folder name (case-insensitive; ``-2``, ``-3`` … on collisions)."""
    out: dict[str, str] = {}
    used = set(OUTPUT_FILES)
    for pid in project_ids:
        base = safe_name(pid)
        name, n = base, 2
        while name.lower() in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name.lower())
        out[pid] = name
    return out


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes | str | Callable[[Path], None], *, fsync: bool = True) -> None:
    """Write *data* to *path* through a temporary file in the same folder and ``os.replace``.

    *data* may be bytes, text (UTF-8) or a function that writes the temporary path.
    *fsync*: flush the file to disk before the rename (the batch files; the many
    per-project files skip it: a killed process never leaves them half-written either way).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_MARK + path.suffix, dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            tmp.unlink()
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and TEMP_MARK in name


def remove_temporary(out: Path) -> int:
    """Remove the temporary files of :func:`atomic_write` that a killed run left in *out* (two levels deep)."""
    removed = 0
    for folder in [out, *(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())]:
        for path in folder.iterdir():
            if _is_temporary(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
    if removed:
        log.info("removed %d temporary file(s) an interrupted run left in %s", removed, out)
    return removed


def _check_owner(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out} is a file, not a folder; choose a folder for the outputs")
    if not out.is_dir() or (out / OUTPUT_MARKER).is_file():
        return
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir())
    if entries:
        shown = ", ".join(entries[:5]) + (f" … ({len(entries)} entries)" if len(entries) > 5 else "")
        raise OutputFolderError(
            f"--out {out} is not empty and is not a shgeo output folder (it has no {OUTPUT_MARKER} marker; "
            f"it holds {shown}): shgeo would write over summary.csv, index.html and report folders there. "
            "Choose a new or empty folder; --force does not change this")


def _lock(handle: IO[str]) -> bool:
    """Take an exclusive lock on *handle* without waiting; False if another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextmanager
def claim_output_folder(out: Path) -> Iterator[Path]:
    """Make *out* this run's output folder for the duration of the ``with`` block.

    Refuses (:class:`~shgeo.errors.OutputFolderError`) a folder that is not new,
    empty or a shgeo output folder, and a folder another run is writing into.
    Creates the folder and its ``.shgeo-output`` marker, and removes the temporary
    files an interrupted run left.
    """
    _check_owner(out)
    out.mkdir(parents=True, exist_ok=True)
    marker = out / OUTPUT_MARKER
    if not marker.is_file():
        atomic_write(marker, "shgeo screen output folder: not read back as footprints\n")
    handle = open(out / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    try:
        if not _lock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise OutputFolderError(f"another shgeo run ({holder}) is writing into {out}; wait for it to end "
                                    "or choose another --out")
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {_dt.datetime.now().isoformat(timespec='seconds')}\n")
        handle.flush()
        remove_temporary(out)
        yield out
    finally:
        handle.close()  # releases the lock
