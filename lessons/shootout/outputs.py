"""The files a sweep writes: ``--json`` (everything), ``--csv`` (one line per run), ``--plot``.

JSON schema (``SCHEMA_VERSION`` 1)::

    {"schema": 1, "task": "adding", "metric": "validation MSE", "preset": "quick",
     "settings": {...}, "budget": 2500, "lrs": [...], "seeds": [0, 1],
     "references": {"predict 1": 0.1667}, "executor": "...", "seconds": 123.4,
     "runs": [{"cell", "seed", "lr", "params", "hidden_size", "metric" (final
               validation value, null if diverged), "test", "seconds", "steps",
               "status", "curve": [[step, seconds, validation], ...], ...}, ...],
     "summary": {"baseline": "lstm", "lr_effect", "cell_effect",
                 "cells": [{"cell", "params", "best_lr", "metric_mean", "metric_std",
                            "test_mean", "test_std", "label", "lr_means", "versus", ...}]}}
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from minigrad.atomic import replace_atomically
from minigrad.errors import DataError
from minigrad.lessons.framework import save_png

from .render import charts
from .summary import SweepSummary
from .sweep import SweepPlan
from .tasks import get_task

SCHEMA_VERSION = 1
CSV_FIELDS = (
    "task", "cell", "seed", "lr", "hidden_size", "params", "metric", "test", "seconds",
    "cpu_seconds", "steps", "status",
)  # fmt: skip


def report(
    plan: SweepPlan, records: list[dict[str, Any]], summary: SweepSummary, **extra: Any
) -> dict[str, Any]:
    """The JSON document of a sweep (see the module docstring)."""
    return {
        "schema": SCHEMA_VERSION,
        "task": plan.task,
        "metric": summary.metric,
        "preset": plan.preset,
        "settings": plan.settings,
        "budget": plan.budget,
        "lrs": list(plan.lrs),
        "seeds": list(plan.seeds),
        "references": get_task(plan.task).references(plan.settings),
        **extra,
        "runs": records,
        "summary": summary.as_dict(),
    }


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (``minigrad.atomic``), making its folder."""
    path = path.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(str(path), lambda f: f.write(text.encode("utf-8")))
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc}") from exc


def write_json(path: str | os.PathLike, document: dict[str, Any]) -> Path:
    """``document`` as indented JSON at ``path`` (atomically)."""
    target = Path(path)
    _atomic_write(target, json.dumps(document, indent=2, allow_nan=False) + "\n")
    return target


def write_csv(path: str | os.PathLike, records: list[dict[str, Any]]) -> Path:
    """One row per run with the ``CSV_FIELDS`` columns (atomically)."""
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({k: record.get(k) for k in CSV_FIELDS})
    target = Path(path)
    _atomic_write(target, buffer.getvalue())
    return target


def write_plot(
    path: str | os.PathLike, summary: SweepSummary, plan: SweepPlan, records: list[dict]
) -> Path:
    """The two terminal charts drawn with matplotlib (the ``plot`` extra)."""
    return save_png(charts(summary, plan, records), Path(path))
