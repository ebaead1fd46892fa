"""``minigrad shootout``: every registered cell on one task, at equal parameters.

    minigrad shootout --task adding --preset tiny --seeds 2
    minigrad shootout --task charlm --cells lstm,gru,greff_cifg --lrs 0.003,0.01 --workers 2
    minigrad shootout --task adding --scheduler tcp://10.0.0.5:8786 --json adding.json

Each finished run is appended to a results file (``--results``, by default in
minigrad's state folder), so the same command after Ctrl-C continues where it
stopped. The work is in ``minigrad.lessons.shootout``; this module parses and
prints.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from minigrad.threads import core_count


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers such as 0.003,0.01,0.03, got {text!r}"
        ) from None
    if not rates or any(not r > 0 for r in rates):
        raise argparse.ArgumentTypeError(f"learning rates must be positive, got {text!r}")
    return rates


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``minigrad shootout`` and its options."""
    parser = subparsers.add_parser(
        "shootout",
        help="train every registered cell on one task at equal parameters and compare",
        description=(
            "Train every registered cell (plugins included) on one task with the same "
            "parameter budget, optimizer, data order and steps; a few learning rates per cell "
            "(the best chosen on validation) and several seeds; then compare each cell with "
            "the LSTM. Finished runs are appended to a results file: rerun the same command "
            "to resume an interrupted sweep."
        ),
    )
    parser.add_argument(
        "--task", choices=("adding", "charlm", "echo"), default="adding",
        help="adding problem, char-LM on tiny-shakespeare, or lesson 1's echo (default: adding)",
    )  # fmt: skip
    parser.add_argument(
        "--cells", metavar="LIST",
        help="comma-separated cells, options in brackets: lstm,gru,lstm[forget_bias=0] "
        "(default: every registered step cell)",
    )  # fmt: skip
    parser.add_argument("--seeds", type=_positive_int, help="seeds per rate (tiny/quick 2, full 3)")
    parser.add_argument(
        "--preset", choices=("tiny", "quick", "full"), default="quick",
        help="tiny (seconds), quick (minutes), full (an hour or more); default quick",
    )  # fmt: skip
    parser.add_argument(
        "--lrs",
        type=_rates,
        metavar="LIST",
        help="Adam learning rates (default: tiny 0.01,0.03; quick 0.003,0.01,0.03; full 0.01,0.03)",
    )
    parser.add_argument("--budget", type=_positive_int, help="parameters per model (preset's)")
    parser.add_argument(
        "--workers", type=_positive_int, default=None,
        help=f"worker processes (default: the {core_count()} cores; 1 runs in this process)",
    )  # fmt: skip
    parser.add_argument(
        "--scheduler", metavar="ADDRESS|local",
        help="send runs to a Dask cluster (tcp://HOST:8786), or 'local' for a LocalCluster of "
        "--workers processes (needs the 'cluster' extra)",
    )  # fmt: skip
    parser.add_argument("--results", metavar="PATH", help="the append-only results file")
    parser.add_argument(
        "--fresh", action="store_true",
        help="start over: the old results file is kept beside, renamed, and not reused",
    )  # fmt: skip
    parser.add_argument(
        "--no-run", action="store_true",
        help="train nothing: summarise the runs the results file already holds",
    )  # fmt: skip
    parser.add_argument("--json", metavar="PATH", help="write every run and the summary as JSON")
    parser.add_argument("--csv", metavar="PATH", help="write one line per run as CSV")
    parser.add_argument("--plot", metavar="PATH", help="draw the charts to a PNG (matplotlib)")
    parser.add_argument(
        "--logdir",
        metavar="DIR",
        help="write each run's curves for TensorBoard, one folder per run (tensorboard extra)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, console: Console | None = None) -> int:
    """Plan, run (resuming), summarise and print the sweep; write the files asked for."""
    from minigrad.lessons import shootout as so
    from minigrad.lessons.framework import require_matplotlib, side_by_side

    console = console or Console(highlight=False)
    if args.plot:
        require_matplotlib(args.plot)  # before hours of training, not after
    if args.logdir:
        from minigrad.tensorboard import require_tensorboardx

        require_tensorboardx()
    cells = so.parse_cells(args.cells) if args.cells else None
    plan = so.plan_sweep(args.task, cells, args.preset, args.seeds, args.lrs, args.budget)
    path = Path(args.results).expanduser() if args.results else so.default_results_path(
        args.task, args.preset
    )  # fmt: skip
    if args.fresh and path.exists():
        kept = path.with_name(f"{path.name}.{time.strftime('%Y%m%d-%H%M%S')}")
        path.rename(kept)
        console.print(Text(f"Previous results kept as {kept}", style="dim"))
    results = so.ResultsFile(path)
    console.print(_plan_text(plan, path))
    began = time.perf_counter()
    try:
        records, where = _records(args, plan, results, console)
    except KeyboardInterrupt:
        console.print(
            Text(
                f"Interrupted. Finished runs are kept in {path}; run the same command to "
                "continue with the others.",
                style="yellow",
            )
        )
        raise
    for number, start in results.skipped:
        console.print(Text(f"{path}:{number}: unreadable line skipped ({start!r})", style="yellow"))
    summary = so.summarise(plan, records)
    console.print(so.results_table(summary, plan))
    if len(plan.lrs) > 1:
        console.print(so.lr_table(summary, plan))
    chart_a, chart_b = so.charts(summary, plan, records)
    console.print(side_by_side([chart_a, chart_b]) if console.width >= 120 else chart_a)
    if console.width < 120:
        console.print(chart_b)
    for line in so.findings(summary, plan):
        console.print(Text(line))
    _write_outputs(args, plan, records, summary, where, time.perf_counter() - began, console)
    return 0


def _records(
    args: argparse.Namespace, plan: Any, results: Any, console: Console
) -> tuple[list[dict], str]:
    """The plan's records: run what is missing (live view), or only read them (--no-run)."""
    from minigrad.lessons import shootout as so

    if args.no_run:
        stored = results.load()
        records = [stored[spec.key] for spec in plan.runs if spec.key in stored]
        console.print(Text(f"{len(records)} of {len(plan.runs)} runs in {results.path}"))
        return records, "nothing (--no-run)"
    workers = args.workers or core_count()
    if args.scheduler is None:
        workers = min(workers, len(plan.runs))
    loggers = so.BoardLoggers(str(Path(args.logdir).expanduser())) if args.logdir else None
    executor = so.make_executor(workers, args.scheduler, make_logger=loggers)
    with so.LiveView(console) as view:
        records = so.run_sweep(plan, executor, results, view)
    return records, executor.description


def _plan_text(plan: Any, path: Path) -> Text:
    text = Text()
    text.append(f"Task {plan.task} ({plan.preset}): ", style="bold")
    text.append(f"budget {plan.budget:,} parameters; learning rates ")
    text.append(", ".join(f"{lr:g}" for lr in plan.lrs))
    text.append(f"; seeds {', '.join(map(str, plan.seeds))}\n")
    sizes = ", ".join(f"{c} H={plan.hidden[c]} ({plan.params[c]:,})" for c in plan.hidden)
    text.append(f"Hidden sizes: {sizes}\n", style="dim")
    text.append(f"Results file: {path}", style="dim")
    return text


def _write_outputs(
    args: argparse.Namespace,
    plan: Any,
    records: list[dict],
    summary: Any,
    where: str,
    seconds: float,
    console: Console,
) -> None:
    from minigrad.lessons import shootout as so

    written = []
    if args.json:
        document = so.report(plan, records, summary, executor=where, seconds=round(seconds, 1))
        written.append(so.write_json(args.json, document))
    if args.csv:
        written.append(so.write_csv(args.csv, records))
    if args.plot:
        written.append(so.write_plot(args.plot, summary, plan, records))
    for path in written:
        console.print(Text(f"Wrote {path}", style="dim"))
