"""Draw docs/images/lesson1-window-graph.png: lesson 1's graph of one window, after backward().

Run from the repository root with Graphviz installed (``apt-get install graphviz``)::

    .venv/bin/python docs/images/make_pictures.py

The TensorBoard screenshot (tensorboard-scalars.png) was taken from a run of
``minigrad lesson 3 --auto --preset tiny --logdir runs``: ``tensorboard --logdir runs
--host 127.0.0.1``, then a headless Chromium ``--screenshot`` of its Scalars page.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minigrad.lessons.lesson1.data import gen_batch, gen_data
from minigrad.lessons.lesson1.graph import GRAPH_BATCH, GRAPH_STATE, GRAPH_STEPS, second_window
from minigrad.lessons.lesson1.model import EchoRNN
from minigrad.viz import capture, render_dot, to_dot

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Build the window as lesson 1 does, backpropagate, and draw it."""
    rng = np.random.default_rng(0)
    model = EchoRNN(GRAPH_STATE, rng=rng)
    data = gen_data(GRAPH_BATCH * GRAPH_STEPS * 2, rng)
    loss, states = second_window(model, list(gen_batch(data, GRAPH_BATCH, GRAPH_STEPS)), True)
    loss.backward(retain_graph=True)
    graph = capture(loss, module=model, steps=states)
    title = "lesson 1: one window of 3 steps after backward()"
    print(render_dot(to_dot(graph, title=title), HERE / "lesson1-window-graph.png"))


if __name__ == "__main__":
    main()
