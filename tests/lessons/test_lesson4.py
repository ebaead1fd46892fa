"""Lesson 4 end to end (tiny preset, seconds), its resume, and how its verdicts read numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from minigrad.cli.main import main
from minigrad.lessons import catalog
from minigrad.lessons.framework import LessonRunner
from minigrad.lessons.lesson4 import verdicts
from minigrad.lessons.shootout import CellSummary, Comparison, SweepSummary

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    if (SHARED_DATA / "tinyshakespeare.txt").exists():
        monkeypatch.setenv("MINIGRAD_DATA_DIR", str(SHARED_DATA))
    return tmp_path


def test_lesson4_is_in_the_catalog() -> None:
    entry = catalog.entry(4)
    assert entry.title() == "Lesson 4: Which variant is best?"
    assert entry.step_count() == 6


def test_the_tiny_lesson_runs_every_step_and_reports_the_shootouts(home: Path) -> None:
    summary_path, logdir = home / "l4.json", home / "runs"
    argv = ["lesson", "4", "--auto", "--preset", "tiny", "--json", str(summary_path)]
    assert main([*argv, "--logdir", str(logdir)]) == 0
    summary = json.loads(summary_path.read_text())
    assert summary["status"] == "completed"
    assert [s["id"] for s in summary["steps"]] == [
        "question", "variants", "adding", "rates", "charlm", "verdict",
    ]  # fmt: skip
    assert {"greff_v", "jozefowicz_mut3", "lstm"} <= set(summary["registered_cells"])
    adding = {row["cell"]: row for row in summary["adding"]["cells"]}
    assert set(adding) == {"rnn", "lstm"} and adding["lstm"]["params"] > 0
    charlm = {row["cell"]: row for row in summary["charlm"]["cells"]}
    assert set(charlm) == {"rnn", "lstm", "greff_nfg"}
    assert charlm["rnn"]["versus"]["verdict"] in ("better", "worse", "within noise")
    claims = [f["claim"] for f in summary["findings"]]
    assert len(claims) == 6 and all(f["agrees"] for f in summary["findings"])
    steps = {s["id"]: s for s in summary["steps"]}
    assert steps["variants"]["exercises"] == ["lesson4.noaf_plugin"]
    assert steps["adding"]["exercises"] == ["lesson4.adding_batch"]
    # --logdir: every shoot-out run has its TensorBoard folder under lesson4/<task>/<cell>/
    runs = {p.parent.relative_to(logdir / "lesson4").parts[:2] for p in logdir.rglob("events.*")}
    assert {("adding", "rnn"), ("adding", "lstm"), ("charlm", "greff_nfg")} <= runs
    # The runs were appended to the lesson's results files: a second run trains nothing.
    files = sorted((home / "home").rglob("*.jsonl"))
    assert [f.name for f in files] == ["adding-tiny.jsonl", "charlm-tiny.jsonl"]
    lines = [len(f.read_text().splitlines()) for f in files]
    console = Console(record=True, width=80)
    result = LessonRunner(
        catalog.load(4), console, config=catalog.load(4).make_config("tiny"), auto=True
    ).run()
    assert result.status == "completed"
    assert [len(f.read_text().splitlines()) for f in files] == lines
    text = console.export_text()
    assert "the papers against your numbers" in text and "Greff et al. 2015" in text


def _row(cell: str, test: float, sd: float = 0.01, verdict: str | None = None, label: str = ""):
    versus = Comparison(0.0, -0.1, 0.1, 0.5, 3.0, verdict) if verdict else None
    return CellSummary(cell, 100, 10, 0.01, 2, test, sd, test, sd, 1.0, label, versus=versus)


def _summary(*rows: CellSummary, lr: float | None = None, cell: float | None = None):
    return SweepSummary("adding", "validation MSE", "lstm", list(rows), lr, cell)


def test_the_verdicts_say_when_the_numbers_disagree_with_the_papers() -> None:
    adding = _summary(
        _row("rnn", 0.001, label="solved"), _row("lstm", 0.16, label="baseline"), lr=0.01, cell=0.1
    )
    found = verdicts.adding_finding(adding)
    assert found.agrees == "no" and "rnn 0.001 (solved)" in found.measured
    assert verdicts.learning_rate_finding(adding).agrees == "no"  # the cell mattered more
    agree = _summary(_row("rnn", 0.16, label="baseline"), _row("gru", 0.002, label="solved"))
    assert verdicts.adding_finding(agree).agrees == "yes"
    charlm = _summary(
        _row("lstm", 2.0),
        _row("greff_nfg", 2.3, verdict="worse"),
        _row("greff_noaf", 1.9, verdict="better"),
        _row("greff_cifg", 2.0, verdict="within noise"),
        _row("lstm[forget_bias=0]", 2.005, sd=0.02),
    )
    assert verdicts.removal_finding(charlm, "greff_nfg", "the forget gate").agrees == "yes"
    assert verdicts.removal_finding(charlm, "greff_noaf", "the output act.").agrees == "no"
    assert verdicts.harmless_finding(charlm, ("greff_cifg", "greff_np")).agrees == "yes"
    bias = verdicts.forget_bias_finding(charlm)
    assert bias.agrees == "unclear" and "within the noise" in bias.measured
    nothing = _summary(_row("lstm", 2.0))
    assert {f.agrees for f in verdicts.findings(nothing, nothing)} == {"not measured"}
