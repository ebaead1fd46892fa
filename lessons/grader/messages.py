"""Turning an exception from a student's code into one message a student understands.

A runner traceback (pytest internals, the loader, the test's own lines) helps
nobody who is learning; what helps is the kind of problem, the student's own
file and line, and the line itself. Everything here works on plain exception
objects, so the grader and its tests can use it without pytest.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

#: Kinds of failure, from the grader's point of view.
TODO = "todo"  # the stub still raises NotImplementedError
CHECK = "check"  # a graded check found a wrong answer (AssertionError)
CRASH = "crash"  # the student's code raised some other exception
IMPORT = "import"  # the student's file could not be loaded
MEMORY = "memory"  # the student's code ran out of its memory limit

MAX_MESSAGE = 700


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def student_location(
    exc: BaseException, path: str | Path, display: str, code: bool = True
) -> str | None:
    """``"lesson1/rnn_cell.py, line 12, in rnn_cell: `return x @ W`"`` for the innermost
    line of the student's file in ``exc``'s traceback (None if none is there).

    ``code=False`` leaves out the line itself."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if _same_file(f.filename, str(path))
    ]
    if not frames:
        return None
    frame = frames[-1]
    if not code:
        return f"{display}, line {frame.lineno}"
    shown = f": `{frame.line.strip()}`" if frame.line else ""
    return f"{display}, line {frame.lineno}, in {frame.name}{shown}"


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis)."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_import_error(exc: BaseException, path: str | Path, display: str) -> str:
    """Why the student's file could not be loaded, pointing at their line."""
    if isinstance(exc, SyntaxError) and exc.filename and _same_file(exc.filename, str(path)):
        line = (exc.text or "").rstrip("\n")
        caret = ""
        if line and exc.offset:
            stripped = line.lstrip()
            pad = max(0, exc.offset - 1 - (len(line) - len(stripped)))
            caret = f"\n    {stripped}\n    {' ' * pad}^"
        elif line:
            caret = f"\n    {line.strip()}"
        return (
            f"your file {display} does not load: {type(exc).__name__} at line {exc.lineno}: "
            f"{exc.msg}{caret}"
        )
    where = student_location(exc, path, display)
    where = f" at {where}" if where else ""
    return (
        f"your file {display} does not load: {type(exc).__name__}: {exc}{where}. "
        "Code at the top level of the file runs when it is loaded; fix it, then grade again."
    )


def _not_implemented(exc: BaseException) -> NotImplementedError | None:
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, NotImplementedError):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def describe_exception(
    exc: BaseException,
    path: str | Path,
    display: str,
    exercise: str | None = None,
    memory_mb: int | None = None,
) -> tuple[str, str]:
    """``(kind, message)`` for an exception raised while a graded check ran.

    ``exercise`` (the id) is left out of a stub's "not done yet" message;
    ``memory_mb`` is the limit a ``MemoryError`` names.
    """
    from minigrad.lessons.grader.checks import StudentImportError

    if isinstance(exc, StudentImportError):
        return IMPORT, shorten(str(exc))
    todo = _not_implemented(exc)
    if todo is not None:
        where = student_location(todo, path, display, code=False) or student_location(
            exc, path, display, code=False
        )
        text = str(todo) or "NotImplementedError"
        exercise = exercise if exercise is not None else os.environ.get("MINIGRAD_EXERCISE_ID", "")
        if exercise and text.startswith(exercise + ": "):
            text = text[len(exercise) + 2 :]
        return TODO, shorten(f"not done yet: {text}" + (f" ({where})" if where else ""))
    if isinstance(exc, AssertionError):
        text = str(exc)
        # pytest's assertion rewriting appends "assert <expression>" lines.
        text = text.split("\nassert ")[0] if "\nassert " in text else text
        return CHECK, shorten(text or "a check failed")
    where = student_location(exc, path, display)
    at = f" (at {where})" if where else " (raised while the check called your code)"
    if isinstance(exc, MemoryError):
        limit = f"{memory_mb} MB" if memory_mb else "the memory limit"
        return MEMORY, shorten(
            f"your code ran out of memory: the grader lets it use {limit} (`minigrad grade "
            f"--memory-limit MB` changes that){at}"
        )
    if isinstance(exc, SystemExit):
        return CRASH, shorten(
            f"your code called sys.exit({exc.code!r}){at}: return a value instead"
        )
    return CRASH, shorten(f"{type(exc).__name__}: {safe_str(exc)}{at}")


def safe_str(exc: BaseException, fallback: str = "(its message cannot be shown)") -> str:
    """``str(exc)``, or ``fallback`` when the exception's ``__str__`` itself fails."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ in the student's exception class
        return fallback
