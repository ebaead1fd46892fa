"""The example third-party package ``examples/minigrad-mgu``, really installed.

A fresh virtual environment gets minigrad and minigrad-mgu installed by pip,
from copies of this checkout, exactly as a user would install a plugin. Then
its ``minigrad`` command must list the ``mgu`` cell under its own distribution
and version (found through the entry point, not registered in code) and pass
``minigrad check-cell mgu``; and the package's own test suite, which uses
``minigrad.cells.conformance.parametrize_with_cell_checks``, must pass there too.

No network: the venv is made without pip or setuptools of its own (the ones
Python 3.11's ``venv`` bundles are too old to build these packages) and sees
the site-packages of the environment running the tests (numpy, pluggy, rich,
pytest, pip, setuptools) through a ``.pth`` file, placed after its own; pip
runs with ``--no-deps --no-build-isolation --no-index``. ``venv
--system-site-packages`` would not do: run from a virtual environment (as CI
does) it exposes the base interpreter's packages, not that environment's.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

# Each test here works in a venv built once for the module (about 5 s).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "minigrad-mgu"
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"
)


def _run(args: list[str | Path], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def _explain(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with minigrad and minigrad-mgu installed; returns its bin/."""
    version = importlib.metadata.version("setuptools")
    assert int(version.split(".")[0]) >= 77, (
        f"setuptools {version} is too old to build minigrad (needs >= 77, see pyproject.toml); "
        "install the dev extras: pip install -e '.[dev]'"
    )
    work = tmp_path_factory.mktemp("example-plugin")
    shutil.copytree(ROOT, work / "minigrad", ignore=_ignored)
    shutil.copytree(EXAMPLE, work / "minigrad-mgu", ignore=IGNORE)
    env_dir = work / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", env_dir], work)
    assert made.returncode == 0, _explain(made)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    _see_this_environment(python)
    install = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    install += ["--no-deps", "--no-build-isolation", "--no-index"]
    result = _run([*install, work / "minigrad", work / "minigrad-mgu"], work)
    assert result.returncode == 0, _explain(result)
    return bin_dir


def _see_this_environment(python: Path) -> None:
    """Append this interpreter's site-packages to the venv's ``sys.path`` with a .pth file."""
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    result = _run([python, "-c", ask], python.parent)
    assert result.returncode == 0, _explain(result)
    own = Path(result.stdout.strip())
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (own / "_outer_site_packages.pth").write_text("".join(f"{path}\n" for path in ours))


def _ignored(directory: str, names: list[str]) -> set[str]:
    """Skip build outputs, caches and the examples (installed separately)."""
    skipped = set(IGNORE(directory, names))
    if Path(directory) == ROOT:
        skipped |= {"examples"} & set(names)
    return skipped


def test_the_venv_runs_its_own_installed_copies(venv: Path) -> None:
    code = "import minigrad, minigrad_mgu; print(minigrad.__file__); print(minigrad_mgu.__file__)"
    result = _run([venv / "python", "-c", code], venv)
    assert result.returncode == 0, _explain(result)
    prefix = str(venv.parent)
    for path in result.stdout.split():
        assert path.startswith(prefix) and "site-packages" in path, path


def test_minigrad_cells_lists_the_installed_plugin(venv: Path) -> None:
    result = _run([venv / "minigrad", "cells", "--json"], venv)
    assert result.returncode == 0, _explain(result)
    data = json.loads(result.stdout)
    by_name = {c["name"]: c for c in data["cells"]}
    mgu = by_name["mgu"]
    assert (mgu["distribution"], mgu["version"]) == ("minigrad-mgu", "0.1.0")
    assert mgu["plugin"] == "entry point 'mgu'"
    assert mgu["aliases"] == ["minimal_gated_unit"]
    assert (mgu["kind"], mgu["state_layout"]) == ("step", ["h"])
    assert mgu["summary"].startswith("Minimal Gated Unit (Zhou et al. 2016)")
    assert mgu["class"] == "minigrad_mgu.cell.MGUCell"
    assert by_name["lstm"]["distribution"] == "minigrad"  # the built-ins are still there
    assert data["failures"] == []


def test_minigrad_cells_table_shows_the_distribution(venv: Path) -> None:
    result = _run([venv / "minigrad", "cells"], venv)
    assert result.returncode == 0, _explain(result)
    row = next(line for line in result.stdout.splitlines() if " mgu " in line)
    assert "minigrad-mgu 0.1.0" in row and "entry point 'mgu'" in row


def test_minigrad_check_cell_passes_the_installed_plugin(venv: Path) -> None:
    result = _run([venv / "minigrad", "check-cell", "mgu"], venv)
    assert result.returncode == 0, _explain(result)
    assert "mgu conforms:" in result.stdout
    assert " 0 failed" in result.stdout


def test_a_tiny_shootout_runs_every_registered_cell_the_installed_one_included(
    venv: Path,
) -> None:
    """The issue's "done when": `minigrad shootout --task adding --preset tiny --seeds 2`."""
    out = venv.parent / "shootout.json"
    command = [venv / "minigrad", "shootout", "--task", "adding", "--preset", "tiny"]
    command += ["--seeds", "2", "--lrs", "0.03", "--workers", "2", "--json", out]
    command += ["--results", venv.parent / "shootout.jsonl"]
    result = _run(command, venv)
    assert result.returncode == 0, _explain(result)
    listed = json.loads(_run([venv / "minigrad", "cells", "--json"], venv).stdout)["cells"]
    step_cells = {c["name"] for c in listed if c["kind"] == "step"}
    document = json.loads(out.read_text())
    assert "mgu" in step_cells and len(step_cells) >= 19
    assert {row["cell"] for row in document["summary"]["cells"]} == step_cells
    assert len(document["runs"]) == 2 * len(step_cells)
    assert all(run["status"] == "ok" for run in document["runs"])
    assert re.search(r"^mgu +[\d,]+ ", result.stdout, re.M), result.stdout[-3000:]


def test_the_example_packages_own_tests_pass(venv: Path) -> None:
    example = venv.parent.parent / "minigrad-mgu"
    result = _run([venv / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], example)
    assert result.returncode == 0, _explain(result)
    assert " passed" in result.stdout and " failed" not in result.stdout


def _definitions(source: str) -> dict[str, str]:
    """``ast.dump`` of each top-level class and function in ``source``, by name."""
    return {
        node.name: ast.dump(node)
        for node in ast.parse(source).body
        if isinstance(node, (ast.ClassDef, ast.FunctionDef))
    }


def test_the_tutorial_builds_exactly_the_example_cell() -> None:
    """docs/writing-a-cell.md shows the very class and hook the example package ships."""
    fence = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)
    tutorial = (ROOT / "docs" / "writing-a-cell.md").read_text(encoding="utf-8")
    shown = _definitions("\n".join(fence.findall(tutorial)))
    shipped = (EXAMPLE / "src" / "minigrad_mgu" / "cell.py").read_text(encoding="utf-8")
    for name, dump in _definitions(shipped).items():
        assert shown.get(name) == dump, f"{name} in the tutorial differs from the example package"
