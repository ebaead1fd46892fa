"""Packaging: every package ships, under its ``minigrad.`` name and no other.

``plugins/`` and ``lessons/`` sit at the top of the repository but install as
``minigrad.plugins`` and ``minigrad.lessons`` (``package-dir`` in
pyproject.toml). The package list there is explicit, so these tests check it
against the source tree, then build a real wheel and look inside it.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
#: Source folder -> the import name it installs as.
SOURCE_ROOTS = {
    "minigrad": "minigrad",
    "plugins": "minigrad.plugins",
    "lessons": "minigrad.lessons",
}
LESSON_DATA = ("md", "toml", "json", "txt")
SKIP_DIRS = {"__pycache__", "build", "dist"}


def setuptools_config() -> dict:
    """The ``[tool.setuptools]`` table of pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]


def source_dirs() -> list[tuple[Path, str]]:
    """(folder, import name) for every folder under the three source roots."""
    found = []
    for top, name in SOURCE_ROOTS.items():
        for dirpath, dirnames, _ in os.walk(ROOT / top):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
            rel = Path(dirpath).relative_to(ROOT / top)
            found.append((Path(dirpath), ".".join([name, *rel.parts])))
    return found


def source_packages() -> set[str]:
    """Import names of the folders that hold an ``__init__.py``."""
    return {name for path, name in source_dirs() if (path / "__init__.py").exists()}


def test_package_dir_maps_plugins_and_lessons_under_minigrad() -> None:
    assert setuptools_config()["package-dir"] == {
        "minigrad": "minigrad",
        "minigrad.plugins": "plugins",
        "minigrad.lessons": "lessons",
    }


def test_package_list_matches_the_source_tree() -> None:
    listed = set(setuptools_config()["packages"])
    in_tree = source_packages()
    assert {"minigrad", "minigrad.plugins", "minigrad.lessons"} <= in_tree
    assert all(name.startswith("minigrad") for name in listed)
    paste = "packages = [\n" + "".join(f'    "{name}",\n' for name in sorted(in_tree)) + "]"
    assert listed == in_tree, (
        f"[tool.setuptools] packages in pyproject.toml is out of date: missing "
        f"{sorted(in_tree - listed)} (they would not be installed), listed but absent "
        f"{sorted(listed - in_tree)}. The list that matches the tree:\n{paste}"
    )


def python_data_files() -> list[tuple[Path, str]]:
    """(file, path in the wheel) of .py files shipped as package data, not as modules.

    The graded exercises' stubs, solutions and tests are data: a pattern such as
    ``exercises/**/*.py`` in ``[tool.setuptools.package-data]`` ships them.
    """
    found = []
    for top, name in SOURCE_ROOTS.items():
        patterns = [
            p for p in setuptools_config()["package-data"].get(name, []) if p.endswith(".py")
        ]
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT / top).as_posix()
            if "__pycache__" not in rel and any(fnmatch.fnmatch(rel, p) for p in patterns):
                found.append((path, f"{name.replace('.', '/')}/{rel}"))
    return found


def test_no_python_files_outside_a_package() -> None:
    """A folder of .py files without __init__.py would silently not be installed."""
    data = {path for path, _ in python_data_files()}
    orphans = [
        str(path.relative_to(ROOT))
        for path, _ in source_dirs()
        if any(p not in data for p in path.glob("*.py")) and not (path / "__init__.py").exists()
    ]
    assert not orphans, f"add an __init__.py (and a pyproject.toml packages entry) to {orphans}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """A wheel built from a copy of the tree, plus probe lesson data files."""
    setuptools = pytest.importorskip("setuptools")
    major = int(setuptools.__version__.split(".")[0])
    assert major >= 77, (
        f"setuptools {setuptools.__version__} is too old to build minigrad (needs >= 77, see "
        "pyproject.toml); install the dev extras: pip install -e '.[dev]'"
    )
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__")
    shutil.copytree(ROOT, src, ignore=ignore)
    probe = src / "lessons" / "_probe_lesson" / "deeper"
    probe.mkdir(parents=True)
    for ext in LESSON_DATA:
        (probe / f"content.{ext}").write_text("probe\n")
    out = work / "dist"
    code = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"
    result = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (path,) = out.glob("*.whl")
    return zipfile.ZipFile(path)


@pytest.fixture(scope="module")
def wheel_names(wheel: zipfile.ZipFile) -> list[str]:
    """Every file name in the wheel."""
    return wheel.namelist()


def test_wheel_has_no_top_level_plugins_or_lessons(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"minigrad"}, f"unexpected top-level names in the wheel: {sorted(tops)}"
    top_level = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
    assert wheel.read(top_level).decode().split() == ["minigrad"]


def test_wheel_holds_every_package_and_module(wheel_names: list[str]) -> None:
    names = set(wheel_names)
    for path, name in source_dirs():
        if not (path / "__init__.py").exists():
            continue
        installed = name.replace(".", "/")
        for module in path.glob("*.py"):
            assert f"{installed}/{module.name}" in names, f"{module} is missing from the wheel"
    assert "minigrad/plugins/__init__.py" in names
    assert "minigrad/lessons/__init__.py" in names


def test_wheel_ships_lesson_content_files(wheel_names: list[str]) -> None:
    for ext in LESSON_DATA:
        assert f"minigrad/lessons/_probe_lesson/deeper/content.{ext}" in wheel_names


def test_wheel_ships_python_package_data(wheel_names: list[str]) -> None:
    shipped = python_data_files()
    assert shipped, "expected the graded exercises' .py files to be package data"
    missing = [wheel_path for _, wheel_path in shipped if wheel_path not in wheel_names]
    assert not missing, f"package data missing from the wheel: {missing}"


def test_wheel_declares_the_console_script(wheel_names: list[str]) -> None:
    assert any(n.endswith(".dist-info/entry_points.txt") for n in wheel_names)
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    assert project["scripts"] == {"minigrad": "minigrad.cli.main:main"}
    assert project["requires-python"] == ">=3.10"


def test_installed_minigrad_exposes_no_top_level_plugins_or_lessons(tmp_path: Path) -> None:
    """In this environment's install (editable or not), only ``minigrad`` is importable."""
    try:
        importlib.metadata.distribution("minigrad")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("minigrad is not installed in this environment (pip install -e .)")
    code = (
        "import importlib.util as u, minigrad.plugins, minigrad.lessons;"
        "print(u.find_spec('plugins') is None, u.find_spec('lessons') is None)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
