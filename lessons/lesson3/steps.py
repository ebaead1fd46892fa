"""The steps of lesson 3: what each runs and how its result is drawn.

Each ``run`` function takes the lesson context, does one thing with
``minigrad.lessons.charlm`` and leaves what later steps need in
``ctx.state``; each ``show_*`` function turns the result into rich
renderables. The functions shown on screen are the library's own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.panel import Panel
from rich.table import Table
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
from minigrad.lessons.charlm.config import TrainConfig
from minigrad.lessons.charlm.vocab import describe_char
from minigrad.lessons.framework import LessonContext, LineChart, Tracker
from minigrad.lessons.framework.progress import state_dir

#: The seminar's layout, shown in the batches step whatever the training uses.
SEMINAR_BATCH, SEMINAR_STEPS = 32, 200
#: The generator's default priming text (a name from Romeo and Juliet).
DEFAULT_PRIME = r"ROMEO:\n"


def train_config(ctx: LessonContext) -> TrainConfig:
    """The ``TrainConfig`` for this run: the lesson's options, seed and device."""
    names = {f.name for f in dataclasses.fields(TrainConfig)} - {"seed", "device"}
    values = {name: getattr(ctx.config, name) for name in names}
    return TrainConfig(**values, seed=ctx.seed, device=ctx.device)


def checkpoint_path(ctx: LessonContext) -> Path:
    """``--checkpoint``, or ``<state dir>/lesson3/charlm-<corpus>-<cell>.npz``."""
    if ctx.config.checkpoint:
        return Path(ctx.config.checkpoint).expanduser()
    stem = Path(ctx.config.corpus).stem.lower().replace(" ", "_")
    return state_dir() / "lesson3" / f"charlm-{stem}-{ctx.config.cell}.npz"


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


def render_corpus(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """A table of facts about the file and its first lines."""
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    for key in ("name", "path", "characters", "encoding", "sha256"):
        value = result[key]
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    opening = Panel(Text(result["opening"]), title="the first 300 characters", title_align="left")
    return [table, opening]


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
    """``--prime`` (with ``\\n`` as a newline), checked now rather than after training.

    The default prime ("ROMEO:" and a newline) falls back to a newline on a text that lacks
    its characters; a prime the person chose must fit the vocabulary.
    """
    prime = ctx.config.prime.replace("\\n", "\n")
    missing = vocab.unknown(prime)
    if not missing:
        return prime
    if ctx.config.prime == DEFAULT_PRIME:
        ctx.note(
            f"This text lacks {missing[0]!r} (of the prime {prime!r}): "
            "the generator will start from a newline."
        )
        return "\n"
    vocab.encode(prime, what=f"--prime (for corpus {ctx.state.corpus.path})")  # raises
    return prime


def render_vocab(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The ``idx_to_vocab`` table and one round trip through the ids."""
    columns = 8
    table = Table(title=f"idx_to_vocab ({result['size']} characters)", show_header=False)
    for _ in range(columns):
        table.add_column(justify="left")
    cells = [f"[dim]{i:>3}[/] {describe_char(c)}" for i, c in enumerate(result["chars"])]
    for start in range(0, len(cells), columns):
        row = cells[start : start + columns]
        table.add_row(*(row + [""] * (columns - len(row))))
    trip = Text()
    trip.append(f"text[0:10]          {result['head']!r}\n")
    trip.append(f"vocab_to_idx -> ids {result['head_ids']}\n")
    trip.append(f"idx_to_vocab -> text {result['decoded']!r}")
    return [table, trip]


# --------------------------------------------------------------- baselines
def split_and_baselines(ctx: LessonContext) -> dict[str, Any]:
    """The train/validation split and the three reference losses computed from it."""
    train_ids, val_ids = train_val_split(ctx.state.ids, ctx.config.val_fraction)
    base = compute_baselines(train_ids, val_ids, len(ctx.state.vocab))
    ctx.state.baselines = base
    ctx.report("baselines", base.as_dict())
    return {"train_chars": len(train_ids), "val_chars": len(val_ids), **base.as_dict()}


def render_baselines(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The split sizes and the reference losses."""
    table = Table(title="reference losses (nats/char)")
    table.add_column("predictor")
    table.add_column("loss", justify="right")
    table.add_column("what it knows")
    table.add_row("uniform", f"{result['uniform']:.3f}", "nothing: ln(vocab size)")
    table.add_row("unigram", f"{result['unigram']:.3f}", "how common each character is")
    table.add_row("bigram (held-out)", f"{result['bigram']:.3f}", "the previous character")
    split = Text(
        f"train: {result['train_chars']:,} characters   validation: "
        f"{result['val_chars']:,} characters (the last {ctx.config.val_fraction:.0%})"
    )
    return [split, table]


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


def render_batches(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """x and y side by side, as characters, for the first rows of a batch."""
    cfg = ctx.config
    shown: list[Any] = []
    seminar = result["seminar"]
    if seminar is not None:
        table = Table(title=f"first batch, batch {SEMINAR_BATCH} x num_steps {SEMINAR_STEPS}")
        table.add_column("row")
        table.add_column("x (first 20 characters)")
        table.add_column("y = x shifted by one")
        for i, (x, y) in enumerate(zip(seminar["x_rows"], seminar["y_rows"])):
            table.add_row(str(i), repr(x), repr(y))
        shown += [
            table,
            Text(
                f"x and y are int arrays of shape {tuple(seminar['shape'])}; "
                f"x[:3, :8] = {seminar['x_ids']}\n"
                f"{seminar['batches_per_epoch']} batches per epoch for the whole text."
            ),
        ]
    shown.append(
        Text(
            f"Training here uses batch {cfg.batch_size} x num_steps {cfg.num_steps}: "
            f"{result['train_batches']} batches per epoch of the training text.",
            style="bold",
        )
    )
    return shown


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


def render_model(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The module tree and a table of parameters."""
    table = Table(title=f"{result['total']:,} parameters")
    table.add_column("name")
    table.add_column("shape")
    table.add_column("count", justify="right")
    for name, shape, size in result["params"]:
        table.add_row(name, str(list(shape)), f"{size:,}")
    return [Text(result["repr"], style="cyan"), table]


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
        """Print what the model writes now."""
        title = f"sample at step {trainer.step} (validation {trainer.last_val:.3f})"
        self.ctx.print(Panel(Text(text), title=title, title_align="left", style="dim"))


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
    try:
        with ctx.track(trainer.total_steps, "training", chart) as bar:
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
        },
    )
    return {"result": result, "chart": chart, "baselines": base}


def render_training(outcome: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """Final losses against the references, speed, and where the checkpoint is."""
    result, base = outcome["result"], outcome["baselines"]
    table = Table(title="after training (nats/char)")
    table.add_column("")
    table.add_column("loss", justify="right")
    table.add_row("train (last steps)", f"{result.train_loss:.3f}")
    table.add_row("validation", f"{result.val_loss:.3f}", style="bold")
    table.add_row("bigram (held-out)", f"{base.bigram:.3f}", style="dim")
    table.add_row("unigram", f"{base.unigram:.3f}", style="dim")
    table.add_row("uniform", f"{base.uniform:.3f}", style="dim")
    verdict = (
        "below the bigram line: the network uses more than one character of context"
        if result.val_loss < base.bigram
        else "not yet below the bigram line: train longer (more --epochs or --max-minutes)"
    )
    speed = Text(
        f"{result.steps} steps ({result.epochs:.2f} epochs) in {result.elapsed / 60:.1f} min, "
        f"{result.chars_per_second:,.0f} characters/s; stopped by {result.stopped_by}.\n"
        f"Validation loss {result.val_loss:.3f}: {verdict}.\n"
        f"Checkpoint: {result.checkpoint}"
    )
    # The chart itself stays on screen from the live display during training.
    return [table, speed]


# ---------------------------------------------------------------- generate
@dataclass
class Samples:
    """What the generate step produced."""

    checkpoint: str
    step: int
    prime: str
    main: str
    by_temperature: list[tuple[float, str]]


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
    return Samples(ckpt.path, ckpt.step, prime, main, by_temperature)


def render_text(samples: Samples, ctx: LessonContext) -> list[Any]:
    """The main sample, the same prime at four temperatures, and the command to do it again."""
    cfg = ctx.config
    main = Text()
    main.append(samples.prime, style="bold")
    main.append(samples.main)
    title = f"temperature {cfg.temperature}, top-k {cfg.top_k or 'all'}, seed {ctx.seed}"
    shown: list[Any] = [Panel(main, title=title, title_align="left")]
    table = Table(title="the same prime at other temperatures", show_lines=True)
    table.add_column("T", justify="right")
    table.add_column("text")
    for t, text in samples.by_temperature:
        shown_text = text.replace("\n", "↵ ")  # one line per temperature
        table.add_row("0 (greedy)" if t == 0 else f"{t:g}", shown_text)
    shown.append(table)
    prime = samples.prime.replace("\n", "\\n")
    shown.append(
        Text(
            f'From the command line: minigrad generate {samples.checkpoint} --prime "{prime}" '
            f"--escapes --length 300 --temperature 0.8 --top-k 5 --seed 1",
            style="dim",
        )
    )
    return shown
