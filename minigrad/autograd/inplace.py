"""Catching in-place changes to arrays that an op kept for its backward pass.

``tanh`` keeps its output y to compute ``1 - y**2`` in backward; ``mul`` keeps
both inputs. If one of those arrays is changed between the forward pass and
``backward()``, the gradient is computed from the wrong numbers, silently. Two
guards, one always on and one in debug mode:

* **The write clock** (always on, one integer store per op): every assignment
  to ``Tensor.data`` (``t.data = a``, ``t.data -= lr * g``) stamps the tensor
  with ``minigrad.tensor.write_clock``; every recorded op stamps its node. At
  ``backward()`` a tensor stamped later than an op that reads it was written
  after that op ran; if the op kept that very array (or a view of it), the
  engine raises ``GraphError`` naming the op.
* **Checksums** (debug mode, ``minigrad.debug_mode()``): each op's kept arrays
  are checksummed after its forward and checked before its backward, which also
  catches writes through an index (``t.data[0] = 5``) or through another tensor
  sharing the array, which no attribute assignment announces.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import backend
from minigrad.errors import GraphError

if TYPE_CHECKING:
    from minigrad.autograd.function import Function
    from minigrad.tensor import Tensor

_HOW_TO_FIX = (
    "Its gradient would be computed from the changed numbers. Change .data only before the "
    "forward pass or after backward() (optimizer.step() goes after loss.backward()), or make "
    "a new tensor instead of writing into this one."
)


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) or backend.is_gpu_array(value)


def kept_arrays(node: Function) -> Iterator[Any]:
    """Every array ``node`` holds for backward: ``ctx.saved`` and array attributes of ctx."""
    for name, value in vars(node).items():
        if name in ("inputs", "checksums"):
            continue
        values = value if isinstance(value, (tuple, list)) else (value,)
        for item in values:
            if _is_array(item):
                yield item


def _holds(node: Function, array: Any) -> bool:
    """True if ``node`` kept ``array`` or an array sharing its memory."""
    xp = backend.get_array_module(array)
    for kept in kept_arrays(node):
        if kept is array:
            return True
        if type(kept) is type(array) and xp.may_share_memory(kept, array):
            return True
    return False


def check_unmodified(node: Function, t: Tensor) -> None:
    """Raise ``GraphError`` if ``t`` was written after an op that kept its array.

    Called by the engine only when the write clock says ``t`` changed after
    ``node`` (which reads ``t``) or after ``t``'s own op ran; those ops are
    looked at here, and a write that no kept array shares (``t.data = new``
    after the op kept the old array) is harmless and passes.
    """
    array = t._data
    readers = [(t._ctx, "its output")]
    if node is not t._ctx:  # a changed root is checked against its own op only
        readers.append((node, "an input"))
    holders = [
        f"'{op.name()}' (as {role})"
        for op, role in readers
        if op is not None and t._version > op.clock and _holds(op, array)
    ]
    if holders:
        raise GraphError(
            f"backward: a tensor of shape {tuple(t.shape)} was changed in place (its .data "
            f"assigned to) after the forward pass, but {' and '.join(holders)} kept it to "
            f"compute gradients. {_HOW_TO_FIX}"
        )


def checksum(array: Any) -> int:
    """A CRC-32 of the array's bytes (copied to the host for a GPU array)."""
    return zlib.crc32(np.ascontiguousarray(backend.to_numpy(array)).tobytes())


def saved_checksums(node: Function) -> tuple[int, ...]:
    """Debug mode, after the forward pass: the checksum of each array ``node`` keeps."""
    return tuple(checksum(a) for a in kept_arrays(node))


def check_checksums(node: Function) -> None:
    """Debug mode, before ``node``'s backward: refuse kept arrays that changed since forward."""
    expected = node.checksums
    if expected is None:
        return
    if saved_checksums(node) != expected:
        raise GraphError(
            f"debug mode: an array that '{node.name()}' kept for its backward pass (one of its "
            "inputs or its output) was changed in place after the forward pass, e.g. by "
            f"t.data[...] = ... or through a tensor sharing the array. {_HOW_TO_FIX}"
        )
