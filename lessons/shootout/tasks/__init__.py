"""The shoot-out's tasks by name: ``adding``, ``charlm`` and ``echo``."""

from __future__ import annotations

from minigrad.errors import OptionError

from .adding import AddingTask, adding_batch
from .base import NullLogger, Outcome, RunLogger, Task
from .charlm import CharLMTask
from .echo import EchoTask

TASKS: dict[str, Task] = {"adding": AddingTask(), "charlm": CharLMTask(), "echo": EchoTask()}
PRESETS = ("tiny", "quick", "full")


def get_task(name: str) -> Task:
    """The task called ``name`` (``OptionError`` listing the others if there is none)."""
    try:
        return TASKS[name]
    except KeyError:
        raise OptionError(
            f"unknown task {name!r}; choose one of {', '.join(sorted(TASKS))}"
        ) from None


__all__ = [
    "PRESETS",
    "TASKS",
    "AddingTask",
    "CharLMTask",
    "EchoTask",
    "NullLogger",
    "Outcome",
    "RunLogger",
    "Task",
    "adding_batch",
    "get_task",
]
