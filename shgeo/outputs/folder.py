"""The output folder: safe folder names for project ids, and atomic writes."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

__all__ = ["safe_name", "unique_names", "atomic_write", "OUTPUT_FILES"]

#: Files of the batch in the top of an output folder (no project folder may take these names).
OUTPUT_FILES: Final = frozenset({"index.html", "summary.csv", "summary.gpkg"})
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


def atomic_write(path: Path, data: bytes | str | Callable[[Path], None]) -> None:
    """Write *data* to *path* through a temporary file in the same folder and ``os.replace``.

    *data* may be bytes, text (UTF-8) or a function that writes the temporary path.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            tmp.unlink()
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
