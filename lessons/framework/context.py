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
from pathlib import Path
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
        #: Where ``board`` puts TensorBoard runs (``--logdir``); None: no logging.
        self.logdir: Path | None = None
        self.boards: dict[str, Any] = {}

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

    def board(self, *parts: Any, fresh: bool = True) -> Any:
        """A TensorBoard writer for one run of this lesson, or None without ``--logdir``.

        The run's folder is ``<logdir>/lesson<N>-<parts>-seed<S>`` (see
        ``minigrad.tensorboard.run_dir``; ``fresh=False`` appends to an existing
        run, as resuming does). The same parts give the same writer; the runner
        closes them all when the lesson ends.
        """
        if self.logdir is None:
            return None
        from minigrad.tensorboard import SummaryWriter, run_name

        key = run_name(f"lesson{self.lesson.number}", *parts, seed=self.seed)
        if key not in self.boards:
            self.boards[key] = SummaryWriter.for_run(
                self.logdir, f"lesson{self.lesson.number}", *parts, seed=self.seed, fresh=fresh
            )
        return self.boards[key]

    def close_boards(self) -> list[Path]:
        """Close every writer ``board`` opened; return their run folders."""
        folders = [writer.logdir for writer in self.boards.values()]
        for writer in self.boards.values():
            writer.close()
        self.boards.clear()
        return folders

    def print(self, *renderables: Any) -> None:
        """Print to the lesson's console (nothing while the runner replays quietly)."""
        if not self.quiet:
            self.console.print(*renderables)

    def note(self, message: str) -> None:
        """Print a dim one-line remark."""
        self.print(Text(message, style="dim"))
