"""``minigrad demo``: train a small network in a few seconds and watch the loss fall.

The model, data and training loop are ``minigrad.lessons.demo``; this command
parses the options and prints one line every few steps: the step, the loss
(nats) and the training accuracy.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console

from minigrad.lessons.demo import DATASETS, Record, check_options, train


def run(args: argparse.Namespace) -> int:
    """Run the demo with the parsed options and print its progress."""
    console = Console(highlight=False)
    every = args.every or max(1, args.steps // 10)
    check_options(args.steps, args.lr, args.hidden, every)
    console.print(
        f"[bold]minigrad demo[/]: Linear(2, {args.hidden}) -> tanh -> Linear({args.hidden}, 2)"
    )
    console.print(
        f"{2 * args.points} {args.data} points in 2 classes, Adam lr {args.lr}, seed {args.seed}"
    )
    console.print(f"[bold]{'step':>6}  {'loss':>8}  {'accuracy':>8}[/]")

    def show(record: Record) -> None:
        console.print(f"{record.step:>6}  {record.loss:>8.4f}  {record.accuracy:>8.1%}")

    writer = None
    if args.logdir is not None:
        from minigrad.tensorboard import SummaryWriter

        writer = SummaryWriter.for_run(args.logdir, "demo", args.data, seed=args.seed)
    start = time.perf_counter()
    try:
        records = train(
            data=args.data,
            steps=args.steps,
            lr=args.lr,
            hidden=args.hidden,
            n_per_class=args.points,
            seed=args.seed,
            every=every,
            on_log=show,
            writer=writer,
        )
    finally:
        if writer is not None:
            writer.close()
    first, last = records[0], records[-1]
    console.print(
        f"loss {first.loss:.4f} -> {last.loss:.4f}, accuracy {first.accuracy:.1%} -> "
        f"{last.accuracy:.1%} in {last.step} steps ({time.perf_counter() - start:.1f} s)"
    )
    if writer is not None:
        console.print(
            f"TensorBoard run: {writer.logdir} (see it: tensorboard --logdir {args.logdir})"
        )
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``minigrad demo`` and its options."""
    parser = subparsers.add_parser(
        "demo",
        help="train a small MLP for a few seconds and watch the loss fall",
        description="Train a small network in a few seconds and watch the loss fall.",
    )
    parser.add_argument("--data", choices=DATASETS, default="spiral", help="the 2-D data set")
    parser.add_argument("--steps", type=int, default=500, help="Adam steps (default 500)")
    parser.add_argument("--lr", type=float, default=0.03, help="learning rate (default 0.03)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units (default 64)")
    parser.add_argument("--points", type=int, default=100, help="points per class (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and weights")
    parser.add_argument("--every", type=int, default=0, help="log every N steps (default steps/10)")
    parser.add_argument(
        "--logdir", metavar="DIR", help="write a TensorBoard run here (needs the tensorboard extra)"
    )
    parser.set_defaults(func=run)
