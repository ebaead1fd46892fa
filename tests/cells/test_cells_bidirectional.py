"""The ``bidirectional`` plugin: a SequenceModule holding a forward and a backward cell."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.cells.drivers import dynamic_rnn

B, I, H, T = 3, 2, 3, 4
LENGTHS = np.array([4, 2, 1])


def parts(state) -> tuple:
    return state if isinstance(state, tuple) else (state,)


def test_registered_as_a_sequence_module_with_two_cells() -> None:
    info = mg.cells.get("birnn")
    assert info.name == "bidirectional" and info.kind == "sequence"
    layer = mg.cells.create("bidirectional", I, H, cell="gru", reset_after=True)
    assert isinstance(layer, mg.cells.SequenceModule)
    assert type(layer.fw).__name__ == type(layer.bw).__name__ == "GRUCell"
    assert layer.fw.reset_after and layer.bw.reset_after
    assert sorted(layer.state_dict()) == [
        f"{d}.{p}" for d in ("bw", "fw") for p in ("U", "W", "b", "b_hn")
    ]
    assert not np.array_equal(layer.fw.U.numpy(), layer.bw.U.numpy())


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_forward_equals_each_example_alone_both_ways(rng: np.random.Generator, cell: str) -> None:
    layer = mg.cells.create("bidirectional", I, H, cell=cell, dtype=np.float64)
    xs = rng.standard_normal((B, T, I))
    outputs, (final_fw, final_bw) = layer(mg.tensor(xs), lengths=LENGTHS)
    assert outputs.shape == (B, T, layer.output_size) == (B, T, 2 * H)
    for b, length in enumerate(LENGTHS):
        seq = xs[b : b + 1, :length]
        out_f, state_f = dynamic_rnn(layer.fw, mg.tensor(seq))
        out_b, state_b = dynamic_rnn(layer.bw, mg.tensor(seq[:, ::-1].copy()))
        want = np.concatenate([out_f.numpy()[0], out_b.numpy()[0, ::-1]], axis=-1)
        np.testing.assert_allclose(outputs.numpy()[b, :length], want, atol=1e-14)
        np.testing.assert_array_equal(outputs.numpy()[b, length:], 0.0)
        for got, ref in zip(
            (*parts(final_fw), *parts(final_bw)), (*parts(state_f), *parts(state_b))
        ):
            np.testing.assert_allclose(got.numpy()[b], ref.numpy()[0], atol=1e-14)


@pytest.mark.parametrize("merge", ["sum", "mean", "mul"])
def test_merge_modes_combine_the_concatenated_halves(rng: np.random.Generator, merge: str) -> None:
    mg.manual_seed(9)
    concat = mg.cells.create("bidirectional", I, H, cell="gru", dtype=np.float64)
    mg.manual_seed(9)
    merged = mg.cells.create("bidirectional", I, H, cell="gru", merge=merge, dtype=np.float64)
    assert merged.output_size == H
    x = mg.tensor(rng.standard_normal((B, T, I)))
    both, _ = concat(x, lengths=LENGTHS)
    f, b = both.numpy()[..., :H], both.numpy()[..., H:]
    want = {"sum": f + b, "mean": (f + b) / 2, "mul": f * b}[merge]
    out, _ = merged(x, lengths=LENGTHS)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-14)


def test_initial_state_is_a_pair(rng: np.random.Generator) -> None:
    layer = mg.cells.create("bidirectional", I, H, cell="lstm", dtype=np.float64)
    x = mg.tensor(rng.standard_normal((B, T, I)))
    start_bw = tuple(mg.tensor(rng.standard_normal((B, H))) for _ in range(2))
    _, (final_fw, final_bw) = layer(x, initial_state=(None, start_bw))
    _, want_bw = dynamic_rnn(layer.bw, mg.tensor(x.numpy()[:, ::-1].copy()), start_bw)
    _, want_fw = dynamic_rnn(layer.fw, x)
    for got, want in zip((*final_fw, *final_bw), (*want_fw, *want_bw)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-14)
    zero_fw, zero_bw = layer.zero_state(B)
    assert zero_fw[0].shape == zero_bw[1].shape == (B, H)
    with pytest.raises(mg.CellError, match=r"initial_state must be a pair \(state_fw, state_bw\)"):
        layer(x, initial_state=start_bw[0])
    with pytest.raises(mg.CellError, match="got a list of 3"):
        layer(x, initial_state=[None, None, None])


def test_gradients_match_finite_differences(rng: np.random.Generator) -> None:
    layer = mg.cells.create("bidirectional", 2, 2, cell="lstm", merge="mul", dtype=np.float64)
    x = mg.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)

    def run(*_: mg.Tensor) -> mg.Tensor:
        outputs, ((h_f, c_f), (h_b, c_b)) = layer(x, lengths=[3, 2])
        return mg.concat([outputs.reshape(2, 6), h_f, c_f, h_b, c_b], axis=1)

    assert mg.gradcheck(run, x, *layer.parameters())


def test_clear_errors() -> None:
    with pytest.raises(mg.CellError, match="unknown merge mode 'max'; choose one of concat, sum"):
        mg.cells.create("bidirectional", I, H, merge="max")
    with pytest.raises(mg.CellError, match="Did you mean 'lstm'"):
        mg.cells.create("bidirectional", I, H, cell="lstn")
    with pytest.raises(mg.CellError, match="runs whole sequences"):
        mg.cells.create("bidirectional", I, H, cell="bidirectional")
    with pytest.raises(mg.CellError, match=r"'lstm' \(LSTMCell\) has no option 'reset_after'"):
        mg.cells.create("bidirectional", I, H, reset_after=True)
    layer = mg.cells.create("bidirectional", I, H)
    with pytest.raises(mg.CellError, match="LSTMCell expects input_size=2"):
        layer(mg.zeros((B, T, I + 1)))
