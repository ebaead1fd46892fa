"""Reproduce lesson 1's experiment table at full size and report its figures.

    python benchmarks/bench_lesson1.py               # seminar size: 10 epochs x 1,000,000 samples
    python benchmarks/bench_lesson1.py --quick       # a smoke run (seconds)
    python benchmarks/bench_lesson1.py --json out.json

It runs lesson 1 exactly as ``minigrad lesson 1 --auto`` does (same seed, same
runs, the lesson's console output discarded) and prints, for each
(num_steps, state_size), the final loss (mean over the last epoch), the label
(which echoes it learned) and the training time, next to the three reference
losses. Expected with the defaults (see ../shared/REFERENCE.md): 2x4 neither
(unstable, drifting towards 0.66), 5x4 first (0.514-0.525), 10x16 both (~0.458).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from rich.console import Console


def main(argv: list[str] | None = None) -> int:
    """Run the lesson-1 table and print it; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--epochs", type=int, default=None, help="default 10 (quick: 1)")
    parser.add_argument("--epoch-samples", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--experiments", default="2x4,5x4,10x16")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds, one table each")
    parser.add_argument("--json", dest="json_path", type=Path, default=None)
    args = parser.parse_args(argv)

    from minigrad.lessons.framework import LessonRunner
    from minigrad.lessons.lesson1 import LESSON

    epochs = args.epochs or (1 if args.quick else 10)
    samples = args.epoch_samples or (20_000 if args.quick else 1_000_000)
    config = LESSON.make_config(epochs=epochs, epoch_samples=samples, experiments=args.experiments)
    seeds = [int(seed) for seed in args.seeds.split(",") if seed.strip()]
    print(
        f"lesson 1 experiment table: {epochs} epochs x {samples:,} samples, batch "
        f"{config.batch_size}, Adagrad lr {config.lr} (TensorFlow 1's Adagrad)"
    )
    reports = []
    for seed in seeds:
        began = time.perf_counter()
        with open(os.devnull, "w", encoding="utf-8") as sink:
            runner = LessonRunner(
                LESSON,
                Console(file=sink, width=100),
                config=config,
                auto=True,
                seed=seed,
                store=_NoProgress(),
            )
            result = runner.run()
        seconds = time.perf_counter() - began
        if result.status != "completed":
            print(f"seed {seed}: the lesson ended with status {result.status}")
            return 1
        summary = result.summary
        if not reports:
            print(
                "reference losses: "
                + ", ".join(f"{name} {value:.6f}" for name, value in summary["expected"].items())
            )
        print(f"\nseed {seed}")
        print(
            f"{'num_steps':>9} {'state':>5} {'epochs':>6} {'final_loss':>10} {'learned':>8} "
            f"{'s':>7}  loss per epoch"
        )
        for run in summary["runs"]:
            per_epoch = _epoch_means(run)
            print(
                f"{run['num_steps']:>9} {run['state_size']:>5} {run['epochs']:>6} "
                f"{run['final_loss']:>10.4f} {run['learned']:>8} {run['seconds']:>7.1f}  "
                + " ".join(f"{v:.3f}" for v in per_epoch)
            )
        print(f"lesson wall time {seconds:.1f} s")
        reports.append(
            {
                "seed": seed,
                "expected": summary["expected"],
                "runs": [
                    {
                        **{k: v for k, v in run.items() if k != "curve"},
                        "epoch_means": _epoch_means(run),
                    }
                    for run in summary["runs"]
                ],
                "seconds": seconds,
            }
        )
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs")
    if args.json_path is not None:
        report = {
            "quick": args.quick,
            "epochs": epochs,
            "epoch_samples": samples,
            "tables": reports,
        }
        args.json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def _epoch_means(run: dict) -> list[float]:
    """Mean loss of each epoch, from the run's curve (blocks of ``curve_every`` windows)."""
    per_epoch = max(1, run["windows_per_epoch"] // run["curve_every"])
    curve = run["curve"]
    return [
        sum(curve[i : i + per_epoch]) / len(curve[i : i + per_epoch])
        for i in range(0, len(curve), per_epoch)
        if curve[i : i + per_epoch]
    ]


class _NoProgress:
    """A progress store that remembers nothing (a benchmark is not a person's lesson)."""

    def get(self, number: int):
        """No saved place."""
        from minigrad.lessons.framework import LessonProgress

        return LessonProgress()

    def save(self, number: int, progress: object) -> None:
        """Discard."""


if __name__ == "__main__":
    sys.exit(main())
