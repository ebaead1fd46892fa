"""The fused cells on a GPU: CUDA kernels agree with the CPU path, one launch per step.

The CPU path of ``minigrad.fused`` is tested against the composed cells in
``test_fused_cells.py``; here the GPU path (``fused/cuda_kernels.py``) is tested
against the CPU path, for every cell, option and ragged lengths, to 1e-10 in
float64. Marked ``gpu``: skipped without a usable GPU.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend
from minigrad.cells.drivers import dynamic_rnn
from minigrad.fused import cuda_kernels

pytestmark = pytest.mark.gpu

CASES = [
    ("rnn", {"activation": "tanh"}),
    ("rnn", {"activation": "relu"}),
    ("rnn", {"activation": "sigmoid"}),
    ("lstm", {}),
    ("peephole_lstm", {}),
    ("coupled_lstm", {}),
    ("gru", {"reset_after": False}),
    ("gru", {"reset_after": True}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in o.items()) or 'default'}" for n, o in CASES]
B, T, I, H = 3, 6, 4, 5
LENGTHS = np.array([6, 2, 4])


def _run(name, options, device, lengths, dtype=np.float64):
    """Outputs, final state and every gradient of one fused cell on ``device``, as NumPy."""
    cell = mg.cells.create(name, I, H, dtype=dtype, rng=np.random.default_rng(0), **options)
    cell.to(device)
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.normal(size=(B, T, I)), dtype=dtype, device=device, requires_grad=True)
    state = [
        mg.tensor(rng.normal(size=(B, n)), dtype=dtype, device=device, requires_grad=True)
        for n in cell.state_sizes()
    ]
    outputs, final = dynamic_rnn(cell, x, state[0] if len(state) == 1 else tuple(state), lengths)
    finals = list(final) if isinstance(final, tuple) else [final]
    loss = None
    for t in [outputs, *finals]:
        w = mg.tensor(rng.normal(size=t.shape), dtype=dtype, device=device)
        part = (t * w).sum()
        loss = part if loss is None else loss + part
    grads = mg.grad(loss, [x, *state, *cell.parameters()])
    return [backend.to_numpy(a.data) for a in [outputs, *finals]] + [
        backend.to_numpy(g) for g in grads
    ]


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "ragged"])
@pytest.mark.parametrize("name,options", CASES, ids=IDS)
def test_gpu_kernels_match_the_cpu(name, options, lengths) -> None:
    on_cpu = _run(name, options, "cpu", lengths)
    on_gpu = _run(name, options, "cuda", lengths)
    assert len(on_cpu) == len(on_gpu)
    for c, g in zip(on_cpu, on_gpu):
        np.testing.assert_allclose(g, c, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,options", CASES, ids=IDS)
def test_gpu_float32_matches_the_cpu(name, options) -> None:
    on_cpu = _run(name, options, "cpu", LENGTHS, np.float32)
    on_gpu = _run(name, options, "cuda", LENGTHS, np.float32)
    for c, g in zip(on_cpu, on_gpu):
        np.testing.assert_allclose(g, c, rtol=2e-4, atol=2e-5)


# Elementwise kernel launches per time step (forward, backward): one each, and two
# each for the reset-before GRU, whose step has a matrix product in the middle.
LAUNCHES = {"rnn": (1, 1), "lstm": (1, 1), "gru-before": (2, 2), "gru-after": (1, 1)}


@pytest.mark.parametrize(
    "name,options,key",
    [
        ("rnn", {}, "rnn"),
        ("lstm", {}, "lstm"),
        ("peephole_lstm", {}, "lstm"),
        ("coupled_lstm", {}, "lstm"),
        ("gru", {"reset_after": False}, "gru-before"),
        ("gru", {"reset_after": True}, "gru-after"),
    ],
)
def test_one_kernel_launch_per_step(monkeypatch, name, options, key) -> None:
    launches = {"forward": 0, "backward": 0}
    real = cuda_kernels.kernel

    def counting(kernel_name):
        compiled = real(kernel_name)
        phase = "forward" if "forward" in kernel_name or "gates" in kernel_name else "backward"

        def launch(*args):
            launches[phase] += 1
            return compiled(*args)

        return launch

    monkeypatch.setattr(cuda_kernels, "kernel", counting)
    cell = mg.cells.create(name, I, H, rng=np.random.default_rng(0), **options).to("cuda")
    x = mg.tensor(np.ones((B, T, I), np.float32), device="cuda", requires_grad=True)
    outputs, _ = dynamic_rnn(cell, x)
    assert launches["forward"] == T * LAUNCHES[key][0]
    outputs.sum().backward()
    assert launches["backward"] == T * LAUNCHES[key][1]
    assert backend.is_gpu_array(x.grad)
