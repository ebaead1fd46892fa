"""The lesson framework: declare a lesson, run it step by step, chart its losses.

* ``Lesson``, ``Step``, ``option``: how a lesson is declared (lesson.py; the
  text lives in the lesson's content.md, parsed by content.py).
* ``LessonContext``: what a step function receives (context.py).
* ``LessonRunner``: shows and runs the steps on a rich Console (runner.py).
* ``LineChart``: the terminal chart (chart.py); ``save_png`` for ``--plot``.
* ``ProgressStore``, ``state_dir``: where a person left off (progress.py).

See README.md in this folder for a worked example.
"""

from minigrad.lessons.framework.chart import LineChart, side_by_side
from minigrad.lessons.framework.content import (
    ContentError,
    LessonContent,
    Section,
    load_content,
    parse_content,
)
from minigrad.lessons.framework.context import LessonContext, Tracker
from minigrad.lessons.framework.lesson import (
    Lesson,
    LessonOptionError,
    OptionSpec,
    Step,
    option,
    option_specs,
)
from minigrad.lessons.framework.plot import PlotUnavailableError, require_matplotlib, save_png
from minigrad.lessons.framework.progress import LessonProgress, ProgressStore, state_dir
from minigrad.lessons.framework.runner import EXIT_INTERRUPTED, LessonRunner, RunResult

__all__ = [
    "EXIT_INTERRUPTED",
    "ContentError",
    "Lesson",
    "LessonContent",
    "LessonContext",
    "LessonOptionError",
    "LessonProgress",
    "LessonRunner",
    "LineChart",
    "OptionSpec",
    "PlotUnavailableError",
    "ProgressStore",
    "RunResult",
    "Section",
    "Step",
    "Tracker",
    "load_content",
    "option",
    "option_specs",
    "parse_content",
    "require_matplotlib",
    "save_png",
    "side_by_side",
    "state_dir",
]
