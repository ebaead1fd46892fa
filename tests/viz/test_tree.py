"""The terminal tree: readable at 80 columns, shared subgraphs once, long loops folded."""

from __future__ import annotations

import re

from minigrad.autograd import graph_nodes
from minigrad.viz import capture, graph_tree, tree_text

NUMBER = re.compile(r"#(\d+)")
REFERENCE = re.compile(r"↑ #(\d+)")


def _drawn_and_referenced(text: str) -> tuple[list[int], list[int]]:
    refs = [int(n) for n in REFERENCE.findall(text)]
    drawn = [int(n) for line in text.splitlines() if "↑" not in line for n in NUMBER.findall(line)]
    return drawn, refs


def test_lstm_step_fits_80_columns_and_draws_every_op_once(lstm) -> None:
    text = tree_text(lstm.loss, module=lstm.module, width=80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    drawn, refs = _drawn_and_referenced(text)
    assert drawn == list(range(1, len(graph_nodes(lstm.loss)) + 1))
    assert refs and set(refs) <= set(drawn)  # the gates share one split: referenced, not redrawn
    assert "split[0]" in text and "split[3]" in text  # which gate each sigmoid/tanh reads
    assert "U parameter (3, 16) float32" in text


def test_three_step_rnn_fits_80_columns_with_steps_and_no_fold(rnn3) -> None:
    text = tree_text(rnn3.loss, module=rnn3.module, steps=rnn3.steps, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    drawn, refs = _drawn_and_referenced(text)
    assert drawn == list(range(1, len(graph_nodes(rnn3.loss)) + 1))
    assert len(refs) == 2  # the states of steps 0 and 1, each fed into the next step
    for scope in ("cell/t0", "cell/t1", "cell/t2", "head/t2"):
        assert f"[{scope}]" in text
    assert "folded" not in text
    assert text.count("input (2, 4) float32 no grad") == 1  # h0, where backward stops


def test_a_long_loop_is_folded_to_its_first_and_last_steps(make_rnn) -> None:
    built = make_rnn(12)
    ops = len(graph_nodes(built.loss))
    text = tree_text(built.loss, steps=built.steps, width=80)
    assert "inputs 3-11 of 12 look the same: folded" in text
    drawn, _ = _drawn_and_referenced(text)
    folded = int(re.search(r"folded \((\d+) ops\)", text).group(1))
    assert len(drawn) + folded == ops
    assert "[t0]" in text and "[t11]" in text and "[t5]" not in text
    assert "(in the folded part)" in text  # the last step reads a folded state
    unfolded = tree_text(built.loss, steps=built.steps, collapse=None)
    assert "folded" not in unfolded and "[t5]" in unfolded


def test_max_depth_cuts_and_counts_what_it_hides(rnn3) -> None:
    text = tree_text(rnn3.loss, max_depth=2)
    drawn, _ = _drawn_and_referenced(text)
    hidden = sum(int(n) for n in re.findall(r"⋯ (\d+) more ops", text))
    assert hidden > 0
    assert len(drawn) + hidden >= len(graph_nodes(rnn3.loss))
    assert max(len(line) - len(line.lstrip("│├└─ ")) for line in text.splitlines()) <= 3 * 4


def test_gradients_show_on_the_edges_after_backward(rnn3) -> None:
    rnn3.loss.backward(retain_graph=True)
    text = tree_text(capture(rnn3.loss))
    assert "∇ none" in text and "∇(2, 4)" in text


def test_several_roots_hang_under_one_node(lstm) -> None:
    tree = graph_tree(capture(lstm.extra["h"], lstm.extra["c"]))
    assert str(tree.label).startswith("2 outputs") and len(tree.children) == 2
