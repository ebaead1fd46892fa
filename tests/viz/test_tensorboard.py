"""minigrad.tensorboard, read back with TensorBoard's own event loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator as ea

import minigrad as mg
from minigrad.tensorboard import SummaryWriter, TensorBoardUnavailableError, run_dir, run_name
from minigrad.viz import capture
from minigrad.viz.graphdef import node_names


def load(folder: Path) -> ea.EventAccumulator:
    """Every event of one run, nothing sampled away."""
    sizes = {ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.TENSORS: 0}
    acc = ea.EventAccumulator(str(folder), size_guidance=sizes)
    acc.Reload()
    return acc


def test_scalars_histograms_and_text_come_back_with_their_tags(tmp_path) -> None:
    values = np.random.default_rng(0).normal(size=1000)
    with SummaryWriter(tmp_path / "run") as writer:
        for step in range(5):
            writer.add_scalar("loss/train", 1.0 / (step + 1), step)
        writer.add_histogram("weights/W", mg.tensor(values), 3)
        writer.add_text("samples", "ROMEO:\nO *she* doth", 4, verbatim=True)
    acc = load(tmp_path / "run")
    assert [(e.step, e.value) for e in acc.Scalars("loss/train")] == [
        (s, pytest.approx(1.0 / (s + 1))) for s in range(5)
    ]
    (hist,) = acc.Histograms("weights/W")
    assert hist.step == 3 and hist.histogram_value.num == 1000
    assert hist.histogram_value.min == pytest.approx(values.min())
    assert hist.histogram_value.sum == pytest.approx(values.sum())
    (text,) = acc.Tensors("samples/text_summary")
    assert text.step == 4
    assert text.tensor_proto.string_val[0].decode() == "    ROMEO:\n    O *she* doth"


def test_the_graph_comes_back_node_for_node(tmp_path, rnn3) -> None:
    graph = capture(rnn3.loss, module=rnn3.module, steps=rnn3.steps)
    with SummaryWriter(tmp_path) as writer:
        writer.add_graph(graph)
    graph_def = load(tmp_path).Graph()
    names = node_names(graph)
    assert [n.name for n in graph_def.node] == [names[n.id] for n in graph.nodes]
    by_name = {n.name: n for n in graph_def.node}
    for node in graph.nodes:
        found = by_name[names[node.id]]
        assert found.name.startswith(f"{node.scope}/" if node.scope else "")
        assert found.op == {"parameter": "Parameter", "input": "Input"}.get(node.kind, node.op)
        shapes = found.attr["_output_shapes"].list.shape
        assert [tuple(d.size for d in s.dim) for s in shapes] == list(node.shapes)
        inputs = [names[e.src] for e in graph.inputs(node.id)]
        assert [i.split(":")[0] for i in found.input] == inputs
    assert "cell/t1/tanh_" in " ".join(by_name)  # per module, then per time step
    assert "cell/W" in by_name  # parameters under the module that owns them


def test_add_parameters_writes_norms_per_layer_and_histograms(tmp_path, rnn3) -> None:
    rnn3.loss.backward()
    with SummaryWriter(tmp_path) as writer:
        norms = writer.add_parameters(rnn3.module, 7)
        writer.add_learning_rate(mg.optim.SGD(rnn3.module.parameters(), lr=0.25), 7)
    cell = rnn3.module.cell
    expected = np.sqrt(sum(float(np.sum(p.grad**2)) for p in (cell.U, cell.W, cell.b)))
    assert norms["cell"] == pytest.approx(expected)
    acc = load(tmp_path)
    assert acc.Scalars("grad_norm/cell")[0].value == pytest.approx(expected, rel=1e-6)
    assert acc.Scalars("lr")[0].value == 0.25
    assert {"weights/cell.U", "grads/cell.U", "weights/head.b", "grads/head.b"} <= set(
        acc.Tags()["histograms"]
    )


def test_runs_are_named_and_never_mixed(tmp_path) -> None:
    assert run_name("lesson3", "lstm", seed=0) == "lesson3-lstm-seed0"
    assert run_name("my run/1", None, "") == "my-run-1"
    first = SummaryWriter.for_run(tmp_path, "lesson3", "lstm", seed=0)
    first.add_scalar("x", 1.0, 0)
    first.close()
    assert first.logdir == tmp_path / "lesson3-lstm-seed0"
    assert run_dir(tmp_path, "lesson3", "lstm", seed=0) == tmp_path / "lesson3-lstm-seed0-2"
    assert run_dir(tmp_path, "lesson3", "lstm", seed=0, fresh=False) == first.logdir


def test_without_tensorboardx_the_error_says_what_to_install(tmp_path, no_tensorboardx) -> None:
    with pytest.raises(TensorBoardUnavailableError, match=r"\.\[tensorboard\]"):
        SummaryWriter(tmp_path)
