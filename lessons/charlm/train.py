"""Training a character-level language model, with checkpoints and exact resume.

One optimizer step, the heart of it (see ``Trainer.train_step``)::

    logits, new_state = model(x, state)          # x, y: [B, T] ids; y = x shifted by one
    loss = cross_entropy(logits, y)              # mean nats per character
    loss.backward()                              # through T steps, not further
    clip_grad_norm_(params, clip)                # tame exploding gradients
    optimizer.step()                             # Adam
    state = detach(new_state)                    # carried into the next batch, graph cut

The state starts at zero at the beginning of every epoch (the PTB iterator's
rows restart there) and is carried across the epoch's batches: truncated
backpropagation through time.

Checkpoints are written every ``checkpoint_every`` steps, at the end, and
when Ctrl-C stops training. A step changes the weights, the optimizer and the
carried state together; Ctrl-C during that short stretch is held back until
the step is complete, so the checkpoint written on interruption is always a
consistent one. Resuming restores the weights, Adam's moments, the carried
state, the random generator and the position in the data, so N steps run
straight and N/2 + N/2 with a resume in between give the same weights (to the
bit with a fixed ``threads``: the BLAS library rounds the last bit differently
with 1 and with 2 threads, and ``threads="auto"`` measures again after a resume).

The BLAS threads are chosen by ``minigrad.threads.ThreadTuner``: the first
steps run with one thread and with every core in turn, the faster is kept and
the choice is measured again every 500 steps. On a busy machine one thread is
usually the faster by far: BLAS threads that wait for each other at every
product lose their cores to the other programs.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import backend
from minigrad.errors import NumericalError
from minigrad.threads import ThreadTuner

from .batches import batch_layout, check_enough, epoch_size, train_val_split
from .checkpoint import (
    check_resumable,
    load_checkpoint,
    restore_carried_state,
    save_checkpoint,
)
from .config import TrainConfig
from .data import Corpus
from .generate import generate
from .model import CharLM, detach, state_arrays
from .prime import DEFAULT_TEMPERATURE, resolve_prime
from .vocab import Vocabulary

#: A thread setting whose step is this many times slower than the best is measured no further.
GIVE_UP = 3.0


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training; ``checkpoint`` names the consistent checkpoint written then."""

    def __init__(self, checkpoint: str | None, result: TrainResult) -> None:
        super().__init__(f"training interrupted at step {result.steps}; saved {checkpoint}")
        self.checkpoint = checkpoint
        self.result = result


@dataclass
class TrainResult:
    """What a run reached: final losses (nats/char), curves, checkpoint, speed, a sample."""

    steps: int
    epochs: float
    train_loss: float
    val_loss: float
    curves: dict[str, list[list[float]]]
    checkpoint: str | None
    elapsed: float
    chars_per_second: float
    sample: str = ""
    stopped_by: str = "epochs"
    extra: dict[str, Any] = field(default_factory=dict)


class TrainHooks:
    """Callbacks a caller overrides to watch training (all no-ops here).

    The lesson uses them for its progress bar, live chart and samples.
    """

    def on_start(self, trainer: Trainer) -> None:
        """Before the first step (after any resume)."""

    def on_step(self, trainer: Trainer, loss: float, grad_norm: float) -> None:
        """After every optimizer step; ``trainer.step`` already counts it."""

    def on_eval(self, trainer: Trainer, val_loss: float) -> None:
        """After each periodic validation."""

    def on_sample(self, trainer: Trainer, text: str) -> None:
        """After each periodic sample."""

    def on_checkpoint(self, trainer: Trainer, path: str) -> None:
        """After each checkpoint is written."""

    def on_threads(self, trainer: Trainer, description: str) -> None:
        """After the BLAS threads were chosen (by measurement, or fixed); see ``Trainer.tuner``."""


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C back until the block ends, then deliver it (main thread only).

    Used around the part of a step that changes the weights, the optimizer
    and the carried state, so an interruption never leaves them half updated.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple[int, Any]] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(*received[0])
            else:
                raise KeyboardInterrupt


def _rng_state(device: str) -> Any:
    """The state of minigrad's generator on ``device`` (dropout), if it can be saved.

    NumPy's generator state is a JSON-able dict. CuPy's lives on the GPU with no
    such export, so a GPU run saves None and a resumed run continues with a
    fresh dropout stream: exact resumption is a CPU guarantee.
    """
    bit = getattr(backend.default_rng(device), "bit_generator", None)
    state = getattr(bit, "state", None)
    return state if isinstance(state, dict) else None


def _set_rng_state(device: str, state: Any) -> None:
    if state is None:
        return
    bit = getattr(backend.default_rng(device), "bit_generator", None)
    if isinstance(getattr(bit, "state", None), dict):
        bit.state = state


def prepare_data(corpus: Corpus, config: TrainConfig) -> tuple[Vocabulary, np.ndarray, np.ndarray]:
    """Vocabulary and the train/validation ids, checked long enough for one batch each."""
    vocab = Vocabulary.from_text(corpus.text)
    ids = vocab.encode(corpus.text, what=f"corpus {corpus.path}")
    train_ids, val_ids = train_val_split(ids, config.val_fraction)
    check_enough(
        len(train_ids),
        config.batch_size,
        config.num_steps,
        f"the training part of corpus {corpus.path}",
    )
    check_enough(len(val_ids), 1, config.num_steps, f"the validation part of corpus {corpus.path}")
    return vocab, train_ids, val_ids


def evaluate(
    model: CharLM, ids: np.ndarray, batch_size: int, num_steps: int, max_batches: int = 0
) -> float:
    """Mean cross-entropy (nats/char) of ``model`` on ``ids``, state carried, no dropout.

    Uses the PTB layout with up to ``batch_size`` rows (fewer when the text
    is short) and ``max_batches`` batches (0: all of them).
    """
    rows = max(1, min(batch_size, len(ids) // (num_steps + 1)))
    check_enough(len(ids), rows, num_steps, "the validation text")
    n = epoch_size(len(ids), rows, num_steps)
    if max_batches:
        n = min(n, max_batches)
    data = batch_layout(ids, rows)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    with mg.no_grad():
        for k in range(n):
            lo = k * num_steps
            x, y = data[:, lo : lo + num_steps], data[:, lo + 1 : lo + num_steps + 1]
            logits, state = model(x, state)
            total += float(mg.cross_entropy(logits, y, reduction="sum").item())
            count += y.size
    model.train(was_training)
    return total / count


class Trainer:
    """Trains a ``CharLM`` on a corpus with Adam, clipping and truncated BPTT.

    ``Trainer(config, corpus, resume=None, checkpoint_path=..., hooks=None)``
    builds (or restores) everything; ``run()`` trains until the epochs, the
    step limit or the time budget is used up and returns a ``TrainResult``.
    """

    def __init__(
        self,
        config: TrainConfig,
        corpus: Corpus,
        checkpoint_path: str | None = "charlm.npz",
        resume: str | None = None,
        hooks: TrainHooks | None = None,
    ) -> None:
        config.validate()
        self.config = config
        self.corpus = corpus
        self.checkpoint_path = checkpoint_path
        self.hooks = hooks or TrainHooks()
        self.vocab, self.train_ids, self.val_ids = prepare_data(corpus, config)
        self.epoch_size = epoch_size(len(self.train_ids), config.batch_size, config.num_steps)
        self.rows = batch_layout(self.train_ids, config.batch_size)

        mg.manual_seed(config.seed)
        self.model = CharLM(config.model_config(len(self.vocab)), device=config.device)
        self.params = list(self.model.parameters())
        self.optimizer = mg.optim.Adam(self.params, lr=config.lr)
        self.step = 0
        self.elapsed = 0.0
        self.state: list[mg.cells.State] | None = None
        self.curves: dict[str, list[list[float]]] = {"train": [], "val": []}
        self._window: list[float] = []
        #: Training losses are averaged over this many steps for the curve.
        self.log_every = max(1, min(config.eval_every or 50, 50))
        self.last_val = math.nan
        self.last_train = math.nan
        #: Chooses the BLAS threads by timing the first steps (and again every 500).
        self.tuner = ThreadTuner(fixed=config.fixed_threads(), give_up=GIVE_UP)
        #: Seconds per step measured when the threads were last chosen (None before).
        self.step_seconds: float | None = None
        if resume is not None:
            self._restore(resume)
        self._rng = _rng_state(config.device)

    # ------------------------------------------------------------ checkpoints
    def _restore(self, path: str) -> None:
        ckpt = load_checkpoint(path)
        check_resumable(ckpt, self.config, self.vocab)
        self.model.load_state_dict(ckpt.model_state)
        self.optimizer.load_state_dict(ckpt.optimizer_state)
        # The learning rate is a setting of this run, not of the checkpoint.
        self.optimizer.lr = self.config.lr
        self.step = ckpt.step
        self.elapsed = ckpt.elapsed
        self.curves = {k: [list(p) for p in v] for k, v in ckpt.curves.items()}
        self.curves.setdefault("train", [])
        self.curves.setdefault("val", [])
        self._window = [float(v) for v in ckpt.train_window]
        if self._window:
            self.last_train = float(np.mean(self._window))
        elif self.curves["train"]:
            self.last_train = self.curves["train"][-1][1]
        if self.curves["val"]:
            self.last_val = self.curves["val"][-1][1]
        if ckpt.carried_state:
            like = self.model.zero_state(self.config.batch_size)
            self.state = restore_carried_state(ckpt, like)
        _set_rng_state(self.config.device, ckpt.rng_state)

    def checkpoint_contents(self) -> dict[str, Any]:
        """Everything a checkpoint stores about the run right now (see ``checkpoint.py``)."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "carried_state": state_arrays(self.state) if self.state is not None else {},
            "rng": self._rng,
            "vocab": self.vocab.as_string(),
            "config": self.config.as_dict(),
            "step": self.step,
            "elapsed": self.elapsed,
            "curves": self.curves,
            "train_window": list(self._window),
            "corpus": {
                "name": self.corpus.name,
                "path": str(self.corpus.path),
                "sha256": self.corpus.sha256,
            },
        }

    def save(self) -> str | None:
        """Write the checkpoint (atomically) and return its path; None when saving is off."""
        if not self.checkpoint_path:
            return None
        path = save_checkpoint(self.checkpoint_path, self.checkpoint_contents())
        self.hooks.on_checkpoint(self, path)
        return path

    # ---------------------------------------------------------------- training
    @property
    def total_steps(self) -> int:
        """Steps this run will take unless the time budget stops it first."""
        total = self.config.epochs * self.epoch_size
        return min(total, self.config.max_steps) if self.config.max_steps else total

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``(x, y)`` of global ``step``: batch ``step % epoch_size`` of the PTB iterator."""
        k = step % self.epoch_size
        lo = k * self.config.num_steps
        hi = lo + self.config.num_steps
        return self.rows[:, lo:hi], self.rows[:, lo + 1 : hi + 1]

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """One optimizer step on batch ``(x, y)``; returns ``(loss, gradient norm)``."""
        return self.tuner.run(lambda: self._step(x, y))

    def _step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        logits, new_state = self.model(x, self.state)
        loss = mg.cross_entropy(logits, y)
        self.optimizer.zero_grad()
        loss.backward()
        norm = mg.optim.clip_grad_norm_(self.params, self.config.clip)
        with interrupts_deferred():
            self.optimizer.step()
            self.state = detach(new_state)
            self.step += 1
            self._rng = _rng_state(self.config.device)
        return float(loss.item()), norm

    def validate(self, final: bool = False) -> float:
        """Validation loss (all of it when ``final``, else up to ``eval_batches`` batches)."""
        cfg = self.config
        limit = 0 if final else cfg.eval_batches
        return evaluate(self.model, self.val_ids, cfg.batch_size, cfg.num_steps, limit)

    def sample(
        self, length: int | None = None, prime: str | None = None, seed: int | None = None
    ) -> str:
        """Text generated by the model as it is now (does not disturb training).

        ``prime`` defaults to ``default_prime(vocab)`` and the temperature is
        ``DEFAULT_TEMPERATURE``: the defaults of lesson 3 and ``minigrad generate``.
        """
        was_training = self.model.training
        self.model.eval()
        text = generate(
            self.model,
            self.vocab,
            prime=resolve_prime(prime, self.vocab, escapes=False),
            length=length or self.config.sample_length,
            temperature=DEFAULT_TEMPERATURE,
            top_k=0,
            seed=self.config.seed + self.step if seed is None else seed,
        )
        self.model.train(was_training)
        return text

    def budget_seconds(self) -> float | None:
        """Training seconds left in the time budget (``max_minutes``); None without one."""
        if not self.config.max_minutes:
            return None
        return max(0.0, 60.0 * self.config.max_minutes - self.elapsed)

    def _budget_left(self, started: float, elapsed_before: float) -> bool:
        if not self.config.max_minutes:
            return True
        return elapsed_before + (time.perf_counter() - started) < 60.0 * self.config.max_minutes

    def _log_train(self, loss: float) -> None:
        self._window.append(loss)
        self.last_train = float(np.mean(self._window))
        if len(self._window) >= self.log_every:
            self.curves["train"].append([self.step, self.last_train])
            self._window = []

    def _every(self, interval: int) -> bool:
        return interval > 0 and self.step % interval == 0

    def run(self) -> TrainResult:
        """Train until done and return the result.

        On Ctrl-C: write a consistent checkpoint and raise ``TrainingInterrupted``.
        """
        cfg = self.config
        self.model.train()
        self.hooks.on_start(self)
        started, elapsed_before, start_step = time.perf_counter(), self.elapsed, self.step
        stopped_by = (
            "max_steps"
            if cfg.max_steps and cfg.max_steps < cfg.epochs * self.epoch_size
            else "epochs"
        )
        try:
            while self.step < self.total_steps:
                if not self._budget_left(started, elapsed_before):
                    stopped_by = "time budget"
                    break
                self._one_step(started, elapsed_before)
            self.elapsed = elapsed_before + time.perf_counter() - started
            self.last_val = self.validate(final=True)
            if not self.curves["val"] or self.curves["val"][-1][0] != self.step:
                self.curves["val"].append([self.step, self.last_val])
            self.hooks.on_eval(self, self.last_val)
            path = self.save()
        except KeyboardInterrupt:
            # Every step is complete or not started (see train_step): safe to save.
            self.elapsed = elapsed_before + time.perf_counter() - started
            path = self.save()
            raise TrainingInterrupted(path, self._result(start_step, "interrupted")) from None
        finally:
            self.tuner.restore()  # the BLAS setting is process-wide: give it back
        result = self._result(start_step, stopped_by)
        result.checkpoint = path
        result.sample = self.sample()
        return result

    def _one_step(self, started: float, elapsed_before: float) -> None:
        """A training step, then whatever is due: validation, sample, checkpoint."""
        cfg = self.config
        if self.step % self.epoch_size == 0:
            self.state = None  # rows restart at each epoch: so does the state
        measuring = self.tuner.measuring or self.step_seconds is None
        began = time.perf_counter()
        loss, norm = self.train_step(*self.batch(self.step))
        if measuring and not self.tuner.measuring:
            timings = self.tuner.timings.get(self.tuner.chosen)
            self.step_seconds = (
                sorted(timings)[len(timings) // 2] if timings else time.perf_counter() - began
            )
            self.hooks.on_threads(self, self.tuner.describe())
        self.elapsed = elapsed_before + time.perf_counter() - started
        if not math.isfinite(loss):
            raise NumericalError(
                f"the training loss became {loss} at step {self.step}: lower --lr "
                f"(now {cfg.lr}) or --clip (now {cfg.clip})"
            )
        self._log_train(loss)
        self.hooks.on_step(self, loss, norm)
        if self._every(cfg.eval_every) and self.step < self.total_steps:
            self.last_val = self.validate()
            self.curves["val"].append([self.step, self.last_val])
            self.hooks.on_eval(self, self.last_val)
        if self._every(cfg.sample_every) and self.step < self.total_steps:
            self.hooks.on_sample(self, self.sample())
        if self._every(cfg.checkpoint_every):
            self.save()

    def _result(self, start_step: int, stopped_by: str) -> TrainResult:
        run_time = max(self.elapsed, 1e-9)
        chars = self.step * self.config.batch_size * self.config.num_steps
        return TrainResult(
            steps=self.step,
            epochs=self.step / self.epoch_size,
            train_loss=self.last_train,
            val_loss=self.last_val,
            curves=self.curves,
            checkpoint=self.checkpoint_path,
            elapsed=self.elapsed,
            chars_per_second=chars / run_time,
            stopped_by=stopped_by,
            extra={
                "steps_this_run": self.step - start_step,
                "threads": self.tuner.describe(),
                "blas_threads": self.tuner.chosen,
            },
        )


def train(
    config: TrainConfig,
    corpus: Corpus,
    checkpoint_path: str | None = "charlm.npz",
    resume: str | None = None,
    hooks: TrainHooks | None = None,
) -> TrainResult:
    """Build a ``Trainer`` and run it (see ``Trainer``)."""
    return Trainer(config, corpus, checkpoint_path, resume, hooks).run()
