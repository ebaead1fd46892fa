"""The runner at a terminal: prompts that name the step, ? for help, long steps paged,
single keys (with the typed-line fallback), and the CLI's help texts."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from minigrad.cli import terminal
from minigrad.cli.main import main
from minigrad.lessons.framework import (
    Lesson,
    LessonRunner,
    LineChart,
    Step,
    option,
    parse_content,
)
from minigrad.lessons.framework.pager import show_paged
from minigrad.lessons.lesson1.render import beyond_reach, gradient_reaches, render_experiments
from minigrad.lessons.lesson2.render import below_first_note

LONG = "\n\n".join(f"Paragraph {i} of a long explanation." for i in range(40))
CONTENT = f"""# Lesson 9: Pages

Intro.

## long: A long step

{LONG}

## short: A short step

Short.
"""


@dataclass
class Config:
    size: int = option(1, "a size", minimum=1)


def lesson() -> Lesson:
    steps = [Step("long", lambda ctx: None), Step("short", lambda ctx: "done")]
    return Lesson.build(9, parse_content(CONTENT), Config, steps)


class Keys:
    def __init__(self, *answers: str) -> None:
        self.answers, self.prompts = list(answers), []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    return tmp_path


def terminal_console() -> Console:
    return Console(record=True, width=80, height=24, force_terminal=True, color_system=None)


def screens(text: str) -> list[str]:
    """The output cut at each prompt: what the terminal showed when a key was asked."""
    return text.split("›")


def test_a_long_step_is_paged_and_every_prompt_names_the_step() -> None:
    console = terminal_console()
    keys = Keys("", "", "", "", "", "", "", "", "")
    result = LessonRunner(lesson(), console, input_fn=keys).run()
    assert result.status == "completed"
    text = console.export_text()
    pages = [p for p in keys.prompts if "more" in p]
    assert len(pages) >= 2  # 40 paragraphs do not fit one 24-line screen
    for shown in screens(text)[:-1]:
        last = shown.rstrip().splitlines()[-24:]
        assert any(
            "Step 1/2 · A long step" in line or "Step 2/2 · A short step" in line for line in last
        )
        assert len(last) <= 24
    assert "Paragraph 39" in text  # nothing was lost between pages


def test_s_skips_the_rest_of_a_page_and_q_quits_from_a_page() -> None:
    console = terminal_console()
    result = LessonRunner(lesson(), console, input_fn=Keys("s", "", "", "")).run()
    assert result.status == "completed"
    assert "Paragraph 39" not in console.export_text()
    console = terminal_console()
    assert LessonRunner(lesson(), console, input_fn=Keys("q")).run().status == "quit"


def test_question_mark_explains_the_keys_and_lists_the_step_ids() -> None:
    console = Console(record=True, width=80)
    keys = Keys("?", "x", "", "")
    LessonRunner(lesson(), console, input_fn=keys).run()
    text = console.export_text()
    assert "back to the previous step" in text and "ids: long, short" in text
    assert "Unknown key 'x': press ? for help." in text
    assert "[bold]?[/] help" in keys.prompts[0]


def test_show_paged_prints_straight_through_when_not_paging() -> None:
    console = Console(record=True, width=80, height=10)
    asked: list[str] = []
    outcome = show_paged(console, [LONG], "Step 1/1 · x", asked.append, page=False)
    assert outcome == "more" and not asked


def test_read_key_falls_back_to_a_typed_line_without_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written: list[str] = []
    monkeypatch.setattr("sys.stdin", io.StringIO("B\n\nq\n"))
    assert terminal.read_key("› ", written.append) == "b"
    assert terminal.read_key("› ", written.append) == ""  # Enter
    assert terminal.read_key("› ", written.append) == "q"
    with pytest.raises(EOFError):
        terminal.read_key("› ", written.append)
    assert written == ["› "] * 4


def test_normalise_key() -> None:
    assert terminal.normalise_key("\r") == terminal.normalise_key("\n") == ""
    assert terminal.normalise_key("Q") == "q"
    assert terminal.normalise_key("\x1b[A") == "\x1b[A"  # an arrow is not a known key


def test_lesson_help_lists_the_step_ids_and_says_each_default_once(capsys) -> None:
    assert main(["lesson", "3", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "start at this step: corpus, vocab, baselines, batches, model, train, generate" in out
    assert "(default: in minigrad's state folder)" in out
    assert "(default: )" not in out
    assert "--threads N|auto" in out


def test_lesson_1_marks_a_run_nearest_a_line_its_gradient_cannot_reach() -> None:
    assert [gradient_reaches(n) for n in (2, 3, 4, 8, 9, 10)] == [
        "neither",
        "neither",
        "first",
        "first",
        "both",
        "both",
    ]
    two = {"num_steps": 2, "state_size": 4, "epochs": 1, "final_loss": 0.578}
    two.update(learned="first", seconds=1.0, curve=[], curve_every=1, windows_per_epoch=1)
    five = {**two, "num_steps": 5, "final_loss": 0.52}
    assert beyond_reach(two) and not beyond_reach(five)
    console = Console(record=True, width=80)
    ctx = type("Ctx", (), {"console": console})()
    thresholds = {"both_below": 0.487, "first_below": 0.590}
    result = {"runs": [two, five], "chart": LineChart("final comparison"), "thresholds": thresholds}
    for renderable in render_experiments(result, ctx):
        console.print(renderable)
    text = " ".join(console.export_text().split())
    assert "first*" in text and '2x4 ends nearest "first" although no gradient' in text
    assert "5x4" in text and "gradient reaches" in text


def test_lesson_2_explains_a_run_below_the_first_line() -> None:
    expected = {"neither": 0.6616, "first": 0.5192, "both": 0.4545}
    low = {"final_loss": {"dynamic": 0.4911}, "expected": expected, "state_size": 8}
    assert 'below lesson 1\'s "first" line' in below_first_note(low)
    high = {"final_loss": {"dynamic": 0.55}, "expected": expected}
    assert below_first_note(high) == ""
