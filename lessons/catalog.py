"""The list of lessons: number, the package that holds it, and its title.

A lesson package exposes ``LESSON`` (a ``minigrad.lessons.framework.Lesson``).
Titles are read from each package's content.md, so the menu can list every
lesson without importing (and building) them all.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from minigrad.errors import MinigradError
from minigrad.lessons.framework.content import ContentError, load_content
from minigrad.lessons.framework.lesson import Lesson, LessonOptionError


@dataclass(frozen=True)
class CatalogEntry:
    """One lesson of the catalog."""

    number: int
    module: str
    summary: str

    def content_path(self) -> Path | None:
        """The lesson's content.md (None if its package is not installed)."""
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            return None
        return Path(next(iter(spec.submodule_search_locations))) / "content.md"

    def title(self) -> str:
        """The title from content.md (or a placeholder that says what is wrong)."""
        path = self.content_path()
        if path is None:
            return f"Lesson {self.number} (not installed)"
        try:
            return load_content(path).title
        except ContentError:
            return f"Lesson {self.number} (content missing)"

    def step_count(self) -> int:
        """How many steps the lesson has (0 when its content cannot be read)."""
        path = self.content_path()
        try:
            return len(load_content(path).sections) if path else 0
        except ContentError:
            return 0


LESSONS: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        1, "minigrad.lessons.lesson1", "one-hot inputs, a tanh cell in a loop, truncated backprop"
    ),
    CatalogEntry(
        2, "minigrad.lessons.lesson2", "the rnn plugin, dynamic_rnn, lengths, vanishing gradients"
    ),
    CatalogEntry(
        3, "minigrad.lessons.lesson3", "embeddings, gated cells, training, checkpoints, sampling"
    ),
    CatalogEntry(
        4, "minigrad.lessons.lesson4", "which variant is best? a shoot-out of every registered cell"
    ),
)


def entries() -> list[CatalogEntry]:
    """Every lesson, in order."""
    return list(LESSONS)


def entry(number: int) -> CatalogEntry:
    """The catalog entry of lesson ``number`` (LessonOptionError if there is none)."""
    for item in LESSONS:
        if item.number == number:
            return item
    known = ", ".join(str(item.number) for item in LESSONS)
    raise LessonOptionError(f"there is no lesson {number}; the lessons are {known}")


def load(number: int) -> Lesson:
    """Import lesson ``number`` and return its ``Lesson``."""
    item = entry(number)
    try:
        module = importlib.import_module(item.module)
    except ImportError as exc:
        raise MinigradError(
            f"lesson {number} ({item.module}) could not be loaded: {exc}. Reinstall minigrad "
            "(`pip install -e .` in a checkout) and try again."
        ) from exc
    lesson = getattr(module, "LESSON", None)
    if not isinstance(lesson, Lesson):
        raise MinigradError(f"{item.module} does not define LESSON (a framework.Lesson)")
    return lesson
