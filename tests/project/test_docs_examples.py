"""The documentation is tested: its examples run, and the API page lists the API.

(a) Every ```python fenced block in README.md and docs/*.md runs, block after
    block in one fresh namespace per file, as a reader would paste them. A
    block fenced as ```python no-run is shown but not run (use it sparingly,
    e.g. for code that needs a GPU or a long training run).
(b) docs/api.md names every public op (``minigrad.ops.__all__``), every
    public name of ``minigrad``, ``minigrad.nn`` and ``minigrad.optim``.
(c) Relative links in those files point to files that exist.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

import minigrad

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]

# An opening fence with its info string, the body, and a closing fence of the
# same length or longer (CommonMark), indented by at most three spaces.
FENCE = re.compile(r"^ {0,3}(`{3,})[ \t]*([^\n`]*)\n(.*?)^ {0,3}\1`*[ \t]*$", re.M | re.S)


def python_blocks(text: str) -> list[tuple[int, str, bool]]:
    """(line number, code, runnable) for each ```python block of a Markdown text."""
    blocks = []
    for match in FENCE.finditer(text):
        words = match.group(2).split()
        if not words or words[0] not in ("python", "py"):
            continue
        line = text.count("\n", 0, match.start(3)) + 1
        blocks.append((line, match.group(3), "no-run" not in words[1:]))
    return blocks


def test_fence_parser_finds_runnable_and_skipped_blocks() -> None:
    text = (
        "intro\n```python\na = 1\n```\n"
        "```bash\nls\n```\n"
        "```python no-run\nimport cupy\n```\n"
        "````python\nb = '```'\n````\n"
    )
    blocks = python_blocks(text)
    assert [(code, run) for _, code, run in blocks] == [
        ("a = 1\n", True),
        ("import cupy\n", False),
        ("b = '```'\n", True),
    ]
    assert blocks[0][0] == 3  # first line of the code, for error messages


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_python_blocks_run(path: Path) -> None:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing")
    namespace: dict[str, object] = {"__name__": f"doc_{path.stem}"}
    for line, code, runnable in python_blocks(path.read_text(encoding="utf-8")):
        if not runnable:
            continue
        where = f"{path.relative_to(ROOT)}:{line}"
        try:
            exec(compile(code, where, "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"the example at {where} failed: {exc!r}") from exc


def test_docs_have_runnable_examples() -> None:
    """Guard against a parser that silently finds nothing."""
    autograd = (ROOT / "docs" / "autograd.md").read_text(encoding="utf-8")
    assert sum(run for _, _, run in python_blocks(autograd)) >= 5


def public_names() -> dict[str, list[str]]:
    """The names docs/api.md must mention, grouped by where they come from."""
    from minigrad import nn, ops, optim

    top = [
        name
        for name in vars(minigrad)
        if not name.startswith("_") and not isinstance(getattr(minigrad, name), types.ModuleType)
    ]
    return {
        "minigrad.ops.__all__": list(ops.__all__),
        "minigrad": top,
        "minigrad.nn.__all__": list(getattr(nn, "__all__", [])),
        "minigrad.optim.__all__": list(getattr(optim, "__all__", [])),
    }


def test_api_page_lists_every_public_name() -> None:
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    prose = FENCE.sub("", api)  # names inside examples do not count as documented
    mentioned = set(re.findall(r"`([^`\n]+)`", prose))
    # `mg.clip(x, low, high)` and `Tensor.clip` both mention "clip".
    words = {re.split(r"[(\[ =]", m)[0].split(".")[-1] for m in mentioned}
    missing = {
        where: [n for n in names if n not in words] for where, names in public_names().items()
    }
    missing = {where: names for where, names in missing.items() if names}
    assert not missing, (
        f"docs/api.md does not mention {missing}; add each name in `backticks` to its section"
    )


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_existing_files(path: Path) -> None:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # `steps[0](x)` in code is not a link
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        if not (path.parent / target.split("#")[0]).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)} links to missing files: {broken}"
