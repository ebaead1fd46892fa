"""``minigrad.nn.RNN``: stacked, bidirectional recurrent layers over any registered step cell."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from minigrad.cells.drivers import bidirectional_rnn, dynamic_rnn

B, I, H, T = 3, 2, 3, 4
LENGTHS = np.array([4, 1, 3])


def parts(state) -> tuple:
    return state if isinstance(state, tuple) else (state,)


def assert_states_equal(got, want, atol: float = 1e-14) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, tuple) == isinstance(w, tuple)
        for a, b in zip(parts(g), parts(w)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=atol)


def random_states(model: mg.nn.Module, rng: np.random.Generator) -> list:
    states = []
    for state in model.zero_state(B):
        new = tuple(mg.tensor(rng.standard_normal(p.shape)) for p in parts(state))
        states.append(new if isinstance(state, tuple) else new[0])
    return states


def test_importing_nn_does_not_import_the_cell_registry() -> None:
    code = (
        "import sys, minigrad.nn as nn\n"
        "assert 'pluggy' not in sys.modules and 'minigrad.cells' not in sys.modules\n"
        "assert nn.RNN.__module__ == 'minigrad.cells.layer'\n"
        "assert 'minigrad.cells' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="minigrad.nn' has no attribute 'RNNN'"):
        mg.nn.RNNN  # noqa: B018


def test_parameter_names_and_shapes() -> None:
    model = mg.nn.RNN("lstm", input_size=I, hidden_size=H, num_layers=2, bidirectional=True)
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert shapes == {
        "layers.0.U": (I, 4 * H),
        "layers.0.W": (H, 4 * H),
        "layers.0.b": (4 * H,),
        "layers.1.U": (2 * H, 4 * H),
        "layers.1.W": (H, 4 * H),
        "layers.1.b": (4 * H,),
        "layers_reverse.0.U": (I, 4 * H),
        "layers_reverse.0.W": (H, 4 * H),
        "layers_reverse.0.b": (4 * H,),
        "layers_reverse.1.U": (2 * H, 4 * H),
        "layers_reverse.1.W": (H, 4 * H),
        "layers_reverse.1.b": (4 * H,),
    }
    assert model.output_size == 2 * H
    single = mg.nn.RNN("gru", input_size=I, hidden_size=H, reset_after=True)
    assert sorted(single.state_dict()) == [
        "layers.0.U",
        "layers.0.W",
        "layers.0.b",
        "layers.0.b_hn",
    ]
    assert not hasattr(single, "layers_reverse")


def test_two_layer_bidirectional_lstm_equals_chaining_the_cells_with_the_drivers(
    rng: np.random.Generator,
) -> None:
    model = mg.nn.RNN(
        "lstm", input_size=I, hidden_size=H, num_layers=2, bidirectional=True, dtype=np.float64
    )
    x = mg.tensor(rng.standard_normal((B, T, I)))
    init = random_states(model, rng)
    outputs, final = model(x, initial_state=init, lengths=LENGTHS)

    out0, (fw0, bw0) = bidirectional_rnn(
        model.layers[0], model.layers_reverse[0], x, (init[0], init[1]), lengths=LENGTHS
    )
    out1, (fw1, bw1) = bidirectional_rnn(
        model.layers[1], model.layers_reverse[1], out0, (init[2], init[3]), lengths=LENGTHS
    )
    np.testing.assert_allclose(outputs.numpy(), out1.numpy(), atol=1e-14)
    assert_states_equal(final, [fw0, bw0, fw1, bw1])  # layer-major, direction inner
    np.testing.assert_array_equal(outputs.numpy()[1, 1:], 0.0)


def test_stacked_gru_equals_an_explicit_loop_over_time_and_layers(
    rng: np.random.Generator,
) -> None:
    model = mg.nn.RNN("gru", input_size=I, hidden_size=H, num_layers=3, dtype=np.float64)
    xs = rng.standard_normal((B, T, I))
    outputs, final = model(mg.tensor(xs))
    states = [np.zeros((B, H))] * 3
    for t in range(T):
        below = mg.tensor(xs[:, t])
        for k, cell in enumerate(model.layers):
            below, new = cell(below, mg.tensor(states[k]))
            states[k] = new.numpy()
        np.testing.assert_allclose(outputs.numpy()[:, t], below.numpy(), atol=1e-14)
    for got, want in zip(final, states):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-14)


@pytest.mark.parametrize(
    "name", [n for n in mg.cells.available() if mg.cells.get(n).kind == "step"]
)
def test_every_registered_step_cell_works_by_name(rng: np.random.Generator, name: str) -> None:
    model = mg.nn.RNN(name, input_size=I, hidden_size=H, num_layers=2, bidirectional=True)
    x = mg.tensor(rng.standard_normal((B, T, I)).astype(np.float32))
    outputs, final = model(x, lengths=LENGTHS)
    assert outputs.shape == (B, T, 2 * H) and outputs.dtype == np.float32
    assert len(final) == 4
    layout = mg.cells.get(name).state_layout
    for state in final:
        assert len(parts(state)) == len(layout)
    one = mg.nn.RNN(name, input_size=I, hidden_size=H)
    out_one, (state_one,) = one(x)
    want, want_state = dynamic_rnn(one.layers[0], x)
    np.testing.assert_array_equal(out_one.numpy(), want.numpy())
    assert_states_equal([state_one], [want_state], atol=0)


def test_dropout_between_layers_only_in_training_and_never_on_the_state(
    rng: np.random.Generator,
) -> None:
    mg.manual_seed(0)
    model = mg.nn.RNN("lstm", input_size=I, hidden_size=H, num_layers=2, dropout=0.5)
    x = mg.tensor(rng.standard_normal((B, T, I)).astype(np.float32))

    model.eval()
    eval_out, eval_final = model(x)
    again_out, _ = model(x)
    np.testing.assert_array_equal(eval_out.numpy(), again_out.numpy())

    model.train()
    mg.manual_seed(42)
    train_out, train_final = model(x)
    other_out, _ = model(x)
    assert not np.allclose(train_out.numpy(), other_out.numpy())
    assert not np.allclose(train_out.numpy(), eval_out.numpy())
    # Layer 0 is untouched by dropout: its final state is the eval one.
    assert_states_equal(train_final[:1], eval_final[:1], atol=0)

    # Exactly: layer 1 reads dropout(layer 0's outputs) drawn from the seeded generator.
    mg.manual_seed(42)
    out0, _ = dynamic_rnn(model.layers[0], x)
    dropped = mg.dropout(out0, 0.5, training=True)
    want, want_state = dynamic_rnn(model.layers[1], dropped)
    np.testing.assert_array_equal(train_out.numpy(), want.numpy())
    assert_states_equal(train_final[1:], [want_state], atol=0)


def test_no_dropout_after_the_last_layer(rng: np.random.Generator) -> None:
    model = mg.nn.RNN("gru", input_size=I, hidden_size=H, num_layers=1, dropout=0.9)
    x = mg.tensor(rng.standard_normal((B, T, I)).astype(np.float32))
    train_out, _ = model(x)
    eval_out, _ = model.eval()(x)
    np.testing.assert_array_equal(train_out.numpy(), eval_out.numpy())


def test_gradients_through_the_stack_match_finite_differences(rng: np.random.Generator) -> None:
    model = mg.nn.RNN(
        "gru", input_size=2, hidden_size=2, num_layers=2, bidirectional=True, dtype=np.float64
    )
    x = mg.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    h0 = [mg.tensor(rng.standard_normal((2, 2)), requires_grad=True) for _ in range(4)]
    lengths = np.array([3, 2])

    def run(*_: mg.Tensor) -> mg.Tensor:
        outputs, final = model(x, initial_state=h0, lengths=lengths)
        return mg.concat([outputs.reshape(2, 12), *final], axis=1)

    assert mg.gradcheck(run, x, *h0, *model.parameters())


def test_same_seed_same_model_and_state_dict_round_trip(rng: np.random.Generator) -> None:
    def build() -> mg.nn.Module:
        return mg.nn.RNN(
            "peephole_lstm", input_size=I, hidden_size=H, num_layers=2, bidirectional=True
        )

    mg.manual_seed(3)
    a = build()
    mg.manual_seed(3)
    b = build()
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[key])
    mg.manual_seed(4)
    c = build()
    x = mg.tensor(rng.standard_normal((B, T, I)).astype(np.float32))
    assert not np.allclose(a(x)[0].numpy(), c(x)[0].numpy())
    c.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a(x)[0].numpy(), c(x)[0].numpy())


def test_clear_errors() -> None:
    model = mg.nn.RNN("lstm", input_size=I, hidden_size=H, num_layers=2, bidirectional=True)
    x = mg.zeros((B, T, I))
    with pytest.raises(
        mg.CellError, match=r"initial_state must be a list of .* = 4 .*got 2 entries"
    ):
        model(x, initial_state=model.zero_state(B)[:2])
    with pytest.raises(mg.CellError, match=r"LSTMCell: state part 'c' must have shape"):
        state = model.zero_state(B)
        state[3] = (state[3][0], mg.zeros((B, H + 1)))
        model(x, initial_state=state)
    with pytest.raises(mg.CellError, match=r"nn.RNN: LSTMCell expects input_size=2"):
        model(mg.zeros((B, T, I + 1)))
    with pytest.raises(mg.ShapeError, match=r"nn.RNN: inputs must be \[batch, time, input_size\]"):
        model(mg.zeros((B, I)))
    with pytest.raises(mg.ShapeError, match=r"every length must be in 1\.\.4"):
        model(x, lengths=[4, 5, 1])
    with pytest.raises(mg.CellError, match="runs whole sequences.*bidirectional=True"):
        mg.nn.RNN("bidirectional", input_size=I, hidden_size=H)
    with pytest.raises(mg.CellError, match="num_layers must be a positive int"):
        mg.nn.RNN("gru", input_size=I, hidden_size=H, num_layers=0)
    with pytest.raises(mg.CellError, match=r"dropout must be in \[0, 1\)"):
        mg.nn.RNN("gru", input_size=I, hidden_size=H, dropout=1.0)
    with pytest.raises(mg.CellError, match="Did you mean 'gru'"):
        mg.nn.RNN("gruu", input_size=I, hidden_size=H)
    with pytest.raises(mg.CellError, match=r"'gru' \(GRUCell\) has no option 'forget_bias'"):
        mg.nn.RNN("gru", input_size=I, hidden_size=H, forget_bias=1.0)
