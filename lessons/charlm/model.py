"""The character-level language model: embedding -> recurrent stack -> logits.

For a batch of ids ``x`` ``[B, T]``::

    e = E[x]                         [B, T, embedding_size]   (a lookup, not a matmul)
    h, state = RNN(e, state)         [B, T, hidden_size]      (any registered cell)
    logits = h @ V + c               [B, T, vocab_size]

and the loss is the mean cross-entropy between ``softmax(logits)`` and the
next characters ``y``. Everything is minigrad's public API: the model is a
``Module`` whose parameters an optimizer trains and whose ``state_dict`` a
checkpoint stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import minigrad as mg
from minigrad import nn


@dataclass(frozen=True)
class ModelConfig:
    """What fixes the model's shape: rebuilding it from a checkpoint needs exactly these."""

    vocab_size: int
    cell: str = "lstm"
    embedding_size: int = 64
    hidden_size: int = 128
    layers: int = 1
    dropout: float = 0.0


class CharLM(nn.Module):
    """Embedding ``[vocab, embedding_size]`` + ``nn.RNN`` over ``cell`` + ``Linear`` to the vocab.

    ``forward(ids [B, T], state=None) -> (logits [B, T, vocab], state)``
    where ``state`` is the recurrent stack's list of per-layer cell states,
    to be carried into the next batch (after ``minigrad.cells.detach_state``
    on each part, for truncated backpropagation). Dropout (``config.dropout``)
    acts between recurrent layers only, in training mode.
    """

    def __init__(self, config: ModelConfig, dtype: Any = None, device: str = "cpu") -> None:
        super().__init__()
        self.config = config
        options: dict[str, Any] = {"device": device}
        if dtype is not None:
            options["dtype"] = dtype
        self.embedding = nn.Embedding(
            config.vocab_size, config.embedding_size, dtype=dtype, device=device
        )
        self.rnn = nn.RNN(
            config.cell,
            input_size=config.embedding_size,
            hidden_size=config.hidden_size,
            num_layers=config.layers,
            dropout=config.dropout,
            **options,
        )
        self.head = nn.Linear(config.hidden_size, config.vocab_size, dtype=dtype, device=device)

    def forward(self, ids: Any, state: list[Any] | None = None) -> tuple[mg.Tensor, list[Any]]:
        """Logits ``[B, T, vocab]`` for ids ``[B, T]``, and the final recurrent state."""
        outputs, state = self.rnn(self.embedding(ids), state)
        return self.head(outputs), state

    def zero_state(self, batch_size: int) -> list[Any]:
        """The all-zeros state for ``batch_size`` streams."""
        return self.rnn.zero_state(batch_size)


def detach(state: list[mg.cells.State] | None) -> list[mg.cells.State] | None:
    """Every layer's state without its graph: the next backward stops here (truncated BPTT)."""
    if state is None:
        return None
    return [mg.cells.detach_state(s) for s in state]


def state_arrays(state: list[Any]) -> dict[str, Any]:
    """A carried state as ``{"<layer>.<part>": array}`` (for checkpoints)."""
    out = {}
    for k, s in enumerate(state):
        parts = s if isinstance(s, tuple) else (s,)
        for j, part in enumerate(parts):
            out[f"{k}.{j}"] = part.data
    return out


def state_from_arrays(arrays: dict[str, Any], like: list[Any]) -> list[Any]:
    """Rebuild a carried state shaped like ``like`` (e.g. ``model.zero_state(B)``) from arrays."""
    rebuilt = []
    for k, s in enumerate(like):
        parts = s if isinstance(s, tuple) else (s,)
        new = tuple(
            mg.tensor(arrays[f"{k}.{j}"], dtype=part.dtype, device=part.device)
            for j, part in enumerate(parts)
        )
        rebuilt.append(new if isinstance(s, tuple) else new[0])
    return rebuilt
