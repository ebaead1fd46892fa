"""How lesson 3 draws each step's result (tables, charts, samples), at any width from 80 up."""

from __future__ import annotations

from typing import Any

from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from minigrad.lessons.charlm.landmarks import GREEDY_NOTE, judge, landmarks
from minigrad.lessons.charlm.vocab import describe_char
from minigrad.lessons.framework import LessonContext

#: The seminar's layout, shown in the batches step whatever the training uses.
SEMINAR_BATCH, SEMINAR_STEPS = 32, 200


def render_corpus(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """A table of facts about the file and its first lines."""
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")  # a path or a digest has no spaces to wrap at
    for key in ("name", "path", "characters", "encoding", "sha256"):
        value = result[key]
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    opening = Panel(Text(result["opening"]), title="the first 300 characters", title_align="left")
    return [table, opening]


def render_vocab(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The ``idx_to_vocab`` table (as many columns as fit) and one round trip through the ids."""
    cells = [f"[dim]{i:>3}[/] {describe_char(c)}" for i, c in enumerate(result["chars"])]
    widest = max((len(Text.from_markup(cell)) for cell in cells), default=8)
    columns = max(1, min(8, (ctx.console.width - 4) // (widest + 3)))
    table = Table(title=f"idx_to_vocab ({result['size']} characters)", show_header=False)
    for _ in range(columns):
        table.add_column(justify="left", no_wrap=True)
    for start in range(0, len(cells), columns):
        row = cells[start : start + columns]
        table.add_row(*(row + [""] * (columns - len(row))))
    trip = Text()
    trip.append(f"text[0:10]           {result['head']!r}\n")
    trip.append(f"vocab_to_idx -> ids  {result['head_ids']}\n")
    trip.append(f"idx_to_vocab -> text {result['decoded']!r}")
    return [table, trip]


def render_baselines(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The split sizes and the reference losses."""
    table = Table(title="reference losses (nats/char)", title_justify="left")
    table.add_column("predictor", no_wrap=True)
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


def render_batches(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """x and y side by side, as characters, for the first rows of a batch."""
    cfg = ctx.config
    shown: list[Any] = []
    seminar = result["seminar"]
    if seminar is not None:
        table = Table(
            title=f"first batch, batch {SEMINAR_BATCH} x num_steps {SEMINAR_STEPS}",
            title_justify="left",
        )
        table.add_column("row")
        table.add_column("x (first 20 characters)", no_wrap=True)
        table.add_column("y = x shifted by one", no_wrap=True)
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


def render_model(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The module tree and a table of parameters."""
    table = Table(title=f"{result['total']:,} parameters", title_justify="left")
    table.add_column("name")
    table.add_column("shape", no_wrap=True)
    table.add_column("count", justify="right", no_wrap=True)
    for name, shape, size in result["params"]:
        table.add_row(name, str(list(shape)), f"{size:,}")
    return [Text(result["repr"], style="cyan"), table]


def landmark_table(loss: float, base: Any) -> Table:
    """The loss landmarks from worst to best, with an arrow where ``loss`` sits."""
    table = Table(title="what a loss sounds like (nats/char)", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("loss", justify="right", no_wrap=True)
    table.add_column("samples at that loss")
    placed = False
    for mark in landmarks(base):
        if not placed and loss > mark.loss:
            table.add_row("▶", f"{loss:.3f}", "this model", style="bold")
            placed = True
        table.add_row(mark.name, f"{mark.loss:.2f}", mark.text)
    if not placed:
        table.add_row("▶", f"{loss:.3f}", "this model", style="bold")
    return table


def render_training(outcome: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The loss chart, final losses against the landmarks, speed, and the checkpoint."""
    result, base = outcome["result"], outcome["baselines"]
    shown: list[Any] = [outcome["chart"]] if "chart" in outcome else []
    table = Table(title="after training (nats/char)", title_justify="left")
    table.add_column("")
    table.add_column("loss", justify="right")
    table.add_row("train (last steps)", f"{result.train_loss:.3f}")
    table.add_row("validation", f"{result.val_loss:.3f}", style="bold")
    verdict = (
        "below the bigram line: the network uses more than one character of context"
        if result.val_loss < base.bigram
        else "not yet below the bigram line: train longer (more --epochs or --max-minutes)"
    )
    threads = result.extra.get("threads", "")
    speed = Text(
        f"{result.steps} steps ({result.epochs:.2f} epochs) in {result.elapsed / 60:.1f} min, "
        f"{result.chars_per_second:,.0f} characters/s on this machine"
        f"{f' ({threads})' if threads else ''}; stopped by {result.stopped_by}.\n"
        f"Validation loss {result.val_loss:.3f}: {verdict}.\n"
        f"Samples: {judge(result.val_loss, base)}.\n"
        f"Checkpoint: {result.checkpoint}"
    )
    return [*shown, table, landmark_table(result.val_loss, base), speed]


def render_text(samples: Any, ctx: LessonContext) -> list[Any]:
    """The main sample, the same prime at four temperatures, and the command to do it again."""
    cfg = ctx.config
    main = Text()
    main.append(samples.prime, style="bold")
    main.append(samples.main)
    title = f"temperature {cfg.temperature}, top-k {cfg.top_k or 'all'}, seed {ctx.seed}"
    shown: list[Any] = [Panel(main, title=title, title_align="left")]
    if samples.judgement:
        shown.append(
            Text(f"Validation loss {samples.val_loss:.3f}: {samples.judgement}.", style="bold")
        )
    table = Table(title="the same prime at other temperatures", show_lines=True)
    table.add_column("T", justify="right", no_wrap=True)
    table.add_column("text")
    for t, text in samples.by_temperature:
        shown_text = text.replace("\n", "↵ ")  # one line per temperature
        table.add_row("0 (greedy)" if t == 0 else f"{t:g}", shown_text)
    shown += [table, Text(GREEDY_NOTE, style="dim")]
    prime = samples.prime.replace("\\", "\\\\").replace("\n", "\\n")
    shown.append(
        Text(
            f'From the command line: minigrad generate {samples.checkpoint} --prime "{prime}" '
            f"--length 300 --top-k 5 --seed 1",
            style="dim",
        )
    )
    return shown
