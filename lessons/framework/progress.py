"""Where each lesson was left: a small JSON file in the user's state directory.

The directory is ``$MINIGRAD_HOME`` when set, otherwise the platform's state
directory (``$XDG_STATE_HOME/minigrad`` or ``~/.local/state/minigrad`` on
Linux and macOS, ``%LOCALAPPDATA%\\minigrad`` on Windows). Lessons may keep
other files there too (lesson 3 keeps its checkpoints under it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PROGRESS_FILE = "progress.json"


def state_dir() -> Path:
    """The directory minigrad keeps user state in (not created here)."""
    home = os.environ.get("MINIGRAD_HOME")
    if home:
        return Path(home).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "minigrad"
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "minigrad"


@dataclass
class LessonProgress:
    """How far one lesson got: the next step to show, and whether it was finished."""

    step_index: int = 0
    step_id: str = ""
    completed: bool = False
    updated: float = 0.0


class ProgressStore:
    """Read and write ``progress.json`` (one entry per lesson number).

    A missing or unreadable file counts as "no progress yet": a corrupt state
    file must never stop anyone from starting a lesson.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else state_dir()

    @property
    def path(self) -> Path:
        """The progress file."""
        return self.directory / PROGRESS_FILE

    def _read_all(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        lessons = data.get("lessons") if isinstance(data, dict) else None
        return lessons if isinstance(lessons, dict) else {}

    def get(self, number: int) -> LessonProgress:
        """The progress of lesson ``number`` (a fresh one if none was saved)."""
        entry = self._read_all().get(str(number))
        if not isinstance(entry, dict):
            return LessonProgress()
        try:
            return LessonProgress(
                step_index=int(entry.get("step_index", 0)),
                step_id=str(entry.get("step_id", "")),
                completed=bool(entry.get("completed", False)),
                updated=float(entry.get("updated", 0.0)),
            )
        except (TypeError, ValueError):
            return LessonProgress()

    def save(self, number: int, progress: LessonProgress) -> None:
        """Store ``progress`` for lesson ``number`` (written atomically)."""
        lessons = self._read_all()
        progress.updated = time.time()
        lessons[str(number)] = asdict(progress)
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"lessons": lessons}, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def reset(self, number: int) -> None:
        """Forget the progress of lesson ``number``."""
        lessons = self._read_all()
        if lessons.pop(str(number), None) is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"lessons": lessons}, indent=2) + "\n", "utf-8")
