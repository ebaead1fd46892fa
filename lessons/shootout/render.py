"""The sweep's results as the terminal shows them: the table, the charts, the rate table."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from minigrad.lessons.framework import LineChart

from .stats import ALPHA
from .summary import CellSummary, SweepSummary
from .sweep import SweepPlan
from .tasks import get_task

#: How many cells the charts draw (a terminal chart has six colours).
CHART_CELLS = 6
VERDICT_STYLE = {"better": "green", "worse": "red", "within noise": "dim"}


def _number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def results_table(summary: SweepSummary, plan: SweepPlan) -> Table:
    """One row per cell, best first: size, chosen rate, test mean +- sd, the LSTM comparison."""
    base = summary.baseline or "baseline"
    table = Table(
        box=box.SIMPLE_HEAD,
        padding=0,
        collapse_padding=True,
        pad_edge=False,
        show_edge=False,
        title=f"{plan.task}: {summary.metric}, test data at the rate chosen on validation",
        caption=(
            f"{len(plan.seeds)} seeds per rate. vs {base}: difference of the test means +- the "
            f"half-width of its 95% interval (Welch's t-test, p < {ALPHA})"
        ),
    )
    table.add_column("cell", overflow="fold", ratio=1)
    for name in ("params", "lr", "test", f"vs {base}"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("result", no_wrap=True)
    for row in summary.rows:
        table.add_row(*_cells(row, summary))
    return table


def _cells(row: CellSummary, summary: SweepSummary) -> list[Any]:
    if row.metric_mean is None:
        why = f"{row.diverged} diverged, {row.failed} failed"
        if not row.diverged and not row.failed:
            why = "not run yet"
        return [row.cell, f"{row.params:,}", "-", "-", "-", Text(why, style="red"), "-"]
    test = f"{_number(row.test_mean)}±{_number(row.test_std, 3)}"
    if row.cell == summary.baseline:
        versus, verdict = "baseline", Text("")
    elif row.versus is None or row.versus.verdict == "too few seeds":
        versus, verdict = "-", Text("too few seeds", style="dim")
    else:
        v = row.versus
        versus = f"{v.diff:+.3f}±{(v.high - v.low) / 2:.3f}"
        verdict = Text(v.verdict, style=VERDICT_STYLE.get(v.verdict, ""))
    return [row.cell, f"{row.params:,}", f"{row.best_lr:g}", test, versus, verdict, row.label]


def lr_table(summary: SweepSummary, plan: SweepPlan) -> Table:
    """Mean validation metric of every cell at every rate (the best of each row in bold)."""
    table = Table(box=box.SIMPLE_HEAD, title=f"{summary.metric} by learning rate (mean over seeds)")
    table.add_column("cell", overflow="fold")
    for lr in plan.lrs:
        table.add_column(f"{lr:g}", justify="right")
    for row in summary.rows:
        values = [row.lr_means.get(f"{lr:g}") for lr in plan.lrs]
        shown = [
            Text(_number(v), style="bold" if lr == row.best_lr else "")
            if v is not None
            else Text("diverged", style="red")
            for lr, v in zip(plan.lrs, values)
        ]
        table.add_row(row.cell, *shown)
    return table


def chart_cells(summary: SweepSummary) -> list[CellSummary]:
    """The cells the charts draw: the baseline, the best two, the worst two, and rnn."""
    ranked = [row for row in summary.rows if row.metric_mean is not None]
    chosen: list[CellSummary] = []
    wanted = {summary.baseline, "rnn"}
    for row in ranked[:2] + [r for r in ranked if r.cell in wanted] + ranked[-2:]:
        if row not in chosen and len(chosen) < CHART_CELLS:
            chosen.append(row)
    return chosen


def charts(summary: SweepSummary, plan: SweepPlan, records: list[dict]) -> list[LineChart]:
    """Test metric against parameters, and validation metric against wall-clock seconds."""
    references = get_task(plan.task).references(plan.settings)
    shown = chart_cells(summary)
    tested = summary.metric.replace("validation", "test")
    by_params = LineChart(
        f"{tested} against parameters", height=8, x_label="parameters", y_label="test"
    )
    by_time = LineChart(
        f"{summary.metric} against training time",
        height=8,
        x_label="seconds",
        y_label="validation",
    )
    for chart in (by_params, by_time):
        for label, value in references.items():
            chart.add_reference(value, label)
    for row in shown:
        by_params.add_series(row.cell, [row.params], [row.test_mean or 0.0])
        xs, ys = mean_curve(records, row.cell, row.best_lr)
        by_time.add_series(row.cell, xs, ys)
    return [by_params, by_time]


def mean_curve(records: list[dict], cell: str, lr: float | None) -> tuple[list[float], list[float]]:
    """The validation curve of ``cell`` at ``lr``, averaged over seeds point by point."""
    points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for record in records:
        if record["cell"] == cell and record["lr"] == lr and record["status"] == "ok":
            for step, seconds, value in record["curve"]:
                points[int(step)].append((seconds, value))
    xs, ys = [], []
    for step in sorted(points):
        pairs = points[step]
        xs.append(sum(p[0] for p in pairs) / len(pairs))
        ys.append(sum(p[1] for p in pairs) / len(pairs))
    return xs, ys


def findings(summary: SweepSummary, plan: SweepPlan) -> list[str]:
    """Plain sentences about what the numbers say (the learning rate against the cell)."""
    lines = []
    if summary.lr_effect is not None and summary.cell_effect is not None:
        lines.append(
            f"Changing the learning rate moved a cell's mean {summary.metric} by "
            f"{summary.lr_effect:.4f} on average; changing the cell (each at its best rate) by "
            f"at most {summary.cell_effect:.4f}."
        )
    verdicts = defaultdict(list)
    for row in summary.rows:
        if row.versus is not None:
            verdicts[row.versus.verdict].append(row.cell)
    phrases = {
        "better": f"better than {summary.baseline}",
        "worse": f"worse than {summary.baseline}",
        "within noise": f"within the noise of {summary.baseline}",
    }
    for verdict, phrase in phrases.items():
        if verdicts[verdict]:
            lines.append(f"{phrase}: {', '.join(verdicts[verdict])}")
    return lines
