"""The exercise guides: their Python examples run and their relative links resolve.

tests/test_docs_examples.py runs the blocks of docs/*.md; the guides live one
level down, in docs/exercises/, so they are run here, with the same rule
(a ```python no-run block is shown, not run).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = sorted((ROOT / "docs" / "exercises").glob("*.md"))
FENCE = re.compile(r"^ {0,3}(`{3,})[ \t]*([^\n`]*)\n(.*?)^ {0,3}\1`*[ \t]*$", re.M | re.S)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line, code) of every runnable ```python block."""
    blocks = []
    for match in FENCE.finditer(text):
        words = match.group(2).split()
        if words and words[0] in ("python", "py") and "no-run" not in words[1:]:
            blocks.append((text.count("\n", 0, match.start(3)) + 1, match.group(3)))
    return blocks


def test_both_guides_exist() -> None:
    assert [p.name for p in GUIDES] == ["instructors.md", "students.md"]


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: p.name)
def test_python_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path))
    monkeypatch.delenv("MINIGRAD_EXERCISES", raising=False)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"doc_{path.stem}"}
    for line, code in python_blocks(path.read_text(encoding="utf-8")):
        where = f"{path.relative_to(ROOT)}:{line}"
        exec(compile(code, where, "exec"), namespace)


def test_instructors_guide_runs_examples() -> None:
    assert len(python_blocks((ROOT / "docs/exercises/instructors.md").read_text())) >= 2


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: p.name)
def test_relative_links_resolve(path: Path) -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", path.read_text(encoding="utf-8")):
        assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_the_documented_statuses_and_keys_match_the_code() -> None:
    from minigrad.lessons.grader.report import STATUS
    from minigrad.lessons.grader.results import RESULT_FORMAT_VERSION

    students = (ROOT / "docs/exercises/students.md").read_text()
    for status in ("pass", "fail", "error", "timeout"):
        assert f"| `{status}` |" in students and status in STATUS
    instructors = (ROOT / "docs/exercises/instructors.md").read_text()
    assert f'"version": {RESULT_FORMAT_VERSION}' in instructors
