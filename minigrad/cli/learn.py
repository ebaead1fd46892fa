"""``minigrad learn`` (the menu of lessons) and ``minigrad lesson N`` (run one lesson).

``minigrad lesson N --help`` lists lesson N's own options (its hyperparameters);
they are parsed in a second stage, once N is known, so each lesson keeps its
own flags and defaults. Options common to every lesson may come before or
after N.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from minigrad.cli.terminal import read_key, stdin_is_terminal
from minigrad.errors import MinigradError


def make_console() -> Console:
    """The console lessons print to (tests replace this function to record output)."""
    return Console()


def key_reader(console: Console) -> Any:
    """``prompt -> key``: one key press on a terminal, a typed line elsewhere.

    The prompt (rich markup) is printed through ``console``; see
    ``minigrad.cli.terminal.read_key``.
    """

    def write(text: str) -> None:
        if text == "\n":
            console.print()
        else:
            console.print(text, end="")
        console.file.flush()

    return lambda prompt: read_key(prompt, write)


def add_common_arguments(parser: argparse.ArgumentParser, step_ids_help: str = "") -> None:
    """Options every lesson accepts (``step_ids_help``: the help of ``--step``, with the ids)."""
    parser.add_argument(
        "--auto",
        action="store_true",
        default=False,
        help="run every step without waiting for a key (automatic when stdin is not a terminal)",
    )
    parser.add_argument("--json", dest="json_path", metavar="PATH", help="write a JSON summary")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--plot", dest="plot_path", metavar="FILE.png", help="save the charts")
    parser.add_argument(
        "--device", choices=("cpu", "cuda"), default="cpu", help="where tensors live"
    )
    parser.add_argument(
        "--restart", action="store_true", default=False, help="ignore the saved place"
    )
    parser.add_argument(
        "--step",
        dest="start_at",
        metavar="ID",
        help=step_ids_help or "start at this step id (`minigrad lesson N --help` lists them)",
    )
    parser.add_argument(
        "--logdir", metavar="DIR", help="write TensorBoard runs here (needs the tensorboard extra)"
    )


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``learn`` and ``lesson``."""
    learn = subparsers.add_parser(
        "learn",
        help="the lessons: pick one from a menu (start here)",
        description="Show the lessons and your progress, then run the one you pick.",
    )
    learn.add_argument("--auto", action="store_true", help="only print the menu, ask nothing")
    learn.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    learn.set_defaults(func=run_learn)

    lesson = subparsers.add_parser(
        "lesson",
        help="run lesson N step by step",
        description=(
            "Run lesson N step by step. `minigrad lesson N --help` lists the options of lesson N."
        ),
    )
    add_common_arguments(lesson)
    lesson.add_argument("number", nargs="?", type=int, help="the lesson number")
    lesson.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    lesson.set_defaults(func=run_lesson)


def lesson_parser(number: int) -> tuple[argparse.ArgumentParser, Any]:
    """The second-stage parser of ``minigrad lesson N`` and the lesson itself."""
    from minigrad.lessons import catalog

    lesson = catalog.load(number)
    parser = argparse.ArgumentParser(
        prog=f"minigrad lesson {number}",
        description=lesson.title,
    )
    ids = ", ".join(step.id for step in lesson.steps)
    add_common_arguments(parser, f"start at this step: {ids}")
    lesson.add_arguments(parser)
    return parser, lesson


def run_lesson(args: argparse.Namespace) -> int:
    """``minigrad lesson N [options]``."""
    from minigrad.lessons.framework import LessonRunner

    if args.number is None:
        raise MinigradError("which lesson? `minigrad lesson 1` (or `minigrad learn` for the menu)")
    parser, lesson = lesson_parser(args.number)
    namespace = argparse.Namespace(**{k: v for k, v in vars(args).items() if k != "rest"})
    try:
        args = parser.parse_args(args.rest, namespace=namespace)
    except SystemExit as exc:  # --help, or a bad option (argparse printed why)
        return exc.code if isinstance(exc.code, int) else 2
    config = lesson.config_from_args(args)
    console = make_console()
    auto = args.auto
    if not auto and not stdin_is_terminal():
        auto = True
        console.print(
            Text("stdin is not a terminal: running every step without prompts (--auto).", "dim")
        )
    runner = LessonRunner(
        lesson,
        console,
        config=config,
        auto=auto,
        json_path=args.json_path,
        seed=args.seed,
        device=args.device,
        plot_path=args.plot_path,
        start_at=args.start_at,
        restart=args.restart,
        logdir=args.logdir,
        input_fn=key_reader(console),
    )
    return runner.run().exit_code


def menu_table() -> tuple[Table, int | None]:
    """The menu (number, title, steps, your progress and exercises) and the next lesson."""
    from minigrad.lessons import catalog
    from minigrad.lessons.framework import ProgressStore
    from minigrad.lessons.grader import progress as exercise_progress
    from minigrad.lessons.grader import report as exercise_report

    store = ProgressStore()
    exercises = exercise_progress.safe_summary()
    table = Table(title="minigrad lessons", title_style="bold")
    table.caption = exercise_report.menu_caption(exercises)
    table.add_column("#", justify="right")
    table.add_column("lesson")
    table.add_column("steps", justify="right")
    table.add_column("your progress")
    suggestion = None
    for item in catalog.entries():
        steps = item.step_count()
        saved = store.get(item.number)
        if saved.completed:
            status = Text("done ✓", style="green")
        elif saved.step_index > 0:
            status = Text(f"stopped before step {saved.step_index + 1}", style="yellow")
        else:
            status = Text("not started", style="dim")
        if suggestion is None and not saved.completed and steps:
            suggestion = item.number
        title = re.sub(r"^Lesson \d+:\s*", "", item.title())  # the # column says it
        status.append_text(exercise_report.lesson_cell(exercises, item.number))
        table.add_row(
            str(item.number), f"{escape(title)}\n[dim]{escape(item.summary)}[/]", str(steps), status
        )
    return table, suggestion


def run_learn(args: argparse.Namespace) -> int:
    """``minigrad learn``: the menu; pick a lesson, run it, come back to the menu; q quits."""
    from minigrad.lessons import catalog
    from minigrad.lessons.framework import LessonRunner

    console = make_console()
    table, suggestion = menu_table()
    console.print(table)
    interactive = not args.auto and stdin_is_terminal()
    if not interactive:
        first = suggestion or 1
        console.print(
            f"Run a lesson with `minigrad lesson N` (next for you: `minigrad lesson {first}`). "
            "Add --auto to run it without prompts."
        )
        return 0
    default = suggestion or 1
    ask = key_reader(console)
    while True:
        try:
            answer = ask(f"Lesson number ([bold]Enter[/] = {default}, [bold]q[/] quits) › ")
        except (EOFError, KeyboardInterrupt):
            return 0
        if answer == "q":
            return 0
        try:
            number = int(answer) if answer else default
            lesson = catalog.load(number)
        except (ValueError, MinigradError) as exc:
            console.print(Text(f"{exc if isinstance(exc, MinigradError) else 'a number, please'}"))
            continue
        config = lesson.make_config()
        LessonRunner(lesson, console, config=config, seed=args.seed, input_fn=ask, menu=True).run()
        table, suggestion = menu_table()  # the progress has changed
        console.print(table)
        default = suggestion or default
