"""Read a lesson's ``content.md``: its title, introduction and one section per step.

The format (see ``lessons/framework/README.md``)::

    # Lesson 1: An RNN by hand

    Introduction, shown before the first step.

    ## data: Generating the sequence
    <!-- exercise: lesson1.gen_batch -->
    <!-- hint: Try `minigrad lesson 1 --num-steps 3`. -->

    Markdown text of the step...

Each ``## <step-id>: Title`` heading opens a step; the order of the headings is
the order of the steps. ``<!-- key: value -->`` lines anywhere in a section are
metadata (invisible on GitHub, removed from the text shown); a key may repeat
(``hint`` usually does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from minigrad.errors import MinigradError

_TITLE = re.compile(r"^#\s+(?P<title>.+?)\s*$")
_SECTION = re.compile(r"^##\s+(?P<id>[a-z][a-z0-9_-]*)\s*:\s*(?P<title>.+?)\s*$")
_META = re.compile(r"^\s*<!--\s*(?P<key>[a-z][a-z0-9_-]*)\s*:\s*(?P<value>.*?)\s*-->\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


class ContentError(MinigradError):
    """A lesson's content.md does not follow the expected format."""


@dataclass(frozen=True)
class Section:
    """One step's text: its id, title, Markdown body and metadata."""

    id: str
    title: str
    text: str
    meta: dict[str, list[str]] = field(default_factory=dict)

    def first(self, key: str, default: str | None = None) -> str | None:
        """The first value of metadata ``key`` (or ``default``)."""
        values = self.meta.get(key)
        return values[0] if values else default


@dataclass(frozen=True)
class LessonContent:
    """A parsed content.md: title, introduction and sections in order."""

    title: str
    intro: str
    sections: tuple[Section, ...]
    source: str = "<string>"

    def section(self, step_id: str) -> Section:
        """The section of ``step_id`` (ContentError if there is none)."""
        for section in self.sections:
            if section.id == step_id:
                return section
        known = ", ".join(s.id for s in self.sections)
        raise ContentError(f"{self.source}: no section '## {step_id}: ...' (sections: {known})")


def _finish(lines: list[str]) -> tuple[str, dict[str, list[str]]]:
    """Split a section's lines into Markdown text and metadata (outside code fences)."""
    meta: dict[str, list[str]] = {}
    kept: list[str] = []
    fence: str | None = None
    for line in lines:
        opening = _FENCE.match(line)
        if opening:
            marker = opening.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
        match = _META.match(line) if fence is None else None
        if match:
            meta.setdefault(match.group("key"), []).append(match.group("value"))
        else:
            kept.append(line)
    return "\n".join(kept).strip("\n"), meta


def parse_content(text: str, source: str = "<string>") -> LessonContent:
    """Parse the text of a content.md; ``source`` names the file in error messages."""
    title: str | None = None
    intro: list[str] = []
    sections: list[Section] = []
    current: tuple[str, str] | None = None
    body: list[str] = []
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        opening = _FENCE.match(line)
        if opening:
            marker = opening.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
        if fence is None and not opening:
            if title is None and _TITLE.match(line) and not line.startswith("##"):
                title = _TITLE.match(line).group("title")
                continue
            if line.startswith("## "):
                match = _SECTION.match(line)
                if match is None:
                    raise ContentError(
                        f"{source}:{number}: a step heading must read '## <step-id>: Title' "
                        f"(id in lower case, letters, digits, - or _), got {line!r}"
                    )
                if current is not None:
                    sections.append(Section(current[0], current[1], *_finish(body)))
                current, body = (match.group("id"), match.group("title")), []
                continue
        if current is None:
            intro.append(line)
        else:
            body.append(line)
    if current is not None:
        sections.append(Section(current[0], current[1], *_finish(body)))
    if title is None:
        raise ContentError(f"{source}: the first heading must be '# Lesson N: Title'")
    if not sections:
        raise ContentError(f"{source}: no step sections ('## <step-id>: Title')")
    ids = [s.id for s in sections]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ContentError(f"{source}: step ids appear twice: {', '.join(duplicates)}")
    intro_text, _ = _finish(intro)
    return LessonContent(title, intro_text, tuple(sections), source)


def load_content(path: str | Path) -> LessonContent:
    """Read and parse the content.md at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(f"cannot read lesson content {path}: {exc}") from exc
    return parse_content(text, source=str(path))
