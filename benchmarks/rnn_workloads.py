"""The recurrent benchmark's workloads and implementations, each built inside its own worker.

Workloads (float32; one step = forward + backward + SGD update; truncated BPTT
with the state carried from step to step):

    W1  lesson 1: one-hot input of 2 classes, tanh RNN, state 16, batch 200 x 10 steps
    W2  small char LSTM: vocab 65, embedding 64, LSTM 128, batch 32 x 50 steps
    W3  lesson 3 LSTM: vocab 65, embedding = hidden = 256, 3 layers, batch 32 x 200 steps
    W4  small char GRU: as W2 with a GRU (PyTorch's form, reset after the product)

``build`` is the factory ``isolated.py`` calls in a fresh process: it makes
one implementation of one workload, with the same seed and the same batches
whatever the implementation, and sets the process's thread counts first.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy_reference import NumpyModel

import minigrad as mg
from minigrad import threads
from minigrad.fused import compiled


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

NUMPY = "numpy by hand"
FUSED = "minigrad fused"
FUSED_NUMPY = "minigrad fused, NumPy steps"
COMPOSED = "minigrad composed"
STATIC = "minigrad static (lesson 1)"
TORCH_FUSED = "torch fused"
TORCH_LOOP = "torch cell loop"


def implementations(w: Workload, device: str, quick: bool, torch: bool) -> list[str]:
    """The implementations measured for workload ``w``, in their table order."""
    names = [NUMPY] if device == "cpu" else []
    names.append(FUSED)
    if device == "cpu" and compiled.available():  # FUSED runs the compiled steps: show both
        names.append(FUSED_NUMPY)
    if quick or w.name != "W3":  # W3 composed would take minutes per step
        names.append(COMPOSED)
    if w.name == "W1" and device == "cpu":
        names.append(STATIC)
    if torch:
        names += [TORCH_FUSED, TORCH_LOOP]
    return names


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
    model = NumpyModel(w.cell, w.vocab, w.embed, w.hidden, w.layers)
    carry = {"state": model.zero_state(w.batch)}

    def step(x: np.ndarray, y: np.ndarray) -> float:
        loss, carry["state"] = model.train_step(x, y, carry["state"])
        return loss

    return step


# --------------------------------------------------------------------- torch
def torch_step(w: Workload, device: str, fused: bool) -> Callable:
    """PyTorch's fused layer (``fused``) or a Python loop over its cell: one SGD step per call."""
    import torch

    torch.manual_seed(0)
    dev = torch.device("cuda" if device == "cuda" else "cpu")
    layer_cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[w.cell]
    cell_cls = {"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell, "rnn": torch.nn.RNNCell}[w.cell]
    width = w.embed or w.vocab
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
    opt = torch.optim.SGD([p for m in modules for p in m.parameters()], lr=0.1)
    carry: dict[str, Any] = {"state": None}

    def detach(state):
        return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()

    def step(x: np.ndarray, y: np.ndarray) -> float:
        xt = torch.as_tensor(x, device=dev)
        yt = torch.as_tensor(y, device=dev)
        inp = embed(xt) if embed is not None else torch.nn.functional.one_hot(xt, w.vocab).float()
        if fused:
            h, state = rnn(inp, carry["state"])
            carry["state"] = detach(state)
        else:
            states = carry["state"] or [None] * w.layers
            seq, new_states = inp, []
            for cell, st in zip(cells, states):
                outs = []
                for t in range(w.steps):
                    st = cell(seq[:, t], st)
                    outs.append(st[0] if isinstance(st, tuple) else st)
                seq = torch.stack(outs, dim=1)
                new_states.append(detach(st))
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


def torch_available() -> bool:
    """Whether PyTorch is installed (without importing it here)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


# ------------------------------------------------------------------- subject
class Subject:
    """One implementation of one workload for a worker: each call is one step on the next batch.

    ``tuner``: when given (minigrad's implementations with tuned threads), every
    step runs through it, and the warm-up covers its measurement.
    """

    def __init__(
        self,
        w: Workload,
        step: Callable,
        info: dict[str, Any],
        tuner: threads.ThreadTuner | None = None,
    ) -> None:
        self.w, self.step, self.info, self.tuner = w, step, info, tuner
        self.batches = make_batches(w, seed=1)
        self.count = 0
        probe = tuner.probe_steps * len(tuner.candidates) if tuner else 0
        self.warmup_steps = 2 + probe

    def __call__(self) -> float:
        x, y = self.batches[self.count % len(self.batches)]
        self.count += 1
        if self.tuner is None:
            return self.step(x, y)
        return self.tuner.run(lambda: self.step(x, y))

    def describe(self) -> dict[str, Any]:
        """The settings this implementation ran with (for the JSON report)."""
        info = dict(self.info)
        if self.tuner is not None:
            info["tuner"] = self.tuner.describe()
            info["tuned_threads"] = self.tuner.chosen
        return info

    def peak_memory_mb(self) -> float:
        """Peak traced allocation (NumPy arrays included) during one step, in MB."""
        self()  # state and caches as in steady state
        tracemalloc.start()
        tracemalloc.reset_peak()
        self()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 2**20


def build(
    workload: str, impl: str, quick: bool, device: str, threads_per_library: int, tuned: bool
) -> Subject:
    """Build ``impl`` of ``workload`` in this (fresh) process.

    Every library in the process gets ``threads_per_library`` threads (BLAS
    through threadpoolctl, PyTorch through ``set_num_threads``), except that
    with ``tuned`` minigrad's implementations let ``minigrad.threads.ThreadTuner``
    choose between 1 and that many BLAS threads, as lesson 3 does.
    """
    mg.backend.keep_freed_memory()  # as the minigrad command does; see its docstring
    w = (QUICK if quick else WORKLOADS)[workload]
    threads.set_blas_threads(threads_per_library)
    info: dict[str, Any] = {"implementation": impl, "blas_threads": threads_per_library}
    tuner = None
    if impl == NUMPY:
        step = numpy_step(w)
    elif impl in (FUSED, FUSED_NUMPY, COMPOSED):
        compiled.set_enabled(impl == FUSED)
        info["compiled_steps"] = compiled.enabled()
        step = minigrad_step(w, fused=impl != COMPOSED, device=device)
        if tuned:
            # the same mechanism as lesson 3: a look at the free cores, then timed steps
            tuner = threads.ThreadTuner(
                candidates=tuple(dict.fromkeys((1, threads_per_library))),
                load_probe=threads.other_load,
            )
    elif impl == STATIC:
        step = StaticLesson1(w)
    elif impl in (TORCH_FUSED, TORCH_LOOP):
        import torch

        torch.set_num_threads(threads_per_library)
        step = torch_step(w, device, fused=impl == TORCH_FUSED)
        threads.refresh()  # torch brings its own OpenMP runtime
        info.update(
            torch=torch.__version__,
            torch_threads=torch.get_num_threads(),
            torch_interop_threads=torch.get_num_interop_threads(),
            torch_parallel=torch.__config__.parallel_info(),
        )
    else:
        raise ValueError(f"unknown implementation {impl!r}")
    return Subject(w, step, info, tuner)


class GemmSubject:
    """A float32 ``[size, size] @ [size, size]`` product per call: the machine's GEMM ceiling."""

    warmup_steps = 2

    def __init__(self, size: int) -> None:
        self.a = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32)

    def __call__(self) -> None:
        self.a @ self.a


def gemm_subject(size: int) -> GemmSubject:
    """The factory ``bench_rnn.gemm_peak_gflops`` hands to its worker."""
    return GemmSubject(size)
