"""Character language modelling on a slice of tiny-shakespeare, with lesson 3's pipeline.

The slice (the first ``chars`` characters of ``--corpus``, tiny-shakespeare by
default, found the way lesson 3 finds it: ``MINIGRAD_DATA_DIR``, the cache, or a
download) is split into training text and, at its end, validation and test
text. Training is ``minigrad.lessons.charlm.Trainer`` itself: embedding, the
cell, a linear layer to the vocabulary, Adam, clipping and truncated
backpropagation with the state carried across batches, for a fixed number of
steps. The metric is the validation loss in nats per character.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.lessons.charlm import (
    CharLM,
    Corpus,
    ModelConfig,
    TrainConfig,
    Trainer,
    TrainHooks,
    Vocabulary,
    compute_baselines,
    evaluate,
    load_corpus,
    train_val_split,
)

from ..spec import CellSpec, RunSpec
from .base import NullLogger, Outcome, PresetTask, RunLogger, count_model_parameters


@functools.cache
def corpus_slice(spec: str, chars: int) -> Corpus:
    """The first ``chars`` characters of the corpus ``spec`` (read once per process)."""
    corpus = load_corpus(spec)
    return Corpus(corpus.name, corpus.path, corpus.text[:chars], corpus.encoding, corpus.sha256)


class CurveHooks(TrainHooks):
    """Collects ``[step, seconds, validation]`` and passes the losses to the run's logger."""

    def __init__(self, logger: RunLogger) -> None:
        self.logger = logger
        self.curve: list[list[float]] = []

    def on_step(self, trainer: Trainer, loss: float, grad_norm: float) -> None:
        """The training loss of every step."""
        self.logger.scalar("train/loss", loss, trainer.step)

    def on_eval(self, trainer: Trainer, val_loss: float) -> None:
        """Each validation."""
        self.curve.append([trainer.step, round(trainer.elapsed, 4), val_loss])
        self.logger.scalar("validation/loss", val_loss, trainer.step)


class CharLMTask(PresetTask):
    """Predict the next character; metric: validation cross-entropy in nats per character."""

    name = "charlm"
    metric_name = "validation nats/char"
    description = "character language model on a tiny-shakespeare slice (lesson 3's pipeline)"

    PRESETS: dict[str, dict[str, Any]] = {
        "tiny": {"corpus": "shakespeare", "chars": 30_000, "embedding": 8, "batch": 8,
                 "num_steps": 32, "steps": 20, "eval_every": 10, "eval_batches": 2,
                 "budget": 4_000, "clip": 5.0, "holdout": 0.2},
        "quick": {"corpus": "shakespeare", "chars": 200_000, "embedding": 16, "batch": 32,
                  "num_steps": 64, "steps": 300, "eval_every": 100, "eval_batches": 4,
                  "budget": 20_000, "clip": 5.0, "holdout": 0.1},
        "full": {"corpus": "shakespeare", "chars": 400_000, "embedding": 16, "batch": 32,
                 "num_steps": 64, "steps": 800, "eval_every": 200, "eval_batches": 8,
                 "budget": 20_000, "clip": 5.0, "holdout": 0.1},
    }  # fmt: skip

    def _vocab(self, settings: dict[str, Any]) -> Vocabulary:
        return Vocabulary.from_text(corpus_slice(settings["corpus"], settings["chars"]).text)

    def references(self, settings: dict[str, Any]) -> dict[str, float]:
        """The unigram and held-out bigram losses of the slice (lesson 3's reference lines)."""
        text = corpus_slice(settings["corpus"], settings["chars"]).text
        vocab = self._vocab(settings)
        train, held = train_val_split(vocab.encode(text), settings["holdout"])
        base = compute_baselines(train, held, len(vocab))
        return {"unigram": base.unigram, "bigram": base.bigram}

    def build(self, cell: CellSpec, hidden_size: int, settings: dict[str, Any]) -> CharLM:
        """Lesson 3's ``CharLM`` for this cell (its recurrent layer rebuilt when it has options)."""
        config = ModelConfig(
            len(self._vocab(settings)), cell.name, settings["embedding"], hidden_size
        )
        model = CharLM(config)
        if cell.options:
            model.rnn = nn.RNN(
                cell.name,
                input_size=config.embedding_size,
                hidden_size=hidden_size,
                **cell.kwargs(),
            )
        return model

    def count_parameters(self, cell: CellSpec, hidden_size: int, settings: dict) -> int:
        """Parameters of the whole model: embedding, recurrent layer and output layer."""
        return count_model_parameters(self.build(cell, hidden_size, settings))

    def run(self, spec: RunSpec, logger: RunLogger | None = None) -> Outcome:
        """Train with lesson 3's ``Trainer`` for ``steps`` steps; measure on both held-out parts."""
        settings = dict(spec.settings)
        config = TrainConfig(
            cell=spec.cell.name, hidden_size=spec.hidden_size,
            embedding_size=settings["embedding"], batch_size=settings["batch"],
            num_steps=settings["num_steps"], lr=spec.lr, clip=settings["clip"], epochs=10_000,
            max_steps=settings["steps"], val_fraction=settings["holdout"],
            eval_every=settings["eval_every"], eval_batches=settings["eval_batches"],
            checkpoint_every=0, sample_every=0, seed=spec.seed,
        )  # fmt: skip
        hooks = CurveHooks(logger or NullLogger())
        trainer = Trainer(
            config, corpus_slice(settings["corpus"], settings["chars"]), None, hooks=hooks
        )
        if spec.cell.options:
            mg.manual_seed(spec.seed)
            trainer.model = self.build(spec.cell, spec.hidden_size, settings)
            trainer.params = list(trainer.model.parameters())
            trainer.optimizer = mg.optim.Adam(trainer.params, lr=spec.lr)
        held = trainer.val_ids
        trainer.val_ids, test_ids = held[: len(held) // 2], held[len(held) // 2 :]
        result = trainer.run()
        if not np.isfinite(result.val_loss):
            raise mg.NumericalError(
                f"{spec.cell.label} at lr {spec.lr:g}: the validation loss is {result.val_loss}"
            )
        test = evaluate(trainer.model, test_ids, config.batch_size, config.num_steps)
        return Outcome(result.val_loss, test, result.steps, result.elapsed, hooks.curve)

    def label(self, value: float, settings: dict[str, Any]) -> str:
        """Where the loss sits against the slice's bigram and unigram lines."""
        refs = self.references(settings)
        if value < refs["bigram"]:
            return "below bigram"
        return "below unigram" if value < refs["unigram"] else "above unigram"
