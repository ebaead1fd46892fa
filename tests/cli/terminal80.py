"""A real 80x24 terminal for screen tests: the command runs in a pseudo-terminal (pexpect)
and its output goes through a terminal emulator (pyte), so the tests see what a person sees.

``Terminal(argv, env)`` starts ``python -m minigrad ARGV``; ``wait_for_prompt()`` reads
until a prompt (a line ending in ``›``) waits for a key; ``press(key)`` sends one;
``screen()`` is the 24 visible lines, ``transcript()`` every line ever shown (scrolled-off
history, then the screen). ``broken_words`` compares the words of a transcript with those
of the same command printed 200 columns wide: a word wrapped letter by letter leaves
fragments that the wide output does not have.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import pexpect
import pyte

ROWS, COLS = 24, 80
PROMPT_MARK = "›"
WORD = re.compile(r"[A-Za-z]{2,}")


class Terminal:
    """``python -m minigrad ARGV`` in an 80x24 pseudo-terminal, read through pyte."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], timeout: float = 120.0) -> None:
        self.screen_ = pyte.HistoryScreen(COLS, ROWS, history=100_000)
        self.stream = pyte.ByteStream(self.screen_)
        env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "minigrad", *argv],
            dimensions=(ROWS, COLS),
            env={**env, "TERM": "xterm-256color"},
            timeout=timeout,
        )
        self.timeout = timeout
        self.finished = False

    # ---------------------------------------------------------------- reading
    def _pump(self, wait: float) -> None:
        try:
            data = self.child.read_nonblocking(1 << 16, timeout=wait)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            self.finished = True
            return
        self.stream.feed(data)

    def read_until(self, done: Callable[[Terminal], bool], what: str) -> None:
        """Feed the output to the emulator until ``done(self)``; fail after the timeout."""
        end = time.monotonic() + self.timeout
        while time.monotonic() < end:
            self._pump(0.1)
            if done(self):
                return
            if self.finished:
                break
        raise AssertionError(f"waited for {what}; the screen shows:\n" + "\n".join(self.screen()))

    def cursor_line(self) -> str:
        """The line the cursor is on (where a prompt waits)."""
        return self.screen_.display[self.screen_.cursor.y].rstrip()

    def wait_for_prompt(self) -> str:
        """Read until a prompt waits for a key; return its line."""
        self.read_until(lambda t: t.cursor_line().endswith(PROMPT_MARK), "a prompt")
        time.sleep(0.05)
        self._pump(0.05)  # a key pressed before the terminal is in single-key mode is lost
        return self.cursor_line()

    def press(self, key: str) -> None:
        """Send one key (``"\\r"`` is Enter) and let the emulator see the echo."""
        self.child.send(key)
        self._pump(0.05)

    def wait_for_exit(self) -> int:
        """Read until the command ends; its exit status."""
        self.read_until(lambda t: t.finished, "the end of the command")
        self.child.close()
        return self.child.exitstatus if self.child.exitstatus is not None else -1

    # ---------------------------------------------------------------- showing
    def screen(self) -> list[str]:
        """The 24 visible lines, trailing blanks removed."""
        return [line.rstrip() for line in self.screen_.display]

    def transcript(self) -> list[str]:
        """Every line shown so far: the scrolled-off history, then the screen."""
        history = [
            "".join(line[x].data for x in range(COLS)).rstrip() for line in self.screen_.history.top
        ]
        return history + self.screen()


def wide_output(argv: Sequence[str], env: dict[str, str], timeout: float = 120.0) -> str:
    """``python -m minigrad ARGV`` printed 200 columns wide into a pipe (no prompts)."""
    done = subprocess.run(
        [sys.executable, "-m", "minigrad", *argv],
        env={**env, "COLUMNS": "200", "LINES": "5000", "TERM": "dumb"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def broken_words(narrow: Sequence[str], wide: str, allowed: Sequence[str] = ()) -> set[str]:
    """Words of the 80-column transcript that the wide output never shows: broken fragments."""
    known = set(WORD.findall(wide)) | set(allowed)
    return {word for line in narrow for word in WORD.findall(line)} - known


def base_env(home: str) -> dict[str, str]:
    """The environment of a screen test: progress in ``home``, no colour surprises."""
    env = dict(os.environ)
    env["MINIGRAD_HOME"] = home
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    return env
