"""Named configurations: ``--preset tiny`` (seconds, a smoke test that learns little),
``--preset quick`` (4.5 minutes) and ``--preset full`` (28.6 minutes on a quiet 2-core
machine of this project, never more than an hour: it stops at its time budget).

Both were chosen by measuring on a 2-core CPU with minigrad's fused cells
(see ``benchmarks/bench_lesson3.py`` and docs/lessons/lesson3.md for the
figures). Each stops at its time budget if the epochs are not done by then,
so a slower machine gets a somewhat higher loss rather than a longer wait.
"""

from __future__ import annotations

from typing import Any

from minigrad.errors import DataError

from .config import TrainConfig

PRESETS: dict[str, dict[str, Any]] = {
    # Seconds: for checking that everything runs, not for learning.
    "tiny": {
        "cell": "lstm",
        "layers": 1,
        "hidden_size": 32,
        "embedding_size": 16,
        "batch_size": 8,
        "num_steps": 32,
        "lr": 1e-2,
        "epochs": 1,
        "max_minutes": 0.5,
        "max_steps": 40,
        "eval_every": 20,
        "eval_batches": 2,
        "checkpoint_every": 20,
        "sample_every": 20,
        "sample_length": 60,
    },
    # Target: validation loss <= 1.8 nats/char on tiny-shakespeare within 5 minutes.
    "quick": {
        "cell": "lstm",
        "layers": 1,
        "hidden_size": 256,
        "embedding_size": 64,
        "dropout": 0.0,
        "batch_size": 64,
        "num_steps": 100,
        "lr": 3e-3,
        "clip": 5.0,
        "epochs": 20,
        "max_minutes": 4.5,
        "eval_every": 100,
        "eval_batches": 4,
        "checkpoint_every": 200,
    },
    # Target: validation loss <= 1.55 nats/char on tiny-shakespeare within 60 minutes.
    "full": {
        "cell": "lstm",
        "layers": 2,
        "hidden_size": 384,
        "embedding_size": 96,
        "dropout": 0.2,
        "batch_size": 64,
        "num_steps": 100,
        "lr": 2e-3,
        "clip": 5.0,
        "epochs": 12,
        "max_minutes": 57.0,
        "eval_every": 250,
        "eval_batches": 8,
        "checkpoint_every": 250,
    },
}


def preset_names() -> list[str]:
    """The names ``--preset`` accepts."""
    return sorted(PRESETS)


def apply_preset(config: TrainConfig, name: str) -> TrainConfig:
    """``config`` with the preset's values (other fields, e.g. the seed, kept)."""
    if name not in PRESETS:
        raise DataError(f"unknown preset {name!r}; choose one of: {', '.join(preset_names())}")
    return config.replace(**PRESETS[name])
