"""Loss functions."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.autograd.function import Function
from minigrad.backend import get_array_module, to_device
from minigrad.errors import DTypeError, OptionError, ShapeError
from minigrad.ops.convert import as_array
from minigrad.tensor import Tensor


class CrossEntropy(Function):
    """Softmax cross-entropy with integer targets, in one stable op.

    For one row of logits a and target class t:
        loss = -log softmax(a)[t] = logsumexp(a) - a[t]
        dloss/da = softmax(a) - onehot(t)
    Rows whose target equals ``ignore_index`` contribute neither loss nor
    gradient; ``mean`` divides by the number of rows that count.
    """

    @staticmethod
    def forward(ctx, logits, targets, reduction, ignore_index):
        xp = get_array_module(logits)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        exp = xp.exp(shifted)
        sum_exp = exp.sum(axis=-1, keepdims=True)
        valid = targets != ignore_index if ignore_index is not None else None
        safe_t = xp.where(valid, targets, 0) if valid is not None else targets
        # Row r's logit of its target class, as a[rows, t] on the flattened rows.
        rows, cols = xp.arange(safe_t.size), safe_t.reshape(-1)
        picked = shifted.reshape(rows.size, -1)[rows, cols].reshape(safe_t.shape)
        losses = xp.log(sum_exp[..., 0]) - picked
        if valid is not None:
            losses = losses * valid
        count = int(valid.sum()) if valid is not None else losses.size
        ctx.save_for_backward(exp / sum_exp, rows, cols, valid)
        ctx.reduction, ctx.count = reduction, count
        if reduction == "none":
            return losses
        total = losses.sum()
        return total / max(count, 1) if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad):
        probs, rows, cols, valid = ctx.saved
        g = probs.copy()
        g.reshape(rows.size, -1)[rows, cols] -= 1
        if valid is not None:
            g *= valid[..., None]
        if ctx.reduction == "none":
            return g * grad[..., None]
        scale = grad / max(ctx.count, 1) if ctx.reduction == "mean" else grad
        return g * scale


def cross_entropy(
    logits: Tensor,
    targets: Any,
    reduction: str = "mean",
    ignore_index: int | None = None,
) -> Tensor:
    """Cross-entropy between ``softmax(logits)`` and integer class ``targets``, in nats.

    ``logits`` has shape ``[..., C]`` (e.g. ``[B, T, vocab]``) and ``targets``
    the same shape without the last axis. ``reduction`` is "mean" (over the
    targets that are not ``ignore_index``), "sum" or "none". If every target
    is ignored, "mean" returns 0 with a zero gradient (PyTorch returns NaN):
    an all-padding batch then cannot poison training.
    """
    t = as_array(targets)
    if isinstance(t, (list, tuple, int)) and not isinstance(t, bool):
        t = np.asarray(t)  # plain class indices (one int for 1-D logits); moved below
    if not hasattr(t, "dtype") or t.dtype.kind not in "iu":
        kind = f"dtype {t.dtype}" if hasattr(t, "dtype") else f"a {type(t).__name__}"
        raise DTypeError(
            f"cross_entropy: targets must be integer class indices, got {kind}; "
            "use .astype('int64') (probabilities/one-hot targets are not accepted)"
        )
    if tuple(t.shape) != tuple(logits.shape[:-1]):
        raise ShapeError(
            f"cross_entropy: logits of shape {logits.shape} need targets of shape "
            f"{logits.shape[:-1]}, got {tuple(t.shape)}"
        )
    if reduction not in ("mean", "sum", "none"):
        raise OptionError(
            f"cross_entropy: reduction must be 'mean', 'sum' or 'none', not {reduction!r}"
        )
    num_classes = logits.shape[-1]
    check = t if ignore_index is None else t[t != ignore_index]
    # One pass checks both bounds: read as unsigned, a negative index is huge.
    as_unsigned = check.view(check.dtype.str.replace("i", "u"))
    if check.size and int(as_unsigned.max()) >= num_classes:
        raise ShapeError(
            f"cross_entropy: targets must be in [0, {num_classes}) for {num_classes} classes, "
            f"got range [{int(check.min())}, {int(check.max())}]"
        )
    t = to_device(t, logits.device)
    return CrossEntropy.apply(logits, targets=t, reduction=reduction, ignore_index=ignore_index)


class MSELoss(Function):
    """Mean squared error between two arrays of the same shape, in one op.

    With d = input - target over N elements:
        loss = sum(d^2) / N   ("mean"),  sum(d^2)  ("sum"),  d^2  ("none")
        dloss/dinput = 2 d / N (mean), 2 d (sum), 2 d * grad (none)
        dloss/dtarget = -dloss/dinput
    """

    @staticmethod
    def forward(ctx, prediction, target, reduction):
        diff = prediction - target
        ctx.save_for_backward(diff)
        ctx.reduction = reduction
        squared = diff * diff
        if reduction == "none":
            return squared
        total = squared.sum()
        return total / max(diff.size, 1) if reduction == "mean" else total

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved
        scale = 2.0 * grad
        if ctx.reduction == "mean":
            scale = scale / max(diff.size, 1)
        g = (diff * scale).astype(diff.dtype, copy=False)
        need_input, need_target = ctx.needs_input_grad
        return (g if need_input else None), (-g if need_target else None)


def mse_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(prediction - target)^2``, reduced as PyTorch's ``mse_loss``.

    ``prediction`` and ``target`` must have the same shape (PyTorch broadcasts
    with a warning; here a mismatch, nearly always a forgotten axis such as
    ``[B, 1]`` against ``[B]``, is an error). ``target`` may be a Tensor (it
    then gets a gradient too, if it requires one), an array or a number
    sequence; it is cast to the prediction's dtype and device. ``reduction`` is
    "mean" (over every element), "sum" or "none" (the element-wise squares).
    Also available as ``mean_squared_error``.
    """
    if not isinstance(prediction, Tensor):
        raise DTypeError(
            f"mse_loss: prediction must be a minigrad Tensor, got {type(prediction).__name__}"
        )
    if reduction not in ("mean", "sum", "none"):
        raise OptionError(f"mse_loss: reduction must be 'mean', 'sum' or 'none', not {reduction!r}")
    if not isinstance(target, Tensor):
        array = target if hasattr(target, "shape") else np.asarray(target)
        if getattr(array, "dtype", np.dtype(object)).kind not in "biuf":
            raise DTypeError(f"mse_loss: target must hold numbers, got {array!r}")
        array = to_device(array, prediction.device).astype(prediction.dtype, copy=False)
        target = Tensor(array)
    if tuple(target.shape) != tuple(prediction.shape):
        raise ShapeError(
            f"mse_loss: prediction of shape {prediction.shape} and target of shape "
            f"{target.shape} must have the same shape (reshape one of them, e.g. "
            "prediction.reshape(target.shape))"
        )
    return MSELoss.apply(prediction, target, reduction=reduction)


#: Keras' and scikit-learn's name for ``mse_loss``.
mean_squared_error = mse_loss
