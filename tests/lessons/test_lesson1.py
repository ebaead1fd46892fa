"""Lesson 1: data, reference losses, the hand-written model, the whole lesson in --auto."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import minigrad as mg
from minigrad.cli import learn
from minigrad.cli.main import main
from minigrad.lessons.framework import LessonRunner
from minigrad.lessons.framework.docs import render_page
from minigrad.lessons.lesson1 import LESSON
from minigrad.lessons.lesson1.data import (
    classify,
    expected_losses,
    gen_batch,
    gen_data,
    gen_epochs,
    learned_thresholds,
    windows_per_epoch,
)
from minigrad.lessons.lesson1.model import EchoRNN, one_hot_inputs, train_network
from minigrad.lessons.lesson1.steps import parse_experiments
from minigrad.lessons.lesson1.truncation import gradient_reach, share_that_sees

ROOT = Path(__file__).resolve().parents[2]
TINY = {"epochs": 2, "epoch_samples": 20_000, "experiments": "2x4,5x4,10x16"}


def H(p: float) -> float:
    """Binary entropy in nats, written out independently of the lesson's code."""
    return -p * math.log(p) - (1 - p) * math.log(1 - p)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


# ------------------------------------------------------------------- data
def r2rt_thresholds(x: np.ndarray) -> np.ndarray:
    """The rule as r2rt's loop wrote it, Python's negative indexing included."""
    out = np.empty(len(x))
    for i in range(len(x)):
        threshold = 0.5
        if x[i - 3] == 1:
            threshold += 0.5
        if x[i - 8] == 1:
            threshold -= 0.25
        out[i] = threshold
    return out


def test_gen_data_follows_r2rts_rule_including_the_wraparound() -> None:
    x, y = gen_data(40_000, np.random.default_rng(0))
    assert x.dtype == y.dtype == np.int64 and set(np.unique(x)) <= {0, 1}
    threshold = r2rt_thresholds(x)
    assert (y[threshold == 1.0] == 1).all()  # the one certain case, at every position
    for p in (0.25, 0.5, 0.75):
        picked = y[threshold == p]
        sigma = math.sqrt(p * (1 - p) / len(picked))
        assert abs(picked.mean() - p) < 5 * sigma
    assert abs(x.mean() - 0.5) < 5 * math.sqrt(0.25 / len(x))


def test_gen_batch_rows_are_contiguous_streams_read_left_to_right() -> None:
    raw_x = np.arange(1000)  # each value is its own position
    raw_y = raw_x + 10_000
    windows = list(gen_batch((raw_x, raw_y), batch_size=4, num_steps=7))
    row_length = 1000 // 4
    assert len(windows) == row_length // 7 == windows_per_epoch(1000, 4, 7)
    for x, y in windows:
        assert x.shape == y.shape == (4, 7)
        np.testing.assert_array_equal(y, x + 10_000)  # x and y stay aligned
    stitched = np.concatenate([x for x, _ in windows], axis=1)
    for b in range(4):  # row b of window k+1 continues row b of window k
        np.testing.assert_array_equal(
            stitched[b], np.arange(b * row_length, b * row_length + stitched.shape[1])
        )


def test_gen_epochs_makes_fresh_data_each_epoch() -> None:
    epochs = [list(batches) for batches in gen_epochs(2, 5, 10, 500, np.random.default_rng(1))]
    assert len(epochs) == 2 and len(epochs[0]) == len(epochs[1]) == 10
    assert not np.array_equal(epochs[0][0][0], epochs[1][0][0])


# --------------------------------------------------------- reference lines
def test_expected_losses_equal_the_closed_forms() -> None:
    expected = expected_losses()
    assert abs(expected["neither"] - H(0.625)) < 1e-12
    assert abs(expected["first"] - (0.5 * H(0.875) + 0.5 * H(0.375))) < 1e-12
    assert abs(expected["both"] - (H(0.5) + 0.0 + H(0.25) + H(0.75)) / 4) < 1e-12
    for name, value in {"neither": 0.661563, "first": 0.519167, "both": 0.454454}.items():
        assert abs(expected[name] - value) < 1e-6


def test_labels_are_the_nearest_reference_line() -> None:
    expected = expected_losses()
    limits = learned_thresholds(expected)
    assert limits["both_below"] == pytest.approx((0.454454 + 0.519167) / 2, abs=1e-6)
    assert limits["first_below"] == pytest.approx((0.519167 + 0.661563) / 2, abs=1e-6)
    for loss in np.linspace(0.40, 0.75, 71):
        nearest = min(expected, key=lambda name: abs(expected[name] - loss))
        if loss > expected["neither"]:
            nearest = "neither"
        assert classify(float(loss), expected) == nearest


# ------------------------------------------------------------------ model
def test_rnn_cell_and_window_loss_match_numpy() -> None:
    model = EchoRNN(5, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, size=(3, 4))
    y = rng.integers(0, 2, size=(3, 4))
    s0 = rng.uniform(-1, 1, (3, 5)).astype(np.float32)
    W, b = model.W.numpy(), model.b.numpy()
    Wo, bo = model.W_out.numpy(), model.b_out.numpy()
    state, losses = s0, []
    for t in range(4):
        x_t = np.eye(2, dtype=np.float32)[x[:, t]]
        state = np.tanh(np.concatenate([x_t, state], axis=1) @ W + b)
        logits = state @ Wo + bo
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        losses.append(-log_p[np.arange(3), y[:, t]])
    loss, final = model(x, y, mg.tensor(s0))
    assert loss.item() == pytest.approx(float(np.mean(losses)), abs=1e-6)
    np.testing.assert_allclose(final.numpy(), state, atol=1e-6)
    assert [t.shape for t in one_hot_inputs(x)] == [(3, 2)] * 4


def test_train_network_takes_tensorflow_adagrad_steps_and_cuts_the_graph() -> None:
    model = EchoRNN(4, rng=np.random.default_rng(0))
    before = {name: p.numpy().copy() for name, p in model.named_parameters()}
    # What the first window's gradient is, computed on a copy of the model:
    twin = EchoRNN(4, rng=np.random.default_rng(0))
    data_rng = np.random.default_rng(7)
    x, y = next(gen_batch(gen_data(200 * 3, np.random.default_rng(7)), 200, 3))
    loss, _ = twin(x, y, twin.zero_state(200))
    loss.backward()
    grads = {name: p.grad for name, p in twin.named_parameters()}
    result = train_network(model, 1, 3, 200, 0.1, 200 * 3, data_rng)
    assert len(result.losses) == 1 and result.losses[0] == pytest.approx(loss.item())
    for name, p in model.named_parameters():
        g = grads[name]
        expected = before[name] - 0.1 * g / np.sqrt(0.1 + g * g)  # accumulator starts at 0.1
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_a_windows_gradient_reaches_only_back_to_its_first_step() -> None:
    model = EchoRNN(6, rng=np.random.default_rng(0))
    x, y = next(gen_batch(gen_data(50 * 6, np.random.default_rng(2)), 50, 6))
    reach = gradient_reach(model, x, y)
    assert reach.shape == (6, 6)
    assert np.all(reach[np.triu_indices(6, k=1)] == 0.0)  # never into the future
    assert np.all(reach[np.tril_indices(6)] > 0.0)  # every earlier input of the window
    assert share_that_sees(10, 8) == 0.2 and share_that_sees(5, 8) == 0.0
    assert share_that_sees(2, 3) == 0.0 and share_that_sees(5, 3) == 0.4


def test_parse_experiments() -> None:
    assert parse_experiments("2x4, 5X4,10x16") == [(2, 4), (5, 4), (10, 16)]
    for bad in ("2by4", "0x4", ""):
        with pytest.raises(mg.MinigradError, match="--experiments"):
            parse_experiments(bad)


# ------------------------------------------------------------ whole lesson
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    path = tmp_path_factory.mktemp("lesson1") / "summary.json"
    console = Console(record=True, width=100)
    config = LESSON.make_config(**TINY)
    result = LessonRunner(LESSON, console, config=config, auto=True, json_path=path).run()
    assert result.status == "completed"
    return console.export_text(), json.loads(path.read_text())


def test_lesson_output_shows_every_step_its_code_and_its_results(tiny_run) -> None:
    text, _ = tiny_run
    for index, step in enumerate(LESSON.steps, start=1):
        assert f"Step {index}/{len(LESSON.steps)} · {step.title}" in text
    assert "def rnn_cell(self, rnn_input: mg.Tensor, state: mg.Tensor)" in text
    assert "state = final_state.detach()" in text  # the truncation, shown as it runs
    assert "neither 0.662" in text and "first 0.519" in text and "both 0.454" in text
    assert "Which dependencies did each model learn?" in text
    assert "0.661563" in text and "0.519167" in text and "0.454454" in text


def test_lesson_summary_holds_expected_and_consistent_runs(tiny_run) -> None:
    _, summary = tiny_run
    expected = summary["expected"]
    assert abs(expected["neither"] - H(0.625)) < 1e-6
    assert abs(expected["first"] - (H(0.875) + H(0.375)) / 2) < 1e-6
    limits = summary["thresholds"]
    runs = summary["runs"]
    assert [(r["num_steps"], r["state_size"]) for r in runs] == [(2, 4), (5, 4), (10, 16)]
    for run in runs:
        assert run["epochs"] == TINY["epochs"]
        loss = run["final_loss"]
        assert 0.3 < loss < 0.8  # nats per binary decision, anywhere near ln 2 or below
        label = (
            "both"
            if loss < limits["both_below"]
            else ("first" if loss < limits["first_below"] else "neither")
        )
        assert run["learned"] == label
        per_epoch = run["windows_per_epoch"] // run["curve_every"]
        assert len(run["curve"]) == TINY["epochs"] * per_epoch
        last_epoch = run["curve"][-per_epoch:]
        assert sum(last_epoch) / per_epoch == pytest.approx(loss, abs=1e-6)
    assert summary["seminar"]["num_steps"] == 10 and summary["seminar"]["state_size"] == 16
    assert summary["seminar"]["final_loss"] == runs[2]["final_loss"]  # reused, not retrained
    reach = np.array(summary["truncation"]["reach"])
    assert np.all(reach[np.triu_indices(len(reach), k=1)] == 0)


def test_cli_with_a_pipe_for_stdin_runs_in_auto_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = Console(record=True, width=100)
    monkeypatch.setattr(learn, "make_console", lambda: console)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    path = tmp_path / "s.json"
    argv = ["lesson", "1", "--epochs", "1", "--epoch-samples", "10000", "--experiments", "5x4"]
    assert main([*argv, "--seed", "4", "--json", str(path), "--step", "experiments"]) == 0
    text = console.export_text()
    assert "stdin is not a terminal: running every step without prompts (--auto)" in text
    summary = json.loads(path.read_text())
    assert summary["seed"] == 4 and summary["config"]["epoch_samples"] == 10_000
    assert [(r["num_steps"], r["epochs"]) for r in summary["runs"]] == [(5, 1)]


def test_docs_page_is_generated_from_the_lesson() -> None:
    page = (ROOT / "docs" / "lessons" / "lesson1.md").read_text(encoding="utf-8")
    assert page == render_page(LESSON), (
        "docs/lessons/lesson1.md is out of date: run `python -m minigrad.lessons.framework.docs 1`"
    )
    for step in LESSON.steps:
        assert step.title in page and step.text in page


@pytest.mark.slow
def test_benchmark_quick_run_prints_the_table(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_lesson1.py", "--quick", "--json", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MINIGRAD_HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "reference losses: neither 0.661563, first 0.519167, both 0.454454" in done.stdout
    tables = json.loads(report.read_text())["tables"]
    runs = tables[0]["runs"]
    assert [(r["num_steps"], r["state_size"]) for r in runs] == [(2, 4), (5, 4), (10, 16)]
    for run in runs:
        assert f"{run['final_loss']:>10.4f} {run['learned']:>8}" in done.stdout
        assert run["learned"] == classify(run["final_loss"], expected_losses())
