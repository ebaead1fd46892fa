"""Where runs go: this process, a local process pool, or a Dask cluster.

Runs are independent, so any executor will do; minigrad builds none of its own.

* ``SerialExecutor``: one run at a time in this process (``--workers 1``).
* ``PoolExecutor``: ``concurrent.futures.ProcessPoolExecutor`` with N worker
  processes, each limited to one BLAS thread (``--workers N``).
* ``DaskExecutor``: a ``dask.distributed`` cluster (``--scheduler ADDRESS``, or
  ``--scheduler local`` for a ``LocalCluster`` of N single-threaded worker
  processes on this machine). Needs the ``cluster`` extra.

All three offer ``submit(spec)``, ``wait(futures)`` (the ones that finished,
after at least one did) and ``capacity`` (how many runs can be working at
once); the sweep keeps at most ``capacity`` runs submitted, so what the
progress view calls "running" is running.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Iterable
from typing import Any

from minigrad.errors import MinigradError, OptionError

from .spec import RunSpec
from .worker import LoggerFactory, execute, init_worker, worker_version


class _Done:
    """A finished future of the serial executor (``result()`` returns or re-raises)."""

    def __init__(self, spec: RunSpec, make_logger: LoggerFactory | None) -> None:
        self.spec, self.make_logger = spec, make_logger

    def result(self) -> dict[str, Any]:
        return execute(self.spec, self.make_logger)


class SerialExecutor:
    """Runs each spec in this process when it is waited for."""

    capacity = 1
    description = "this process"

    def __init__(self, make_logger: LoggerFactory | None = None) -> None:
        self.make_logger = make_logger

    def submit(self, spec: RunSpec) -> Any:
        """A future whose ``result()`` runs the spec."""
        return _Done(spec, self.make_logger)

    def wait(self, futures: Iterable[Any]) -> list[Any]:
        """The first one (it runs when its result is read)."""
        return list(futures)[:1]

    def close(self) -> None:
        """Nothing to release."""


class PoolExecutor:
    """A local process pool of ``workers`` processes, one BLAS thread each."""

    def __init__(self, workers: int, make_logger: LoggerFactory | None = None) -> None:
        # "spawn": a fresh interpreter per worker, the same on Linux, macOS and Windows, and
        # safe while this process runs threads (the live view redraws from one).
        context = multiprocessing.get_context("spawn")
        self.pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=init_worker
        )
        self.capacity = workers
        self.make_logger = make_logger
        self.description = f"a local pool of {workers} processes"

    def submit(self, spec: RunSpec) -> Any:
        """Send the run to a worker process."""
        return self.pool.submit(execute, spec, self.make_logger)

    def wait(self, futures: Iterable[Any]) -> list[Any]:
        """Block until at least one finishes; return the finished ones."""
        done, _ = concurrent.futures.wait(
            list(futures), return_when=concurrent.futures.FIRST_COMPLETED
        )
        return list(done)

    def close(self) -> None:
        """Stop the workers (runs not started are cancelled)."""
        self.pool.shutdown(wait=False, cancel_futures=True)


def _distributed() -> Any:
    try:
        import dask.distributed as distributed
    except ImportError:
        raise OptionError(
            "--scheduler needs dask.distributed: pip install 'minigrad[cluster]' "
            "(or `pip install -e '.[cluster]'` in a checkout)"
        ) from None
    return distributed


class DaskExecutor:
    """A ``dask.distributed`` client: a cluster at ``address``, or a LocalCluster ("local")."""

    def __init__(
        self, address: str, workers: int = 2, make_logger: LoggerFactory | None = None
    ) -> None:
        distributed = _distributed()
        self.distributed = distributed
        self.cluster = None
        if address == "local":
            self.cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self.client = distributed.Client(self.cluster)
            self.description = f"a Dask LocalCluster of {workers} worker processes"
        else:
            try:
                self.client = distributed.Client(address, timeout="20s")
            except OSError as exc:
                raise MinigradError(
                    f"cannot reach the Dask scheduler at {address}: {exc}. Start one with "
                    "`dask scheduler` and `dask worker ADDRESS --nthreads 1` (see docs/shootout.md)"
                ) from exc
            self.description = f"the Dask cluster at {address}"
        self._check_workers()
        self.make_logger = make_logger

    def _check_workers(self) -> None:
        versions = self.client.run(worker_version)
        mine = worker_version()
        wrong = {w: v for w, v in versions.items() if v != mine}
        if wrong:
            raise MinigradError(
                f"Dask workers run other minigrad versions than this client ({mine}): {wrong}; "
                "install the same minigrad (and the same cell plugins) on every worker"
            )
        self.client.run(init_worker)
        self.capacity = max(1, sum(self.client.nthreads().values()))

    def submit(self, spec: RunSpec) -> Any:
        """Send the run to the cluster (``pure=False``: a resubmitted run runs again)."""
        return self.client.submit(execute, spec, self.make_logger, pure=False, key=spec.key)

    def wait(self, futures: Iterable[Any]) -> list[Any]:
        """Block until at least one finishes; return the finished ones."""
        done, _ = self.distributed.wait(list(futures), return_when="FIRST_COMPLETED")
        return list(done)

    def close(self) -> None:
        """Disconnect (and stop the LocalCluster if this executor started it)."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(
    workers: int = 1, scheduler: str | None = None, make_logger: LoggerFactory | None = None
) -> Any:
    """The executor the options ask for (see the module docstring)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise OptionError(f"--workers must be a positive integer, got {workers!r}")
    if scheduler:
        return DaskExecutor(scheduler, workers, make_logger)
    if workers == 1:
        return SerialExecutor(make_logger)
    return PoolExecutor(workers, make_logger)
