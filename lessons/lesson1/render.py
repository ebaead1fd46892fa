"""How lesson 1 draws each step's result (rich tables, charts)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.table import Table
from rich.text import Text

from minigrad.lessons.framework import LessonContext

LABEL_STYLE = {"neither": "red", "first": "yellow", "both": "green"}


def render_task(result: dict[str, Any], ctx: LessonContext) -> Table:
    """P(Y=1) per case: the rule and the frequency in a generated series."""
    table = Table(title=f"P(Y_t = 1) — rule vs. {result['samples']:,} generated samples")
    for column in ("X_t-3", "X_t-8", "rule", "measured", "cases"):
        table.add_column(column, justify="right")
    for row in result["rows"]:
        table.add_row(
            str(row["x_t-3"]),
            str(row["x_t-8"]),
            f"{row['rule']:.2f}",
            f"{row['measured']:.3f}",
            f"{row['count']:,}",
        )
    return table


def render_batches(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The toy series, its two rows, and the windows cut from them."""
    raw = "".join(map(str, result["raw_x"]))
    out: list[Any] = [Text(f"raw X (24 samples): {raw}")]
    half = len(raw) // 2
    out.append(Text(f"row 0: {raw[:half]}    row 1: {raw[half:]}"))
    table = Table(title="gen_batch(raw, batch_size=2, num_steps=4): the windows, left to right")
    table.add_column("window", justify="right")
    table.add_column("x row 0")
    table.add_column("x row 1")
    table.add_column("y row 0")
    table.add_column("y row 1")
    for k, (x, y) in enumerate(result["windows"]):
        table.add_row(str(k), *("".join(map(str, r)) for r in (x[0], x[1], y[0], y[1])))
    out.append(table)
    out.append(
        Text(
            f"With this run's settings: rows of {result['row_length']:,} samples, "
            f"{result['windows_per_epoch']:,} windows per epoch.",
            style="dim",
        )
    )
    return out


def render_expected(result: dict[str, Any], ctx: LessonContext) -> Table:
    """The three reference losses and the labelling thresholds."""
    expected, limits = result["expected"], result["thresholds"]
    table = Table(title="Best possible cross-entropy (nats), computed from the rule")
    table.add_column("the model learns")
    table.add_column("expected loss", justify="right")
    table.add_column("label when the final loss is", justify="right")
    table.add_row(
        "neither dependency", f"{expected['neither']:.6f}", f">= {limits['first_below']:.4f}"
    )
    table.add_row(
        "the t-3 dependency",
        f"{expected['first']:.6f}",
        f"{limits['both_below']:.4f} .. {limits['first_below']:.4f}",
    )
    table.add_row("both dependencies", f"{expected['both']:.6f}", f"< {limits['both_below']:.4f}")
    return table


def render_model(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """Shapes along the forward pass and the untrained model's loss."""
    table = Table(title="One window through the model")
    table.add_column("tensor")
    table.add_column("shape")
    for name, shape in result["shapes"]:
        table.add_row(name, str(shape))
    p0, p1 = result["prediction"]
    return [
        table,
        Text(
            f"Untrained: loss {result['loss']:.4f} (ln 2 = {np.log(2):.4f} is a coin flip); "
            f"first prediction P(0)={p0:.3f}, P(1)={p1:.3f}; "
            f"{result['parameters']} parameters."
        ),
    ]


def _shade(value: float, top: float) -> str:
    if value <= 0:
        return "·"
    levels = " ░▒▓█"
    return levels[max(1, min(4, int(np.ceil(value / top * 4))))]


def render_truncation(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The reach matrix as shades, and the share of errors that see each echo."""
    reach = result["reach"]
    steps = reach.shape[0]
    top = float(reach.max()) or 1.0
    table = Table(title="|dL_k / dx_j| inside one window (rows: error at step k; columns: input j)")
    table.add_column("k \\ j", justify="right")
    for j in range(steps):
        table.add_column(str(j + 1), justify="center")
    for k in range(steps):
        table.add_row(str(k + 1), *(_shade(reach[k, j], top) for j in range(steps)))
    shares = Table(title="Share of a window's errors whose gradient reaches the echo")
    shares.add_column("num_steps", justify="right")
    shares.add_column("t-3 echo", justify="right")
    shares.add_column("t-8 echo", justify="right")
    for row in result["shares"]:
        shares.add_row(str(row["num_steps"]), f"{row['first']:.0%}", f"{row['second']:.0%}")
    return [
        table,
        Text("· exactly zero: the graph was cut, or the input is in the future."),
        shares,
    ]


def _run_row(run: dict[str, Any]) -> tuple[str, ...]:
    label = run["learned"]
    return (
        str(run["num_steps"]),
        str(run["state_size"]),
        str(run["epochs"]),
        f"{run['final_loss']:.4f}",
        f"[{LABEL_STYLE[label]}]{label}[/]",
        f"{run['seconds']:.1f}",
    )


def _runs_table(runs: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for column in ("num_steps", "state", "epochs", "final loss", "learned", "seconds"):
        table.add_column(column, justify="right")
    for run in runs:
        table.add_row(*_run_row(run))
    return table


def render_train(result: dict[str, Any], ctx: LessonContext) -> Table:
    """The seminar run's final loss and label (its chart was drawn live)."""
    return _runs_table([result["run"]], "Seminar configuration (final loss = mean of last epoch)")


def render_experiments(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The experiment table and all curves on one chart."""
    limits = result["thresholds"]
    return [
        result["chart"],
        _runs_table(result["runs"], "Which dependencies did each model learn?"),
        Text(
            f"learned = both below {limits['both_below']:.4f}, first below "
            f"{limits['first_below']:.4f}, neither above (midpoints between the reference lines).",
            style="dim",
        ),
    ]
