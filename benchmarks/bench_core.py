"""How much does minigrad's bookkeeping cost on top of NumPy's arithmetic?

Run ``python benchmarks/bench_core.py`` (``--quick`` for a smoke run,
``--json PATH`` to keep the numbers). Three workloads, each timed as minigrad
and as hand-written NumPy doing the same arithmetic, interleaved round by
round so that both see the same machine noise:

* ``mul``: forward and backward of an elementwise product of two 32x128
  float32 arrays (NumPy: ``a * b``, ``g * b``, ``g * a``);
* ``matmul``: forward and backward of ``[32, 128] @ [128, 128]``
  (NumPy: ``x @ W``, ``g @ W.T``, ``x.T @ g``);
* ``mlp_step``: one SGD training step of a Linear-tanh-Linear classifier
  with softmax cross-entropy (NumPy: forward, backward and update by hand).

The table reports the median time per iteration in microseconds, the ratio
minigrad / NumPy, and the fixed overhead minigrad adds (minigrad - NumPy):
Python objects for the graph, the backward walk, gradient accumulation. The
arithmetic is the same, so for small arrays the overhead is what you pay.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import minigrad as mg

#: The goal this benchmark tracks, for the 32x128 elementwise op.
GOAL_OVERHEAD_US = 2.0
GOAL_RATIO = 3.0
GOAL_CASE = "mul_chain"

MLP_BATCH, MLP_IN, MLP_HIDDEN, MLP_CLASSES = 32, 64, 128, 10
MLP_LR = 0.1


@dataclass
class Result:
    """The medians of one workload, in microseconds per iteration."""

    name: str
    description: str
    minigrad_us: float
    numpy_us: float
    ops: int = 1

    @property
    def overhead_us(self) -> float:
        """What minigrad adds per op on top of the same arithmetic in NumPy."""
        return (self.minigrad_us - self.numpy_us) / self.ops

    @property
    def ratio(self) -> float:
        """How many times slower than NumPy minigrad is."""
        return self.minigrad_us / self.numpy_us

    def as_dict(self) -> dict[str, float | str]:
        """Every field, derived ones included, for the JSON report."""
        return {**asdict(self), "overhead_us": self.overhead_us, "ratio": self.ratio}


# ------------------------------------------------------------------ workloads
# Each ``make_*`` returns (minigrad_step, numpy_step): two closures doing the
# same arithmetic on the same data, so that only the bookkeeping differs.


def make_mul(rng: np.random.Generator) -> tuple[Callable[[], None], Callable[[], None]]:
    """Elementwise product, forward and backward, on 32x128 float32."""
    a_np = rng.standard_normal((32, 128), dtype=np.float32)
    b_np = rng.standard_normal((32, 128), dtype=np.float32)
    g_np = np.ones((32, 128), dtype=np.float32)
    a = mg.tensor(a_np, requires_grad=True)
    b = mg.tensor(b_np, requires_grad=True)

    def minigrad_step() -> None:
        a.grad = None
        b.grad = None
        (a * b).backward(g_np)

    def numpy_step() -> None:
        _ = a_np * b_np
        _ = g_np * b_np  # d/da
        _ = g_np * a_np  # d/db

    return minigrad_step, numpy_step


CHAIN = 32


def make_mul_chain(rng: np.random.Generator) -> tuple[Callable[[], None], Callable[[], None]]:
    """32 chained elementwise products on 32x128 float32, one backward for all.

    One ``backward()`` call has a fixed cost (finding the graph's order) that
    a real graph shares among all its ops; a chain spreads it the same way,
    so (minigrad - NumPy) / 32 is the overhead each op adds.
    """
    a_np = rng.standard_normal((32, 128), dtype=np.float32)
    c_np = np.full((32, 128), 1.0001, dtype=np.float32)
    g_np = np.ones((32, 128), dtype=np.float32)
    a = mg.tensor(a_np, requires_grad=True)
    c = mg.tensor(c_np)

    def minigrad_step() -> None:
        a.grad = None
        h = a
        for _ in range(CHAIN):
            h = h * c
        h.backward(g_np)

    def numpy_step() -> None:
        h = a_np
        for _ in range(CHAIN):
            h = h * c_np
        g = g_np
        for _ in range(CHAIN):
            g = g * c_np  # d/dh of h * c

    return minigrad_step, numpy_step


def make_matmul(rng: np.random.Generator) -> tuple[Callable[[], None], Callable[[], None]]:
    """``[32, 128] @ [128, 128]``, forward and backward, float32."""
    x_np = rng.standard_normal((32, 128), dtype=np.float32)
    w_np = rng.standard_normal((128, 128), dtype=np.float32)
    g_np = np.ones((32, 128), dtype=np.float32)
    x = mg.tensor(x_np, requires_grad=True)
    w = mg.tensor(w_np, requires_grad=True)

    def minigrad_step() -> None:
        x.grad = None
        w.grad = None
        (x @ w).backward(g_np)

    def numpy_step() -> None:
        _ = x_np @ w_np
        _ = g_np @ w_np.T  # d/dx
        _ = x_np.T @ g_np  # d/dW

    return minigrad_step, numpy_step


def make_mlp_step(rng: np.random.Generator) -> tuple[Callable[[], None], Callable[[], None]]:
    """One SGD step of Linear-tanh-Linear + softmax cross-entropy, batch 32."""
    from minigrad import nn, optim

    x_np = rng.standard_normal((MLP_BATCH, MLP_IN), dtype=np.float32)
    y_np = rng.integers(0, MLP_CLASSES, size=MLP_BATCH)
    model = nn.Sequential(
        nn.Linear(MLP_IN, MLP_HIDDEN), mg.tanh, nn.Linear(MLP_HIDDEN, MLP_CLASSES)
    )
    opt = optim.SGD(model.parameters(), lr=MLP_LR)
    x = mg.tensor(x_np)

    # The NumPy copy starts from the same weights (x @ W + b layout).
    first, second = model[0], model[2]
    w1, b1, w2, b2 = (p.numpy().copy() for p in (first.W, first.b, second.W, second.b))
    rows = np.arange(MLP_BATCH)

    def minigrad_step() -> None:
        opt.zero_grad()
        loss = mg.cross_entropy(model(x), y_np)
        loss.backward()
        opt.step()

    def numpy_step() -> None:
        h = np.tanh(x_np @ w1 + b1)
        logits = h @ w2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        probs = exp / exp.sum(axis=1, keepdims=True)
        _ = np.log(exp.sum(axis=1)).mean() - shifted[rows, y_np].mean()  # the loss
        d_logits = probs
        d_logits[rows, y_np] -= 1
        d_logits /= MLP_BATCH
        d_w2 = h.T @ d_logits
        d_b2 = d_logits.sum(axis=0)
        d_h = (d_logits @ w2.T) * (1 - h * h)
        d_w1 = x_np.T @ d_h
        d_b1 = d_h.sum(axis=0)
        for param, grad in ((w1, d_w1), (b1, d_b1), (w2, d_w2), (b2, d_b2)):
            param -= MLP_LR * grad

    # Both sides must do the same arithmetic, or the comparison means nothing.
    minigrad_step()
    numpy_step()
    for p, mine in ((first.W, w1), (first.b, b1), (second.W, w2), (second.b, b2)):
        if not np.allclose(p.numpy(), mine, rtol=1e-4, atol=1e-5):
            raise RuntimeError("mlp_step: the NumPy and minigrad steps disagree; fix the benchmark")
    return minigrad_step, numpy_step


WORKLOADS: list[tuple[str, str, Callable]] = [
    ("mul", "a * b, 32x128, fwd+bwd", make_mul),
    ("mul_chain", "32 chained a * c, 32x128, fwd+bwd", make_mul_chain),
    ("matmul", "[32,128] @ [128,128], fwd+bwd", make_matmul),
    ("mlp_step", "MLP 64-128-10 SGD step, batch 32", make_mlp_step),
]


# ------------------------------------------------------------------- timing
def time_per_call(fn: Callable[[], None], iterations: int) -> float:
    """Microseconds per call of ``fn``, averaged over ``iterations`` calls."""
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations * 1e6


def measure(
    minigrad_step: Callable[[], None],
    numpy_step: Callable[[], None],
    rounds: int,
    iterations: int,
) -> tuple[float, float]:
    """Median microseconds per call of each, over ``rounds`` interleaved rounds."""
    for fn in (minigrad_step, numpy_step):  # warm caches, allocator, BLAS threads
        time_per_call(fn, max(1, iterations // 4))
    mg_times, np_times = [], []
    for i in range(rounds):
        # Alternate which goes first so neither always runs on a warmer machine.
        pair = [(minigrad_step, mg_times), (numpy_step, np_times)]
        for fn, times in pair if i % 2 == 0 else reversed(pair):
            times.append(time_per_call(fn, iterations))
    return statistics.median(mg_times), statistics.median(np_times)


def run(rounds: int, iterations: int, seed: int = 0) -> list[Result]:
    """Time every workload; returns one ``Result`` per workload."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    results = []
    for name, description, make in WORKLOADS:
        minigrad_step, numpy_step = make(rng)
        mg_us, np_us = measure(minigrad_step, numpy_step, rounds, iterations)
        ops = CHAIN if name == "mul_chain" else 1
        results.append(Result(name, description, mg_us, np_us, ops))
    return results


# ------------------------------------------------------------------ report
def goal_status(results: list[Result]) -> dict[str, object]:
    """Whether the elementwise op meets the overhead and ratio goals."""
    case = next(r for r in results if r.name == GOAL_CASE)
    return {
        "case": GOAL_CASE,
        "max_overhead_us": GOAL_OVERHEAD_US,
        "max_ratio": GOAL_RATIO,
        "overhead_us": case.overhead_us,
        "ratio": case.ratio,
        "met": case.overhead_us <= GOAL_OVERHEAD_US and case.ratio < GOAL_RATIO,
    }


def format_table(results: list[Result], goal: dict[str, object]) -> str:
    """The results as a plain-text table, one line per workload, then the goal."""
    header = (
        f"{'workload':<10} {'what':<34} {'minigrad us':>12} {'numpy us':>10} "
        f"{'overhead/op':>12} {'ratio':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.name:<10} {r.description:<34} {r.minigrad_us:>12.2f} {r.numpy_us:>10.2f} "
            f"{r.overhead_us:>12.2f} {r.ratio:>6.2f}x"
        )
    lines.append("-" * len(header))
    verdict = "MET" if goal["met"] else "NOT MET"
    lines.append(
        f"goal ({GOAL_CASE}): overhead per op <= {GOAL_OVERHEAD_US:g} us and ratio "
        f"< {GOAL_RATIO:g}x"
        f" -> {verdict} (overhead {goal['overhead_us']:.2f} us, ratio {goal['ratio']:.2f}x)"
    )
    return "\n".join(lines)


def machine_info() -> dict[str, object]:
    """What the numbers depend on: interpreter, NumPy, cores, thread pools and their settings."""
    from minigrad.threads import thread_settings

    settings = thread_settings()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "minigrad": mg.__version__,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "blas_env": settings["env"],
        "thread_pools": settings["pools"],
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the benchmark, print the table, write JSON if asked."""
    mg.backend.keep_freed_memory()  # as the minigrad command does; see its docstring
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few short rounds (smoke run)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (median)")
    parser.add_argument("--iterations", type=int, default=None, help="calls per round")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 21)
    iterations = args.iterations or (20 if args.quick else 400)

    results = run(rounds, iterations, seed=args.seed)
    goal = goal_status(results)
    print(f"minigrad core benchmark: median of {rounds} rounds x {iterations} calls")
    print(format_table(results, goal))
    if args.json is not None:
        report = {
            "rounds": rounds,
            "iterations": iterations,
            "quick": args.quick,
            "machine": machine_info(),
            "results": [r.as_dict() for r in results],
            "goal": goal,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
