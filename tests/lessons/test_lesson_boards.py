"""--logdir in the lessons and the demo, and the lessons' graph steps.

Event files are read back with TensorBoard's own loader, as TensorBoard would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from tensorboard.backend.event_processing import event_accumulator as ea

import minigrad as mg
from minigrad.autograd import graph_nodes
from minigrad.cli import learn
from minigrad.cli.main import main
from minigrad.lessons.charlm.data import toy_text
from minigrad.lessons.framework import LessonContext
from minigrad.lessons.lesson1 import LESSON as LESSON1
from minigrad.lessons.lesson1.data import gen_batch, gen_data
from minigrad.lessons.lesson1.graph import GRAPH_STEPS, window_graph
from minigrad.lessons.lesson2 import LESSON as LESSON2
from minigrad.lessons.lesson2.graphs import static_and_dynamic
from minigrad.viz import tree_text

ROOT = Path(__file__).resolve().parents[2]
SHAKESPEARE_DIR = ROOT.parent / "shared" / "data"


def load(folder: Path) -> ea.EventAccumulator:
    sizes = {ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.TENSORS: 0}
    acc = ea.EventAccumulator(str(folder), size_guidance=sizes)
    acc.Reload()
    return acc


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    (tmp_path / "toy.txt").write_text(toy_text(15_000, seed=7), encoding="utf-8")
    return tmp_path


def _cli(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    console = Console(record=True, width=80)
    monkeypatch.setattr(learn, "make_console", lambda: console)
    code = main(argv)
    return code, " ".join(console.export_text().split())


def _check_lesson3_run(run: Path, evals: list[int], steps: int) -> None:
    acc = load(run)
    tags = acc.Tags()
    train = acc.Scalars("loss/train")
    assert [e.step for e in train] == list(range(1, steps + 1))
    assert [e.step for e in acc.Scalars("loss/val")] == evals
    assert {"lr", "grad_norm/total", "grad_norm/embedding", "grad_norm/head"} <= set(
        tags["scalars"]
    )
    for name in ("embedding.W", "head.W", "rnn.layers.0.W"):
        assert f"weights/{name}" in tags["histograms"] and f"grads/{name}" in tags["histograms"]
        assert [e.step for e in acc.Histograms(f"grads/{name}")] == evals
    samples = acc.Tensors("samples/text_summary")
    assert [e.step for e in samples] == evals
    assert all(e.tensor_proto.string_val[0].strip() for e in samples)
    names = {n.name.split("/")[0] for n in acc.Graph().node}
    assert {"embedding", "rnn", "head"} <= names


def test_lesson3_logdir_writes_curves_histograms_samples_and_graph(home, monkeypatch) -> None:
    logdir = home / "runs"
    argv = ["lesson", "3", "--auto", "--preset", "tiny", "--corpus", str(home / "toy.txt")]
    argv += ["--max-steps", "8", "--eval-every", "4", "--hidden-size", "16", "--gen-length", "20"]
    argv += ["--checkpoint", str(home / "c.npz"), "--json", str(home / "s.json")]
    code, text = _cli([*argv, "--logdir", str(logdir)], monkeypatch)
    assert code == 0
    run = logdir / "lesson3-lstm-seed0"
    _check_lesson3_run(run, evals=[4, 8], steps=8)
    assert f"tensorboard --logdir {logdir}" in text
    assert "Measured on this machine:" in text and "BLAS thread" in text  # on_threads reached
    summary = json.loads((home / "s.json").read_text())
    assert summary["tensorboard"] == {"logdir": str(logdir), "runs": [str(run)]}
    # The same command again starts a second run beside the first.
    code, _ = _cli([*argv, "--logdir", str(logdir)], monkeypatch)
    assert code == 0 and (logdir / "lesson3-lstm-seed0-2").is_dir()
    # --resume continues the first run's folder rather than starting a third.
    code, _ = _cli([*argv, "--max-steps", "12", "--resume", "--logdir", str(logdir)], monkeypatch)
    assert code == 0 and sorted(p.name for p in logdir.iterdir()) == [
        "lesson3-lstm-seed0",
        "lesson3-lstm-seed0-2",
    ]
    resumed = load(logdir / "lesson3-lstm-seed0-2")
    assert [e.step for e in resumed.Scalars("loss/train")][-4:] == [9, 10, 11, 12]


def test_hook_chain_passes_every_callback_of_train_hooks_to_every_hook() -> None:
    from minigrad.lessons.charlm.board import HookChain
    from minigrad.lessons.charlm.train import TrainHooks

    callbacks = sorted(name for name in vars(TrainHooks) if name.startswith("on_"))
    assert "on_threads" in callbacks

    class Recorder(TrainHooks):
        def __init__(self) -> None:
            self.calls: list[tuple[str, tuple]] = []

    for name in callbacks:
        setattr(Recorder, name, lambda self, *args, _n=name: self.calls.append((_n, args)))
    first, second = Recorder(), Recorder()
    chain = HookChain(first, second)
    for name in callbacks:
        getattr(chain, name)("trainer", name)
    expected = [(name, ("trainer", name)) for name in callbacks]
    assert first.calls == expected and second.calls == expected


def test_lesson3_without_logdir_says_how_to_get_a_run(home, monkeypatch) -> None:
    argv = ["lesson", "3", "--auto", "--preset", "tiny", "--corpus", str(home / "toy.txt")]
    argv += ["--max-steps", "2", "--checkpoint", str(home / "c.npz"), "--gen-length", "5"]
    code, text = _cli(argv, monkeypatch)
    assert code == 0 and "not logged (no --logdir)" in text and "tensorboard --logdir runs" in text
    assert not (home / "runs").exists()


@pytest.mark.slow
def test_the_done_when_command_on_tinyshakespeare(tmp_path, monkeypatch) -> None:
    """`minigrad lesson 3 --auto --preset tiny --logdir runs/`, as the issue states it."""
    monkeypatch.setenv("MINIGRAD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MINIGRAD_DATA_DIR", str(SHAKESPEARE_DIR))
    monkeypatch.chdir(tmp_path)
    code, _ = _cli(["lesson", "3", "--auto", "--preset", "tiny", "--logdir", "runs/"], monkeypatch)
    assert code == 0
    config = learn.lesson_parser(3)[1].make_config("tiny")
    evals = list(range(config.eval_every, config.max_steps, config.eval_every))
    _check_lesson3_run(tmp_path / "runs" / "lesson3-lstm-seed0", evals + [config.max_steps], 40)


def test_lessons_1_and_2_log_their_training_and_graphs(home, monkeypatch) -> None:
    logdir = home / "runs"
    small = ["--epochs", "1", "--epoch-samples", "2000", "--batch-size", "20", "--auto"]
    argv = ["lesson", "1", *small, "--num-steps", "5", "--state-size", "4"]
    code, _ = _cli([*argv, "--experiments", "5x4", "--logdir", str(logdir)], monkeypatch)
    assert code == 0
    code, _ = _cli(
        ["lesson", "2", *small, "--grad-steps", "4", "--logdir", str(logdir)], monkeypatch
    )
    assert code == 0
    runs = sorted(p.name for p in logdir.iterdir())
    assert runs == [
        "lesson1-5x4-seed0",
        "lesson1-window-seed0",
        "lesson2-rnn-dynamic-seed0",
        "lesson2-rnn-graphs-seed0",
        "lesson2-rnn-static-seed0",
    ]
    windows = (2000 // 20) // 5
    assert len(load(logdir / "lesson1-5x4-seed0").Scalars("loss/train")) == windows
    assert load(logdir / "lesson1-window-seed0").Graph().node
    static = load(logdir / "lesson2-rnn-static-seed0").Scalars("loss/train")
    dynamic = load(logdir / "lesson2-rnn-dynamic-seed0").Scalars("loss/train")
    assert [e.value for e in static] == pytest.approx([e.value for e in dynamic], abs=1e-5)


def test_demo_logdir(tmp_path, capsys) -> None:
    code = main(["demo", "--steps", "20", "--every", "5", "--logdir", str(tmp_path)])
    assert code == 0 and "TensorBoard run" in capsys.readouterr().out
    acc = load(tmp_path / "demo-spiral-seed0")
    assert [e.step for e in acc.Scalars("loss/train")] == [0, 5, 10, 15, 20]
    assert [e.step for e in acc.Histograms("grads/0.W")] == [0, 5, 10, 15]
    assert {"0", "2"} <= {n.name.split("/")[0] for n in acc.Graph().node}


def test_lesson1_graph_step_shows_where_the_carried_state_cuts_the_graph() -> None:
    ctx = LessonContext(LESSON1, LESSON1.make_config(), Console(width=80))
    result = window_graph(ctx)
    graph = result["graph"]
    # Counted independently: a window of 3 steps through lesson 1's model.
    model_ops = len(graph_nodes(_window_loss(ctx)))
    assert result["ops"] == model_ops == len(graph.op_nodes())
    assert result["ops_without_detach"] > result["ops"]
    # [x_0, carried state] enters as a leaf that needs no gradient, and no gradient flows there.
    (cut,) = [n for n in graph.leaves("input") if n.shape == (2, 6)]
    assert not cut.requires_grad
    assert all(e.grad_shape is None for e in graph.edges if e.src == cut.id)
    assert {n.step for n in graph.op_nodes() if n.op == "tanh"} == set(range(GRAPH_STEPS))
    text = tree_text(graph, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "input (2, 6) float32 no grad ∇ none" in text


def _window_loss(ctx: LessonContext) -> mg.Tensor:
    from minigrad.lessons.lesson1.graph import GRAPH_BATCH, GRAPH_STATE
    from minigrad.lessons.lesson1.model import EchoRNN

    model = EchoRNN(GRAPH_STATE, rng=ctx.rng("graph-init"))
    (x1, y1), (x2, y2) = list(gen_batch(gen_data(12, ctx.rng("graph")), GRAPH_BATCH, 3))[:2]
    _, state = model(x1, y1, model.zero_state(GRAPH_BATCH))
    loss, _ = model(x2, y2, state.detach())
    return loss


def test_lesson2_graphs_step_shows_the_same_cell_ops_and_counts_the_fused_lstm() -> None:
    ctx = LessonContext(LESSON2, LESSON2.make_config(), Console(width=80))
    result = static_and_dynamic(ctx)
    static, dynamic = result["static"], result["dynamic"]
    cell_ops = ["matmul", "matmul", "add", "add", "tanh"]
    for step in ("t0", "t1", "t2"):
        assert dynamic[step] == cell_ops
        assert static[step][: len(cell_ops)] == cell_ops
        assert static[step][len(cell_ops) :] == ["matmul", "add"]  # the logits of the step
    # The composed LSTM's ops per step, counted on one cell call.
    cell = mg.cells.create("lstm", 2, 8, fused=False)
    x = mg.one_hot(mg.tensor([[0, 1]]), 2)[0]
    out, (h, c) = cell(x, cell.zero_state(2))
    lstm = result["lstm_ops"]
    assert lstm["composed"]["per_step"] == len(graph_nodes(out, c))
    steps = result["num_steps"]
    assert (
        lstm["composed"]["total"] == steps * len(graph_nodes(out, c)) + lstm["composed"]["outside"]
    )
    assert lstm["fused"]["per_step"] is None and lstm["fused"]["total"] == 4


def test_logdir_without_the_extra_fails_before_any_step(tmp_path, no_tensorboardx) -> None:
    from minigrad.lessons.framework import LessonRunner
    from minigrad.tensorboard import TensorBoardUnavailableError

    with pytest.raises(TensorBoardUnavailableError, match="tensorboard extra"):
        LessonRunner(LESSON1, Console(width=80), auto=True, logdir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
