"""PyTorch interop of ``nn.RNN``, checked against golden runs of torch itself (no torch needed).

``tests/golden/make_rnn_fixtures.py`` ran ``nn.RNN``/``nn.LSTM``/``nn.GRU`` in
float64 and stored their weights, inputs, outputs, final states and gradients.
Here each torch state dict is loaded into a fresh minigrad ``nn.RNN`` and every
number must agree to 1e-10.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import interop
from minigrad.interop import torch_layout

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = np.load(ROOT / "tests" / "golden" / "rnn_fixtures.npz", allow_pickle=False)
CONFIGS = sorted({key.split("/")[0] for key in FIXTURES.files})
TOL = 1e-10


def fixture(name: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The config and arrays of one golden run, keys without the ``name/`` prefix."""
    arrays = {
        key[len(name) + 1 :]: FIXTURES[key] for key in FIXTURES.files if key.startswith(name + "/")
    }
    return json.loads(arrays.pop("config").item()), arrays


def torch_dict(arrays: dict[str, np.ndarray], prefix: str = "torch/") -> dict[str, np.ndarray]:
    """The stored state dict under ``prefix``, in torch's key order."""
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


def build(cfg: dict[str, Any], seed: int = 0, dtype: Any = np.float64) -> Any:
    """A fresh minigrad layer with the same shape as the torch module (random weights)."""
    options = interop.rnn_options_from_torch(cfg["mode"], cfg["nonlinearity"] or "tanh")
    return mg.nn.RNN(
        **options,
        input_size=cfg["input_size"],
        hidden_size=cfg["hidden_size"],
        num_layers=cfg["num_layers"],
        bidirectional=cfg["bidirectional"],
        dtype=dtype,
        rng=np.random.default_rng(seed),
    )


def run(layer: Any, cfg: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Forward and backward of the fixture's loss; returns the tensors involved."""
    x = mg.tensor(arrays["x"], requires_grad=True)
    initial = None
    if cfg["initial_state"]:
        initial = interop.initial_state_from_torch(
            arrays["h0"], arrays.get("c0"), requires_grad=True
        )
    lengths = arrays["lengths"] if cfg["ragged"] else None
    out, final = layer(x, initial, lengths)
    loss = (out * mg.tensor(arrays["loss_out"])).sum()
    for i, state in enumerate(final):
        parts = state if isinstance(state, tuple) else (state,)
        for part, label in zip(parts, ("loss_h", "loss_c")):
            loss = loss + (part * mg.tensor(arrays[label][i])).sum()
    loss.backward()
    return {"x": x, "initial": initial, "out": out, "final": final}


def close(actual: Any, expected: np.ndarray, what: str) -> None:
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=0, atol=TOL, err_msg=what)


@pytest.fixture(scope="module", params=CONFIGS)
def loaded(request: pytest.FixtureRequest) -> tuple[dict, dict, Any, dict]:
    """(config, arrays, layer with torch's weights, result of one forward/backward)."""
    cfg, arrays = fixture(request.param)
    layer = build(cfg)
    layer.load_torch_state_dict(torch_dict(arrays))
    return cfg, arrays, layer, run(layer, cfg, arrays)


def test_fixture_file_covers_the_required_configurations() -> None:
    configs = [fixture(name)[0] for name in CONFIGS]
    modes = {(c["mode"], c["nonlinearity"]) for c in configs}
    assert modes == {("RNN", "tanh"), ("RNN", "relu"), ("LSTM", None), ("GRU", None)}
    assert any(c["ragged"] and c["mode"] == "LSTM" and c["bidirectional"] for c in configs)
    assert any(c["ragged"] and c["mode"] == "GRU" and c["bidirectional"] for c in configs)
    assert any(c["num_layers"] == 3 for c in configs)
    assert any(c["initial_state"] for c in configs) and not all(c["initial_state"] for c in configs)
    assert all(FIXTURES[k].dtype != object for k in FIXTURES.files)
    # Both torch biases must carry values, or the import's sum would go untested.
    for name in CONFIGS:
        for key, value in torch_dict(fixture(name)[1]).items():
            assert np.abs(value).min() > 0, f"{name}: {key} has zeros"


def test_outputs_and_final_states_match_torch(loaded: tuple) -> None:
    cfg, arrays, _, result = loaded
    close(result["out"].numpy(), arrays["out"], "outputs")
    final = interop.final_state_to_torch(result["final"])
    if cfg["mode"] == "LSTM":
        close(final[0], arrays["h_n"], "h_n")
        close(final[1], arrays["c_n"], "c_n")
    else:
        close(final, arrays["h_n"], "h_n")


def test_padded_outputs_are_zero_in_both(loaded: tuple) -> None:
    cfg, arrays, _, result = loaded
    steps = arrays["x"].shape[1]
    padded = np.arange(steps)[None, :] >= arrays["lengths"][:, None]
    assert padded.any() == cfg["ragged"]
    assert not arrays["out"][padded].any()
    assert not result["out"].numpy()[padded].any()
    # Padded inputs must not influence anything: torch and minigrad give them zero gradient.
    assert not arrays["grad/x"][padded].any()
    assert not result["x"].grad[padded].any()


def test_input_and_initial_state_gradients_match_torch(loaded: tuple) -> None:
    cfg, arrays, _, result = loaded
    close(result["x"].grad, arrays["grad/x"], "d loss / d x")
    if not cfg["initial_state"]:
        assert "grad/h0" not in arrays
        return
    for i, state in enumerate(result["initial"]):
        parts = state if isinstance(state, tuple) else (state,)
        for part, label in zip(parts, ("grad/h0", "grad/c0")):
            close(part.grad, arrays[label][i], f"{label}[{i}]")


def test_parameter_gradients_match_torch_in_torch_layout(loaded: tuple) -> None:
    _, arrays, layer, _ = loaded
    grads = layer.torch_state_dict(grad=True)
    expected = torch_dict(arrays, "grad/torch/")
    assert list(grads) == list(expected)
    for key, value in expected.items():
        # bias_hh included: for summed blocks torch's two bias gradients are equal.
        close(grads[key], value, f"gradient of {key}")


def test_export_equals_torch_dict_up_to_the_bias_split(loaded: tuple) -> None:
    cfg, arrays, layer, _ = loaded
    exported = layer.torch_state_dict()
    original = torch_dict(arrays)
    split = torch_dict(arrays, "split/")
    assert list(exported) == list(original)
    H = cfg["hidden_size"]
    for key, value in exported.items():
        assert value.dtype == np.float64 and value.shape == original[key].shape, key
        if key.startswith("weight"):
            np.testing.assert_array_equal(value, original[key], err_msg=key)
        np.testing.assert_allclose(value, split[key], rtol=0, atol=1e-15, err_msg=key)
        if key.startswith("bias_hh"):
            kept = slice(2 * H, 3 * H) if cfg["mode"] == "GRU" else slice(0, 0)
            np.testing.assert_array_equal(value[kept], original[key][kept], err_msg=key)
            rest = np.ones(value.shape, bool)
            rest[kept] = False
            assert not value[rest].any(), f"{key}: the summed blocks of bias_hh must be zero"


def test_exported_dict_reimports_and_reproduces_torch(loaded: tuple) -> None:
    cfg, arrays, layer, _ = loaded
    fresh = build(cfg, seed=99)
    fresh.load_torch_state_dict(layer.torch_state_dict())
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key], value, err_msg=key)
    result = run(fresh, cfg, arrays)
    # split_out: torch's own outputs with the exported bias split.
    close(result["out"].numpy(), arrays["split_out"], "outputs after export and re-import")


def test_import_moves_every_weight() -> None:
    cfg, arrays = fixture("gru_3layers")
    a, b = build(cfg, seed=1), build(cfg, seed=2)
    a.load_torch_state_dict(torch_dict(arrays))
    b.load_torch_state_dict(torch_dict(arrays))
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key], value, err_msg=key)


def test_import_follows_the_documented_formulas() -> None:
    H, I = 2, 3
    rng = np.random.default_rng(0)
    w_ih, w_hh = rng.normal(size=(3 * H, I)), rng.normal(size=(3 * H, H))
    b_ih, b_hh = rng.normal(size=3 * H), rng.normal(size=3 * H)
    gru = torch_layout.cell_from_torch("gru", w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_array_equal(gru["U"], w_ih.T)
    np.testing.assert_array_equal(gru["W"], w_hh.T)
    np.testing.assert_array_equal(gru["b"][: 2 * H], b_ih[: 2 * H] + b_hh[: 2 * H])
    np.testing.assert_array_equal(gru["b"][2 * H :], b_ih[2 * H :])
    np.testing.assert_array_equal(gru["b_hn"], b_hh[2 * H :])
    lstm = torch_layout.cell_from_torch("lstm", w_ih[:H], w_hh[:H], b_ih[:H], b_hh[:H])
    assert set(lstm) == {"U", "W", "b"}
    np.testing.assert_array_equal(lstm["b"], b_ih[:H] + b_hh[:H])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_layout_round_trips_exactly(kind: str, bidirectional: bool) -> None:
    rng = np.random.default_rng(3)
    shapes = torch_layout.torch_shapes(kind, 3, 2, num_layers=2, bidirectional=bidirectional)
    mine = torch_layout.state_dict_from_torch(
        {k: rng.normal(size=s) for k, s in shapes.items()}, kind, 3, 2, 2, bidirectional
    )
    back = torch_layout.state_dict_to_torch(mine, kind, 2, bidirectional)
    assert list(back) == list(shapes)
    again = torch_layout.state_dict_from_torch(back, kind, 3, 2, 2, bidirectional)
    assert list(again) == list(mine)
    for key in mine:
        np.testing.assert_array_equal(again[key], mine[key], err_msg=key)


@pytest.mark.parametrize("name", ["lstm_2layers_bidir", "rnn_relu_bidir"])
def test_module_spec_describes_the_torch_module(name: str) -> None:
    cfg, _ = fixture(name)
    mode, kwargs = interop.torch_module_spec(build(cfg))
    assert mode == cfg["mode"]
    assert kwargs["batch_first"] is True
    assert (kwargs["input_size"], kwargs["hidden_size"]) == (cfg["input_size"], cfg["hidden_size"])
    assert (kwargs["num_layers"], kwargs["bidirectional"]) == (
        cfg["num_layers"],
        cfg["bidirectional"],
    )
    assert kwargs.get("nonlinearity") == cfg["nonlinearity"]


def test_float32_layer_keeps_its_dtype() -> None:
    cfg, arrays = fixture("lstm_2layers_bidir")
    layer = build(cfg, dtype=np.float32)
    layer.load_torch_state_dict(torch_dict(arrays))
    assert all(p.dtype == np.float32 for p in layer.parameters())
    assert all(v.dtype == np.float32 for v in layer.torch_state_dict().values())


class FakeTorchTensor:
    """Quacks like a torch tensor (detach/cpu/numpy) so the test needs no torch."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def detach(self) -> FakeTorchTensor:
        return self

    def cpu(self) -> FakeTorchTensor:
        return self

    def numpy(self) -> np.ndarray:
        return self.array


def test_torch_tensors_are_read_without_importing_torch() -> None:
    cfg, arrays = fixture("rnn_tanh_2layers")
    layer = build(cfg)
    layer.load_torch_state_dict({k: FakeTorchTensor(v) for k, v in torch_dict(arrays).items()})
    close(run(layer, cfg, arrays)["out"].numpy(), arrays["out"], "outputs")


def test_load_run_and_export_on_device(device: str) -> None:
    cfg, arrays = fixture("lstm_bidir_ragged")
    layer = mg.nn.RNN(
        "lstm",
        input_size=3,
        hidden_size=3,
        num_layers=2,
        bidirectional=True,
        dtype=np.float64,
        device=device,
    )
    layer.load_torch_state_dict(torch_dict(arrays))
    assert all(p.device == device for p in layer.parameters())
    initial = interop.initial_state_from_torch(arrays["h0"], arrays["c0"], device=device)
    x = mg.tensor(arrays["x"], device=device)
    out, final = layer(x, initial, arrays["lengths"])
    close(out.numpy(), arrays["out"], f"outputs on {device}")
    close(interop.final_state_to_torch(final)[1], arrays["c_n"], f"c_n on {device}")
    exported = layer.torch_state_dict()
    assert all(type(v) is np.ndarray for v in exported.values())
    np.testing.assert_allclose(
        exported["bias_ih_l1"], arrays["split/bias_ih_l1"], rtol=0, atol=1e-15
    )


# ------------------------------------------------------------------ refusals and bad dicts
def small(cell: str, **options: Any) -> Any:
    return mg.nn.RNN(cell, input_size=3, hidden_size=2, dtype=np.float64, **options)


def some_gru_dict() -> dict[str, np.ndarray]:
    shapes = torch_layout.torch_shapes("gru", 3, 2)
    return {k: np.zeros(s) for k, s in shapes.items()}


def test_gru_without_reset_after_refuses_torch_weights() -> None:
    layer = small("gru")
    for action in (lambda: layer.load_torch_state_dict(some_gru_dict()), layer.torch_state_dict):
        with pytest.raises(mg.CellError) as info:
            action()
        message = str(info.value)
        assert "GRUCell" in message and "reset_after=True" in message
        assert "before the recurrent matmul" in message and "r*(h W_n + b_hn)" in message
        assert "Cho et al." in message


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("peephole_lstm", "no peephole"),
        ("coupled_lstm", "1 - f"),
        ("layernorm_lstm", "no layer normalisation"),
    ],
)
def test_lstm_variants_without_torch_equivalent_refuse(cell: str, why: str) -> None:
    layer = small(cell)
    for action in (
        lambda: layer.load_torch_state_dict(
            {k: np.zeros(s) for k, s in torch_layout.torch_shapes("lstm", 3, 2).items()}
        ),
        layer.torch_state_dict,
    ):
        with pytest.raises(mg.CellError) as info:
            action()
        message = str(info.value)
        assert f"'{cell}'" in message and "no PyTorch equivalent" in message
        assert why in message and "cell='lstm'" in message


def test_sigmoid_rnn_refuses() -> None:
    with pytest.raises(mg.CellError, match="nonlinearity 'tanh' or 'relu'"):
        small("rnn", activation="sigmoid").torch_state_dict()


def test_bad_state_dict_names_every_key_and_changes_nothing() -> None:
    layer = mg.nn.RNN(
        "lstm", input_size=3, hidden_size=2, num_layers=2, bidirectional=True, dtype=np.float64
    )
    before = layer.state_dict()
    state = {k: np.zeros(s) for k, s in torch_layout.torch_shapes("lstm", 3, 2, 2, True).items()}
    del state["bias_hh_l1"], state["weight_hh_l0_reverse"]
    state["weight_hr_l0"] = np.zeros((8, 2))
    state["weight_ih_l1"] = np.zeros((8, 3))  # layer 1 reads 2 * H = 4 features
    state["bias_ih_l0"] = np.zeros(4)
    with pytest.raises(mg.StateDictError) as info:
        layer.load_torch_state_dict(state)
    message = str(info.value)
    assert "load_torch_state_dict" in message
    for key in ("bias_hh_l1", "weight_hh_l0_reverse", "weight_hr_l0"):
        assert key in message
    assert "weight_ih_l1: expected (8, 4), got (8, 3)" in message
    assert "bias_ih_l0: expected (8,), got (4,)" in message
    for key, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_not_a_dict_is_a_state_dict_error() -> None:
    with pytest.raises(mg.StateDictError, match="expected a dict"):
        small("lstm").load_torch_state_dict([np.zeros(3)])


def test_gradients_before_backward_are_a_graph_error() -> None:
    with pytest.raises(mg.GraphError, match=r"layers\.0\.U.*backward\(\)"):
        small("lstm").torch_state_dict(grad=True)


def test_unknown_torch_module_name() -> None:
    with pytest.raises(mg.CellError, match="'RNN', 'LSTM' or 'GRU'"):
        interop.rnn_options_from_torch("Transformer")


# ---------------------------------------------------------------------------- the docs
def test_runnable_doc_examples_need_no_torch() -> None:
    """tests/test_docs_examples.py runs the blocks; here: none of the runnable ones needs torch."""
    text = (ROOT / "docs" / "pytorch-interop.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python([^\n]*)\n(.*?)^```", text, flags=re.M | re.S)
    runnable = [code for info, code in blocks if "no-run" not in info.split()]
    skipped = [code for info, code in blocks if "no-run" in info.split()]
    assert len(runnable) >= 4 and skipped
    assert not any(re.search(r"^\s*(import|from) torch", code, re.M) for code in runnable)
    assert all("torch" in code for code in skipped)
