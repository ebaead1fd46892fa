"""The steps of lesson 3: what each runs (render.py draws the results).

Each ``run`` function takes the lesson context, does one thing with
``minigrad.lessons.charlm`` and leaves what later steps need in
``ctx.state``. The functions shown on screen are the library's own.
``preflight`` checks the paths before the first step.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.panel import Panel
from rich.text import Text

from minigrad.errors import CheckpointError
from minigrad.lessons.charlm import (
    CharLM,
    Trainer,
    TrainHooks,
    TrainingInterrupted,
    Vocabulary,
    compute_baselines,
    generate,
    load_checkpoint,
    load_corpus,
    ptb_iterator,
    train_val_split,
)
from minigrad.lessons.charlm.batches import epoch_size
from minigrad.lessons.charlm.board import with_board
from minigrad.lessons.charlm.checkpoint import check_writable
from minigrad.lessons.charlm.config import TrainConfig
from minigrad.lessons.charlm.forecast import forecast
from minigrad.lessons.charlm.landmarks import judge
from minigrad.lessons.charlm.prime import DEFAULT_PRIME, resolve_prime
from minigrad.lessons.framework import LessonContext, LineChart, Tracker
from minigrad.lessons.framework.progress import state_dir
from minigrad.lessons.framework.tracker import format_duration
from minigrad.lessons.lesson3.render import SEMINAR_BATCH, SEMINAR_STEPS


def train_config(ctx: LessonContext) -> TrainConfig:
    """The ``TrainConfig`` for this run: the lesson's options, seed and device."""
    names = {f.name for f in dataclasses.fields(TrainConfig)} - {"seed", "device"}
    values = {name: getattr(ctx.config, name) for name in names}
    return TrainConfig(**values, seed=ctx.seed, device=ctx.device)


def checkpoint_path(ctx: LessonContext | Any) -> Path:
    """``--checkpoint``, or ``<state dir>/lesson3/charlm-<corpus>-<cell>.npz``.

    Takes the lesson context or the lesson's config itself.
    """
    config = getattr(ctx, "config", ctx)
    if config.checkpoint:
        return Path(config.checkpoint).expanduser()
    stem = Path(config.corpus).stem.lower().replace(" ", "_")
    return state_dir() / "lesson3" / f"charlm-{stem}-{config.cell}.npz"


def preflight(config: Any) -> None:
    """Before the first step: the checkpoint must be writable, ``--threads`` valid.

    A checkpoint folder that cannot be created or written fails here, in a
    second, instead of after minutes of training.
    """
    TrainConfig(threads=config.threads).fixed_threads()
    path = checkpoint_path(config)
    if config.resume and path.exists():
        return
    check_writable(path)


# ------------------------------------------------------------------ corpus
def read_corpus(ctx: LessonContext) -> dict[str, Any]:
    """Load ``--corpus`` (downloading a known one on first use) and describe it."""
    corpus = load_corpus(ctx.config.corpus)
    ctx.state.corpus = corpus
    info = {
        "name": corpus.name,
        "path": str(corpus.path),
        "characters": len(corpus.text),
        "encoding": corpus.encoding,
        "sha256": corpus.sha256,
    }
    ctx.report("corpus", corpus.name)
    ctx.report("corpus_file", info)
    return {**info, "opening": corpus.text[:300]}


# ------------------------------------------------------------------- vocab
def build_vocab(ctx: LessonContext) -> dict[str, Any]:
    """The sorted vocabulary and the whole text as ids."""
    text = ctx.state.corpus.text
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text, what=f"corpus {ctx.state.corpus.path}")
    ctx.state.vocab, ctx.state.ids = vocab, ids
    ctx.state.prime = choose_prime(ctx, vocab)
    ctx.report("vocab_size", len(vocab))
    head = text[:10]
    return {
        "size": len(vocab),
        "chars": vocab.idx_to_vocab,
        "head": head,
        "head_ids": vocab.encode(head).tolist(),
        "decoded": vocab.decode(vocab.encode(head)),
    }


def choose_prime(ctx: LessonContext, vocab: Vocabulary) -> str:
    """``--prime`` read as ``minigrad generate`` reads it, checked now rather than after training.

    Without ``--prime`` it is ``default_prime(vocab)``: "ROMEO:" and a newline,
    or what this text has of a newline, a space or its first character.
    """
    prime = resolve_prime(
        ctx.config.prime,
        vocab,
        escapes=ctx.config.escapes,
        source=f"corpus {ctx.state.corpus.path}",
    )
    if not ctx.config.prime and prime != DEFAULT_PRIME:
        ctx.note(
            f"This text lacks characters of the default prime {DEFAULT_PRIME!r}: "
            f"the generator will start from {prime!r}."
        )
    return prime


# --------------------------------------------------------------- baselines
def split_and_baselines(ctx: LessonContext) -> dict[str, Any]:
    """The train/validation split and the three reference losses computed from it."""
    train_ids, val_ids = train_val_split(ctx.state.ids, ctx.config.val_fraction)
    base = compute_baselines(train_ids, val_ids, len(ctx.state.vocab))
    ctx.state.baselines = base
    ctx.report("baselines", base.as_dict())
    return {"train_chars": len(train_ids), "val_chars": len(val_ids), **base.as_dict()}


# ----------------------------------------------------------------- batches
def cut_batches(ctx: LessonContext) -> dict[str, Any]:
    """The first batch of the seminar's layout, and the layout training will use."""
    ids, vocab, cfg = ctx.state.ids, ctx.state.vocab, ctx.config
    result: dict[str, Any] = {"train_batches": None, "seminar": None}
    if len(ids) >= SEMINAR_BATCH * (SEMINAR_STEPS + 1):
        x, y = next(ptb_iterator(ids, SEMINAR_BATCH, SEMINAR_STEPS))
        result["seminar"] = {
            "shape": list(x.shape),
            "batches_per_epoch": epoch_size(len(ids), SEMINAR_BATCH, SEMINAR_STEPS),
            "x_rows": [vocab.decode(row[:20]) for row in x[:5]],
            "y_rows": [vocab.decode(row[:20]) for row in y[:5]],
            "x_ids": x[:3, :8].tolist(),
        }
    train_len = round(len(ids) * (1.0 - cfg.val_fraction))
    result["train_batches"] = epoch_size(train_len, cfg.batch_size, cfg.num_steps)
    ctx.report("batches_per_epoch", result["train_batches"])
    return result


# ------------------------------------------------------------------- model
def build_model(ctx: LessonContext) -> dict[str, Any]:
    """The model for this vocabulary, built from the lesson's options."""
    config = train_config(ctx)
    model = CharLM(config.model_config(len(ctx.state.vocab)), device=ctx.device)
    params = [(name, tuple(p.shape), p.size) for name, p in model.named_parameters()]
    total = sum(size for _, _, size in params)
    ctx.report("cell", config.cell)
    ctx.report("parameters", total)
    return {"repr": repr(model), "params": params, "total": total}


# ------------------------------------------------------------------- train
class LessonHooks(TrainHooks):
    """Connects training to the lesson's progress bar, live chart and samples."""

    def __init__(self, ctx: LessonContext, chart: LineChart, bar: Tracker | None = None) -> None:
        self.ctx, self.chart, self.bar = ctx, chart, bar
        self.train_points = 0

    def _sync_curves(self, trainer: Trainer) -> None:
        points = trainer.curves["train"]
        for step, loss in points[self.train_points :]:
            self.chart.add_point("train", step, loss)
        self.train_points = len(points)

    def on_start(self, trainer: Trainer) -> None:
        """Draw what a resumed run already did."""
        self._sync_curves(trainer)
        for step, loss in trainer.curves["val"]:
            self.chart.add_point("validation", step, loss)
        if self.bar is not None:
            self.bar.advance(min(trainer.step, trainer.total_steps))

    def on_step(self, trainer: Trainer, loss: float, grad_norm: float) -> None:
        """Move the bar; add new averaged training points to the chart."""
        self._sync_curves(trainer)
        if self.bar is not None:
            self.bar.advance()
            epoch = trainer.step / trainer.epoch_size
            self.bar.describe(f"epoch {epoch:5.2f}  loss {loss:.3f}")

    def on_eval(self, trainer: Trainer, val_loss: float) -> None:
        """Plot the validation loss."""
        self.chart.add_point("validation", trainer.step, val_loss)

    def on_sample(self, trainer: Trainer, text: str) -> None:
        """Print what the model writes now, and what to expect of text at this loss."""
        title = f"sample at step {trainer.step} (validation {trainer.last_val:.3f})"
        body = Text(text)
        if math.isfinite(trainer.last_val):
            body.append(f"\n\n({judge(trainer.last_val, self.ctx.state.baselines)})", "italic")
        self.ctx.print(Panel(body, title=title, title_align="left", style="dim"))

    def on_threads(self, trainer: Trainer, description: str) -> None:
        """Say which BLAS threads were chosen, and what the measured speed predicts."""
        self.ctx.note(forecast_line(trainer, description))
        self.ctx.report("threads", description)


def train_model(ctx: LessonContext) -> dict[str, Any]:
    """Train with checkpoints (``--resume`` continues from the last one)."""
    config = train_config(ctx)
    path = checkpoint_path(ctx)
    resume = None
    if ctx.config.resume:
        if not path.exists():
            raise CheckpointError(
                f"--resume: there is no checkpoint at {path} yet; run once without --resume "
                "(or pass the file with --checkpoint PATH)"
            )
        resume = str(path)
    base = ctx.state.baselines
    chart = ctx.chart("loss (nats/char)", height=12, x_label="step", y_label="loss")
    chart.add_series("train")
    chart.add_series("validation")
    chart.add_reference(base.uniform, "uniform")
    chart.add_reference(base.unigram, "unigram")
    chart.add_reference(base.bigram, "bigram")
    hooks = LessonHooks(ctx, chart)
    board = ctx.board(config.cell, fresh=resume is None)  # None without --logdir
    trainer = Trainer(
        config, ctx.state.corpus, str(path), resume=resume, hooks=with_board(hooks, board)
    )
    ctx.state.checkpoint = str(path)
    if resume:
        ctx.note(f"Resumed from {path} at step {trainer.step}.")
    budget = trainer.budget_seconds()
    try:
        with ctx.track(trainer.total_steps, "training", chart, time_limit=budget) as bar:
            hooks.bar = bar
            result = trainer.run()
    except TrainingInterrupted as stop:
        ctx.report("checkpoint", stop.checkpoint)
        ctx.print(
            Text(
                f"Interrupted at step {stop.result.steps}: checkpoint written to "
                f"{stop.checkpoint}. Continue with --resume.",
                style="yellow",
            )
        )
        raise
    ctx.report("train_loss", result.train_loss)
    ctx.report("val_loss", result.val_loss)
    ctx.report("curves", result.curves)
    ctx.report("checkpoint", result.checkpoint)
    ctx.report(
        "training",
        {
            "steps": result.steps,
            "epochs": round(result.epochs, 3),
            "seconds": round(result.elapsed, 2),
            "chars_per_second": round(result.chars_per_second),
            "stopped_by": result.stopped_by,
            "blas_threads": result.extra.get("blas_threads"),
        },
    )
    ctx.state.val_loss = result.val_loss
    return {"result": result, "chart": chart, "baselines": base}


# ---------------------------------------------------------------- generate
@dataclass
class Samples:
    """What the generate step produced."""

    checkpoint: str
    step: int
    prime: str
    main: str
    by_temperature: list[tuple[float, str]]
    val_loss: float = float("nan")
    judgement: str = ""


def write_text(ctx: LessonContext) -> Samples:
    """Reload the checkpoint from disk and generate, one character at a time."""
    cfg = ctx.config
    ckpt = load_checkpoint(ctx.state.checkpoint)
    if ckpt.vocab != ctx.state.vocab:
        raise CheckpointError(
            f"{ckpt.path} was trained on another vocabulary "
            f"({ckpt.vocab.difference(ctx.state.vocab)})"
        )
    model = ckpt.build_model(device=ctx.device)
    prime = ctx.state.prime
    options = {"prime": prime, "top_k": cfg.top_k, "seed": ctx.seed}
    main = generate(
        model, ckpt.vocab, length=cfg.gen_length, temperature=cfg.temperature, **options
    )
    short = min(cfg.gen_length, 100)
    by_temperature = [
        (t, generate(model, ckpt.vocab, length=short, temperature=t, **options))
        for t in (0.0, 0.5, 1.0, 1.5)
    ]
    ctx.report("sample", prime + main)
    ctx.report("generation", {"prime": prime, "temperature": cfg.temperature, "top_k": cfg.top_k})
    val_loss = getattr(ctx.state, "val_loss", float("nan"))
    base = getattr(ctx.state, "baselines", None)
    judgement = judge(val_loss, base) if base is not None and math.isfinite(val_loss) else ""
    return Samples(ckpt.path, ckpt.step, prime, main, by_temperature, val_loss, judgement)


def forecast_line(trainer: Trainer, description: str) -> str:
    """``Measured on this machine: 1 BLAS thread; 0.18 s/step ...; ... stops near step ...``."""
    plan = forecast(trainer)
    speed = (
        f"Measured on this machine: {description}; {plan['step_seconds']:.2f} s/step, "
        f"{plan['chars_per_second']:,.0f} characters/s."
    )
    everything = format_duration(plan["seconds_for_all_steps"])
    if plan["stops_by"] == "time budget":
        return (
            f"{speed} All {trainer.total_steps:,} steps would take {everything}: the time "
            f"budget (--max-minutes {trainer.config.max_minutes:g}) stops training near step "
            f"{plan['final_step']:,} ({plan['final_epochs']:.2f} epochs)."
        )
    return f"{speed} The {trainer.total_steps:,} steps should take about {everything}."
