"""Recurrent training-step benchmark: minigrad composed and fused cells against a
hand-written NumPy implementation and, when installed, PyTorch.

One command, the tables, the targets and a JSON file::

    python benchmarks/bench_rnn.py                 # W1-W4 on the CPU, quiet and busy
    python benchmarks/bench_rnn.py --quick         # tiny smoke run (CI)
    python benchmarks/bench_rnn.py --device cuda   # minigrad on CuPy (+ torch CUDA)
    python benchmarks/bench_rnn.py --json out.json

Every implementation of every workload runs in its own fresh process, with the
same seed, the same batches and the same thread settings, and only one of them
works at a time (``isolated.py`` says why: libraries sharing a process share
the cores badly). Rounds alternate the order of the implementations, so a slow
moment of the machine hits all of them alike; only ratios from one run are
meaningful. Two conditions:

* ``quiet``: every library of every implementation uses ``--threads`` threads
  (default: one per core): the code is compared, not the thread choice;
* ``busy``: one competing busy process per core (a student's laptop with a
  browser open). NumPy by hand and PyTorch keep their threads; minigrad picks
  its BLAS threads with ``minigrad.threads.ThreadTuner``, as lesson 3 does.

The workloads are in ``rnn_workloads.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_core import machine_info  # noqa: E402
from busy import busy_cores  # noqa: E402
from isolated import Worker, run_rounds  # noqa: E402
from rnn_workloads import (  # noqa: E402
    COMPOSED,
    FUSED,
    FUSED_NUMPY,
    NUMPY,
    QUICK,
    STATIC,
    TORCH_FUSED,
    WORKLOADS,
    Workload,
    implementations,
    torch_available,
)

from minigrad.threads import core_count  # noqa: E402

CONDITIONS = ("quiet", "busy")


def worker_env(threads: int) -> dict[str, str]:
    """The thread variables every worker starts with (the same for all of them)."""
    return {
        name: str(threads)
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }


def measure(w: Workload, impls: list[str], condition: str, args: argparse.Namespace) -> dict:
    """One workload under one condition: per implementation, ms per step and its worker's record."""
    spec = {"workload": w.name, "quick": args.quick, "device": args.device}
    spec.update(threads_per_library=args.threads, tuned=condition == "busy")
    env = worker_env(args.threads)
    workers = [Worker(name, "rnn_workloads:build", {**spec, "impl": name}, env) for name in impls]
    try:
        for worker in workers:  # all built (imports done) before any warm-up is timed
            worker.request("ping")
        with busy_cores(core_count() if condition == "busy" else 0):
            for worker in workers:  # one at a time: the tuner measures on a machine like the run's
                worker.warm_up()
            steps = steps_per_round(w, args)
            per_round = run_rounds(workers, args.rounds, steps, args.settle, args.clock)
        results = {}
        for worker in workers:
            times = per_round[worker.label]
            results[worker.label] = {
                "median_ms": statistics.median(times),
                "min_ms": min(times),
                "max_ms": max(times),
                "round_ms": times,
                "gflops": w.flops() / (statistics.median(times) / 1e3) / 1e9,
                "pid": worker.pid,
                "worker": worker.info,
            }
        base = results.get(NUMPY) or results[FUSED]
        for res in results.values():
            res["vs_numpy"] = res["median_ms"] / base["median_ms"]
        if condition == "quiet" and w.name == "W3" and args.device == "cpu":
            by_name = dict(zip(impls, workers))
            memory = {n: by_name[n].request("memory")["peak_memory_mb"] for n in (FUSED, NUMPY)}
            return {"results": results, "peak_memory_mb": memory}
        return {"results": results}
    finally:
        for worker in workers:
            worker.close()


def steps_per_round(w: Workload, args: argparse.Namespace) -> int:
    """Steps timed per round: one for the quick run and for W3 (long steps), else five."""
    return 1 if (args.quick or w.name == "W3") else 5


def gemm_peak_gflops(args: argparse.Namespace) -> float:
    """The float32 matrix-product speed with ``--threads`` threads, in a process of its own."""
    size = 256 if args.quick else 1024
    worker = Worker("gemm", "rnn_workloads:gemm_subject", {"size": size}, worker_env(args.threads))
    try:
        worker.warm_up()
        best_ms = min(worker.time_steps(5, args.clock))
    finally:
        worker.close()
    return 2 * size**3 / (best_ms / 1e3) / 1e9


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke run")
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--rounds", type=int, default=None, help="rounds per condition")
    parser.add_argument("--threads", type=int, default=core_count(), help="threads per library")
    parser.add_argument(
        "--conditions", default=",".join(CONDITIONS), help="quiet, busy or both (quiet,busy)"
    )
    parser.add_argument("--settle", type=float, default=None, help="pause between workers, s")
    parser.add_argument(
        "--clock",
        default="wall",
        choices=["wall", "cpu"],
        help="wall time (default) or each process's CPU time (steadier on a shared machine, "
        "with --threads 1)",
    )
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--json", dest="json_path", default=None)
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (2 if args.quick else 7)
    args.settle = args.settle if args.settle is not None else (0.02 if args.quick else 0.2)
    args.conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    for c in args.conditions:
        if c not in CONDITIONS:
            parser.error(f"--conditions: {c!r} is not one of {', '.join(CONDITIONS)}")
    table = QUICK if args.quick else WORKLOADS
    args.workloads = [name.strip() for name in args.workloads.split(",")]
    for name in args.workloads:
        if name not in table:
            parser.error(f"--workloads: {name!r} is not one of {', '.join(table)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables (see the module docstring)."""
    args = parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        # A benchmark stopped with kill: unwind, so that workers and busy processes stop too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    table = QUICK if args.quick else WORKLOADS
    has_torch = torch_available() and not args.no_torch
    report: dict[str, Any] = {
        "device": args.device,
        "quick": args.quick,
        "machine": machine_info(),
        "settings": {
            "threads_per_library": args.threads,
            "clock": args.clock,
            "rounds": args.rounds,
            "settle_s": args.settle,
            "conditions": args.conditions,
            "worker_env": worker_env(args.threads),
            "parent_pid": os.getpid(),
        },
        "workloads": {},
    }
    print(f"machine: {report['machine']}")
    print(
        f"each implementation in its own process; {args.threads} thread(s) per library; "
        f"{args.rounds} rounds, alternating order; {args.clock} time"
    )
    if args.device == "cpu":
        report["gemm_peak_gflops"] = gemm_peak_gflops(args)
        print(f"float32 GEMM peak on this machine: {report['gemm_peak_gflops']:.0f} GFLOP/s")
    for name in args.workloads:
        w = table[name]
        impls = implementations(w, args.device, args.quick, has_torch)
        entry: dict[str, Any] = {"config": w.__dict__}
        for condition in args.conditions:
            entry[condition] = measure(w, impls, condition, args)
        report["workloads"][name] = entry
        print_workload(w, entry)
    report["targets"] = targets(report)
    print_targets(report["targets"])
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(report, fh, indent=2)
        print(f"wrote {args.json_path}")
    return 0


# ------------------------------------------------------------------- report
def threads_label(res: dict) -> str:
    """How many BLAS threads an implementation ran with, as the table shows it."""
    info = res["worker"]
    if "tuned_threads" in info:
        return f"tuned {info['tuned_threads']}"
    return str(info.get("torch_threads", info.get("blas_threads", "?")))


def print_workload(w: Workload, entry: dict) -> None:
    """One workload's rows per condition: ms per step, GFLOP/s, ratio to NumPy by hand."""
    print(
        f"\n{w.name}: {w.cell} hidden {w.hidden} x {w.layers} layer(s), batch {w.batch} x "
        f"{w.steps} steps, vocab {w.vocab}, embedding {w.embed or 'one-hot'}"
    )
    quiet = entry.get("quiet", {}).get("results", {})
    for condition in CONDITIONS:
        if condition not in entry:
            continue
        extra = "x quiet" if condition == "busy" and quiet else ""
        print(
            f"  [{condition}] {'implementation':28s} {'median ms':>10s} {'min':>8s} {'max':>8s} "
            f"{'GFLOP/s':>8s} {'x numpy':>8s} {'threads':>8s} {extra:>8s}"
        )
        for impl, r in entry[condition]["results"].items():
            slow = f"{r['median_ms'] / quiet[impl]['median_ms']:8.2f}" if extra else ""
            print(
                f"  {'':{len(condition) + 2}s} {impl:28s} {r['median_ms']:10.2f} "
                f"{r['min_ms']:8.2f} {r['max_ms']:8.2f} {r['gflops']:8.1f} "
                f"{r['vs_numpy']:8.2f} {threads_label(r):>8s} {slow}"
            )
    mem = entry.get("quiet", {}).get("peak_memory_mb")
    if mem:
        print(
            f"  peak memory: minigrad fused {mem[FUSED]:.0f} MB, numpy by hand "
            f"{mem[NUMPY]:.0f} MB (ratio {mem[FUSED] / mem[NUMPY]:.2f})"
        )


def _ratio(report: dict, name: str, a: str, b: str, condition: str = "quiet") -> float | None:
    res = report["workloads"].get(name, {}).get(condition, {}).get("results", {})
    if a in res and b in res:
        return res[a]["median_ms"] / res[b]["median_ms"]
    return None


def _slowdown(report: dict, name: str, impl: str) -> float | None:
    entry = report["workloads"].get(name, {})
    if "quiet" in entry and "busy" in entry and impl in entry["busy"]["results"]:
        busy = entry["busy"]["results"][impl]["median_ms"]
        return busy / entry["quiet"]["results"][impl]["median_ms"]
    return None


def _memory_ratio(report: dict) -> float | None:
    entry = report["workloads"].get("W3", {}).get("quiet", {})
    if "peak_memory_mb" in entry:
        return entry["peak_memory_mb"][FUSED] / entry["peak_memory_mb"][NUMPY]
    return None


def _gemm_share(report: dict) -> float | None:
    entry = report["workloads"].get("W3", {}).get("quiet", {})
    if entry and "gemm_peak_gflops" in report:
        return entry["results"][FUSED]["gflops"] / report["gemm_peak_gflops"]
    return None


@dataclass(frozen=True)
class Target:
    """One target: its label, limit, direction, and what it measures.

    ``measure(report, fused)`` returns the value (None when this run did not
    measure it); ``fused`` is the implementation standing for minigrad's fused
    cells. ``numpy_steps_too``: repeat the target for the NumPy steps.
    """

    label: str
    limit: float
    measure: Callable[[dict, str], float | None]
    at_least: bool = False
    numpy_steps_too: bool = False


def _fused_vs(name: str, other: str) -> Callable[[dict, str], float | None]:
    """Measures ``name``'s fused cells (compiled or NumPy steps) against ``other``."""
    return lambda report, fused: _ratio(report, name, fused, other)


TARGETS: list[Target] = [
    Target("W2 fused / numpy by hand", 1.0, _fused_vs("W2", NUMPY), numpy_steps_too=True),
    Target("W3 fused / numpy by hand", 1.0, _fused_vs("W3", NUMPY), numpy_steps_too=True),
    Target("W4 fused / numpy by hand", 1.0, _fused_vs("W4", NUMPY), numpy_steps_too=True),
    Target("W2 fused / torch fused LSTM", 1.25, _fused_vs("W2", TORCH_FUSED), numpy_steps_too=True),
    Target("W4 fused / torch fused GRU", 0.8, _fused_vs("W4", TORCH_FUSED), numpy_steps_too=True),
    Target("W3 fused / torch fused LSTM", 1.5, _fused_vs("W3", TORCH_FUSED)),
    Target(
        "W1 static lesson cell / torch fused RNN",
        1.0,
        lambda r, f: _ratio(r, "W1", STATIC, TORCH_FUSED),
    ),
    Target("W2 composed / fused", 3.0, lambda r, f: _ratio(r, "W2", COMPOSED, FUSED)),
    Target("W3 peak memory fused / numpy", 1.3, lambda r, f: _memory_ratio(r)),
    Target("W3 fused share of GEMM peak", 0.45, lambda r, f: _gemm_share(r), at_least=True),
    Target("W2 fused busy / quiet", 2.0, lambda r, f: _slowdown(r, "W2", FUSED)),
    Target("W4 fused busy / quiet", 2.0, lambda r, f: _slowdown(r, "W4", FUSED)),
]


def targets(report: dict) -> list[dict]:
    """Every target measured in this run, with its value and whether it is met.

    ``minigrad fused`` is what a user gets: the compiled steps where numba is
    installed. Where the NumPy steps were measured too, the targets marked
    ``numpy_steps_too`` are repeated for them, marked "(NumPy steps)".
    """
    checks = [(t, t.label, FUSED) for t in TARGETS]
    checks += [
        (t, t.label.replace("fused", "fused (NumPy steps)", 1), FUSED_NUMPY)
        for t in TARGETS
        if t.numpy_steps_too
    ]
    rows = []
    for target, label, fused in checks:
        value = target.measure(report, fused)
        if value is not None:
            met = value >= target.limit if target.at_least else value <= target.limit
            row = {"target": label, "value": value, "limit": target.limit, "met": met}
            rows.append({**row, "at_least": target.at_least})
    return rows


def print_targets(rows: list[dict]) -> None:
    """The targets with the measured ratios (rows that need torch or a busy run may be absent)."""
    print("\nTargets (ratios of medians from this run; quiet unless it says busy):")
    for row in rows:
        sign = ">=" if row["at_least"] else "<="
        verdict = "met" if row["met"] else "MISSED"
        print(
            f"  {row['target']:42s} {row['value']:6.2f}  target {sign} {row['limit']:<5} {verdict}"
        )


if __name__ == "__main__":
    sys.exit(main())
