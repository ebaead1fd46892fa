"""Where the time of a fused LSTM or GRU goes, per time step: GEMM, elementwise, Python.

Run ``python benchmarks/profile_fused.py`` (W2's LSTM and W4's GRU, about a
minute) or ``--callgrind`` (instruction counts under valgrind, a few minutes,
the same on a busy machine as on a quiet one). It splits one fused op, forward
and backward, into:

* **GEMM per step**: the recurrent products ``h @ W`` (forward) and
  ``dz @ W^T`` (backward), timed alone with the same shapes;
* **GEMM per sequence**: the input projection of all steps before the loop,
  and the products for dX, dU, dW after it;
* **Python and NumPy calls**: the same op on a batch of 1 and a hidden size of 1:
  the same calls and allocations, no arithmetic to speak of;
* **elementwise**: the rest, the gate arithmetic and the memory it moves.

Times are CPU seconds of this thread (``time.thread_time``), medians over
repeats, with one BLAS thread: other processes taking the cores do not count,
so the split stays readable on a shared machine. ``--model`` adds the whole
training step of the benchmark's model (embedding, output layer, loss, SGD).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import callgrind  # noqa: E402
from rnn_workloads import WORKLOADS, make_batches, minigrad_step  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import threads  # noqa: E402

GATES = {"lstm": 4, "gru": 3}


@dataclass
class Op:
    """One fused op and its inputs, ready to run forward and backward."""

    cell: str
    batch: int
    steps: int
    inputs: int
    hidden: int
    dtype: type = np.float32

    def __post_init__(self) -> None:
        rng = np.random.default_rng(0)
        B, T, I, H, G = self.batch, self.steps, self.inputs, self.hidden, GATES[self.cell]

        def t(*shape: int, scale: float = 0.3) -> mg.Tensor:
            data = (rng.standard_normal(shape) * scale).astype(self.dtype)
            return mg.tensor(data, requires_grad=True)

        self.x, self.h0, self.c0 = t(B, T, I, scale=1.0), t(B, H), t(B, H)
        self.U, self.W, self.b, self.b_hn = t(I, G * H), t(H, G * H), t(G * H), t(H)
        self.grad = rng.standard_normal((B, T, H)).astype(self.dtype)

    def forward(self) -> mg.Tensor:
        """The op's outputs ``[B, T, H]`` (the graph kept for backward)."""
        if self.cell == "lstm":
            return mg.fused.lstm_sequence(self.x, self.h0, self.c0, self.U, self.W, self.b)[0]
        return mg.fused.gru_sequence(
            self.x, self.h0, self.U, self.W, self.b, self.b_hn, reset_after=True
        )[0]

    def run(self) -> tuple[float, float]:
        """One forward and one backward: their thread CPU seconds."""
        start = time.thread_time()
        out = self.forward()
        middle = time.thread_time()
        out.backward(self.grad)
        end = time.thread_time()
        for p in (self.x, self.h0, self.c0, self.U, self.W, self.b, self.b_hn):
            p.grad = None
        return middle - start, end - middle


def workload_op(name: str) -> Op:
    """The fused op of one layer of workload ``name`` (W2, W3, W4), at its sizes."""
    w = WORKLOADS[name]
    return Op(w.cell, w.batch, w.steps, w.embed, w.hidden)


def cpu_median(fn: Callable[[], object], repeats: int) -> float:
    """Median thread CPU seconds of ``fn()``."""
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return statistics.median(times)


def per_step_gemms(op: Op, repeats: int) -> tuple[float, float]:
    """Seconds of the recurrent products of a sequence: forward h @ W, backward dz @ W^T."""
    rng = np.random.default_rng(1)
    G = GATES[op.cell] * op.hidden
    h = rng.standard_normal((op.batch, op.hidden)).astype(op.dtype)
    dz = rng.standard_normal((op.batch, G)).astype(op.dtype)
    W = op.W.data
    W_t = np.ascontiguousarray(W.T)
    hw = np.empty((op.batch, G), op.dtype)

    def forward() -> None:
        for _ in range(op.steps):
            np.matmul(h, W, out=hw)

    def backward() -> None:
        for _ in range(op.steps):
            dz @ W_t

    return cpu_median(forward, repeats), cpu_median(backward, repeats)


def sequence_gemms(op: Op, repeats: int) -> tuple[float, float]:
    """Seconds of the whole-sequence products: input projection; dX, dU and dW."""
    rows = op.batch * op.steps
    G = GATES[op.cell] * op.hidden
    rng = np.random.default_rng(2)
    x = rng.standard_normal((rows, op.inputs)).astype(op.dtype)
    h = rng.standard_normal((rows, op.hidden)).astype(op.dtype)
    dz = rng.standard_normal((rows, G)).astype(op.dtype)
    U = op.U.data
    U_t = np.ascontiguousarray(U.T)

    def backward() -> None:
        x.T @ dz
        h.T @ dz
        dz @ U_t

    return cpu_median(lambda: x @ U, repeats), cpu_median(backward, repeats)


def profile(op: Op, repeats: int) -> dict[str, tuple[float, float]]:
    """The split of one op, in microseconds per time step: (forward, backward) per row."""
    tiny = Op(op.cell, 1, op.steps, 1, 1, op.dtype)
    for o in (op, tiny):
        o.run()  # warm up
    runs = [op.run() for _ in range(repeats)]
    tiny_runs = [tiny.run() for _ in range(repeats)]
    total = tuple(statistics.median(r[k] for r in runs) for k in (0, 1))
    calls = tuple(statistics.median(r[k] for r in tiny_runs) for k in (0, 1))
    step = per_step_gemms(op, repeats)
    seq = sequence_gemms(op, repeats)
    rows = {
        "GEMM per step": step,
        "GEMM per sequence": seq,
        "Python and NumPy calls": calls,
    }
    rows["elementwise"] = tuple(total[k] - sum(v[k] for v in rows.values()) for k in (0, 1))
    rows["total"] = total
    scale = 1e6 / op.steps
    return {name: (f * scale, b * scale) for name, (f, b) in rows.items()}


def model_step_ms(workload: str, repeats: int) -> float:
    """CPU milliseconds of one whole training step of the benchmark's minigrad fused model."""
    w = WORKLOADS[workload]
    step = minigrad_step(w, fused=True)
    batches = make_batches(w, seed=1)
    step(*batches[0])
    return cpu_median(lambda: step(*batches[1]), repeats) * 1e3


def print_profile(name: str, op: Op, rows: dict[str, tuple[float, float]]) -> None:
    """One op's split as a table: microseconds per time step and the share of the total."""
    total = rows["total"]
    print(
        f"\n{name}: fused {op.cell}, batch {op.batch}, {op.steps} steps, input {op.inputs}, "
        f"hidden {op.hidden}, {np.dtype(op.dtype).name}; us per time step (thread CPU time)"
    )
    print(f"  {'':24s} {'forward':>9s} {'share':>6s} {'backward':>9s} {'share':>6s}")
    for label, (f, b) in rows.items():
        print(f"  {label:24s} {f:9.1f} {f / total[0]:6.0%} {b:9.1f} {b / total[1]:6.0%}")


# ------------------------------------------------------------------ callgrind
def instructions(workload: str, runs: int) -> int:
    """Instructions valgrind counts for ``runs`` ops of ``workload``, start-up included."""
    command = [sys.executable, os.path.abspath(__file__), "--workloads", workload]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env["PYTHONHASHSEED"] = "0"  # the same start-up in both runs
    return callgrind.instructions([*command, "--run-ops", str(runs)], env)


def main(argv: list[str] | None = None) -> int:
    """Print the split of each workload's fused op (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="W2,W4", help="from W2, W3, W4")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--model", action="store_true", help="also time the whole model step")
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead")
    parser.add_argument("--run-ops", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.workloads.split(",")]
    mg.backend.keep_freed_memory()
    threads.set_blas_threads(1)
    if args.run_ops is not None:  # inside valgrind: build, warm up, run
        ops = [workload_op(n) for n in names]
        for op in ops:
            for _ in range(1 + args.run_ops):
                op.run()
        return 0
    if args.callgrind:
        print("instructions of one fused op, forward + backward (valgrind, 1 BLAS thread):")
        for name in names:
            # numba's cache is keyed by the CPU, and valgrind's differs from the real one: the
            # first run may compile, which must not count (it once came to 20x the op)
            instructions(name, 1)
            count = (instructions(name, 3) - instructions(name, 1)) / 2
            per_step = count / WORKLOADS[name].steps
            print(f"  {name}: {count / 1e6:,.1f} million, {per_step / 1e3:,.0f} thousand per step")
        return 0
    print(f"BLAS: {threads.blas_libraries()}, 1 thread; NumPy {np.__version__}")
    for name in names:
        op = workload_op(name)
        print_profile(name, op, profile(op, args.repeats))
        if args.model:
            print(f"  whole training step of the {name} model: {model_step_ms(name, 7):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
