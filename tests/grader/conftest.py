"""Fixtures of the grader's tests: a fresh workspace, a recording console for the commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from minigrad.cli import exercises as cli
from minigrad.lessons.grader.manifest import load_manifest
from minigrad.lessons.grader.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace with every stub, in tmp_path/ws, and a fresh state folder."""
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINIGRAD_EXERCISES", raising=False)
    return Workspace.init(tmp_path / "ws", load_manifest()).workspace


@pytest.fixture
def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Console:
    """A recording console for the commands, a fresh state folder, the current folder tmp_path."""
    recording = Console(record=True, width=120, force_terminal=False)
    monkeypatch.setattr(cli, "make_console", lambda: recording)
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINIGRAD_EXERCISES", raising=False)
    monkeypatch.chdir(tmp_path)
    return recording
