"""The student's workspace: a folder with a copy of every stub and a progress file.

Layout (``minigrad exercises init [DIR]``, DIR defaults to ``./minigrad-exercises``)::

    minigrad-exercises/
        README.md                  how to work (copied once)
        lesson1/gen_batch.py       one file per exercise, the student's to edit
        ...
        .minigrad/progress.json    grades, hints shown, solutions unlocked
        .minigrad/backups/         files saved by ``minigrad reset`` before restoring a stub

Commands other than ``init`` find the workspace in this order: ``--workspace``
(``-w``), the environment variable ``MINIGRAD_EXERCISES``, the current folder or
one above it that holds ``.minigrad/progress.json``, ``./minigrad-exercises``,
and last the workspace ``init`` created most recently (remembered in
minigrad's state folder, ``$MINIGRAD_HOME``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from minigrad.lessons.grader.errors import WorkspaceError
from minigrad.lessons.grader.manifest import Exercise, Manifest

DEFAULT_DIR_NAME = "minigrad-exercises"
ENV_VAR = "MINIGRAD_EXERCISES"
STATE_DIR = ".minigrad"
PROGRESS_NAME = "progress.json"
#: In minigrad's state folder: the workspace ``init`` created last.
LAST_WORKSPACE_FILE = "exercises.json"
README_TEMPLATE = Path(__file__).with_name("workspace_readme.md")

#: What ``init`` did with each exercise file.
CREATED, KEPT, UNCHANGED = "created", "kept (yours)", "unchanged"


def _state_dir() -> Path:
    from minigrad.lessons.framework.progress import state_dir

    return state_dir()


@dataclass(frozen=True)
class InitReport:
    """What ``Workspace.init`` did: ``(exercise, action)`` pairs and whether it was new."""

    workspace: Workspace
    actions: tuple[tuple[Exercise, str], ...]
    new: bool

    def count(self, action: str) -> int:
        """How many exercise files got ``action``."""
        return sum(1 for _, a in self.actions if a == action)


@dataclass(frozen=True)
class Workspace:
    """An initialised workspace folder (build one with ``init``, ``open`` or ``find``)."""

    root: Path

    # ------------------------------------------------------------------ paths
    @property
    def state_dir(self) -> Path:
        """``.minigrad/`` inside the workspace."""
        return self.root / STATE_DIR

    @property
    def progress_path(self) -> Path:
        """``.minigrad/progress.json``: its presence marks an initialised workspace."""
        return self.state_dir / PROGRESS_NAME

    def path_of(self, exercise: Exercise) -> Path:
        """The student's file for ``exercise``."""
        return self.root / exercise.file

    def display(self, exercise: Exercise) -> str:
        """The student's file as shown in messages (relative to the workspace)."""
        return exercise.file

    def is_stub(self, exercise: Exercise) -> bool:
        """True if the student's file is still byte for byte the stub."""
        path = self.path_of(exercise)
        return path.is_file() and path.read_bytes() == exercise.stub_path.read_bytes()

    # ------------------------------------------------------------- building
    @classmethod
    def init(cls, directory: str | os.PathLike | None, manifest: Manifest) -> InitReport:
        """Create (or complete) a workspace: copy every stub that is not there yet.

        A file that exists is never overwritten, changed or not; a missing one
        is copied again. The progress file is created if absent and kept
        otherwise. The folder is remembered as the last workspace.
        """
        root = Path(directory if directory is not None else DEFAULT_DIR_NAME).expanduser()
        if root.exists() and not root.is_dir():
            raise WorkspaceError(f"{root} exists and is not a folder; choose another DIR")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot create the workspace folder {root}: {exc}") from exc
        workspace = cls(root.resolve())
        new = not workspace.progress_path.exists()
        actions = []
        for exercise in manifest:
            target = workspace.path_of(exercise)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(exercise.stub_path, target)
                actions.append((exercise, CREATED))
            else:
                actions.append((exercise, UNCHANGED if workspace.is_stub(exercise) else KEPT))
        readme = workspace.root / "README.md"
        if not readme.exists():
            shutil.copyfile(README_TEMPLATE, readme)
        if new:
            from minigrad.lessons.grader.progress import Progress

            Progress.create(workspace.progress_path)
        remember(workspace.root)
        return InitReport(workspace, tuple(actions), new)

    @classmethod
    def open(cls, directory: str | os.PathLike) -> Workspace:
        """The workspace at ``directory``; ``WorkspaceError`` if it is not one."""
        root = Path(directory).expanduser()
        if not root.exists():
            raise WorkspaceError(
                f"the workspace {root} does not exist; create it with "
                f"`minigrad exercises init {root}`"
            )
        if not root.is_dir():
            raise WorkspaceError(f"the workspace {root} is a file, not a folder")
        workspace = cls(root.resolve())
        if not workspace.progress_path.is_file():
            raise WorkspaceError(
                f"{root} is not an exercise workspace (no {STATE_DIR}/{PROGRESS_NAME} in it); "
                f"initialise it with `minigrad exercises init {root}`"
            )
        return workspace

    @classmethod
    def find(cls, directory: str | os.PathLike | None = None) -> Workspace:
        """The workspace to use (see the module docstring for the search order)."""
        if directory is not None:
            return cls.open(directory)
        env = os.environ.get(ENV_VAR)
        if env:
            return cls.open(env)
        found = cls.search()
        if found is not None:
            return found
        looked = [f"{Path.cwd()} and the folders above it", str(Path(DEFAULT_DIR_NAME).resolve())]
        raise WorkspaceError(
            f"no exercise workspace found (looked in {'; '.join(looked)}). Create one with "
            "`minigrad exercises init` (or pass --workspace DIR)"
        )

    @classmethod
    def search(cls) -> Workspace | None:
        """Like ``find`` without ``--workspace``/environment, or None if there is none."""
        for candidate in _candidates():
            if (candidate / STATE_DIR / PROGRESS_NAME).is_file():
                return cls(candidate.resolve())
        return None

    # --------------------------------------------------------------- editing
    def restore_stub(self, exercise: Exercise) -> Path | None:
        """Put the stub back; return where the replaced file was saved (None if none)."""
        target = self.path_of(exercise)
        backup = None
        if target.exists() and not self.is_stub(exercise):
            stamp = time.strftime("%Y%m%d-%H%M%S")
            backup = self.state_dir / "backups" / f"{exercise.file}.{stamp}"
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, backup)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(exercise.stub_path, target)
        return backup


def _candidates() -> Iterable[Path]:
    cwd = Path.cwd()
    yield cwd
    yield from cwd.parents
    yield cwd / DEFAULT_DIR_NAME
    last = last_workspace()
    if last is not None:
        yield last


def remember(root: Path) -> None:
    """Record ``root`` as the last workspace ``init`` created (best effort)."""
    try:
        folder = _state_dir()
        folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"workspace": str(root)}, indent=2)
        (folder / LAST_WORKSPACE_FILE).write_text(data + "\n", encoding="utf-8")
    except OSError:
        pass  # remembering is a convenience; init itself succeeded


def last_workspace() -> Path | None:
    """The folder ``init`` created last, if it is remembered."""
    try:
        data = json.loads((_state_dir() / LAST_WORKSPACE_FILE).read_text(encoding="utf-8"))
        return Path(data["workspace"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
