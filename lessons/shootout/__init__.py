"""The cell shoot-out: every registered cell trained on the same task under the same budget.

One sweep = one task (``adding``, ``charlm`` or ``echo``) x the cells x a few
learning rates x a few seeds, each cell at the hidden size that gives it the
same number of parameters. Runs go to this process, a local process pool or a
Dask cluster; each finished run is appended to a results file, so a stopped
sweep resumes where it was. ``minigrad shootout`` and lesson 4 drive it::

    plan = plan_sweep("adding", parse_cells("rnn,lstm,gru"), preset="tiny")
    records = run_sweep(plan, make_executor(workers=2), ResultsFile("adding.jsonl"))
    summary = summarise(plan, records)
"""

from .board import BoardLoggers
from .budget import match_hidden_size
from .executors import DaskExecutor, PoolExecutor, SerialExecutor, make_executor
from .outputs import report, write_csv, write_json, write_plot
from .progress import LiveView
from .render import charts, findings, lr_table, results_table
from .spec import CellSpec, RunSpec, parse_cell, parse_cells
from .stats import Comparison, welch
from .store import ResultsFile
from .summary import CellSummary, SweepSummary, summarise
from .sweep import (
    BASELINE_CELL,
    SweepPlan,
    SweepWatcher,
    default_cells,
    default_results_path,
    plan_sweep,
    run_sweep,
)
from .tasks import PRESETS, TASKS, adding_batch, get_task
from .worker import execute

__all__ = [
    "BASELINE_CELL",
    "BoardLoggers",
    "PRESETS",
    "TASKS",
    "CellSpec",
    "CellSummary",
    "Comparison",
    "DaskExecutor",
    "LiveView",
    "PoolExecutor",
    "ResultsFile",
    "RunSpec",
    "SerialExecutor",
    "SweepPlan",
    "SweepSummary",
    "SweepWatcher",
    "adding_batch",
    "charts",
    "default_cells",
    "default_results_path",
    "execute",
    "findings",
    "get_task",
    "lr_table",
    "make_executor",
    "match_hidden_size",
    "parse_cell",
    "parse_cells",
    "plan_sweep",
    "report",
    "results_table",
    "run_sweep",
    "summarise",
    "welch",
    "write_csv",
    "write_json",
    "write_plot",
]
