"""Run a function over partitions of a footprint frame on a dask cluster.

:func:`run_partitions` is how :func:`shgeo.screen` (``client=``) and the
output writer spread their work past one process: the footprints become
dask-geopandas partitions, large shared objects (the layer library, the
prepared map context) are scattered once to every worker, and one task per
partition returns plain data to the caller.  ``shgeo screen --workers N``
starts a ``dask.distributed.LocalCluster``; ``--scheduler ADDRESS`` connects
to a running cluster (see the README's "Running on a cluster").

dask, distributed and dask-geopandas are optional (``pip install
"shgeo[dask]"``); they are imported only here, when a client is used.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import geopandas as gpd

from .errors import ShgeoError

__all__ = ["run_partitions", "broadcast", "local_client", "connect"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_INSTALL_HINT = 'install the dask extra: pip install "shgeo[dask]" (dask, distributed, dask-geopandas)'


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - the extra is installed in the tests
        raise ShgeoError(f"running on a dask cluster needs dask.distributed ({exc}); {_INSTALL_HINT}") from None
    return distributed


def _workers(client: Any) -> int:
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # noqa: BLE001 - an unusual client: assume one worker
        return 1


def broadcast(client: Any, value: Any) -> Any:
    """Send *value* once to every worker of *client*; returns the future tasks take in its place."""
    return client.scatter(value, broadcast=True, hash=False)


def run_partitions(client: Any, frame: gpd.GeoDataFrame, shared: Any, fn: Callable[..., T], *,
                   partitions: int | None = None, progress: bool | None = None, **kwargs: Any) -> list[T]:
    """``fn(partition, shared, **kwargs)`` for each dask-geopandas partition of *frame*, on *client*'s workers.

    *shared* (e.g. the layer library) is scattered once to every worker.  *partitions*:
    how many (default four per worker, at most one per row).  Results come back in
    partition order; a progress bar counts rows as partitions finish (on a terminal,
    unless *progress* is False).
    """
    import dask
    import dask_geopandas
    from tqdm.auto import tqdm

    distributed = _distributed()
    if len(frame) == 0:
        return []
    n = partitions or 4 * _workers(client)
    n = max(1, min(int(n), len(frame)))
    ddf = dask_geopandas.from_geopandas(frame.reset_index(drop=True), npartitions=n)
    sizes = [len(range(*ddf.divisions[k:k + 2])) for k in range(ddf.npartitions)] if ddf.known_divisions else None
    if sizes is not None and ddf.npartitions:
        sizes[-1] += 1  # the last division is inclusive
    shared_future = broadcast(client, shared)
    tasks = [dask.delayed(fn, pure=False)(part, shared_future, **kwargs) for part in ddf.to_delayed()]
    futures = client.compute(tasks)
    index = {f.key: k for k, f in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    disable = None if progress is None else not progress
    with tqdm(total=len(frame), desc="screening", unit="project", disable=disable, file=sys.stderr) as bar:
        for future in distributed.as_completed(futures):
            k = index[future.key]
            results[k] = future.result()
            bar.update(sizes[k] if sizes else len(frame) // len(futures))
    return results


@contextmanager
def local_client(workers: int, *, threads_per_worker: int = 1, memory_limit: str | None = "auto"
                 ) -> Iterator[Any]:
    """A ``dask.distributed`` LocalCluster of *workers* processes and a client on it (closed on exit)."""
    distributed = _distributed()
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=True,
                                  dashboard_address=None, memory_limit=memory_limit) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A client on the running dask scheduler at *address* (``tcp://host:8786``), closed on exit."""
    distributed = _distributed()
    try:
        client = distributed.Client(address, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise ShgeoError(f"cannot reach the dask scheduler at {address}: {exc}; start one with "
                         "`dask scheduler` and workers with `dask worker ADDRESS`, or use --workers N") from None
    try:
        yield client
    finally:
        client.close()
