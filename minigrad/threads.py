"""How many threads the BLAS library behind NumPy may use, and choosing that number by measurement.

Why it matters: NumPy's matrix products run in a BLAS library (OpenBLAS here, MKL
elsewhere) with one worker thread per core. On a quiet machine that helps large
products. On a busy one (a browser, a second training run) the workers wait for
each other at every product while the scheduler hands their cores to other
processes, and a training step can become ten times slower instead of two. One
thread never waits for another, so it degrades in proportion to the cores it
shares.

No rule picks the right number for every machine and load, so ``ThreadTuner``
measures: it times a few real steps with each candidate (1 and the number of
cores), keeps the faster, and measures again every so often because the load
changes. ``set_blas_threads`` and ``blas_thread_limit`` fix the number by hand;
the environment variable ``MINIGRAD_BLAS_THREADS`` fixes it for the tuner too.

The thread pools are found and limited with threadpoolctl (the library
scikit-learn uses for the same job), which knows OpenBLAS, MKL and BLIS.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from threadpoolctl import ThreadpoolController

from minigrad.errors import OptionError

#: Environment variable that fixes the number of BLAS threads (the tuner then only obeys).
ENV_VAR = "MINIGRAD_BLAS_THREADS"

T = TypeVar("T")


_controller: ThreadpoolController | None = None


def _blas() -> list[Any]:
    """threadpoolctl's handle on each BLAS library loaded (found once, then reused)."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return [lib for lib in _controller.lib_controllers if lib.user_api == "blas"]


def refresh() -> None:
    """Look for BLAS libraries again (after importing one more, e.g. torch)."""
    global _controller
    _controller = None


def blas_libraries() -> list[dict[str, Any]]:
    """The BLAS libraries loaded in this process: name, version and current threads each."""
    return [
        {
            "library": lib.internal_api,
            "version": lib.version,
            "threads": lib.get_num_threads(),
            "architecture": getattr(lib, "architecture", None),
        }
        for lib in _blas()
    ]


def blas_threads() -> int | None:
    """The threads the (first) BLAS library may use now; None if no BLAS is loaded."""
    libraries = _blas()
    return libraries[0].get_num_threads() if libraries else None


def core_count() -> int:
    """The cores this process may run on (its CPU affinity, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _check(threads: int) -> int:
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise OptionError(f"BLAS threads must be a positive int, got {threads!r}")
    return threads


def set_blas_threads(threads: int) -> None:
    """Let every BLAS library in this process use at most ``threads`` threads from now on."""
    _check(threads)
    for lib in _blas():
        lib.set_num_threads(threads)


@contextmanager
def blas_thread_limit(threads: int) -> Iterator[None]:
    """Within the block, BLAS uses at most ``threads`` threads; the old limits come back after."""
    _check(threads)
    before = [(lib, lib.get_num_threads()) for lib in _blas()]
    for lib, _ in before:
        lib.set_num_threads(threads)
    try:
        yield
    finally:
        for lib, n in before:
            lib.set_num_threads(n)


#: Environment variables that change how many threads a library starts or how they wait.
THREAD_ENV_PREFIXES = ("MINIGRAD_BLAS", "OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_", "BLIS_")


def thread_settings() -> dict[str, Any]:
    """Everything that decides how many threads this process computes with, for a report.

    The cores it may run on; every thread pool loaded now (BLAS libraries and
    OpenMP runtimes, as threadpoolctl finds them: library, version, threads);
    and the environment variables that set them (``OMP_NUM_THREADS``,
    ``OPENBLAS_*``, ``MKL_*`` ...). Benchmarks write it next to each timing,
    since the same code can differ by 10x with another setting.
    """
    pools = [
        {
            "kind": info.get("user_api"),
            "library": info.get("internal_api"),
            "version": info.get("version"),
            "threads": info.get("num_threads"),
        }
        for info in ThreadpoolController().info()
    ]
    env = {k: v for k, v in sorted(os.environ.items()) if k.startswith(THREAD_ENV_PREFIXES)}
    return {"cores": core_count(), "pools": pools, "env": env}


def other_load(window: float = 0.2) -> float | None:
    """How many cores other processes keep busy, measured over ``window`` seconds.

    The busy CPU time (``/proc/stat``) of the cores this process may run on,
    minus this process's own, per second of wall time: 0.0 on a quiet machine,
    about 2.0 with two busy processes. Only those cores are counted, so a
    container pinned to 2 of a host's 64 cores sees its own 2. None where
    ``/proc/stat`` does not exist (not Linux).
    """
    try:
        cpus = {f"cpu{n}" for n in os.sched_getaffinity(0)}
        hz = os.sysconf("SC_CLK_TCK")
        start, own, busy = time.monotonic(), time.process_time(), _busy_ticks(cpus)
        time.sleep(window)
        elapsed = time.monotonic() - start
        others = (_busy_ticks(cpus) - busy) / hz - (time.process_time() - own)
    except (OSError, ValueError, AttributeError):
        return None
    return max(0.0, others / elapsed)


def _busy_ticks(cpus: set[str]) -> int:
    """Clock ticks ``cpus`` spent busy since boot (user, nice, system, irq, softirq, steal)."""
    total = 0
    with open("/proc/stat", encoding="ascii") as stat:
        for line in stat:
            name, *values = line.split()
            if name in cpus:
                fields = [int(v) for v in values[:8]]
                total += sum(fields) - fields[3] - fields[4]  # not idle, not waiting for I/O
    return total


def threads_from_env() -> int | None:
    """``MINIGRAD_BLAS_THREADS`` as an int, None when unset or empty; bad values raise."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return None
    try:
        return _check(int(raw))
    except ValueError:
        raise OptionError(f"{ENV_VAR} must be a positive integer, got {raw!r}") from None


class ThreadTuner:
    """Runs steps (``tuner.run(step)``) with the BLAS thread count that measured fastest.

    The first ``probe_steps * len(candidates)`` steps are the measurement: the
    candidates take turns, and each step's wall time counts for its candidate.
    The tuner then keeps the one with the smallest median, and measures again
    after every ``retune_every`` further steps, since the machine's load changes
    while a long run goes on. ``fixed`` (or ``MINIGRAD_BLAS_THREADS``) skips the
    measurement. Every step does real work: measuring costs no steps, only the
    time some of them spend with the slower setting. The choice stays in force
    for the whole process (it is a process-wide setting of the BLAS library)
    until ``restore()``.

    ``give_up`` (optional): a candidate whose step takes more than ``give_up``
    times the fastest median measured so far is timed no further in this
    measurement. On a busy machine a step with every core's threads can take
    ten times longer; three of them would waste a minute of a short run.

    Before each measurement the tuner looks at how many cores other processes
    keep busy (``load_probe``; ``other_load``, 0.2 s, unless candidates are
    given). A candidate needing more threads than there are free cores is not
    even tried: on a machine whose cores are taken, the one step it would cost
    is the slowest of the run.
    """

    def __init__(
        self,
        candidates: tuple[int, ...] | None = None,
        probe_steps: int = 3,
        retune_every: int = 500,
        fixed: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
        give_up: float | None = None,
        load_probe: Callable[[], float | None] | None = None,
    ) -> None:
        fixed = fixed if fixed is not None else threads_from_env()
        if load_probe is None and fixed is None and candidates is None:
            load_probe = other_load  # explicit candidates are all tried
        if fixed is not None:
            candidates = (_check(fixed),)
        elif candidates is None:
            candidates = tuple(dict.fromkeys((1, core_count())))
        self.candidates = tuple(_check(c) for c in candidates)
        if probe_steps < 1 or retune_every < 1:
            raise OptionError("ThreadTuner: probe_steps and retune_every must be at least 1")
        self.probe_steps = probe_steps
        self.retune_every = retune_every
        self.clock = clock
        self.give_up = give_up
        self.load_probe = load_probe
        #: Cores other processes kept busy when the latest measurement began (None: not looked).
        self.others: float | None = None
        #: Candidates given up on during the current measurement (see ``give_up``).
        self.dropped: set[int] = set()
        self.chosen: int = self.candidates[0]
        self._original = blas_threads()
        self._applied: int | None = None
        #: Seconds per step measured for each candidate in the latest measurement.
        self.timings: dict[int, list[float]] = {}
        self._since_choice = 0
        self._probing = len(self.candidates) > 1

    @property
    def measuring(self) -> bool:
        """True while the steps are being timed under each candidate in turn."""
        return self._probing

    def run(self, step: Callable[[], T]) -> T:
        """Run one ``step()`` under the current choice (or the candidate being measured)."""
        if not self._probing:
            self._since_choice += 1
            if self._since_choice >= self.retune_every and len(self.candidates) > 1:
                self._probing, self.timings, self.dropped = True, {}, set()
            else:
                self._apply(self.chosen)
                return step()
        if not self.timings and not self.dropped:
            self._drop_what_the_free_cores_cannot_run()
        active = [c for c in self.candidates if c not in self.dropped]
        if len(active) == 1:
            self.chosen, self._probing, self._since_choice = active[0], False, 0
            self._apply(self.chosen)
            return step()
        done = sum(len(self.timings.get(c, [])) for c in active)
        threads = active[done % len(active)]
        self._apply(threads)
        start = self.clock()
        result = step()
        took = self.clock() - start
        self.timings.setdefault(threads, []).append(took)
        others = [_median(t) for c, t in self.timings.items() if c != threads]
        if self.give_up and others and len(active) > 1 and took > self.give_up * min(others):
            self.dropped.add(threads)
            active.remove(threads)
        if all(len(self.timings.get(c, [])) >= self.probe_steps for c in active):
            self.chosen = min(self.timings, key=lambda c: _median(self.timings[c]))
            self._probing, self._since_choice = False, 0
        return result

    def _drop_what_the_free_cores_cannot_run(self) -> None:
        """Before a measurement: skip the candidates other processes left no cores for."""
        if self.load_probe is None:
            return
        self.others = self.load_probe()
        if self.others is None:
            return
        free = core_count() - self.others
        self.dropped = {c for c in self.candidates if c > 1 and c > free + 0.5}
        if len(self.dropped) == len(self.candidates):  # keep the smallest
            self.dropped.discard(min(self.candidates))

    def _apply(self, threads: int) -> None:
        if threads != self._applied:
            set_blas_threads(threads)
            self._applied = threads

    def restore(self) -> None:
        """Give BLAS back the thread count it had before the tuner's first step."""
        if self._original is not None and self._applied is not None:
            set_blas_threads(self._original)
        self._applied = None

    def describe(self) -> str:
        """E.g. ``"1 BLAS thread (measured: 1 -> 41 ms/step, 2 -> 380 ms/step)"``."""
        noun = "thread" if self.chosen == 1 else "threads"
        skipped = sorted(self.dropped - set(self.timings))
        if skipped and self.others is not None:
            busy = f"other programs keep {self.others:.1f} of {core_count()} cores busy"
            return f"{self.chosen} BLAS {noun} ({busy}; {_listed(skipped)} not tried)"
        if not self.timings or len(self.candidates) == 1:
            return f"{self.chosen} BLAS {noun}"
        measured = ", ".join(
            f"{c} -> {_median(t) * 1000:.0f} ms/step" for c, t in sorted(self.timings.items())
        )
        return f"{self.chosen} BLAS {noun} (measured: {measured})"


def _listed(counts: list[int]) -> str:
    return " or ".join(map(str, counts)) + " threads"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
