"""``Tracker``: a progress bar, optionally with a live chart under it, for a lesson's loops.

In a terminal it redraws a few times a second. The chart is drawn live only
while the loop runs (the display is transient): the step's renderer shows the
finished chart once, so it is neither printed twice nor missing when a person
goes back to the step. What stays on screen after the loop is the bar's final
line. Elsewhere (pipes, tests) only that final line is printed.

The time left ("ETA") follows the loop's real budget: a run that stops at a
time limit (``time_limit`` seconds, e.g. lesson 3's ``--max-minutes``) shows
the smaller of "steps left at the current speed" and "time left in the
budget", never hours for a run that will stop in minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from minigrad.lessons.framework.chart import LineChart


def format_duration(seconds: float) -> str:
    """``75`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"`` (hours only when needed)."""
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class BudgetRemainingColumn(ProgressColumn):
    """Time left: steps left at the measured speed, capped by the time budget left."""

    def __init__(self, tracker: Tracker) -> None:
        super().__init__()
        self.tracker = tracker

    def render(self, task: Task) -> Text:
        """``left 3:10`` (or ``left -:--`` before the speed is known)."""
        if task.finished:
            return Text("")
        left = self.tracker.time_left(task)
        shown = "-:--" if left is None else format_duration(left)
        return Text(f"left {shown}", style="progress.remaining")


class Tracker:
    """A progress bar, optionally with a live chart under it (see ``LessonContext.track``).

    ``time_limit`` (seconds from the start of the loop, ``None``: no limit)
    caps the time-left estimate, for loops that stop at a time budget.
    ``clock`` is the time source (tests pass a fake one).
    """

    def __init__(
        self,
        console: Console,
        total: int,
        description: str,
        chart: LineChart | None,
        quiet: bool,
        time_limit: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.chart = chart
        self.quiet = quiet
        self.time_limit = time_limit
        self.clock = clock
        self.started = clock()
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=None if console.width >= 100 else 20),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            BudgetRemainingColumn(self),
            console=console,
            get_time=clock,
        )
        self.task = self.progress.add_task(description, total=total)
        self._live: Live | None = None

    def time_left(self, task: Task | None = None) -> float | None:
        """Seconds until the loop ends: by its steps or by its time budget, whichever is first."""
        task = task or self.progress.tasks[0]
        by_steps = task.time_remaining
        if self.time_limit is None:
            return by_steps
        by_time = max(0.0, self.time_limit - (self.clock() - self.started))
        return by_time if by_steps is None else min(by_steps, by_time)

    def _renderable(self) -> RenderableType:
        if self.chart is None:
            return self.progress
        return Group(self.progress, self.chart)

    def advance(self, steps: int = 1) -> None:
        """Move the bar ``steps`` forward."""
        self.progress.advance(self.task, steps)

    def describe(self, description: str) -> None:
        """Change the text in front of the bar (e.g. ``"epoch 3/10"``)."""
        self.progress.update(self.task, description=description)

    def set_total(self, total: int) -> None:
        """Change how many items the loop will run (the progress so far is kept)."""
        self.progress.update(self.task, total=total)

    def reset(self, total: int, description: str | None = None) -> None:
        """Start the bar again at zero with a new ``total``."""
        self.progress.reset(self.task, total=total, description=description or "")

    def __enter__(self) -> Tracker:
        self.started = self.clock()
        if not self.quiet and self.console.is_terminal:
            self._live = Live(
                get_renderable=self._renderable,
                console=self.console,
                refresh_per_second=4,
                transient=True,  # the chart is the renderer's to show, once
            )
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        if not self.quiet:
            self.console.print(self.progress.get_renderable())
