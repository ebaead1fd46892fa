"""The errors the grader raises on purpose: each says what is wrong and what to type next."""

from __future__ import annotations

from minigrad.errors import MinigradError


class ExerciseError(MinigradError):
    """Something about the graded exercises is wrong (base class)."""


class ManifestError(ExerciseError):
    """The exercise manifest (``manifest.toml``) or a file it names is broken."""


class WorkspaceError(ExerciseError):
    """The workspace does not exist, is not initialised, or a file in it is missing."""


class UnknownExerciseError(ExerciseError):
    """An exercise id that the manifest does not list (the message lists the valid ones)."""


class GraderUnavailableError(ExerciseError):
    """Grading needs pytest, which is not installed."""
