"""Probes for exercises whose answer is a cell plugin: a fixed protocol, in the student's process.

A cell plugin is a class and a hook, not a function with array arguments, so
the graded tests cannot call it directly. These probes do the class-shaped
work in the student's process and return plain values; the graded test then
checks those values against its own NumPy equations, in the grading process:

* ``registered_cells()``: what the student's ``minigrad_register_cells`` hook
  registers (names and class names, and the hook's failures);
* ``cell_behaviour(name, I, H, seed, x, state, upstream)``: build the cell
  twice with ``rng=default_rng(seed)`` and once with ``seed + 1``, return the
  parameters of each, run one step on ``x`` and ``state``, backward from
  ``upstream`` (one array per output, then per state part), and return the
  outputs and every gradient; and the outputs of a fresh cell after
  ``load_state_dict`` of the first one's;
* ``conformance(name, check)``: one check of minigrad's conformance kit.

What the student's process answers can be forged, so the conformance kit's
verdict can only fail a grade: a graded test recomputes what matters (the
step's values, its gradients, the initialisation, determinism, saving and
loading) from the parameters the probe returns. docs/exercises/instructors.md
shows a test built on these.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.lessons.grader.checks import probe, student


def _registry() -> Any:
    from minigrad.cells.registry import CellRegistry

    module = student()
    if not hasattr(module, "minigrad_register_cells"):
        raise AssertionError(
            "your file has no function minigrad_register_cells (the hook minigrad calls)"
        )
    loaded = CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(module,))
    for failure in loaded.failures:
        if failure.error.startswith("NotImplementedError"):
            raise NotImplementedError(failure.error.split(": ", 1)[-1])
        raise AssertionError(f"your hook minigrad_register_cells failed: {failure.error}")
    return loaded


@probe
def registered_cells() -> dict[str, str]:
    """``{name: class name}`` of the cells the student's hook registers."""
    loaded = _registry()
    return {name: loaded.get(name).cls.__name__ for name in loaded.names()}


def _parameters(cell: Any) -> dict[str, np.ndarray]:
    return {name: np.array(p.numpy()) for name, p in cell.named_parameters()}


def _parts(state: Any) -> list[Any]:
    return list(state) if isinstance(state, (tuple, list)) else [state]


@probe
def cell_behaviour(
    name: str,
    input_size: int,
    hidden_size: int,
    seed: int,
    x: np.ndarray,
    state: list[np.ndarray],
    upstream: list[np.ndarray],
    dtype: str = "float64",
) -> dict[str, Any]:
    """One step of the student's registered cell ``name`` and everything around it.

    Returns ``parameters``, ``same_seed`` and ``other_seed`` (the parameters
    of cells built with the same and with another seed), ``output`` and
    ``state`` (after one step, as returned), ``grads`` (``x``, ``state`` as a
    list, and ``parameters`` by name), ``zero_state`` (its parts) and
    ``reloaded_output`` (a cell of another seed after ``load_state_dict``).
    """
    import minigrad as mg

    cls = _registry().get(name).cls

    def build(s: int) -> Any:
        return cls(input_size, hidden_size, dtype=np.dtype(dtype), rng=np.random.default_rng(s))

    cell = build(seed)
    x_t = mg.tensor(x.astype(dtype), requires_grad=True)
    start = [mg.tensor(part.astype(dtype), requires_grad=True) for part in state]
    output, new_state = cell(x_t, start[0] if len(start) == 1 else tuple(start))
    loss = None
    for value, weight in zip([output, *_parts(new_state)], upstream):
        term = (value * mg.tensor(weight.astype(dtype))).sum()
        loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    reloaded = build(seed + 1)
    reloaded.load_state_dict(cell.state_dict())
    again, _ = reloaded(mg.tensor(x.astype(dtype)), _first_or_tuple(state, dtype))
    return {
        "parameters": _parameters(cell),
        "same_seed": _parameters(build(seed)),
        "other_seed": _parameters(build(seed + 1)),
        "output": output,
        "state": _parts(new_state),
        "grads": {
            "x": x_t.grad,
            "state": [part.grad for part in start],
            "parameters": {n: p.grad for n, p in cell.named_parameters()},
        },
        "zero_state": _parts(cell.zero_state(x.shape[0])),
        "reloaded_output": again,
    }


def _first_or_tuple(state: list[np.ndarray], dtype: str) -> Any:
    import minigrad as mg

    parts = tuple(mg.tensor(part.astype(dtype)) for part in state)
    return parts[0] if len(parts) == 1 else parts


@probe
def conformance(name: str, check: str) -> dict[str, str]:
    """One check of the conformance kit on the student's cell: ``{"status", "message"}``."""
    from minigrad.cells.conformance import check_cell

    report = check_cell(name, registry=_registry(), checks=[check])
    (result,) = report.results
    return {"status": result.status, "message": result.message}
