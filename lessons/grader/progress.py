"""What a workspace remembers between runs: grades, hints shown, unlocked solutions.

The file is ``.minigrad/progress.json`` in the workspace::

    {"format": 1, "created": "2025-01-31T10:00:00",
     "exercises": {"lesson1.gen_batch": {"status": "pass", "points": 10, "max_points": 10,
                                         "message": null, "graded_at": "...",
                                         "passed_at": "...", "hints_shown": 1}}}

``summary(workspace)`` is the public view other parts of minigrad use (the
``minigrad learn`` menu shows it next to the lesson progress).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minigrad.lessons.grader.errors import WorkspaceError
from minigrad.lessons.grader.manifest import Exercise, Manifest, load_manifest

if TYPE_CHECKING:  # results.py imports this module (inside a function)
    from minigrad.lessons.grader.results import ExerciseResult

FORMAT = 1
#: Status of an exercise that was never graded.
NOT_GRADED = "not graded"
STATUSES = ("pass", "fail", "error", "timeout", NOT_GRADED)


def now() -> str:
    """The local time as ``YYYY-MM-DDTHH:MM:SS``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class ExerciseProgress:
    """One exercise's record: its last grade, and what the student has unlocked."""

    status: str = NOT_GRADED
    points: int = 0
    max_points: int = 0
    message: str | None = None
    graded_at: str | None = None
    passed_at: str | None = None
    hints_shown: int = 0

    @property
    def passed_once(self) -> bool:
        """True once the exercise has passed (the solution stays unlocked after that)."""
        return self.passed_at is not None

    @classmethod
    def from_dict(cls, data: Any) -> ExerciseProgress:
        """Read a record, ignoring unknown keys and bad values (a hand-edited file)."""
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        record = cls(**{k: v for k, v in data.items() if k in known})
        if record.status not in STATUSES:
            record.status = NOT_GRADED
        if not isinstance(record.hints_shown, int) or record.hints_shown < 0:
            record.hints_shown = 0
        return record


class Progress:
    """The progress file of one workspace; ``save()`` writes it atomically."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = Path(path)
        self.created = str(data.get("created") or now())
        raw = data.get("exercises")
        raw = raw if isinstance(raw, dict) else {}
        self.records: dict[str, ExerciseProgress] = {
            k: ExerciseProgress.from_dict(v) for k, v in raw.items()
        }

    @classmethod
    def create(cls, path: Path) -> Progress:
        """A new, empty progress file at ``path``."""
        progress = cls(path, {})
        progress.save()
        return progress

    @classmethod
    def load(cls, path: Path) -> Progress:
        """Read ``path``; ``WorkspaceError`` if it is not a progress file."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise WorkspaceError(f"{path} is missing; run `minigrad exercises init`") from exc
        except (OSError, ValueError) as exc:
            raise WorkspaceError(
                f"{path} is not a readable progress file ({exc}); delete it and run "
                "`minigrad exercises init` to start a fresh record (your files are kept)"
            ) from exc
        if not isinstance(data, dict):
            raise WorkspaceError(f"{path} is not a progress file (not a JSON object)")
        return cls(path, data)

    def get(self, exercise_id: str) -> ExerciseProgress:
        """The record of ``exercise_id`` (created empty if missing)."""
        return self.records.setdefault(exercise_id, ExerciseProgress())

    def record(self, result: ExerciseResult) -> None:
        """Store a grading result (an ``ExerciseResult``)."""
        entry = self.get(result.exercise.id)
        entry.status = result.status
        entry.points = result.points
        entry.max_points = result.max_points
        entry.message = result.message
        entry.graded_at = now()
        if result.status == "pass" and entry.passed_at is None:
            entry.passed_at = entry.graded_at

    def reset(self, exercise_id: str) -> None:
        """Forget the grade of ``exercise_id`` (hints and an unlocked solution stay)."""
        entry = self.get(exercise_id)
        entry.status, entry.points, entry.message, entry.graded_at = NOT_GRADED, 0, None, None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to the file."""
        return {
            "format": FORMAT,
            "created": self.created,
            "exercises": {k: asdict(v) for k, v in sorted(self.records.items())},
        }

    def save(self) -> None:
        """Write the file (to a temporary name first, so a crash never leaves half a file)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


def exercise_status(progress: Progress, exercise: Exercise) -> dict[str, Any]:
    """One exercise's entry in ``summary``."""
    entry = progress.records.get(exercise.id, ExerciseProgress())
    return {
        "title": exercise.title,
        "status": entry.status,
        "points": entry.points if entry.status == "pass" else 0,
        "max_points": exercise.points,
        "lesson": exercise.lesson,
        "step": exercise.step,
        "hints_shown": entry.hints_shown,
        "hints_total": len(exercise.hints),
    }


def summary(workspace: Any = None, manifest: Manifest | None = None) -> dict[str, Any]:
    """Exercise progress in a workspace, for display next to lesson progress.

    ``workspace`` is a folder, a ``Workspace`` or None (found as the grader
    commands find it, see ``minigrad.lessons.grader.workspace``). Returns::

        {"initialised": True, "workspace": "/path", "points": 16, "max_points": 145,
         "passed": 2, "total": 18,
         "exercises": {"lesson1.gen_batch": {"title": ..., "status": "pass", "points": 10,
                                             "max_points": 10, "lesson": 1, "step": "batches",
                                             "hints_shown": 0, "hints_total": 3}, ...},
         "lessons": {1: {"points": 16, "max_points": 59, "passed": 2, "total": 7}, ...}}

    Status is "pass", "fail", "error", "timeout" or "not graded" (the last
    grade). Without a workspace, ``initialised`` is False, ``workspace`` None
    and every exercise "not graded". Never raises for a missing workspace.
    """
    from minigrad.lessons.grader.workspace import Workspace

    manifest = manifest if manifest is not None else load_manifest()
    ws = None
    try:
        ws = workspace if isinstance(workspace, Workspace) else Workspace.find(workspace)
        progress = Progress.load(ws.progress_path)
    except WorkspaceError:
        ws, progress = None, None
    progress = progress if progress is not None else Progress(Path(os.devnull), {})
    exercises = {e.id: exercise_status(progress, e) for e in manifest}
    lessons: dict[int, dict[str, int]] = {}
    for exercise in manifest:
        if exercise.lesson is None:
            continue
        entry = exercises[exercise.id]
        agg = lessons.setdefault(
            exercise.lesson, {"points": 0, "max_points": 0, "passed": 0, "total": 0}
        )
        agg["points"] += entry["points"]
        agg["max_points"] += entry["max_points"]
        agg["passed"] += entry["status"] == "pass"
        agg["total"] += 1
    return {
        "initialised": ws is not None,
        "workspace": str(ws.root) if ws is not None else None,
        "points": sum(e["points"] for e in exercises.values()),
        "max_points": manifest.max_points,
        "passed": sum(e["status"] == "pass" for e in exercises.values()),
        "total": len(manifest),
        "exercises": exercises,
        "lessons": lessons,
    }


def safe_summary(workspace: Any = None) -> dict[str, Any] | None:
    """``summary(workspace)``, or None when the exercises cannot be read at all.

    For displays that show exercise progress next to something else (the
    ``minigrad learn`` menu): a broken manifest must not break them.
    """
    from minigrad.errors import MinigradError

    try:
        return summary(workspace)
    except MinigradError:
        return None
