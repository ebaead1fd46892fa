"""How lesson 1 draws each step's result (rich tables, charts)."""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.table import Table
from rich.text import Text

from minigrad.lessons.framework import LessonContext
from minigrad.lessons.lesson1.data import FIRST_LAG, SECOND_LAG

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
    spread = result.get("untrained_spread") or [result["loss"]]
    return [
        table,
        Text(
            f"Untrained: loss {result['loss']:.4f} (ln 2 = {np.log(2):.4f} is a coin flip); "
            f"{len(spread)} other random initialisations give {min(spread):.4f} to "
            f"{max(spread):.4f}: where near ln 2 depends on what the random weights happen "
            f"to predict. First prediction P(0)={p0:.3f}, P(1)={p1:.3f}; "
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


#: The echoes, by the name of the reference line that learning them reaches.
ECHO_LAGS = {"first": FIRST_LAG, "both": SECOND_LAG}


def gradient_reaches(num_steps: int) -> str:
    """The furthest line a window of ``num_steps`` can be *trained* towards.

    An error reaches at most ``num_steps - 1`` steps back inside its window,
    so the t-3 echo needs windows of 4 or more and the t-8 echo 9 or more.
    """
    reached = [line for line, lag in ECHO_LAGS.items() if num_steps > lag]
    return reached[-1] if reached else "neither"


def beyond_reach(run: dict[str, Any]) -> bool:
    """True when the nearest line is one no gradient of the run's windows leads to."""
    order = list(LABEL_STYLE)
    return order.index(run["learned"]) > order.index(gradient_reaches(run["num_steps"]))


def _run_row(run: dict[str, Any]) -> tuple[str, ...]:
    label = run["learned"]
    mark = "*" if beyond_reach(run) else ""
    return (
        f"{run['num_steps']}x{run['state_size']}",
        str(run["epochs"]),
        f"{run['final_loss']:.4f}",
        f"[{LABEL_STYLE[label]}]{label}{mark}[/]",
        gradient_reaches(run["num_steps"]),
        f"{run['seconds']:.1f}",
    )


def _runs_table(runs: list[dict[str, Any]], title: str) -> list[Any]:
    table = Table(title=title, title_justify="left")
    columns = ("steps x state", "epochs", "final loss", "nearest line", "gradient reaches", "s")
    for column in columns:
        table.add_column(column, justify="right")
    for run in runs:
        table.add_row(*_run_row(run))
    shown: list[Any] = [table]
    for run in (r for r in runs if beyond_reach(r)):
        shown.append(
            Text(
                f'* {run["num_steps"]}x{run["state_size"]} ends nearest "{run["learned"]}" '
                f"although no gradient in a window of {run['num_steps']} reaches that far back: "
                "its weights learned to read what the carried state happens to hold about "
                "older inputs. How much it holds depends on the seed (windows of 2 at full "
                "size, seeds 0, 1, 2: 0.578, 0.639, 0.663); it is not learned by "
                "backpropagation. Try `--seed 1`.",
                style="yellow",
            )
        )
    return shown


def render_train(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The seminar run's loss chart, final loss and nearest line."""
    table = _runs_table([result["run"]], "Seminar configuration (final loss: last epoch's mean)")
    return [result["chart"], *table] if "chart" in result else table


def render_experiments(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The experiment table and all curves on one chart."""
    limits = result["thresholds"]
    return [
        result["chart"],
        *_runs_table(result["runs"], "Which dependencies did each model learn?"),
        Text(
            f"nearest line: both below {limits['both_below']:.4f}, first below "
            f"{limits['first_below']:.4f}, neither above (midpoints between the lines). "
            "gradient reaches: the furthest echo a window's errors backpropagate to "
            "(t-3 needs windows of 4+, t-8 of 9+).",
            style="dim",
        ),
    ]
