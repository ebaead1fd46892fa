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

The references are the composed cells ``LSTMCell``, ``PeepholeLSTMCell`` and
``CoupledLSTMCell`` (``plugins/*lstm.py``). Each step's arithmetic is written
twice: ``_forward_step`` / ``_backward_step`` in NumPy (the version to read),
and the same lines as CUDA source in ``CUDA_SOURCES`` below them (one kernel
per step on a GPU, see ``fused/cuda.py``), chosen by the array's device.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from minigrad.autograd.function import Function
from minigrad.backend import get_array_module, is_gpu_array
from minigrad.errors import CellError
from minigrad.fused import compiled, cuda
from minigrad.fused.common import (
    GateActivations,
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
        steps = x.shape[1]
        x_tm = time_major(xp, x)
        acts = input_projection(xp, x_tm, U, b)  # activated in place, step by step
        peep = peepholes if variant == "peephole" else ()
        hs = xp.empty((steps + 1, *h0.shape), dtype=x.dtype)
        cs = xp.empty((steps + 1, *c0.shape), dtype=x.dtype)
        tanh_c = xp.empty((steps, *c0.shape), dtype=x.dtype)
        hs[0], cs[0] = h0, c0
        masks = step_masks(xp, lengths, steps, x.dtype)
        first_masked = first_masked_step(lengths, steps)
        if is_gpu_array(x):
            step = _cuda_forward_step(xp, variant, peep, hs)
        elif variant == "lstm" and compiled.applies(x):
            step = _compiled_forward_step
        else:
            step = partial(
                _forward_step,
                variant=variant,
                peep=peep,
                gates=_gates(xp, variant, h0.shape[1], x.dtype),
            )
        hw = xp.empty_like(acts[0])
        for t in range(steps):
            mask = masks[t] if t >= first_masked else None
            xp.matmul(hs[t], W, out=hw)
            step(acts[t], hw, cs[t], hs[t], mask, hs[t + 1], cs[t + 1], tanh_c[t])
        ctx.save_for_backward(x_tm, U, W, acts, hs, cs, tanh_c, masks, *peep)
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
        variant = ctx.variant
        dz_all = xp.empty_like(acts)
        W_t = xp.ascontiguousarray(W.T)
        if is_gpu_array(x_tm):
            step = _cuda_backward_step(xp, variant, peep, hs)
        elif variant == "lstm" and compiled.applies(x_tm):
            step = _compiled_backward_step
        else:
            gates = _gates(xp, variant, hs.shape[2], x_tm.dtype)
            step = partial(_backward_step, variant=variant, peep=peep, gates=gates)
        for t in range(acts.shape[0] - 1, -1, -1):
            mask = masks[t] if t >= ctx.first_masked else None
            dc, dh_skip = step(acts[t], tanh_c[t], cs[t], dh, d_out[t], dc, mask, dz_all[t])
            dh = dz_all[t] @ W_t
            if mask is not None:
                dh += dh_skip
        d_x, d_u, d_w, d_b = parameter_grads(xp, x_tm, hs[:-1], dz_all, U)
        d_peep = _peephole_grads(dz_all, cs) if peep else ()
        return (batch_major(xp, d_x), dh, dc, d_u, d_w, d_b, *d_peep)


def _forward_step(z, hw, c_prev, h_prev, mask, h_out, c_out, tc_out, *, variant, peep, gates):
    """One step on the CPU: activate the gates ``z`` in place, write h_t, c_t, tanh(c_t)."""
    xp = get_array_module(z)
    H = c_prev.shape[1]
    z += hw
    if variant == "coupled":
        gates(z, xp)
        f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H :]
        xp.subtract(c_prev, g, out=c_out)  # c = f*(c_prev - g) + g
        c_out *= f
        c_out += g
    else:
        i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        if peep:  # i and f look at c_{t-1}; o looks at c_t, so it waits for c_t
            i += peep[0] * c_prev
            f += peep[1] * c_prev
            gates(z[:, : 3 * H], xp)
        else:
            gates(z, xp)
        xp.multiply(f, c_prev, out=c_out)
        c_out += i * g
    if peep:
        o += peep[2] * c_out
        sigmoid_(o, xp)
    if mask is not None:
        c_out[...] = c_out * mask + c_prev * (1 - mask)
    xp.tanh(c_out, out=tc_out)
    xp.multiply(o, tc_out, out=h_out)
    if mask is not None:
        h_out[...] = h_out * mask + h_prev * (1 - mask)


def _backward_step(a, tc, c_prev, dh, d_out, dc, mask, dz, *, variant, peep, gates):
    """One step back on the CPU: fill ``dz``; return (dc_{t-1}, dh that skips the cell).

    Each gate's slice of ``dz`` first receives d(loss)/d(gate output), then the
    whole row is multiplied by the activations' derivative in one pass.
    """
    xp = get_array_module(a)
    H = c_prev.shape[1]
    dh = dh + d_out
    dh_skip = None
    if mask is not None:
        dh_skip, dc_skip = dh * (1 - mask), dc * (1 - mask)
        dh, dc = dh * mask, dc * mask
    else:
        dc = dc.copy()
    o, dzo = a[:, -H:], dz[:, -H:]
    xp.multiply(dh, tc, out=dzo)
    d_tanh = tc * tc  # dc += dh * o * (1 - tc^2), with one temporary
    xp.subtract(1, d_tanh, out=d_tanh)
    d_tanh *= o
    d_tanh *= dh
    dc += d_tanh
    if peep:  # o's pre-activation gradient reaches c_t through p_o, so finish it now
        dzo *= o * (1 - o)
        dc += dzo * peep[2]
    if variant == "coupled":
        f, g = a[:, :H], a[:, H : 2 * H]
        xp.multiply(dc, c_prev - g, out=dz[:, :H])
        xp.multiply(dc, 1 - f, out=dz[:, H : 2 * H])
    else:
        i, f, g = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H]
        xp.multiply(dc, g, out=dz[:, :H])
        xp.multiply(dc, c_prev, out=dz[:, H : 2 * H])
        xp.multiply(dc, i, out=dz[:, 2 * H : 3 * H])
    if peep:
        dz[:, : 3 * H] *= gates.derivative(a[:, : 3 * H])
    else:
        dz *= gates.derivative(a)
    dc_prev = dc
    dc_prev *= f  # dc is this step's own copy
    if peep:
        dc_prev += dz[:, :H] * peep[0] + dz[:, H : 2 * H] * peep[1]
    if mask is not None:
        dc_prev += dc_skip
    return dc_prev, dh_skip


def _gates(xp, variant, hidden, dtype):
    """The gate blocks activated together in one pass (peephole's o waits for c_t)."""
    kinds = {"lstm": "ssts", "peephole": "sst", "coupled": "sts"}[variant]
    return GateActivations(xp, kinds, hidden, dtype)


def _peephole_grads(dz_all, cs):
    """dp_i, dp_f, dp_o summed over all steps at once (i and f saw c_{t-1}, o saw c_t)."""
    H = cs.shape[2]
    return (
        (dz_all[..., :H] * cs[:-1]).sum(axis=(0, 1)),
        (dz_all[..., H : 2 * H] * cs[:-1]).sum(axis=(0, 1)),
        (dz_all[..., 3 * H :] * cs[1:]).sum(axis=(0, 1)),
    )


# The same two steps for the GPU, one kernel each. Variant codes: 0 lstm, 1 peephole, 2 coupled.
CUDA_SOURCES: dict[str, cuda.KernelSource] = {
    "lstm_forward": (
        f"raw T hw, T c_prev, T h_prev, raw T peep, int32 variant, {cuda.MASKED}",
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
        "raw T a, T tc, T c_prev, T dh_in, T d_out, T dc_in, raw T peep, int32 variant, "
        + cuda.MASKED,
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
}
CUDA_VARIANTS = {"lstm": 0, "peephole": 1, "coupled": 2}


def _cuda_forward_step(xp, variant, peep, placeholder):
    """The GPU version of ``_forward_step``: one kernel launch.

    ``placeholder`` is any array of the right dtype: the kernel's ``peep`` and
    ``mask`` arguments when the variant has no peepholes or the step no mask.
    """
    kernel = cuda.kernel("lstm_forward", CUDA_SOURCES["lstm_forward"])
    code = CUDA_VARIANTS[variant]
    peep_all = xp.concatenate(peep) if peep else placeholder

    def step(z, hw, c_prev, h_prev, mask, h_out, c_out, tc_out):
        m, masked = cuda.mask_args(mask, placeholder)
        H = c_prev.shape[1]
        kernel(hw, c_prev, h_prev, peep_all, code, m, H, masked, z, h_out, c_out, tc_out)

    return step


def _cuda_backward_step(xp, variant, peep, placeholder):
    """The GPU version of ``_backward_step``: one kernel launch (``placeholder`` as above)."""
    kernel = cuda.kernel("lstm_backward", CUDA_SOURCES["lstm_backward"])
    code = CUDA_VARIANTS[variant]
    peep_all = xp.concatenate(peep) if peep else placeholder

    def step(a, tc, c_prev, dh, d_out, dc, mask, dz):
        m, masked = cuda.mask_args(mask, placeholder)
        dc_prev, dh_skip = xp.empty_like(dc), xp.empty_like(dh)
        args = (a, tc, c_prev, dh, d_out, dc, peep_all, code, m, c_prev.shape[1], masked)
        kernel(*args, dz, dc_prev, dh_skip)
        return dc_prev, dh_skip

    return step


def _compiled_forward_step(z, hw, c_prev, h_prev, mask, h_out, c_out, tc_out):
    """The compiled CPU version of ``_forward_step`` (variant "lstm", ``fused/compiled.py``)."""
    m, masked = compiled.mask_args(mask, c_prev)
    compiled.kernel("lstm_forward")(z, hw, c_prev, h_prev, m, masked, h_out, c_out, tc_out)


def _compiled_backward_step(a, tc, c_prev, dh, d_out, dc, mask, dz):
    """The compiled CPU version of ``_backward_step`` (variant "lstm")."""
    m, masked = compiled.mask_args(mask, c_prev)
    dh, dc = compiled.contiguous(dh), compiled.contiguous(dc)
    xp = get_array_module(dc)
    dc_prev, dh_skip = xp.empty_like(dc), xp.empty_like(dh)
    kernel = compiled.kernel("lstm_backward")
    kernel(a, tc, c_prev, dh, d_out, dc, m, masked, dz, dc_prev, dh_skip)
    return dc_prev, dh_skip


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
        raise CellError(
            f"lstm_sequence: variant must be one of {', '.join(VARIANTS)}, got {variant!r}"
        )
    extra: tuple[Tensor, ...] = ()
    if variant == "peephole":
        if peepholes is None:
            raise CellError("lstm_sequence: variant='peephole' needs peepholes=(p_i, p_f, p_o)")
        extra = tuple(peepholes)
    outputs, h_T, c_T = LSTMSequence.apply_multi(
        x, h0, c0, U, W, b, *extra, lengths=lengths, variant=variant
    )
    return outputs, h_T, c_T
