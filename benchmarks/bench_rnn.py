"""Recurrent training-step benchmark: minigrad composed and fused cells against a
hand-written NumPy implementation and, when installed, PyTorch.

One command, a table, a JSON file::

    python benchmarks/bench_rnn.py                 # all workloads, CPU
    python benchmarks/bench_rnn.py --quick         # tiny smoke run (CI)
    python benchmarks/bench_rnn.py --device cuda   # minigrad on CuPy (+ torch CUDA)
    python benchmarks/bench_rnn.py --json out.json

Workloads (float32; one step = forward + backward + SGD update; truncated BPTT
with the state carried from step to step):

    W1  lesson 1: one-hot input of 2 classes, tanh RNN, state 16, batch 200 x 10 steps
    W2  small char LSTM: vocab 65, embedding 64, LSTM 128, batch 32 x 50 steps
    W3  lesson 3 LSTM: vocab 65, embedding = hidden = 256, 3 layers, batch 32 x 200 steps
    W4  small char GRU: as W2 with a GRU (PyTorch's form, reset after the product)

Implementations are timed in interleaved rounds (each round runs every one of
them), so a slow moment of the machine hits all of them alike; only ratios
from one run are meaningful.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_core import machine_info  # noqa: E402
from numpy_reference import NumpyModel  # noqa: E402

import minigrad as mg  # noqa: E402


@dataclass(frozen=True)
class Workload:
    """Sizes of one benchmark model and batch."""

    name: str
    cell: str
    vocab: int
    embed: int | None  # None: one-hot input
    hidden: int
    layers: int
    batch: int
    steps: int

    def flops(self) -> float:
        """Multiply-adds x 2 of one training step: forward products, and twice that backward."""
        gates = {"lstm": 4, "gru": 3, "rnn": 1}[self.cell]
        rows = self.batch * self.steps
        width = self.embed or self.vocab
        forward = 0.0
        for _ in range(self.layers):
            forward += 2 * rows * (width + self.hidden) * gates * self.hidden
            width = self.hidden
        forward += 2 * rows * self.hidden * self.vocab
        return 3 * forward


WORKLOADS = {
    "W1": Workload("W1", "rnn", 2, None, 16, 1, 200, 10),
    "W2": Workload("W2", "lstm", 65, 64, 128, 1, 32, 50),
    "W3": Workload("W3", "lstm", 65, 256, 256, 3, 32, 200),
    "W4": Workload("W4", "gru", 65, 64, 128, 1, 32, 50),
}
QUICK = {
    "W1": Workload("W1", "rnn", 2, None, 8, 1, 16, 5),
    "W2": Workload("W2", "lstm", 65, 16, 16, 1, 4, 8),
    "W3": Workload("W3", "lstm", 65, 16, 16, 2, 4, 8),
    "W4": Workload("W4", "gru", 65, 16, 16, 1, 4, 8),
}


def make_batches(w: Workload, seed: int, count: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    """A few fixed (x, y) integer batches ``[B, T]``; y is x shifted by one."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, w.vocab, size=(count, w.batch, w.steps + 1))
    return [(d[:, :-1], d[:, 1:]) for d in data]


# ------------------------------------------------------------------ minigrad
class MinigradModel(mg.nn.Module):
    """Embedding (or one-hot) -> nn.RNN -> Linear, trained with plain SGD."""

    def __init__(self, w: Workload, fused: bool, device: str) -> None:
        super().__init__()
        self.w = w
        options = {"reset_after": True} if w.cell == "gru" else {}
        width = w.embed or w.vocab
        self.embed = mg.nn.Embedding(w.vocab, w.embed, device=device) if w.embed else None
        self.rnn = mg.nn.RNN(
            w.cell,
            input_size=width,
            hidden_size=w.hidden,
            num_layers=w.layers,
            fused=fused,
            device=device,
            **options,
        )
        self.out = mg.nn.Linear(w.hidden, w.vocab, device=device)

    def forward(self, x: np.ndarray, state):
        inp = self.embed(x) if self.embed else mg.one_hot(x, self.w.vocab)
        h, state = self.rnn(inp, initial_state=state)
        return self.out(h), state


def minigrad_step(w: Workload, fused: bool, device: str = "cpu") -> Callable:
    """A closure running one SGD step of minigrad's model per call."""
    mg.manual_seed(0)
    model = MinigradModel(w, fused, device)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    carry = {"state": None}

    def step(x: np.ndarray, y: np.ndarray) -> float:
        if device != "cpu":
            x, y = mg.backend.to_device(x, device), mg.backend.to_device(y, device)
        logits, state = model(x, carry["state"])
        loss = mg.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        carry["state"] = [mg.cells.detach_state(s) for s in state]
        return loss.item()

    return step


class StaticLesson1:
    """Lesson 1's own model, ``EchoRNN``: s_t = tanh(concat([x_t, s_{t-1}]) @ W + b), unrolled
    statically in a Python loop, softmax layer per step, one cross-entropy over the window."""

    def __init__(self, w: Workload) -> None:
        from minigrad.lessons.lesson1.model import NUM_CLASSES, EchoRNN

        assert w.vocab == NUM_CLASSES, "lesson 1's inputs are binary"
        self.model = EchoRNN(w.hidden, rng=np.random.default_rng(0))
        self.state = self.model.zero_state(w.batch)
        self.opt = mg.optim.SGD(self.model.parameters(), lr=0.1)

    def __call__(self, x: np.ndarray, y: np.ndarray) -> float:
        loss, state = self.model(x, y, self.state)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.state = state.detach()
        return loss.item()


# --------------------------------------------------------------------- numpy
def numpy_step(w: Workload) -> Callable:
    """A closure running one step of the hand-written NumPy model."""
    kind = w.cell
    model = NumpyModel(kind, w.vocab, w.embed, w.hidden, w.layers)
    carry = {"state": model.zero_state(w.batch)}

    def step(x: np.ndarray, y: np.ndarray) -> float:
        loss, carry["state"] = model.train_step(x, y, carry["state"])
        return loss

    return step


# --------------------------------------------------------------------- torch
def torch_steps(w: Workload, device: str) -> dict[str, Callable]:
    """PyTorch's fused layer and a Python loop over its cell, if torch is installed."""
    try:
        import torch
    except ImportError:
        return {}
    torch.manual_seed(0)
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    dev = torch.device("cuda" if device == "cuda" else "cpu")
    layer_cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[w.cell]
    cell_cls = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell, "rnn": torch.nn.RNNCell}[w.cell]
    width = w.embed or w.vocab

    def build(fused: bool):
        embed = torch.nn.Embedding(w.vocab, w.embed).to(dev) if w.embed else None
        if fused:
            rnn = layer_cls(width, w.hidden, num_layers=w.layers, batch_first=True).to(dev)
            cells = None
        else:
            rnn = None
            cells = torch.nn.ModuleList(
                [cell_cls(width if k == 0 else w.hidden, w.hidden) for k in range(w.layers)]
            ).to(dev)
        out = torch.nn.Linear(w.hidden, w.vocab).to(dev)
        modules = [m for m in (embed, rnn, cells, out) if m is not None]
        params = [p for m in modules for p in m.parameters()]
        opt = torch.optim.SGD(params, lr=0.1)
        carry = {"state": None}

        def step(x: np.ndarray, y: np.ndarray) -> float:
            xt = torch.as_tensor(x, device=dev)
            yt = torch.as_tensor(y, device=dev)
            inp = (
                embed(xt) if embed is not None else torch.nn.functional.one_hot(xt, w.vocab).float()
            )
            if fused:
                h, state = rnn(inp, carry["state"])
                carry["state"] = (
                    tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
                )
            else:
                states = carry["state"] or [None] * w.layers
                seq = inp
                new_states = []
                for cell, st in zip(cells, states):
                    outs = []
                    for t in range(w.steps):
                        st = cell(seq[:, t], st)
                        outs.append(st[0] if isinstance(st, tuple) else st)
                    seq = torch.stack(outs, dim=1)
                    new_states.append(
                        tuple(s.detach() for s in st) if isinstance(st, tuple) else st.detach()
                    )
                carry["state"] = new_states
                h = seq
            loss = torch.nn.functional.cross_entropy(out(h).reshape(-1, w.vocab), yt.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            return loss.item()

        return step

    return {"torch fused": build(True), "torch cell loop": build(False)}


# ------------------------------------------------------------------- harness
def implementations(w: Workload, device: str, skip_composed: bool) -> dict[str, Callable]:
    """Every implementation measured for workload ``w``."""
    impls: dict[str, Callable] = {}
    if device == "cpu":
        impls["numpy by hand"] = numpy_step(w)
    impls["minigrad fused"] = minigrad_step(w, fused=True, device=device)
    if not skip_composed:
        impls["minigrad composed"] = minigrad_step(w, fused=False, device=device)
    if w.name == "W1" and device == "cpu":
        impls["minigrad static (lesson 1)"] = StaticLesson1(w)
    impls.update(torch_steps(w, device))
    return impls


def measure(w: Workload, impls: dict[str, Callable], rounds: int, per_round: int) -> dict:
    """Interleaved timing: per-step milliseconds (median, min, max) for each implementation."""
    batches = make_batches(w, seed=1)
    for step in impls.values():  # warm-up: allocations, caches, lazy imports
        step(*batches[0])
    times: dict[str, list[float]] = {name: [] for name in impls}
    for r in range(rounds):
        for name, step in impls.items():
            start = time.perf_counter()
            for k in range(per_round):
                step(*batches[(r + k) % len(batches)])
            times[name].append((time.perf_counter() - start) / per_round * 1e3)
    return {
        name: {"median_ms": statistics.median(t), "min_ms": min(t), "max_ms": max(t)}
        for name, t in times.items()
    }


def peak_memory_mb(step: Callable, w: Workload) -> float:
    """Peak traced allocation (NumPy arrays included) during one training step, in MB."""
    x, y = make_batches(w, seed=2, count=1)[0]
    step(x, y)  # state and caches as in steady state
    tracemalloc.start()
    tracemalloc.reset_peak()
    step(x, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def gemm_peak_gflops(size: int = 1024, repeats: int = 5) -> float:
    """This machine's measured float32 matrix-product speed (the ceiling for W3)."""
    a = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _timed(fn: Callable) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (see the module docstring)."""
    mg.backend.keep_freed_memory()  # as the minigrad command does; see its docstring
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke run")
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--json", dest="json_path", default=None)
    args = parser.parse_args(argv)
    table = QUICK if args.quick else WORKLOADS
    rounds = args.rounds or (2 if args.quick else 5)
    report: dict = {"device": args.device, "quick": args.quick, "workloads": {}}
    report["machine"] = machine_info()
    try:
        import torch

        report["machine"]["torch"] = torch.__version__
    except ImportError:
        pass
    print(f"machine: {report['machine']}")
    if args.device == "cpu":
        report["gemm_peak_gflops"] = gemm_peak_gflops(256 if args.quick else 1024)
        print(f"float32 GEMM peak on this machine: {report['gemm_peak_gflops']:.0f} GFLOP/s")
    for name in args.workloads.split(","):
        w = table[name]
        per_round = 1 if (args.quick or name == "W3") else 5
        impls = implementations(w, args.device, skip_composed=(name == "W3" and not args.quick))
        results = measure(w, impls, rounds, per_round)
        base = results.get("numpy by hand") or results["minigrad fused"]
        for res in results.values():
            res["gflops"] = w.flops() / (res["median_ms"] / 1e3) / 1e9
            res["vs_numpy"] = res["median_ms"] / base["median_ms"]
        entry = {"config": w.__dict__, "results": results}
        if name == "W3" and args.device == "cpu":
            fused_mem = peak_memory_mb(minigrad_step(w, fused=True), w)
            numpy_mem = peak_memory_mb(numpy_step(w), w)
            entry["peak_memory_mb"] = {"minigrad fused": fused_mem, "numpy by hand": numpy_mem}
        report["workloads"][name] = entry
        print_table(name, w, entry)
    print_targets(report)
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump(report, fh, indent=2)
        print(f"wrote {args.json_path}")
    return 0


def print_table(name: str, w: Workload, entry: dict) -> None:
    """One workload's rows: ms per step (median/min/max), GFLOP/s, ratio to NumPy by hand."""
    print(
        f"\n{name}: {w.cell} hidden {w.hidden} x {w.layers} layer(s), batch {w.batch} x "
        f"{w.steps} steps, vocab {w.vocab}, embedding {w.embed or 'one-hot'}"
    )
    print(
        f"  {'implementation':28s} {'median ms':>10s} {'min':>8s} {'max':>8s} "
        f"{'GFLOP/s':>8s} {'x numpy':>8s}"
    )
    for impl, r in entry["results"].items():
        print(
            f"  {impl:28s} {r['median_ms']:10.2f} {r['min_ms']:8.2f} {r['max_ms']:8.2f} "
            f"{r['gflops']:8.1f} {r['vs_numpy']:8.2f}"
        )
    if "peak_memory_mb" in entry:
        mem = entry["peak_memory_mb"]
        print(
            f"  peak memory: minigrad fused {mem['minigrad fused']:.0f} MB, numpy by hand "
            f"{mem['numpy by hand']:.0f} MB (ratio "
            f"{mem['minigrad fused'] / mem['numpy by hand']:.2f})"
        )


def _ratio(entry: dict, a: str, b: str) -> float | None:
    res = entry["results"]
    if a in res and b in res:
        return res[a]["median_ms"] / res[b]["median_ms"]
    return None


def print_targets(report: dict) -> None:
    """The issue's targets, each with the measured ratio and whether it is met."""
    rows = []
    wl = report["workloads"]
    for name in ("W2", "W3", "W4"):
        if name in wl:
            rows.append(
                (
                    f"{name} fused / numpy by hand",
                    _ratio(wl[name], "minigrad fused", "numpy by hand"),
                    1.25,
                )
            )
    if "W4" in wl:
        rows.append(
            ("W4 fused / torch fused GRU", _ratio(wl["W4"], "minigrad fused", "torch fused"), 1.0)
        )
    for name in ("W2", "W3"):
        if name in wl:
            rows.append(
                (
                    f"{name} fused / torch fused LSTM",
                    _ratio(wl[name], "minigrad fused", "torch fused"),
                    1.5,
                )
            )
    if "W1" in wl:
        rows.append(
            (
                "W1 static lesson cell / torch fused RNN",
                _ratio(wl["W1"], "minigrad static (lesson 1)", "torch fused"),
                1.0,
            )
        )
    if "W2" in wl:
        rows.append(
            ("W2 composed / fused", _ratio(wl["W2"], "minigrad composed", "minigrad fused"), 3.0)
        )
    if "W3" in wl and "peak_memory_mb" in wl["W3"]:
        mem = wl["W3"]["peak_memory_mb"]
        rows.append(
            ("W3 peak memory fused / numpy", mem["minigrad fused"] / mem["numpy by hand"], 1.3)
        )
    if "W3" in wl and "gemm_peak_gflops" in report:
        share = wl["W3"]["results"]["minigrad fused"]["gflops"] / report["gemm_peak_gflops"]
        rows.append(("W3 fused share of GEMM peak (>=)", share, 0.45))
    print("\nTargets (ratios from this run):")
    report["targets"] = []
    for label, value, target in rows:
        if value is None:
            print(f"  {label:42s}   n/a (needs torch)")
            continue
        at_least = "(>=)" in label
        met = value >= target if at_least else value <= target
        print(
            f"  {label:42s} {value:6.2f}  target {'>=' if at_least else '<='} {target:<5} "
            f"{'met' if met else 'MISSED'}"
        )
        report["targets"].append({"target": label, "value": value, "limit": target, "met": met})


if __name__ == "__main__":
    sys.exit(main())
