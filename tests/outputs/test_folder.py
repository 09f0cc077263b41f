"""The output folder: never a user's folder, one run at a time, stale reports moved aside, temporaries cleaned."""

from __future__ import annotations

import csv
import json
import multiprocessing
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from shgeo.errors import OutputFolderError
from shgeo.inputs.discovery import OUTPUT_MARKER
from shgeo.library.layers import load_library
from shgeo.outputs.folder import claim_output_folder, remove_temporary
from shgeo.outputs.writer import save_outputs
from shgeo.screening import screen


@pytest.fixture(scope="module")
def library():
    return load_library()


def _projects(ids, library):
    boxes = [box(121.455 + 0.005 * k, 31.175, 121.458 + 0.005 * k, 31.178) for k in range(len(ids))]
    return screen(gpd.GeoDataFrame({"项目编号": ids}, geometry=boxes, crs="EPSG:4490"), library, as_of="2025-06-01")


def _summary_ids(out: Path) -> list[str]:
    return [r["project_id"] for r in csv.DictReader((out / "summary.csv").read_text("utf-8-sig").splitlines())]


@pytest.mark.parametrize("content", [{"notes.txt": "mine"}, {"summary.csv": "a,b\n"}, {"sub/": None}])
def test_a_users_folder_is_refused_even_with_force(tmp_path, library, content):
    out = tmp_path / "mine"
    out.mkdir()
    for name, text in content.items():
        (out / name.rstrip("/")).mkdir() if name.endswith("/") else (out / name).write_text(text)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(OutputFolderError, match="not a shgeo output folder"):
        save_outputs(_projects(["A"], library), out, force=True)
    assert sorted(p.name for p in out.iterdir()) == before  # nothing written, no marker left


def test_new_empty_and_own_folders_are_accepted(tmp_path, library):
    result = _projects(["A"], library)
    save_outputs(result, tmp_path / "new" / "deeper")
    (tmp_path / "empty").mkdir()
    save_outputs(result, tmp_path / "empty")
    assert (tmp_path / "empty" / OUTPUT_MARKER).is_file()
    save_outputs(result, tmp_path / "empty")  # its own folder again


def test_a_file_is_refused(tmp_path, library):
    (tmp_path / "out").write_text("x")
    with pytest.raises(OutputFolderError, match="is a file"):
        save_outputs(_projects(["A"], library), tmp_path / "out")


def _hold(out: str, ready, release) -> None:
    with claim_output_folder(Path(out)):
        ready.set()
        release.wait(30)


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_writes(tmp_path, library):
    out = tmp_path / "out"
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(out), ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(OutputFolderError, match=r"another shgeo run \(pid \d+"):
            save_outputs(_projects(["A"], library), out)
    finally:
        release.set()
        holder.join(30)
    save_outputs(_projects(["A"], library), out)  # released with the process
    assert _summary_ids(out) == ["A"]


def test_projects_no_longer_in_the_inputs_are_moved_aside_and_named(tmp_path, library):
    out = tmp_path / "out"
    save_outputs(_projects(["A", "B", "C"], library), out)
    saved = save_outputs(_projects(["A", "C"], library), out)
    assert saved.stale == {"B": "_stale/B"}
    assert not (out / "B").exists() and (out / "_stale" / "B" / "report.json").is_file()
    assert sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("_")) == ["A", "C"]
    assert _summary_ids(out) == ["A", "C"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "过期报告" in index and 'href="_stale/B/report.html"' in index
    # the project comes back: its stale copy goes, nothing is listed as stale
    saved = save_outputs(_projects(["A", "B", "C"], library), out)
    assert saved.stale == {} and not (out / "_stale").exists()
    assert "过期报告" not in (out / "index.html").read_text(encoding="utf-8")


def test_folders_that_are_not_reports_are_left_alone(tmp_path, library):
    out = tmp_path / "out"
    save_outputs(_projects(["A"], library), out)
    (out / "notes").mkdir()
    (out / "notes" / "x.txt").write_text("mine")
    assert save_outputs(_projects(["A"], library), out).stale == {}
    assert (out / "notes" / "x.txt").is_file()


def test_temporary_files_of_a_killed_run_are_removed(tmp_path, library):
    out = tmp_path / "out"
    save_outputs(_projects(["A"], library), out)
    left = [out / ".summary.csv.abc123.tmp.csv", out / "A" / ".report.json.4242.tmp"]
    for path in left:
        path.write_text("half")
    (out / "A" / ".keep").write_text("not ours")
    assert remove_temporary(out) == 2
    assert not any(p.exists() for p in left) and (out / "A" / ".keep").exists()


def test_reports_record_how_their_maps_were_made(tmp_path, library):
    out = tmp_path / "out"
    result = _projects(["A"], library)
    save_outputs(result, out)
    report = json.loads((out / "A" / "report.json").read_text(encoding="utf-8"))
    assert report["_outputs"] == {"tiles": None, "assets": "linked", "folder": "A"}
    assert (out / "_assets" / "leaflet.js").is_file() and (out / "_assets" / "images" / "layers.png").is_file()
    assert save_outputs(result, out).reused == ["A"]
    assert save_outputs(result, out, self_contained=True).written == ["A"]  # another kind of map: redone
    page = (out / "A" / "map.html").read_text(encoding="utf-8")
    assert "_assets" not in page and 'version="1.9.4"' in page


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_many_projects_are_written_by_worker_processes_like_one_by_one(tmp_path, library, monkeypatch, method):
    """Forked workers build each report from the records they inherit; others are sent the built reports."""
    import shgeo.outputs.writer as writer

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    monkeypatch.setattr(writer, "_pool_context", lambda: multiprocessing.get_context(method))
    ids = [f"P{k:03d}" for k in range(220)]
    result = _projects(ids, library)
    parallel = save_outputs(result, tmp_path / "two", processes=2)
    serial = save_outputs(result, tmp_path / "one", processes=1)
    assert sorted(parallel.written) == sorted(serial.written) == ids
    for pid in ids:
        for name in ("report.json", "report.html", "map.html"):
            a = (tmp_path / "two" / pid / name).read_bytes()
            b = (tmp_path / "one" / pid / name).read_bytes()
            assert a == b, (pid, name)


def test_a_cluster_worker_writes_only_into_the_folder_it_sees(tmp_path, library):
    """A dask worker that sees the run's folder (its lock file reads the run's token) writes the project files
    itself; one that does not (another machine) renders them for the caller to write. Same bytes either way."""
    from shgeo.outputs.folder import LOCK_FILE
    from shgeo.outputs.map_page import MapContext, map_job
    from shgeo.outputs.writer import write_or_render_chunk

    result = _projects(["A", "B", "C"], library)
    jobs = [(p.project_id, p.project_id, p.report, map_job(p)) for p in result]
    context = MapContext(result.library)
    out = tmp_path / "out"
    with claim_output_folder(out):
        token = (out / LOCK_FILE).read_text(encoding="utf-8")
        elsewhere = write_or_render_chunk(str(out), "pid 1, started elsewhere\n", jobs, context, None, False)
        assert [pid for pid, _, _ in elsewhere] == ["A", "B", "C"]
        assert all(isinstance(files, dict) for _, _, files in elsewhere)
        assert not any((out / pid).exists() for pid in "ABC")
        here = write_or_render_chunk(str(out), token, jobs, context, None, False)
        assert [(pid, files) for pid, _, files in here] == [("A", None), ("B", None), ("C", None)]
        for pid, folder, files in elsewhere:
            for name, data in files.items():
                assert (out / folder / name).read_bytes() == data, (pid, name)


def test_a_map_that_cannot_be_drawn_fails_only_its_project(tmp_path, library, monkeypatch):
    """The pages of a chunk are drawn together; when that fails they are drawn one by one, and only the
    project whose map cannot be drawn fails (named in summary.csv), its chunk-mates are written."""
    import shgeo.outputs.writer as writer

    draw_one = writer.render_map_page

    def broken_chunk(jobs, *args, **kwargs):
        raise ValueError("chunk")

    def broken_b(job, *args, **kwargs):
        if job.project_id == "B":
            raise ValueError("cannot draw B")
        return draw_one(job, *args, **kwargs)

    monkeypatch.setattr(writer, "render_map_pages", broken_chunk)
    monkeypatch.setattr(writer, "render_map_page", broken_b)
    result = _projects(["A", "B", "C"], library)
    saved = save_outputs(result, tmp_path / "out", processes=1)
    assert sorted(saved.written) == ["A", "C"] and list(saved.failed) == ["B"]
    assert "cannot draw B" in saved.failed["B"]
    assert not (tmp_path / "out" / "B" / "report.json").exists()
    assert (tmp_path / "out" / "C" / "map.html").is_file()
    rows = {r["project_id"]: r for r in csv.DictReader((tmp_path / "out" / "summary.csv").read_text("utf-8-sig")
                                                       .splitlines())}
    assert set(rows) == {"A", "B", "C"}
