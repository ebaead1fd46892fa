"""Lesson 2: plugin cell, static == dynamic, lengths, gradient norms, --auto end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import minigrad as mg
from minigrad.lessons.framework import LessonRunner
from minigrad.lessons.framework.docs import render_page
from minigrad.lessons.lesson2 import LESSON
from minigrad.lessons.lesson2.gradients import state_gradient_norms, unrolled_states
from minigrad.lessons.lesson2.lengths import variable_length_demo
from minigrad.lessons.lesson2.model import CellClassifier
from minigrad.lessons.lesson2.steps import exploding_rnn, same_as_lesson1

ROOT = Path(__file__).resolve().parents[2]
TINY = {"epoch_samples": 20_000, "grad_steps": 30}


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_the_plugin_cell_is_lesson_ones_cell() -> None:
    cell = mg.cells.create("rnn", 2, 8, rng=np.random.default_rng(0))
    assert same_as_lesson1(cell, np.random.default_rng(1)) < 1e-6


def test_static_and_dynamic_give_the_same_window_loss() -> None:
    model = CellClassifier("rnn", 8, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 2, (6, 5)), rng.integers(0, 2, (6, 5))
    dynamic, final_d = model.forward_dynamic(x, y, None)
    static, final_s = model.forward_static(x, y, None)
    assert dynamic.item() == pytest.approx(static.item(), abs=1e-6)
    np.testing.assert_allclose(final_d.numpy(), final_s.numpy(), atol=1e-6)


@pytest.mark.parametrize("cell_name", ["rnn", "lstm"])
def test_padding_rules_of_dynamic_rnn(cell_name: str) -> None:
    cell = mg.cells.create(cell_name, 2, 5, rng=np.random.default_rng(0))
    W_out = mg.tensor(np.random.default_rng(1).uniform(-1, 1, (5, 2)).astype(np.float32))
    rng = np.random.default_rng(2)
    lengths = np.array([6, 4, 2, 1])
    x, y = rng.integers(0, 2, (4, 6)), rng.integers(0, 2, (4, 6))
    result = variable_length_demo(cell, W_out, x, y, lengths)
    expected_active = (np.arange(6)[None, :] < lengths[:, None]).tolist()
    assert result["active"] == expected_active
    assert result["padding_max_abs"] == 0.0
    assert result["final_vs_last_output"] < 1e-6
    assert result["final_vs_alone"] < 1e-6
    assert result["masked_loss"] == pytest.approx(result["mean_over_real_steps"], abs=1e-6)
    assert abs(result["mean_over_all_steps"] - result["mean_over_real_steps"]) > 1e-4


def numpy_state_gradients(cell, W_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[float]:
    """|dL_T/ds_k| for a tanh RNN by the chain rule in NumPy (an independent oracle)."""
    U, W, b = cell.U.numpy(), cell.W.numpy(), cell.b.numpy()
    s = np.zeros((x.shape[0], W.shape[0]))
    states = []
    for t in range(x.shape[1]):
        s = np.tanh(np.eye(2)[x[:, t]] @ U + s @ W + b)
        states.append(s)
    logits = states[-1] @ W_out
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y[:, -1]] -= 1
    g = p @ W_out.T / len(y)  # dL_T/ds_T for the mean cross-entropy
    norms = [float(np.linalg.norm(g))]
    for k in range(len(states) - 1, 0, -1):
        g = (g * (1 - states[k] ** 2)) @ W.T  # one step back: diag(1 - s_k^2) W^T
        norms.append(float(np.linalg.norm(g)))
    return norms[::-1]


def test_state_gradient_norms_match_the_chain_rule() -> None:
    cell = mg.cells.create("rnn", 2, 6, rng=np.random.default_rng(0), dtype=np.float64)
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 2, (8, 12)), rng.integers(0, 2, (8, 12))
    W_out = rng.uniform(-0.5, 0.5, (6, 2))
    ours = state_gradient_norms(cell, mg.tensor(W_out), x, y)
    np.testing.assert_allclose(ours, numpy_state_gradients(cell, W_out, x, y), rtol=1e-9)
    assert len(unrolled_states(cell, x)) == 12


def test_exploding_rnn_multiplies_active_gradients_by_its_gain() -> None:
    cell = exploding_rnn(4, 1.5, np.random.default_rng(0), "cpu")
    np.testing.assert_array_equal(cell.W.numpy(), 1.5 * np.eye(4, dtype=np.float32))
    assert cell.activation == "relu"


# ------------------------------------------------------------ whole lesson
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    path = tmp_path_factory.mktemp("lesson2") / "summary.json"
    console = Console(record=True, width=100)
    config = LESSON.make_config(**TINY)
    result = LessonRunner(LESSON, console, config=config, auto=True, json_path=path).run()
    assert result.status == "completed"
    return console.export_text(), json.loads(path.read_text())


def test_lesson_output_shows_every_step(tiny_run) -> None:
    text, _ = tiny_run
    for index, step in enumerate(LESSON.steps, start=1):
        assert f"Step {index}/{len(LESSON.steps)} · {step.title}" in text
    assert "mg.cells.dynamic_rnn(self.cell, rnn_inputs, initial_state=state)" in text
    assert "static vs dynamic over" in text and "graph building (forward) ms" in text
    assert "What happens past each length" in text
    assert "|dL_T/ds_k|: lstm" in text and "|dL_T/ds_k|: tanh rnn" in text


def test_static_and_dynamic_training_give_the_same_losses(tiny_run) -> None:
    _, summary = tiny_run
    result = summary["static_vs_dynamic"]
    assert result["windows"] == 20_000 // 200 // 5
    assert result["max_abs_diff"] < 1e-5
    static, dynamic = result["first_losses"]["static"], result["first_losses"]["dynamic"]
    np.testing.assert_allclose(static, dynamic, atol=1e-5)
    assert result["final_loss"]["static"] == pytest.approx(
        result["final_loss"]["dynamic"], abs=1e-5
    )
    for driver in ("static", "dynamic"):
        timing = result[driver]
        assert 0 < timing["forward_ms"] <= timing["step_ms"]


def test_gradients_vanish_for_the_rnn_explode_for_the_gain_and_fade_slowly_for_lstm(
    tiny_run,
) -> None:
    _, summary = tiny_run
    grads = summary["gradient_norms"]
    assert grads["k"] == list(range(1, 31))
    norms = {name: np.array(values) for name, values in grads["norms"].items()}
    ratio = {name: values[0] / values[-1] for name, values in norms.items()}
    assert ratio["tanh rnn"] < 1e-6  # vanishes: many orders of magnitude over 30 steps
    assert ratio["relu rnn, W = 1.5 I"] > 1e2  # explodes
    assert ratio["tanh rnn"] < ratio["lstm"] < 1.0  # the LSTM fades, far more slowly
    lengths = summary["lengths"]
    assert lengths["padding_max_abs"] == 0.0 and lengths["final_vs_alone"] < 1e-6


def test_docs_page_is_generated_from_the_lesson() -> None:
    page = (ROOT / "docs" / "lessons" / "lesson2.md").read_text(encoding="utf-8")
    assert page == render_page(LESSON), (
        "docs/lessons/lesson2.md is out of date: run `python -m minigrad.lessons.framework.docs 2`"
    )
