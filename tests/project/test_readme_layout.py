"""The README's layout table names every folder and top-level module as they are."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layout_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Project layout")
    return text[start : text.index("\n## ", start + 1)]


def _entries(folder: str) -> list[str]:
    base = ROOT / folder
    return sorted(
        p.name
        for p in base.iterdir()
        if not p.name.startswith(".") and p.name != "__pycache__" and not p.name.endswith(".md")
    )


def test_every_top_level_module_and_package_of_minigrad_is_listed() -> None:
    table = _layout_table()
    missing = []
    for name in _entries("minigrad"):
        shown = f"minigrad/{name}/" if (ROOT / "minigrad" / name).is_dir() else name
        if f"`{shown}`" not in table and f"`minigrad/{name}`" not in table:
            missing.append(name)
    assert not missing, f"README's layout table does not mention minigrad/{missing}"


def test_every_plugin_file_and_lesson_folder_is_listed() -> None:
    table = _layout_table()
    missing = [f"plugins/{n}" for n in _entries("plugins") if n != "__init__.py"]
    missing = [m for m in missing if f"`{m.removeprefix('plugins/')}`" not in table]
    lessons = sorted(n for n in _entries("lessons") if re.fullmatch(r"lesson\d+", n))
    if f"`lessons/lesson1/` ... `{lessons[-1]}/`" not in table:
        missing.append(f"lessons/lesson1/ ... {lessons[-1]}/")
    for name in _entries("lessons"):
        if name == "__init__.py" or name in lessons:
            continue
        if f"`lessons/{name}/`" not in table and f"`{name}`" not in table:
            missing.append(f"lessons/{name}")
    assert not missing, f"README's layout table does not mention {missing}"


def test_every_test_folder_and_top_level_folder_is_listed() -> None:
    table = _layout_table()
    folders = [p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name[0] != "_"]
    missing = [f for f in folders if f"`{f}/`" not in table and f != "__pycache__"]
    top = [p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")]
    ignored = {"build", "dist", "runs", "checkpoints", "shared"}
    missing += [
        f for f in top if f"`{f}/`" not in table and f not in ignored and "egg-info" not in f
    ]
    assert not missing, f"README's layout table does not mention {missing}"
