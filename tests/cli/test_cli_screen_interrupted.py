"""``shgeo screen`` killed with SIGKILL mid-run: the next run leaves reports, summary and index in agreement."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

pytestmark = pytest.mark.slow


def _grid(n: int) -> gpd.GeoDataFrame:
    side = int(n ** 0.5) + 1
    boxes = [box(121.40 + 0.002 * (k % side), 31.14 + 0.002 * (k // side),
                 121.4012 + 0.002 * (k % side), 31.1412 + 0.002 * (k // side)) for k in range(n)]
    return gpd.GeoDataFrame({"项目编号": [f"K{k:04d}" for k in range(n)]}, geometry=boxes, crs="EPSG:4490")


def _run(src: Path, out: Path, log: Path) -> subprocess.Popen:
    with log.open("w") as fh:  # a file, not a pipe: worker processes must not keep the test waiting
        return subprocess.Popen([sys.executable, "-m", "shgeo.cli.main", "-q", "screen", str(src), "--out",
                                 str(out), "--as-of", "2025-06-01"], stdout=fh, stderr=subprocess.STDOUT)


def _reports(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob("*/report.json") if not p.parent.name.startswith("_")}


def test_after_a_kill_the_next_run_agrees_with_its_reports(tmp_path):
    first, second = tmp_path / "first.gpkg", tmp_path / "second.gpkg"
    _grid(600).to_file(first)
    _grid(600).iloc[::2].to_file(second)  # the next run has half the projects
    out = tmp_path / "out"
    proc = _run(first, out, tmp_path / "first.log")
    deadline = time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        if len(_reports(out)) >= 5 if out.exists() else False:
            break
        time.sleep(0.05)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert killed, "the run ended before it could be killed; make the input larger"

    again = _run(second, out, tmp_path / "second.log")
    again.wait(timeout=900)
    assert again.returncode == 0, (tmp_path / "second.log").read_text()[-2000:]
    expected = set(gpd.read_file(second)["项目编号"])
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert {r["project_id"] for r in rows} == expected == _reports(out)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert set(re.findall(r'href="(K\d+)/report\.html"', index)) == expected
    stale = {p.name for p in (out / "_stale").iterdir()} if (out / "_stale").exists() else set()
    assert stale <= set(gpd.read_file(first)["项目编号"]) - expected  # only reports of the killed run's projects
    assert all(f'href="_stale/{name}/report.html"' in index for name in stale)
    leftovers = [p for p in out.rglob(".*") if ".tmp" in p.name]
    assert leftovers == []
