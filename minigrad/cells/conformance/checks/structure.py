"""Checks of the contract's shape: construction, output and state shapes, zero state, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.cells.cell import Cell
from minigrad.cells.conformance.subject import OPTIONS_RULE, CellSubject
from minigrad.cells.conformance.support import (
    BATCH_SIZES,
    expect,
    expected_dtype,
    host,
    named_parameters,
    random_tensor,
    rebuild_state,
    run_module,
    state_description,
    state_leaves,
)
from minigrad.errors import CellError, MinigradError
from minigrad.tensor import Tensor


def check_constructor(subject: CellSubject) -> str:
    """``dtype``, ``device`` and ``rng`` options; sizes stored; bad sizes raise CellError."""
    missing = [o for o in ("dtype", "device", "rng") if not subject.accepts(o)]
    expect(
        not missing,
        f"__init__ has no keyword option {', '.join(missing)} (dtype: float64 for gradient "
        f"checks; device: 'cpu'/'cuda'; rng: a seeded generator). {OPTIONS_RULE}",
    )
    module = subject.build()
    for attr, value in (("input_size", subject.input_size), ("hidden_size", subject.hidden_size)):
        got = getattr(module, attr, None)
        expect(got == value, f"{attr} is {got!r} after building with {attr}={value}")
    expect(
        isinstance(getattr(module, "output_size", None), int),
        "output_size must be an int (the width of each output step)",
    )
    problems = []
    for bad in ((0, subject.hidden_size), (subject.input_size, -1), (2.5, subject.hidden_size)):
        try:
            subject.cls(*bad, **subject.options)
        except CellError:
            continue
        except Exception as exc:
            problems.append(f"sizes {bad} raised {type(exc).__name__} instead of CellError: {exc}")
        else:
            problems.append(f"sizes {bad} were accepted")
    expect(not problems, "; ".join(problems))
    return "takes dtype, device, rng; stores sizes; rejects bad sizes with CellError"


def check_shapes(subject: CellSubject) -> str:
    """Output and state shapes and dtypes for several batch sizes."""
    module = subject.build()
    dtype = expected_dtype(subject)
    wrong = [n for n, p in named_parameters(module) if p.dtype != dtype]
    expect(not wrong, f"parameters {wrong} are not {dtype} (the cell's dtype)")
    steps = 4
    for batch in BATCH_SIZES:
        x = random_tensor((batch, steps, subject.input_size), dtype, seed=batch)
        if subject.kind == "step":
            _check_step_shapes(module, x, batch, dtype)
        outputs, state = run_module(module, x)
        expected = (batch, steps, module.output_size)
        expect(
            tuple(outputs.shape) == expected,
            f"batch {batch}: outputs are {tuple(outputs.shape)}, expected {expected}",
        )
        expect(outputs.dtype == dtype, f"outputs are {outputs.dtype}, expected {dtype}")
        for k, leaf in enumerate(state_leaves(state)):
            expect(
                leaf.ndim == 2 and leaf.shape[0] == batch and leaf.dtype == dtype,
                f"batch {batch}: final state part {k} is {tuple(leaf.shape)} {leaf.dtype}, "
                f"expected [{batch}, size] {dtype}",
            )
    sizes = ", ".join(map(str, BATCH_SIZES))
    if subject.kind == "step":
        return f"batch {sizes}: output [B, {module.output_size}], state {state_description(module)}"
    return f"batch {sizes}: outputs [B, T, {module.output_size}], final state [B, ...]"


def _check_step_shapes(cell: Cell, x: Tensor, batch: int, dtype: np.dtype) -> None:
    out, state = cell(x[:, 0], cell.zero_state(batch))
    expect(
        tuple(out.shape) == (batch, cell.output_size),
        f"batch {batch}: output_t is {tuple(out.shape)}, expected ({batch}, {cell.output_size})",
    )
    expect(out.dtype == dtype, f"output_t is {out.dtype}, expected {dtype}")
    _check_state_structure(cell, state, batch, dtype, "the new state")


def _check_state_structure(cell: Cell, state: Any, batch: int, dtype: Any, what: str) -> None:
    layout, sizes = tuple(cell.state_layout), tuple(cell.state_sizes())
    expect(
        len(layout) == len(sizes) and len(layout) > 0,
        f"state_layout {layout} and state_sizes() {sizes} must be non-empty and of equal length",
    )
    if len(layout) == 1:
        expect(
            isinstance(state, Tensor),
            f"{what} must be a bare Tensor for state_layout {layout}, got {type(state).__name__}",
        )
        parts = (state,)
    else:
        expect(
            isinstance(state, tuple) and len(state) == len(layout),
            f"{what} must be a tuple ({', '.join(layout)}), got {type(state).__name__}"
            + (f" of {len(state)}" if isinstance(state, (tuple, list)) else ""),
        )
        parts = state
    for name, part, width in zip(layout, parts, sizes):
        expect(isinstance(part, Tensor), f"{what}: part '{name}' is not a Tensor")
        expect(
            tuple(part.shape) == (batch, width) and part.dtype == dtype,
            f"{what}: part '{name}' is {tuple(part.shape)} {part.dtype}, expected "
            f"({batch}, {width}) {dtype}",
        )


def check_zero_state(subject: CellSubject) -> str:
    """``zero_state(B)``: structure of ``state_layout``, zeros, ``[B, size]``, the cell's dtype."""
    cell = subject.build()
    dtype = expected_dtype(subject)
    for batch in BATCH_SIZES:
        state = cell.zero_state(batch)
        _check_state_structure(cell, state, batch, dtype, f"zero_state({batch})")
        for name, part in zip(cell.state_layout, state_leaves(state)):
            expect(not np.any(host(part)), f"zero_state({batch}): part '{name}' is not all zeros")
    kind = "a Tensor" if len(cell.state_layout) == 1 else f"a tuple of {len(cell.state_layout)}"
    return f"{kind} of zeros ({state_description(cell)}) in {dtype}"


def check_errors(subject: CellSubject) -> str:
    """Wrong input width and wrong state structure raise CellError naming the cell."""
    module = subject.build()
    dtype = expected_dtype(subject)
    name = subject.cls.__name__
    batch, width = 2, subject.input_size
    cases: list[tuple[str, Callable[[], Any], type[Exception] | None]] = [
        (
            f"inputs [B, T, {width + 1}]",
            lambda: run_module(module, random_tensor((batch, 3, width + 1), dtype, 0)),
            CellError,
        )
    ]
    if subject.kind == "step":
        zero = module.zero_state(batch)
        x_t = random_tensor((batch, width), dtype, 0)
        parts = state_leaves(zero)
        wide = tuple(random_tensor((batch, p.shape[1] + 1), dtype, 0) for p in parts)
        wrong_structure = (zero, zero) if isinstance(zero, Tensor) else parts[0]
        cases += [
            (
                f"x_t [B, {width + 1}]",
                lambda: module(random_tensor((batch, width + 1), dtype, 0), zero),
                CellError,
            ),
            (
                f"x_t [B, 3, {width}] (3-D)",
                lambda: module(random_tensor((batch, 3, width), dtype, 0)),
                CellError,
            ),
            ("the wrong state structure", lambda: module(x_t, wrong_structure), CellError),
            ("state parts one wider", lambda: module(x_t, rebuild_state(zero, wide)), CellError),
        ]
    else:
        cases.append(
            (
                f"inputs [B, {width}] (2-D)",
                lambda: module(random_tensor((batch, width), dtype, 0)),
                None,
            )
        )
    problems = []
    for what, call, expected in cases:
        try:
            call()
        except MinigradError as exc:
            if expected is not None and not isinstance(exc, expected):
                problems.append(f"{what} raised {type(exc).__name__}, expected CellError")
            elif name not in str(exc) and subject.kind == "step":
                problems.append(f"{what}: the error does not name {name}: {exc}")
        except Exception as exc:
            problems.append(f"{what} raised {type(exc).__name__} (not a minigrad error): {exc}")
        else:
            problems.append(f"{what} was accepted")
    expect(not problems, "; ".join(problems))
    return f"{len(cases)} kinds of bad input each raise a clear minigrad error"
