"""``LessonRunner``: walks a person through a lesson, one step at a time.

For each step it shows the explanation (Markdown), the code that runs (its real
source, syntax-highlighted), runs it and shows the result. Between steps it
waits for a key: Enter goes on, ``b`` goes back (to re-read a step; its result
is shown again, not recomputed), ``q`` quits and remembers the furthest step
reached, ``?`` explains the keys. The prompt names the step, and on a terminal
long explanations and results are shown a screenful at a time (pager.py), so
the step's title and the prompt are on screen together. In auto mode it runs
every step without waiting. Ctrl-C stops cleanly: the progress is saved and
the summary written with status "interrupted". A step that raises a minigrad
error ends the run with status "failed" (the summary is written, then the
error goes on to the caller).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console, Group
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.pretty import Pretty
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

import minigrad as mg
from minigrad.errors import MinigradError
from minigrad.lessons.framework.context import LessonContext
from minigrad.lessons.framework.lesson import Lesson, LessonOptionError, Step
from minigrad.lessons.framework.pager import QUIT, show_paged
from minigrad.lessons.framework.plot import require_matplotlib, save_png
from minigrad.lessons.framework.progress import LessonProgress, ProgressStore
from minigrad.tensorboard import require_tensorboardx

#: How a run can end (``RunResult.status``).
STATUSES = ("completed", "quit", "interrupted", "failed")
#: Exit status after Ctrl-C (what a shell reports for SIGINT).
EXIT_INTERRUPTED = 130
KEYS_HELP = "[bold]Enter[/] next · [bold]b[/] back · [bold]q[/] quit · [bold]?[/] help"


@dataclass
class RunResult:
    """How a run ended: ``status`` is one of ``STATUSES``.

    "completed": every step ran; "quit": the person pressed ``q``; "interrupted":
    Ctrl-C; "failed": a step raised a minigrad error (the runner writes the
    summary and re-raises it, so a caller sees this status only in the summary).
    """

    status: str
    summary: dict[str, Any] = field(default_factory=dict)
    next_step: int = 0

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C, else 0 (a failed run raises instead of returning)."""
        return EXIT_INTERRUPTED if self.status == "interrupted" else 0


def check_output_path(path: Path, what: str = "--json") -> None:
    """Fail now, with a clear message, if ``path`` cannot be written at the end of a run.

    The folder must exist (it is not created: a typo should not make new
    folders) and be writable; an existing ``path`` must be a writable file.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise LessonOptionError(
            f"{what} {path} is a folder; give a file name, e.g. {path}/run.json"
        )
    if not folder.is_dir():
        raise LessonOptionError(
            f"{what} {path}: the folder {folder} does not exist; create it first or "
            "choose a path in an existing folder"
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise LessonOptionError(
            f"{what} {path}: cannot write there (permission denied); choose another path"
        )


def _json_default(value: Any) -> Any:
    """Make NumPy (and CuPy) scalars and arrays JSON-serialisable."""
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to the JSON summary")


def board_hint(logdir: Path | None, runs: list[Path]) -> str:
    """One line saying where the TensorBoard runs went and how to look at them."""
    names = ", ".join(run.name for run in runs)
    return (
        f"TensorBoard run(s) written to {logdir}: {names}. "
        f"See them with: tensorboard --logdir {logdir}"
    )


class LessonRunner:
    """Run ``lesson`` on ``console`` (pass ``Console(record=True)`` to capture the output).

    ``auto`` runs every step without prompts. ``json_path`` receives the
    summary at the end (also after ``q`` or Ctrl-C). ``plot_path`` receives
    the lesson's charts as a PNG (needs matplotlib). ``input_fn(prompt)``
    reads a key line (default: ``console.input``); tests pass a scripted one.
    ``start_at`` (a step id) replays the steps before it quietly and starts
    there; ``restart`` ignores the saved progress. ``logdir`` turns on
    TensorBoard logging: steps get writers from ``ctx.board`` (needs the
    ``tensorboard`` extra, checked before any step runs). ``menu``: the run was
    started from ``minigrad learn``'s menu (the closing message then says that
    Enter goes back to it). ``page``: show long steps a screenful at a time
    (default: on an interactive terminal, not in auto mode).

    Before anything runs, the lesson's ``preflight`` checks its options and
    the ``--json`` path is checked, so a bad path fails in a second, not
    after the training it would have recorded.
    """

    def __init__(
        self,
        lesson: Lesson,
        console: Console,
        *,
        config: Any = None,
        auto: bool = False,
        json_path: str | Path | None = None,
        seed: int = 0,
        device: str = "cpu",
        plot_path: str | Path | None = None,
        input_fn: Callable[[str], str] | None = None,
        store: ProgressStore | None = None,
        start_at: str | None = None,
        restart: bool = False,
        logdir: str | Path | None = None,
        menu: bool = False,
        page: bool | None = None,
    ) -> None:
        self.lesson = lesson
        self.console = console
        self.config = config if config is not None else lesson.make_config()
        self.auto = auto
        self.json_path = Path(json_path).expanduser() if json_path is not None else None
        if self.json_path is not None:
            check_output_path(self.json_path)
        self.plot_path = Path(plot_path) if plot_path is not None else None
        if self.plot_path is not None:
            require_matplotlib(self.plot_path)  # fail before any training, not after
        self.seed = int(seed)
        self.input_fn = input_fn or (lambda prompt: console.input(prompt))
        self.store = store if store is not None else ProgressStore()
        self.start_at = lesson.step_index(start_at) if start_at is not None else None
        self.restart = restart
        self.menu = menu
        self.page = (console.is_terminal and not auto) if page is None else page
        if lesson.preflight is not None:
            lesson.preflight(self.config)
        self.ctx = LessonContext(
            lesson, self.config, console, seed=self.seed, device=device, auto=auto
        )
        self.timings: dict[str, float] = {}
        self._shown: dict[str, list[Any]] = {}
        if logdir is not None:
            require_tensorboardx()  # fail before any training, not after
            self.ctx.logdir = Path(logdir)

    # ----------------------------------------------------------------- public
    def run(self) -> RunResult:
        """Run the lesson; return how it ended (progress and summary are saved)."""
        mg.manual_seed(self.seed)
        self._show_header()
        try:
            start = self._start_index()
        except KeyboardInterrupt:
            return self._finish("quit", 0)
        index, furthest = start, start
        try:
            while index < len(self.lesson.steps):
                step = self.lesson.steps[index]
                if self._show_step(index, step) == QUIT:
                    return self._finish("quit", furthest)
                if step.id not in self.ctx.results:
                    self._run_step(step)
                    furthest = max(furthest, index + 1)
                if self._show_result(index, step) == QUIT:
                    return self._finish("quit", max(furthest, index + 1))
                if self.auto:
                    index += 1
                    continue
                key = self._ask(index)
                if key == "q":
                    return self._finish("quit", furthest)
                index = max(0, index - 1) if key == "b" else index + 1
        except KeyboardInterrupt:
            self.console.print()
            self.console.print(
                Text(
                    f"Stopped at step {index + 1} ({self.lesson.steps[index].title}). "
                    "Your place is saved; run the same command to continue.",
                    style="yellow",
                )
            )
            return self._finish("interrupted", index)
        except MinigradError:
            self._finish("failed", index, show=False)
            raise
        return self._finish("completed", len(self.lesson.steps))

    # ------------------------------------------------------------ navigation
    def _start_index(self) -> int:
        """Where to begin: ``start_at``, the saved place (if the person agrees), or 0."""
        if self.start_at is not None:
            target = self.start_at
        elif self.auto or self.restart:
            target = 0
        else:
            saved = self.store.get(self.lesson.number)
            target = 0
            if 0 < saved.step_index < len(self.lesson.steps) and not saved.completed:
                step = self.lesson.steps[saved.step_index]
                answer = self._read(
                    f"You stopped before step {saved.step_index + 1} ({escape(step.title)}). "
                    "[bold]Enter[/] continues there, [bold]s[/] starts from the beginning: "
                )
                target = 0 if answer == "s" else saved.step_index
        if target:
            self._replay(target)
        return target

    def _replay(self, stop: int) -> None:
        """Run steps ``0..stop-1`` without showing them (their results feed later steps)."""
        self.ctx.quiet = True
        try:
            with self.console.status("Catching up: re-running the earlier steps quietly..."):
                for step in self.lesson.steps[:stop]:
                    self._run_step(step)
        finally:
            self.ctx.quiet = False
        self.console.print(Text(f"Caught up on {stop} earlier step(s).", style="dim"))

    def _read(self, prompt: str) -> str:
        try:
            return self.input_fn(prompt).strip().lower()
        except EOFError:
            return "q"

    def _status(self, index: int) -> str:
        """``Step 3/5 · Title``: printed above every prompt, so the step is always named."""
        return f"Step {index + 1}/{len(self.lesson.steps)} · {self.lesson.steps[index].title}"

    def _ask(self, index: int) -> str:
        """Read Enter / b / q (``?`` explains them; anything else asks again)."""
        last = index == len(self.lesson.steps) - 1
        ending = " (Enter finishes the lesson)" if last else ""
        self.console.print(Text(f"{self._status(index)} · done{ending}", style="dim"))
        prompt = f"{KEYS_HELP} › "
        while True:
            try:
                answer = self._read(prompt)
            except KeyboardInterrupt:
                return "q"
            if answer in ("", "b", "q"):
                return answer
            if answer in ("?", "h"):
                self._show_help(index)
                continue
            shown = answer if answer.isprintable() else "that key"
            self.console.print(Text(f"Unknown key {shown!r}: press ? for help.", style="yellow"))

    def _show_help(self, index: int) -> None:
        number = self.lesson.number
        ids = ", ".join(step.id for step in self.lesson.steps)
        lines = [
            "[bold]Enter[/]  go on to the next step",
            "[bold]b[/]      back to the previous step (shown again, not re-run)",
            "[bold]q[/]      quit; your place is saved and the next "
            f"`minigrad lesson {number}` continues there",
            "[bold]?[/]      this help",
            "Ctrl-C stops a long run cleanly (your place is saved too).",
            f"Jump to a step: `minigrad lesson {number} --step ID` (ids: {escape(ids)}).",
            f"`minigrad lesson {number} --help` lists the lesson's options.",
        ]
        self.console.print(
            Panel(Text.from_markup("\n".join(lines)), title=escape(self._status(index)))
        )

    # --------------------------------------------------------------- showing
    def _show_header(self) -> None:
        lesson = self.lesson
        options = Table.grid(padding=(0, 2))
        options.add_column(style="dim")
        options.add_column()
        for f in dataclasses.fields(self.config):
            options.add_row(f.name, str(getattr(self.config, f.name)))
        options.add_row("seed", str(self.seed))
        parts: list[Any] = [Markdown(lesson.intro)] if lesson.intro else []
        parts += [Text(""), options]
        if not self.auto:
            parts += [Text(""), Text.from_markup(f"Keys after each step: {KEYS_HELP}")]
        self.console.print(
            Panel(Group(*parts), title=f"[bold]{escape(lesson.title)}[/]", border_style="blue")
        )

    def _paged(self, index: int, renderables: list[Any]) -> str:
        return show_paged(self.console, renderables, self._status(index), self._read, self.page)

    def _show_step(self, index: int, step: Step) -> str:
        """The title, explanation and code of the step, paged on a terminal."""
        total = len(self.lesson.steps)
        self.console.print()
        shown: list[Any] = [Rule(f"[bold]Step {index + 1}/{total} · {escape(step.title)}[/]")]
        if step.text:
            shown.append(Markdown(step.text))
        for name, source in step.sources():
            code = Syntax(source, "python", theme="ansi_dark", word_wrap=True)
            shown.append(Panel(code, title=f"code: {name}", title_align="left"))
        return self._paged(index, shown)

    def _run_step(self, step: Step) -> None:
        began = time.perf_counter()
        self.ctx.results[step.id] = step.run(self.ctx)
        self.timings[step.id] = time.perf_counter() - began

    def _show_result(self, index: int, step: Step) -> str:
        """The step's result (rendered once, shown again on ``b``), hints and exercises."""
        result = self.ctx.results.get(step.id)
        if step.id not in self._shown:
            if step.render is not None:
                shown = step.render(result, self.ctx)
            else:
                shown = None if result is None else Pretty(result)
            if shown is None:
                shown = []
            elif not isinstance(shown, (list, tuple)):
                shown = [shown]
            self._shown[step.id] = list(shown)
        shown = list(self._shown[step.id])
        if step.hints:
            hints = Markdown("\n".join(f"- {hint}" for hint in step.hints))
            shown.append(Panel(hints, title="Try this", title_align="left", style="dim"))
        if step.exercises:
            label = "Graded exercise" if len(step.exercises) == 1 else "Graded exercises"
            shown.append(
                Text(f"{label} for this step: {', '.join(step.exercises)}", style="dim italic")
            )
        return self._paged(index, shown)

    # ------------------------------------------------------------- finishing
    def summary(self, status: str) -> dict[str, Any]:
        """The machine-readable summary: runner fields plus everything steps reported."""
        return {
            "lesson": self.lesson.number,
            "title": self.lesson.title,
            "status": status,
            "seed": self.seed,
            "device": self.ctx.device,
            "config": dataclasses.asdict(self.config),
            "steps": [
                {
                    "id": step.id,
                    "title": step.title,
                    "done": step.id in self.ctx.results,
                    "seconds": round(self.timings.get(step.id, 0.0), 4),
                    **({"exercises": step.exercises} if step.exercises else {}),
                }
                for step in self.lesson.steps
            ],
            **self.ctx.summary,
        }

    def _finish(self, status: str, next_step: int, show: bool = True) -> RunResult:
        assert status in STATUSES, status
        total = len(self.lesson.steps)
        completed = status == "completed" or next_step >= total
        saved = self.store.get(self.lesson.number)
        place = LessonProgress(
            step_index=0 if completed else min(next_step, total - 1),
            step_id="" if completed else self.lesson.steps[min(next_step, total - 1)].id,
            completed=completed or (saved.completed and next_step == 0),
        )
        try:
            self.store.save(self.lesson.number, place)
        except OSError as exc:  # never lose a finished lesson over a read-only home
            self.console.print(Text(f"(could not save your progress: {exc})", style="dim"))
        summary = self.summary(status)
        if self.json_path is not None:
            self.json_path.parent.mkdir(parents=True, exist_ok=True)
            self.json_path.write_text(
                json.dumps(summary, indent=2, default=_json_default) + "\n", encoding="utf-8"
            )
        runs = self.ctx.close_boards()
        if runs and show:
            self.console.print(Text(board_hint(self.ctx.logdir, runs), style="dim"))
        if self.plot_path is not None and self.ctx.charts and status != "failed":
            written = save_png(self.ctx.charts, self.plot_path)
            if show:
                self.console.print(Text(f"Charts written to {written}", style="dim"))
        if show:
            self._show_footer(status, place)
        return RunResult(status, summary, place.step_index)

    def _show_footer(self, status: str, place: LessonProgress) -> None:
        number = self.lesson.number
        if status == "completed":
            if self.menu:
                message = f"Lesson {number} complete. Back to the menu: pick what comes next."
            else:
                message = f"Lesson {number} complete. `minigrad learn` shows what comes next."
            style = "green"
        elif status == "quit":
            step = self.lesson.steps[place.step_index]
            message = (
                f"See you soon: `minigrad lesson {number}` continues at step "
                f"{place.step_index + 1} ({step.title})."
            )
            style = "blue"
        else:
            return
        if self.json_path is not None:
            message += f" Summary written to {self.json_path}."
        self.console.print()
        self.console.print(Panel(Text(message), border_style=style))
