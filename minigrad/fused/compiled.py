"""Compiled CPU steps for the fused LSTM and GRU: optional, with numba (extra "fast").

Why: profiled on W2 (``benchmarks/profile_fused.py``, docs/performance.md), a
NumPy LSTM step is a dozen array expressions, each a full pass over memory and
a microsecond or more of call overhead, and the step's ``tanh`` alone costs as
much as its matrix product. PyTorch runs the same arithmetic as one loop over
the gate block, spread over all cores. Compiled with numba, one step is one loop
too, one pass over each array, which is what this module does.

Nothing here is required: without numba (or with ``MINIGRAD_COMPILED=0``, or
``set_enabled(False)``) the fused ops run their NumPy steps, which stay the
reference to read. Each kernel here is the NumPy step's arithmetic written per
element (the same lines as the CUDA kernels beside them), for float32 arrays on
the CPU only: float64 (gradient checks) keeps the NumPy steps exactly.
``tests/cells/test_fused_compiled.py`` proves the two agree.

``tanh`` and the sigmoid are computed with a rational function of x^2 (an odd
[9/8] approximation, coefficients fitted for this module) that the compiler can
turn into vector instructions; ``libm``'s ``tanhf`` cannot be. Its error is at
most 4e-7 (a few float32 units in the last place) and it keeps NaN as NaN.
The kernels run in the calling thread: a step is a few microseconds of work,
less than what waking a second thread costs, and threads that wait for each
other are what makes a busy machine slow (``minigrad.threads``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

import numpy as np

#: Set to "0" to run the NumPy steps even where numba is installed.
ENV_VAR = "MINIGRAD_COMPILED"

#: numba, once a compiled step is first needed (importing it costs a second or two, so
#: ``import minigrad`` never does).
numba: Any = None
_AVAILABLE = importlib.util.find_spec("numba") is not None
_enabled = _AVAILABLE and os.environ.get(ENV_VAR, "1").strip() != "0"


def available() -> bool:
    """Whether numba is installed, so that the compiled steps can run at all."""
    return _AVAILABLE


def enabled() -> bool:
    """Whether the fused ops use the compiled steps for float32 arrays on the CPU."""
    return _enabled


def set_enabled(flag: bool) -> None:
    """Use the compiled steps (when numba is installed) or the NumPy steps from now on."""
    global _enabled
    _enabled = bool(flag) and _AVAILABLE


def applies(array: Any) -> bool:
    """Whether the compiled steps run for ``array``: enabled, a float32 NumPy array."""
    return _enabled and isinstance(array, np.ndarray) and array.dtype == np.float32


def mask_args(mask: Any, like: np.ndarray) -> tuple[np.ndarray, bool]:
    """``(mask, masked)`` kernel arguments: the step's ``[B, 1]`` mask, or a stand-in for none."""
    if mask is not None:
        return mask, True
    key = (like.shape[0], like.dtype)
    if key not in _NO_MASK:
        _NO_MASK[key] = np.ones((like.shape[0], 1), dtype=like.dtype)
    return _NO_MASK[key], False


_NO_MASK: dict[tuple[int, Any], np.ndarray] = {}


def contiguous(array: Any) -> np.ndarray:
    """``array`` as a writable C-contiguous array (a gradient handed over may be a view)."""
    if array.flags.c_contiguous and array.flags.writeable:
        return array
    return np.array(array, order="C")


_JITTED: list[tuple[str, dict[str, Any]]] = []


def _jit(**options: Any) -> Any:
    """Mark a function for numba (compiled with ``options`` when ``kernel`` is first called)."""

    def mark(fn: Any) -> Any:
        _JITTED.append((fn.__name__, options))
        return fn

    return mark


def kernel(name: str) -> Any:
    """The compiled step ``name`` (a key of ``KERNELS``), compiling them all on first use.

    numba compiles a function the first time it is called, resolving the
    helpers it calls by their module-level names; so the helpers are replaced
    here by their compiled versions before any step runs. Compiled code is
    cached on disk (``cache=True``), so later processes load it in milliseconds.
    """
    global numba
    if name not in KERNELS:
        if numba is None:
            numba = importlib.import_module("numba")  # ImportError: needs the extra "fast"
        for fn_name, options in _JITTED:
            # error_model="numpy": a float division by zero gives inf, as in NumPy, instead of
            # a Python exception, whose check per element would stop the loops vectorising.
            jit = numba.njit(cache=True, fastmath={"contract"}, error_model="numpy", **options)
            globals()[fn_name] = jit(globals()[fn_name])
        for key in STEPS:
            KERNELS.setdefault(key, globals()[f"_{key}"])
    return KERNELS[name]


# Odd rational tanh(x) ~ x P(x^2) / Q(x^2) on [-9, 9] (tanh rounds to +-1 in float32 beyond),
# fitted to tanh by weighted least squares for this module; Q has no real root.
_P = (1.0, 1.338033162e-01, 3.494775350e-03, 2.059637897e-05, 1.333850260e-08)
_Q = (1.0, 4.671364905e-01, 2.587385580e-02, 3.284332960e-04, 7.769632404e-07)
_P0, _P1, _P2, _P3, _P4 = (np.float32(c) for c in _P)
_Q0, _Q1, _Q2, _Q3, _Q4 = (np.float32(c) for c in _Q)
_CLAMP, _HALF, _ONE = np.float32(9.0), np.float32(0.5), np.float32(1.0)


@_jit(inline="always")
def _tanh(x):
    # Comparisons, not min/max: a NaN fails both and stays NaN.
    x = -_CLAMP if x < -_CLAMP else (_CLAMP if x > _CLAMP else x)
    u = x * x
    p = (((_P4 * u + _P3) * u + _P2) * u + _P1) * u + _P0
    q = (((_Q4 * u + _Q3) * u + _Q2) * u + _Q1) * u + _Q0
    return x * p / q


@_jit(inline="always")
def _sigmoid(x):
    return _HALF + _HALF * _tanh(_HALF * x)


@_jit()
def _sigmoid_rows(z, hw, lo, hi):
    """``z[lo:hi] = sigmoid(z[lo:hi] + hw[lo:hi])`` on one row (a loop the compiler vectorises)."""
    for j in range(lo, hi):
        z[j] = _sigmoid(z[j] + hw[j])


@_jit()
def _tanh_rows(z, hw, lo, hi):
    """``z[lo:hi] = tanh(z[lo:hi] + hw[lo:hi])`` on one row."""
    for j in range(lo, hi):
        z[j] = _tanh(z[j] + hw[j])


@_jit()
def _lstm_forward(z, hw, c_prev, h_prev, mask, masked, h, c, tc):
    """One LSTM step (gate blocks i, f, g, o): ``z`` becomes the activations; writes h, c, tanh(c).

    Row by row, in short loops that touch two or three arrays each: the
    compiler vectorises those, and gives up on one long loop over many arrays.
    """
    B, H = c_prev.shape
    for b in range(B):
        m = mask[b, 0] if masked else _ONE
        zr, cr, tr = z[b], c[b], tc[b]
        _sigmoid_rows(zr, hw[b], 0, 2 * H)  # i, f
        _tanh_rows(zr, hw[b], 2 * H, 3 * H)  # g
        _sigmoid_rows(zr, hw[b], 3 * H, 4 * H)  # o
        for j in range(H):
            cp = c_prev[b, j]
            cr[j] = (zr[H + j] * cp + zr[j] * zr[2 * H + j]) * m + cp * (_ONE - m)
        for j in range(H):
            tr[j] = _tanh(cr[j])
        for j in range(H):
            h[b, j] = (zr[3 * H + j] * tr[j]) * m + h_prev[b, j] * (_ONE - m)


@_jit()
def _lstm_backward(a, tc, c_prev, dh_in, d_out, dc_in, mask, masked, dz, dc_out, dh_skip):
    """One LSTM step back: fills ``dz``; writes dc_{t-1} and the part of dh that skips the cell."""
    B, H = c_prev.shape
    for b in range(B):
        m = mask[b, 0] if masked else _ONE
        ar, zr, tr, dcr, skr = a[b], dz[b], tc[b], dc_out[b], dh_skip[b]
        for j in range(H):  # dh into h_t; dc_out holds dc into c_t for now
            dh = dh_in[b, j] + d_out[b, j]
            skr[j] = dh * (_ONE - m)
            zr[3 * H + j] = dh * m
            dcr[j] = dc_in[b, j]
        for j in range(H):  # do, and dc += dh o (1 - tanh(c)^2)
            dh, o, t = zr[3 * H + j], ar[3 * H + j], tr[j]
            dcr[j] = dcr[j] * m + dh * o * (_ONE - t * t)
            zr[3 * H + j] = (dh * t) * (o * (_ONE - o))
        for j in range(H):
            ig, g, dc = ar[j], ar[2 * H + j], dcr[j]
            zr[j] = (dc * g) * (ig * (_ONE - ig))
            zr[2 * H + j] = (dc * ig) * (_ONE - g * g)
        for j in range(H):
            f, dc = ar[H + j], dcr[j]
            zr[H + j] = (dc * c_prev[b, j]) * (f * (_ONE - f))
            dcr[j] = dc * f + dc_in[b, j] * (_ONE - m)


@_jit()
def _gru_after_forward(a, hw, h_prev, b_hn, mask, masked, h, hn):
    """One GRU step, reset after the product: ``a`` becomes r, z, n; writes h_t and h W_n + b_hn."""
    B, H = h_prev.shape
    for b in range(B):
        m = mask[b, 0] if masked else _ONE
        ar, hwr, hnr, hr = a[b], hw[b], hn[b], h[b]
        _sigmoid_rows(ar, hwr, 0, 2 * H)  # r, z
        for j in range(H):
            hnr[j] = hwr[2 * H + j] + b_hn[j]
        for j in range(H):
            ar[2 * H + j] = _tanh(ar[2 * H + j] + ar[j] * hnr[j])
        for j in range(H):
            hp, z, n = h_prev[b, j], ar[H + j], ar[2 * H + j]
            hr[j] = (n + z * (hp - n)) * m + hp * (_ONE - m)


@_jit()
def _gru_after_backward(a, h_prev, hn, dh_in, d_out, mask, masked, dz, d_hw, dh_part):
    """One GRU step back (reset after): fills ``dz`` and ``d_hw``; writes dh_{t-1} - d_hw W^T."""
    B, H = h_prev.shape
    for b in range(B):
        m = mask[b, 0] if masked else _ONE
        ar, zr, wr, pr = a[b], dz[b], d_hw[b], dh_part[b]
        for j in range(H):  # dh into h_t, for now in dh_part
            pr[j] = dh_in[b, j] + d_out[b, j]
        for j in range(H):
            z, n, dh = ar[H + j], ar[2 * H + j], pr[j] * m
            zr[H + j] = (dh * (h_prev[b, j] - n)) * (z * (_ONE - z))
            zr[2 * H + j] = (dh * (_ONE - z)) * (_ONE - n * n)
        for j in range(H):
            r = ar[j]
            zr[j] = (zr[2 * H + j] * hn[b, j]) * (r * (_ONE - r))
        for j in range(H):
            wr[j], wr[H + j], wr[2 * H + j] = zr[j], zr[H + j], zr[2 * H + j] * ar[j]
        for j in range(H):
            dh = pr[j]
            pr[j] = (dh * m) * ar[H + j] + dh * (_ONE - m)


#: The compiled steps' names, and the steps themselves once compiled (see ``kernel``).
STEPS = ("lstm_forward", "lstm_backward", "gru_after_forward", "gru_after_backward")
KERNELS: dict[str, Any] = {}
