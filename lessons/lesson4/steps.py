"""The steps of lesson 4: the variants, and three small shoot-outs whose numbers the text reads.

Every training run goes through ``minigrad.lessons.shootout`` (the engine of
``minigrad shootout``): the same parameter budget, data order, optimizer and
steps for every cell. Runs are appended to a results file in minigrad's state
folder, so a lesson stopped half way continues without training again.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from rich.table import Table
from rich.text import Text

import minigrad as mg
from minigrad.lessons.framework import LessonContext, LineChart
from minigrad.lessons.framework.progress import state_dir
from minigrad.lessons.shootout import (
    BoardLoggers,
    ResultsFile,
    SweepPlan,
    SweepSummary,
    SweepWatcher,
    charts,
    lr_table,
    make_executor,
    parse_cells,
    plan_sweep,
    results_table,
    run_sweep,
    summarise,
)
from minigrad.lessons.shootout.spec import RunSpec
from minigrad.lessons.shootout.tasks import get_task

from . import verdicts

#: The parts of the vanilla LSTM each switch removes or changes (for the variants table).
SWITCH_WORDS = {
    "input_gate": "no input gate: i_t = 1",
    "forget_gate": "no forget gate: f_t = 1",
    "output_gate": "no output gate: o_t = 1",
    "input_activation": "no tanh on g_t",
    "output_activation": "h_t = o_t * c_t (no tanh)",
    "peepholes": "no peepholes",
    "coupled": "f_t = 1 - i_t",
    "full_gate_recurrence": "gates see q_{t-1} = [i, f, o]",
}


# ----------------------------------------------------------------- question
def list_cells(ctx: LessonContext) -> list[dict[str, Any]]:
    """Every registered step cell: where it comes from and its state.

    The language models' corpus is found (or downloaded) now, so that a missing
    file stops the lesson before the first shoot-out rather than after it.
    """
    get_task("charlm").references(get_task("charlm").settings(ctx.config.task_preset))
    if ctx.device != "cpu":
        ctx.note("The shoot-outs train on the CPU (many small runs side by side), not on the GPU.")
    rows = []
    for name in mg.cells.available():
        info = mg.cells.get(name)
        if info.kind == "step":
            rows.append({"name": name, "plugin": info.distribution, "state": info.state_layout})
    ctx.report("registered_cells", [row["name"] for row in rows])
    return rows


def render_cells(rows: list[dict[str, Any]], ctx: LessonContext) -> Table:
    """The cells a shoot-out would enter."""
    table = Table(title=f"{len(rows)} registered step cells")
    table.add_column("cell")
    table.add_column("from")
    table.add_column("state")
    for row in rows:
        table.add_row(row["name"], row["plugin"], "(" + ", ".join(row["state"]) + ")")
    return table


# ----------------------------------------------------------------- variants
def greff_names() -> list[str]:
    """The registered names of Greff et al.'s variants, in the paper's order."""
    order = ("v", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg", "fgr")
    return [f"greff_{v}" for v in order if f"greff_{v}" in mg.cells.available()]


def variant_code() -> list[Any]:
    """The family's switches and its shared step, as registered (shown in the variants step)."""
    cls = mg.cells.get("greff_v").cls
    family = next(c for c in cls.__mro__ if c.__name__ == "LSTMVariantCell")
    return [type(cls.switches), family.forward]


def describe_variants(ctx: LessonContext) -> list[dict[str, Any]]:
    """Each of Greff's variants: its switch, gate blocks and parameters at H = 10, I = 2."""
    rows = []
    for name in greff_names():
        cls = mg.cells.get(name).cls
        switches = type(cls.switches)
        changed = [
            SWITCH_WORDS[f.name]
            for f in dataclasses.fields(switches)
            if getattr(cls.switches, f.name) != f.default
        ]
        cell = mg.cells.create(name, 2, 10)
        rows.append(
            {
                "name": name,
                "change": ", ".join(changed) or "the vanilla LSTM with peepholes",
                "blocks": cls.gates,
                "params": sum(p.size for p in cell.parameters()),
            }
        )
    return rows


def render_variants(rows: list[dict[str, Any]], ctx: LessonContext) -> Table:
    """The nine variants side by side."""
    table = Table(title="Greff et al.'s variants (parameters at input 2, hidden 10)")
    table.add_column("cell")
    table.add_column("what changes")
    table.add_column("blocks")
    table.add_column("params", justify="right")
    for row in rows:
        table.add_row(row["name"], row["change"], row["blocks"], f"{row['params']:,}")
    return table


# ------------------------------------------------------------ the shoot-outs
class TrackerWatcher(SweepWatcher):
    """Moves a lesson progress bar as runs finish."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def on_plan(self, plan: SweepPlan, done: int, where: str) -> None:
        """Count what the results file already holds."""
        self.bar.advance(done)

    def on_finish(self, spec: RunSpec, record: dict[str, Any]) -> None:
        """One more run done."""
        self.bar.advance()
        self.bar.describe(f"{spec.task}: {spec.cell.label} lr={spec.lr:g}")


def shootout(ctx: LessonContext, task: str, cells: str, seeds: int, lrs: str) -> dict[str, Any]:
    """Plan, run (resuming from the lesson's results file) and summarise one small sweep."""
    cfg = ctx.config
    rates = [float(r) for r in lrs.split(",") if r.strip()]
    steps = cfg.adding_steps if task == "adding" else cfg.charlm_steps
    overrides = {"steps": steps} if steps else {}
    preset = cfg.task_preset
    plan = plan_sweep(
        task, parse_cells(cells), preset, seeds, rates, overrides=overrides, first_seed=ctx.seed
    )
    results = ResultsFile(state_dir() / "lesson4" / f"{task}-{preset}.jsonl")
    # With --logdir, every run's curves go to <logdir>/lesson4/<task>/<cell>/lr=..-seed=..
    loggers = BoardLoggers(str(ctx.logdir / "lesson4")) if ctx.logdir is not None else None
    executor = make_executor(min(cfg.workers, len(plan.runs)), make_logger=loggers)
    with ctx.track(len(plan.runs), f"{task}: {len(plan.runs)} runs") as bar:
        records = run_sweep(plan, executor, results, TrackerWatcher(bar))
    summary = summarise(plan, records)
    ctx.report(task, summary.as_dict())
    return {"plan": plan, "records": records, "summary": summary}


def adding_problem(ctx: LessonContext) -> dict[str, Any]:
    """The adding problem at T = 100: a few cells, every rate, the run's seeds."""
    cfg = ctx.config
    return shootout(ctx, "adding", cfg.adding_cells, cfg.adding_seeds, cfg.lrs)


def render_shootout(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The results table and the validation curves against time."""
    plan, summary = result["plan"], result["summary"]
    _, by_time = charts(summary, plan, result["records"])
    return [results_table(summary, plan), by_time]


def learning_rates(ctx: LessonContext) -> dict[str, Any]:
    """The adding problem's results again, by learning rate (no new training)."""
    adding = ctx.results["adding"]
    summary: SweepSummary = adding["summary"]
    ctx.report("lr_effect", summary.lr_effect)
    ctx.report("cell_effect", summary.cell_effect)
    return adding


def render_learning_rates(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The cell x rate table and each cell's metric against the rate."""
    plan, summary = result["plan"], result["summary"]
    chart = LineChart(
        f"{summary.metric} against the learning rate", height=8, x_label="log10 lr", y_label="val"
    )
    for row in summary.rows:
        points = [(math.log10(float(lr)), v) for lr, v in row.lr_means.items() if v is not None]
        chart.add_series(row.cell, [p[0] for p in points], [p[1] for p in points])
    effect = Text(
        f"Average change across rates: {_fmt(summary.lr_effect)}; "
        f"largest change across cells (each at its best rate): {_fmt(summary.cell_effect)}."
    )
    return [lr_table(summary, plan), chart, effect]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def char_model(ctx: LessonContext) -> dict[str, Any]:
    """Character language models at equal parameters: several cells, several seeds."""
    cfg = ctx.config
    return shootout(ctx, "charlm", cfg.charlm_cells, cfg.seeds, str(cfg.charlm_lr))


def conclusions(ctx: LessonContext) -> list[verdicts.Finding]:
    """What this run's numbers say about the papers' claims."""
    found = verdicts.findings(ctx.results["adding"]["summary"], ctx.results["charlm"]["summary"])
    ctx.report("findings", [dataclasses.asdict(f) for f in found])
    return found


def render_conclusions(found: list[verdicts.Finding], ctx: LessonContext) -> Table:
    """Claim, what was measured here, and whether they agree."""
    table = Table(title="the papers against your numbers", show_lines=True)
    table.add_column("claim")
    table.add_column("measured here")
    table.add_column("agrees?")
    style = {"yes": "green", "no": "red", "not measured": "dim", "unclear": "yellow"}
    for f in found:
        table.add_row(f"{f.claim} ({f.source})", f.measured, Text(f.agrees, style=style[f.agrees]))
    return table
