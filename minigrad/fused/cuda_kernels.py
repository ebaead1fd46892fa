"""The fused cells' per-step gate arithmetic as one CUDA kernel each (CuPy only).

Why: on a GPU every NumPy-style array expression is a kernel launch costing
several microseconds, whatever the array's size. An LSTM step written as array
expressions (the CPU path in ``fused/lstm.py``) is about fifteen launches
forward and twenty backward; here it is one each, beside the step's matrix
product.

Each kernel runs one thread per (example b, unit j) of the ``[B, H]`` state and
does what the NumPy code of the same step does, so the two paths agree to
rounding (the GPU tests compare them to 1e-10 in float64). Gate buffers
``[B, G*H]`` are passed as ``raw`` arrays: a thread reads its unit's G gates at
``b*G*H + k*H + j``. ``z`` (``a`` in the GRU) holds the input projection
x_t U + b and receives the activated gates, which backward needs, so it is an
output; ``hw`` is the recurrent product h_{t-1} W of the same layout.

``mask`` is the ``[B, 1]`` step mask of ragged ``lengths``: with ``masked=1``
an example past its length keeps its state (and its gradient skips the cell);
with ``masked=0`` any array of the right dtype stands in for it. Kernels are
compiled on first use and then cached by CuPy.
"""

from __future__ import annotations

import functools
from typing import Any

from minigrad.backend import cupy_module

_PREAMBLE = r"""
template <typename F> __device__ F sigm(F x) { return (tanh(x * F(0.5)) + F(1)) * F(0.5); }
"""
# Every kernel starts here: which example and unit this thread owns, and its mask.
_HEAD = r"""
const ptrdiff_t b = i / H, j = i % H;
const T m = masked ? mask[b] : T(1);
"""
_MASKED = "raw T mask, int32 H, int32 masked"
# Both GRU forms, going back: the gradient reaching h_t (split by the mask into the part
# through the cell and the part that skips it), then the z and n pre-activation gradients.
_GRU_Z_N_GRADS = r"""
const T z = a[k + H], n = a[k + 2 * H];
T dh = dh_in + d_out;
const T skip = dh * (T(1) - m);
dh = dh * m;
const T dzz = (dh * (h_prev - n)) * (z * (T(1) - z));
const T dzn = (dh * (T(1) - z)) * (T(1) - n * n);
"""

# name: (inputs, outputs, body). Variant codes: 0 lstm, 1 peephole, 2 coupled.
_SOURCES: dict[str, tuple[str, str, str]] = {
    "lstm_forward": (
        f"raw T hw, T c_prev, T h_prev, raw T peep, int32 variant, {_MASKED}",
        "raw T z, T h, T c, T tc",
        r"""
        const T cp = c_prev;
        T cn, o;
        if (variant == 2) {  // coupled: blocks f, g, o
            const ptrdiff_t k = b * 3 * H + j;
            const T f = sigm(z[k] + hw[k]), g = tanh(z[k + H] + hw[k + H]);
            z[k] = f; z[k + H] = g;
            cn = f * (cp - g) + g;
            o = z[k + 2 * H] + hw[k + 2 * H];
            o = sigm(o); z[k + 2 * H] = o;
        } else {  // blocks i, f, g, o
            const ptrdiff_t k = b * 4 * H + j;
            T zi = z[k] + hw[k], zf = z[k + H] + hw[k + H];
            if (variant == 1) { zi += peep[j] * cp; zf += peep[H + j] * cp; }
            const T ig = sigm(zi), f = sigm(zf), g = tanh(z[k + 2 * H] + hw[k + 2 * H]);
            z[k] = ig; z[k + H] = f; z[k + 2 * H] = g;
            cn = f * cp + ig * g;
            o = z[k + 3 * H] + hw[k + 3 * H];
            if (variant == 1) o += peep[2 * H + j] * cn;
            o = sigm(o); z[k + 3 * H] = o;
        }
        cn = cn * m + cp * (T(1) - m);
        const T t = tanh(cn);
        c = cn;
        tc = t;
        h = (o * t) * m + h_prev * (T(1) - m);
        """,
    ),
    "lstm_backward": (
        "raw T a, T tc, T c_prev, T dh_in, T d_out, T dc_in, raw T peep, int32 variant, " + _MASKED,
        "raw T dz, T dc_out, T dh_skip",
        r"""
        T dh = dh_in + d_out, dc = dc_in;
        dh_skip = dh * (T(1) - m);
        const T dc_skip = dc * (T(1) - m);
        dh = dh * m; dc = dc * m;
        const T cp = c_prev, t = tc;
        T dcp;
        if (variant == 2) {
            const ptrdiff_t k = b * 3 * H + j;
            const T f = a[k], g = a[k + H], o = a[k + 2 * H];
            const T dzo = (dh * t) * (o * (T(1) - o));
            dc += dh * o * (T(1) - t * t);
            dz[k] = (dc * (cp - g)) * (f * (T(1) - f));
            dz[k + H] = (dc * (T(1) - f)) * (T(1) - g * g);
            dz[k + 2 * H] = dzo;
            dcp = dc * f;
        } else {
            const ptrdiff_t k = b * 4 * H + j;
            const T ig = a[k], f = a[k + H], g = a[k + 2 * H], o = a[k + 3 * H];
            const T dzo = (dh * t) * (o * (T(1) - o));
            dc += dh * o * (T(1) - t * t);
            if (variant == 1) dc += dzo * peep[2 * H + j];
            const T dzi = (dc * g) * (ig * (T(1) - ig));
            const T dzf = (dc * cp) * (f * (T(1) - f));
            dz[k] = dzi;
            dz[k + H] = dzf;
            dz[k + 2 * H] = (dc * ig) * (T(1) - g * g);
            dz[k + 3 * H] = dzo;
            dcp = dc * f;
            if (variant == 1) dcp += dzi * peep[j] + dzf * peep[H + j];
        }
        dc_out = dcp + dc_skip;
        """,
    ),
    # GRU, reset after the product: hw = h_{t-1} W (all three blocks), hn = hw_n + b_hn.
    "gru_after_forward": (
        f"raw T hw, T h_prev, raw T b_hn, {_MASKED}",
        "raw T a, T h, T hn",
        r"""
        const ptrdiff_t k = b * 3 * H + j;
        const T r = sigm(a[k] + hw[k]), z = sigm(a[k + H] + hw[k + H]);
        const T hnv = hw[k + 2 * H] + b_hn[j];
        const T n = tanh(a[k + 2 * H] + r * hnv);
        a[k] = r; a[k + H] = z; a[k + 2 * H] = n;
        hn = hnv;
        const T hp = h_prev;
        h = (n + z * (hp - n)) * m + hp * (T(1) - m);
        """,
    ),
    "gru_after_backward": (
        f"raw T a, T h_prev, T hn, T dh_in, T d_out, {_MASKED}",
        "raw T dz, raw T d_hw, T dh_part",
        r"""
        const ptrdiff_t k = b * 3 * H + j;
        const T r = a[k];
        """
        + _GRU_Z_N_GRADS
        + r"""
        const T dzr = (dzn * hn) * (r * (T(1) - r));
        dz[k] = dzr; dz[k + H] = dzz; dz[k + 2 * H] = dzn;
        d_hw[k] = dzr; d_hw[k + H] = dzz; d_hw[k + 2 * H] = dzn * r;
        dh_part = dh * z + skip;
        """,
    ),
    # GRU, reset before the product, in two halves around rh @ W_n.
    "gru_before_gates": (
        "raw T hw_rz, T h_prev, int32 H",
        "raw T a, T rh",
        r"""
        const ptrdiff_t b = i / H, j = i % H, k = b * 3 * H + j, q = b * 2 * H + j;
        const T r = sigm(a[k] + hw_rz[q]), z = sigm(a[k + H] + hw_rz[q + H]);
        a[k] = r; a[k + H] = z;
        rh = r * h_prev;
        """,
    ),
    "gru_before_forward": (
        f"T rh_w, T h_prev, {_MASKED}",
        "raw T a, T h",
        r"""
        const ptrdiff_t k = b * 3 * H + j;
        const T n = tanh(a[k + 2 * H] + rh_w), z = a[k + H], hp = h_prev;
        a[k + 2 * H] = n;
        h = (n + z * (hp - n)) * m + hp * (T(1) - m);
        """,
    ),
    "gru_before_backward_zn": (
        f"raw T a, T h_prev, T dh_in, T d_out, {_MASKED}",
        "raw T dz, T dh_part",
        r"""
        const ptrdiff_t k = b * 3 * H + j;
        """
        + _GRU_Z_N_GRADS
        + r"""
        dz[k + H] = dzz;
        dz[k + 2 * H] = dzn;
        dh_part = dh * z + skip;
        """,
    ),
    "gru_before_backward_r": (
        "raw T a, T d_rh, T h_prev, T dh_part, int32 H",
        "raw T dz, T dh_out",
        r"""
        const ptrdiff_t b = i / H, j = i % H, k = b * 3 * H + j;
        const T r = a[k];
        dz[k] = (d_rh * h_prev) * (r * (T(1) - r));
        dh_out = dh_part + d_rh * r;
        """,
    ),
    # Basic RNN; activation: 0 tanh, 1 relu, 2 sigmoid.
    "rnn_forward": (
        f"T hw, T s_prev, int32 activation, {_MASKED}",
        "raw T z, T s",
        r"""
        T v = z[i] + hw;
        v = activation == 0 ? tanh(v) : activation == 1 ? (v > T(0) ? v : T(0)) : sigm(v);
        z[i] = v;
        s = v * m + s_prev * (T(1) - m);
        """,
    ),
    "rnn_backward": (
        f"T s, T ds_in, T d_out, int32 activation, {_MASKED}",
        "T dz, T ds_skip",
        r"""
        T ds = ds_in + d_out;
        ds_skip = ds * (T(1) - m);
        ds = ds * m;
        const T d = activation == 0 ? T(1) - s * s
                  : activation == 1 ? (s > T(0) ? T(1) : T(0)) : s * (T(1) - s);
        dz = ds * d;
        """,
    ),
}

LSTM_VARIANTS = {"lstm": 0, "peephole": 1, "coupled": 2}
RNN_ACTIVATIONS = {"tanh": 0, "relu": 1, "sigmoid": 2}


@functools.cache
def kernel(name: str) -> Any:
    """The compiled ``cupy.ElementwiseKernel`` called ``name`` (see ``_SOURCES``)."""
    inputs, outputs, body = _SOURCES[name]
    head = _HEAD if "masked" in inputs else ""
    return cupy_module().ElementwiseKernel(
        inputs, outputs, head + body, f"minigrad_{name}", preamble=_PREAMBLE
    )


def mask_args(masks: Any, t: int, first_masked: int, like: Any) -> tuple[Any, int]:
    """``(mask, masked)`` for step t: the real mask from the first ragged step on."""
    if masks is not None and t >= first_masked:
        return masks[t], 1
    return like, 0
