"""The graded exercises on the command line.

``minigrad exercises init [DIR]`` creates a workspace (default
``./minigrad-exercises``) and ``minigrad exercises list`` shows every exercise
with your progress. Grading and its companions are top-level commands, as in
rustlings (``minigrad exercises grade ...`` works too):

    minigrad grade [ID] [--timeout S] [--json PATH]   grade one exercise, or all
    minigrad hint ID                                  the next hint
    minigrad watch                                    re-grade each file on save
    minigrad solution ID                              the reference, once ID passes
    minigrad reset ID [--yes]                         put the stub back (asks first)

Every command but ``init`` takes ``--workspace DIR``; without it the
workspace is found as ``minigrad.lessons.grader.workspace`` explains.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from minigrad.cli.terminal import stdin_is_terminal

#: Exit code when a graded exercise does not pass (or a solution is still locked).
EXIT_NOT_PASSING = 1


def make_console() -> Console:
    """The console the commands print to (tests replace this function to record output)."""
    return Console()


def confirm(console: Console, question: str) -> bool:
    """Ask a yes/no question (default no)."""
    from rich.prompt import Confirm

    return Confirm.ask(question, console=console, default=False)


# ------------------------------------------------------------------ parsers
def _workspace_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-w",
        "--workspace",
        metavar="DIR",
        default=None,
        help="the exercise workspace (default: found from the current folder)",
    )


def _timeout_option(parser: argparse.ArgumentParser) -> None:
    from minigrad.lessons.grader.runner import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT

    parser.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=(
            f"stop one exercise's checks after this long (default: {DEFAULT_TIMEOUT:g}; "
            "inf: no limit)"
        ),
    )
    parser.add_argument(
        "--memory-limit",
        dest="memory_mb",
        type=_memory,
        default=DEFAULT_MEMORY_MB,
        metavar="MB",
        help=(
            f"memory your code may use while graded (default: {DEFAULT_MEMORY_MB}; none: no limit)"
        ),
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the random checks (default: a fresh one every run)",
    )


def _argument_type(check: Any) -> Any:
    """An argparse type from a grader validator (its ExerciseError becomes a usage error)."""
    from minigrad.lessons.grader.errors import ExerciseError

    def parse(text: str) -> Any:
        try:
            return check(text)
        except ExerciseError as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[-1]) from None

    return parse


def _timeout(text: str) -> float:
    from minigrad.lessons.grader.runner import validate_timeout

    value = "inf" if text.strip().lower() == "none" else text
    return float(_argument_type(validate_timeout)(value))


def _memory(text: str) -> int | None:
    from minigrad.lessons.grader.runner import validate_memory

    result: int | None = _argument_type(validate_memory)(text)
    return result


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _add_grade(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grade",
        help="grade one exercise, or all of them",
        description="Run the graded checks of exercise ID (all exercises without ID).",
    )
    parser.add_argument("id", nargs="?", metavar="ID", help="an exercise id, e.g. lesson1.rnn_cell")
    _workspace_option(parser)
    _timeout_option(parser)
    parser.add_argument(
        "--json",
        dest="json_path",
        metavar="PATH",
        help="also write the results as JSON to PATH (-: to standard output, tables to stderr)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="grade N exercises at a time (default: the CPU count, at most 4)",
    )
    parser.set_defaults(func=run_grade)


def _add_hint(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "hint",
        help="show the next hint of an exercise",
        description="Reveal the next hint of exercise ID (the ones seen before are shown too).",
    )
    parser.add_argument("id", metavar="ID", help="an exercise id")
    _workspace_option(parser)
    parser.set_defaults(func=run_hint)


def _add_watch(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "watch",
        help="grade each exercise file when you save it",
        description=(
            "Watch the workspace and grade an exercise whenever its file is saved. "
            "Keys (then Enter): r grade again, a grade all, h hint, l list, q quit."
        ),
    )
    _workspace_option(parser)
    _timeout_option(parser)
    parser.add_argument(
        "--interval",
        type=_positive_float,
        default=0.5,
        metavar="SECONDS",
        help="how often to look for saved files (default: 0.5)",
    )
    parser.set_defaults(func=run_watch)


def _add_solution(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "solution",
        help="show the reference solution of an exercise you have passed",
        description="Show the reference solution of exercise ID, once your code has passed.",
    )
    parser.add_argument("id", metavar="ID", help="an exercise id")
    _workspace_option(parser)
    parser.set_defaults(func=run_solution)


def _add_reset(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reset",
        help="restore an exercise's stub (asks first)",
        description=(
            "Replace your file of exercise ID with the original stub. Your version is "
            "saved under .minigrad/backups/ in the workspace first."
        ),
    )
    parser.add_argument("id", metavar="ID", help="an exercise id")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    _workspace_option(parser)
    parser.set_defaults(func=run_reset)


STUDENT_COMMANDS = (_add_grade, _add_hint, _add_watch, _add_solution, _add_reset)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``exercises`` (init, list, and the rest) and the top-level grading commands."""
    exercises = subparsers.add_parser(
        "exercises",
        help="graded exercises: create a workspace, list them",
        description=(
            "Graded exercises: write the pieces of the lessons yourself and have them checked. "
            "Start with `minigrad exercises init`."
        ),
    )
    actions = exercises.add_subparsers(title="actions", dest="action", metavar="ACTION")
    init = actions.add_parser(
        "init",
        help="create a workspace with every exercise's stub",
        description=(
            "Copy every exercise's stub into DIR (default: ./minigrad-exercises). Files that "
            "already exist are never overwritten; missing ones are copied again."
        ),
    )
    init.add_argument("directory", nargs="?", metavar="DIR", help="default: ./minigrad-exercises")
    init.set_defaults(func=run_init)
    listing = actions.add_parser(
        "list", help="every exercise, in order, with your progress", description="List exercises."
    )
    _workspace_option(listing)
    listing.set_defaults(func=run_list)
    for add in STUDENT_COMMANDS:
        add(actions)
    exercises.set_defaults(func=lambda args: _usage(exercises))
    for add in STUDENT_COMMANDS:
        add(subparsers)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


# ----------------------------------------------------------------- commands
def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from minigrad.lessons.grader.manifest import load_manifest
    from minigrad.lessons.grader.workspace import Workspace

    return Workspace.find(args.workspace), load_manifest()


def run_init(args: argparse.Namespace) -> int:
    """``minigrad exercises init [DIR]``."""
    from minigrad.lessons.grader.manifest import load_manifest
    from minigrad.lessons.grader.workspace import CREATED, KEPT, UNCHANGED, Workspace

    console = make_console()
    manifest = load_manifest()
    done = Workspace.init(args.directory, manifest)
    root = done.workspace.root
    verb = "Created" if done.new else "Checked"
    console.print(
        f"{verb} the exercise workspace [bold]{root}[/]: {len(manifest)} exercises, "
        f"{manifest.max_points} points."
    )
    created, kept, same = (done.count(a) for a in (CREATED, KEPT, UNCHANGED))
    console.print(f"  {created} stub(s) copied, {same} untouched stub(s) left as they were.")
    if kept:
        console.print(
            f"  {kept} file(s) you changed were kept as they are (init never overwrites):"
        )
        for exercise, action in done.actions:
            if action == KEPT:
                console.print(f"    {exercise.file}", style="cyan", highlight=False)
    first = manifest.exercises[0]
    then = [
        ("minigrad exercises list", "every exercise, in order"),
        ("minigrad grade", "grade all of them"),
        (f"minigrad hint {first.id}", "a hint when you are stuck"),
        ("minigrad watch", "grade each file when you save it"),
    ]
    width = max(len(command) for command, _ in then) + 2
    console.print(
        Panel(
            Text.assemble(
                "Start grading:\n",
                (f"  cd {root}\n", "bold"),
                f"  edit {first.file}: replace its `raise NotImplementedError`\n",
                (f"  minigrad grade {first.id}\n", "bold"),
                "Then:",
                *(f"\n  {command:<{width}}{what}" for command, what in then),
            ),
            title="Next",
            title_align="left",
        )
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    """``minigrad exercises list``."""
    from minigrad.lessons.grader import report
    from minigrad.lessons.grader.progress import Progress, summary

    workspace, manifest = _open(args)
    progress = Progress.load(workspace.progress_path)
    console = make_console()
    console.print(report.ExerciseList(manifest, progress))
    console.print(report.score_text(summary(workspace, manifest)))
    console.print(report.next_text(manifest, progress))
    return 0


def run_grade(args: argparse.Namespace) -> int:
    """``minigrad grade [ID]``."""
    from minigrad.lessons.grader import integrity, report
    from minigrad.lessons.grader.progress import Progress, summary
    from minigrad.lessons.grader.results import (
        check_result_path,
        result_document,
        write_result_file,
    )
    from minigrad.lessons.grader.runner import default_jobs, grade, new_seed, require_pytest

    workspace, manifest = _open(args)
    exercises = [manifest.get(args.id)] if args.id else list(manifest)
    require_pytest()
    if args.json_path:
        check_result_path(args.json_path)  # before any grading: a bad path fails at once
    integrity.verify()
    console = make_console()
    if args.json_path == "-":
        console.stderr = True  # standard output carries the JSON alone
    seed = args.seed if args.seed is not None else new_seed()
    jobs = args.jobs or default_jobs()
    progress_text = GradingStatus(len(exercises), args.timeout)
    with console.status(progress_text.text()) as status:

        def finished(result: Any) -> None:
            progress_text.done(result.exercise.id)
            status.update(progress_text.text())

        def ticking(exercise: Any, elapsed: float) -> None:
            progress_text.tick(exercise.id, elapsed)
            status.update(progress_text.text())

        results = grade(
            workspace,
            exercises,
            timeout=args.timeout,
            seed=seed,
            jobs=jobs,
            memory_mb=args.memory_mb,
            on_result=finished,
            on_progress=ticking,
        )
    progress = Progress.load(workspace.progress_path)
    for result in results:
        progress.record(result)
    progress.save()
    console.print(report.Grades(results))
    console.print(report.score_text(summary(workspace, manifest)))
    console.print(report.next_text(manifest, progress))
    if args.json_path:
        path = write_result_file(
            args.json_path, result_document(results, workspace=workspace.root, seed=seed)
        )
        if path is not None:
            console.print(f"Results written to {path}", style="dim", highlight=False)
    return 0 if all(r.passed for r in results) else EXIT_NOT_PASSING


class GradingStatus:
    """The spinner's line while grading: how many are done, and each running one's countdown."""

    def __init__(self, total: int, timeout: float) -> None:
        import threading

        self.total = total
        self.timeout = timeout
        self.finished: list[str] = []
        self.running: dict[str, float] = {}
        self.lock = threading.Lock()

    def tick(self, exercise_id: str, elapsed: float) -> None:
        """``exercise_id`` has been running for ``elapsed`` seconds."""
        with self.lock:
            self.running[exercise_id] = elapsed

    def done(self, exercise_id: str) -> None:
        """``exercise_id`` is graded."""
        with self.lock:
            self.running.pop(exercise_id, None)
            self.finished.append(exercise_id)

    def text(self) -> str:
        """``grading 3 of 18 · cells.gru: 57 s left``."""
        from minigrad.lessons.grader.report import countdown

        with self.lock:
            running = [f"{i}: {countdown(e, self.timeout)}" for i, e in self.running.items()]
            count = len(self.finished)
        head = f"graded {count} of {self.total}" if self.total > 1 else "grading"
        return " · ".join([head, *running[:2]]) + (" …" if not running else "")


def run_hint(args: argparse.Namespace) -> int:
    """``minigrad hint ID``."""
    from minigrad.lessons.grader import report
    from minigrad.lessons.grader.hints import reveal_next_hint
    from minigrad.lessons.grader.progress import Progress

    workspace, manifest = _open(args)
    exercise = manifest.get(args.id)
    shown, new = reveal_next_hint(Progress.load(workspace.progress_path), exercise)
    make_console().print(report.hints_panel(exercise, shown, new))
    return 0


def run_watch(args: argparse.Namespace) -> int:
    """``minigrad watch``."""
    from minigrad.lessons.grader.runner import require_pytest
    from minigrad.lessons.grader.watch import Watcher

    workspace, manifest = _open(args)
    require_pytest()
    watcher = Watcher(
        workspace,
        manifest,
        make_console(),
        timeout=args.timeout,
        interval=args.interval,
        seed=args.seed,
        memory_mb=args.memory_mb,
    )
    return watcher.run()


def run_solution(args: argparse.Namespace) -> int:
    """``minigrad solution ID``."""
    from minigrad.lessons.grader.progress import Progress

    workspace, manifest = _open(args)
    exercise = manifest.get(args.id)
    console = make_console()
    entry = Progress.load(workspace.progress_path).get(exercise.id)
    if not entry.passed_once:
        console.print(
            Text.assemble(
                ("The solution of ", "yellow"),
                (exercise.id, "bold yellow"),
                (" unlocks once your code passes: ", "yellow"),
                f"`minigrad grade {exercise.id}`. Stuck? `minigrad hint {exercise.id}`.",
            )
        )
        return EXIT_NOT_PASSING
    code = exercise.solution_path.read_text(encoding="utf-8")
    console.print(
        Panel(
            Syntax(code, "python", line_numbers=True, word_wrap=True),
            title=f"Reference solution of {exercise.id}",
            title_align="left",
        )
    )
    console.print(
        f"Compare it with yours: {workspace.path_of(exercise)}", style="dim", highlight=False
    )
    return 0


def run_reset(args: argparse.Namespace) -> int:
    """``minigrad reset ID``."""
    from minigrad.lessons.grader.errors import ExerciseError
    from minigrad.lessons.grader.progress import Progress

    workspace, manifest = _open(args)
    exercise = manifest.get(args.id)
    console = make_console()
    if not args.yes:
        if not stdin_is_terminal():
            raise ExerciseError(
                f"reset replaces {exercise.file} and asks first, but stdin is not a terminal; "
                f"add --yes: minigrad reset {exercise.id} --yes"
            )
        question = f"Replace {exercise.file} with the original stub? (your version is backed up)"
        if not confirm(console, question):
            console.print("Nothing changed.")
            return 0
    backup = workspace.restore_stub(exercise)
    progress = Progress.load(workspace.progress_path)
    progress.reset(exercise.id)
    progress.save()
    console.print(f"{exercise.file} is the stub again.", highlight=False)
    if backup is not None:
        shown = backup.relative_to(workspace.root).as_posix()
        console.print(f"Your previous version was saved as {shown}", style="dim", highlight=False)
    return 0
