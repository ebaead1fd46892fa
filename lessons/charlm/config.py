"""``TrainConfig``: every setting of a character-level training run, with its default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from minigrad.errors import DataError

from .model import ModelConfig


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run (the model's shape, the data layout, the schedule).

    The time budget ``max_minutes`` (0: none) and ``max_steps`` (0: none)
    stop training early; otherwise it runs ``epochs`` full passes over the
    training text. ``eval_every``, ``checkpoint_every`` and ``sample_every``
    count optimizer steps (0: only at the end). ``eval_batches`` limits the
    periodic validations to that many batches (0: the whole validation text);
    the final validation always uses all of it. ``threads`` is how many
    threads the BLAS library may use: ``"auto"`` measures the first steps with
    each choice and re-measures now and then (``minigrad.threads.ThreadTuner``;
    ``MINIGRAD_BLAS_THREADS`` fixes it), or a number such as ``"1"``.
    """

    cell: str = "lstm"
    layers: int = 1
    hidden_size: int = 128
    embedding_size: int = 64
    dropout: float = 0.0
    batch_size: int = 32
    num_steps: int = 200
    lr: float = 2e-3
    clip: float = 5.0
    epochs: int = 1
    max_minutes: float = 0.0
    max_steps: int = 0
    val_fraction: float = 0.1
    eval_every: int = 100
    eval_batches: int = 0
    checkpoint_every: int = 200
    sample_every: int = 0
    sample_length: int = 200
    seed: int = 0
    device: str = "cpu"
    threads: str = "auto"

    def model_config(self, vocab_size: int) -> ModelConfig:
        """The model shape this config asks for, for a vocabulary of ``vocab_size``."""
        return ModelConfig(
            vocab_size=vocab_size,
            cell=self.cell,
            embedding_size=self.embedding_size,
            hidden_size=self.hidden_size,
            layers=self.layers,
            dropout=self.dropout,
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of every field."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Rebuild from ``as_dict()``, ignoring keys this version does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def validate(self) -> None:
        """Raise ``DataError`` for a value no run can use."""
        positive = ("layers", "hidden_size", "embedding_size", "batch_size", "num_steps", "epochs")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise DataError(f"{name} must be a positive integer, got {value!r}")
        for name in ("eval_every", "checkpoint_every", "sample_every", "max_steps", "eval_batches"):
            if getattr(self, name) < 0:
                raise DataError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise DataError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.lr <= 0 or self.clip <= 0:
            raise DataError(f"lr and clip must be positive, got lr={self.lr}, clip={self.clip}")
        if self.max_minutes < 0:
            raise DataError(f"max_minutes must be >= 0, got {self.max_minutes}")
        self.fixed_threads()

    def fixed_threads(self) -> int | None:
        """``threads`` as a number, or None for ``"auto"``; ``DataError`` for anything else."""
        value = str(self.threads).strip().lower()
        if value == "auto":
            return None
        if value.isdigit() and int(value) >= 1:
            return int(value)
        raise DataError(
            f"--threads must be 'auto' or a positive number of BLAS threads, got {self.threads!r}"
        )
