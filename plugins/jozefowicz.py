"""Jozefowicz, Zaremba & Sutskever's best evolved cells (2015): MUT1, MUT2 and MUT3.

"An Empirical Exploration of Recurrent Network Architectures" searched ten
thousand mutations of the GRU; these three did as well as the GRU or better
on most of its tasks. They are registered as ``jozefowicz_mut1`` ...
``jozefowicz_mut3``, names a third-party package is unlikely to take.

Two conventions differ from the paper, both said in each docstring:

* the paper adds ``x_t`` itself where MUT1's candidate has ``tanh(x_t)`` and
  MUT2's reset gate has ``x_t``, which only works when the input has as many
  features as the state. Here ``x_t`` goes through a learned block of ``U``
  there (``x_t U_n`` and ``x_t U_r``), so any input size works;
* as in the paper (and colah's post), z is the *write* gate:
  h_t = z * n_t + (1 - z) * h_{t-1}. minigrad's ``gru`` uses the other
  convention (z keeps the old state), the same model with z and 1 - z swapped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad.cells import Cell

from .parameters import uniform_parameter


class MutationCell(Cell):
    """The structure MUT1-3 share: gates z, r and a candidate n from ``U`` [I, 3H], ``b`` [3H].

    h_t = z_t * n_t + (1 - z_t) * h_{t-1}, with n_t = tanh((r_t * h_{t-1}) W_n
    + input term + b_n); a subclass says how z_t and r_t see x_t and h_{t-1}
    (``gates``), which blocks ``W`` [H, kH] holds (``recurrent``) and the input
    term of the candidate (``candidate_input``).
    """

    state_layout = ("h",)
    #: The blocks of ``W``, in order (n always last).
    recurrent = "zrn"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, dtype=dtype, device=device, rng=rng)
        H = hidden_size
        self.U = uniform_parameter(self, input_size, 3 * H)
        self.W = uniform_parameter(self, H, len(self.recurrent) * H)
        self.b = uniform_parameter(self, 3 * H)

    def gates(
        self, x: dict[str, mg.Tensor], h: mg.Tensor, w: dict[str, mg.Tensor]
    ) -> tuple[mg.Tensor, mg.Tensor]:
        """``(z_t, r_t)`` from the input blocks ``x`` (bias included), ``h`` and ``W``'s blocks."""
        raise NotImplementedError

    def candidate_input(self, x_n: mg.Tensor) -> mg.Tensor:
        """The candidate's input term from ``x_t U_n`` (MUT2, MUT3: itself)."""
        return x_n

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """One step: ``x_t`` [B, I] and ``h`` [B, H] -> ``(h_t, h_t)``."""
        h = state
        x_z, x_r, x_n = mg.split(x_t @ self.U, 3, axis=-1)
        b_z, b_r, b_n = mg.split(self.b, 3, axis=-1)
        w = dict(zip(self.recurrent, mg.split(self.W, len(self.recurrent), axis=-1)))
        z, r = self.gates({"z": x_z + b_z, "r": x_r + b_r}, h, w)
        n = mg.tanh((r * h) @ w["n"] + self.candidate_input(x_n) + b_n)
        h = z * n + (1.0 - z) * h
        return h, h


class Mut1Cell(MutationCell):
    """Jozefowicz et al.'s MUT1: the update gate sees only the input.

    Equations (x_t is [B, I], h_t is [B, H]; sigma the logistic sigmoid)::

        z_t = sigma(U_z x_t + b_z)
        r_t = sigma(U_r x_t + W_r h_{t-1} + b_r)
        n_t = tanh(W_n (r_t * h_{t-1}) + tanh(U_n x_t) + b_n)
        h_t = z_t * n_t + (1 - z_t) * h_{t-1}

    The paper writes tanh(x_t) with no weight (so I = H); here x_t goes
    through U_n first. z is the write gate (the paper's convention).
    Parameters: ``U`` [I, 3H] (blocks z, r, n), ``W`` [H, 2H] (blocks r, n),
    ``b`` [3H] (blocks z, r, n). State layout: ``h``.
    """

    recurrent = "rn"

    def gates(
        self, x: dict[str, mg.Tensor], h: mg.Tensor, w: dict[str, mg.Tensor]
    ) -> tuple[mg.Tensor, mg.Tensor]:
        """z from the input alone; r from the input and h_{t-1}."""
        return mg.sigmoid(x["z"]), mg.sigmoid(x["r"] + h @ w["r"])

    def candidate_input(self, x_n: mg.Tensor) -> mg.Tensor:
        """tanh(x_t U_n)."""
        return mg.tanh(x_n)


class Mut2Cell(MutationCell):
    """Jozefowicz et al.'s MUT2: the reset gate gets the input without its own weights.

    Equations (x_t is [B, I], h_t is [B, H]; sigma the logistic sigmoid)::

        z_t = sigma(U_z x_t + W_z h_{t-1} + b_z)
        r_t = sigma(U_r x_t + W_r h_{t-1} + b_r)
        n_t = tanh(W_n (r_t * h_{t-1}) + U_n x_t + b_n)
        h_t = z_t * n_t + (1 - z_t) * h_{t-1}

    The paper's reset gate adds x_t itself (so I = H); here x_t goes through
    U_r. z is the write gate. Parameters: ``U`` [I, 3H], ``W`` [H, 3H] and
    ``b`` [3H], each in blocks z, r, n. State layout: ``h``.
    """

    def gates(
        self, x: dict[str, mg.Tensor], h: mg.Tensor, w: dict[str, mg.Tensor]
    ) -> tuple[mg.Tensor, mg.Tensor]:
        """z and r from the input and h_{t-1}."""
        return mg.sigmoid(x["z"] + h @ w["z"]), mg.sigmoid(x["r"] + h @ w["r"])


class Mut3Cell(MutationCell):
    """Jozefowicz et al.'s MUT3: the update gate sees the squashed state tanh(h_{t-1}).

    Equations (x_t is [B, I], h_t is [B, H]; sigma the logistic sigmoid)::

        z_t = sigma(U_z x_t + W_z tanh(h_{t-1}) + b_z)
        r_t = sigma(U_r x_t + W_r h_{t-1} + b_r)
        n_t = tanh(W_n (r_t * h_{t-1}) + U_n x_t + b_n)
        h_t = z_t * n_t + (1 - z_t) * h_{t-1}

    As the paper; z is the write gate. Parameters: ``U`` [I, 3H], ``W``
    [H, 3H] and ``b`` [3H], each in blocks z, r, n. State layout: ``h``.
    """

    def gates(
        self, x: dict[str, mg.Tensor], h: mg.Tensor, w: dict[str, mg.Tensor]
    ) -> tuple[mg.Tensor, mg.Tensor]:
        """z from the input and tanh(h_{t-1}); r from the input and h_{t-1}."""
        return mg.sigmoid(x["z"] + mg.tanh(h) @ w["z"]), mg.sigmoid(x["r"] + h @ w["r"])


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register MUT1-3 as ``jozefowicz_mut1``, ``jozefowicz_mut2``, ``jozefowicz_mut3``."""
    register("jozefowicz_mut1", Mut1Cell)
    register("jozefowicz_mut2", Mut2Cell)
    register("jozefowicz_mut3", Mut3Cell)
