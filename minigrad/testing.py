"""The conformance kit: does a cell keep the contract every minigrad cell keeps?

``check_cell`` runs every check on one cell and returns a report; nothing stops
at the first failure, so one run shows everything that needs fixing::

    >>> from minigrad.testing import check_cell
    >>> report = check_cell("rnn")                  # a registered name, or the class
    >>> report.ok                                   # no check failed (skips are fine)
    True
    >>> report.raise_if_failed()                    # a CellError listing every failure

In a pytest suite, ``parametrize_with_cell_checks`` makes one test per
(cell, check), in the spirit of scikit-learn's ``parametrize_with_checks``::

    @parametrize_with_cell_checks(["rnn", ("gru", {"reset_after": True}), MyCell])
    def test_my_cells_conform(cell, check):
        check(cell)

The checks for a step cell (a ``minigrad.cells.Cell``), each a small function
named ``check_<name>`` below:

``constructor``
    ``__init__`` takes the keyword options ``dtype``, ``device`` and ``rng``;
    sizes are stored; sizes that are not positive ints raise ``CellError``.
``shapes``
    ``cell(x_t, state)`` and ``dynamic_rnn`` give outputs ``[B, output_size]``
    / ``[B, T, output_size]`` and a state of the declared layout and sizes for
    batch sizes 1, 2 and 5; parameters, outputs and state keep the cell's dtype.
``zero_state``
    a Tensor for a one-part layout, a tuple of ``len(state_layout)`` Tensors
    otherwise; all zeros, ``[B, size]``, the cell's dtype.
``gradients``
    ``minigrad.gradcheck`` in float64 through three steps, with respect to the
    inputs, every part of a random initial state and every parameter; once
    through ``static_rnn`` and once through ``dynamic_rnn`` with lengths.
``static_vs_dynamic``
    ``static_rnn`` and ``dynamic_rnn`` (which may use a fused
    ``forward_sequence``) agree on outputs, final state and every gradient.
``lengths``
    with per-example lengths, outputs past each length are exactly zero, the
    rest and the final state equal a run over the truncated example alone, and
    padded inputs receive exactly zero gradient.
``determinism``
    two cells built from the same seed have identical parameters and outputs;
    calling a cell twice gives the same result; a different seed changes the
    parameters (else the ``rng`` option is ignored).
``save_load``
    ``state_dict`` loaded into a fresh instance (built from another seed)
    reproduces the outputs exactly, and so does a round trip through
    ``minigrad.save`` / ``minigrad.load``.
``gpu_parity``
    the same weights on "cpu" and "cuda" give the same outputs, final state and
    gradients (float64). Reported as a *skip* when
    ``minigrad.backend.gpu_available()`` is False.
``docstring``
    see ``docstring_problems`` for the exact rule.
``registration``
    given a name: the registry resolves it (and every alias) to this class,
    attributes it to a plugin, and ``registry.create`` builds an instance.
    Given a class: skipped unless a ``registry`` is passed, in which case the
    class must be registered in it under some name.
``errors``
    a wrong input width, a 3-D step input, a wrong state structure (a tuple
    for a one-part state, a bare Tensor for a tuple state) and a wrong state
    width each raise ``CellError`` naming the cell class.

A ``SequenceModule`` (like ``bidirectional``) gets ``constructor``,
``shapes``, ``gradients``, ``lengths``, ``determinism``, ``save_load``,
``gpu_parity``, ``docstring``, ``registration`` and ``errors``, all at the
sequence level: ``module(inputs [B, T, I], initial_state=None, lengths=None)
-> (outputs [B, T, output_size], final_state)``.

Sequences are batch-first, ``[B, T, F]``, as everywhere in minigrad.
"""

from __future__ import annotations

import inspect
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad import backend, ops
from minigrad.backend import gpu_available
from minigrad.cells.base import Cell, SequenceModule
from minigrad.cells.registry import CellRegistry, cell_options
from minigrad.errors import CellError, GradcheckError, MinigradError
from minigrad.gradcheck import gradcheck
from minigrad.io import load, save
from minigrad.rnn import dynamic_rnn, static_rnn
from minigrad.tensor import Tensor, grad, tensor

PASS, FAIL, SKIP = "pass", "fail", "skip"

#: Batch sizes the shape checks try (1 catches squeezed batch axes).
BATCH_SIZES = (1, 2, 5)
#: Per-example lengths for the masking checks: one full, two shorter, unsorted.
LENGTHS = (5, 2, 3)
#: Sizes for the float64 gradient checks: small, and different so that a
#: transposed weight cannot go unnoticed.
GRADCHECK_SIZES = (2, 3)
#: Comparisons between two float64 computations of the same quantity.
CLOSE = {"rtol": 1e-9, "atol": 1e-11}


class SkipCheck(Exception):
    """Raised inside a check to report it as skipped (with the reason)."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``status`` is "pass", "fail" or "skip"."""

    check: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        """True unless the check failed (a skip counts as not failed)."""
        return self.status != FAIL


@dataclass
class CellReport:
    """Every check's result for one cell (``label`` is its name or class name)."""

    label: str
    cls: type
    kind: str
    options: dict[str, Any]
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if no check failed (skipped checks are allowed)."""
        return all(r.status != FAIL for r in self.results)

    def by_status(self, status: str) -> list[CheckResult]:
        """The results with ``status`` ("pass", "fail" or "skip")."""
        return [r for r in self.results if r.status == status]

    def summary(self) -> str:
        """E.g. ``"11 passed, 0 failed, 1 skipped"``."""
        counts = [len(self.by_status(s)) for s in (PASS, FAIL, SKIP)]
        return f"{counts[0]} passed, {counts[1]} failed, {counts[2]} skipped"

    def raise_if_failed(self) -> None:
        """Raise ``CellError`` listing every failed check, or return quietly."""
        failed = self.by_status(FAIL)
        if failed:
            lines = "\n".join(f"- {r.check}: {r.message}" for r in failed)
            raise CellError(
                f"{self.label} ({self.cls.__name__}) fails {len(failed)} conformance "
                f"check(s):\n{lines}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the report."""
        return {
            "cell": self.label,
            "class": f"{self.cls.__module__}.{self.cls.__qualname__}",
            "kind": self.kind,
            "options": {k: _jsonable(v) for k, v in self.options.items()},
            "ok": self.ok,
            "results": [
                {"check": r.check, "status": r.status, "message": r.message} for r in self.results
            ],
        }


@dataclass(frozen=True)
class CellSubject:
    """What every check receives: the class under test and how to build it.

    ``name`` is the registered name (None when a class was given), ``options``
    the cell options passed on every build, ``registry`` where the name was
    looked up.
    """

    cls: type
    name: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    registry: CellRegistry | None = None
    input_size: int = 3
    hidden_size: int = 4

    @property
    def kind(self) -> str:
        """Either "sequence" (a SequenceModule) or "step" (a Cell)."""
        return "sequence" if issubclass(self.cls, SequenceModule) else "step"

    @property
    def label(self) -> str:
        """The name (or class name) with its options, e.g. ``gru[reset_after=True]``."""
        base = self.name or self.cls.__name__
        if not self.options:
            return base
        return base + "[" + ",".join(f"{k}={v!r}" for k, v in self.options.items()) + "]"

    def accepts(self, option: str) -> bool:
        """True if ``__init__`` takes ``option`` (by name or through ``**kwargs``)."""
        return option in cell_options(self.cls) or _takes_var_keyword(self.cls)

    def build(
        self,
        *,
        dtype: Any = None,
        device: str = "cpu",
        seed: int = 0,
        sizes: tuple[int, int] | None = None,
    ) -> Any:
        """A new instance, its random initialisation seeded by ``seed``.

        The seed goes in through the ``rng`` option when the cell has one (a
        generator on ``device``), else through ``minigrad.manual_seed``.
        ``dtype=None`` keeps the cell's default (or the ``dtype`` option).
        """
        kwargs = dict(self.options)
        if dtype is not None:
            if not self.accepts("dtype"):
                raise AssertionError(
                    f"{self.cls.__name__} has no dtype option, so it cannot be built in {dtype}"
                )
            kwargs["dtype"] = dtype
        if device != "cpu" or self.accepts("device"):
            kwargs["device"] = device
        if self.accepts("rng"):
            kwargs["rng"] = backend.random_generator(seed, device)
        else:
            backend.manual_seed(seed)
        input_size, hidden_size = sizes or (self.input_size, self.hidden_size)
        return self.cls(input_size, hidden_size, **kwargs)


Check = Callable[[CellSubject], str]


# -------------------------------------------------------------------- helpers
def _takes_var_keyword(cls: type) -> bool:
    params = inspect.signature(cls.__init__).parameters.values()
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, type):
        return value.__name__
    return repr(value)


def _leaves(state: Any) -> list[Tensor]:
    """The Tensors of a state, depth first (a state may nest tuples, e.g. bidirectional)."""
    if isinstance(state, (tuple, list)):
        return [leaf for part in state for leaf in _leaves(part)]
    return [state] if state is not None else []


def _rebuild(template: Any, leaves: Iterable[Tensor]) -> Any:
    """A state with the structure of ``template`` and the Tensors ``leaves``."""
    it = iter(leaves)

    def build(node: Any) -> Any:
        if isinstance(node, (tuple, list)):
            return tuple(build(part) for part in node)
        return next(it) if node is not None else None

    return build(template)


def _random(
    shape: tuple[int, ...], dtype: Any, seed: int, device: str = "cpu", grad: bool = False
) -> Tensor:
    """Seeded standard-normal values as a Tensor on ``device``."""
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return tensor(values, device=device, requires_grad=grad)


def _run(
    module: Any, inputs: Tensor, initial_state: Any = None, lengths: Any = None
) -> tuple[Tensor, Any]:
    """``(outputs [B, T, O], final_state)`` for a step cell or a sequence module."""
    if isinstance(module, SequenceModule):
        return module(inputs, initial_state=initial_state, lengths=lengths)
    return dynamic_rnn(module, inputs, initial_state, lengths)


def _flat(outputs: Tensor, state: Any) -> Tensor:
    """Outputs and every state part as one ``[B, N]`` Tensor (what gradcheck projects)."""
    batch = outputs.shape[0]
    parts = [outputs.reshape(batch, -1), *(s.reshape(batch, -1) for s in _leaves(state))]
    return ops.concat(parts, axis=1)


def _loss(outputs: Tensor, state: Any, seed: int = 7) -> Tensor:
    """A scalar that depends on every output and state value with a random weight each."""
    flat = _flat(outputs, state)
    weights = np.random.default_rng(seed).standard_normal(flat.shape).astype(flat.dtype)
    return (flat * backend.to_device(weights, flat.device)).sum()


def _host(value: Any) -> np.ndarray:
    data = value.data if isinstance(value, Tensor) else value
    return backend.to_numpy(data)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _expect_close(actual: Any, expected: Any, what: str, exact: bool = False) -> None:
    a, e = _host(actual), _host(expected)
    _expect(a.shape == e.shape, f"{what}: shape {a.shape} vs {e.shape}")
    same = np.array_equal(a, e) if exact else np.allclose(a, e, **CLOSE)
    if not same:
        diff = float(np.max(np.abs(a.astype(np.float64) - e.astype(np.float64))))
        how = "are not identical" if exact else "differ"
        raise AssertionError(f"{what} {how} (max |difference| {diff:.3g})")


def _expected_dtype(subject: CellSubject) -> np.dtype:
    return np.dtype(subject.options.get("dtype", np.float32))


def _state_description(cell: Cell) -> str:
    return ", ".join(f"{n} [B, {w}]" for n, w in zip(cell.state_layout, cell.state_sizes()))


def _named_parameters(module: Any) -> list[tuple[str, Tensor]]:
    return list(module.named_parameters())


def _initial_state(module: Any, batch: int, dtype: Any, seed: int, device: str = "cpu") -> Any:
    """A random (non-zero) initial state with the module's structure, or None if unknown."""
    zero_state = getattr(module, "zero_state", None)
    if zero_state is None:
        return None
    template = zero_state(batch)
    leaves = [
        _random(tuple(leaf.shape), dtype, seed + k, device, grad=True)
        for k, leaf in enumerate(_leaves(template))
    ]
    return _rebuild(template, leaves)


# --------------------------------------------------------------- the checks
def check_constructor(subject: CellSubject) -> str:
    """``dtype``, ``device`` and ``rng`` options; sizes stored; bad sizes raise CellError."""
    missing = [o for o in ("dtype", "device", "rng") if not subject.accepts(o)]
    _expect(
        not missing,
        f"__init__ has no keyword option {', '.join(missing)}: every cell takes dtype (float64 "
        "for gradient checks), device ('cpu'/'cuda') and rng (a seeded generator)",
    )
    module = subject.build()
    for attr, value in (("input_size", subject.input_size), ("hidden_size", subject.hidden_size)):
        got = getattr(module, attr, None)
        _expect(got == value, f"{attr} is {got!r} after building with {attr}={value}")
    _expect(
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
    _expect(not problems, "; ".join(problems))
    return "takes dtype, device, rng; stores sizes; rejects bad sizes with CellError"


def check_shapes(subject: CellSubject) -> str:
    """Output and state shapes and dtypes for several batch sizes."""
    module = subject.build()
    dtype = _expected_dtype(subject)
    wrong = [n for n, p in _named_parameters(module) if p.dtype != dtype]
    _expect(not wrong, f"parameters {wrong} are not {dtype} (the cell's dtype)")
    steps = 4
    for batch in BATCH_SIZES:
        x = _random((batch, steps, subject.input_size), dtype, seed=batch)
        if subject.kind == "step":
            _check_step_shapes(module, x, batch, dtype)
        outputs, state = _run(module, x)
        expected = (batch, steps, module.output_size)
        _expect(
            tuple(outputs.shape) == expected,
            f"batch {batch}: outputs are {tuple(outputs.shape)}, expected {expected}",
        )
        _expect(outputs.dtype == dtype, f"outputs are {outputs.dtype}, expected {dtype}")
        for k, leaf in enumerate(_leaves(state)):
            _expect(
                leaf.ndim == 2 and leaf.shape[0] == batch and leaf.dtype == dtype,
                f"batch {batch}: final state part {k} is {tuple(leaf.shape)} {leaf.dtype}, "
                f"expected [{batch}, size] {dtype}",
            )
    sizes = ", ".join(map(str, BATCH_SIZES))
    if subject.kind == "step":
        return (
            f"batch {sizes}: output [B, {module.output_size}], state {_state_description(module)}"
        )
    return f"batch {sizes}: outputs [B, T, {module.output_size}], final state [B, ...]"


def _check_step_shapes(cell: Cell, x: Tensor, batch: int, dtype: np.dtype) -> None:
    out, state = cell(x[:, 0], cell.zero_state(batch))
    _expect(
        tuple(out.shape) == (batch, cell.output_size),
        f"batch {batch}: output_t is {tuple(out.shape)}, expected ({batch}, {cell.output_size})",
    )
    _expect(out.dtype == dtype, f"output_t is {out.dtype}, expected {dtype}")
    _check_state_structure(cell, state, batch, dtype, "the new state")


def _check_state_structure(cell: Cell, state: Any, batch: int, dtype: Any, what: str) -> None:
    layout, sizes = tuple(cell.state_layout), tuple(cell.state_sizes())
    _expect(
        len(layout) == len(sizes) and len(layout) > 0,
        f"state_layout {layout} and state_sizes() {sizes} must be non-empty and of equal length",
    )
    if len(layout) == 1:
        _expect(
            isinstance(state, Tensor),
            f"{what} must be a bare Tensor for state_layout {layout}, got {type(state).__name__}",
        )
        parts = (state,)
    else:
        _expect(
            isinstance(state, tuple) and len(state) == len(layout),
            f"{what} must be a tuple ({', '.join(layout)}), got {type(state).__name__}"
            + (f" of {len(state)}" if isinstance(state, (tuple, list)) else ""),
        )
        parts = state
    for name, part, width in zip(layout, parts, sizes):
        _expect(isinstance(part, Tensor), f"{what}: part '{name}' is not a Tensor")
        _expect(
            tuple(part.shape) == (batch, width) and part.dtype == dtype,
            f"{what}: part '{name}' is {tuple(part.shape)} {part.dtype}, expected "
            f"({batch}, {width}) {dtype}",
        )


def check_zero_state(subject: CellSubject) -> str:
    """``zero_state(B)``: structure of ``state_layout``, zeros, ``[B, size]``, the cell's dtype."""
    cell = subject.build()
    dtype = _expected_dtype(subject)
    for batch in BATCH_SIZES:
        state = cell.zero_state(batch)
        _check_state_structure(cell, state, batch, dtype, f"zero_state({batch})")
        for name, part in zip(cell.state_layout, _leaves(state)):
            _expect(not np.any(_host(part)), f"zero_state({batch}): part '{name}' is not all zeros")
    kind = "a Tensor" if len(cell.state_layout) == 1 else f"a tuple of {len(cell.state_layout)}"
    return f"{kind} of zeros ({_state_description(cell)}) in {dtype}"


def check_gradients(subject: CellSubject) -> str:
    """float64 gradcheck through three steps w.r.t. inputs, initial state and parameters."""
    module = subject.build(dtype=np.float64, sizes=GRADCHECK_SIZES)
    batch, steps = 2, 3
    x = _random((batch, steps, GRADCHECK_SIZES[0]), np.float64, seed=1, grad=True)
    state0 = _initial_state(module, batch, np.float64, seed=2)
    leaves = _leaves(state0)
    params = _named_parameters(module)
    labels = ["inputs x"] + [f"initial state part {k}" for k in range(len(leaves))]
    labels += [f"parameter {n}" for n, _ in params]
    n_state = len(leaves)

    def through(driver: str, lengths: Any) -> Callable[..., Tensor]:
        def fn(x: Tensor, *rest: Tensor) -> Tensor:
            state = _rebuild(state0, rest[:n_state]) if state0 is not None else None
            if driver == "static":
                outputs, final = static_rnn(module, ops.unstack(x, axis=1), state)
                return _flat(ops.stack(outputs, axis=1), final)
            return _flat(*_run(module, x, state, lengths))

        return fn

    runs = [("dynamic", np.array([3, 2]))]
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
    return f"float64, {steps} steps, w.r.t. {what}{_count(len(params), 'parameter')}"


def check_static_vs_dynamic(subject: CellSubject) -> str:
    """``static_rnn`` and ``dynamic_rnn`` agree on outputs, final state and gradients."""
    cell = subject.build(dtype=np.float64)
    batch, steps = 3, 4
    x = _random((batch, steps, subject.input_size), np.float64, seed=3, grad=True)
    state0 = _initial_state(cell, batch, np.float64, seed=4)
    wrt = [x, *_leaves(state0), *(p for _, p in _named_parameters(cell))]
    names = ["x", *cell.state_layout, *(n for n, _ in _named_parameters(cell))]

    static_out, static_state = static_rnn(cell, ops.unstack(x, axis=1), state0)
    static_out = ops.stack(static_out, axis=1)
    dynamic_out, dynamic_state = dynamic_rnn(cell, x, state0)
    _expect_close(dynamic_out, static_out, "outputs of dynamic_rnn and static_rnn")
    for k, (d, s) in enumerate(zip(_leaves(dynamic_state), _leaves(static_state))):
        _expect_close(d, s, f"final state part {k} of dynamic_rnn and static_rnn")
    g_static = grad(_loss(static_out, static_state), wrt)
    g_dynamic = grad(_loss(dynamic_out, dynamic_state), wrt)
    for name, gd, gs in zip(names, g_dynamic, g_static):
        _expect((gd is None) == (gs is None), f"gradient of {name}: one driver gives none")
        if gd is not None:
            _expect_close(gd, gs, f"gradients of {name} through dynamic_rnn and static_rnn")
    fused = " (fused forward_sequence)" if hasattr(cell, "forward_sequence") else ""
    return f"outputs, final state and {len(wrt)} gradients agree{fused}"


def check_lengths(subject: CellSubject) -> str:
    """Masking: zero outputs past each length, final state at the last valid step."""
    module = subject.build(dtype=np.float64)
    lengths = np.array(LENGTHS)
    batch, steps = len(LENGTHS), max(LENGTHS)
    x = _random((batch, steps, subject.input_size), np.float64, seed=5, grad=True)
    outputs, final = _run(module, x, lengths=lengths)
    out = _host(outputs)
    finals = _leaves(final)
    for b, length in enumerate(LENGTHS):
        _expect(
            not np.any(out[b, length:]),
            f"example {b} (length {length}): outputs at steps {length}..{steps - 1} are not zero",
        )
        alone = tensor(_host(x)[b : b + 1, :length])
        ref_out, ref_final = _run(module, alone)
        _expect_close(out[b, :length], _host(ref_out)[0], f"example {b} (length {length}): outputs")
        for k, (part, ref) in enumerate(zip(finals, _leaves(ref_final))):
            _expect_close(
                _host(part)[b],
                _host(ref)[0],
                f"example {b} (length {length}): final state part {k} vs the state after its "
                "last valid step",
            )
    (gx,) = grad(_loss(outputs, final), [x])
    gx = _host(gx)
    for b, length in enumerate(LENGTHS):
        _expect(
            not np.any(gx[b, length:]),
            f"example {b} (length {length}): padded inputs receive a non-zero gradient",
        )
    return f"lengths {list(LENGTHS)}: padding is zero, final state at each last step"


def check_determinism(subject: CellSubject) -> str:
    """Same seed, same parameters and outputs; a call has no hidden side effects."""
    first, second = subject.build(seed=11), subject.build(seed=11)
    a, b = first.state_dict(), second.state_dict()
    _expect(list(a) == list(b), f"parameter names differ between builds: {list(a)} vs {list(b)}")
    for key in a:
        _expect_close(b[key], a[key], f"parameter {key} from the same seed", exact=True)
    x = _random((2, 4, subject.input_size), _expected_dtype(subject), seed=12)
    out1, state1 = _run(first, x)
    out2, state2 = _run(second, x)
    out3, state3 = _run(first, x)
    _expect_close(out2, out1, "outputs of two cells from the same seed", exact=True)
    _expect_close(out3, out1, "outputs of the same cell called twice", exact=True)
    for k, (s1, s3) in enumerate(zip(_leaves(state1), _leaves(state3))):
        _expect_close(s3, s1, f"final state part {k} of the same cell called twice", exact=True)
    message = "same seed, same parameters and outputs"
    if subject.accepts("rng") and a:
        other = subject.build(seed=12).state_dict()
        _expect(
            any(not np.array_equal(other[k], a[k]) for k in a),
            "a different seed gives identical parameters: is the rng option ignored?",
        )
        message += "; another seed, other parameters"
    return message


def check_save_load(subject: CellSubject) -> str:
    """``state_dict`` into a fresh instance, and ``minigrad.save``/``load``, reproduce outputs."""
    module = subject.build(seed=21)
    x = _random((2, 4, subject.input_size), _expected_dtype(subject), seed=22)
    expected, expected_state = _run(module, x)

    fresh = subject.build(seed=23)
    fresh.load_state_dict(module.state_dict())
    got, got_state = _run(fresh, x)
    _expect_close(got, expected, "outputs after load_state_dict into a fresh instance", exact=True)
    for k, (g, e) in enumerate(zip(_leaves(got_state), _leaves(expected_state))):
        _expect_close(g, e, f"final state part {k} after load_state_dict", exact=True)

    with tempfile.TemporaryDirectory(prefix="minigrad-check-") as tmp:
        path = os.path.join(tmp, "cell.npz")
        save({"cell": module.state_dict()}, path)
        restored = subject.build(seed=24)
        restored.load_state_dict(load(path)["cell"])
    got, _ = _run(restored, x)
    _expect_close(got, expected, "outputs after minigrad.save / minigrad.load", exact=True)
    arrays = _count(len(module.state_dict()), "array")
    return f"{arrays}; outputs identical after both round trips"


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
        x = _random(shape, np.float64, seed=33, device=device, grad=True)
        outputs, final = _run(module, x, lengths=lengths)
        wrt = [x, *(p for _, p in _named_parameters(module))]
        results.append((outputs, _leaves(final), grad(_loss(outputs, final), wrt)))
        for leaf in [outputs, *_leaves(final)]:
            _expect(leaf.device == device, f"a result of the {device} module is on {leaf.device}")
    (out_c, fin_c, g_c), (out_g, fin_g, g_g) = results
    _expect_close(out_g, out_c, "outputs on cuda vs cpu")
    for k, (g, c) in enumerate(zip(fin_g, fin_c)):
        _expect_close(g, c, f"final state part {k} on cuda vs cpu")
    names = ["x", *(n for n, _ in _named_parameters(cpu))]
    for name, g, c in zip(names, g_g, g_c):
        if g is not None or c is not None:
            _expect(g is not None and c is not None, f"gradient of {name} missing on one device")
            _expect_close(g, c, f"gradient of {name} on cuda vs cpu")
    return "outputs, final state and gradients match (float64, with lengths)"


_EQUATION = re.compile(r"(?<![=!<>])=(?!=)")
_SHAPE = re.compile(r"\[[^\]]+\]")


def docstring_problems(cls: type) -> list[str]:
    """Why ``cls``'s own docstring does not meet the rule (an empty list if it does).

    The rule, for the class's *own* docstring (an inherited one does not count):

    1. it exists and its first line (the summary ``minigrad cells`` shows) is
       not empty;
    2. an *equation line* is a line with an ``=`` that is not part of ``==``,
       ``!=``, ``<=`` or ``>=``. For a step cell, some equation line mentions
       ``x_t``, and for every name ``n`` in ``state_layout`` some equation line
       mentions ``n_t`` or ``n_{t`` (``h_t``, ``c_{t-1}``). For a sequence
       module, there is at least one equation line and the docstring shows
       the batch-first input shape as ``[B, T, ...]``;
    3. for a step cell, every parameter (by its attribute name, the first part
       of its name in ``named_parameters()``) is named, as a whole word, on a
       line that also shows a shape in brackets, e.g. ``U`` [I, 4H]. For a
       sequence module, every sub-module and parameter attribute is named.

    The parameter names come from an instance built with input size 3 and
    hidden size 4; if that fails, rule 3 is reported as not checkable.
    """
    doc = cls.__dict__.get("__doc__")
    if not doc or not doc.strip():
        return [f"{cls.__name__} has no docstring of its own (the equations belong there)"]
    lines = inspect.cleandoc(doc).splitlines()
    problems = []
    if not lines[0].strip():
        problems.append("the first line (the one-line summary) is empty")
    equations = [line for line in lines if _EQUATION.search(line)]
    sequence = issubclass(cls, SequenceModule)
    if not equations:
        problems.append("no equation line (a line with '=' such as 'h_t = tanh(...)')")
    elif sequence:
        if not any(re.search(r"\[B,\s*T\b", line) for line in lines):
            problems.append("the batch-first input shape '[B, T, ...]' is not shown")
    else:
        if not any("x_t" in line for line in equations):
            problems.append("no equation line mentions the input x_t")
        for part in getattr(cls, "state_layout", ()):
            mention = re.compile(rf"(?<![\w]){re.escape(part)}_(t\b|\{{t)")
            if not any(mention.search(line) for line in equations):
                problems.append(
                    f"no equation line mentions the state part {part!r} as {part}_t or {part}_{{t"
                )
    names = _attribute_names(cls)
    if names is None:
        problems.append("could not build an instance to list its parameters")
        return problems
    for name in names:
        word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
        where = [line for line in lines if word.search(line)]
        if sequence and not where:
            problems.append(f"sub-module or parameter {name!r} is not named")
        elif not sequence and not any(_SHAPE.search(line) for line in where):
            problems.append(f"parameter {name!r} is not named next to its shape, e.g. [H, 4H]")
    return problems


def _attribute_names(cls: type) -> list[str] | None:
    try:
        module = CellSubject(cls).build()
    except Exception:
        return None
    names = [n.split(".")[0] for n, _ in module.named_parameters()]
    if isinstance(module, SequenceModule):
        names += list(module._modules)
    return list(dict.fromkeys(names))


def check_docstring(subject: CellSubject) -> str:
    """The class docstring carries the equations and parameter shapes (see docstring_problems)."""
    problems = docstring_problems(subject.cls)
    _expect(not problems, "; ".join(problems))
    return "summary line, equations" + (
        " with x_t and every state part" if subject.kind == "step" else " and [B, T, ...] shape"
    )


def check_registration(subject: CellSubject) -> str:
    """The registry maps the name (and aliases) to this class, from a plugin."""
    registry = subject.registry
    if subject.name is None:
        if registry is None:
            raise SkipCheck("given a class, not a registered name (pass a name to check the hook)")
        names = [info.name for info in registry.cells.values() if info.cls is subject.cls]
        _expect(bool(names), f"{subject.cls.__name__} is not registered in the given registry")
        return f"registered as {', '.join(names)}"
    registry = registry if registry is not None else _default_registry()
    info = registry.get(subject.name)
    _expect(info.cls is subject.cls, f"{subject.name!r} resolves to {info.cls!r}")
    _expect(bool(info.plugin), f"{subject.name!r} is not attributed to a plugin")
    for alias in info.aliases:
        _expect(registry.get(alias) is info, f"alias {alias!r} does not resolve to {info.name!r}")
    made = registry.create(subject.name, subject.input_size, subject.hidden_size, **subject.options)
    _expect(isinstance(made, subject.cls), f"registry.create returned {type(made).__name__}")
    aliases = f" (aliases {', '.join(info.aliases)})" if info.aliases else ""
    return f"{info.name!r}{aliases} from plugin {info.plugin} ({info.distribution})"


def check_errors(subject: CellSubject) -> str:
    """Wrong input width and wrong state structure raise CellError naming the cell."""
    module = subject.build()
    dtype = _expected_dtype(subject)
    name = subject.cls.__name__
    batch, width = 2, subject.input_size
    cases: list[tuple[str, Callable[[], Any], type]] = [
        (
            f"inputs [B, T, {width + 1}]",
            lambda: _run(module, _random((batch, 3, width + 1), dtype, 0)),
            CellError,
        )
    ]
    if subject.kind == "step":
        zero = module.zero_state(batch)
        x_t = _random((batch, width), dtype, 0)
        parts = _leaves(zero)
        wide = tuple(_random((batch, p.shape[1] + 1), dtype, 0) for p in parts)
        wrong_structure = (zero, zero) if isinstance(zero, Tensor) else parts[0]
        cases += [
            (
                f"x_t [B, {width + 1}]",
                lambda: module(_random((batch, width + 1), dtype, 0), zero),
                CellError,
            ),
            (
                f"x_t [B, 3, {width}] (3-D)",
                lambda: module(_random((batch, 3, width), dtype, 0)),
                CellError,
            ),
            ("the wrong state structure", lambda: module(x_t, wrong_structure), CellError),
            ("state parts one wider", lambda: module(x_t, _rebuild(zero, wide)), CellError),
        ]
    else:
        cases.append(
            (f"inputs [B, {width}] (2-D)", lambda: module(_random((batch, width), dtype, 0)), None)
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
    _expect(not problems, "; ".join(problems))
    return f"{len(cases)} kinds of bad input each raise a clear minigrad error"


STEP_CHECKS: tuple[Check, ...] = (
    check_constructor,
    check_shapes,
    check_zero_state,
    check_gradients,
    check_static_vs_dynamic,
    check_lengths,
    check_determinism,
    check_save_load,
    check_gpu_parity,
    check_docstring,
    check_registration,
    check_errors,
)

SEQUENCE_CHECKS: tuple[Check, ...] = (
    check_constructor,
    check_shapes,
    check_gradients,
    check_lengths,
    check_determinism,
    check_save_load,
    check_gpu_parity,
    check_docstring,
    check_registration,
    check_errors,
)


def check_name(check: Check) -> str:
    """The short name of a check function (``check_lengths`` -> ``lengths``)."""
    return check.__name__.removeprefix("check_")


def checks_for(subject: CellSubject) -> tuple[Check, ...]:
    """The checks that apply to ``subject`` (step cell or sequence module)."""
    return SEQUENCE_CHECKS if subject.kind == "sequence" else STEP_CHECKS


def run_check(check: Check, subject: CellSubject) -> CheckResult:
    """Run one check and turn whatever happens into a ``CheckResult``."""
    name = check_name(check)
    try:
        message = check(subject)
    except SkipCheck as exc:
        return CheckResult(name, SKIP, str(exc))
    except AssertionError as exc:
        return CheckResult(name, FAIL, str(exc) or "assertion failed")
    except Exception as exc:
        return CheckResult(name, FAIL, f"{type(exc).__name__}: {exc}")
    return CheckResult(name, PASS, message or "")


# ------------------------------------------------------------- entry points
def _default_registry() -> CellRegistry:
    from minigrad import cells

    return cells.registry()


def make_subject(
    name_or_class: str | type,
    options: Mapping[str, Any] | None = None,
    *,
    registry: CellRegistry | None = None,
    input_size: int = 3,
    hidden_size: int = 4,
) -> CellSubject:
    """Resolve a registered name (or take a class) and validate its options.

    Raises ``CellError`` for an unknown name (with close matches), a class that
    is neither a ``Cell`` nor a ``SequenceModule``, or an option the cell does
    not take (listing the ones it does).
    """
    options = dict(options or {})
    name = None
    if isinstance(name_or_class, str):
        registry = registry if registry is not None else _default_registry()
        info = registry.get(name_or_class)
        cls, name = info.cls, info.name
    else:
        cls = name_or_class
        if not (isinstance(cls, type) and issubclass(cls, (Cell, SequenceModule))):
            raise CellError(
                f"check_cell: {cls!r} is neither a registered cell name nor a subclass of "
                "minigrad.cells.Cell or SequenceModule"
            )
    valid = cell_options(cls)
    unknown = [k for k in options if k not in valid]
    if unknown and not _takes_var_keyword(cls):
        listed = ", ".join(f"{k}={v!r}" for k, v in valid.items()) or "none"
        raise CellError(
            f"cell {name or cls.__name__!r} ({cls.__name__}) has no option "
            f"{', '.join(repr(k) for k in unknown)}; valid options: {listed}"
        )
    return CellSubject(cls, name, options, registry, input_size, hidden_size)


def check_cell(
    name_or_class: str | type,
    *,
    registry: CellRegistry | None = None,
    checks: Sequence[str] | None = None,
    input_size: int = 3,
    hidden_size: int = 4,
    **options: Any,
) -> CellReport:
    """Run every conformance check on a cell and collect the results.

    ``name_or_class`` is a registered name (looked up in ``registry``, by
    default ``minigrad.cells.registry()``) or a ``Cell``/``SequenceModule``
    subclass. ``options`` are the cell's own options (``activation="relu"``,
    ``reset_after=True`` ...), used for every instance the checks build.
    ``checks`` limits the run to some check names (see the module docstring).
    Never stops at the first failure; see ``CellReport.ok`` and
    ``CellReport.raise_if_failed``.
    """
    subject = make_subject(
        name_or_class,
        options,
        registry=registry,
        input_size=input_size,
        hidden_size=hidden_size,
    )
    selected = checks_for(subject)
    if checks is not None:
        by_name = {check_name(c): c for c in selected}
        unknown = [c for c in checks if c not in by_name]
        if unknown:
            raise CellError(
                f"check_cell: no check named {', '.join(map(repr, unknown))} for a "
                f"{subject.kind} cell; the checks are {', '.join(by_name)}"
            )
        selected = tuple(by_name[c] for c in checks)
    report = CellReport(subject.label, subject.cls, subject.kind, dict(subject.options))
    report.results = [run_check(check, subject) for check in selected]
    return report


class _PytestCheck:
    """A check as a pytest parameter: ``check(cell)`` fails or skips the test."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.__name__ = check_name(check)

    def __call__(self, subject: CellSubject) -> None:
        import pytest

        result = run_check(self.check, subject)
        if result.status == SKIP:
            pytest.skip(result.message)
        if result.status == FAIL:
            pytest.fail(f"{subject.label}: check {result.check} failed: {result.message}")

    def __repr__(self) -> str:
        return self.__name__


def parametrize_with_cell_checks(
    names_or_classes: Iterable[Any], *, registry: CellRegistry | None = None
) -> Any:
    """A pytest decorator with one case per (cell, check), ids like ``gru-lengths``.

    Each item is a registered name, a cell class, or a pair ``(name_or_class,
    {option: value})``. The decorated test takes the arguments ``cell`` (a
    ``CellSubject``) and ``check`` (call it as ``check(cell)``)::

        @parametrize_with_cell_checks(["rnn", ("rnn", {"activation": "relu"})])
        def test_cells(cell, check):
            check(cell)
    """
    import pytest

    params = []
    for item in names_or_classes:
        target, options = item if isinstance(item, tuple) else (item, {})
        subject = make_subject(target, options, registry=registry)
        for check in checks_for(subject):
            wrapped = _PytestCheck(check)
            params.append(pytest.param(subject, wrapped, id=f"{subject.label}-{wrapped.__name__}"))
    return pytest.mark.parametrize(("cell", "check"), params)


__all__ = [
    "CellReport",
    "CellSubject",
    "CheckResult",
    "SEQUENCE_CHECKS",
    "STEP_CHECKS",
    "SkipCheck",
    "check_cell",
    "check_name",
    "checks_for",
    "docstring_problems",
    "make_subject",
    "parametrize_with_cell_checks",
    "run_check",
]
