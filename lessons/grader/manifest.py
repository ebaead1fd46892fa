"""The ordered list of graded exercises, read from ``lessons/exercises/manifest.toml``.

Each ``[[exercise]]`` table names one exercise; **the order of the tables is
the order students meet them in** (as rustlings' ``info.toml``)::

    [[exercise]]
    id = "lesson1.rnn_cell"              # group.name: lower case, digits, _
    title = "The basic RNN cell, forward"
    points = 6
    file = "lesson1/rnn_cell.py"         # stubs/<file>, solutions/<file>, and the workspace copy
    tests = "lesson1/test_rnn_cell.py"   # tests/<tests>: the graded pytest file
    lesson = 1                           # optional: the lesson step it belongs to
    step = "model"
    hints = ["first hint", "second, more precise", "third, almost the answer"]

The stubs, reference solutions and graded tests live next to the manifest in
``stubs/``, ``solutions/`` and ``tests/``: folders without ``__init__.py``,
shipped as package data and loaded by path, never imported as packages.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from minigrad.lessons.grader.errors import ManifestError, UnknownExerciseError

#: The folder that holds manifest.toml, stubs/, solutions/ and tests/.
EXERCISES_DIR = Path(__file__).resolve().parent.parent / "exercises"
MANIFEST_NAME = "manifest.toml"

_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_REQUIRED = ("id", "title", "points", "file", "tests", "hints")
_OPTIONAL = ("lesson", "step")


@dataclass(frozen=True)
class Exercise:
    """One graded exercise as the manifest declares it (``order`` counts from 1)."""

    id: str
    title: str
    points: int
    file: str
    tests: str
    hints: tuple[str, ...]
    order: int
    lesson: int | None = None
    step: str | None = None
    root: Path = EXERCISES_DIR

    @property
    def stub_path(self) -> Path:
        """The stub students start from."""
        return self.root / "stubs" / self.file

    @property
    def solution_path(self) -> Path:
        """The reference solution (shown by ``minigrad solution`` once the exercise passes)."""
        return self.root / "solutions" / self.file

    @property
    def tests_path(self) -> Path:
        """The graded pytest file."""
        return self.root / "tests" / self.tests

    @property
    def link(self) -> str | None:
        """``"lesson 1, step model"`` when the exercise belongs to a lesson step."""
        if self.lesson is None:
            return None
        return f"lesson {self.lesson}" + (f", step {self.step}" if self.step else "")


@dataclass(frozen=True)
class Manifest:
    """Every exercise, in order, with lookups by id."""

    exercises: tuple[Exercise, ...]
    path: Path

    def __iter__(self):
        return iter(self.exercises)

    def __len__(self) -> int:
        return len(self.exercises)

    @property
    def ids(self) -> list[str]:
        """Every exercise id, in order."""
        return [e.id for e in self.exercises]

    @property
    def max_points(self) -> int:
        """The points of every exercise together."""
        return sum(e.points for e in self.exercises)

    def get(self, exercise_id: str) -> Exercise:
        """The exercise ``exercise_id`` (or the unique one whose name after the dot matches).

        Raises ``UnknownExerciseError`` listing the valid ids (and close matches).
        """
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        by_name = [e for e in self.exercises if e.id.split(".", 1)[1] == exercise_id]
        if len(by_name) == 1:
            return by_name[0]
        close = difflib.get_close_matches(str(exercise_id), self.ids, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownExerciseError(
            f"there is no exercise {exercise_id!r}.{hint} The exercises are: "
            f"{', '.join(self.ids)} (`minigrad exercises list` shows them with your progress)"
        )

    def for_step(self, lesson: int, step: str) -> list[Exercise]:
        """The exercises that belong to step ``step`` of lesson ``lesson``."""
        return [e for e in self.exercises if e.lesson == lesson and e.step == step]


def _toml_loads(text: str, path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError as exc:
            raise ManifestError(
                "reading the exercise manifest needs Python 3.11 or newer, or the tomli "
                "package on Python 3.10: pip install tomli"
            ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: not valid TOML: {exc}") from exc


def _relative_file(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or not value.endswith(".py"):
        raise ManifestError(f"{where}: {key} must be a relative path to a .py file, got {value!r}")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise ManifestError(f"{where}: {key} must be a relative path inside the folder: {value!r}")
    return value


def _exercise(table: Any, order: int, root: Path, source: Path) -> Exercise:
    where = f"{source}: exercise #{order}"
    if not isinstance(table, dict):
        raise ManifestError(f"{where} is not a table")
    missing = [k for k in _REQUIRED if k not in table]
    unknown = [k for k in table if k not in _REQUIRED + _OPTIONAL]
    if missing or unknown:
        raise ManifestError(
            f"{where} ({table.get('id', '?')}): missing keys {missing or 'none'}, unknown keys "
            f"{unknown or 'none'}; the keys are {', '.join(_REQUIRED + _OPTIONAL)}"
        )
    ex_id = table["id"]
    where = f"{source}: exercise {ex_id!r}"
    if not isinstance(ex_id, str) or not _ID.match(ex_id):
        raise ManifestError(f"{where}: an id looks like 'lesson1.rnn_cell' (group.name)")
    points = table["points"]
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise ManifestError(f"{where}: points must be a positive integer, got {points!r}")
    hints = table["hints"]
    if not isinstance(hints, list) or not hints or not all(isinstance(h, str) for h in hints):
        raise ManifestError(f"{where}: hints must be a non-empty list of strings")
    lesson, step = table.get("lesson"), table.get("step")
    if lesson is not None and (isinstance(lesson, bool) or not isinstance(lesson, int)):
        raise ManifestError(f"{where}: lesson must be a lesson number, got {lesson!r}")
    if step is not None and (lesson is None or not isinstance(step, str)):
        raise ManifestError(f"{where}: step must be a step id, given together with lesson")
    exercise = Exercise(
        id=ex_id,
        title=str(table["title"]),
        points=points,
        file=_relative_file(table["file"], "file", where),
        tests=_relative_file(table["tests"], "tests", where),
        hints=tuple(hints),
        order=order,
        lesson=lesson,
        step=step,
        root=root,
    )
    for what, path in (
        ("stub", exercise.stub_path),
        ("solution", exercise.solution_path),
        ("tests", exercise.tests_path),
    ):
        if not path.is_file():
            raise ManifestError(f"{where}: its {what} file {path} does not exist")
    return exercise


def parse_manifest(path: Path) -> Manifest:
    """Read and check the manifest at ``path`` (its folder holds stubs/, solutions/, tests/)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read the exercise manifest {path}: {exc}") from exc
    data = _toml_loads(text, path)
    tables = data.get("exercise")
    if not isinstance(tables, list) or not tables:
        raise ManifestError(f"{path}: no [[exercise]] tables")
    exercises = tuple(
        _exercise(table, order, path.parent, path) for order, table in enumerate(tables, 1)
    )
    seen: set[str] = set()
    for exercise in exercises:
        for key in (exercise.id, exercise.file):
            if key in seen:
                raise ManifestError(f"{path}: {key!r} appears in two exercises")
            seen.add(key)
    return Manifest(exercises, path)


@functools.cache
def load_manifest() -> Manifest:
    """The manifest shipped with minigrad (read once per process)."""
    return parse_manifest(EXERCISES_DIR / MANIFEST_NAME)
