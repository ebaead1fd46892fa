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
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.function import Function
from minigrad.backend import get_array_module
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
        acts = input_projection(xp, x_tm, U, b)
        hs = xp.empty((steps + 1, *h0.shape), dtype=x.dtype)
        hs[0] = h0
        # reset after: h W_n + b_hn per step; reset before: r*h per step (for dW_n).
        kept = xp.empty((steps, *h0.shape), dtype=x.dtype)
        masks = step_masks(xp, lengths, steps, x.dtype)
        first_masked = first_masked_step(lengths, steps)
        W_rz, W_n = W[:, : 2 * H], W[:, 2 * H :]
        for t in range(steps):
            a, h_prev = acts[t], hs[t]
            rz, n = a[:, : 2 * H], a[:, 2 * H :]
            if reset_after:
                hw = h_prev @ W
                rz += hw[:, : 2 * H]
                sigmoid_(rz, xp)
                hn = kept[t]
                xp.add(hw[:, 2 * H :], b_hn[0], out=hn)
                n += rz[:, :H] * hn
            else:
                rz += h_prev @ W_rz
                sigmoid_(rz, xp)
                rh = kept[t]
                xp.multiply(rz[:, :H], h_prev, out=rh)
                n += rh @ W_n
            xp.tanh(n, out=n)
            z = rz[:, H:]
            h = n + z * (h_prev - n)
            if t >= first_masked:
                m = masks[t]
                h = h * m + h_prev * (1 - m)
            hs[t + 1] = h
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
        dz_all = xp.empty_like(acts)
        W_t = xp.ascontiguousarray(W.T)
        W_rz_t, W_n_t = W_t[: 2 * H], W_t[2 * H :]
        d_w_n = xp.zeros((H, H), dtype=acts.dtype) if not ctx.reset_after else None
        d_b_hn = xp.zeros(H, dtype=acts.dtype) if ctx.reset_after else None
        dh = dh.copy()
        for t in range(steps - 1, -1, -1):
            dh += d_out[t]
            if t >= ctx.first_masked:
                m = masks[t]
                dh_skip = dh * (1 - m)
                dh = dh * m
            a, dz, h_prev = acts[t], dz_all[t], hs[t]
            r, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
            dzr, dzz, dzn = dz[:, :H], dz[:, H : 2 * H], dz[:, 2 * H :]
            xp.multiply(dh * (h_prev - n), z * (1 - z), out=dzz)
            xp.multiply(dh * (1 - z), 1 - n * n, out=dzn)
            dh_prev = dh * z
            if ctx.reset_after:
                hn = kept[t]
                xp.multiply(dzn * hn, r * (1 - r), out=dzr)
                d_hw = dz.copy()
                d_hw[:, 2 * H :] *= r  # the n block reaches h W_n through r
                d_b_hn += d_hw[:, 2 * H :].sum(axis=0)
                dh_prev += d_hw @ W_t
            else:
                d_rh = dzn @ W_n_t
                d_w_n += kept[t].T @ dzn
                xp.multiply(d_rh * h_prev, r * (1 - r), out=dzr)
                dh_prev += d_rh * r
                dh_prev += dz[:, : 2 * H] @ W_rz_t
            dh = dh_prev
            if t >= ctx.first_masked:
                dh += dh_skip
        if ctx.reset_after:
            # Every block of W sees h_{t-1}, but the n block's gradient is scaled by r.
            d_x, d_u, _, d_b = parameter_grads(xp, x_tm, hs[:-1], dz_all, U)
            d_hw_all = dz_all.copy()
            d_hw_all[..., 2 * H :] *= acts[..., :H]
            flat = d_hw_all.reshape(-1, 3 * H)
            d_w = hs[:-1].reshape(-1, H).T @ flat
            return batch_major(xp, d_x), dh, d_u, d_w, d_b, d_b_hn
        d_x, d_u, d_w_all, d_b = parameter_grads(xp, x_tm, hs[:-1], dz_all, U)
        d_w_all[:, 2 * H :] = d_w_n  # the n block saw r*h, not h
        return batch_major(xp, d_x), dh, d_u, d_w_all, d_b


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
            raise ValueError("gru_sequence: reset_after=True needs b_hn")
        return GRUSequence.apply(x, h0, U, W, b, b_hn, lengths=lengths, reset_after=True)
    return GRUSequence.apply(x, h0, U, W, b, lengths=lengths, reset_after=False)
