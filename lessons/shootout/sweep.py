"""A sweep: every (cell, learning rate, seed) of one task, at equal parameters, resumable.

``plan_sweep`` resolves the cells, matches each one's hidden size to the
parameter budget and lists the runs; ``run_sweep`` sends the ones the results
file does not hold yet to an executor, appends each record as it finishes and
tells a ``SweepWatcher`` (the live view) what happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import minigrad as mg
from minigrad.errors import OptionError

from .budget import match_hidden_size
from .spec import CellSpec, RunSpec
from .store import ResultsFile
from .tasks import PRESETS, get_task

#: The cell every other one is compared with.
BASELINE_CELL = "lstm"
#: Learning rates tried per cell when ``--lrs`` is not given (Adam).
DEFAULT_LRS = {"tiny": (0.01, 0.03), "quick": (0.003, 0.01, 0.03), "full": (0.01, 0.03)}
DEFAULT_SEEDS = {"tiny": 2, "quick": 2, "full": 3}
#: Tasks whose targets are the inputs' future: a bidirectional model would read the answer.
CAUSAL_TASKS = ("charlm", "echo")


def default_cells() -> list[CellSpec]:
    """Every registered step cell, built-in or installed by a plugin package, in name order.

    Sequence modules (``bidirectional``) wrap a cell rather than being one, and
    would read the future on the causal tasks; name them with ``--cells`` to
    include them where that is fair.
    """
    return [CellSpec(info.name) for info in map(mg.cells.get, mg.cells.available())
            if info.kind == "step"]  # fmt: skip


@dataclass
class SweepPlan:
    """The runs of a sweep and what they were planned from."""

    task: str
    preset: str
    settings: dict[str, Any]
    cells: list[CellSpec]
    lrs: tuple[float, ...]
    seeds: tuple[int, ...]
    hidden: dict[str, int]
    params: dict[str, int]
    runs: list[RunSpec] = field(default_factory=list)

    @property
    def budget(self) -> int:
        """The parameter budget every cell was matched to."""
        return int(self.settings["budget"])


def plan_sweep(
    task: str,
    cells: Sequence[CellSpec] | None = None,
    preset: str = "quick",
    seeds: int | None = None,
    lrs: Sequence[float] | None = None,
    budget: int | None = None,
    overrides: dict[str, Any] | None = None,
    first_seed: int = 0,
) -> SweepPlan:
    """Resolve the cells, match hidden sizes to the budget and list every run.

    ``overrides`` replaces some of the preset's settings (e.g. ``{"steps": 600}``);
    the seeds are ``first_seed``, ``first_seed + 1``, ... (``seeds`` of them).
    """
    runner = get_task(task)
    if preset not in PRESETS:
        raise OptionError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    settings = runner.settings(preset)
    settings.update(overrides or {})
    if budget is not None:
        settings["budget"] = int(budget)
    cells = list(cells) if cells else default_cells()
    seed_count = DEFAULT_SEEDS[preset] if seeds is None else seeds
    if isinstance(seed_count, bool) or not isinstance(seed_count, int) or seed_count < 1:
        raise OptionError(f"--seeds must be a positive integer, got {seed_count!r}")
    rates = tuple(float(lr) for lr in (lrs or DEFAULT_LRS[preset]))
    if any(not lr > 0 for lr in rates):
        raise OptionError(f"--lrs must be positive numbers, got {list(rates)}")
    hidden, params = {}, {}
    for cell in cells:
        info = mg.cells.get(cell.name)  # unknown names fail here, with close matches
        if info.kind != "step":
            raise OptionError(
                f"{cell.label} runs whole sequences ({info.kind}); the shoot-out compares step "
                "cells, which nn.RNN stacks (pass the cell it wraps instead)"
            )
        mg.cells.registry().create(cell.name, 2, 2, **cell.kwargs())  # options checked now

        def count(h: int, cell: CellSpec = cell) -> int:
            return runner.count_parameters(cell, h, settings)

        hidden[cell.label] = match_hidden_size(count, settings["budget"], cell.label)
        params[cell.label] = count(hidden[cell.label])
    frozen = tuple(sorted(settings.items()))
    seed_list = tuple(range(first_seed, first_seed + seed_count))
    plan = SweepPlan(task, preset, settings, cells, rates, seed_list, hidden, params)
    # Seed by seed: a sweep stopped half way has every cell at every rate for its first
    # seeds, rather than all seeds of the first cells and nothing of the others.
    plan.runs = [
        RunSpec(task, cell, hidden[cell.label], params[cell.label], lr, seed, frozen)
        for seed in plan.seeds
        for cell in cells
        for lr in rates
    ]
    return plan


class SweepWatcher:
    """What a sweep tells its audience (all no-ops here; the live view overrides them)."""

    def on_plan(self, plan: SweepPlan, done: int, where: str) -> None:
        """Before any run: the plan, how many runs the results file already holds, the executor."""

    def on_start(self, spec: RunSpec) -> None:
        """A run was handed to a worker."""

    def on_finish(self, spec: RunSpec, record: dict[str, Any]) -> None:
        """A run finished (its record is already in the results file)."""


def default_results_path(task: str, preset: str) -> Path:
    """``<minigrad state folder>/shootout/<task>-<preset>.jsonl``."""
    from minigrad.lessons.framework.progress import state_dir

    return state_dir() / "shootout" / f"{task}-{preset}.jsonl"


def run_sweep(
    plan: SweepPlan,
    executor: Any,
    results: ResultsFile,
    watcher: SweepWatcher | None = None,
) -> list[dict[str, Any]]:
    """Run what ``results`` does not hold yet; return the records of every run of the plan.

    At most ``executor.capacity`` runs are submitted at a time. Ctrl-C (or any
    error) closes the executor; every record appended before it stays.
    """
    watcher = watcher or SweepWatcher()
    stored = results.load()
    todo = [spec for spec in plan.runs if spec.key not in stored]
    watcher.on_plan(plan, len(plan.runs) - len(todo), executor.description)
    queue = iter(todo)
    in_flight: dict[Any, RunSpec] = {}
    try:
        while True:
            while len(in_flight) < executor.capacity:
                spec = next(queue, None)
                if spec is None:
                    break
                in_flight[executor.submit(spec)] = spec
                watcher.on_start(spec)
            if not in_flight:
                break
            for future in executor.wait(in_flight):
                spec = in_flight.pop(future)
                record = future.result()
                results.append(record)
                stored[spec.key] = record
                watcher.on_finish(spec, record)
    finally:
        executor.close()
    return [stored[spec.key] for spec in plan.runs]
