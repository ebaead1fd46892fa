"""What runs on a worker: ``execute(spec)`` trains one model and returns its record.

The same function runs in this process, in a local process pool or on a Dask
worker, and gives the same numbers in all three: every run seeds minigrad from
its own seed, draws its data from that seed, and limits the BLAS library to one
thread (results of a threaded product can depend on how the work was split,
and one thread per worker is also the fastest way to share the cores).
"""

from __future__ import annotations

import math
import platform
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.errors import MinigradError, NumericalError
from minigrad.threads import blas_thread_limit, set_blas_threads

from .spec import RunSpec
from .tasks import get_task
from .tasks.base import NullLogger, RunLogger

#: Builds the logger of one run from its ``run_name`` (a sub-folder per run); see RunLogger.
LoggerFactory = Callable[[str], RunLogger]


def init_worker() -> None:
    """Process-pool initializer: one BLAS thread in this worker process."""
    set_blas_threads(1)


def worker_version() -> str:
    """The minigrad version a worker runs (a cluster must match the client's)."""
    return mg.__version__


def execute(spec: RunSpec, make_logger: LoggerFactory | None = None) -> dict[str, Any]:
    """Train the run ``spec`` describes and return its record (see ``record`` fields below).

    A run whose loss stops being finite is recorded as ``status: "diverged"``
    with no metric; any other error of the cell or task as ``"failed"`` with
    the message, so one broken plugin does not stop a sweep.
    """
    record: dict[str, Any] = {
        "key": spec.key,
        **spec.as_dict(),
        "status": "ok",
        "metric": None,
        "test": None,
        "seconds": 0.0,
        "steps": 0,
        "curve": [],
        "host": platform.node(),
    }
    logger = make_logger(spec.run_name) if make_logger is not None else NullLogger()
    cpu_began = time.process_time()
    try:
        # A diverging run overflows on its way to NaN; the NaN is caught and recorded below.
        with blas_thread_limit(1), np.errstate(over="ignore", invalid="ignore"):
            outcome = get_task(spec.task).run(spec, logger)
        record.update(
            metric=outcome.metric,
            test=outcome.test,
            seconds=round(outcome.seconds, 3),
            steps=outcome.steps,
            curve=outcome.curve,
            **outcome.extra,
        )
        if not all(math.isfinite(v) for v in (outcome.metric, outcome.test)):
            record.update(status="diverged", metric=None, test=None, error="non-finite loss")
    except NumericalError as exc:
        record.update(status="diverged", error=str(exc))
    except (MinigradError, ArithmeticError, ValueError, TypeError) as exc:
        lines = traceback.format_exception_only(type(exc), exc)
        record.update(status="failed", error="".join(lines).strip())
    finally:
        logger.close()
    # CPU time shows what a run costs on a busy machine, where wall-clock time also
    # counts the time other programs held the core.
    record["cpu_seconds"] = round(time.process_time() - cpu_began, 3)
    return record
