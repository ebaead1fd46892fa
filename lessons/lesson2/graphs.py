"""Static and dynamic graphs side by side, and what fusing a cell does to the op count."""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad.lessons.framework import LessonContext
from minigrad.lessons.lesson1.data import gen_batch, gen_data
from minigrad.lessons.lesson2.model import CellClassifier
from minigrad.viz import Graph, capture

#: A window short enough to read: 3 steps of 2 rows.
GRAPH_STEPS, GRAPH_BATCH = 3, 2
AFTER_LOOP = "after the loop"


def ops_by_step(graph: Graph) -> dict[str, list[str]]:
    """Op names per time step (``t0``, ``t1``, ...; the rest under "after the loop")."""
    rows: dict[str, list[str]] = {}
    for node in graph.op_nodes():
        rows.setdefault(AFTER_LOOP if node.step is None else f"t{node.step}", []).append(node.op)
    return rows


def composed_model(cell: str, state_size: int, ctx: LessonContext) -> CellClassifier:
    """A ``CellClassifier`` whose cell runs step by step (``fused=False``)."""
    model = CellClassifier(cell, state_size, rng=ctx.rng("graphs"), device=ctx.device)
    model.cell = mg.cells.create(
        cell, 2, state_size, rng=ctx.rng("graphs"), device=ctx.device, fused=False
    )
    return model


def count_ops(model: CellClassifier, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Ops in a dynamic_rnn window's graph, and how many each time step holds."""
    loss, _ = model.forward_dynamic(x, y, None)
    per_step = {scope: len(ops) for scope, ops in ops_by_step(capture(loss, steps="auto")).items()}
    outside = per_step.pop(AFTER_LOOP, 0)
    counts = set(per_step.values())
    return {
        "total": outside + sum(per_step.values()),
        "per_step": counts.pop() if len(counts) == 1 else None,
        "outside": outside,
    }


def static_and_dynamic(ctx: LessonContext) -> dict[str, Any]:
    """The same window through static_rnn and dynamic_rnn; op counts, composed and fused."""
    cfg = ctx.config
    model = composed_model("rnn", cfg.state_size, ctx)
    data = gen_data(GRAPH_BATCH * GRAPH_STEPS, ctx.rng("graphs"))
    x, y = next(gen_batch(data, GRAPH_BATCH, GRAPH_STEPS))
    static_loss, _ = model.forward_static(x, y, None)
    dynamic_loss, _ = model.forward_dynamic(x, y, None)
    static = capture(static_loss, module=model, steps="auto")
    dynamic = capture(dynamic_loss, module=model, steps="auto")
    board = ctx.board("rnn", "graphs")  # None without --logdir
    if board is not None:
        board.add_graph(dynamic)
    xs, ys = next(
        gen_batch(gen_data(GRAPH_BATCH * cfg.num_steps, ctx.rng("ops")), GRAPH_BATCH, cfg.num_steps)
    )
    lstm = {
        "composed": count_ops(composed_model("lstm", cfg.state_size, ctx), xs, ys),
        "fused": count_ops(
            CellClassifier("lstm", cfg.state_size, rng=ctx.rng("graphs"), device=ctx.device),
            xs,
            ys,
        ),
    }
    summary = {
        "static": ops_by_step(static),
        "dynamic": ops_by_step(dynamic),
        "lstm_ops": lstm,
        "num_steps": cfg.num_steps,
    }
    ctx.report("graphs", summary)
    return summary


def render_graphs(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """Two tables: the ops of each step for both drivers, and the LSTM's op counts."""
    from rich.table import Table

    side = Table(title="the ops of each time step, in the order they were recorded")
    side.add_column("step")
    side.add_column("static_rnn")
    side.add_column("dynamic_rnn")
    static, dynamic = result["static"], result["dynamic"]
    for scope in sorted(set(static) | set(dynamic), key=lambda s: (s == AFTER_LOOP, s)):
        side.add_row(scope, " ".join(static.get(scope, [])), " ".join(dynamic.get(scope, [])))
    counts = Table(title=f"an LSTM over {result['num_steps']} steps: ops backward() calls")
    counts.add_column("LSTM")
    counts.add_column("ops in the graph", justify="right")
    counts.add_column("per time step", justify="right")
    for name, found in result["lstm_ops"].items():
        per_step = found["per_step"]
        counts.add_row(
            name,
            str(found["total"]),
            str(per_step) if per_step is not None else f"1 op for all {result['num_steps']}",
        )
    return [side, counts]
