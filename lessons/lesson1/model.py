"""Lesson 1's model, written out by hand with minigrad ops (r2rt's "RNN in TensorFlow I").

One-hot inputs, ``rnn_cell = tanh(concat([x, s]) @ W + b)`` unrolled over a
Python list, a softmax layer on every state, the mean cross-entropy over the
window, Adagrad, and TensorFlow-style truncated backpropagation: the state is
carried from window to window, the graph is cut at the window boundary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.lessons.lesson1.data import classify, expected_losses, gen_epochs
from minigrad.nn import Module, Parameter, init

NUM_CLASSES = 2


def one_hot_inputs(x: np.ndarray, device: str = "cpu") -> list[mg.Tensor]:
    """``[batch, num_steps]`` integers -> a list of ``num_steps`` one-hot tensors ``[batch, 2]``."""
    x_one_hot = mg.one_hot(mg.tensor(x, device=device), NUM_CLASSES)  # [batch, num_steps, 2]
    return mg.unstack(x_one_hot, axis=1)


class EchoRNN(Module):
    """r2rt's network: a basic RNN cell and a softmax layer, as plain parameters.

    Parameters (row vectors, batch first): ``W`` [2 + state, state] and ``b``
    [state] of the cell; ``W_out`` [state, 2] and ``b_out`` [2] of the softmax
    layer. Weights start Glorot-uniform, biases at zero (TensorFlow's defaults
    for ``tf.get_variable``, which r2rt used).
    """

    def __init__(
        self, state_size: int, rng: np.random.Generator | None = None, device: str = "cpu"
    ) -> None:
        super().__init__()
        self.state_size = state_size
        self.device = device
        self.W = Parameter(mg.zeros((NUM_CLASSES + state_size, state_size), device=device))
        self.b = Parameter(mg.zeros((state_size,), device=device))
        self.W_out = Parameter(mg.zeros((state_size, NUM_CLASSES), device=device))
        self.b_out = Parameter(mg.zeros((NUM_CLASSES,), device=device))
        init.glorot_uniform_(self.W, rng=rng)
        init.glorot_uniform_(self.W_out, rng=rng)

    def zero_state(self, batch_size: int) -> mg.Tensor:
        """The all-zero state ``[batch, state]`` every epoch starts from."""
        return mg.zeros((batch_size, self.state_size), device=self.device)

    def rnn_cell(self, rnn_input: mg.Tensor, state: mg.Tensor) -> mg.Tensor:
        """s_t = tanh([x_t, s_{t-1}] @ W + b)."""
        return mg.tanh(mg.concat([rnn_input, state], axis=1) @ self.W + self.b)

    def unroll(
        self, rnn_inputs: list[mg.Tensor], init_state: mg.Tensor
    ) -> tuple[list[mg.Tensor], mg.Tensor]:
        """Apply the cell once per step; keep every state (they are the outputs)."""
        state = init_state
        rnn_outputs = []
        for rnn_input in rnn_inputs:
            state = self.rnn_cell(rnn_input, state)
            rnn_outputs.append(state)
        return rnn_outputs, state

    def logits(self, rnn_outputs: list[mg.Tensor]) -> list[mg.Tensor]:
        """The softmax layer's input at every step: s_t @ W_out + b_out, ``[batch, 2]``."""
        return [s @ self.W_out + self.b_out for s in rnn_outputs]

    def window_loss(self, logits: list[mg.Tensor], y: np.ndarray) -> mg.Tensor:
        """Mean cross-entropy over the batch and every step of the window (nats)."""
        return mg.cross_entropy(mg.stack(logits, axis=1), y)

    def forward(
        self, x: np.ndarray, y: np.ndarray, init_state: mg.Tensor
    ) -> tuple[mg.Tensor, mg.Tensor]:
        """One window: ``(loss, final_state)``."""
        rnn_outputs, final_state = self.unroll(one_hot_inputs(x, self.device), init_state)
        return self.window_loss(self.logits(rnn_outputs), y), final_state

    def predictions(self, rnn_outputs: list[mg.Tensor]) -> list[mg.Tensor]:
        """P(Y_t = 0), P(Y_t = 1) at each step (softmax of the logits)."""
        return [mg.softmax(logit, axis=1) for logit in self.logits(rnn_outputs)]


@dataclass
class TrainResult:
    """One training run: its settings, the loss of every window, and what it learned."""

    num_steps: int
    state_size: int
    epochs: int
    windows_per_epoch: int
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def final_loss(self) -> float:
        """Mean loss over the last epoch's windows."""
        return float(np.mean(self.losses[-self.windows_per_epoch :]))

    @property
    def learned(self) -> str:
        """ "neither", "first" or "both": the reference line nearest to ``final_loss``."""
        return classify(self.final_loss, expected_losses())

    def curve(self, every: int) -> list[float]:
        """Mean loss over consecutive blocks of ``every`` windows (r2rt averaged 100)."""
        blocks = len(self.losses) // every
        return [float(np.mean(self.losses[i * every : (i + 1) * every])) for i in range(blocks)]

    def summary(self, every: int) -> dict[str, Any]:
        """The JSON form of the run (the ``runs`` entries of the lesson summary)."""
        return {
            "num_steps": self.num_steps,
            "state_size": self.state_size,
            "epochs": self.epochs,
            "final_loss": self.final_loss,
            "learned": self.learned,
            "curve": self.curve(every),
            "curve_every": every,
            "windows_per_epoch": self.windows_per_epoch,
            "seconds": round(self.seconds, 3),
        }


def train_network(
    model: EchoRNN,
    epochs: int,
    num_steps: int,
    batch_size: int,
    lr: float,
    epoch_samples: int,
    rng: np.random.Generator,
    on_window: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train ``model`` with TensorFlow-style truncated backprop; return every window's loss.

    Adagrad as TensorFlow 1 had it (accumulator starting at 0.1, no epsilon).
    The state is reset to zero at the start of each epoch and carried between
    windows with ``detach()``: its value flows on, its graph is cut, so each
    ``backward()`` stops at the window's first step.
    """
    optimizer = mg.optim.Adagrad(model.parameters(), lr=lr, initial_accumulator_value=0.1, eps=0.0)
    per_epoch = (epoch_samples // batch_size) // num_steps
    result = TrainResult(num_steps, model.state_size, epochs, per_epoch)
    began = time.perf_counter()
    for batches in gen_epochs(epochs, num_steps, batch_size, epoch_samples, rng):
        state = model.zero_state(batch_size)
        for x, y in batches:
            loss, final_state = model(x, y, state)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            state = final_state.detach()  # carry the value, cut the graph
            result.losses.append(loss.item())
            if on_window is not None:
                on_window(len(result.losses), result.losses[-1])
    result.seconds = time.perf_counter() - began
    return result
