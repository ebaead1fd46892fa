"""A lesson-3 checkpoint edited by hand: every field refused by name, here and in ``generate``.

Each case takes a real checkpoint, changes one field the way a damaged or
hand-edited file would, and expects a ``CheckpointError`` that names the file
and the field, from ``load_checkpoint`` and from ``minigrad generate`` (exit 2,
one red line, no traceback).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad.cli.main import main
from minigrad.errors import CheckpointError
from minigrad.lessons.charlm.checkpoint import load_checkpoint
from minigrad.lessons.charlm.config import TrainConfig
from minigrad.lessons.charlm.data import Corpus, read_text_file, toy_text
from minigrad.lessons.charlm.train import Trainer

TINY = TrainConfig().replace(
    **dict(hidden_size=16, embedding_size=8, batch_size=4, num_steps=16, max_steps=3),
    **dict(eval_every=0, checkpoint_every=0, seed=1),
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """A generated text, long enough for a few batches."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "toy.txt").write_text(toy_text(8_000, seed=2), encoding="utf-8")
    return read_text_file(folder / "toy.txt")


@pytest.fixture(scope="module")
def good(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("good") / "good.npz"
    Trainer(TINY, corpus, str(path)).run()
    return mg.load(path)


def setter(*keys: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(obj: dict[str, Any]) -> None:
        node = obj
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


CASES = [
    ("vocab", setter("vocab", value=5), "field 'vocab' must be a non-empty string"),
    ("vocab-empty", setter("vocab", value=""), "field 'vocab' must be a non-empty string"),
    ("vocab-twice", setter("vocab", value="aab"), "field 'vocab' is not a vocabulary"),
    ("config", setter("config", value=[1, 2]), "field 'config' must be a dict"),
    ("hidden-str", setter("config", "hidden_size", value="16"), "'config.hidden_size' must be"),
    ("hidden-neg", setter("config", "hidden_size", value=-3), "'config.hidden_size' is out of"),
    ("layers-bool", setter("config", "layers", value=True), "'config.layers' must be an integer"),
    ("dropout", setter("config", "dropout", value="x"), "'config.dropout' must be a number"),
    ("lr", setter("config", "lr", value=-1.0), "'config.lr' is out of range"),
    ("device", setter("config", "device", value="tpu"), "'config.device' must be 'cpu'"),
    ("cell-type", setter("config", "cell", value=7), "'config.cell' must be a string"),
    ("version", setter("version", value="one"), "field 'version' must be a positive integer"),
    ("version-new", setter("version", value=99), "uses layout version 99"),
    ("step-neg", setter("step", value=-1), "field 'step' must be an integer >= 0"),
    ("step-str", setter("step", value="x"), "field 'step' must be an integer >= 0"),
    ("step-float", setter("step", value=2.5), "field 'step' must be an integer >= 0"),
    ("elapsed", setter("elapsed", value="x"), "field 'elapsed' must be a number of seconds"),
    ("curves", setter("curves", value={"train": [[1]]}), "'curves.train' must be a list"),
    ("curves-type", setter("curves", value="x"), "field 'curves' must be a dict"),
    ("window", setter("train_window", value="x"), "'train_window' must be a list of numbers"),
    ("optimizer", setter("optimizer", value={"type": 3}), "field 'optimizer' must be"),
    ("optimizer-state", setter("optimizer", "state", value=[1]), "'optimizer.state' must be"),
    ("rng", setter("rng", value={"bit_generator": "PCG64"}), "field 'rng' is not a random"),
    ("corpus", setter("corpus", value="x"), "field 'corpus' must be a dict"),
    ("model", setter("model", value=[1, 2]), "field 'model' must be a dict of arrays"),
    ("carried", setter("carried_state", value="x"), "field 'carried_state' must be a dict"),
    ("kind", setter("kind", value=["x"]), "not a character language model"),
]


def tampered(good: dict[str, Any], change: Callable, tmp_path: Path) -> Path:
    obj = copy.deepcopy(good)
    change(obj)
    path = tmp_path / "edited.npz"
    mg.save(obj, path)
    return path


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_edited_field_is_refused_by_name(
    good: dict[str, Any], tmp_path: Path, change: Callable, message: str
) -> None:
    path = tampered(good, change, tmp_path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_generate_says_the_same_in_one_line(
    good: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable,
    message: str,
) -> None:
    path = tampered(good, change, tmp_path)
    assert main(["generate", str(path), "--length", "5"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and message in " ".join(captured.err.split())


def test_nan_weights_are_reported_as_such(good: dict[str, Any], tmp_path: Path) -> None:
    obj = copy.deepcopy(good)
    obj["model"]["head.W"][0, :2] = np.nan
    obj["model"]["head.W"][1, 0] = np.inf
    path = tmp_path / "diverged.npz"
    mg.save(obj, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "model/head.W holds 2 NaN and 1 infinite value(s)" in message
    assert "diverged" in message and "lower --lr" in message


def test_non_finite_optimizer_moments_are_named(good: dict[str, Any], tmp_path: Path) -> None:
    obj = copy.deepcopy(good)
    obj["optimizer"]["state"]["0"]["exp_avg"][...] = np.inf
    path = tmp_path / "moments.npz"
    mg.save(obj, path)
    with pytest.raises(CheckpointError, match=r"optimizer/state/0/exp_avg holds 0 NaN and \d+"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hidden_size", 32, "model/head.W has shape (16, "),
        ("hidden_size", 10**9, "config.hidden_size and vocab"),
        ("embedding_size", 9, "model/embedding.W has shape"),
        ("layers", 2, "the weights hold 1 recurrent layer(s) but config.layers is 2"),
    ],
)
def test_a_wrong_size_or_layer_count_is_named_not_taken_for_a_missing_plugin(
    good: dict[str, Any], tmp_path: Path, field: str, value: int, message: str
) -> None:
    path = tampered(good, setter("config", field, value=value), tmp_path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert message in str(info.value)
    assert "plugin" not in str(info.value)


def test_a_cell_no_plugin_provides_is_a_missing_plugin(
    good: dict[str, Any], tmp_path: Path
) -> None:
    path = tampered(good, setter("config", "cell", value="mgu"), tmp_path)
    with pytest.raises(CheckpointError, match="'mgu', which no installed plugin provides"):
        load_checkpoint(path)


def test_a_config_no_cell_accepts_is_not_a_missing_plugin(
    good: dict[str, Any], tmp_path: Path
) -> None:
    path = tampered(good, setter("config", "cell", value="bidirectional"), tmp_path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert "describes a 'bidirectional' model that cannot be built" in str(info.value)
    assert "install" not in str(info.value)


def test_arrays_larger_than_the_model_allows_are_refused_unread(
    good: dict[str, Any], tmp_path: Path
) -> None:
    obj = copy.deepcopy(good)
    obj["padding"] = np.zeros(3_000_000)  # 24 MB: an honest file, but no model of this size
    path = tmp_path / "padded.npz"
    mg.save(obj, path)
    mg.load(path)  # the general rule lets a file this size load...
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)  # ...a checkpoint of this model cannot hold that much
    assert "more than a checkpoint of its lstm model can hold" in str(info.value)


def test_resuming_with_a_carried_state_of_the_wrong_shape_is_refused(
    good: dict[str, Any], corpus: Corpus, tmp_path: Path
) -> None:
    obj = copy.deepcopy(good)
    obj["carried_state"]["0.1"] = np.zeros((3, 16), np.float32)
    path = tmp_path / "state.npz"
    mg.save(obj, path)
    with pytest.raises(CheckpointError, match=r"'carried_state/0.1' has shape \(3, 16\)"):
        Trainer(TINY.replace(max_steps=6), corpus, str(path), resume=str(path))


def test_an_intact_checkpoint_still_loads_and_generates(
    good: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "intact.npz"
    mg.save(good, path)
    ckpt = load_checkpoint(path)
    assert ckpt.step == 3 and ckpt.config == TINY
    before = mg.backend.default_rng("cpu").bit_generator.state
    assert ckpt.build_model().state_dict().keys() == good["model"].keys()
    assert mg.backend.default_rng("cpu").bit_generator.state == before  # sizing drew nothing
    assert main(["generate", str(path), "--length", "5"]) == 0


def test_build_model_defaults_to_the_device_it_was_trained_on(
    good: dict[str, Any], tmp_path: Path
) -> None:
    path = tampered(good, setter("config", "device", value="cuda"), tmp_path)
    ckpt = load_checkpoint(path)  # sizing the read builds on the CPU, whatever the config says
    assert ckpt.build_model(device="cpu").embedding.W.device == "cpu"
    if mg.gpu_available():
        assert load_checkpoint(path).build_model().embedding.W.device == "cuda"
    else:
        with pytest.raises(CheckpointError, match="cuda|CUDA|GPU"):
            load_checkpoint(path).build_model()
