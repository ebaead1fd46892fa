"""Greff et al.'s LSTM variants ("LSTM: A Search Space Odyssey", 2015) as one family.

``LSTMVariantCell`` is the vanilla LSTM of the paper (V: input, forget and
output gates, peepholes, tanh on the block input and on the cell output) with
one switch per component (``Switches``). Each variant of the paper is a
subclass that turns one switch: it carries its own equations and registers
under ``greff_<variant>``:

========  ==============================  ==========================
name      what changes                    registered as
========  ==============================  ==========================
V         nothing (the vanilla LSTM)      ``greff_v``
NIG       no input gate (i_t = 1)         ``greff_nig``
NFG       no forget gate (f_t = 1)        ``greff_nfg``
NOG       no output gate (o_t = 1)        ``greff_nog``
NIAF      no input activation (g = id)    ``greff_niaf``
NOAF      no output activation (h = id)   ``greff_noaf``
NP        no peepholes                    ``greff_np``
CIFG      coupled gates (f_t = 1 - i_t)   ``greff_cifg``
FGR       full gate recurrence            ``greff_fgr``
========  ==============================  ==========================

The paper's notation maps to the seminar's as: block input z_t -> g_t, block
output y_t -> h_t, input weights W_* -> U_*, recurrent weights R_* -> W_*
(the paper writes column vectors, W x_t; here rows, x_t @ U).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

import minigrad as mg

from .parameters import GateBlockCell, uniform_parameter


@dataclass(frozen=True)
class Switches:
    """Which components of the vanilla LSTM a variant keeps (all True but the last two: V)."""

    input_gate: bool = True
    forget_gate: bool = True
    output_gate: bool = True
    input_activation: bool = True
    output_activation: bool = True
    peepholes: bool = True
    coupled: bool = False
    full_gate_recurrence: bool = False

    @property
    def gates(self) -> str:
        """The gate blocks with weights of their own, in the order i, f, g, o."""
        keep = {
            "i": self.input_gate,
            "f": self.forget_gate and not self.coupled,
            "g": True,
            "o": self.output_gate,
        }
        return "".join(gate for gate, kept in keep.items() if kept)

    @property
    def sigmoid_gates(self) -> str:
        """The gates that exist as sigmoids (f too when it is 1 - i), in the order i, f, o."""
        return "".join(
            gate
            for gate, kept in (
                ("i", self.input_gate),
                ("f", self.forget_gate),
                ("o", self.output_gate),
            )
            if kept
        )


class LSTMVariantCell(GateBlockCell):
    """The family's shared step; a subclass sets ``switches`` (see the module docstring).

    Equations of V, the vanilla LSTM with peepholes (x_t is [B, I], h_t and
    c_t are [B, H]; sigma the logistic sigmoid, * the element-wise product)::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + b_i)
        f_t = sigma(U_f x_t + W_f h_{t-1} + p_f * c_{t-1} + b_f)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + b_o)
        h_t = o_t * tanh(c_t)

    Parameters: ``U`` [I, 4H], ``W`` [H, 4H], ``b`` [4H] (blocks i, f, g, o)
    and the diagonal peepholes ``p_i``, ``p_f``, ``p_o`` [H]; a variant drops
    the blocks and peepholes of the parts it removes. All start uniform in
    (-1/sqrt(H), 1/sqrt(H)); ``forget_bias`` (1.0) is added to the f block of
    ``b`` (for CIFG, subtracted from the i block, so f = 1 - i starts at the
    same value). V and NP take the option ``fused`` (True: whole sequences
    through the fused LSTM ops); the other variants always run the step above.
    """

    switches: ClassVar[Switches] = Switches()
    state_layout = ("h", "c")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        forget_bias: float = 1.0,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        # No fused op computes these variants: no ``fused`` option to pretend otherwise.
        super().__init__(
            input_size, hidden_size, forget_bias, False, dtype=dtype, device=device, rng=rng
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.gates = cls.switches.gates
        cls.state_layout = ("h", "c", "q") if cls.switches.full_gate_recurrence else ("h", "c")

    def add_forget_bias(self) -> None:
        """The f block gets ``forget_bias``; with coupled gates the i block gets minus it."""
        if self.switches.coupled:
            self.b.data[self.block("i")] -= self.forget_bias
        else:
            super().add_forget_bias()

    def add_parameters(self) -> None:
        """Peepholes ``p_<gate>`` [H] for each gate that has them, and ``R`` for FGR."""
        s, H = self.switches, self.hidden_size
        if s.peepholes:
            for gate in self.peephole_gates():
                setattr(self, f"p_{gate}", uniform_parameter(self, H))
        if s.full_gate_recurrence:
            n = len(s.sigmoid_gates) * H
            self.R = uniform_parameter(self, n, len(self.gates.replace("g", "")) * H)

    def peephole_gates(self) -> str:
        """The gates that look at the cell: i, f (unless it is 1 - i) and o, where they exist."""
        return self.gates.replace("g", "")

    def state_sizes(self) -> tuple[int, ...]:
        """``(H, H)``, plus the previous gate activations ``q`` for full gate recurrence."""
        H = self.hidden_size
        if self.switches.full_gate_recurrence:
            return (H, H, len(self.switches.sigmoid_gates) * H)
        return (H, H)

    def _gate(self, blocks: dict[str, mg.Tensor], gate: str, peek: mg.Tensor) -> mg.Tensor:
        """sigma(pre-activation [+ peephole * cell]) of one gate."""
        a = blocks[gate]
        if self.switches.peepholes:
            a = a + getattr(self, f"p_{gate}") * peek
        return mg.sigmoid(a)

    def forward(self, x_t: mg.Tensor, state: tuple[mg.Tensor, ...]) -> tuple[mg.Tensor, tuple]:
        """One step: ``x_t`` [B, I] and ``(h, c[, q])`` -> ``(h_t, (h_t, c_t[, q_t]))``."""
        s = self.switches
        h, c_prev = state[0], state[1]
        pre = mg.split(x_t @ self.U + h @ self.W + self.b, len(self.gates), axis=-1)
        blocks = dict(zip(self.gates, pre))
        if s.full_gate_recurrence:
            gated = self.gates.replace("g", "")
            for gate, extra in zip(gated, mg.split(state[2] @ self.R, len(gated), axis=-1)):
                blocks[gate] = blocks[gate] + extra
        i = self._gate(blocks, "i", c_prev) if s.input_gate else None
        f = None
        if s.coupled and i is not None:
            f = 1.0 - i
        elif s.forget_gate:
            f = self._gate(blocks, "f", c_prev)
        g = mg.tanh(blocks["g"]) if s.input_activation else blocks["g"]
        c = (c_prev if f is None else f * c_prev) + (g if i is None else i * g)
        o = self._gate(blocks, "o", c) if s.output_gate else None
        squashed = mg.tanh(c) if s.output_activation else c
        h = squashed if o is None else o * squashed
        if not s.full_gate_recurrence:
            return h, (h, c)
        opened = {"i": i, "f": f, "o": o}
        q = mg.concat([opened[gate] for gate in s.sigmoid_gates], axis=-1)
        return h, (h, c, q)

    def forward_sequence(self, inputs: mg.Tensor, state: tuple, lengths: Any) -> Any:
        """V and NP through the fused LSTM op (``fused=True``); every other case step by step."""
        fused = {Switches(): "peephole", Switches(peepholes=False): "lstm"}
        variant = fused.get(self.switches) if self.fused else None
        if variant is None:
            return mg.cells.unroll(self, inputs, state, lengths)
        peepholes = (self.p_i, self.p_f, self.p_o) if variant == "peephole" else None
        out, h, c = mg.fused.lstm_sequence(
            inputs, *state, self.U, self.W, self.b, peepholes=peepholes, lengths=lengths,
            variant=variant,
        )  # fmt: skip
        return out, (h, c)

    def extra_repr(self) -> str:
        """Sizes, the forget bias and the switches that differ from V."""
        changed = {
            f.name: getattr(self.switches, f.name)
            for f in dataclasses.fields(Switches)
            if getattr(self.switches, f.name) != f.default
        }
        return super().extra_repr() + "".join(f", {k}={v}" for k, v in changed.items())


class FusedVariantCell(LSTMVariantCell):
    """V and NP, which the fused LSTM ops also compute: they keep the ``fused`` option.

    Equations: those of ``LSTMVariantCell`` (with the subclass's switches).
    Parameters: ``U`` [I, 4H], ``W`` [H, 4H], ``b`` [4H], and for V ``p_i``,
    ``p_f``, ``p_o`` [H].
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        forget_bias: float = 1.0,
        fused: bool = True,
        *,
        dtype: Any = np.float32,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        GateBlockCell.__init__(
            self, input_size, hidden_size, forget_bias, fused, dtype=dtype, device=device, rng=rng
        )


class VanillaLSTMCell(FusedVariantCell):
    """Greff's V: the vanilla LSTM, with peepholes and a forget gate (the family's reference).

    Equations (x_t is [B, I], h_t and c_t are [B, H])::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + b_i)
        f_t = sigma(U_f x_t + W_f h_{t-1} + p_f * c_{t-1} + b_f)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + b_o)
        h_t = o_t * tanh(c_t)

    The same cell as ``peephole_lstm``, registered again under the paper's
    name so a shoot-out lists all nine. Parameters: ``U`` [I, 4H], ``W``
    [H, 4H], ``b`` [4H] (blocks i, f, g, o); ``p_i``, ``p_f``, ``p_o`` [H].
    State layout: ``(h, c)``. Runs fused when ``fused=True``.
    """


class NoInputGateLSTMCell(LSTMVariantCell):
    """Greff's NIG: no input gate, every candidate is written in full (i_t = 1).

    Equations (x_t is [B, I], h_t and c_t are [B, H])::

        f_t = sigma(U_f x_t + W_f h_{t-1} + p_f * c_{t-1} + b_f)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + b_o)
        h_t = o_t * tanh(c_t)

    Parameters: ``U`` [I, 3H], ``W`` [H, 3H], ``b`` [3H] (blocks f, g, o);
    ``p_f`` and ``p_o`` [H]. State layout: ``(h, c)``.
    """

    switches = Switches(input_gate=False)


class NoForgetGateLSTMCell(LSTMVariantCell):
    """Greff's NFG: no forget gate (f_t = 1), the 1997 LSTM's constant error carousel.

    Equations (x_t is [B, I], h_t and c_t are [B, H])::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + b_i)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + b_o)
        h_t = o_t * tanh(c_t)

    The cell can only add: over a long stream it grows without bound unless
    the state is reset. ``forget_bias`` has no block to go to and is ignored.
    Parameters: ``U`` [I, 3H], ``W`` [H, 3H], ``b`` [3H] (blocks i, g, o);
    ``p_i`` and ``p_o`` [H]. State layout: ``(h, c)``.
    """

    switches = Switches(forget_gate=False)


class NoOutputGateLSTMCell(LSTMVariantCell):
    """Greff's NOG: no output gate, the squashed cell is the output (o_t = 1).

    Equations (x_t is [B, I], h_t and c_t are [B, H])::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + b_i)
        f_t = sigma(U_f x_t + W_f h_{t-1} + p_f * c_{t-1} + b_f)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = tanh(c_t)

    Parameters: ``U`` [I, 3H], ``W`` [H, 3H], ``b`` [3H] (blocks i, f, g);
    ``p_i`` and ``p_f`` [H]. State layout: ``(h, c)``.
    """

    switches = Switches(output_gate=False)


class NoInputActivationLSTMCell(LSTMVariantCell):
    """Greff's NIAF: no input activation, the candidate is linear (g = identity).

    Equations (x_t is [B, I], h_t and c_t are [B, H])::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + b_i)
        f_t = sigma(U_f x_t + W_f h_{t-1} + p_f * c_{t-1} + b_f)
        g_t = U_g x_t + W_g h_{t-1} + b_g
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + b_o)
        h_t = o_t * tanh(c_t)

    Parameters: ``U`` [I, 4H], ``W`` [H, 4H], ``b`` [4H] (blocks i, f, g, o);
    ``p_i``, ``p_f``, ``p_o`` [H]. State layout: ``(h, c)``.
    """

    switches = Switches(input_activation=False)


class NoOutputActivationLSTMCell(LSTMVariantCell):
    """Greff's NOAF: no output activation, the gated cell itself is the output (h = identity).

    Equations (x_t is [B, I], h_t and c_t are [B, H])::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + b_i)
        f_t = sigma(U_f x_t + W_f h_{t-1} + p_f * c_{t-1} + b_f)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + b_o)
        h_t = o_t * c_t

    Nothing bounds h_t: the output grows with the cell.
    Parameters: ``U`` [I, 4H], ``W`` [H, 4H], ``b`` [4H] (blocks i, f, g, o);
    ``p_i``, ``p_f``, ``p_o`` [H]. State layout: ``(h, c)``.
    """

    switches = Switches(output_activation=False)


class NoPeepholeLSTMCell(FusedVariantCell):
    """Greff's NP: no peepholes, the gates see x_t and h_{t-1} only.

    Equations (x_t is [B, I], h_t and c_t are [B, H])::

        i_t = sigma(U_i x_t + W_i h_{t-1} + b_i)
        f_t = sigma(U_f x_t + W_f h_{t-1} + b_f)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + b_o)
        h_t = o_t * tanh(c_t)

    The same cell as ``lstm`` (today's standard LSTM, PyTorch's and Keras'),
    registered again under the paper's name. Parameters: ``U`` [I, 4H],
    ``W`` [H, 4H], ``b`` [4H] (blocks i, f, g, o). State layout: ``(h, c)``. Runs
    fused when ``fused=True``.
    """

    switches = Switches(peepholes=False)


class CoupledGatesLSTMCell(LSTMVariantCell):
    """Greff's CIFG: one gate writes and forgets, f_t = 1 - i_t (with peepholes).

    Equations (x_t is [B, I], h_t and c_t are [B, H])::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + b_i)
        f_t = 1 - i_t
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + b_o)
        h_t = o_t * tanh(c_t)

    Greff keeps the *input* gate and derives f from it; ``coupled_lstm``
    (TF's convention) keeps the forget gate and writes with 1 - f, and has
    no peepholes. So that f starts where the other cells' does,
    ``forget_bias`` is subtracted from the i block of ``b``. Parameters:
    ``U`` [I, 3H], ``W`` [H, 3H], ``b`` [3H] (blocks i, g, o); ``p_i`` and
    ``p_o`` [H]. State layout: ``(h, c)``.
    """

    switches = Switches(coupled=True)


class FullGateRecurrenceLSTMCell(LSTMVariantCell):
    """Greff's FGR: every gate also sees all three gates' previous activations.

    Equations (x_t is [B, I], h_t and c_t are [B, H]; q_t = [i_t, f_t, o_t]
    is [B, 3H], zero at the start, and R_i, R_f, R_o are the column blocks
    of ``R``)::

        i_t = sigma(U_i x_t + W_i h_{t-1} + p_i * c_{t-1} + q_{t-1} R_i + b_i)
        f_t = sigma(U_f x_t + W_f h_{t-1} + p_f * c_{t-1} + q_{t-1} R_f + b_f)
        g_t = tanh(U_g x_t + W_g h_{t-1} + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = sigma(U_o x_t + W_o h_{t-1} + p_o * c_t + q_{t-1} R_o + b_o)
        h_t = o_t * tanh(c_t)
        q_t = [i_t, f_t, o_t]

    Nine more H x H matrices than V (the paper's R_ii, R_fi, ... ). The
    previous gates are part of the state. Parameters: ``U`` [I, 4H], ``W``
    [H, 4H], ``b`` [4H] (blocks i, f, g, o); ``p_i``, ``p_f``, ``p_o`` [H];
    ``R`` [3H, 3H] (rows i, f, o of q_{t-1}; columns i, f, o).
    State layout: ``(h, c, q)``.
    """

    switches = Switches(full_gate_recurrence=True)


#: Registered name -> class, in the paper's order.
VARIANTS: dict[str, type[LSTMVariantCell]] = {
    "greff_v": VanillaLSTMCell,
    "greff_nig": NoInputGateLSTMCell,
    "greff_nfg": NoForgetGateLSTMCell,
    "greff_nog": NoOutputGateLSTMCell,
    "greff_niaf": NoInputActivationLSTMCell,
    "greff_noaf": NoOutputActivationLSTMCell,
    "greff_np": NoPeepholeLSTMCell,
    "greff_cifg": CoupledGatesLSTMCell,
    "greff_fgr": FullGateRecurrenceLSTMCell,
}


@mg.hookimpl
def minigrad_register_cells(register: Any) -> None:
    """Register Greff et al.'s nine variants as ``greff_v`` ... ``greff_fgr``."""
    for name, cls in VARIANTS.items():
        register(name, cls)
