"""Training seen in TensorBoard: ``TrainHooks`` that write a ``Trainer``'s run to a writer.

``BoardHooks(writer)`` logs, for any ``Trainer`` (lesson 3, or a script of yours):

* at the start, the graph of one training batch (the model in evaluation mode,
  so dropout draws no random numbers and exact resumption is kept);
* after every step, ``loss/train``, ``lr``, ``grad_norm/total`` (before
  clipping, as the trainer measures it) and the gradient norm of each layer
  (``grad_norm/<layer>``, after clipping: what the optimizer used);
* at every evaluation, ``loss/val``, a histogram of each weight and gradient,
  and a sample of generated text (``samples``).

``HookChain(a, b)`` passes every callback to several hooks, so the lesson's
own hooks (progress bar, chart) and these run together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minigrad as mg
from minigrad.tensorboard import SummaryWriter

from .train import Trainer, TrainHooks


class HookChain(TrainHooks):
    """Calls each of ``hooks`` in turn for every callback of ``TrainHooks``.

    The forwarding methods are made from ``TrainHooks`` itself (below), so a
    callback added there reaches every hook without a change here.
    """

    def __init__(self, *hooks: TrainHooks) -> None:
        self.hooks = hooks


def _forward_to_every_hook(name: str) -> Callable[..., None]:
    def forward(self: HookChain, *args: Any) -> None:
        for hook in self.hooks:
            getattr(hook, name)(*args)

    forward.__name__ = forward.__qualname__ = name
    forward.__doc__ = f"Every hook's ``{name}``."
    return forward


for _callback in [name for name in vars(TrainHooks) if name.startswith("on_")]:
    setattr(HookChain, _callback, _forward_to_every_hook(_callback))


def batch_loss(trainer: Trainer) -> mg.Tensor:
    """The loss of the trainer's current batch, from a zero state, in evaluation mode.

    Only its graph is wanted: nothing is backpropagated, no weight changes.
    """
    model = trainer.model
    was_training = model.training
    model.eval()
    try:
        x, y = trainer.batch(trainer.step)
        logits, _ = model(x, None)
        return mg.cross_entropy(logits, y)
    finally:
        model.train(was_training)


class BoardHooks(TrainHooks):
    """Writes a ``Trainer``'s run to a ``minigrad.tensorboard.SummaryWriter`` (see the module)."""

    def __init__(self, writer: SummaryWriter, *, graph: bool = True) -> None:
        self.writer = writer
        self.graph = graph

    def on_start(self, trainer: Trainer) -> None:
        """The graph of one batch, for the Graphs tab."""
        if self.graph:
            self.writer.add_graph(batch_loss(trainer), module=trainer.model, steps="auto")

    def on_step(self, trainer: Trainer, loss: float, grad_norm: float) -> None:
        """The step's loss, learning rate and gradient norms (total and per layer)."""
        step = trainer.step
        self.writer.add_scalar("loss/train", loss, step)
        self.writer.add_learning_rate(trainer.optimizer, step)
        self.writer.add_scalar("grad_norm/total", grad_norm, step)
        self.writer.add_parameters(trainer.model, step, histograms=False)

    def on_eval(self, trainer: Trainer, val_loss: float) -> None:
        """Validation loss, weight and gradient histograms, and what the model writes now."""
        step = trainer.step
        self.writer.add_scalar("loss/val", val_loss, step)
        self.writer.add_parameters(trainer.model, step, histograms=True, norms=False)
        self.writer.add_text("samples", trainer.sample(), step, verbatim=True)
        self.writer.flush()


def with_board(hooks: TrainHooks, writer: Any) -> TrainHooks:
    """``hooks`` alone when ``writer`` is None, else ``hooks`` and ``BoardHooks(writer)``."""
    return hooks if writer is None else HookChain(hooks, BoardHooks(writer))
