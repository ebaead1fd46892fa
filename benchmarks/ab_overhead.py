"""Did a change make minigrad's per-op bookkeeping slower? Old and new code, A/B, interleaved.

Run ``python benchmarks/ab_overhead.py --base REV`` in a checkout (``--quick`` for a smoke
run). ``REV`` (a commit, tag or branch) is exported with ``git archive`` to a temporary
folder; the working tree is the other side. Each round starts one fresh process per side,
in alternating order (ABBA...), so both sides see the same machine noise and neither
always runs first. Each process times ``bench_core.py``'s ``mul_chain`` workload (32
chained products, forward and backward, per op) and ``mlp_step`` (one SGD step of a small
MLP, whose parameters have been updated in place, so every check a change adds for
written tensors runs), with this checkout's ``bench_core.py`` for both sides: only the
library differs.

Printed: each side's median over the rounds, the median of the per-round differences
(new - old, in microseconds per op or per step) with the range of its middle half, and
how many rounds the new code was the slower one. On a noisy machine read the median
difference, not a single round. ``--callgrind`` adds an exact, noise-free figure: the CPU
instructions per op of ``mul_chain`` counted by valgrind (the difference between two run
lengths, so the start-up cost cancels out); it needs valgrind and takes a minute or two.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import callgrind
from bench_core import CHAIN

ROOT = Path(__file__).resolve().parents[1]

#: Times both workloads in a child process; the library comes from ``PYTHONPATH``.
CHILD = r"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("bench_core", sys.argv[1])
bench = sys.modules["bench_core"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
import numpy as np
import minigrad as mg
mg.backend.keep_freed_memory()
iterations, repeats = int(sys.argv[2]), int(sys.argv[3])
out = {"minigrad_file": mg.__file__}
for name, make in (("mul_chain", bench.make_mul_chain), ("mlp_step", bench.make_mlp_step)):
    step, _ = make(np.random.default_rng(0))
    bench.time_per_call(step, max(1, iterations // 4))
    best = min(bench.time_per_call(step, iterations) for _ in range(repeats))
    out[name] = best / (bench.CHAIN if name == "mul_chain" else 1)
print(json.dumps(out))
"""

#: Runs ``mul_chain`` a given number of times, for callgrind's instruction counts.
CALLGRIND_CHILD = r"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("bench_core", sys.argv[1])
bench = sys.modules["bench_core"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
import numpy as np
step, _ = bench.make_mul_chain(np.random.default_rng(0))
for _ in range(int(sys.argv[2])):
    step()
"""


def export_revision(revision: str, into: Path) -> Path:
    """The tree of ``revision`` written under ``into`` (``git archive``); returns its root."""
    archive = into / "base.tar"
    subprocess.run(
        ["git", "archive", "--format=tar", "-o", str(archive), revision],
        cwd=ROOT,
        check=True,
    )
    tree = into / "base"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def run_side(tree: Path, iterations: int, repeats: int) -> dict[str, float]:
    """One fresh process timing both workloads with the library of ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "benchmarks" / "bench_core.py")]
        + [str(iterations), str(repeats)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    if not data.pop("minigrad_file").startswith(str(tree)):
        raise RuntimeError(f"the child did not import minigrad from {tree}; is it installed?")
    return data


def instructions(tree: Path, calls: int) -> int:
    """CPU instructions (callgrind's Ir) of a process making ``calls`` mul_chain steps."""
    command = [sys.executable, "-c", CALLGRIND_CHILD, str(ROOT / "benchmarks" / "bench_core.py")]
    env = {**os.environ, "PYTHONPATH": str(tree), "OPENBLAS_NUM_THREADS": "1"}
    return callgrind.instructions([*command, str(calls)], env, cwd=tree)


def instructions_per_op(tree: Path, short: int, long: int) -> float:
    """Instructions per op of mul_chain: (Ir(long) - Ir(short)) / ((long - short) * ops)."""
    return (instructions(tree, long) - instructions(tree, short)) / ((long - short) * CHAIN)


def quartiles(values: list[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles."""
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the A/B rounds, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the old revision (commit, tag, branch)")
    parser.add_argument("--rounds", type=int, default=None, help="A/B rounds (default 16)")
    parser.add_argument("--iterations", type=int, default=None, help="calls per timing")
    parser.add_argument("--quick", action="store_true", help="2 short rounds (smoke run)")
    parser.add_argument("--callgrind", action="store_true", help="also count instructions")
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 16)
    iterations = args.iterations or (20 if args.quick else 300)
    repeats = 2 if args.quick else 5

    with tempfile.TemporaryDirectory() as tmp:
        old_tree = export_revision(args.base, Path(tmp))
        sides = {"old": old_tree, "new": ROOT}
        times: dict[str, dict[str, list[float]]] = {
            side: {"mul_chain": [], "mlp_step": []} for side in sides
        }
        for i in range(rounds):
            order = ["old", "new"] if i % 2 == 0 else ["new", "old"]
            for side in order:
                for name, value in run_side(sides[side], iterations, repeats).items():
                    times[side][name].append(value)
        print(f"A/B over {rounds} rounds (fresh processes, alternating order); base {args.base}")
        header = f"{'workload':<22} {'old':>9} {'new':>9} {'new-old':>9} {'middle half':>19}"
        print(header)
        print("-" * len(header))
        for name, unit in (("mul_chain", "us/op"), ("mlp_step", "us/step")):
            old, new = times["old"][name], times["new"][name]
            diffs = [b - a for a, b in zip(old, new)]
            low, high = quartiles(diffs) if len(diffs) > 1 else (diffs[0], diffs[0])
            print(
                f"{name + ' (' + unit + ')':<22} {statistics.median(old):>9.3f} "
                f"{statistics.median(new):>9.3f} {statistics.median(diffs):>+9.3f} "
                f"{f'[{low:+.3f}, {high:+.3f}]':>19}"
            )
            slower = sum(d > 0 for d in diffs)
            print(f"{'':<22} new slower in {slower} of {len(diffs)} rounds")
        if args.callgrind:
            short, long = (2, 4) if args.quick else (50, 150)
            old_ir = instructions_per_op(old_tree, short, long)
            new_ir = instructions_per_op(ROOT, short, long)
            print(
                f"callgrind, mul_chain: {old_ir:,.0f} -> {new_ir:,.0f} instructions per op "
                f"({(new_ir - old_ir) / old_ir:+.1%})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
