"""How grades, progress and hints look in the terminal (rich renderables, nothing printed here)."""

from __future__ import annotations

import math
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from minigrad.lessons.grader.manifest import Exercise, Manifest
from minigrad.lessons.grader.progress import NOT_GRADED, Progress
from minigrad.lessons.grader.results import ExerciseResult

#: How each status is shown: (label, style).
STATUS = {
    "pass": ("✓ pass", "bold green"),
    "fail": ("✗ fail", "bold red"),
    "error": ("! error", "bold magenta"),
    "timeout": ("⏱ timeout", "bold yellow"),
    NOT_GRADED: ("· not graded", "dim"),
}


def status_text(status: str) -> Text:
    """The coloured label of a status."""
    label, style = STATUS.get(status, (status, ""))
    return Text(label, style=style)


#: Below this many columns, tables drop their widest column (titles, messages) to their own lines.
WIDE = 110
ALL_OR_NOTHING = "Points are all or nothing: every check of an exercise must pass."


def _checks_label(result: ExerciseResult) -> str:
    return f"{result.checks_passed}/{len(result.checks)} checks" if result.checks else ""


def results_table(results: list[ExerciseResult], title: str = "Grades") -> Table:
    """One row per graded exercise: points, status and the first failing check (wide terminals)."""
    table = Table(
        title=title,
        title_style="bold",
        show_lines=False,
        expand=False,
    )
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("exercise", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("first failing check", min_width=30)
    for r in results:
        checks = f" ({_checks_label(r)})" if r.checks and not r.passed else ""
        table.add_row(
            str(r.exercise.order),
            r.exercise.id,
            f"{r.points}/{r.max_points}",
            status_text(r.status).append(checks, style="dim"),
            Text(r.message or "", style="") if not r.passed else Text("—", style="dim"),
        )
    return table


def results_lines(results: list[ExerciseResult], title: str = "Grades") -> Group:
    """The same as ``results_table`` for narrow terminals: each message on its own lines below."""
    width = max([len("exercise")] + [len(r.exercise.id) for r in results])
    parts: list[Any] = [
        Text(title, style="bold"),
        Text(f"  #  {'exercise':<{width}}  points  status", style="bold"),
    ]
    for r in results:
        line = Text(f"{r.exercise.order:>3}  ", style="dim")
        line.append(f"{r.exercise.id:<{width}}  ")
        line.append(f"{r.points:>3}/{r.max_points:<2}  ")
        line.append_text(status_text(r.status))
        if r.checks and not r.passed:
            line.append(f" · {_checks_label(r)}", style="dim")
        parts.append(line)
        if not r.passed and r.message:
            parts.append(Padding(Text(r.message), (0, 0, 0, 5)))
    parts.append(Text(ALL_OR_NOTHING, style="dim"))
    return Group(*parts)


class Grades:
    """The grades of a run, laid out for the terminal's width (``results_table``/``_lines``)."""

    def __init__(self, results: list[ExerciseResult], title: str = "Grades") -> None:
        self.results = results
        self.title = title

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width >= WIDE:
            yield results_table(self.results, self.title)
            yield Text(ALL_OR_NOTHING, style="dim")
        else:
            yield results_lines(self.results, self.title)


def progress_table(manifest: Manifest, progress: Progress, wide: bool = True) -> Table:
    """Every exercise in order, with its last grade (``minigrad exercises list``).

    ``wide=False`` (an 80-column terminal) leaves out the titles and the
    borders: one line per exercise, and the whole list fits 24 rows.
    """
    example = manifest.exercises[0] if manifest.exercises else None
    where = f"exercise {example.id} is the file {example.file}; " if example is not None else ""
    table = Table(
        title="minigrad exercises" if wide else None,
        title_style="bold",
        caption=(where if wide else "") + "points are all or nothing",
        caption_style="dim",
        box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD,
        show_edge=wide,
    )
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("exercise", no_wrap=not wide)
    table.add_column("lesson", style="dim", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for e in manifest:
        entry = progress.records.get(e.id)
        status = entry.status if entry is not None else NOT_GRADED
        earned = e.points if status == "pass" else 0
        step = f"{e.lesson}: {e.step}" if e.lesson is not None and e.step else ""
        name = Text(e.id, style="bold")
        if wide:
            name.append(f"\n{e.title}", style="dim")
        table.add_row(str(e.order), name, step, f"{earned}/{e.points}", status_text(status))
    return table


class ExerciseList:
    """``minigrad exercises list``'s table, with titles when the terminal is wide enough."""

    def __init__(self, manifest: Manifest, progress: Progress) -> None:
        self.manifest = manifest
        self.progress = progress

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield progress_table(self.manifest, self.progress, wide=options.max_width >= WIDE)


def countdown(elapsed: float, timeout: float) -> str:
    """``"57 s left"`` while checks run (``"12 s, no time limit"`` without a limit)."""
    if math.isinf(timeout):
        return f"{elapsed:.0f} s, no time limit"
    return f"{max(timeout - elapsed, 0):.0f} s left"


def score_text(summary: dict[str, Any]) -> Text:
    """``Score: 16/145 points · 2 of 18 exercises pass``."""
    text = Text("Score: ", style="bold")
    text.append(f"{summary['points']}/{summary['max_points']} points", style="bold")
    text.append(f" · {summary['passed']} of {summary['total']} exercises pass")
    return text


def next_exercise(manifest: Manifest, progress: Progress) -> Exercise | None:
    """The first exercise, in order, whose last grade is not a pass."""
    for e in manifest:
        entry = progress.records.get(e.id)
        if entry is None or entry.status != "pass":
            return e
    return None


def next_text(manifest: Manifest, progress: Progress) -> Text:
    """What to do next: the first exercise that does not pass yet, or congratulations."""
    upcoming = next_exercise(manifest, progress)
    if upcoming is None:
        return Text("Every exercise passes. Well done!", style="bold green")
    text = Text("Next: ")
    text.append(upcoming.id, style="bold")
    text.append(f" — edit {upcoming.file}, then `minigrad grade {upcoming.id}`")
    text.append(f" (stuck? `minigrad hint {upcoming.id}`)", style="dim")
    return text


def result_panel(result: ExerciseResult) -> Panel:
    """One exercise's grade, as ``minigrad watch`` shows it after each save."""
    e = result.exercise
    if result.passed:
        body: Any = Text(f"all {len(result.checks)} checks pass: +{e.points} points", style="green")
    else:
        lines = [Text(result.message or "", style="")]
        if result.checks:
            lines.insert(0, Text(f"{result.checks_passed} of {len(result.checks)} checks pass"))
        body = Group(*lines)
    title = status_text(result.status).append(f"  {e.id}", style="bold").append(f"  ({e.file})")
    return Panel(body, title=title, title_align="left", border_style=STATUS[result.status][1])


def hints_panel(exercise: Exercise, shown: int, new: bool) -> Panel:
    """The hints revealed so far (the newest last)."""
    total = len(exercise.hints)
    parts = [Text(exercise.title, style="bold")]
    for k, hint in enumerate(exercise.hints[:shown], 1):
        style = "" if (k == shown and new) else "dim"
        parts.append(
            Text(f"Hint {k} of {total}: ", style="bold " + style).append(hint, style=style)
        )
    if shown >= total:
        parts.append(
            Text(
                "That was the last hint. The reference solution unlocks once your code "
                f"passes: `minigrad solution {exercise.id}`.",
                style="italic",
            )
        )
    else:
        parts.append(Text(f"`minigrad hint {exercise.id}` again for the next one.", style="dim"))
    return Panel(Group(*parts), title=f"hints of {exercise.id}", title_align="left")


def lesson_cell(summary: dict[str, Any] | None, lesson: int) -> Text:
    """A second line for a lesson's progress in the ``minigrad learn`` menu: ``2/7 exercises``.

    Empty when the lesson has no exercises or the exercises cannot be read.
    """
    agg = (summary or {}).get("lessons", {}).get(lesson)
    if not agg:
        return Text("")
    if not summary.get("initialised"):
        return Text(f"\n{agg['total']} exercises", style="dim")
    done = agg["passed"] == agg["total"]
    label = f"\n{agg['passed']}/{agg['total']} exercises" + (" ✓" if done else "")
    return Text(label, style="green" if done else "")


def menu_caption(summary: dict[str, Any] | None) -> str | None:
    """One line under the ``minigrad learn`` menu about the graded exercises."""
    if summary is None:
        return None
    if not summary["initialised"]:
        return (
            f"{summary['total']} graded exercises go with the lessons: "
            "`minigrad exercises init` creates your workspace."
        )
    return (
        f"Graded exercises: {summary['points']}/{summary['max_points']} points "
        f"({summary['workspace']}); `minigrad exercises list` shows them."
    )
