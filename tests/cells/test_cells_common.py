"""What every built-in cell shares: registration, gradients, seeding, errors, documentation."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

ROOT = Path(__file__).resolve().parents[2]
B, I, H, T = 2, 3, 3, 3

# Every built-in step cell, with the options that change its equations.
STEP_CELLS = [
    ("rnn", {}),
    ("rnn", {"activation": "sigmoid"}),
    ("lstm", {}),
    ("peephole_lstm", {}),
    ("coupled_lstm", {}),
    ("gru", {}),
    ("gru", {"reset_after": True}),
    ("layernorm_lstm", {}),
]
CELL_IDS = [name + "".join(f"-{k}={v}" for k, v in opts.items()) for name, opts in STEP_CELLS]

BUILTINS = {
    "rnn": ("BasicRNNCell", "minigrad.plugins.basic_rnn", ("basic_rnn",)),
    "lstm": ("LSTMCell", "minigrad.plugins.lstm", ("basic_lstm",)),
    "peephole_lstm": ("PeepholeLSTMCell", "minigrad.plugins.peephole_lstm", ("lstm_peephole",)),
    "coupled_lstm": ("CoupledLSTMCell", "minigrad.plugins.coupled_lstm", ("cifg", "cifg_lstm")),
    "gru": ("GRUCell", "minigrad.plugins.gru", ()),
    "layernorm_lstm": (
        "LayerNormLSTMCell",
        "minigrad.plugins.layernorm_lstm",
        ("ln_lstm", "layer_norm_lstm"),
    ),
    "bidirectional": ("Bidirectional", "minigrad.plugins.bidirectional", ("birnn",)),
    **{
        f"greff_{variant}": (cls, "minigrad.plugins.greff_lstm", ())
        for variant, cls in (
            ("v", "VanillaLSTMCell"),
            ("nig", "NoInputGateLSTMCell"),
            ("nfg", "NoForgetGateLSTMCell"),
            ("nog", "NoOutputGateLSTMCell"),
            ("niaf", "NoInputActivationLSTMCell"),
            ("noaf", "NoOutputActivationLSTMCell"),
            ("np", "NoPeepholeLSTMCell"),
            ("cifg", "CoupledGatesLSTMCell"),
            ("fgr", "FullGateRecurrenceLSTMCell"),
        )
    },
    **{f"jozefowicz_mut{k}": (f"Mut{k}Cell", "minigrad.plugins.jozefowicz", ()) for k in (1, 2, 3)},
}


def state_parts(state) -> tuple:
    return state if isinstance(state, tuple) else (state,)


# ------------------------------------------------------------------ registry
def test_every_builtin_is_registered_by_its_plugin_with_its_aliases() -> None:
    registry = mg.cells.CellRegistry.load(entry_points=False)
    assert registry.names() == sorted(BUILTINS)
    assert not registry.failures
    for name, (cls_name, plugin, aliases) in BUILTINS.items():
        info = registry.get(name)
        assert info.cls.__name__ == cls_name
        assert info.plugin == plugin
        assert info.aliases == aliases
        assert info.kind == ("sequence" if name == "bidirectional" else "step")
        for alias in aliases:
            assert registry.get(alias) is info


@pytest.mark.parametrize("name", [n for n in BUILTINS if n != "bidirectional"])
def test_docstring_carries_equations_shapes_and_state_layout(name: str) -> None:
    info = mg.cells.get(name)
    doc = info.cls.__doc__
    assert "Equations" in doc and "Parameters:" in doc and "State layout" in doc
    for part in info.state_layout:
        assert f"{part}_t" in doc, f"{name}: the equations never define {part}_t"


# ----------------------------------------------------------------- gradients
@pytest.mark.parametrize("name,options", STEP_CELLS, ids=CELL_IDS)
def test_gradients_through_three_steps_match_finite_differences(
    rng: np.random.Generator, name: str, options: dict
) -> None:
    cell = mg.cells.create(name, I, H, dtype=np.float64, rng=np.random.default_rng(0), **options)
    for p in cell.parameters():  # layer-norm gains/shifts start constant: move them
        p.data[...] = p.data + 0.1 * rng.standard_normal(p.shape)
    x = mg.tensor(rng.standard_normal((B, T, I)), requires_grad=True)
    state = tuple(
        mg.tensor(0.5 * rng.standard_normal((B, n)), requires_grad=True) for n in cell.state_sizes()
    )
    state = state if len(state) > 1 else state[0]

    def run(*_: mg.Tensor) -> mg.Tensor:
        outputs, final = mg.cells.dynamic_rnn(cell, x, state)
        return mg.concat([outputs.reshape(B, T * H), *state_parts(final)], axis=1)

    assert mg.gradcheck(run, x, *state_parts(state), *cell.parameters())


def test_gradcheck_would_notice_a_wrong_gradient(rng: np.random.Generator) -> None:
    """Guard for the test above: a cell whose weights do not reach the output fails it."""
    cell = mg.cells.create("gru", I, H, dtype=np.float64)
    x = mg.tensor(rng.standard_normal((B, T, I)), requires_grad=True)
    probe = mg.tensor(rng.standard_normal((B, T * H)), requires_grad=True)

    def wrong(*_: mg.Tensor) -> mg.Tensor:
        outputs, _ = mg.cells.dynamic_rnn(cell, x)
        return outputs.reshape(B, T * H) + probe.detach() * probe.data.sum()

    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(wrong, probe)


# ------------------------------------------------------------------- seeding
@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_same_seed_gives_the_same_weights(name: str) -> None:
    mg.manual_seed(11)
    first = mg.cells.create(name, I, H).state_dict()
    mg.manual_seed(11)
    again = mg.cells.create(name, I, H).state_dict()
    mg.manual_seed(12)
    other = mg.cells.create(name, I, H).state_dict()
    assert first.keys() == again.keys()
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert any(not np.array_equal(first[k], other[k]) for k in first)
    seeded = [
        mg.cells.create(name, I, H, rng=np.random.default_rng(3)).state_dict() for _ in range(2)
    ]
    for key in first:
        np.testing.assert_array_equal(seeded[0][key], seeded[1][key])


@pytest.mark.parametrize("name,options", STEP_CELLS, ids=CELL_IDS)
def test_init_is_uniform_within_one_over_sqrt_h_and_float32_by_default(
    name: str, options: dict
) -> None:
    hidden = 16
    if "lstm" in name:
        options = {**options, "forget_bias": 0.0}  # the +1 has its own tests
    cell = mg.cells.create(name, 5, hidden, rng=np.random.default_rng(8), **options)
    bound = 1 / np.sqrt(hidden)
    for key, value in cell.state_dict().items():
        assert value.dtype == np.float32, key
        if key.startswith(("ln_", "c_")):
            continue  # layer-norm gains (1) and shifts (0), checked in their own test
        assert np.abs(value).max() <= bound, key
        assert np.abs(value).max() > bound / 2, f"{key} looks too narrow for U(-1/sqrt(H), ...)"
    assert all(part.dtype == np.float32 for part in state_parts(cell.zero_state(2)))


def test_float32_and_float64_cells_from_one_seed_agree() -> None:
    mg.manual_seed(5)
    single = mg.cells.create("lstm", I, H).state_dict()
    mg.manual_seed(5)
    double = mg.cells.create("lstm", I, H, dtype=np.float64).state_dict()
    for key in single:
        np.testing.assert_allclose(single[key], double[key], rtol=1e-7, atol=1e-7)


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize("name,options", STEP_CELLS, ids=CELL_IDS)
def test_wrong_input_width_names_the_cell_and_the_width(name: str, options: dict) -> None:
    cell = mg.cells.create(name, I, H, **options)
    cls = type(cell).__name__
    with pytest.raises(mg.CellError, match=rf"{cls}: x_t must be \[batch, input_size=3\]"):
        cell(mg.zeros((B, I + 1)))
    with pytest.raises(mg.CellError, match=rf"{cls} expects input_size=3.*\[2, 4, 5\]"):
        mg.cells.dynamic_rnn(cell, mg.zeros((B, 4, 5)))


@pytest.mark.parametrize("name,options", STEP_CELLS, ids=CELL_IDS)
def test_state_of_wrong_shape_or_structure_is_refused(name: str, options: dict) -> None:
    cell = mg.cells.create(name, I, H, **options)
    cls = type(cell).__name__
    x = mg.zeros((B, I))
    layout = cell.state_layout
    wrong_width = tuple(mg.zeros((B, H + 1)) for _ in layout)
    with pytest.raises(mg.CellError, match=rf"{cls}: state part '{layout[0]}' must have shape"):
        cell(x, wrong_width if len(layout) > 1 else wrong_width[0])
    wrong_batch = tuple(mg.zeros((B + 1, H)) for _ in layout)
    with pytest.raises(mg.CellError, match=r"shape \(2, 3\) for a batch of 2"):
        mg.cells.dynamic_rnn(
            cell, mg.zeros((B, T, I)), wrong_batch if len(layout) > 1 else wrong_batch[0]
        )
    wrong_structure = mg.zeros((B, H)) if len(layout) > 1 else (mg.zeros((B, H)),) * 2
    with pytest.raises(mg.CellError, match=rf"{cls}: state must be"):
        cell(x, wrong_structure)


def test_unknown_option_names_the_cell_and_its_valid_options() -> None:
    with pytest.raises(mg.CellError) as err:
        mg.cells.create("lstm", I, H, forgetbias=1.0)
    message = str(err.value)
    assert "'lstm' (LSTMCell)" in message and "'forgetbias'" in message
    assert "forget_bias=1.0" in message and "dtype=" in message and "rng=None" in message
    with pytest.raises(mg.CellError, match=r"'gru' \(GRUCell\) has no option 'reset_before'"):
        mg.cells.create("gru", I, H, reset_before=True)


@pytest.mark.parametrize(
    "typo,suggestion", [("lstn", "lstm"), ("gruu", "gru"), ("peephole", "peephole_lstm")]
)
def test_unknown_cell_name_suggests_close_matches(typo: str, suggestion: str) -> None:
    with pytest.raises(
        mg.CellError, match=rf"unknown cell '{typo}'\. Did you mean .*'{suggestion}'"
    ):
        mg.cells.create(typo, I, H)


@pytest.mark.parametrize("name", ["lstm", "peephole_lstm", "coupled_lstm", "layernorm_lstm"])
def test_bad_option_values_are_refused(name: str) -> None:
    with pytest.raises(mg.CellError, match="forget_bias must be a number"):
        mg.cells.create(name, I, H, forget_bias="1.0")
    with pytest.raises(mg.DTypeError, match="must be floating point"):
        mg.cells.create(name, I, H, dtype=np.int32)
    with pytest.raises(mg.CellError, match="hidden_size must be a positive int"):
        mg.cells.create(name, I, 0)


# --------------------------------------------------------------------- docs
def test_every_cell_has_a_page_and_a_row_in_the_convention_table() -> None:
    index = (ROOT / "docs" / "cells" / "index.md").read_text(encoding="utf-8")
    for name in BUILTINS:
        assert (ROOT / "docs" / "cells" / f"{name}.md").exists(), f"docs/cells/{name}.md missing"
        assert re.search(rf"^\|\s*\[?`{name}`", index, re.M), f"no table row for {name}"


def _python_blocks(text: str) -> list[str]:
    fence = re.compile(r"^```python[ \t]*(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
    return [code for flag, code in fence.findall(text) if flag != "no-run"]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "docs" / "cells").glob("*.md")), ids=lambda p: p.name
)
def test_cell_page_examples_run(path: Path) -> None:
    namespace: dict = {"__name__": f"doc_cells_{path.stem}"}
    for code in _python_blocks(path.read_text(encoding="utf-8")):
        exec(compile(code, str(path), "exec"), namespace)
