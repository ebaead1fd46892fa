"""The layers of ../shared/DESIGN.md, enforced by reading every module's imports (an AST scan).

1. the core (backend, autograd, tensor, ops, nn, optim, gradcheck, io, ...) imports
   neither the plugin host (``minigrad.cells``), nor plugins, lessons, rich or pluggy at
   module level, and prints nothing;
2. nothing under ``minigrad/`` but the command line imports ``minigrad.lessons``;
3. nothing under ``minigrad/`` imports ``minigrad.plugins`` except the registry's list of
   built-ins, which names them as strings (so no import statement at all);
4. plugins and lessons use only the public API: no private module and no private name;
5. ``import minigrad`` (and ``minigrad.nn``) loads neither pluggy nor rich.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINIGRAD = ROOT / "minigrad"

#: Top-level entries of minigrad/ that form the core (layers 1-4 of DESIGN.md).
CORE = {
    "__init__.py",
    "_moved.py",
    "backend.py",
    "autograd",
    "tensor.py",
    "ops",
    "functional.py",
    "creation.py",
    "errors.py",
    "version.py",
    "nn",
    "optim",
    "gradcheck.py",
    "io.py",
    "interop",
    "threads.py",
}
#: Modules a package may import inside the code where they are installed, by package path.
INSTALLED_AS = {"plugins": "minigrad.plugins", "lessons": "minigrad.lessons"}


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] in INSTALLED_AS:
        parts[0] = INSTALLED_AS[parts[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module_level_only: bool) -> Iterator[tuple[int, str, list[str]]]:
    """(line, imported module, names) for each import; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    body = tree.body if module_level_only else list(ast.walk(tree))
    nodes = []
    for node in body:
        if module_level_only and isinstance(node, ast.If):  # `if TYPE_CHECKING:` and the like
            nodes.extend(n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
        else:
            nodes.append(node)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base, [a.name for a in node.names]


def _is_core(path: Path) -> bool:
    return path.relative_to(MINIGRAD).parts[0] in CORE


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_core_list_names_real_entries() -> None:
    missing = [entry for entry in CORE if not (MINIGRAD / entry).exists()]
    assert not missing, f"CORE names entries that do not exist: {missing}"


def test_the_core_imports_no_upper_layer_nor_rich_or_pluggy_at_module_level() -> None:
    forbidden = ("minigrad.cells", "minigrad.fused", "minigrad.plugins", "minigrad.lessons")
    forbidden += ("minigrad.cli", "rich", "pluggy")
    bad = []
    for path in filter(_is_core, _python_files(MINIGRAD)):
        # The package's front door also offers the fused ops (they need no pluggy);
        # the plugin host stays lazy there too.
        allowed = ("minigrad.fused",) if path == MINIGRAD / "__init__.py" else ()
        for line, name, names in _imports(path, module_level_only=True):
            targets = [name] + [f"{name}.{n}" for n in names if name == "minigrad"]
            for target in targets:
                if any(_under(target, f) for f in forbidden if f not in allowed):
                    bad.append(f"{_where(path, line)} imports {target}")
    assert not bad, "the core reaches up a layer:\n" + "\n".join(bad)


def test_the_core_prints_nothing() -> None:
    bad = []
    for path in filter(_is_core, _python_files(MINIGRAD)):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                bad.append(_where(path, node.lineno))
    assert not bad, f"print() in the core (return values or raise instead): {bad}"


def test_only_the_command_line_imports_the_lessons() -> None:
    bad = []
    for path in _python_files(MINIGRAD):
        if path.relative_to(MINIGRAD).parts[0] == "cli":
            continue
        for line, name, names in _imports(path, module_level_only=False):
            targets = [name] + [f"{name}.{n}" for n in names if name == "minigrad"]
            if any(_under(t, "minigrad.lessons") for t in targets):
                bad.append(f"{_where(path, line)} imports {name}")
    assert not bad, "\n".join(bad)


def test_nothing_in_minigrad_imports_a_plugin() -> None:
    bad = []
    for path in _python_files(MINIGRAD):
        for line, name, names in _imports(path, module_level_only=False):
            targets = [name] + [f"{name}.{n}" for n in names if name == "minigrad"]
            if any(_under(t, "minigrad.plugins") for t in targets):
                bad.append(f"{_where(path, line)} imports {name}")
    assert not bad, "\n".join(bad)


def _private(name: str) -> bool:
    """``_x`` is private; a dunder such as ``__version__`` is public."""
    return any(p.startswith("_") and not p.endswith("__") for p in name.split("."))


@pytest.mark.parametrize("folder", ["plugins", "lessons"])
def test_plugins_and_lessons_use_only_the_public_api(folder: str) -> None:
    bad = []
    for path in _python_files(ROOT / folder):
        own = INSTALLED_AS[folder]
        for line, name, names in _imports(path, module_level_only=False):
            if not _under(name, "minigrad") or _under(name, own):
                continue
            if _private(name) or any(_private(n) for n in names):
                bad.append(f"{_where(path, line)} imports {name} {names}")
    assert not bad, "private minigrad names used:\n" + "\n".join(bad)


def test_plugins_do_not_import_each_other() -> None:
    bad = []
    for path in _python_files(ROOT / "plugins"):
        for line, name, _names in _imports(path, module_level_only=False):
            if _under(name, "minigrad.plugins") and name != "minigrad.plugins.parameters":
                bad.append(f"{_where(path, line)} imports {name}")
    assert not bad, "a plugin imports another plugin:\n" + "\n".join(bad)


def test_importing_minigrad_loads_neither_pluggy_nor_rich() -> None:
    code = (
        "import sys, minigrad, minigrad.nn, minigrad.fused\n"
        "loaded = sorted(m for m in ('pluggy', 'rich', 'minigrad.cells', 'minigrad.lessons',"
        " 'minigrad.plugins') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


#: The tools for seeing inside (docs/architecture.md, layer 4b): above the core, below cells.
VIEWS = ("viz", "tensorboard.py")


def test_the_views_use_only_the_core_and_load_tensorboardx_lazily() -> None:
    forbidden = ("minigrad.cells", "minigrad.fused", "minigrad.plugins", "minigrad.lessons")
    forbidden += ("minigrad.cli",)
    bad = []
    for path in _python_files(MINIGRAD):
        if path.relative_to(MINIGRAD).parts[0] not in VIEWS:
            continue
        for line, name, _names in _imports(path, module_level_only=False):
            if any(_under(name, f) for f in forbidden):
                bad.append(f"{_where(path, line)} imports {name}")
        for line, name, _names in _imports(path, module_level_only=True):
            if _under(name, "tensorboardX") or _under(name, "tensorboard"):
                bad.append(f"{_where(path, line)} imports {name} at module level")
    assert not bad, "\n".join(bad)


def test_the_core_does_not_import_the_views() -> None:
    bad = []
    for path in filter(_is_core, _python_files(MINIGRAD)):
        for line, name, names in _imports(path, module_level_only=False):
            targets = [name] + [f"{name}.{n}" for n in names if name == "minigrad"]
            if any(_under(t, "minigrad.viz") or _under(t, "minigrad.tensorboard") for t in targets):
                bad.append(f"{_where(path, line)} imports {name}")
    assert not bad, "\n".join(bad)
