"""The graph of one truncated window: what ``backward()`` walks, and where it stops."""

from __future__ import annotations

from typing import Any

import minigrad as mg
from minigrad.autograd import graph_nodes
from minigrad.lessons.framework import LessonContext
from minigrad.lessons.lesson1.data import gen_batch, gen_data
from minigrad.lessons.lesson1.model import EchoRNN, one_hot_inputs
from minigrad.viz import Graph, capture, graph_tree

#: A window short enough to read: 3 steps of 2 rows, a state of 4.
GRAPH_STEPS, GRAPH_BATCH, GRAPH_STATE = 3, 2, 4


def second_window(model: EchoRNN, windows: list[Any], detach: bool) -> tuple[mg.Tensor, list]:
    """Run window 1, carry its final state into window 2; return window 2's loss and states.

    With ``detach`` the carried state keeps its values and loses its graph, as
    in training; without it, window 2's graph reaches back into window 1.
    """
    (x1, y1), (x2, y2) = windows[:2]
    _, state = model(x1, y1, model.zero_state(x1.shape[0]))
    carried = state.detach() if detach else state
    states, _ = model.unroll(one_hot_inputs(x2, model.device), carried)
    return model.window_loss(model.logits(states), y2), states


def window_graph(ctx: LessonContext) -> dict[str, Any]:
    """Capture window 2's graph after backward(), with and without detaching the state."""
    model = EchoRNN(GRAPH_STATE, rng=ctx.rng("graph-init"), device=ctx.device)
    data = gen_data(GRAPH_BATCH * GRAPH_STEPS * 2, ctx.rng("graph"))
    windows = list(gen_batch(data, GRAPH_BATCH, GRAPH_STEPS))
    loss, states = second_window(model, windows, detach=True)
    loss.backward(retain_graph=True)  # keep the graph to draw it, gradients on its edges
    graph = capture(loss, module=model, steps=states)
    uncut, _ = second_window(model, windows, detach=False)
    board = ctx.board("window")  # None without --logdir
    if board is not None:
        board.add_graph(graph)
    summary = {
        "ops": len(graph.op_nodes()),
        "ops_without_detach": len(graph_nodes(uncut)),  # a count: no gradients needed
        "no_grad_leaves": [n.shape for n in graph.leaves("input") if not n.requires_grad],
    }
    ctx.report("window_graph", summary)
    return {"graph": graph, **summary}


def render_window_graph(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The tree, then how many ops backward() calls with and without the cut."""
    from rich.text import Text

    graph: Graph = result["graph"]
    counts = Text(
        f"backward() calls {result['ops']} ops for this window. Without detach() it would "
        f"call {result['ops_without_detach']}: the whole previous window as well, and in "
        "training every window before it.",
        style="bold",
    )
    return [graph_tree(graph), counts]
