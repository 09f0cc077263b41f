"""Peak-memory measurement shared by the benchmarks (Linux VmHWM, resettable per phase)."""

from __future__ import annotations

import os
import resource
from pathlib import Path

__all__ = ["reset_peak", "peak_mib"]


def reset_peak() -> None:
    """Reset the process's peak resident set size (Linux: ``clear_refs`` 5); no-op elsewhere."""
    try:
        Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")
    except OSError:
        pass


def peak_mib() -> float:
    """Peak resident set size since the last :func:`reset_peak`, in MiB."""
    try:
        for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
