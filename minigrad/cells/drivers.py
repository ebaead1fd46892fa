"""Drivers that run any cell over time. Sequences are batch-first: ``[B, T, F]``.

* ``static_rnn``: the cell applied to a Python list of T tensors ``[B, F]``;
  the graph is the unrolled list you would write by hand (lesson 1).
* ``dynamic_rnn``: the cell applied to one ``[B, T, F]`` tensor, with optional
  per-example ``lengths`` (lesson 2). Past an example's length its outputs are
  zero and its state is carried through unchanged, so ``final_state`` is the
  state at each example's last valid step (TensorFlow's ``sequence_length``).
* ``bidirectional_rnn``: a forward and a backward cell; each sequence is
  reversed *within its own length* for the backward pass and its outputs are
  re-aligned in time before merging.

Truncated backpropagation through time (BPTT) carries the final state of one
batch into the next *without its graph*: ``state = detach_state(state)``. The
next ``backward()`` then stops at the batch boundary, exactly like TensorFlow's
non-overlapping windows in r2rt's tutorial.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

import numpy as np

from minigrad import backend, ops
from minigrad.cells.cell import Cell, State
from minigrad.errors import CellError, ShapeError
from minigrad.tensor import Tensor

MERGE_MODES = ("concat", "sum", "mean", "mul")


@overload
def detach_state(state: State) -> State: ...
@overload
def detach_state(state: None) -> None: ...
def detach_state(state: State | None) -> State | None:
    """The state's values without their graph (for truncated BPTT)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def map_state(fn: Callable[..., Tensor], *states: State) -> State:
    """Apply ``fn`` part by part to one or more states of the same structure."""
    if isinstance(states[0], tuple):
        return tuple(fn(*parts) for parts in zip(*states))
    return fn(*states)


def static_rnn(
    cell: Cell, inputs: Sequence[Tensor], initial_state: State | None = None
) -> tuple[list[Tensor], State]:
    """Unroll ``cell`` over a list of T step inputs ``[B, input_size]``.

    Returns the list of T outputs ``[B, output_size]`` and the final state.
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ShapeError("static_rnn: inputs must be a non-empty list of [B, input_size] tensors")
    state = initial_state if initial_state is not None else cell.zero_state(inputs[0].shape[0])
    outputs = []
    for x_t in inputs:
        out, state = cell(x_t, state)
        outputs.append(out)
    return outputs, state


def check_sequence(cell: Any, inputs: Any, lengths: Any, who: str) -> np.ndarray | None:
    """Validate a ``[B, T, input_size]`` batch and its ``lengths``; return lengths as int64."""
    name = type(cell).__name__
    if not isinstance(inputs, Tensor) or inputs.ndim != 3:
        shape = getattr(inputs, "shape", type(inputs).__name__)
        hint = (
            " (a single step? use cell(x_t, state), or add a time axis)"
            if len(getattr(inputs, "shape", ())) == 2
            else ""
        )
        raise ShapeError(f"{who}: inputs must be [batch, time, input_size], got {shape}{hint}")
    batch, steps, width = inputs.shape
    if width != cell.input_size:
        raise CellError(
            f"{who}: {name} expects input_size={cell.input_size}, but inputs are "
            f"[{batch}, {steps}, {width}]"
        )
    if lengths is None:
        return None
    lens = np.asarray(backend.to_numpy(lengths.data if isinstance(lengths, Tensor) else lengths))
    if lens.shape != (batch,) or lens.dtype.kind not in "iu":
        raise ShapeError(
            f"{who}: lengths must be {batch} integers (one per example), got "
            f"shape {lens.shape} dtype {lens.dtype}"
        )
    if lens.size and (lens.min() < 1 or lens.max() > steps):
        raise ShapeError(
            f"{who}: every length must be in 1..{steps} (the time axis), got "
            f"min {int(lens.min())}, max {int(lens.max())}"
        )
    return lens.astype(np.int64)


def unroll(
    cell: Cell, inputs: Tensor, state: State, lengths: np.ndarray | None
) -> tuple[Tensor, State]:
    """The reference loop behind ``dynamic_rnn``: one ``cell`` call per time step.

    With ``lengths``, step t of example b counts only if t < lengths[b]: the
    output is zeroed and the previous state kept otherwise.
    """
    xp = backend.get_array_module(inputs.data)
    outputs = []
    for t, x_t in enumerate(ops.unstack(inputs, axis=1)):
        out, new_state = cell(x_t, state)
        if lengths is not None and t >= lengths.min():
            valid = xp.asarray((t < lengths)[:, None])
            out = ops.where(valid, out, 0.0)
            new_state = map_state(
                lambda new, old, keep=valid: ops.where(keep, new, old), new_state, state
            )
        outputs.append(out)
        state = new_state
    return ops.stack(outputs, axis=1), state


def dynamic_rnn(
    cell: Cell,
    inputs: Tensor,
    initial_state: State | None = None,
    lengths: Any = None,
) -> tuple[Tensor, State]:
    """Run ``cell`` over ``inputs`` ``[B, T, input_size]`` -> ``(outputs [B, T, H], final_state)``.

    ``lengths`` (B integers in 1..T) marks where each example ends: later
    outputs are zero and the state stops changing. A cell may provide a fused
    ``forward_sequence(inputs, state, lengths)`` with the same semantics; it is
    used when present (``fused=False`` on the built-in cells disables it).
    """
    lens = check_sequence(cell, inputs, lengths, "dynamic_rnn")
    state = initial_state if initial_state is not None else cell.zero_state(inputs.shape[0])
    if initial_state is not None:
        cell.check_state(state, inputs.shape[0])
    fused = getattr(cell, "forward_sequence", None)
    if fused is not None:
        return fused(inputs, state, lens)
    return unroll(cell, inputs, state, lens)


def reverse_sequences(inputs: Tensor, lengths: np.ndarray | None) -> Tensor:
    """Reverse each ``[B, T, F]`` sequence within its own length (padding stays at the end)."""
    batch, steps = inputs.shape[:2]
    xp = backend.get_array_module(inputs.data)
    if lengths is None:
        return ops.getitem(inputs, (slice(None), xp.arange(steps - 1, -1, -1)))
    t = np.arange(steps)[None, :]
    lens = lengths[:, None]
    index = np.where(t < lens, lens - 1 - t, t)
    rows = xp.asarray(np.arange(batch)[:, None])
    return ops.getitem(inputs, (rows, xp.asarray(index)))


def merge_directions(forward: Tensor, backward: Tensor, merge: str) -> Tensor:
    """Combine forward and backward outputs: concat ([fw, bw] features), sum, mean or mul."""
    if merge == "concat":
        return ops.concat([forward, backward], axis=-1)
    if merge == "sum":
        return forward + backward
    if merge == "mean":
        return (forward + backward) * 0.5
    if merge == "mul":
        return forward * backward
    raise CellError(f"unknown merge mode {merge!r}; choose one of {', '.join(MERGE_MODES)}")


def bidirectional_rnn(
    cell_fw: Cell,
    cell_bw: Cell,
    inputs: Tensor,
    initial_states: tuple[State | None, State | None] = (None, None),
    lengths: Any = None,
    merge: str = "concat",
) -> tuple[Tensor, tuple[State, State]]:
    """Run a forward and a backward cell over ``[B, T, I]`` and merge their outputs.

    Returns ``(outputs, (final_fw, final_bw))``; outputs are ``[B, T, 2H]`` for
    ``merge="concat"`` (forward features first) and ``[B, T, H]`` otherwise.
    The backward cell's final state is the one after reading each sequence's
    first element. Padded steps (t >= length) are zero in both directions.
    """
    if merge not in MERGE_MODES:
        raise CellError(f"unknown merge mode {merge!r}; choose one of {', '.join(MERGE_MODES)}")
    lens = check_sequence(cell_fw, inputs, lengths, "bidirectional_rnn")
    check_sequence(cell_bw, inputs, lengths, "bidirectional_rnn")
    out_fw, state_fw = dynamic_rnn(cell_fw, inputs, initial_states[0], lens)
    reversed_inputs = reverse_sequences(inputs, lens)
    out_bw_rev, state_bw = dynamic_rnn(cell_bw, reversed_inputs, initial_states[1], lens)
    out_bw = reverse_sequences(out_bw_rev, lens)
    return merge_directions(out_fw, out_bw, merge), (state_fw, state_bw)
