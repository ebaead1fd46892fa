"""Finite-difference gradient checking: is an op's ``backward`` the derivative of its ``forward``?

``gradcheck(fn, *inputs)`` compares two ways of computing d(scalar)/d(input):

* **analytic**: minigrad's own backward pass, the thing being tested;
* **numeric**: nudge one input element up and down by ``eps`` and watch the output move,
  ``(f(x + eps) - f(x - eps)) / (2 eps)``.

Three choices make the check fail for *logical* rather than numerical reasons:

1. **float64 only.** Floating-point rounding adds an error of about ``macheps * |f| / eps`` to
   a difference quotient. In float64 (macheps ~ 1e-16) with ``eps = 1e-6`` that is ~1e-10;
   in float32 (macheps ~ 1e-7) it would be ~0.1, larger than most gradients being checked.
   So every checked input must be float64, and ``gradcheck`` refuses anything else.
2. **Central differences.** The one-sided quotient ``(f(x + eps) - f(x)) / eps`` is off by
   ``f''(x) eps / 2``; the central one cancels that term and is off by ``f'''(x) eps^2 / 6``,
   about 1e-12 here, well below the tolerance.
3. **A fixed random direction.** ``fn`` may return a tensor of any shape; it is reduced to a
   scalar by a dot product with a seeded Gaussian vector ``v``, so the check covers ``v^T J``
   for the full Jacobian ``J``. Summing the output instead (``v`` all ones) would hide a wrong
   backward whose errors cancel: softmax rows always sum to 1, so the gradient of
   ``softmax(x).sum()`` is zero whatever softmax's backward says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad import backend
from minigrad.autograd.mode import no_grad
from minigrad.errors import DTypeError, GradcheckError
from minigrad.tensor import Tensor, grad


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check minigrad's gradients of ``fn(*inputs)`` against central finite differences.

    Every Tensor in ``inputs`` with ``requires_grad=True`` is checked and must be float64
    (other inputs, e.g. integer targets, are passed to ``fn`` unchanged). ``fn`` may return a
    tensor of any shape; it is projected onto a random direction seeded by ``seed``. An
    element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.

    ``fn`` must be deterministic: an op that draws random numbers (dropout) needs a freshly
    seeded generator on every call. Input values are perturbed in place and restored.

    Returns True, or raises ``GradcheckError`` naming the input (position and shape), the
    worst element, both gradient values and the tolerance.
    """
    checked = _checked_inputs(inputs)
    output = fn(*inputs)
    if not isinstance(output, Tensor):
        raise GradcheckError(f"gradcheck: fn must return a Tensor, got {type(output).__name__}")
    direction = _random_direction(output, seed)
    analytic = _analytic_gradients(output, direction, [t for _, t in checked])
    for (position, t), g in zip(checked, analytic):
        numeric = _numeric_gradient(fn, inputs, t, direction, eps)
        _compare(position, t, g, numeric, atol, rtol)
    return True


def _checked_inputs(inputs: tuple[Any, ...]) -> list[tuple[int, Tensor]]:
    """The (position, tensor) pairs to check; refuses anything but float64."""
    checked = [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise GradcheckError(
            "gradcheck: no input has requires_grad=True, so there is nothing to check; "
            "create the inputs with requires_grad=True"
        )
    for i, t in checked:
        if t.dtype != np.float64:
            raise DTypeError(
                f"gradcheck: input {i} (shape {tuple(t.shape)}) has dtype {t.dtype}; finite "
                "differences are only accurate enough in float64, so create the inputs with "
                "dtype='float64' (or call .astype('float64') on them)"
            )
    return checked


def _random_direction(output: Tensor, seed: int) -> Any:
    """A seeded standard-normal array shaped like ``output``, on its device, in float64."""
    v = np.random.default_rng(seed).standard_normal(output.shape)
    return backend.to_device(np.asarray(v, dtype=np.float64), output.device)


def _project(output: Tensor, direction: Any) -> float:
    """The scalar ``sum(output * direction)``, computed in float64 outside the graph."""
    values = backend.to_numpy(output.data).astype(np.float64)
    return float((values * backend.to_numpy(direction)).sum())


def _analytic_gradients(output: Tensor, direction: Any, tensors: list[Tensor]) -> list[Any]:
    """d(output . direction)/d(t) for every t, by minigrad's backward (zeros if unused)."""
    if not output.requires_grad:
        return [np.zeros(t.shape) for t in tensors]
    seed_grad = direction.astype(output.dtype, copy=False)
    grads = grad(output, tensors, grad_outputs=seed_grad)
    return [
        np.zeros(t.shape) if g is None else backend.to_numpy(g).astype(np.float64)
        for t, g in zip(tensors, grads)
    ]


def _numeric_gradient(
    fn: Callable[..., Tensor], inputs: tuple[Any, ...], t: Tensor, direction: Any, eps: float
) -> np.ndarray:
    """Central differences of ``fn(*inputs) . direction`` with respect to each element of t."""
    numeric = np.zeros(t.shape, dtype=np.float64)
    with no_grad():
        for index in np.ndindex(*t.shape):
            original = t.data[index].copy()
            try:
                t.data[index] = original + eps
                f_plus = _project(fn(*inputs), direction)
                t.data[index] = original - eps
                f_minus = _project(fn(*inputs), direction)
            finally:
                t.data[index] = original
            numeric[index] = (f_plus - f_minus) / (2 * eps)
    return numeric


def _compare(
    position: int, t: Tensor, analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float
) -> None:
    """Raise ``GradcheckError`` describing the worst element if any element is out of tolerance."""
    if analytic.shape != numeric.shape:
        raise GradcheckError(
            f"gradcheck: input {position}: analytic gradient has shape {analytic.shape} "
            f"but the input has shape {numeric.shape}"
        )
    allowed = atol + rtol * np.abs(numeric)
    excess = np.abs(analytic - numeric) - allowed
    excess = np.where(np.isnan(excess), np.inf, excess)  # a NaN on either side is a failure
    if excess.size == 0 or excess.max() <= 0:
        return
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    raise GradcheckError(
        f"gradcheck: gradient of input {position} (shape {tuple(t.shape)}) is wrong at index "
        f"{tuple(int(i) for i in worst)}: analytic {analytic[worst]!r}, numeric "
        f"{numeric[worst]!r}, |difference| {abs(analytic[worst] - numeric[worst]):.3g} exceeds "
        f"the tolerance atol + rtol*|numeric| = {allowed[worst]:.3g} "
        f"({int((excess > 0).sum())} of {excess.size} elements out of tolerance)"
    )
