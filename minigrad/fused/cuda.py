"""How a fused cell's per-step CUDA source becomes a kernel (CuPy only).

Why kernels: on a GPU every NumPy-style array expression is a kernel launch
costing several microseconds, whatever the array's size. An LSTM step written
as array expressions (the CPU step of ``fused/lstm.py``) is about fifteen
launches forward and twenty backward; as one ``cupy.ElementwiseKernel`` it is
one each, beside the step's matrix product.

Each fused module keeps its kernel sources in ``CUDA_SOURCES`` right below the
NumPy step functions they mirror, so the two can be read side by side. A
kernel runs one thread per (example b, unit j) of the ``[B, H]`` state and does
what the NumPy step does, so the two paths agree to rounding (the GPU tests
compare them to 1e-10 in float64). Gate buffers ``[B, G*H]`` are passed as
``raw`` arrays: a thread reads its unit's G gates at ``b*G*H + k*H + j``.

``mask`` is the ``[B, 1]`` step mask of ragged ``lengths``: with ``masked=1``
an example past its length keeps its state (and its gradient skips the cell);
with ``masked=0`` any array of the right dtype stands in for it. Kernels are
compiled on first use and then cached by CuPy.
"""

from __future__ import annotations

import functools
from typing import Any

from minigrad.backend import cupy_module

#: (input parameters, output parameters, body) of one ``ElementwiseKernel``.
KernelSource = tuple[str, str, str]

PREAMBLE = r"""
template <typename F> __device__ F sigm(F x) { return (tanh(x * F(0.5)) + F(1)) * F(0.5); }
"""
#: The parameters of a kernel that honours ragged lengths (see the module docstring).
MASKED = "raw T mask, int32 H, int32 masked"
# A masked kernel starts here: which example and unit this thread owns, and its mask.
_HEAD = r"""
const ptrdiff_t b = i / H, j = i % H;
const T m = masked ? mask[b] : T(1);
"""


@functools.cache
def kernel(name: str, source: KernelSource) -> Any:
    """The compiled ``cupy.ElementwiseKernel`` ``minigrad_<name>`` for ``source``."""
    inputs, outputs, body = source
    head = _HEAD if "masked" in inputs else ""
    return cupy_module().ElementwiseKernel(
        inputs, outputs, head + body, f"minigrad_{name}", preamble=PREAMBLE
    )


def mask_args(mask: Any, like: Any) -> tuple[Any, int]:
    """``(mask, masked)`` kernel arguments: the step's mask, or ``like`` standing in for none."""
    return (like, 0) if mask is None else (mask, 1)
