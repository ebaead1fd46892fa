"""The shoot-out's TensorBoard loggers: one folder per run, picklable, stale curves replaced."""

from __future__ import annotations

import pickle
from pathlib import Path

from tensorboard.backend.event_processing import event_accumulator as ea

from minigrad.lessons.shootout import BoardLoggers


def scalars(folder: Path, tag: str) -> list[tuple[int, float]]:
    acc = ea.EventAccumulator(str(folder), size_guidance={ea.SCALARS: 0})
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_a_run_writes_its_curve_in_its_own_folder_and_a_rerun_replaces_it(tmp_path) -> None:
    loggers = pickle.loads(pickle.dumps(BoardLoggers(str(tmp_path))))  # travels to workers
    name = "adding/gru/lr=0.03-seed=0"
    first = loggers(name)
    for step in range(3):
        first.scalar("train/loss", 1.0 + step, step)
    first.close()
    assert scalars(tmp_path / name, "train/loss") == [(0, 1.0), (1, 2.0), (2, 3.0)]
    again = loggers(name)  # the run was stopped half way and starts again
    again.scalar("train/loss", 0.5, 0)
    again.close()
    assert scalars(tmp_path / name, "train/loss") == [(0, 0.5)]
    assert len(list((tmp_path / name).glob("events.out.tfevents.*"))) == 1
