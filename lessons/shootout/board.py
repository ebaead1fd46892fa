"""TensorBoard for a sweep: every run's curves in a folder of its own under ``--logdir``.

``BoardLoggers(logdir)`` is the logger factory ``execute`` takes: called with a
run's ``run_name`` (``task/cell/lr=..-seed=..``) it gives a logger that writes
that run's training and validation losses to ``logdir/<run_name>`` through
``minigrad.tensorboard.SummaryWriter``. It holds only the folder's name, so it
travels to pool and Dask workers as it is; on a cluster, ``logdir`` must be a
folder every worker can write (a shared file system).

TensorBoard then shows every cell of the sweep side by side: ``tensorboard
--logdir DIR`` and filter the runs with a regex such as ``adding/.*seed=0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minigrad.tensorboard import SummaryWriter


class BoardLogger:
    """One run's logger: scalars go to its TensorBoard writer."""

    def __init__(self, writer: SummaryWriter) -> None:
        self.writer = writer

    def scalar(self, tag: str, value: float, step: int) -> None:
        """Record ``value`` of the curve ``tag`` at ``step``."""
        self.writer.add_scalar(tag, value, step)

    def close(self) -> None:
        """Flush the event file and close it."""
        self.writer.close()


@dataclass(frozen=True)
class BoardLoggers:
    """The logger factory for ``execute``: ``BoardLoggers(logdir)(run_name)``."""

    logdir: str

    def __call__(self, run_name: str) -> BoardLogger:
        folder = Path(self.logdir) / run_name
        # A run that was stopped half way starts again from step 0: its old curve goes.
        for stale in folder.glob("events.out.tfevents.*"):
            stale.unlink()
        return BoardLogger(SummaryWriter(folder))
