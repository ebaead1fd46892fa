"""Checks of the numbers: gradients, static against dynamic runs, lengths, CPU against GPU."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad import ops
from minigrad.backend import gpu_available
from minigrad.cells.conformance.report import SkipCheck
from minigrad.cells.conformance.subject import CellSubject
from minigrad.cells.conformance.support import (
    GRADCHECK_SIZES,
    LENGTHS,
    count,
    expect,
    expect_close,
    flat_outputs,
    host,
    named_parameters,
    random_initial_state,
    random_loss,
    random_tensor,
    rebuild_state,
    run_module,
    state_leaves,
)
from minigrad.cells.drivers import dynamic_rnn, static_rnn
from minigrad.errors import GradcheckError
from minigrad.gradcheck import gradcheck
from minigrad.tensor import Tensor, grad, tensor


def check_gradients(subject: CellSubject) -> str:
    """float64 gradcheck through three steps w.r.t. inputs, initial state and parameters."""
    module = subject.build(dtype=np.float64, sizes=GRADCHECK_SIZES)
    batch, steps = 2, 3
    x = random_tensor((batch, steps, GRADCHECK_SIZES[0]), np.float64, seed=1, grad=True)
    state0 = random_initial_state(module, batch, np.float64, seed=2)
    leaves = state_leaves(state0)
    params = named_parameters(module)
    labels = ["inputs x"] + [f"initial state part {k}" for k in range(len(leaves))]
    labels += [f"parameter {n}" for n, _ in params]
    n_state = len(leaves)

    def through(driver: str, lengths: Any) -> Callable[..., Tensor]:
        def fn(x: Tensor, *rest: Tensor) -> Tensor:
            state = rebuild_state(state0, rest[:n_state]) if state0 is not None else None
            if driver == "static":
                outputs, final = static_rnn(module, ops.unstack(x, axis=1), state)
                return flat_outputs(ops.stack(outputs, axis=1), final)
            return flat_outputs(*run_module(module, x, state, lengths))

        return fn

    runs: list[tuple[str, np.ndarray | None]] = [("dynamic", np.array([3, 2]))]
    if subject.kind == "step":
        runs.insert(0, ("static", None))
    else:
        runs.insert(0, ("sequence", None))
    for driver, lengths in runs:
        try:
            gradcheck(through(driver, lengths), x, *leaves, *(p for _, p in params))
        except GradcheckError as exc:
            legend = ", ".join(f"{i}={label}" for i, label in enumerate(labels))
            with_lengths = " with lengths [3, 2]" if lengths is not None else ""
            raise AssertionError(f"through {driver} run{with_lengths}: {exc} [{legend}]") from None
    what = "inputs, initial state and " if leaves else "inputs and "
    return f"float64, {steps} steps, w.r.t. {what}{count(len(params), 'parameter')}"


def check_static_vs_dynamic(subject: CellSubject) -> str:
    """``static_rnn`` and ``dynamic_rnn`` agree on outputs, final state and gradients."""
    cell = subject.build(dtype=np.float64)
    batch, steps = 3, 4
    x = random_tensor((batch, steps, subject.input_size), np.float64, seed=3, grad=True)
    state0 = random_initial_state(cell, batch, np.float64, seed=4)
    wrt = [x, *state_leaves(state0), *(p for _, p in named_parameters(cell))]
    names = ["x", *cell.state_layout, *(n for n, _ in named_parameters(cell))]

    static_steps, static_state = static_rnn(cell, ops.unstack(x, axis=1), state0)
    static_out = ops.stack(static_steps, axis=1)
    dynamic_out, dynamic_state = dynamic_rnn(cell, x, state0)
    expect_close(dynamic_out, static_out, "outputs of dynamic_rnn and static_rnn")
    for k, (d, s) in enumerate(zip(state_leaves(dynamic_state), state_leaves(static_state))):
        expect_close(d, s, f"final state part {k} of dynamic_rnn and static_rnn")
    g_static = grad(random_loss(static_out, static_state), wrt)
    g_dynamic = grad(random_loss(dynamic_out, dynamic_state), wrt)
    for name, gd, gs in zip(names, g_dynamic, g_static):
        expect((gd is None) == (gs is None), f"gradient of {name}: one driver gives none")
        if gd is not None:
            expect_close(gd, gs, f"gradients of {name} through dynamic_rnn and static_rnn")
    fused = " (fused forward_sequence)" if hasattr(cell, "forward_sequence") else ""
    return f"outputs, final state and {len(wrt)} gradients agree{fused}"


def check_lengths(subject: CellSubject) -> str:
    """Masking: zero outputs past each length, final state at the last valid step."""
    module = subject.build(dtype=np.float64)
    lengths = np.array(LENGTHS)
    batch, steps = len(LENGTHS), max(LENGTHS)
    x = random_tensor((batch, steps, subject.input_size), np.float64, seed=5, grad=True)
    outputs, final = run_module(module, x, lengths=lengths)
    out = host(outputs)
    finals = state_leaves(final)
    for b, length in enumerate(LENGTHS):
        expect(
            not np.any(out[b, length:]),
            f"example {b} (length {length}): outputs at steps {length}..{steps - 1} are not zero",
        )
        alone = tensor(host(x)[b : b + 1, :length])
        ref_out, ref_final = run_module(module, alone)
        expect_close(out[b, :length], host(ref_out)[0], f"example {b} (length {length}): outputs")
        for k, (part, ref) in enumerate(zip(finals, state_leaves(ref_final))):
            expect_close(
                host(part)[b],
                host(ref)[0],
                f"example {b} (length {length}): final state part {k} vs the state after its "
                "last valid step",
            )
    (gx,) = grad(random_loss(outputs, final), [x])
    gx = host(gx)
    for b, length in enumerate(LENGTHS):
        expect(
            not np.any(gx[b, length:]),
            f"example {b} (length {length}): padded inputs receive a non-zero gradient",
        )
    return f"lengths {list(LENGTHS)}: padding is zero, final state at each last step"


def check_gpu_parity(subject: CellSubject) -> str:
    """The same weights on CPU and GPU give the same outputs, state and gradients."""
    if not gpu_available():
        raise SkipCheck("no usable CUDA GPU (CuPy missing or no device runs a kernel)")
    cpu = subject.build(dtype=np.float64, device="cpu", seed=31)
    gpu = subject.build(dtype=np.float64, device="cuda", seed=32)
    gpu.load_state_dict(cpu.state_dict())
    lengths = np.array(LENGTHS)
    shape = (len(LENGTHS), max(LENGTHS), subject.input_size)
    results = []
    for module, device in ((cpu, "cpu"), (gpu, "cuda")):
        x = random_tensor(shape, np.float64, seed=33, device=device, grad=True)
        outputs, final = run_module(module, x, lengths=lengths)
        wrt = [x, *(p for _, p in named_parameters(module))]
        results.append((outputs, state_leaves(final), grad(random_loss(outputs, final), wrt)))
        for leaf in [outputs, *state_leaves(final)]:
            expect(leaf.device == device, f"a result of the {device} module is on {leaf.device}")
    (out_c, fin_c, g_c), (out_g, fin_g, g_g) = results
    expect_close(out_g, out_c, "outputs on cuda vs cpu")
    for k, (g, c) in enumerate(zip(fin_g, fin_c)):
        expect_close(g, c, f"final state part {k} on cuda vs cpu")
    names = ["x", *(n for n, _ in named_parameters(cpu))]
    for name, g, c in zip(names, g_g, g_c):
        if g is not None or c is not None:
            expect(g is not None and c is not None, f"gradient of {name} missing on one device")
            expect_close(g, c, f"gradient of {name} on cuda vs cpu")
    return "outputs, final state and gradients match (float64, with lengths)"
