"""The ``Function`` base class: one differentiable op as a forward/backward pair.

An op is a subclass with two static methods working on raw arrays (NumPy or
CuPy, never Tensors)::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved
            return grad * b, grad * a

``Mul.apply(x, y)`` unwraps the tensors, runs ``forward``, wraps the result in
a new Tensor and, if any input needs a gradient, links that Tensor to ``ctx``
so the engine can call ``backward`` later. ``backward`` returns one gradient
per input (``None`` where there is none) in the *broadcast* shape; the engine
sums it back to each input's shape in one place (``unbroadcast``).

The ``ctx`` object is the Function instance itself: it is the node of the graph.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any, cast

from numpy import asarray, ndarray

from minigrad.autograd.inplace import saved_checksums
from minigrad.autograd.mode import flags
from minigrad.backend import get_array_module, is_gpu_array
from minigrad.errors import DeviceError, DTypeError, NumericalError, ShapeError
from minigrad.tensor import Tensor, write_clock

new_tensor = object.__new__  # an empty Tensor whose slots ``apply`` fills itself


class Function:
    """Base class of every differentiable op (see the module docstring)."""

    #: Filled by ``apply``: the input Tensors, and the arrays kept for backward.
    inputs: tuple[Tensor, ...] | None
    saved: tuple[Any, ...] | None = ()
    #: An op whose forward returns a tuple of k arrays has k outputs; its
    #: backward then receives a tuple of k gradients (zeros where unused).
    n_outputs: int = 1
    output_meta: tuple[tuple[tuple[int, ...], Any], ...] = ()
    #: ``minigrad.tensor.write_clock.now`` when the op ran: a tensor written later
    #: (``Tensor._version`` above it) was changed after this op may have kept its array.
    clock: int = 0
    #: Debug mode only: a checksum of each array the op kept, checked before its backward.
    checksums: tuple[int, ...] | None = None

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep the arrays ``backward`` needs; read them back as ``ctx.saved``."""
        self.saved = arrays

    @property
    def needs_input_grad(self) -> list[bool]:
        """Which inputs want a gradient, so ``backward`` can skip useless work."""
        inputs = self.inputs or ()
        if len(inputs) == 2:  # most ops: spelled out, it is twice as fast as the loop
            return [inputs[0].requires_grad, inputs[1].requires_grad]
        return [t.requires_grad for t in inputs]

    @staticmethod
    def forward(ctx: Function, *arrays: Any, **params: Any) -> Any:
        """Compute the output array from input arrays. Subclasses override."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        """Return d(loss)/d(input) for each input, given d(loss)/d(output)."""
        raise NotImplementedError

    @classmethod
    def name(cls) -> str:
        """The op's name as used in error messages (``Mul`` -> ``mul``)."""
        return cls.__name__.lower()

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the op on Tensors and record it in the graph when needed."""
        ctx = cls()
        try:
            # One and two inputs are nearly every op; spelling them out saves
            # building an argument list on the hottest path of the library.
            n = len(inputs)
            if n == 1:
                out = cls.forward(ctx, inputs[0]._data, **params)
            elif n == 2:
                a, b = inputs[0]._data, inputs[1]._data
                if type(a) is not type(b) or a.dtype is not b.dtype:
                    _check_compatible(cls, inputs)
                out = cls.forward(ctx, a, b, **params) if params else cls.forward(ctx, a, b)
            else:
                _check_compatible(cls, inputs)
                out = cls.forward(ctx, *[t._data for t in inputs], **params)
        except ValueError as exc:
            raise _shape_error(cls, inputs, exc) from exc
        if type(out) is tuple:
            # Several outputs (split, unstack, the fused sequences): a tuple of Tensors. The
            # annotation keeps the single-output type nearly every caller needs; callers of
            # multi-output ops use ``apply_multi``, whose annotation says tuple.
            return _wrap_outputs(cls, ctx, inputs, out)  # type: ignore[return-value]
        # ``Tensor(out)``, written out: this runs once per op, and skipping the call of
        # ``__init__`` (and setting requires_grad and _ctx once) pays for the write clock.
        if type(out) is not ndarray and not is_gpu_array(out):
            out = asarray(out)  # a NumPy scalar from a reduction
        result = new_tensor(Tensor)
        result._data = out
        result._version = 0
        result.grad = None
        result._index = 0
        result.requires_grad = False
        result._ctx = None
        if flags.grad_enabled:
            for t in inputs:
                if t.requires_grad:
                    ctx.inputs = inputs
                    ctx.clock = write_clock.now
                    result.requires_grad = True
                    result._ctx = ctx
                    break
        if flags.debug:
            check_finite(out, cls.name(), inputs, "output")
            if result._ctx is ctx:
                ctx.checksums = saved_checksums(ctx)
        return result

    @classmethod
    def apply_multi(cls, *inputs: Tensor, **params: Any) -> tuple[Tensor, ...]:
        """``apply`` for an op whose ``forward`` returns a tuple of k arrays: k Tensors.

        The same call and the same result as ``apply``, which returns that tuple
        too; this name only states, for readers and type checkers, that the op
        has several outputs.
        """
        return cast("tuple[Tensor, ...]", cls.apply(*inputs, **params))


def _wrap_outputs(
    cls: type[Function], ctx: Function, inputs: tuple[Tensor, ...], outs: tuple[Any, ...]
) -> tuple[Tensor, ...]:
    """The multi-output version of the end of ``apply`` (split, unstack)."""
    results = tuple(Tensor(o) for o in outs)
    if flags.grad_enabled and any(t.requires_grad for t in inputs):
        ctx.inputs = inputs
        ctx.clock = write_clock.now
        ctx.n_outputs = len(outs)
        ctx.output_meta = tuple((o.shape, o.dtype) for o in outs)
        for i, r in enumerate(results):
            r.requires_grad = True
            r._ctx = ctx
            r._index = i
    if flags.debug:
        for o in outs:
            check_finite(o, cls.name(), inputs, "output")
        if results and results[0]._ctx is ctx:
            ctx.checksums = saved_checksums(ctx)
    return results


def _check_compatible(cls: type[Function], inputs: tuple[Tensor, ...]) -> None:
    """Refuse inputs on different devices or with different dtypes (equal dtypes pass)."""
    first = inputs[0]._data
    for t in inputs[1:]:
        other = t._data
        if type(other) is not type(first):
            raise DeviceError(
                f"{cls.name()}: inputs are on different devices ({inputs[0].device} and "
                f"{t.device}); move one with .to('{inputs[0].device}') or .to('{t.device}')"
            )
        if other.dtype != first.dtype:
            raise DTypeError(
                f"{cls.name()}: inputs have different dtypes ({first.dtype} and {other.dtype}); "
                "minigrad never mixes them silently: convert one with .astype(...)"
            )


def _shape_error(cls: type[Function], inputs: tuple[Tensor, ...], exc: Exception) -> Exception:
    """Turn NumPy's complaint (almost always about shapes) into one naming the op and shapes."""
    if isinstance(exc, ShapeError):
        return exc
    shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
    return ShapeError(f"{cls.name()}: failed on inputs of shapes {shapes}: {exc}")


def caller_location() -> str:
    """``file:line in function`` of the innermost frame outside minigrad's core."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename.replace("\\", "/")
        if "/minigrad/autograd/" not in filename and "/minigrad/ops/" not in filename:
            if not filename.endswith("/minigrad/tensor.py"):
                return f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return "<unknown>"


def check_finite(array: Any, op: str, inputs: Sequence[Tensor] | None, what: str) -> None:
    """Raise ``NumericalError`` if ``array`` holds NaN or Inf (debug mode)."""
    xp = get_array_module(array)
    if not xp.issubdtype(array.dtype, xp.floating) or bool(xp.isfinite(array).all()):
        return
    n_nan = int(xp.isnan(array).sum())
    n_inf = int(xp.isinf(array).sum())
    shapes = ", ".join(str(tuple(t.shape)) for t in inputs or ())
    raise NumericalError(
        f"debug mode: op '{op}' produced {n_nan} NaN and {n_inf} Inf values in its {what} "
        f"(input shapes: {shapes or 'none'}), called from {caller_location()}. "
        "Common causes: log of 0, division by 0, an exploding loss (try clip_grad_norm_ "
        "or a smaller learning rate)."
    )
