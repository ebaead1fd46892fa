"""Sweeps end to end: resuming after an interruption, and the same numbers whatever runs them
(this process, a local process pool, a Dask LocalCluster of two worker processes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import minigrad as mg
from minigrad.lessons.shootout import (
    ResultsFile,
    SerialExecutor,
    make_executor,
    parse_cells,
    plan_sweep,
    run_sweep,
    summarise,
)
from minigrad.lessons.shootout.tasks import get_task

#: Small enough for seconds: 3 cells x 2 rates x 2 seeds, sequences of 8.
SMALL = {"steps": 6, "eval_every": 3, "length": 8, "eval_size": 50}


def small_plan(task: str = "adding", cells: str = "rnn,lstm,jozefowicz_mut1") -> Any:
    overrides = SMALL if task == "adding" else {"steps": 4, "eval_every": 2, "eval_size": 400}
    return plan_sweep(task, parse_cells(cells), "tiny", 2, [0.01, 0.03], overrides=overrides)


def numbers(records: list[dict]) -> list[tuple]:
    return [(r["key"], r["status"], r["metric"], r["test"], r["steps"]) for r in records]


class CountingExecutor(SerialExecutor):
    """Runs in this process, counts submissions, and can stop after ``stop_after`` runs."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.submitted: list[str] = []
        self.stop_after = stop_after

    def submit(self, spec: Any) -> Any:
        if self.stop_after is not None and len(self.submitted) == self.stop_after:
            raise KeyboardInterrupt
        self.submitted.append(spec.key)
        return super().submit(spec)


def test_an_interrupted_sweep_resumes_without_running_finished_runs_again(tmp_path: Path) -> None:
    plan = small_plan()
    store = ResultsFile(tmp_path / "runs.jsonl")
    first = CountingExecutor(stop_after=5)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(plan, first, store)
    assert len(store.load()) == 5
    second = CountingExecutor()
    records = run_sweep(plan, second, store)
    assert len(second.submitted) == len(plan.runs) - 5
    assert not set(second.submitted) & set(first.submitted)
    assert [r["key"] for r in records] == [s.key for s in plan.runs]
    assert all(r["status"] == "ok" and r["steps"] == SMALL["steps"] for r in records)
    again = CountingExecutor()
    assert numbers(run_sweep(plan, again, store)) == numbers(records) and not again.submitted


def test_every_record_has_the_documented_fields(tmp_path: Path) -> None:
    plan = small_plan("echo", "lstm")
    records = run_sweep(plan, SerialExecutor(), ResultsFile(tmp_path / "r.jsonl"))
    for record in records:
        assert {"cell", "seed", "lr", "params", "metric", "seconds", "steps", "test"} <= set(record)
        assert record["params"] == plan.params["lstm"] and record["hidden_size"] > 0
        assert 0 < record["cpu_seconds"] and record["host"]
        assert 0.3 < record["metric"] < 0.8 and len(record["curve"]) == 2
        json.dumps(record, allow_nan=False)


@pytest.mark.slow
def test_same_seeds_same_numbers_in_this_process_a_pool_and_a_dask_cluster(
    tmp_path: Path,
) -> None:
    pytest.importorskip("dask.distributed", reason="the 'cluster' extra (dask.distributed)")
    plan = small_plan()
    serial = run_sweep(plan, make_executor(1), ResultsFile(tmp_path / "serial.jsonl"))
    pool = run_sweep(plan, make_executor(2), ResultsFile(tmp_path / "pool.jsonl"))
    cluster = make_executor(2, "local")
    assert cluster.capacity == 2 and "LocalCluster of 2" in cluster.description
    dask = run_sweep(plan, cluster, ResultsFile(tmp_path / "dask.jsonl"))
    assert all(r["status"] == "ok" for r in serial)
    assert numbers(serial) == numbers(pool) == numbers(dask)
    assert len({r["metric"] for r in serial}) > 1  # the runs differ from each other


def test_failed_and_diverged_runs_are_recorded_and_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = get_task("adding")
    real_run = task.run

    def broken_for_gru(spec: Any, logger: Any = None) -> Any:
        if spec.cell.name == "gru":
            raise mg.CellError("gru: a plugin bug")
        return real_run(spec, logger)

    monkeypatch.setattr(task, "run", broken_for_gru)
    plan = plan_sweep(
        "adding", parse_cells("rnn[activation=relu],gru"), "tiny", 1, [1e30], overrides=SMALL
    )
    records = run_sweep(plan, SerialExecutor(), ResultsFile(tmp_path / "r.jsonl"))
    by_cell = {r["cell"]: r for r in records}
    assert by_cell["gru"]["status"] == "failed" and "a plugin bug" in by_cell["gru"]["error"]
    assert (
        by_cell["rnn[activation='relu']"]["status"] == "diverged"
        and by_cell["rnn[activation='relu']"]["metric"] is None
    )
    summary = summarise(plan, records)
    assert all(row.best_lr is None and row.label == "no usable run" for row in summary.rows)
