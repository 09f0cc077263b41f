"""Write a screening run into an output folder: per project report.json, report.html, map.html;
for the batch summary.csv, summary.xlsx, summary.gpkg and index.html.

Layout of an output folder::

    <out>/index.html            every project, linked (Chinese); stale reports named
    <out>/summary.csv           one row per project, UTF-8 with BOM (Excel shows Chinese)
    <out>/summary.xlsx          the same rows, Chinese headings, text cells, frozen header
    <out>/summary.gpkg          layer "projects" (footprints + outcome fields), layer "overlaps" (pieces), EPSG:4490
    <out>/_assets/              Leaflet, its CSS and images, the map page script (linked by every map.html)
    <out>/_stale/<folder>/      report folders of projects that are not in this run's inputs, moved aside
    <out>/<id>/report.json      see :mod:`shgeo.outputs.report`
    <out>/<id>/report.html      the report in Chinese
    <out>/<id>/map.html         the offline map (:mod:`shgeo.outputs.map_page`)

The folder must be new, empty or a shgeo output folder, and one run at a time
writes into it (:func:`shgeo.outputs.folder.claim_output_folder`).  After a
run, every report folder in it belongs to a project of that run: a project
not screened this time loses the report.json, report.html and map.html an
earlier run wrote for it, and the report folder of a project no longer in the
inputs is moved to ``_stale/`` and listed as stale in index.html.  Every file
is written atomically (a temporary file in the same folder, then
``os.replace``); the temporary files of a killed run are removed by the next,
which also rewrites summary.csv and index.html from what it wrote, so after a
``kill -9`` they agree with the reports again once the next run ends.  The
batch files are flushed to disk (fsync) before they replace the old ones.

A project whose report.json holds the same ``fingerprint`` (inputs,
attributes, layer checksums, date, shgeo version), the same map tiles and
the same asset mode is not rewritten on a re-run unless ``force``.

Reports and maps are rendered in worker processes when there are many
(``processes``; the library's layers are prepared for display once and sent
once to each worker; forked workers build each project's report from the
records they inherit, given only its position), or on the workers of a dask
``client``.
"""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tqdm.auto import tqdm

from .assets import write_assets
from .display import check_tiles
from .folder import LOCK_FILE, OUTPUT_FILES, STALE_DIR, TEMP_MARK, atomic_write, claim_output_folder, unique_names
from .map_page import MapContext, MapJob, map_job, render_map_page, render_map_pages
from .report import report_json
from .report_html import render_index, render_report
from .summary import summary_csv, summary_gpkg, summary_rows, summary_xlsx

if TYPE_CHECKING:  # pragma: no cover
    from ..records import ProjectRecord, ScreenRecord

__all__ = ["save_outputs", "SaveResult"]

log = logging.getLogger(__name__)

#: files of one project's folder; report.json is written last: its fingerprint marks the folder complete
PROJECT_FILES: Final = ("map.html", "report.html", "report.json")
#: projects per task sent to a worker process
_CHUNK: Final = 32
#: below this many projects to write, worker processes do not pay for their start
_PARALLEL_FROM: Final = 200


@dataclass
class SaveResult:
    """What :func:`save_outputs` wrote: the index, and which projects were written, reused or failed."""

    out: Path
    index: Path
    folders: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    #: report folders of projects not in this run, moved to ``_stale/`` (folder → where it is now)
    stale: dict[str, str] = field(default_factory=dict)


def _outputs_key(tiles: str | None, inline: bool, folder: str) -> dict[str, Any]:
    return {"tiles": tiles, "assets": "inline" if inline else "linked", "folder": folder}


def _up_to_date(folder: Path, project: ProjectRecord, key: dict[str, Any]) -> bool:
    try:
        old = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(old, dict) and old.get("project_id") == project.project_id
            and old.get("fingerprint") == project.fingerprint
            and old.get("_outputs") == key
            and (folder / "report.html").is_file() and (folder / "map.html").is_file())


def _remove_stale(folder: Path, project: ProjectRecord) -> None:
    """Remove the outputs an earlier run wrote for *project*, which was not screened this time."""
    report = folder / "report.json"
    if report.is_file():
        try:
            old = json.loads(report.read_text(encoding="utf-8"))
            mine = not isinstance(old, dict) or old.get("project_id") == project.project_id
        except (OSError, ValueError):
            mine = True
        if not mine:
            return
    removed = []
    for name in ("report.json", "report.html", "map.html"):  # report.json first: it marks the folder complete
        path = folder / name
        if path.is_file():
            path.unlink()
            removed.append(name)
    if removed:
        log.warning("project %s was not screened: removed the earlier %s in %s", project.project_id,
                    ", ".join(removed), folder)
    try:
        folder.rmdir()  # only if nothing else is left in it
    except OSError:
        pass


# --------------------------------------------------------------------------- rendering (any process)

#: the map context of a worker process (set once per worker by :func:`_init_worker`)
_WORKER_CONTEXT: MapContext | None = None


def _die_with_parent() -> None:
    """Linux: a worker is killed when the run that started it dies (even by SIGKILL), so that no orphan
    keeps writing into the folder (or holding its lock) after the run is gone."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - another libc
        pass


def _init_worker(context: MapContext, parent: int | None) -> None:
    global _WORKER_CONTEXT
    _die_with_parent()
    if parent is not None and os.getppid() != parent:  # pragma: no cover - the run died while this one forked
        os._exit(1)
    _WORKER_CONTEXT = context
    logging.getLogger("shgeo").setLevel(logging.WARNING)


def _render_many(jobs: list[tuple[str, str, dict[str, Any], MapJob]], context: MapContext, tiles: str | None,
                 inline: bool) -> list[tuple[str, str, dict[str, bytes] | str]]:
    """The three files of each project of *jobs* ``(project_id, folder, report, map job)``, in the order they
    are written; or why not (one bad project does not sink the others).  The map pages of the chunk are
    drawn together and the layer table of report.html, the same in each, once."""
    try:
        pages: list[str] | None = render_map_pages([job for *_, job in jobs], context, tiles=tiles, inline=inline)
    except Exception:  # noqa: BLE001 - drawn one by one below, so that the failing one is named
        pages = None
    shared_html: dict[int, Any] = {}
    shared_json: dict[int, Any] = {}
    done: list[tuple[str, str, dict[str, bytes] | str]] = []
    for i, (pid, folder, report, job) in enumerate(jobs):
        try:
            page = pages[i] if pages is not None else render_map_page(job, context, tiles=tiles, inline=inline)
            done.append((pid, folder, {
                "map.html": page.encode("utf-8"),
                "report.html": render_report(report, shared=shared_html).encode("utf-8"),
                "report.json": report_json(report, shared=shared_json).encode("utf-8"),
            }))
        except Exception as exc:  # noqa: BLE001 - one bad project is reported, the rest go on
            log.exception("project %s: writing the outputs failed", pid)
            done.append((pid, folder, f"writing the outputs failed: {exc}"))
    return done


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write one project's files, each through a temporary name and ``os.replace`` (no fsync: see the module
    docstring); report.json last."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        target = folder / name
        tmp = folder / f".{name}.{os.getpid()}{TEMP_MARK}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(files[name])
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _write_chunk(out: str, jobs: list[tuple[str, str, dict[str, Any], MapJob]], tiles: str | None,
                 inline: bool, context: MapContext | None = None) -> list[tuple[str, str | None]]:
    """Render and write the projects of *jobs* ``(project_id, folder, report, map job)``; (id, error or None)."""
    ctx = context if context is not None else _WORKER_CONTEXT
    assert ctx is not None, "a worker without its map context"
    done: list[tuple[str, str | None]] = []
    for pid, folder, files in _render_many(jobs, ctx, tiles, inline):
        if isinstance(files, str):
            done.append((pid, files))
            continue
        try:
            _write_files(Path(out) / folder, files)
            done.append((pid, None))
        except OSError as exc:
            log.error("project %s: writing the outputs failed: %s", pid, exc)
            done.append((pid, f"writing the outputs failed: {exc}"))
    return done


def render_chunk(jobs: list[tuple[str, str, dict[str, Any], MapJob]], context: MapContext, tiles: str | None,
                 inline: bool) -> list[tuple[str, str, dict[str, bytes] | str]]:
    """Render (not write) the projects of *jobs*: ``(project_id, folder, files or error)``."""
    return _render_many(jobs, context, tiles, inline)


def write_or_render_chunk(out: str, token: str, jobs: list[tuple[str, str, dict[str, Any], MapJob]],
                          context: MapContext, tiles: str | None, inline: bool
                          ) -> list[tuple[str, str, dict[str, bytes] | str | None]]:
    """On a dask worker: write the projects of *jobs* into *out* when the worker sees the run's folder (the
    same machine, or a shared file system: its lock file reads *token*), then ``(project_id, folder, None or
    error)``; else render them for the caller to write (:func:`render_chunk`)."""
    try:
        sees = (Path(out) / LOCK_FILE).read_text(encoding="utf-8") == token
    except OSError:
        sees = False
    if not sees:
        return list(render_chunk(jobs, context, tiles, inline))
    folders = {pid: folder for pid, folder, _, _ in jobs}
    return [(pid, folders[pid], error) for pid, error in _write_chunk(out, jobs, tiles, inline, context)]


# --------------------------------------------------------------------------- the folder


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _job(project: ProjectRecord, folder: str, key_of: Any) -> tuple[str, str, dict[str, Any], MapJob]:
    report = dict(project.report or {})
    report["_outputs"] = key_of(folder)
    return project.project_id, folder, report, map_job(project)


def _jobs(todo: list[tuple[ProjectRecord, str]], key_of: Any) -> Iterator[tuple[str, str, dict[str, Any], MapJob]]:
    for project, folder in todo:
        yield _job(project, folder, key_of)


#: the parent's projects to write and its ``key_of``, set before the worker processes are forked: a forked worker
#: builds the report content and map job of the projects it is given by position (nothing is sent but two numbers)
_FORKED_TODO: tuple[list[tuple[ProjectRecord, str]], Any] | None = None


def _write_range(out: str, start: int, stop: int, tiles: str | None, inline: bool) -> list[tuple[str, str | None]]:
    """In a forked worker: build, render and write the projects ``start:stop`` of the parent's to-do list."""
    assert _FORKED_TODO is not None, "a worker that was not forked from the run"
    todo, key_of = _FORKED_TODO
    jobs, done = [], []
    for project, folder in todo[start:stop]:
        try:
            jobs.append(_job(project, folder, key_of))
        except Exception as exc:  # noqa: BLE001 - one bad project is reported, the rest go on
            log.exception("project %s: writing the outputs failed", project.project_id)
            done.append((project.project_id, f"writing the outputs failed: {exc}"))
    return done + _write_chunk(out, jobs, tiles, inline)


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork where it is safe (POSIX, no other thread running but tqdm's idle monitor: the workers start at
    once, nothing re-imported), else forkserver, else spawn."""
    methods = multiprocessing.get_all_start_methods()
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and t.name != "tqdm_monitor"]
    if "fork" in methods and not others:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _write_local(out: Path, todo: list[tuple[ProjectRecord, str]], context: MapContext, key_of: Any,
                 tiles: str | None, inline: bool, processes: int, bar: Any) -> dict[str, str | None]:
    results: dict[str, str | None] = {}
    jobs = _jobs(todo, key_of)
    if processes <= 1 or len(todo) < _PARALLEL_FROM:
        for chunk in _chunks(list(jobs), _CHUNK):
            for pid, error in _write_chunk(str(out), chunk, tiles, inline, context):
                results[pid] = error
            bar.update(len(chunk))
        return results
    method = _pool_context()
    forked = method.get_start_method() == "fork"  # else the workers' parent is a fork server
    global _FORKED_TODO
    if forked:
        _FORKED_TODO = (todo, key_of)  # inherited by the workers, forked at the first submit below
        gc.freeze()  # the workers' garbage collector leaves the inherited objects (and their pages) alone
    try:
        with ProcessPoolExecutor(max_workers=processes, mp_context=method, initializer=_init_worker,
                                 initargs=(context, os.getpid() if forked else None)) as pool:
            pending: dict[Future, int] = {}
            if forked:
                for start in range(0, len(todo), _CHUNK):
                    stop = min(start + _CHUNK, len(todo))
                    pending[pool.submit(_write_range, str(out), start, stop, tiles, inline)] = stop - start
            else:
                chunks = iter(lambda: [job for _, job in zip(range(_CHUNK), jobs)], [])
                for chunk in chunks:
                    pending[pool.submit(_write_chunk, str(out), chunk, tiles, inline)] = len(chunk)
                    if len(pending) >= 3 * processes:  # a bounded number in flight: memory stays flat
                        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for fut in finished:
                            results.update(fut.result())
                            bar.update(pending.pop(fut))
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    results.update(fut.result())
                    bar.update(pending.pop(fut))
    finally:
        _FORKED_TODO = None
        if forked:
            gc.unfreeze()
    return results


def _write_on_client(out: Path, todo: list[tuple[ProjectRecord, str]], context: MapContext, key_of: Any,
                     tiles: str | None, inline: bool, client: Any, bar: Any) -> dict[str, str | None]:
    """Render on the workers of a dask *client*; workers that see *out* write there themselves (no copy of the
    pages back to this process), the others send the pages here to be written."""
    from distributed import as_completed

    try:
        token = (out / LOCK_FILE).read_text(encoding="utf-8")
    except OSError:
        token = ""
    shared = client.scatter(context, broadcast=True, hash=False)
    futures = [client.submit(write_or_render_chunk, str(out), token, chunk, shared, tiles, inline, pure=False)
               for chunk in _chunks(list(_jobs(todo, key_of)), _CHUNK)]
    results: dict[str, str | None] = {}
    for future in as_completed(futures):
        for pid, folder, files in future.result():
            if files is None or isinstance(files, str):
                results[pid] = files  # written by the worker, or why not
            else:
                try:
                    _write_files(out / folder, files)
                    results[pid] = None
                except OSError as exc:
                    results[pid] = f"writing the outputs failed: {exc}"
            bar.update(1)
    return results


def _move_stale(out: Path, current: set[str]) -> dict[str, str]:
    """Move report folders of projects not in this run to ``_stale/``; drop stale copies that are current again.

    Returns every folder now in ``_stale/`` (name → path relative to *out*).
    """
    stale_root = out / STALE_DIR
    with os.scandir(out) as entries:  # the file type comes with the listing: no stat per report folder
        others = sorted(e.name for e in entries
                        if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
                        and e.name not in OUTPUT_FILES and e.name.lower() not in current)
    for name in others:
        path = out / name
        if not any((path / f).is_file() for f in PROJECT_FILES):
            continue  # not a report folder: left alone
        target = stale_root / name
        if target.exists():
            shutil.rmtree(target)
        stale_root.mkdir(exist_ok=True)
        os.replace(path, target)
        log.warning("%s holds the report of a project that is not in this run: moved to %s", path, target)
    found: dict[str, str] = {}
    if stale_root.is_dir():
        for path in sorted(stale_root.iterdir()):
            if not path.is_dir():
                continue
            if path.name.lower() in current:
                shutil.rmtree(path)  # the project is back: its current report is in <out>/<folder>
                continue
            found[path.name] = f"{STALE_DIR}/{path.name}"
        if not found:
            shutil.rmtree(stale_root, ignore_errors=True)
    return found


def _stale_rows(out: Path, stale: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for folder, moved in stale.items():
        try:
            old = json.loads((out / moved / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        old = old if isinstance(old, dict) else {}
        rows.append({"folder": folder, "moved_to": moved, "project_id": old.get("project_id"),
                     "overall": old.get("overall")})
    return rows


def save_outputs(result: ScreenRecord, out: Path, *, tiles: str | None = None, force: bool = False,
                 progress: bool | None = None, self_contained: bool = False, processes: int | None = None,
                 client: Any = None, lock: bool = True) -> SaveResult:
    """Write per-project reports and maps and the batch summary into *out* (see the module docstring).

    *tiles*: none, ``"osm"`` or an http(s) URL template.  *self_contained*: every map.html
    carries Leaflet inline (one file to mail) instead of linking ``_assets/``.
    *processes*: worker processes for rendering (default: the CPUs, at most 2 here when
    there are many projects); *client*: a dask client whose workers render instead.
    *lock*: claim the folder (False when the caller already holds it).
    """
    tiles = check_tiles(tiles)
    with claim_output_folder(out) if lock else nullcontext(out):
        return _save(result, out, tiles=tiles, force=force, progress=progress, inline=self_contained,
                     processes=processes, client=client)


def _save(result: ScreenRecord, out: Path, *, tiles: str | None, force: bool, progress: bool | None,
          inline: bool, processes: int | None, client: Any) -> SaveResult:
    if not inline:
        write_assets(out)
    folders = unique_names(p.project_id for p in result.projects)
    saved = SaveResult(out=out, index=out / "index.html", folders=folders)

    def key_of(folder: str) -> dict[str, Any]:
        return _outputs_key(tiles, inline, folder)

    todo: list[tuple[ProjectRecord, str]] = []
    for project in result.projects:
        folder = folders[project.project_id]
        if not project.ok:
            saved.failed[project.project_id] = project.error or ""
            _remove_stale(out / folder, project)
        elif not force and _up_to_date(out / folder, project, key_of(folder)):
            saved.reused.append(project.project_id)
        else:
            todo.append((project, folder))
    disable = None if progress is None else not progress  # None: tqdm shows it on a terminal only
    if todo:
        context = MapContext(result.library)
        workers = processes if processes is not None else min(2, os.cpu_count() or 1)
        with tqdm(total=len(todo), desc="writing", unit="project", disable=disable, file=sys.stderr) as bar:
            if client is not None:
                done = _write_on_client(out, todo, context, key_of, tiles, inline, client, bar)
            else:
                done = _write_local(out, todo, context, key_of, tiles, inline, workers, bar)
        for project, folder in todo:
            error = done.get(project.project_id, "writing the outputs failed: no result")
            if error is None:
                saved.written.append(project.project_id)
            else:
                project.error = error
                saved.failed[project.project_id] = error
                _remove_stale(out / folder, project)
    current = {folders[p.project_id].lower() for p in result.projects if p.ok}
    saved.stale = _move_stale(out, current)
    rows = summary_rows(result, folders)
    atomic_write(out / "summary.csv", summary_csv(rows))
    atomic_write(out / "summary.xlsx", summary_xlsx(rows))
    atomic_write(out / "summary.gpkg", summary_gpkg(result, rows))
    atomic_write(saved.index, render_index(result, rows, folders, stale=_stale_rows(out, saved.stale)))
    log.info("wrote %s (%d written, %d unchanged, %d not screened, %d stale)", saved.index, len(saved.written),
             len(saved.reused), len(saved.failed), len(saved.stale))
    return saved
