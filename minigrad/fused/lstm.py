"""A whole LSTM sequence as one op, with a hand-written backward (BPTT).

Covers three variants that share one loop:

* ``"lstm"``: gate blocks i, f, g, o;  c_t = f*c_{t-1} + i*g;  h_t = o*tanh(c_t)
* ``"peephole"``: as lstm, plus diagonal peepholes: i and f see c_{t-1}
  (+ p_i*c_{t-1}, + p_f*c_{t-1}), o sees the new c_t (+ p_o*c_t)
* ``"coupled"``: blocks f, g, o and i = 1 - f;  c_t = f*c_{t-1} + (1-f)*g

Why fuse: the composed cell builds about a dozen small ops per step, each
paying Python overhead in forward and backward. Here each step costs one
matrix product ``h_{t-1} @ W`` and a few in-place array expressions; the input
projection of all steps is one product, and so are dU, dW and dX at the end.

Backward, for one step (dh, dc: gradients flowing into h_t and c_t)::

    do = dh * tanh(c_t)                   dc += dh * o * (1 - tanh(c_t)^2)
    di = dc * g    df = dc * c_{t-1}      dg = dc * i      dc_{t-1} = dc * f
    dz = [di*i(1-i), df*f(1-f), dg*(1-g^2), do*o(1-o)]   (pre-activation grads)
    dh_{t-1} = dz @ W^T

Steps past an example's length copy the state: their gradient skips the cell.
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

VARIANTS = ("lstm", "peephole", "coupled")


class LSTMSequence(Function):
    """Outputs ``(H [B, T, H], h_T, c_T)`` of an LSTM variant over a whole sequence."""

    @staticmethod
    def forward(ctx, x, h0, c0, U, W, b, *peepholes, lengths, variant):
        xp = get_array_module(x)
        steps, hidden = x.shape[1], h0.shape[1]
        x_tm = time_major(xp, x)
        z_all = input_projection(xp, x_tm, U, b)
        coupled = variant == "coupled"
        peep = peepholes if variant == "peephole" else None
        acts = z_all  # activated in place, step by step
        hs = xp.empty((steps + 1, *h0.shape), dtype=x.dtype)
        cs = xp.empty((steps + 1, *c0.shape), dtype=x.dtype)
        tanh_c = xp.empty((steps, *c0.shape), dtype=x.dtype)
        hs[0], cs[0] = h0, c0
        masks = step_masks(xp, lengths, steps, x.dtype)
        first_masked = first_masked_step(lengths, steps)
        H = hidden
        for t in range(steps):
            z = acts[t]
            z += hs[t] @ W
            c_prev = cs[t]
            if coupled:
                f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H :]
                sigmoid_(f, xp)
                xp.tanh(g, out=g)
                c = f * (c_prev - g)
                c += g
            else:
                i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
                if peep is not None:
                    i += peep[0] * c_prev
                    f += peep[1] * c_prev
                sigmoid_(z[:, : 2 * H], xp)
                xp.tanh(g, out=g)
                c = f * c_prev
                c += i * g
            if peep is not None:
                o += peep[2] * c
            sigmoid_(o, xp)
            if t >= first_masked:
                m = masks[t]
                c = c * m + c_prev * (1 - m)
            tc = tanh_c[t]
            xp.tanh(c, out=tc)
            h = o * tc
            if t >= first_masked:
                h = h * m + hs[t] * (1 - m)
            hs[t + 1], cs[t + 1] = h, c
        ctx.save_for_backward(x_tm, U, W, acts, hs, cs, tanh_c, masks, *(peep or ()))
        ctx.variant, ctx.first_masked = variant, first_masked
        outputs = hs[1:] if masks is None else hs[1:] * masks
        return batch_major(xp, outputs), hs[steps].copy(), cs[steps].copy()

    @staticmethod
    def backward(ctx, grads):
        x_tm, U, W, acts, hs, cs, tanh_c, masks, *peep = ctx.saved
        xp = get_array_module(x_tm)
        d_out, dh, dc = grads
        d_out = time_major(xp, d_out)
        if masks is not None:
            d_out = d_out * masks
        steps, hidden = acts.shape[0], hs.shape[2]
        H = hidden
        coupled = ctx.variant == "coupled"
        dz_all = xp.empty_like(acts)
        W_t = xp.ascontiguousarray(W.T)
        d_peep = [xp.zeros(hidden, dtype=acts.dtype) for _ in peep]
        dh, dc = dh.copy(), dc.copy()
        for t in range(steps - 1, -1, -1):
            dh += d_out[t]
            if t >= ctx.first_masked:
                m = masks[t]
                dh_skip, dc_skip = dh * (1 - m), dc * (1 - m)
                dh, dc = dh * m, dc * m
            a, dz = acts[t], dz_all[t]
            tc, c_prev = tanh_c[t], cs[t]
            if coupled:
                f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
                dzf, dzg, dzo = dz[:, :H], dz[:, H : 2 * H], dz[:, 2 * H :]
            else:
                i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
                dzi, dzf = dz[:, :H], dz[:, H : 2 * H]
                dzg, dzo = dz[:, 2 * H : 3 * H], dz[:, 3 * H :]
            xp.multiply(dh * tc, o * (1 - o), out=dzo)
            dc += dh * o * (1 - tc * tc)
            if peep:
                dc += dzo * peep[2]
                d_peep[2] += (dzo * cs[t + 1]).sum(axis=0)
            if coupled:
                xp.multiply(dc * (c_prev - g), f * (1 - f), out=dzf)
                xp.multiply(dc * (1 - f), 1 - g * g, out=dzg)
                dc_prev = dc * f
            else:
                xp.multiply(dc * g, i * (1 - i), out=dzi)
                xp.multiply(dc * c_prev, f * (1 - f), out=dzf)
                xp.multiply(dc * i, 1 - g * g, out=dzg)
                dc_prev = dc * f
            if peep:
                dc_prev += dzi * peep[0] + dzf * peep[1]
                d_peep[0] += (dzi * c_prev).sum(axis=0)
                d_peep[1] += (dzf * c_prev).sum(axis=0)
            dh = dz @ W_t
            dc = dc_prev
            if t >= ctx.first_masked:
                dh += dh_skip
                dc += dc_skip
        d_x, d_u, d_w, d_b = parameter_grads(xp, x_tm, hs[:-1], dz_all, U)
        return (batch_major(xp, d_x), dh, dc, d_u, d_w, d_b, *d_peep)


def lstm_sequence(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    U: Tensor,
    W: Tensor,
    b: Tensor,
    peepholes: tuple[Tensor, Tensor, Tensor] | None = None,
    lengths: Any = None,
    variant: str = "lstm",
) -> tuple[Tensor, Tensor, Tensor]:
    """Run an LSTM variant over ``x`` ``[B, T, I]`` in one op -> ``(outputs [B, T, H], h_T, c_T)``.

    ``U`` ``[I, G*H]``, ``W`` ``[H, G*H]``, ``b`` ``[G*H]`` with G = 4 blocks
    (i, f, g, o) for "lstm" and "peephole", 3 (f, g, o) for "coupled".
    ``peepholes`` = (p_i, p_f, p_o), each ``[H]``, for "peephole". ``lengths``:
    B integers; past them outputs are zero and the state is carried unchanged.
    """
    if variant not in VARIANTS:
        raise ValueError(f"lstm_sequence: variant must be one of {VARIANTS}, got {variant!r}")
    extra = tuple(peepholes) if variant == "peephole" else ()
    return LSTMSequence.apply(x, h0, c0, U, W, b, *extra, lengths=lengths, variant=variant)
