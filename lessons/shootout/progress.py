"""The live view of a sweep: runs done, running and left, an ETA, and the latest results.

In a terminal it redraws a few times a second; in a pipe or a test's recording
console it prints one line per finished run instead, so logs stay readable.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from .spec import RunSpec
from .sweep import SweepPlan, SweepWatcher

#: How many finished runs the view lists under the bar.
RECENT = 5


def describe(record: dict[str, Any]) -> str:
    """``lstm lr=0.01 seed=1: 0.0123 (45.2 s)`` or the run's status."""
    head = f"{record['cell']} lr={record['lr']:g} seed={record['seed']}"
    if record["status"] != "ok":
        return f"{head}: {record['status']}"
    return f"{head}: {record['metric']:.4f} ({record['seconds']:.1f} s)"


class LiveView(SweepWatcher):
    """A ``SweepWatcher`` that draws the sweep on ``console`` (use it as a context manager)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
        )
        self.task = self.progress.add_task("runs", total=None)
        self.running: dict[str, tuple[RunSpec, float]] = {}
        self.recent: deque[str] = deque(maxlen=RECENT)
        self.failures = 0
        self.live: Live | None = None

    def __enter__(self) -> LiveView:
        if self.console.is_terminal:
            self.live = Live(get_renderable=self.render, console=self.console, refresh_per_second=4)
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def render(self) -> RenderableType:
        """The bar, the runs in progress and the latest results."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim")
        table.add_column(overflow="ellipsis", no_wrap=True)
        now = time.monotonic()
        for spec, began in list(self.running.values()):
            label = f"{spec.cell.label} lr={spec.lr:g} seed={spec.seed}"
            table.add_row("running", f"{label} ({now - began:.0f} s)")
        for line in self.recent:
            table.add_row("done", line)
        return Group(self.progress, table)

    def on_plan(self, plan: SweepPlan, done: int, where: str) -> None:
        """Set the bar's total; say what is reused and where runs go."""
        self.progress.reset(self.task, total=len(plan.runs), completed=done)
        message = f"{len(plan.runs)} runs ({len(plan.cells)} cells x {len(plan.lrs)} rates x "
        message += f"{len(plan.seeds)} seeds) on {where}"
        if done:
            message += f"; {done} already in the results file, not run again"
        self.console.print(Text(message, style="dim"))

    def on_start(self, spec: RunSpec) -> None:
        """Show the run as running."""
        self.running[spec.key] = (spec, time.monotonic())

    def on_finish(self, spec: RunSpec, record: dict[str, Any]) -> None:
        """Move the bar; list the result (print it when there is no live display)."""
        self.running.pop(spec.key, None)
        self.progress.advance(self.task)
        line = describe(record)
        self.recent.appendleft(line)
        self.failures += record["status"] != "ok"
        if self.live is None:
            done = int(self.progress.tasks[0].completed)
            total = int(self.progress.tasks[0].total or 0)
            self.console.print(f"[{done}/{total}] {line}", highlight=False)
