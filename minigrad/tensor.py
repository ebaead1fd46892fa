"""``Tensor``: an array plus what autograd needs to send gradients back through it.

A Tensor holds:

* ``data``: a NumPy array (CPU) or a CuPy array (GPU); assigning to it (``t.data = a``,
  ``t.data -= lr * g``) is an in-place change that ``backward()`` checks for (see
  ``Tensor.data`` and docs/autograd.md, "In-place changes");
* ``requires_grad``: whether gradients should flow to it;
* ``grad``: after ``loss.backward()``, d(loss)/d(this tensor) for leaf tensors;
* ``_ctx``: the op (a ``Function`` instance) that produced it, or ``None`` for a
  leaf. Following ``_ctx.inputs`` from the loss walks the whole graph.

Arithmetic operators and methods such as ``x.tanh()`` are attached by
``minigrad.ops`` (see ``minigrad/ops/methods.py``), which keeps this file about
the data structure and the ops about the maths. Their signatures are declared
below under ``TYPE_CHECKING`` only, for type checkers and editors;
tests/core/test_tensor_methods_declared.py keeps that list equal to the bound one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from minigrad import backend
from minigrad.errors import ArgumentError, DTypeError, GraphError, ShapeError

if TYPE_CHECKING:
    from minigrad.autograd.function import Function

DEFAULT_FLOAT = np.float32

#: The ``axis`` argument of the reductions: one axis, several, or all (``None``).
Axis = int | tuple[int, ...] | None


def _is_differentiable(dtype: npt.DTypeLike) -> bool:
    return np.issubdtype(dtype, np.floating)


class WriteClock:
    """Counts the writes to any tensor's ``.data``, so that ``backward()`` can tell "when".

    Every assignment to ``Tensor.data`` advances ``now`` by one and stamps the
    tensor with it (``Tensor._version``; 0 for a tensor never written). Every op
    recorded for backward stamps its node with ``now`` (``Function.clock``). A
    tensor whose stamp is later than the node's was changed after the op ran:
    if the op kept its array for backward, its gradient would be wrong, and the
    engine refuses (``GraphError``). One global counter costs each op a single
    store, where a per-tensor list of versions would cost a tuple.
    """

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0


write_clock = WriteClock()


class Tensor:
    """An n-dimensional array that records the ops applied to it.

    Create tensors with ``minigrad.tensor(data, dtype=None, device="cpu",
    requires_grad=False)``; ``Tensor(array)`` wraps an existing NumPy or CuPy
    array without copying it.
    """

    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_index", "_version", "__weakref__")

    # NumPy must hand ``ndarray * tensor`` back to Tensor.__rmul__ instead of
    # turning the tensor into an object array.
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if type(data) is not np.ndarray and not backend.is_gpu_array(data):
            data = np.asarray(data)
        self._data = data
        self._version = 0  # the write clock at the last assignment to .data; 0: never
        self.grad: Any = None
        self._ctx: Function | None = None
        self._index = 0  # which output of ``_ctx`` this is (ops like split have several)
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- data
    # The library reads ``_data`` on its hot paths (a property costs a call per read).
    @property
    def data(self) -> Any:
        """The underlying array: NumPy on the CPU, CuPy on a GPU.

        Assigning to it, whether a new array (``t.data = a``) or an in-place
        update (``t.data -= lr * g``, ``t.data *= 0``), records the change; if an
        op already kept this tensor's array for its backward pass, ``backward()``
        then raises ``GraphError`` naming the op instead of computing wrong
        gradients. A write through an index (``t.data[0] = 5``) bypasses the
        attribute and is only caught in debug mode (``minigrad.debug_mode()``).
        """
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if type(value) is not np.ndarray and not backend.is_gpu_array(value):
            value = np.asarray(value)
        self._data = value
        clock = write_clock
        clock.now += 1
        self._version = clock.now

    # ----------------------------------------------------------- description
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the underlying array."""
        return self._data.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of the underlying array."""
        return self._data.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(self._data.size)

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda"``."""
        return backend.device_of(self._data)

    @property
    def is_leaf(self) -> bool:
        """True if no recorded op produced this tensor (parameters, inputs)."""
        return self._ctx is None

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        body = np.array2string(backend.to_numpy(self._data), precision=4, threshold=20)
        extras = []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype != DEFAULT_FLOAT:
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.name()}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # ------------------------------------------------ operators and methods
    if TYPE_CHECKING:
        # Bound at import time by ``minigrad.ops.methods.bind_tensor_methods``; declared
        # here (never executed) so that type checkers and editors know them. Each has the
        # signature of its functional op, the tensor in place of the first argument.
        def __add__(self, b: Any) -> Tensor: ...
        def __radd__(self, b: Any) -> Tensor: ...
        def __sub__(self, b: Any) -> Tensor: ...
        def __rsub__(self, b: Any) -> Tensor: ...
        def __mul__(self, b: Any) -> Tensor: ...
        def __rmul__(self, b: Any) -> Tensor: ...
        def __truediv__(self, b: Any) -> Tensor: ...
        def __rtruediv__(self, b: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pow__(self, exponent: float) -> Tensor: ...
        def __matmul__(self, b: Tensor) -> Tensor: ...
        def __rmatmul__(self, b: Tensor) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...
        def exp(self) -> Tensor: ...
        def log(self) -> Tensor: ...
        def sqrt(self) -> Tensor: ...
        def abs(self) -> Tensor: ...
        def clip(self, low: float | None = None, high: float | None = None) -> Tensor: ...
        def astype(self, dtype: npt.DTypeLike) -> Tensor: ...
        def tanh(self) -> Tensor: ...
        def sigmoid(self) -> Tensor: ...
        def relu(self) -> Tensor: ...
        def softmax(self, axis: int = -1) -> Tensor: ...
        def log_softmax(self, axis: int = -1) -> Tensor: ...
        def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor: ...
        def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor: ...
        def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor: ...
        def reshape(self, *shape: int | Sequence[int]) -> Tensor: ...
        def transpose(self, *axes: int | Sequence[int]) -> Tensor: ...
        def swapaxes(self, axis1: int, axis2: int) -> Tensor: ...
        def matmul(self, b: Tensor) -> Tensor: ...
        def to(self, device: str) -> Tensor: ...
        @property
        def T(self) -> Tensor: ...  # noqa: N802 - NumPy's name

    # ---------------------------------------------------------- conversions
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied to the host if it lives on a GPU)."""
        return backend.to_numpy(self._data)

    def item(self) -> float:
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ShapeError(
                f"item() needs a tensor with one element, got shape {self.shape}; "
                "reduce it first (e.g. .sum() or .mean()) or index one element"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists."""
        return self.numpy().tolist()

    # -------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark this leaf tensor as one whose gradient should be computed."""
        if requires_grad and not _is_differentiable(self.dtype):
            raise DTypeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype}; "
                "convert with .astype('float32') first"
            )
        if not requires_grad and self._ctx is not None:
            raise GraphError("requires_grad_(False) on a non-leaf tensor: use .detach()")
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """A new leaf tensor sharing this data, cut from the graph.

        Used for truncated backpropagation through time: carry the final
        state of one batch into the next with ``state.detach()``, so the next
        backward stops at the batch boundary.
        """
        return Tensor(self._data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.grad = None

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, into ``leaf.grad``.

        ``grad`` is d(loss)/d(self); it may be omitted only for a one-element
        tensor (a loss), where it is 1. Gradients *accumulate* into ``.grad``:
        call ``zero_grad()`` (or the optimizer's) between steps.

        By default the graph's saved arrays are freed as backward goes, which
        keeps memory low on long sequences; a second ``backward()`` through the
        same graph then raises ``GraphError``. Pass ``retain_graph=True`` to
        keep them and allow it (the second call adds to ``.grad`` again).
        """
        if not self.requires_grad:
            raise GraphError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran under no_grad())"
            )
        # Imported here: the autograd package imports Function, which imports Tensor.
        from minigrad.autograd.engine import run_backward

        run_backward([self], [self._seed_grad(grad)], retain_graph=retain_graph)

    def _seed_grad(self, grad: Any) -> Any:
        xp = backend.get_array_module(self._data)
        if grad is None:
            if self._data.size != 1:
                raise GraphError(
                    f"backward() without a gradient needs a one-element tensor (a loss), got "
                    f"shape {self.shape}; reduce it first (e.g. .sum() or .mean()) or pass "
                    "grad= with the same shape"
                )
            return xp.ones_like(self._data)
        # The seed is only a direction: give it the tensor's dtype so gradients keep it.
        g = xp.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
        if g.shape != self.shape:
            raise ShapeError(f"backward(grad=...) got shape {g.shape} for a tensor of {self.shape}")
        return g


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool = False,
) -> list[Any]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned, not accumulated.

    ``inputs`` may be intermediate tensors, e.g. the RNN states s_1..s_T, which
    is how lesson 2 measures dL/ds_k to show vanishing gradients. Returns a list
    of arrays (``None`` where an input does not influence the outputs).
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    seeds = [o._seed_grad(g) for o, g in zip(outs, grad_outputs)]
    from minigrad.autograd.engine import run_backward

    result = run_backward(outs, seeds, retain_graph=retain_graph, wrt=ins)
    return result if result is not None else []


#: The kinds of NumPy dtype a tensor holds: booleans, integers and real floats.
NUMERIC_KINDS = "biuf"


def tensor(
    data: Any,
    dtype: npt.DTypeLike | None = None,
    device: str = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """Create a tensor from a list, scalar, NumPy or CuPy array, or another tensor.

    Python floats become float32 (minigrad's default); arrays keep their dtype
    unless ``dtype`` is given; ``device`` is ``"cpu"`` or ``"cuda"``. The data
    is copied, so later changes to ``data`` do not affect the tensor.

    A tensor holds numbers (booleans, integers or real floats): ``None``,
    strings, complex numbers and other objects raise ``ArgumentError``, and
    nested lists of unequal lengths raise ``ShapeError`` saying where.
    """
    if isinstance(data, Tensor):
        data = data._data
    elif data is None or isinstance(data, (str, bytes)):
        raise ArgumentError(f"tensor: cannot make a tensor from {_describe(data)}; {_NUMBERS}")
    given = data
    xp = backend.array_module_for(device)
    try:
        if dtype is None and not hasattr(data, "dtype"):
            probe = np.asarray(data)
            dtype = DEFAULT_FLOAT if probe.dtype.kind == "f" else probe.dtype
            data = probe
        if backend.is_gpu_array(data) and xp is np:
            data = backend.to_numpy(data)
        array = xp.array(data, dtype=dtype, copy=True)
    except (ValueError, TypeError) as exc:
        ragged = _find_ragged(given)
        if ragged is not None:
            raise ShapeError(
                f"tensor: the nested lists are ragged ({ragged}). A tensor is a rectangular "
                "block of numbers: pad the short rows to one length, or make one tensor per row"
            ) from None
        raise ArgumentError(
            f"tensor: cannot make a tensor from {_describe(given)} ({exc}); {_NUMBERS}"
        ) from None
    if array.dtype.kind not in NUMERIC_KINDS:
        raise ArgumentError(
            f"tensor: cannot make a tensor of dtype {array.dtype} from {_describe(given)}; "
            f"{_NUMBERS}"
        )
    return Tensor(array, requires_grad=requires_grad)


_NUMBERS = (
    "a tensor holds numbers (booleans, integers or real floats): pass a number, a (nested) "
    "list of numbers or a numeric array"
)


def _describe(data: Any) -> str:
    """``None``, ``the string 'abc'``, ``a dict`` ...: what the caller passed, briefly."""
    if data is None:
        return "None"
    if isinstance(data, (str, bytes)):
        shown = repr(data) if len(data) <= 20 else repr(data[:20])[:-1] + "...'"
        return f"the {type(data).__name__} {shown}"
    if isinstance(data, (list, tuple)):
        held = sorted({"None" if x is None else type(x).__name__ for x in _leaves(data)})
        return f"a {type(data).__name__} holding {' and '.join(held) or 'nothing'}"
    if hasattr(data, "dtype") and hasattr(data, "shape"):
        return f"an array of dtype {data.dtype}"
    return f"an object of type {type(data).__name__}"


def _leaves(data: Any) -> Iterator[Any]:
    """The non-list items of nested lists and tuples."""
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _leaves(x)
        else:
            yield x


def _find_ragged(data: Any, where: str = "data") -> str | None:
    """Where nested lists first disagree in length (``data[0] has 2 ... data[1] has 1``)."""
    if not isinstance(data, (list, tuple)):
        return None
    nested = [isinstance(x, (list, tuple)) or np.ndim(x) > 0 for x in data]
    if any(nested) and not all(nested):
        i = nested.index(not nested[0])
        kind = {True: "a list", False: "a number"}
        return f"{where}[0] is {kind[nested[0]]} but {where}[{i}] is {kind[nested[i]]}"
    if not any(nested):
        return None
    lengths = [len(x) for x in data]
    for i, n in enumerate(lengths):
        if n != lengths[0]:
            return f"{where}[0] has {lengths[0]} elements but {where}[{i}] has {n}"
    for i, x in enumerate(data):
        found = _find_ragged(x, f"{where}[{i}]")
        if found is not None:
            return found
    return None
