"""From run records to one row per cell: best learning rate, mean +- spread, vs the LSTM.

For each cell, the learning rate with the lowest mean *validation* metric over
the seeds is chosen (a rate where a seed diverged is not eligible); the row
then reports that rate's validation and *test* values. The test data played no
part in the choice, so the test column is not flattered by it. Each cell's test
values are compared with the baseline cell's (the LSTM) by Welch's t-test
(``stats.py``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from .stats import Comparison, mean_std, welch
from .sweep import BASELINE_CELL, SweepPlan
from .tasks import get_task


@dataclass
class CellSummary:
    """One row of the final table."""

    cell: str
    params: int
    hidden_size: int
    best_lr: float | None
    seeds: int
    metric_mean: float | None
    metric_std: float | None
    test_mean: float | None
    test_std: float | None
    seconds: float
    label: str
    lr_means: dict[str, float | None] = field(default_factory=dict)
    diverged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    versus: Comparison | None = None
    test_values: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly (non-finite numbers become None)."""
        data = asdict(self)
        data["versus"] = _clean(asdict(self.versus)) if self.versus else None
        return _clean(data)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


@dataclass
class SweepSummary:
    """Every cell's row (best first), the baseline's name, and the learning-rate effect."""

    task: str
    metric: str
    baseline: str | None
    rows: list[CellSummary]
    lr_effect: float | None  # mean over cells of (worst - best) mean metric across rates
    cell_effect: float | None  # (worst - best) best-rate metric across cells

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form of the summary."""
        return {
            "baseline": self.baseline,
            "lr_effect": _clean(self.lr_effect),
            "cell_effect": _clean(self.cell_effect),
            "cells": [row.as_dict() for row in self.rows],
        }


def summarise(plan: SweepPlan, records: list[dict[str, Any]]) -> SweepSummary:
    """The table of a sweep (see the module docstring)."""
    task = get_task(plan.task)
    by_cell: dict[str, dict[float, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        by_cell[record["cell"]][float(record["lr"])].append(record)
    rows = [_row(plan, cell.label, by_cell[cell.label], task) for cell in plan.cells]
    labels = [row.cell for row in rows]
    baseline = BASELINE_CELL if BASELINE_CELL in labels else (labels[0] if labels else None)
    base = next((row for row in rows if row.cell == baseline), None)
    for row in rows:
        if base is not None and row is not base and row.test_values and base.test_values:
            row.versus = welch(row.test_values, base.test_values)
    rows.sort(key=lambda r: (r.metric_mean is None, r.metric_mean or 0.0))
    spreads = []
    for row in rows:
        values = [v for v in row.lr_means.values() if v is not None]
        if len(values) > 1:
            spreads.append(max(values) - min(values))
    best = [row.metric_mean for row in rows if row.metric_mean is not None]
    return SweepSummary(
        plan.task,
        task.metric_name,
        baseline,
        rows,
        sum(spreads) / len(spreads) if spreads else None,
        max(best) - min(best) if len(best) > 1 else None,
    )


def _row(
    plan: SweepPlan, cell: str, by_lr: dict[float, list[dict[str, Any]]], task: Any
) -> CellSummary:
    lr_means: dict[str, float | None] = {}
    best_lr, best_mean = None, math.inf
    diverged = failed = 0
    errors: list[str] = []
    for lr in plan.lrs:
        runs = by_lr.get(lr, [])
        ok = [r for r in runs if r["status"] == "ok"]
        diverged += sum(r["status"] == "diverged" for r in runs)
        failed += sum(r["status"] == "failed" for r in runs)
        errors += [r["error"] for r in runs if r["status"] == "failed" and r.get("error")]
        usable = ok and len(ok) == len(runs)
        mean = mean_std([r["metric"] for r in ok])[0] if usable else None
        lr_means[f"{lr:g}"] = mean
        if mean is not None and mean < best_mean:
            best_lr, best_mean = lr, mean
    row = CellSummary(
        cell=cell, params=plan.params[cell], hidden_size=plan.hidden[cell], best_lr=best_lr,
        seeds=0, metric_mean=None, metric_std=None, test_mean=None, test_std=None, seconds=0.0,
        label="no usable run", lr_means=lr_means, diverged=diverged, failed=failed,
        errors=sorted(set(errors))[:3],
    )  # fmt: skip
    if best_lr is None:
        return row
    chosen = by_lr[best_lr]
    row.seeds = len(chosen)
    row.metric_mean, row.metric_std = mean_std([r["metric"] for r in chosen])
    row.test_values = [r["test"] for r in chosen]
    row.test_mean, row.test_std = mean_std(row.test_values)
    row.seconds = sum(r["seconds"] for r in chosen) / len(chosen)
    row.label = task.label(row.test_mean, plan.settings)
    return row
