"""Running a sweep's runs on Dask: a LocalCluster on this machine, or an existing scheduler.

:class:`DaskExecutor` has the :meth:`~batchsim.sweeps.runner.Executor.map_unordered` of the
other executors, so the sweep files its rows by run number and ``runs.csv`` is the same, byte
for byte, as with the process pool. Dask is an optional extra (``pip install
'batchsim[dask]'``); this module imports it only when an executor runs, so batchsim imports
without it.
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from batchsim.api import package_version
from batchsim.errors import DaskClusterLost, DaskUnavailable
from batchsim.sweeps.chunks import Chunks, point_of, run_chunk

T = TypeVar("T")
R = TypeVar("R")
LOCAL = "local"
"""The address that starts a ``distributed.LocalCluster`` instead of connecting to one."""
CONNECT_TIMEOUT_S = 10.0
"""How long to wait for a scheduler before giving up (seconds)."""
LOCAL_CONFIG = {
    "distributed.worker.multiprocessing-method": "fork",
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
}
"""Dask settings of a LocalCluster: workers forked, not spawned, not profiled, and their event
loops checked once a second instead of every 20 ms (see :func:`start_local_cluster`)."""
DASHBOARD = "127.0.0.1:0"
"""Where a LocalCluster serves its HTTP endpoints: any free port on this machine only (Dask's
default, 8787 on every interface, clashes with a second cluster)."""


def require_dask() -> None:
    """Raise DaskUnavailable unless ``dask.distributed`` can be imported."""
    if importlib.util.find_spec("distributed") is None or importlib.util.find_spec("dask") is None:
        raise DaskUnavailable(
            "--dask needs Dask distributed, which is not installed; "
            "install it with: pip install 'batchsim[dask]'"
        )


class DaskExecutor:
    """Runs tasks on Dask workers in chunks of about ``CHUNK_S``, two chunks per worker thread
    submitted at a time.

    ``address`` is "local" — start a ``distributed.LocalCluster`` of ``workers`` processes
    (None: one per core) with one thread each, for the length of one sweep — or a scheduler's
    address such as ``tcp://host:8786``, whose workers must have the same batchsim installed.
    Raises DaskUnavailable when Dask is not installed, and ValueError for ``workers`` below 1
    or given with a scheduler address (the cluster has its own workers).
    """

    def __init__(self, address: str = LOCAL, workers: int | None = None):
        require_dask()
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be a whole number ≥ 1, got {workers!r}")
        if workers is not None and address != LOCAL:
            raise ValueError(
                f"workers sets the size of a local cluster; the scheduler at {address} has its own"
            )
        self.address, self.workers = address, workers
        self.timeout_s = CONNECT_TIMEOUT_S
        self._open: tuple[Any, Any] | None = None

    @contextmanager
    def session(self) -> Iterator[DaskExecutor]:
        """Keep one client (and LocalCluster) open for every :meth:`map_unordered` inside.

        A plan calls the executor once per round; without a session each call would connect
        (and start a LocalCluster) anew.
        """
        self._open = self._connect()
        try:
            yield self
        finally:
            opened, self._open = self._open, None
            _close(*opened)

    def map_unordered(
        self, function: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        """Yield ``(index, function(task))`` as the workers finish them."""
        from distributed import CancelledError, KilledWorker
        from distributed.comm import CommClosedError

        owned = self._open is None
        client, cluster = self._open if self._open is not None else self._connect()
        try:
            yield from _drain(client, function, tasks)
        except (CancelledError, KilledWorker, CommClosedError) as error:
            text = " ".join(str(error).split())
            raise DaskClusterLost(
                f"the Dask cluster at {self.address} failed during the sweep: "
                f"{type(error).__name__}: {text}"
            ) from error
        finally:
            if owned:
                _close(client, cluster)

    def _connect(self) -> tuple[Any, Any]:
        """Return a connected client and the LocalCluster it started (None for an address)."""
        from distributed import Client

        if self.address == LOCAL:
            cluster = start_local_cluster(self.workers)
            return Client(cluster), cluster
        try:
            client = Client(self.address, timeout=self.timeout_s)
        except (OSError, ValueError, TypeError) as error:
            raise DaskUnavailable(
                f"cannot reach the Dask scheduler at {self.address}: {error}"
            ) from error
        try:
            check_workers(client)
        except BaseException:
            client.close()
            raise
        return client, None


def _close(client: Any, cluster: Any) -> None:
    client.close()
    if cluster is not None:
        cluster.close()


def start_local_cluster(workers: int | None) -> Any:
    """Start a ``distributed.LocalCluster`` of ``workers`` processes (None: one per core),
    one thread each, quiet below errors, its workers forked from this process."""
    import dask
    from distributed import LocalCluster

    import batchsim.api  # noqa: F401  NOTE: loaded once here, so forked workers inherit it

    # NOTE: fork, not Dask's default spawn: a spawned worker imports distributed, pandas and
    # batchsim anew, seconds on a loaded machine for a cluster that lives one sweep. No
    # profiler (it samples the running thread every 10 ms) and a slow tick (20 ms by default):
    # both wake a worker's event loop, which then takes the GIL from the run. One thread per
    # process: a run holds the GIL from start to end.
    config = dict(LOCAL_CONFIG)
    if "fork" not in multiprocessing.get_all_start_methods():
        config.pop("distributed.worker.multiprocessing-method")  # NOTE: Windows: Dask's spawn
    with dask.config.set(config), _quiet_children():
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            dashboard_address=DASHBOARD, silence_logs=logging.ERROR,
        )  # fmt: skip


@contextmanager
def _quiet_children() -> Iterator[None]:
    """Fork workers that ignore Ctrl-C and end quietly on SIGTERM.

    NOTE: a terminal's Ctrl-C reaches the whole process group; the sweep's own process closes
    the cluster and keeps the finished runs, so its workers must not raise (and print) the
    CLI's interrupt. For these moments this process has the same dispositions.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # NOTE: only the main thread may change handlers
        return
    previous = (
        signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.signal(signal.SIGTERM, signal.SIG_DFL),
    )
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def installed_version() -> str:
    """Return the batchsim version of the process it runs in (sent to each worker by name)."""
    return package_version()


def check_workers(client: Any) -> None:
    """Raise DaskUnavailable unless every worker now connected runs this batchsim version."""
    wanted = package_version()
    found = client.run(installed_version, on_error="return")
    wrong = {
        address: f"no batchsim ({type(got).__name__})" if isinstance(got, BaseException) else got
        for address, got in sorted(found.items())
        if got != wanted
    }
    if wrong:
        listed = ", ".join(f"{address}: {got}" for address, got in wrong.items())
        raise DaskUnavailable(
            f"every Dask worker needs batchsim {wanted}, as here; found {listed}. "
            "Install the same batchsim in the workers' environment"
        )


def _threads(client: Any) -> int:
    """How many worker threads the cluster has now (at least one)."""
    return max(sum(client.nthreads().values()), 1)


def _drain(client: Any, function: Callable, tasks: Sequence) -> Iterator[tuple[int, Any]]:
    """Submit chunks, two per worker thread at a time; yield ``(index, result)`` as they finish.

    NOTE: the bound, re-read as workers come and go, keeps little work queued, so an
    interrupt loses few runs and the scheduler never holds the whole sweep.
    """
    from distributed import as_completed

    chunks, pending = Chunks(tasks, group=point_of), dict[Any, list[int]]()
    finished = as_completed()
    try:
        _top_up(client, function, chunks, pending, finished)
        for future in finished:
            indices = pending.pop(future)
            results, busy_s = future.result()
            chunks.record(indices, busy_s)
            _top_up(client, function, chunks, pending, finished)  # NOTE: before the caller's work
            yield from zip(indices, results, strict=True)
    finally:
        if pending:
            client.cancel(list(pending))


def _top_up(client, function, chunks: Chunks, pending: dict, finished) -> None:
    threads = _threads(client)
    while len(pending) < 2 * threads and (indices := chunks.take(threads)):
        batch = [chunks.tasks[index] for index in indices]
        future = client.submit(run_chunk, function, batch, pure=False)
        pending[future] = indices
        finished.add(future)
