"""Lesson 3 on a student's machine: bad paths caught before training, a huge vocabulary,
BLAS threads chosen by measurement, and an ETA that follows the time budget."""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from minigrad.errors import CheckpointError, DataError
from minigrad.lessons.charlm import TrainConfig, Trainer, TrainHooks
from minigrad.lessons.charlm import data as charlm_data
from minigrad.lessons.charlm.baselines import Baselines, bigram_heldout
from minigrad.lessons.charlm.checkpoint import check_writable, save_checkpoint
from minigrad.lessons.charlm.data import read_text_file, toy_text
from minigrad.lessons.charlm.forecast import forecast
from minigrad.lessons.charlm.landmarks import judge
from minigrad.lessons.framework import LessonRunner
from minigrad.lessons.framework.tracker import Tracker
from minigrad.lessons.lesson3 import LESSON, steps


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    (tmp_path / "toy.txt").write_text(toy_text(15_000, seed=7), encoding="utf-8")
    return tmp_path


def _runner(home: Path, **flags) -> LessonRunner:
    config = LESSON.make_config("tiny", corpus=str(home / "toy.txt"), max_steps=4, **flags)
    return LessonRunner(LESSON, Console(record=True, width=100), config=config, auto=True)


# ------------------------------------------------------------------ paths
def test_a_checkpoint_under_a_regular_file_fails_before_any_step(home: Path) -> None:
    (home / "file").write_text("not a folder")
    with pytest.raises(CheckpointError, match=r"cannot write the checkpoint .*file/sub/x.npz"):
        _runner(home, checkpoint=str(home / "file" / "sub" / "x.npz"))  # used to train first


def test_a_read_only_checkpoint_folder_fails_before_any_step(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # root ignores chmod: simulate it
    with pytest.raises(CheckpointError, match="Permission denied.*--checkpoint PATH"):
        _runner(home, checkpoint=str(home / "ro" / "x.npz"))


def test_check_writable_and_save_name_the_file_instead_of_a_raw_oserror(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="a part of the path is a file"):
        save_checkpoint(tmp_path / "file" / "c.npz", {"step": 0})
    with pytest.raises(CheckpointError, match="is a folder"):
        check_writable(tmp_path)
    assert check_writable(tmp_path / "new" / "c.npz").endswith("c.npz")
    assert not list((tmp_path / "new").iterdir())  # the scratch file is gone


def test_json_in_a_missing_folder_fails_before_any_step(home: Path) -> None:
    from minigrad.lessons.framework import LessonOptionError

    config = LESSON.make_config("tiny", corpus=str(home / "toy.txt"))
    with pytest.raises(LessonOptionError, match=r"the folder .*nowhere does not exist"):
        LessonRunner(LESSON, Console(), config=config, json_path=home / "nowhere" / "x.json")
    assert not (home / "nowhere").exists()  # and no folder was made


def test_a_read_only_data_folder_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIGRAD_DATA_DIR", str(tmp_path))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(charlm_data.tempfile, "mkstemp", refuse)
    with pytest.raises(DataError, match=r"cannot save the shakespeare corpus .*MINIGRAD_DATA_DIR"):
        charlm_data.fetch_known("shakespeare")


# ---------------------------------------------------------- huge vocabulary
def test_the_bigram_baseline_matches_the_dense_formula() -> None:
    rng = np.random.default_rng(0)
    for vocab in (2, 7, 65):
        train, val = rng.integers(0, vocab, 2000), rng.integers(0, vocab, 500)
        counts = np.ones((vocab, vocab))
        np.add.at(counts, (train[:-1], train[1:]), 1.0)
        probs = counts / counts.sum(axis=1, keepdims=True)
        dense = -np.log(probs[val[:-1], val[1:]]).mean()
        assert bigram_heldout(train, val, vocab) == pytest.approx(dense, rel=1e-12)


def test_the_bigram_baseline_of_a_20000_character_vocabulary_needs_no_v_by_v_table() -> None:
    rng = np.random.default_rng(1)
    vocab = 20_000  # two V x V float64 tables would take 6.4 GB
    train, val = rng.integers(0, vocab, 100_000), rng.integers(0, vocab, 10_000)
    tracemalloc.start()
    loss = bigram_heldout(train, val, vocab)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6
    assert np.log(vocab) - 0.5 < loss < np.log(vocab) + 0.5  # random text: near uniform


# ------------------------------------------------------------------ threads
class Seen(TrainHooks):
    def __init__(self) -> None:
        self.threads: list[tuple[int, str]] = []

    def on_threads(self, trainer: Trainer, description: str) -> None:
        self.threads.append((trainer.step, description))


def _toy(tmp_path: Path):
    (tmp_path / "toy.txt").write_text(toy_text(8000, seed=2), encoding="utf-8")
    return read_text_file(tmp_path / "toy.txt")


TINY = TrainConfig(
    hidden_size=16, embedding_size=8, batch_size=4, num_steps=16, max_steps=8, eval_every=0
)


def test_auto_threads_are_measured_on_the_first_steps_and_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MINIGRAD_BLAS_THREADS", raising=False)
    monkeypatch.setattr("minigrad.threads.core_count", lambda: 2)
    hooks = Seen()
    trainer = Trainer(TINY, _toy(tmp_path), None, hooks=hooks)
    result = trainer.run()
    assert trainer.tuner.candidates == (1, 2)
    assert hooks.threads and hooks.threads[0][0] == 6  # 3 steps with each of 1 and 2 threads
    assert "measured: 1 ->" in hooks.threads[0][1]
    assert result.extra["blas_threads"] in (1, 2)
    assert trainer.step_seconds is not None and trainer.step_seconds > 0


def test_a_much_slower_thread_setting_is_measured_once_only() -> None:
    # On a busy machine, 2 threads took 19 s a step against 2.3 s with one: measuring it
    # three times would cost a minute of a 4.5-minute run.
    from minigrad import threads

    clock, durations = Clock(), {1: 2.3, 2: 19.0}

    def step() -> int:
        current = threads.blas_threads()
        clock.now += durations[current]
        return current

    tuner = threads.ThreadTuner(candidates=(1, 2), probe_steps=3, clock=clock, give_up=3.0)
    used = [tuner.run(step) for _ in range(5)]
    assert used == [1, 2, 1, 1, 1] and tuner.chosen == 1 and tuner.dropped == {2}
    plain = threads.ThreadTuner(candidates=(1, 2), probe_steps=3, clock=clock)
    assert [plain.run(step) for _ in range(6)] == [1, 2, 1, 2, 1, 2]  # the default is unchanged


def test_fixed_threads_from_the_option_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = Seen()
    trainer = Trainer(TINY.replace(threads="1"), _toy(tmp_path), None, hooks=hooks)
    trainer.run()
    assert trainer.tuner.candidates == (1,) and hooks.threads == [(1, "1 BLAS thread")]
    monkeypatch.setenv("MINIGRAD_BLAS_THREADS", "1")
    assert Trainer(TINY, _toy(tmp_path), None).tuner.candidates == (1,)
    with pytest.raises(DataError, match="--threads must be 'auto' or a positive number"):
        TINY.replace(threads="many").validate()


def test_the_lesson_says_which_threads_it_chose_and_what_the_speed_predicts(home: Path) -> None:
    runner = _runner(home, threads="1", max_minutes=0.0)
    runner.run()
    text = " ".join(runner.console.export_text().split())
    assert "Measured on this machine: 1 BLAS thread;" in text
    assert "The 4 steps should take about" in text
    assert runner.ctx.summary["training"]["blas_threads"] == 1


def test_the_forecast_names_the_time_budget_when_it_ends_the_run_first(tmp_path: Path) -> None:
    trainer = Trainer(TINY.replace(max_steps=0, epochs=50, max_minutes=0.5), _toy(tmp_path), None)
    trainer.step_seconds = 0.1
    plan = forecast(trainer)
    assert plan["stops_by"] == "time budget" and plan["seconds_left"] == pytest.approx(30.0)
    assert plan["final_step"] == 300
    line = steps.forecast_line(trainer, "1 BLAS thread")
    assert "the time budget (--max-minutes 0.5) stops training near step 300" in line


# --------------------------------------------------------------------- ETA
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_time_left_follows_the_time_budget_not_the_step_count() -> None:
    clock = Clock()
    console = Console(record=True, width=100)
    tracker = Tracker(console, 34_000, "training", None, True, time_limit=270.0, clock=clock)
    with tracker:
        for _ in range(10):
            clock.now += 0.25  # 0.25 s/step: all 34,000 steps would take 2 h 21 min
            tracker.advance()
        left = tracker.time_left()
    assert left is not None and left == pytest.approx(270.0 - 2.5)
    no_budget = Tracker(console, 100, "x", None, True, clock=clock)
    assert no_budget.time_left() is None  # no speed known yet, no budget


# ----------------------------------------------------------------- samples
def test_the_loss_landmarks_judge_a_sample_honestly() -> None:
    base = Baselines(uniform=4.17, unigram=3.31, bigram=2.49)
    assert "still no words" in judge(2.41, base)  # the busy machine's stopping point
    assert "short common words" in judge(1.9, base)
    assert "names, colons and line breaks" in judge(1.55, base)
    assert "not started" in judge(4.5, base)
    assert judge(2.41, base).startswith("past bigram (2.49), not yet ~2.0 (2.00): expect")
