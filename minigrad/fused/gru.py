"""A whole GRU sequence as one op, with a hand-written backward.

Gate blocks r, z, n along the last axis of ``U`` ``[I, 3H]`` and ``W`` ``[H, 3H]``.
In both forms z keeps the old state: h_t = z*h_{t-1} + (1-z)*n.

* reset before the product (Cho et al. 2014, TF1, the seminar)::

      r, z = sigmoid(x U_rz + h W_rz + b_rz)
      n = tanh(x U_n + (r*h) W_n + b_n)

* reset after (``reset_after=True``, PyTorch/cuDNN)::

      r, z = sigmoid(x U_rz + h W_rz + b_rz)
      n = tanh(x U_n + b_n + r*(h W_n + b_hn))

Backward, for one step with dh flowing into h_t::

    dz = dh*(h_{t-1} - n)      dn = dh*(1 - z)      dh_{t-1} = dh*z + (paths through gates)
    before: d(rh) = dn' W_n^T   dr = d(rh)*h        dh_{t-1} += d(rh)*r
    after:  dr = dn'*(h W_n + b_hn)                 d(h W_n) = dn'*r
where dn' = dn*(1-n^2) is the gradient of n's pre-activation.

The reference is the composed cell ``GRUCell`` (``plugins/gru.py``). Each
step's arithmetic is written twice: the NumPy step functions (the version to
read), and the same lines as CUDA source in ``CUDA_SOURCES`` below them (see
``fused/cuda.py``).
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.function import Function
from minigrad.backend import get_array_module, is_gpu_array
from minigrad.errors import CellError
from minigrad.fused import compiled, cuda
from minigrad.fused.common import (
    batch_major,
    first_masked_step,
    input_projection,
    parameter_grads,
    sigmoid_,
    step_masks,
    time_major,
)
from minigrad.tensor import Tensor


class GRUSequence(Function):
    """Outputs ``(H [B, T, H], h_T)`` of a GRU over a whole sequence."""

    @staticmethod
    def forward(ctx, x, h0, U, W, b, *b_hn, lengths, reset_after):
        xp = get_array_module(x)
        steps, H = x.shape[1], h0.shape[1]
        x_tm = time_major(xp, x)
        acts = input_projection(xp, x_tm, U, b)  # activated in place, step by step
        hs = xp.empty((steps + 1, *h0.shape), dtype=x.dtype)
        hs[0] = h0
        # reset after: h W_n + b_hn per step; reset before: r*h per step (for dW_n).
        kept = xp.empty((steps, *h0.shape), dtype=x.dtype)
        masks = step_masks(xp, lengths, steps, x.dtype)
        first_masked = first_masked_step(lengths, steps)
        gpu = is_gpu_array(x)
        W_rz, W_n = xp.ascontiguousarray(W[:, : 2 * H]), xp.ascontiguousarray(W[:, 2 * H :])
        after_step = _after_step(gpu, x, "forward")
        hw = xp.empty_like(acts[0])
        for t in range(steps):
            a, h_prev, h_out = acts[t], hs[t], hs[t + 1]
            mask = masks[t] if t >= first_masked else None
            if reset_after:
                xp.matmul(h_prev, W, out=hw)
                after_step(a, hw, h_prev, b_hn[0], mask, h_out, kept[t])
            elif gpu:
                _cuda_before_forward(a, h_prev, W_rz, W_n, mask, h_out, kept[t])
            else:
                _before_forward(a, h_prev, W_rz, W_n, mask, h_out, kept[t])
        ctx.save_for_backward(x_tm, U, W, acts, hs, kept, masks)
        ctx.reset_after, ctx.first_masked = reset_after, first_masked
        outputs = hs[1:] if masks is None else hs[1:] * masks
        return batch_major(xp, outputs), hs[steps].copy()

    @staticmethod
    def backward(ctx, grads):
        x_tm, U, W, acts, hs, kept, masks = ctx.saved
        xp = get_array_module(x_tm)
        d_out, dh = grads
        d_out = time_major(xp, d_out)
        if masks is not None:
            d_out = d_out * masks
        steps, H = acts.shape[0], hs.shape[2]
        gpu = is_gpu_array(x_tm)
        dz_all = xp.empty_like(acts)
        W_t = xp.ascontiguousarray(W.T)
        if ctx.reset_after:
            # d(h W) per step: the n block's gradient reaches h W_n through r.
            d_hw_all = xp.empty_like(acts)
            step = _after_step(gpu, x_tm, "backward")
            for t in range(steps - 1, -1, -1):
                mask = masks[t] if t >= ctx.first_masked else None
                dh = step(acts[t], hs[t], kept[t], dh, d_out[t], mask, dz_all[t], d_hw_all[t])
                dh += d_hw_all[t] @ W_t
            d_x, d_u, _, d_b = parameter_grads(xp, x_tm, hs[:-1], dz_all, U)
            d_w = hs[:-1].reshape(-1, H).T @ d_hw_all.reshape(-1, 3 * H)
            d_b_hn = d_hw_all[..., 2 * H :].sum(axis=(0, 1))
            return batch_major(xp, d_x), dh, d_u, d_w, d_b, d_b_hn
        W_rz_t, W_n_t = W_t[: 2 * H], W_t[2 * H :]
        step = _cuda_before_backward if gpu else _before_backward
        for t in range(steps - 1, -1, -1):
            mask = masks[t] if t >= ctx.first_masked else None
            dh = step(acts[t], hs[t], dh, d_out[t], mask, dz_all[t], W_n_t)
            dh += dz_all[t][:, : 2 * H] @ W_rz_t
        d_x, d_u, d_w, d_b = parameter_grads(xp, x_tm, hs[:-1], dz_all, U)
        # The n block saw r*h, not h.
        d_w[:, 2 * H :] = kept.reshape(-1, H).T @ dz_all[..., 2 * H :].reshape(-1, H)
        return batch_major(xp, d_x), dh, d_u, d_w, d_b


def _after_step(gpu, x, direction):
    """The reset-after step for ``x``'s device and dtype: CUDA kernel, compiled or NumPy."""
    if gpu:
        return _cuda_after_forward if direction == "forward" else _cuda_after_backward
    if compiled.applies(x):
        return _compiled_after_forward if direction == "forward" else _compiled_after_backward
    return _after_forward if direction == "forward" else _after_backward


def _after_forward(a, hw, h_prev, b_hn, mask, h_out, hn_out):
    """Reset after, one step on the CPU: activate ``a`` in place; write h_t and h W_n + b_hn."""
    xp = get_array_module(a)
    H = h_prev.shape[1]
    rz, n = a[:, : 2 * H], a[:, 2 * H :]
    rz += hw[:, : 2 * H]
    sigmoid_(rz, xp)
    xp.add(hw[:, 2 * H :], b_hn, out=hn_out)
    n += rz[:, :H] * hn_out
    xp.tanh(n, out=n)
    _blend(n, rz[:, H:], h_prev, mask, h_out)


def _before_forward(a, h_prev, W_rz, W_n, mask, h_out, rh_out):
    """Reset before, one step on the CPU: activate ``a`` in place; write h_t and r*h."""
    xp = get_array_module(a)
    H = h_prev.shape[1]
    rz, n = a[:, : 2 * H], a[:, 2 * H :]
    rz += h_prev @ W_rz
    sigmoid_(rz, xp)
    xp.multiply(rz[:, :H], h_prev, out=rh_out)
    n += rh_out @ W_n
    xp.tanh(n, out=n)
    _blend(n, rz[:, H:], h_prev, mask, h_out)


def _blend(n, z, h_prev, mask, h_out):
    """h_t = n + z*(h_{t-1} - n), kept at h_{t-1} past an example's length."""
    xp = get_array_module(n)
    xp.subtract(h_prev, n, out=h_out)
    h_out *= z
    h_out += n
    if mask is not None:
        h_out[...] = h_out * mask + h_prev * (1 - mask)


def _incoming(dh, d_out, mask):
    """The gradient reaching h_t: (the part through the cell, the part that skips it)."""
    dh = dh + d_out
    if mask is None:
        return dh, None
    return dh * mask, dh * (1 - mask)


def _after_backward(a, h_prev, hn, dh, d_out, mask, dz, d_hw):
    """Reset after, one step back on the CPU: fill ``dz``, ``d_hw``; return dh_{t-1} - d_hw W^T."""
    xp = get_array_module(a)
    H = h_prev.shape[1]
    dh, skip = _incoming(dh, d_out, mask)
    r, z, dzr, dzn = _update_and_candidate_grads(a, h_prev, dh, dz)
    xp.multiply(dzn, hn, out=dzr)  # dz_r = dn' * (h W_n + b_hn) * r(1-r)
    dzr *= r
    dzr *= 1 - r
    d_hw[:, : 2 * H] = dz[:, : 2 * H]
    xp.multiply(dzn, r, out=d_hw[:, 2 * H :])
    dh_prev = dh * z
    return dh_prev if skip is None else dh_prev + skip


def _before_backward(a, h_prev, dh, d_out, mask, dz, W_n_t):
    """Reset before, one step back on the CPU: fill ``dz``; return dh_{t-1} minus dz_rz W_rz^T."""
    xp = get_array_module(a)
    dh, skip = _incoming(dh, d_out, mask)
    r, z, dzr, dzn = _update_and_candidate_grads(a, h_prev, dh, dz)
    d_rh = dzn @ W_n_t
    xp.multiply(d_rh * h_prev, r * (1 - r), out=dzr)
    dh_prev = dh * z
    dh_prev += d_rh * r
    return dh_prev if skip is None else dh_prev + skip


def _update_and_candidate_grads(a, h_prev, dh, dz):
    """Fill the z and n blocks of ``dz``, the same in both forms; return r, z, dz_r and dz_n."""
    xp = get_array_module(a)
    H = h_prev.shape[1]
    r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
    dzr, dzz, dzn = dz[:, :H], dz[:, H : 2 * H], dz[:, 2 * H :]
    one_minus_z = 1 - z
    xp.subtract(h_prev, n, out=dzz)  # dz_z = dh (h_{t-1} - n) z(1-z)
    dzz *= dh
    dzz *= z
    dzz *= one_minus_z
    xp.multiply(n, n, out=dzn)  # dz_n = dh (1-z) (1-n^2)
    xp.subtract(1, dzn, out=dzn)
    dzn *= dh
    dzn *= one_minus_z
    return r, z, dzr, dzn


# GPU versions of the four steps above: the same arithmetic as one kernel each
# (two for reset-before, whose step has a matrix product in the middle).
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
CUDA_SOURCES: dict[str, cuda.KernelSource] = {
    # Reset after the product: hw = h_{t-1} W (all three blocks), hn = hw_n + b_hn.
    "gru_after_forward": (
        f"raw T hw, T h_prev, raw T b_hn, {cuda.MASKED}",
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
        f"raw T a, T h_prev, T hn, T dh_in, T d_out, {cuda.MASKED}",
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
    # Reset before the product, in two halves around rh @ W_n.
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
        f"T rh_w, T h_prev, {cuda.MASKED}",
        "raw T a, T h",
        r"""
        const ptrdiff_t k = b * 3 * H + j;
        const T n = tanh(a[k + 2 * H] + rh_w), z = a[k + H], hp = h_prev;
        a[k + 2 * H] = n;
        h = (n + z * (hp - n)) * m + hp * (T(1) - m);
        """,
    ),
    "gru_before_backward_zn": (
        f"raw T a, T h_prev, T dh_in, T d_out, {cuda.MASKED}",
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
}


def _kernel(name):
    return cuda.kernel(name, CUDA_SOURCES[name])


def _cuda_after_forward(a, hw, h_prev, b_hn, mask, h_out, hn_out):
    m, masked = cuda.mask_args(mask, h_prev)
    H = h_prev.shape[1]
    _kernel("gru_after_forward")(hw, h_prev, b_hn, m, H, masked, a, h_out, hn_out)


def _cuda_before_forward(a, h_prev, W_rz, W_n, mask, h_out, rh_out):
    m, masked = cuda.mask_args(mask, h_prev)
    H = h_prev.shape[1]
    _kernel("gru_before_gates")(h_prev @ W_rz, h_prev, H, a, rh_out)
    _kernel("gru_before_forward")(rh_out @ W_n, h_prev, m, H, masked, a, h_out)


def _cuda_after_backward(a, h_prev, hn, dh, d_out, mask, dz, d_hw):
    m, masked = cuda.mask_args(mask, h_prev)
    H = h_prev.shape[1]
    dh_prev = get_array_module(a).empty_like(h_prev)
    _kernel("gru_after_backward")(a, h_prev, hn, dh, d_out, m, H, masked, dz, d_hw, dh_prev)
    return dh_prev


def _cuda_before_backward(a, h_prev, dh, d_out, mask, dz, W_n_t):
    xp = get_array_module(a)
    m, masked = cuda.mask_args(mask, h_prev)
    H = h_prev.shape[1]
    dh_part, dh_prev = xp.empty_like(h_prev), xp.empty_like(h_prev)
    _kernel("gru_before_backward_zn")(a, h_prev, dh, d_out, m, H, masked, dz, dh_part)
    d_rh = dz[:, 2 * H :] @ W_n_t
    _kernel("gru_before_backward_r")(a, d_rh, h_prev, dh_part, H, dz, dh_prev)
    return dh_prev


def _compiled_after_forward(a, hw, h_prev, b_hn, mask, h_out, hn_out):
    """The compiled CPU version of ``_after_forward`` (``fused/compiled.py``)."""
    m, masked = compiled.mask_args(mask, h_prev)
    compiled.kernel("gru_after_forward")(a, hw, h_prev, b_hn, m, masked, h_out, hn_out)


def _compiled_after_backward(a, h_prev, hn, dh, d_out, mask, dz, d_hw):
    """The compiled CPU version of ``_after_backward``: returns dh_{t-1} - d_hw W^T."""
    m, masked = compiled.mask_args(mask, h_prev)
    dh = compiled.contiguous(dh)
    dh_part = get_array_module(dh).empty_like(dh)
    kernel = compiled.kernel("gru_after_backward")
    kernel(a, h_prev, hn, dh, d_out, m, masked, dz, d_hw, dh_part)
    return dh_part


def gru_sequence(
    x: Tensor,
    h0: Tensor,
    U: Tensor,
    W: Tensor,
    b: Tensor,
    b_hn: Tensor | None = None,
    lengths: Any = None,
    reset_after: bool = False,
) -> tuple[Tensor, Tensor]:
    """Run a GRU over ``x`` ``[B, T, I]`` in one op -> ``(outputs [B, T, H], h_T)``.

    ``U`` ``[I, 3H]``, ``W`` ``[H, 3H]``, ``b`` ``[3H]`` (blocks r, z, n);
    ``b_hn`` ``[H]`` is required with ``reset_after=True`` and unused otherwise.
    """
    if reset_after:
        if b_hn is None:
            raise CellError("gru_sequence: reset_after=True needs the second bias b_hn [H]")
        outputs, h_T = GRUSequence.apply_multi(
            x, h0, U, W, b, b_hn, lengths=lengths, reset_after=True
        )
    else:
        outputs, h_T = GRUSequence.apply_multi(x, h0, U, W, b, lengths=lengths, reset_after=False)
    return outputs, h_T
