"""Right after the README's ``pip install -e .``, ``minigrad grade`` works (issue 11 item 1).

A fresh virtual environment gets minigrad installed by pip from a copy of this
checkout, editable, as README.md tells a student. Its metadata must require
pytest with no extra (so ``pip install -e .`` brings it), and in that
environment ``minigrad exercises init`` then ``minigrad grade`` must grade: a
reference solution passes, an untouched stub is "not done yet".

No network: the venv is made without pip of its own and sees this
environment's site-packages (numpy, pluggy, rich, pytest, pip, setuptools)
through a ``.pth`` file, as tests/cells/test_example_plugin.py explains; pip
runs with ``--no-deps --no-build-isolation --no-index``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from minigrad.lessons.grader.manifest import load_manifest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "examples"
)


def run(args: list, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(COLUMNS="200", MINIGRAD_HOME=str(cwd / "home"))
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_a_fresh_editable_install_grades(tmp_path: Path) -> None:
    shutil.copytree(ROOT, tmp_path / "minigrad", ignore=SKIP)
    made = run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv"], tmp_path)
    assert made.returncode == 0, made.stderr
    python = tmp_path / "venv" / "bin" / "python"
    own = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path)
    outer = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(own.stdout.strip()) / "_outer_site_packages.pth").write_text("\n".join(outer) + "\n")
    pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    installed = run([*pip, "-e", tmp_path / "minigrad"], tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    ask = "import importlib.metadata as m; print('\\n'.join(m.requires('minigrad')))"
    requires = run([python, "-c", ask], tmp_path).stdout.splitlines()
    assert any(r.startswith("pytest") and "extra" not in r for r in requires), requires

    minigrad = tmp_path / "venv" / "bin" / "minigrad"
    assert run([minigrad, "exercises", "init", "ws"], tmp_path).returncode == 0
    gru = load_manifest().get("cells.gru")
    stub = run([minigrad, "grade", gru.id, "-w", "ws"], tmp_path)
    assert stub.returncode == 1 and "not done yet: write gru_cell" in stub.stdout, stub.stdout
    shutil.copy(gru.solution_path, tmp_path / "ws" / gru.file)
    solved = run([minigrad, "grade", gru.id, "-w", "ws"], tmp_path)
    assert solved.returncode == 0 and "✓ pass" in solved.stdout, solved.stdout + solved.stderr
    where = run([python, "-c", "import minigrad.lessons as m; print(m.__file__)"], tmp_path)
    assert where.stdout.startswith(str(tmp_path / "minigrad")), where.stdout
