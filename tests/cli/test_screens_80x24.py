"""The lessons and the cell commands as a student sees them: a default 80x24 terminal.

Each test runs the real command in a pseudo-terminal of 80 columns and 24 rows and reads
what the terminal shows (tests/cli/terminal80.py). At every prompt, the step's title and
the prompt must be on screen together; keys are single key presses; no word may be
broken across lines (the transcript's words are compared with the same command printed
200 columns wide); charts are shown once, and again when a person goes back.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pexpect")
pytest.importorskip("pyte")

from terminal80 import COLS, ROWS, Terminal, base_env, broken_words, wide_output  # noqa: E402

from minigrad.lessons.charlm.data import toy_text  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")

#: Words only the interactive prompts print (the wide, --auto run has no prompts).
PROMPT_WORDS = (
    "Enter next back quit help more skip the rest done finishes lesson Step line lines "
    "Keys after each step"
)
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
STEP_STATUS = re.compile(r"Step (\d+)/(\d+) · (.+?)(?: · (?:done|\d+ more lines?).*)?$")


@pytest.fixture
def home() -> Iterator[Path]:
    """A short temporary folder (short paths do not wrap, so they do not look like words)."""
    folder = Path(tempfile.mkdtemp(prefix="mg", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def walk_lesson(term: Terminal, keys_after_step: dict[int, list[str]]) -> list[dict]:
    """Answer every prompt (Enter, or the keys given for a step); check each screen.

    Returns one record per prompt: the step number it named, the prompt and the screen.
    """
    seen: list[dict] = []
    pending = {step: list(keys) for step, keys in keys_after_step.items()}
    while True:
        try:
            prompt = term.wait_for_prompt()
        except AssertionError:
            if term.finished:
                return seen
            raise
        screen = term.screen()
        status = [m for line in screen if (m := STEP_STATUS.search(line.strip()))]
        assert status, "no 'Step k/N · title' line above the prompt:\n" + "\n".join(screen)
        step = int(status[-1].group(1))
        assert len(screen) == ROWS and all(len(line) <= COLS for line in screen)
        seen.append({"step": step, "prompt": prompt, "screen": screen, "title": status[-1][3]})
        is_step_end = "Enter next" in prompt
        key = "\r"
        if is_step_end and pending.get(step):
            key = pending[step].pop(0)
        term.press(key)


@pytest.mark.slow
def test_lesson_1_at_80x24_back_from_the_experiments_shows_the_training_chart_again(
    home: Path,
) -> None:
    argv = ["lesson", "1", "--epochs", "1", "--epoch-samples", "4000"]
    argv += ["--experiments", "2x4,5x4", "--restart"]
    env = base_env(str(home))
    term = Terminal(argv, env)
    prompts = walk_lesson(term, {8: ["b"]})  # at the end, back to step 7 (training) once
    assert term.wait_for_exit() == 0
    transcript = term.transcript()
    text = "\n".join(transcript)
    steps_named = [p["step"] for p in prompts if "Enter next" in p["prompt"]]
    assert steps_named[-3:] == [8, 7, 8]
    # the training chart of step 7 is on screen when the student comes back to it
    rules = [i for i, line in enumerate(transcript) if re.search(r"─ Step 7/8 · ", line)]
    assert len(rules) == 2  # shown, then shown again after b
    again = "\n".join(transcript[rules[-1] :])
    assert "training loss, seminar configuration" in again
    assert "Seminar configuration" in again
    assert "Lesson 1 complete" in text
    wide = wide_output([*argv, "--auto"], env)
    assert not broken_words(transcript, wide, PROMPT_WORDS.split())


@pytest.mark.slow
def test_lesson_2_at_80x24_reads_whole_charts_legends_and_tables(home: Path) -> None:
    argv = ["lesson", "2", "--epoch-samples", "20000", "--restart"]
    env = base_env(str(home))
    term = Terminal(argv, env)
    prompts = walk_lesson(term, {})
    assert term.wait_for_exit() == 0
    transcript = term.transcript()
    text = "\n".join(transcript)
    # the drivers step's chart once, with both curves (it used to be printed twice)
    assert text.count("training loss: static vs dynamic") == 1
    assert "━ static  ━ dynamic" in text
    # the gradients step: the legend label is whole, never "W = 17913"
    assert "━ relu rnn, W = 1.5 I" in text
    assert not re.search(r"W =\s+\d{3,}", text)
    # every step's last prompt came with the step's title
    titles = {p["step"]: p["title"] for p in prompts if "Enter next" in p["prompt"]}
    assert sorted(titles) == [1, 2, 3, 4, 5, 6]
    assert titles[6].startswith("Vanishing and exploding gradients")
    # long steps were paged: some prompt offered "more"
    assert any("more" in p["prompt"] for p in prompts)
    wide = wide_output([*argv, "--auto"], env)
    assert not broken_words(transcript, wide, PROMPT_WORDS.split())


@pytest.mark.slow
def test_lesson_3_at_80x24_names_threads_forecast_and_loss_landmarks(home: Path) -> None:
    corpus = home / "toy.txt"
    corpus.write_text(toy_text(15_000, seed=7), encoding="utf-8")
    argv = ["lesson", "3", "--preset", "tiny", "--corpus", str(corpus), "--max-steps", "12"]
    argv += ["--hidden-size", "16", "--gen-length", "40", "--restart", "--threads", "auto"]
    env = base_env(str(home))
    term = Terminal(argv, env)
    prompts = walk_lesson(term, {})
    assert term.wait_for_exit() == 0
    transcript = term.transcript()
    text = " ".join(" ".join(transcript).split())
    assert "Measured on this machine:" in text and "BLAS thread" in text
    assert "what a loss sounds like" in text and "this model" in text
    assert text.count("loss (nats/char)") == 1  # the training chart, once
    assert sorted({p["step"] for p in prompts}) == [1, 2, 3, 4, 5, 6, 7, 8]
    wide = wide_output([*argv, "--auto"], env)
    # generated text is random letters: compare the words outside the sample panels only
    assert not broken_words(transcript, wide, PROMPT_WORDS.split())


@pytest.mark.slow
def test_lesson_4_at_80x24_shows_the_shootout_tables_whole(home: Path) -> None:
    env = base_env(str(home))
    if (SHARED_DATA / "tinyshakespeare.txt").exists():  # the project's layout: no download
        env["MINIGRAD_DATA_DIR"] = str(SHARED_DATA)
    argv = ["lesson", "4", "--preset", "tiny", "--restart"]
    term = Terminal(argv, env)
    prompts = walk_lesson(term, {})
    assert term.wait_for_exit() == 0
    transcript = term.transcript()
    text = " ".join(" ".join(transcript).split())
    titles = {p["step"]: p["title"] for p in prompts if "Enter next" in p["prompt"]}
    assert sorted(titles) == [1, 2, 3, 4, 5, 6]
    assert "registered step cells" in text
    assert "the papers against your numbers" in text and "Greff et al. 2015" in text
    assert "Lesson 4 complete" in text
    wide = wide_output([*argv, "--auto"], env)
    assert not broken_words(transcript, wide, PROMPT_WORDS.split())


def test_single_keys_need_no_enter_and_q_quits_at_once(home: Path) -> None:
    term = Terminal(["lesson", "2", "--epoch-samples", "20000", "--restart"], base_env(str(home)))
    term.wait_for_prompt()
    term.press("q")  # no Enter after it
    assert term.wait_for_exit() == 0
    assert "See you soon" in "\n".join(term.transcript())


def test_minigrad_cells_fits_80_columns_without_breaking_words(home: Path) -> None:
    env = base_env(str(home))
    term = Terminal(["cells"], env)
    assert term.wait_for_exit() == 0
    transcript = term.transcript()
    assert any(line.lstrip("│┃ ").startswith("lstm") for line in transcript)
    assert not broken_words(transcript, wide_output(["cells"], env))


def test_minigrad_check_cell_fits_80_columns_without_breaking_words(home: Path) -> None:
    argv = ["check-cell", "gru", "--check", "shapes", "--check", "errors", "--check", "docstring"]
    env = base_env(str(home))
    term = Terminal(argv, env)
    assert term.wait_for_exit() == 0
    transcript = term.transcript()
    assert "conforms" in "\n".join(transcript)
    assert not broken_words(transcript, wide_output(argv, env))


def test_the_learn_menu_at_80x24_takes_single_keys(home: Path) -> None:
    term = Terminal(["learn"], base_env(str(home)))
    prompt = term.wait_for_prompt()
    assert prompt.startswith("Lesson number")
    screen = "\n".join(term.screen())
    assert "minigrad lessons" in screen or "lesson" in screen
    term.press("q")
    assert term.wait_for_exit() == 0
