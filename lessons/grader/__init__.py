"""The grader of minigrad's graded exercises (``minigrad exercises``, ``grade``, ``hint`` ...).

* ``manifest``: the ordered list of exercises (``lessons/exercises/manifest.toml``).
* ``workspace``: the student's folder of exercise files, and how commands find it.
* ``progress``: what a workspace remembers; ``summary(workspace)`` for other tools.
* ``runner``: grading in a subprocess with a time limit (``pytest_plugin`` inside it).
* ``checks``: helpers the graded tests use; ``messages``: errors a student understands.
* ``results``: grades and the JSON result file; ``report``: how they look in a terminal.
* ``hints``, ``watch``: progressive hints, and re-grading on save.

docs/exercises/students.md and docs/exercises/instructors.md explain the workflow.
"""

from minigrad.lessons.grader.errors import (
    ExerciseError,
    GraderUnavailableError,
    ManifestError,
    UnknownExerciseError,
    WorkspaceError,
)
from minigrad.lessons.grader.manifest import Exercise, Manifest, load_manifest
from minigrad.lessons.grader.progress import summary
from minigrad.lessons.grader.workspace import Workspace

__all__ = [
    "Exercise",
    "ExerciseError",
    "GraderUnavailableError",
    "Manifest",
    "ManifestError",
    "UnknownExerciseError",
    "Workspace",
    "WorkspaceError",
    "load_manifest",
    "summary",
]
