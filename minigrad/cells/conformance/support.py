"""Small tools the checks share: seeded inputs, running a cell, comparing results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad import backend, ops
from minigrad.cells.cell import Cell, SequenceModule
from minigrad.cells.conformance.subject import CellSubject
from minigrad.cells.drivers import dynamic_rnn
from minigrad.nn import Module
from minigrad.tensor import Tensor, tensor

#: Batch sizes the shape checks try (1 catches squeezed batch axes).
BATCH_SIZES = (1, 2, 5)
#: Per-example lengths for the masking checks: one full, two shorter, unsorted.
LENGTHS = (5, 2, 3)
#: Sizes for the float64 gradient checks: small, and different so that a
#: transposed weight cannot go unnoticed.
GRADCHECK_SIZES = (2, 3)
#: Comparisons between two float64 computations of the same quantity.
CLOSE = {"rtol": 1e-9, "atol": 1e-11}


def state_leaves(state: Any) -> list[Tensor]:
    """The Tensors of a state, depth first (a state may nest tuples, e.g. bidirectional)."""
    if isinstance(state, (tuple, list)):
        return [leaf for part in state for leaf in state_leaves(part)]
    return [state] if state is not None else []


def rebuild_state(template: Any, leaves: Iterable[Tensor]) -> Any:
    """A state with the structure of ``template`` and the Tensors ``leaves``."""
    it = iter(leaves)

    def build(node: Any) -> Any:
        if isinstance(node, (tuple, list)):
            return tuple(build(part) for part in node)
        return next(it) if node is not None else None

    return build(template)


def random_tensor(
    shape: tuple[int, ...], dtype: npt.DTypeLike, seed: int, device: str = "cpu", grad: bool = False
) -> Tensor:
    """Seeded standard-normal values as a Tensor on ``device``."""
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return tensor(values, device=device, requires_grad=grad)


def run_module(
    module: Any, inputs: Tensor, initial_state: Any = None, lengths: Any = None
) -> tuple[Tensor, Any]:
    """``(outputs [B, T, O], final_state)`` for a step cell or a sequence module."""
    if isinstance(module, SequenceModule):
        return module(inputs, initial_state=initial_state, lengths=lengths)
    return dynamic_rnn(module, inputs, initial_state, lengths)


def flat_outputs(outputs: Tensor, state: Any) -> Tensor:
    """Outputs and every state part as one ``[B, N]`` Tensor (what gradcheck projects)."""
    batch = outputs.shape[0]
    parts = [outputs.reshape(batch, -1), *(s.reshape(batch, -1) for s in state_leaves(state))]
    return ops.concat(parts, axis=1)


def random_loss(outputs: Tensor, state: Any, seed: int = 7) -> Tensor:
    """A scalar that depends on every output and state value with a random weight each."""
    flat = flat_outputs(outputs, state)
    weights = np.random.default_rng(seed).standard_normal(flat.shape).astype(flat.dtype)
    return (flat * backend.to_device(weights, flat.device)).sum()


def host(value: Any) -> np.ndarray:
    """A Tensor's (or an array's) values as a NumPy array on the host."""
    data = value.data if isinstance(value, Tensor) else value
    return backend.to_numpy(data)


def count(n: int, noun: str) -> str:
    """``"1 parameter"``, ``"3 parameters"``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def expect(condition: bool, message: str) -> None:
    """Fail the check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def expect_close(actual: Any, expected: Any, what: str, exact: bool = False) -> None:
    """Fail the check unless ``actual`` equals ``expected`` (to float64 rounding, or ``exact``)."""
    a, e = host(actual), host(expected)
    expect(a.shape == e.shape, f"{what}: shape {a.shape} vs {e.shape}")
    same = (
        np.array_equal(a, e) if exact else np.allclose(a, e, rtol=CLOSE["rtol"], atol=CLOSE["atol"])
    )
    if not same:
        diff = float(np.max(np.abs(a.astype(np.float64) - e.astype(np.float64))))
        how = "are not identical" if exact else "differ"
        raise AssertionError(f"{what} {how} (max |difference| {diff:.3g})")


def expected_dtype(subject: CellSubject) -> np.dtype:
    """The dtype the subject's parameters and results must have."""
    return np.dtype(subject.options.get("dtype", np.float32))


def state_description(cell: Cell) -> str:
    """E.g. ``"h [B, 4], c [B, 4]"``."""
    return ", ".join(f"{n} [B, {w}]" for n, w in zip(cell.state_layout, cell.state_sizes()))


def named_parameters(module: Module) -> list[tuple[str, Tensor]]:
    """``(name, parameter)`` pairs of a module, in its order."""
    return list(module.named_parameters())


def random_initial_state(
    module: Any, batch: int, dtype: Any, seed: int, device: str = "cpu"
) -> Any:
    """A random (non-zero) initial state with the module's structure, or None if unknown."""
    zero_state = getattr(module, "zero_state", None)
    if zero_state is None:
        return None
    template = zero_state(batch)
    leaves = [
        random_tensor(tuple(leaf.shape), dtype, seed + k, device, grad=True)
        for k, leaf in enumerate(state_leaves(template))
    ]
    return rebuild_state(template, leaves)
