"""Lesson 3 end to end in ``--auto`` with tiny settings, its CLI, Ctrl-C and its docs page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from minigrad.cli import learn
from minigrad.cli.main import main
from minigrad.errors import CheckpointError, DataError
from minigrad.lessons.charlm.checkpoint import load_checkpoint
from minigrad.lessons.charlm.data import toy_text
from minigrad.lessons.framework import LessonRunner
from minigrad.lessons.framework.docs import page_path, render_page
from minigrad.lessons.lesson3 import LESSON, steps

ROOT = Path(__file__).resolve().parents[2]
SHAKESPEARE = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"

TINY_FLAGS = {
    "hidden_size": 24,
    "embedding_size": 8,
    "batch_size": 4,
    "num_steps": 16,
    "max_steps": 24,
    "eval_every": 8,
    "eval_batches": 2,
    "checkpoint_every": 8,
    "sample_every": 8,
    "sample_length": 40,
    "gen_length": 60,
    "prime": "KING:",
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    (tmp_path / "toy.txt").write_text(toy_text(15_000, seed=7), encoding="utf-8")
    return tmp_path


def _run(home: Path, **flags):
    config = LESSON.make_config("tiny", corpus=str(home / "toy.txt"), **{**TINY_FLAGS, **flags})
    console = Console(record=True, width=100)
    runner = LessonRunner(
        LESSON, console, config=config, auto=True, json_path=home / "summary.json", seed=2
    )
    result = runner.run()
    text = " ".join(console.export_text().split())  # long paths wrap differently
    return result, text, json.loads((home / "summary.json").read_text())


def test_lesson3_runs_end_to_end_and_reports_everything(home: Path) -> None:
    result, text, summary = _run(home)
    assert result.status == "completed"
    for heading in ("The vocabulary", "Batches that carry their state", "Writing text"):
        assert heading in text
    assert "idx_to_vocab (" in text and "reference losses (nats/char)" in text
    assert "sample at step 8" in text and "sample at step 16" in text
    assert "sample at step 24" not in text  # the last step's sample is the generate step's
    assert text.count("loss (nats/char)") == 1  # the live chart, with its reference lines
    assert f"bigram {summary['baselines']['bigram']:.2f}" in text
    assert "def train_step(self" in text  # the code shown is the code that runs
    assert "the same prime at other temperatures" in text

    assert summary["status"] == "completed" and summary["corpus"] == "toy"
    assert summary["cell"] == "lstm" and summary["config"]["hidden_size"] == 24
    base = summary["baselines"]
    assert base["uniform"] > base["unigram"] > base["bigram"] > 0
    assert summary["train_loss"] > 0 and summary["val_loss"] < base["uniform"]
    assert [p[0] for p in summary["curves"]["val"]] == [8, 16, 24]
    assert summary["training"]["steps"] == 24 and summary["training"]["stopped_by"] == "max_steps"
    assert summary["sample"].startswith("KING:") and len(summary["sample"]) == 5 + 60
    assert f"Validation loss {summary['val_loss']:.3f}" in text

    ckpt = load_checkpoint(summary["checkpoint"])
    assert Path(summary["checkpoint"]).parent == home / "home" / "lesson3"
    assert ckpt.step == 24 and ckpt.config.hidden_size == 24


def test_lesson3_ctrl_c_keeps_a_checkpoint_and_resume_finishes_the_run(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = steps.LessonHooks.on_step

    def press_ctrl_c_at_step_10(self, trainer, loss, norm):
        original(self, trainer, loss, norm)
        if trainer.step == 10:
            raise KeyboardInterrupt

    monkeypatch.setattr(steps.LessonHooks, "on_step", press_ctrl_c_at_step_10)
    result, text, summary = _run(home)
    assert result.status == "interrupted" and result.exit_code == 130
    assert summary["status"] == "interrupted"
    assert "Interrupted at step 10: checkpoint written to" in text
    assert load_checkpoint(summary["checkpoint"]).step == 10

    monkeypatch.setattr(steps.LessonHooks, "on_step", original)
    result, text, summary = _run(home, resume=True)
    assert result.status == "completed"
    assert "Resumed from" in text and "at step 10" in text
    assert summary["training"]["steps"] == 24


def test_resume_without_a_checkpoint_says_where_it_looked(home: Path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint at .*charlm-toy-lstm.npz"):
        _run(home, resume=True)


def _cli(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    console = Console(record=True, width=100)
    monkeypatch.setattr(learn, "make_console", lambda: console)
    code = main(argv)
    return code, console.export_text()


def test_minigrad_lesson_3_from_the_command_line(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["lesson", "3", "--auto", "--preset", "tiny", "--corpus", str(home / "toy.txt")]
    argv += ["--max-steps", "6", "--hidden-size", "16", "--json", str(home / "cli.json")]
    argv += ["--checkpoint", str(home / "cli.npz"), "--gen-length", "20"]
    code, text = _cli(argv, monkeypatch)
    assert code == 0 and "Lesson 3 complete" in text
    summary = json.loads((home / "cli.json").read_text())
    assert summary["checkpoint"] == str(home / "cli.npz") and summary["training"]["steps"] == 6
    assert summary["config"]["max_steps"] == 6 and summary["config"]["batch_size"] == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "corpus file not found"),
        (b"", "is empty"),
        (b"\x00\x01\x02binary" * 100, "looks binary"),
        (b"too short\n" * 4, "shorter than one batch"),
    ],
)
def test_a_bad_corpus_stops_the_lesson_with_one_clear_line(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys, content, message
) -> None:
    path = home / "bad.txt"
    if content is not None:
        path.write_bytes(content)
    argv = ["lesson", "3", "--auto", "--preset", "tiny", "--corpus", str(path)]
    code, _ = _cli(argv, monkeypatch)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "bad.txt" in err
    assert "Traceback" not in err


def test_lesson3_prime_outside_the_vocabulary_is_named_before_training(home: Path) -> None:
    with pytest.raises(
        DataError, match=r"--prime 'KING#' has 1 character.* vocabulary of corpus .*toy.txt.*'#'"
    ):
        _run(home, prime="KING#")
    assert not list((home / "home" / "lesson3").glob("*.npz"))  # it stopped before training


def test_the_default_prime_falls_back_to_a_newline_on_a_text_without_it(home: Path) -> None:
    (home / "toy.txt").write_text(toy_text(15_000, seed=7).lower(), encoding="utf-8")
    result, text, summary = _run(home, prime="", max_steps=4)
    assert result.status == "completed"
    assert "lacks characters of the default prime 'ROMEO:\\n': the generator will start" in text
    assert summary["sample"].startswith("\n")


def test_a_corpus_without_newlines_gets_a_default_prime_it_has_before_training(
    home: Path,
) -> None:
    # the old default prime, a newline, was outside such a vocabulary: the lesson trained,
    # then failed in its last step
    (home / "toy.txt").write_text(toy_text(15_000, seed=7).replace("\n", " "), "utf-8")
    result, text, summary = _run(home, prime="", max_steps=4)
    assert result.status == "completed"
    assert summary["sample"].startswith(" ")
    assert summary["generation"]["temperature"] == 0.8  # the one default, as generate's


def test_the_prime_reads_escapes_as_generate_does(home: Path) -> None:
    result, _, summary = _run(home, prime="KING:\\n", max_steps=4)
    assert summary["sample"].startswith("KING:\n")
    with pytest.raises(DataError, match=r"--prime: the escape \\q at position 5"):
        _run(home, prime="KING\\q", max_steps=4)


@pytest.mark.skipif(not SHAKESPEARE.exists(), reason=f"no {SHAKESPEARE}")
def test_the_batches_step_shows_the_seminars_layout_on_tinyshakespeare(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIGRAD_DATA_DIR", str(SHAKESPEARE.parent))
    config = LESSON.make_config("tiny", corpus="shakespeare")
    ctx = type("Ctx", (), {})()
    ctx.config, ctx.state, ctx.summary = config, type("State", (), {})(), {}
    ctx.report = ctx.summary.__setitem__
    steps.read_corpus(ctx)
    steps.build_vocab(ctx)
    result = steps.cut_batches(ctx)
    assert result["seminar"]["shape"] == [32, 200]
    assert result["seminar"]["batches_per_epoch"] == 174
    assert result["seminar"]["x_rows"][0] == "First Citizen:\nBefor"
    assert result["seminar"]["y_rows"][0] == "irst Citizen:\nBefore"
    assert ctx.summary["vocab_size"] == 65


def test_the_docs_page_is_generated_from_the_lesson_content() -> None:
    page = page_path(ROOT / "docs", 3)
    assert page.read_text(encoding="utf-8") == render_page(LESSON), (
        "docs/lessons/lesson3.md is out of date: run `python -m minigrad.lessons.framework.docs 3`"
    )


def test_the_benchmark_smoke_run_reports_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_lesson3.py", "--smoke", "--quiet", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "validation loss" in done.stdout and "characters/s" in done.stdout
    report = json.loads(out.read_text())
    assert report["smoke"] is True and report["steps"] == 30
    assert report["chars_per_second"] > 0 and report["val_loss"] < report["baselines"]["uniform"]
    assert report["met"] == (report["val_loss"] <= 1.8 and report["wall_seconds"] <= 300)


@pytest.mark.slow
def test_the_busy_machine_benchmark_prints_both_speeds_and_their_ratio(tmp_path: Path) -> None:
    out = tmp_path / "busy.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_lesson3.py", "--busy", "--smoke", "--steps", "8"]
        + ["--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "quiet" in done.stdout and "busy / quiet" in done.stdout and "target >= 40%" in done.stdout
    )
    report = json.loads(out.read_text())
    assert report["quiet"]["chars_per_second"] > 0 and report["busy"]["chars_per_second"] > 0
    ratio = report["busy"]["chars_per_second"] / report["quiet"]["chars_per_second"]
    assert report["ratio"] == pytest.approx(ratio)
    assert report["competing_processes"] == report["cores"] >= 1
    assert "BLAS thread" in report["quiet"]["threads"]
