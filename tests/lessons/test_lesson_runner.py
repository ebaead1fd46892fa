"""The lesson runner: content parsing, options, navigation, progress, Ctrl-C, JSON, the CLI menu."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from minigrad.cli import learn
from minigrad.cli.main import main
from minigrad.errors import MinigradError
from minigrad.lessons import catalog
from minigrad.lessons.framework import (
    ContentError,
    Lesson,
    LessonOptionError,
    LessonProgress,
    LessonRunner,
    ProgressStore,
    Step,
    option,
    parse_content,
    state_dir,
)
from minigrad.lessons.framework.docs import render_page

ROOT = Path(__file__).resolve().parents[2]

CONTENT = """# Lesson 9: A tiny lesson

The introduction.

## first: The first step
<!-- hint: a hint with `code` -->

Text of the first step.

```text
## not-a-step: inside a fence
<!-- hint: not metadata either -->
```

## second: The second step
<!-- exercise: lesson9.second -->

Text of the second step.

## third: The third step

Text of the third step.
"""


@dataclass
class TinyConfig:
    epochs: int = option(2, "epochs", minimum=1)
    mode: str = option("fast", "how", choices=("fast", "slow"))
    verbose: bool = option(False, "talk more")


def make_lesson(calls: list[str], interrupt_at: str | None = None) -> Lesson:
    """Three steps that log their calls; one of them may raise KeyboardInterrupt."""

    def first(ctx):
        calls.append("first")
        chart = ctx.chart("loss", height=6)
        chart.add_reference(0.5, "half")
        with ctx.track(4, "training", chart) as bar:
            for i in range(4):
                chart.add_point("train", i, 1.0 / (i + 1))
                bar.advance()
        ctx.state.value = 41
        ctx.report("first_value", ctx.rng("x").integers(0, 1000))
        return {"epochs": ctx.config.epochs, "chart": chart}

    def second(ctx):
        calls.append("second")
        if interrupt_at == "second":
            raise KeyboardInterrupt
        ctx.state.value += 1
        return None

    def third(ctx):
        calls.append("third")
        ctx.report("answer", ctx.state.value)
        return "the third result"

    steps = [
        Step("first", first, render=lambda result, ctx: result["chart"]),
        Step("second", second),
        Step("third", third),
    ]
    return Lesson.build(9, parse_content(CONTENT), TinyConfig, steps)


class Keys:
    """Scripted answers for the runner's prompts; records the prompts it was shown."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.answers:
            raise AssertionError(f"unexpected prompt {prompt!r}")
        return self.answers.pop(0)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Progress goes to a temporary MINIGRAD_HOME in every test."""
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def recording_console(width: int = 100) -> Console:
    return Console(record=True, width=width)


def step_headers(text: str) -> list[str]:
    return re.findall(r"─ Step (\d)/3 · ", text)  # the rule that opens a step


# ---------------------------------------------------------------- content
def test_content_sections_order_text_and_metadata() -> None:
    content = parse_content(CONTENT)
    assert content.title == "Lesson 9: A tiny lesson"
    assert content.intro == "The introduction."
    assert [s.id for s in content.sections] == ["first", "second", "third"]
    first = content.sections[0]
    assert first.meta == {"hint": ["a hint with `code`"]}
    assert "<!--" not in first.text.split("```text")[0]
    assert "## not-a-step: inside a fence" in first.text  # fenced lines are kept as they are
    assert "<!-- hint: not metadata either -->" in first.text
    assert content.sections[1].first("exercise") == "lesson9.second"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no title\n## a: A\n", "first heading"),
        ("# T\n\nintro only\n", "no step sections"),
        ("# T\n## Bad Id: x\n", "## <step-id>: Title"),
        ("# T\n## a: A\n## a: again\n", "appear twice: a"),
    ],
)
def test_malformed_content_is_reported(text: str, message: str) -> None:
    with pytest.raises(ContentError, match=re.escape(message)):
        parse_content(text, source="lesson.md")


def test_build_checks_steps_against_sections() -> None:
    calls: list[str] = []
    steps = make_lesson(calls).steps
    with pytest.raises(ContentError, match=r"sections without a Step: \['third'\]"):
        Lesson.build(9, parse_content(CONTENT), TinyConfig, steps[:2])
    with pytest.raises(ContentError, match="unknown metadata"):
        Lesson.build(9, parse_content(CONTENT.replace("exercise:", "exercize:")), TinyConfig, steps)


def test_steps_take_their_order_title_and_metadata_from_content() -> None:
    lesson = make_lesson([])
    assert [s.id for s in lesson.steps] == ["first", "second", "third"]
    assert lesson.steps[1].title == "The second step"
    assert lesson.steps[1].exercise == "lesson9.second"
    assert lesson.steps[0].hints == ["a hint with `code`"]
    name, source = lesson.steps[0].sources()[0]
    assert name.endswith("first") and source.startswith("def first(ctx):")


# ---------------------------------------------------------------- options
def test_options_check_minimum_choices_and_presets() -> None:
    lesson = make_lesson([])
    assert lesson.make_config(epochs=5).epochs == 5
    with pytest.raises(LessonOptionError, match="--epochs must be >= 1, got 0"):
        lesson.make_config(epochs=0)
    with pytest.raises(LessonOptionError, match="--mode must be one of fast, slow"):
        lesson.make_config(mode="medium")
    with pytest.raises(LessonOptionError, match="unknown options"):
        lesson.make_config(nope=1)
    presets = {"long": {"epochs": 9, "mode": "slow"}}
    with_presets = Lesson.build(
        9, parse_content(CONTENT), TinyConfig, lesson.steps, presets=presets
    )
    config = with_presets.make_config("long", epochs=3)  # an explicit flag beats the preset
    assert (config.epochs, config.mode) == (3, "slow")
    with pytest.raises(LessonOptionError, match="no preset 'short'"):
        with_presets.make_config("short")


def test_every_config_field_becomes_a_flag() -> None:
    import argparse

    lesson = make_lesson([])
    parser = argparse.ArgumentParser()
    lesson.add_arguments(parser)
    args = parser.parse_args(["--epochs", "4", "--mode", "slow", "--verbose"])
    config = lesson.config_from_args(args)
    assert (config.epochs, config.mode, config.verbose) == (4, "slow", True)
    assert lesson.config_from_args(parser.parse_args([])) == TinyConfig()


# ------------------------------------------------------------- navigation
def test_auto_runs_every_step_once_and_writes_the_summary(tmp_path: Path) -> None:
    calls: list[str] = []
    console = recording_console()
    (tmp_path / "out").mkdir()
    summary_path = tmp_path / "out" / "summary.json"
    runner = LessonRunner(make_lesson(calls), console, auto=True, json_path=summary_path, seed=3)
    result = runner.run()
    assert result.status == "completed" and result.exit_code == 0
    assert calls == ["first", "second", "third"]
    text = console.export_text()
    assert step_headers(text) == ["1", "2", "3"]
    assert "Text of the second step." in text and "def first(ctx):" in text
    assert text.count("┄ half 0.500") == 1  # the chart is shown once, by the step's renderer
    assert "training ━" in text  # the bar's final state is printed
    assert "Try this" in text and "a hint with code" in text
    assert "Graded exercise for this step: lesson9.second" in text
    assert "Enter" not in text.split("Step 1/3")[1]  # no prompts in auto mode
    summary = json.loads(summary_path.read_text())
    assert summary["status"] == "completed" and summary["seed"] == 3
    assert summary["config"] == {"epochs": 2, "mode": "fast", "verbose": False}
    assert summary["answer"] == 42
    assert [s["id"] for s in summary["steps"]] == ["first", "second", "third"]
    assert all(s["done"] for s in summary["steps"])
    assert summary["steps"][1]["exercises"] == ["lesson9.second"]


def test_the_seed_fixes_every_random_stream(tmp_path: Path) -> None:
    values = []
    for seed in (5, 5, 6):
        runner = LessonRunner(make_lesson([]), recording_console(), auto=True, seed=seed)
        values.append(runner.run().summary["first_value"])
    assert values[0] == values[1] != values[2]


def test_enter_back_and_quit(home: Path) -> None:
    calls: list[str] = []
    console = recording_console()
    keys = Keys("", "", "b", "", "q")  # 1 -> 2 -> 3, back to 2, on to 3, quit
    result = LessonRunner(make_lesson(calls), console, input_fn=keys).run()
    assert result.status == "quit" and result.exit_code == 0
    assert calls == ["first", "second", "third"]  # going back shows, it does not re-run
    text = console.export_text()
    assert step_headers(text) == ["1", "2", "3", "2", "3"]
    last_prompt = text.split("Step 3/3")[-1]
    assert "Enter finishes the lesson" in last_prompt
    saved = ProgressStore(home).get(9)
    assert saved.completed  # every step was reached before quitting


def test_quit_remembers_the_place_and_the_next_run_continues_there(home: Path) -> None:
    calls: list[str] = []
    first_run = LessonRunner(make_lesson(calls), recording_console(), input_fn=Keys("", "q"))
    assert first_run.run().status == "quit"
    saved = ProgressStore(home).get(9)
    assert (saved.step_index, saved.step_id, saved.completed) == (2, "third", False)
    assert "continues at step 3" in first_run.console.export_text()

    calls.clear()
    console = recording_console()
    keys = Keys("", "")  # continue where I stopped; then finish
    result = LessonRunner(make_lesson(calls), console, input_fn=keys).run()
    assert result.status == "completed"
    assert "You stopped before step 3" in keys.prompts[0]
    assert calls == ["first", "second", "third"]  # earlier steps replayed for their state
    text = console.export_text()
    assert step_headers(text) == ["3"]  # ...but quietly
    assert "Caught up on 2 earlier step(s)." in text
    assert result.summary["answer"] == 42  # the replayed steps left their state
    assert ProgressStore(home).get(9).completed


def test_s_starts_over_and_restart_ignores_the_saved_place(home: Path) -> None:
    store = ProgressStore(home)
    LessonRunner(make_lesson([]), recording_console(), input_fn=Keys("q")).run()
    assert store.get(9).step_index == 1
    console = recording_console()
    LessonRunner(make_lesson([]), console, input_fn=Keys("s", "", "", "")).run()
    assert step_headers(console.export_text()) == ["1", "2", "3"]
    LessonRunner(make_lesson([]), recording_console(), input_fn=Keys("", "q")).run()
    console = recording_console()
    runner = LessonRunner(make_lesson([]), console, input_fn=Keys("", "", ""), restart=True)
    runner.run()
    assert step_headers(console.export_text()) == ["1", "2", "3"]


def test_unknown_keys_are_asked_again_and_eof_quits() -> None:
    console = recording_console()
    keys = Keys("x", "next", "")

    def answers(prompt: str) -> str:
        if not keys.answers:
            raise EOFError
        return keys(prompt)

    result = LessonRunner(make_lesson([]), console, input_fn=answers).run()
    assert result.status == "quit"
    assert console.export_text().count("Unknown key") == 2


def test_start_at_a_step_replays_the_ones_before(tmp_path: Path) -> None:
    calls: list[str] = []
    console = recording_console()
    result = LessonRunner(make_lesson(calls), console, auto=True, start_at="third").run()
    assert calls == ["first", "second", "third"]
    assert step_headers(console.export_text()) == ["3"]
    assert result.summary["answer"] == 42
    with pytest.raises(LessonOptionError, match="no step 'fourth'"):
        LessonRunner(make_lesson([]), recording_console(), start_at="fourth")


def test_ctrl_c_stops_cleanly_saves_the_place_and_the_summary(home: Path, tmp_path: Path) -> None:
    calls: list[str] = []
    console = recording_console()
    summary_path = tmp_path / "s.json"
    runner = LessonRunner(
        make_lesson(calls, interrupt_at="second"), console, auto=True, json_path=summary_path
    )
    result = runner.run()
    assert result.status == "interrupted" and result.exit_code == 130
    assert calls == ["first", "second"]
    assert "Stopped at step 2 (The second step)" in console.export_text()
    saved = ProgressStore(home).get(9)
    assert (saved.step_index, saved.completed) == (1, False)
    summary = json.loads(summary_path.read_text())
    assert summary["status"] == "interrupted"
    assert [s["done"] for s in summary["steps"]] == [True, False, False]


def test_report_refuses_the_runner_keys() -> None:
    def clash(ctx):
        ctx.report("status", "mine")

    steps = [Step("first", clash), Step("second", clash), Step("third", clash)]
    lesson = Lesson.build(9, parse_content(CONTENT), TinyConfig, steps)
    with pytest.raises(MinigradError, match="'status' is reserved"):
        LessonRunner(lesson, recording_console(), auto=True).run()


@pytest.mark.parametrize("width", [20, 39, 60])
def test_narrow_terminals_degrade_without_crashing(width: int) -> None:
    console = recording_console(width=width)
    result = LessonRunner(make_lesson([]), console, auto=True).run()
    assert result.status == "completed"
    text = console.export_text()
    assert "The third step" in text.replace("\n", " ") or "third" in text
    if width < 40:
        assert "half" in text and not any(0x2800 <= ord(ch) < 0x2900 for ch in text)


def test_a_corrupt_progress_file_counts_as_no_progress(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "progress.json").write_text("{not json", encoding="utf-8")
    store = ProgressStore()
    assert store.directory == home == state_dir()
    assert store.get(9).step_index == 0
    LessonRunner(make_lesson([]), recording_console(), input_fn=Keys("q")).run()
    assert store.get(9).step_index == 1


def test_plot_without_matplotlib_fails_before_running(monkeypatch: pytest.MonkeyPatch) -> None:
    from minigrad.lessons.framework import plot

    monkeypatch.setattr(plot.importlib.util, "find_spec", lambda name: None)
    calls: list[str] = []
    with pytest.raises(plot.PlotUnavailableError, match="matplotlib"):
        LessonRunner(make_lesson(calls), recording_console(), auto=True, plot_path="x.png")
    assert calls == []


# -------------------------------------------------------------------- CLI
@pytest.fixture
def cli_console(monkeypatch: pytest.MonkeyPatch) -> Console:
    console = recording_console()
    monkeypatch.setattr(learn, "make_console", lambda: console)
    return console


def test_learn_menu_in_auto_mode_lists_lessons_and_progress(
    cli_console: Console, home: Path
) -> None:
    ProgressStore(home).save(1, LessonProgress(completed=True))
    assert main(["learn", "--auto"]) == 0
    text = cli_console.export_text()
    for entry in catalog.entries():
        assert entry.summary in text
    assert "An RNN by hand on a binary sequence" in text
    assert "done ✓" in text
    assert "minigrad lesson 2" in text  # the next unfinished lesson is suggested


def test_learn_with_a_pipe_for_stdin_prints_the_menu_only(
    cli_console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["learn"]) == 0
    assert "minigrad lessons" in cli_console.export_text()


def test_learn_menu_runs_the_chosen_lesson_then_comes_back(
    cli_console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(learn, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(catalog, "load", lambda number: make_lesson(calls))
    # the menu: lesson 1; the lesson: Enter at each of its three steps; the menu again: quit
    keys = Keys("1", "", "", "", "q")
    monkeypatch.setattr(learn, "read_key", lambda prompt, write: keys(prompt))
    assert main(["learn"]) == 0
    assert calls == ["first", "second", "third"]
    assert keys.answers == []  # the menu asked again after the lesson, and q ended it
    text = cli_console.export_text()
    assert text.count("minigrad lessons") == 2
    # inside the menu, the closing message does not send the student to `minigrad learn`
    assert "Lesson 9 complete. Back to the menu" in text
    assert "`minigrad learn` shows" not in text


def test_lesson_cli_errors(cli_console: Console, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lesson", "99"]) == 2
    assert "there is no lesson 99" in capsys.readouterr().err
    assert main(["lesson"]) == 2
    assert "which lesson?" in capsys.readouterr().err
    assert main(["lesson", "1", "--epochs", "0"]) == 2
    assert "--epochs must be >= 1" in capsys.readouterr().err
    assert main(["lesson", "1", "--no-such-flag"]) == 2
    assert "unrecognized arguments: --no-such-flag" in capsys.readouterr().err


def test_lesson_help_lists_the_lessons_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lesson", "1", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--num-steps", "--state-size", "--batch-size", "--lr", "--epochs", "--auto"):
        assert flag in out
    assert main(["lesson", "2", "--help"]) == 0
    assert "--grad-steps" in capsys.readouterr().out


# ------------------------------------------------------------------- docs
def test_framework_docs_page_has_every_step_and_its_code() -> None:
    lesson = make_lesson([])
    page = render_page(lesson)
    for index, step in enumerate(lesson.steps, start=1):
        assert f"## Step {index}/3: {step.title}" in page
        assert step.text in page
    assert "```python no-run\ndef first(ctx):" in page
    assert "Graded exercise: `lesson9.second`." in page
    assert "| `--epochs` | `2` | epochs |" in page


def test_lessons_index_examples_run() -> None:
    text = (ROOT / "docs" / "lessons" / "index.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, "docs/lessons/index.md", "exec"), {})
