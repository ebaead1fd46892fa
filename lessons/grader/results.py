"""Grading results, and the JSON result file (in the spirit of exercism's test runners).

The file ``minigrad grade --json PATH`` writes::

    {
      "version": 1,
      "status": "fail",                 # "pass" when every graded exercise passes
      "points": 16, "max_points": 145,  # over the exercises graded in this run
      "seed": 1234567,                  # the fresh seed of this run's random checks
      "minigrad": "0.1.0",
      "workspace": "/home/me/minigrad-exercises",
      "graded_at": "2025-01-31T10:00:00",
      "exercises": [
        {"id": "lesson1.gen_batch", "title": "...", "file": "lesson1/gen_batch.py",
         "lesson": 1, "step": "batches",
         "status": "pass",              # "pass" | "fail" | "error" | "timeout"
         "points": 10, "max_points": 10,
         "message": null,               # the first failing check, for the student
         "duration_s": 0.71,
         "tests": [{"name": "test_rows[0]", "description": "...", "status": "pass",
                    "message": null}]}
      ]
    }

As in exercism's interface, ``message`` is null when the exercise passes, and
``error`` means the tests could not run at all (the file does not load).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minigrad.atomic import replace_atomically
from minigrad.lessons.grader.errors import ExerciseError
from minigrad.lessons.grader.manifest import Exercise

RESULT_FORMAT_VERSION = 1
PASS, FAIL, ERROR, TIMEOUT = "pass", "fail", "error", "timeout"


@dataclass(frozen=True)
class CheckOutcome:
    """One graded check (one pytest test) and what it found."""

    name: str
    description: str
    status: str
    message: str | None = None
    kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "message": self.message,
        }


@dataclass
class ExerciseResult:
    """The grade of one exercise."""

    exercise: Exercise
    status: str
    message: str | None = None
    checks: list[CheckOutcome] = field(default_factory=list)
    duration: float = 0.0
    output: str = ""

    @property
    def passed(self) -> bool:
        """True if every check passed."""
        return self.status == PASS

    @property
    def points(self) -> int:
        """All the exercise's points if it passes, none otherwise."""
        return self.exercise.points if self.passed else 0

    @property
    def max_points(self) -> int:
        """The exercise's points."""
        return self.exercise.points

    @property
    def checks_passed(self) -> int:
        """How many checks passed."""
        return sum(c.status == PASS for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """The exercise's entry in the result file."""
        return {
            "id": self.exercise.id,
            "title": self.exercise.title,
            "file": self.exercise.file,
            "lesson": self.exercise.lesson,
            "step": self.exercise.step,
            "status": self.status,
            "points": self.points,
            "max_points": self.max_points,
            "message": None if self.passed else self.message,
            "duration_s": round(self.duration, 3),
            "tests": [c.to_dict() for c in self.checks],
        }


def result_document(
    results: list[ExerciseResult], *, workspace: Path, seed: int | None
) -> dict[str, Any]:
    """The whole result file for ``results`` (see the module docstring)."""
    from minigrad import __version__
    from minigrad.lessons.grader.progress import now

    return {
        "version": RESULT_FORMAT_VERSION,
        "status": PASS if results and all(r.passed for r in results) else FAIL,
        "points": sum(r.points for r in results),
        "max_points": sum(r.max_points for r in results),
        "seed": seed,
        "minigrad": __version__,
        "workspace": str(workspace),
        "graded_at": now(),
        "exercises": [r.to_dict() for r in results],
    }


#: ``--json -``: the result document goes to standard output.
STDOUT = "-"


def check_result_path(path: str | os.PathLike) -> Path | None:
    """Check where ``--json PATH`` will write, before any grading; None for ``-`` (stdout).

    The folder must exist already (nothing is created silently) and be
    writable, and PATH must not be a folder.
    """
    if str(path) == STDOUT:
        return None
    target = Path(path).expanduser()
    folder = target.parent
    fix = "create it first, or choose another path (`--json -` writes to the screen)"
    if target.is_dir():
        raise ExerciseError(
            f"--json {path}: that is a folder; give a file name, e.g. {target / 'results.json'}"
        )
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ExerciseError(f"--json {path}: the folder {folder} {what}; {fix}")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise ExerciseError(f"--json {path}: no permission to write there; {fix}")
    return target


def write_result_file(path: str | os.PathLike, document: dict[str, Any]) -> Path | None:
    """Write ``document`` as JSON to ``path`` (``-``: standard output); return the path.

    The file is written whole (``minigrad.atomic.replace_atomically``): an
    interrupted run never leaves half a result file.
    """
    text = json.dumps(document, indent=2) + "\n"
    target = check_result_path(path)
    if target is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    try:
        replace_atomically(str(target), lambda f: f.write(text.encode("utf-8")))
    except OSError as exc:
        raise ExerciseError(f"cannot write the results to {target}: {exc.strerror}") from None
    return target
