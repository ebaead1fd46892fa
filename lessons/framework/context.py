"""What a step function receives: ``LessonContext`` (config, seeds, shared state, output).

A step is ``def run(ctx: LessonContext) -> result``. Through ``ctx`` it reads
the lesson's config, gets seeded random generators, leaves objects for later
steps in ``ctx.state``, reports numbers for the ``--json`` summary, and shows
progress bars and live charts that work the same in a terminal, in a pipe
(``--auto``) and in a test's recording console.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.text import Text

from minigrad.errors import MinigradError
from minigrad.lessons.framework.chart import LineChart
from minigrad.lessons.framework.tracker import Tracker

if TYPE_CHECKING:  # lesson.py imports this module's LessonContext for its annotations
    from minigrad.lessons.framework.lesson import Lesson

#: Keys of the JSON summary the runner fills itself; ``report`` may not use them.
RESERVED_KEYS = ("lesson", "title", "status", "seed", "device", "config", "steps")


class LessonContext:
    """Everything a step function may use; one context lives for one run of a lesson.

    Attributes: ``lesson``, ``config`` (the lesson's config dataclass),
    ``seed``, ``device`` ("cpu" or "cuda"), ``console``, ``auto``, ``state``
    (a namespace where steps leave objects for later steps), ``results``
    (step id -> what its ``run`` returned), ``summary`` (what ``report``
    stored), ``charts`` (charts made with ``chart``, written by ``--plot``).
    """

    def __init__(
        self,
        lesson: Lesson,
        config: Any,
        console: Console,
        *,
        seed: int = 0,
        device: str = "cpu",
        auto: bool = False,
    ) -> None:
        self.lesson = lesson
        self.config = config
        self.console = console
        self.seed = int(seed)
        self.device = device
        self.auto = auto
        self.state = SimpleNamespace()
        self.results: dict[str, Any] = {}
        self.summary: dict[str, Any] = {}
        self.charts: list[LineChart] = []
        #: True while the runner replays earlier steps without showing them.
        self.quiet = False

    def rng(self, stream: str) -> np.random.Generator:
        """A NumPy generator for ``stream``, fixed by ``(seed, stream)``.

        Each purpose gets its own stream ("data", "init", ...), so a step gives
        the same numbers whether it runs first, after going back, or on resume.
        """
        return np.random.default_rng([self.seed, zlib.crc32(stream.encode("utf-8"))])

    def report(self, key: str, value: Any) -> None:
        """Put ``value`` under ``key`` in the ``--json`` summary (JSON-friendly values)."""
        if key in RESERVED_KEYS:
            raise MinigradError(
                f"lesson {self.lesson.number}: report key {key!r} is reserved for the runner "
                f"({', '.join(RESERVED_KEYS)}); pick another name"
            )
        self.summary[key] = value

    def chart(self, title: str = "", **options: Any) -> LineChart:
        """A new ``LineChart`` that ``--plot FILE.png`` will also draw with matplotlib."""
        chart = LineChart(title, **options)
        self.charts.append(chart)
        return chart

    @contextmanager
    def track(
        self,
        total: int,
        description: str = "",
        chart: LineChart | None = None,
        time_limit: float | None = None,
    ) -> Iterator[Tracker]:
        """A progress bar (and live ``chart`` under it) for a loop of ``total`` items.

        ``with ctx.track(n, "training", chart) as bar: ... bar.advance()``. In a
        terminal it redraws a few times a second and the chart is live only
        while the loop runs (show the finished chart from the step's renderer);
        elsewhere (pipes, tests) it prints the bar's final state once.
        ``time_limit`` (seconds) caps the time-left estimate for a loop that
        stops at a time budget.
        """
        tracker = Tracker(self.console, total, description, chart, self.quiet, time_limit)
        with tracker:
            yield tracker

    def print(self, *renderables: Any) -> None:
        """Print to the lesson's console (nothing while the runner replays quietly)."""
        if not self.quiet:
            self.console.print(*renderables)

    def note(self, message: str) -> None:
        """Print a dim one-line remark."""
        self.print(Text(message, style="dim"))
