"""The drivers in ``minigrad.rnn`` (static, dynamic, bidirectional, truncated BPTT) with every cell.

References are independent of the driver under test: the static and dynamic
drivers against each other, ragged batches against each example run alone up
to its own length, the backward direction against the reversed, truncated
sequence run alone.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.cells.drivers import (
    bidirectional_rnn,
    detach_state,
    dynamic_rnn,
    map_state,
    reverse_sequences,
    static_rnn,
)

B, I, H, T = 3, 2, 3, 5
LENGTHS = np.array([5, 2, 1])
STEP_CELLS = ["rnn", "lstm", "peephole_lstm", "coupled_lstm", "gru", "layernorm_lstm"]


def make(name: str, seed: int = 0) -> mg.cells.Cell:
    return mg.cells.create(name, I, H, dtype=np.float64, rng=np.random.default_rng(seed))


def parts(state) -> tuple:
    return state if isinstance(state, tuple) else (state,)


def random_state(cell: mg.cells.Cell, rng: np.random.Generator, batch: int = B):
    state = tuple(mg.tensor(rng.standard_normal((batch, n))) for n in cell.state_sizes())
    return state if len(state) > 1 else state[0]


def take(state, rows) -> tuple | mg.Tensor:
    return map_state(lambda s: mg.tensor(s.numpy()[rows]), state)


@pytest.mark.parametrize("name", STEP_CELLS)
def test_static_and_dynamic_give_the_same_outputs_and_gradients(
    rng: np.random.Generator, name: str
) -> None:
    cell = make(name)
    xs = rng.standard_normal((B, T, I))
    weights = rng.standard_normal((B, T, H))
    h0 = random_state(cell, rng)

    x_dyn = mg.tensor(xs, requires_grad=True)
    out_dyn, final_dyn = dynamic_rnn(cell, x_dyn, h0)
    loss_dyn = (out_dyn * mg.tensor(weights)).sum() + sum(p.sum() for p in parts(final_dyn))
    params = list(cell.parameters())
    grads_dyn = mg.grad(loss_dyn, [x_dyn, *params])

    x_steps = [mg.tensor(xs[:, t], requires_grad=True) for t in range(T)]
    out_static, final_static = static_rnn(cell, x_steps, h0)
    loss_static = sum((o * mg.tensor(weights[:, t])).sum() for t, o in enumerate(out_static))
    loss_static = loss_static + sum(p.sum() for p in parts(final_static))
    grads_static = mg.grad(loss_static, [*x_steps, *params])

    assert len(out_static) == T
    np.testing.assert_allclose(
        np.stack([o.numpy() for o in out_static], axis=1), out_dyn.numpy(), atol=1e-14
    )
    for a, b in zip(parts(final_static), parts(final_dyn)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-14)
    np.testing.assert_allclose(np.stack(grads_static[:T], axis=1), grads_dyn[0], atol=1e-13)
    for g_static, g_dyn in zip(grads_static[T:], grads_dyn[1:]):
        np.testing.assert_allclose(g_static, g_dyn, atol=1e-13)
    assert np.abs(grads_dyn[0]).max() > 0


@pytest.mark.parametrize("name", STEP_CELLS)
def test_ragged_lengths_zero_the_padding_and_stop_the_state(
    rng: np.random.Generator, name: str
) -> None:
    cell = make(name)
    xs = rng.standard_normal((B, T, I))
    h0 = random_state(cell, rng)
    outputs, final = dynamic_rnn(cell, mg.tensor(xs), h0, lengths=LENGTHS)
    for b, length in enumerate(LENGTHS):
        alone_out, alone_final = dynamic_rnn(
            cell, mg.tensor(xs[b : b + 1, :length]), take(h0, slice(b, b + 1))
        )
        np.testing.assert_allclose(outputs.numpy()[b, :length], alone_out.numpy()[0], atol=1e-14)
        np.testing.assert_array_equal(outputs.numpy()[b, length:], 0.0)
        for got, want in zip(parts(final), parts(alone_final)):
            np.testing.assert_allclose(got.numpy()[b], want.numpy()[0], atol=1e-14)


def test_padding_receives_no_gradient_and_lengths_may_be_a_tensor_or_list(
    rng: np.random.Generator,
) -> None:
    cell = make("lstm")
    x = mg.tensor(rng.standard_normal((B, T, I)), requires_grad=True)
    for lengths in (LENGTHS, LENGTHS.tolist(), mg.tensor(LENGTHS)):
        x.grad = None
        outputs, (h, c) = dynamic_rnn(cell, x, lengths=lengths)
        (outputs.sum() + h.sum() + c.sum()).backward()
        for b, length in enumerate(LENGTHS):
            np.testing.assert_array_equal(x.grad[b, length:], 0.0)
            assert np.abs(x.grad[b, :length]).min() > 0


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_bidirectional_backward_direction_runs_each_sequence_reversed_within_its_length(
    rng: np.random.Generator, name: str
) -> None:
    fw, bw = make(name, seed=1), make(name, seed=2)
    xs = rng.standard_normal((B, T, I))
    outputs, (final_fw, final_bw) = bidirectional_rnn(
        fw, bw, mg.tensor(xs), lengths=LENGTHS, merge="concat"
    )
    assert outputs.shape == (B, T, 2 * H)
    for b, length in enumerate(LENGTHS):
        seq = xs[b : b + 1, :length]
        out_f, state_f = dynamic_rnn(fw, mg.tensor(seq))
        out_b, state_b = dynamic_rnn(bw, mg.tensor(seq[:, ::-1].copy()))
        np.testing.assert_allclose(outputs.numpy()[b, :length, :H], out_f.numpy()[0], atol=1e-14)
        np.testing.assert_allclose(
            outputs.numpy()[b, :length, H:], out_b.numpy()[0, ::-1], atol=1e-14
        )
        np.testing.assert_array_equal(outputs.numpy()[b, length:], 0.0)
        for got, want in zip(parts(final_fw), parts(state_f)):
            np.testing.assert_allclose(got.numpy()[b], want.numpy()[0], atol=1e-14)
        for got, want in zip(parts(final_bw), parts(state_b)):
            np.testing.assert_allclose(got.numpy()[b], want.numpy()[0], atol=1e-14)


@pytest.mark.parametrize(
    "merge,combine",
    [
        ("concat", lambda f, b: np.concatenate([f, b], axis=-1)),
        ("sum", lambda f, b: f + b),
        ("mean", lambda f, b: (f + b) / 2),
        ("mul", lambda f, b: f * b),
    ],
)
def test_bidirectional_merge_modes(rng: np.random.Generator, merge: str, combine) -> None:
    fw, bw = make("gru", seed=1), make("gru", seed=2)
    xs = rng.standard_normal((B, T, I))
    merged, _ = bidirectional_rnn(fw, bw, mg.tensor(xs), lengths=LENGTHS, merge=merge)
    both, _ = bidirectional_rnn(fw, bw, mg.tensor(xs), lengths=LENGTHS, merge="concat")
    f, b = both.numpy()[..., :H], both.numpy()[..., H:]
    np.testing.assert_allclose(merged.numpy(), combine(f, b), atol=1e-14)
    with pytest.raises(mg.CellError, match="unknown merge mode 'max'; choose one of concat"):
        bidirectional_rnn(fw, bw, mg.tensor(xs), merge="max")


def test_reverse_sequences_reverses_within_each_length() -> None:
    x = mg.tensor(np.arange(B * T, dtype=np.float64).reshape(B, T, 1))
    got = reverse_sequences(x, LENGTHS).numpy()[..., 0]
    want = np.array([[4, 3, 2, 1, 0], [6, 5, 7, 8, 9], [10, 11, 12, 13, 14]], dtype=float)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(reverse_sequences(x, None).numpy()[..., 0], x.numpy()[:, ::-1, 0])
    np.testing.assert_array_equal(
        reverse_sequences(mg.tensor(got[..., None]), LENGTHS).numpy()[..., 0], x.numpy()[..., 0]
    )


def test_detach_state_stops_backpropagation_at_the_window_boundary(
    rng: np.random.Generator,
) -> None:
    """Truncated BPTT: the second window's loss reaches the first window only without detach."""
    cell = make("lstm")
    first = mg.tensor(rng.standard_normal((B, T, I)), requires_grad=True)
    second = mg.tensor(rng.standard_normal((B, T, I)))
    _, state = dynamic_rnn(cell, first)
    carried = detach_state(state)
    assert all(s.requires_grad is False and s._ctx is None for s in carried)
    for a, b in zip(carried, state):
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    out, _ = dynamic_rnn(cell, second, carried)
    assert mg.grad(out.sum(), [first], retain_graph=True) == [None]
    out.sum().backward()
    assert first.grad is None
    assert cell.U.grad is not None  # the second window still trains the weights

    out, _ = dynamic_rnn(cell, second, state)  # not detached: the graph reaches `first`
    out.sum().backward()
    assert first.grad is not None and np.abs(first.grad).max() > 0
    assert detach_state(None) is None


# -------------------------------------------------------------------- errors
def test_lengths_out_of_range_or_malformed_are_refused() -> None:
    cell = make("gru")
    x = mg.zeros((B, T, I), dtype=np.float64)
    with pytest.raises(mg.ShapeError, match=r"every length must be in 1\.\.5.*max 6"):
        dynamic_rnn(cell, x, lengths=[6, 1, 1])
    with pytest.raises(mg.ShapeError, match=r"every length must be in 1\.\.5.*min 0"):
        dynamic_rnn(cell, x, lengths=[0, 1, 1])
    with pytest.raises(mg.ShapeError, match=r"min -1"):
        bidirectional_rnn(cell, make("gru", 1), x, lengths=[3, -1, 2])
    with pytest.raises(mg.ShapeError, match="lengths must be 3 integers"):
        dynamic_rnn(cell, x, lengths=[2, 2])
    with pytest.raises(mg.ShapeError, match="lengths must be 3 integers.*float64"):
        dynamic_rnn(cell, x, lengths=[2.0, 2.0, 2.0])


def test_rank_two_inputs_are_refused_with_a_hint() -> None:
    cell = make("lstm")
    with pytest.raises(
        mg.ShapeError, match=r"dynamic_rnn: inputs must be \[batch, time, input_size\].*single step"
    ):
        dynamic_rnn(cell, mg.zeros((B, I), dtype=np.float64))
    with pytest.raises(mg.ShapeError, match="bidirectional_rnn: inputs must be"):
        bidirectional_rnn(cell, make("lstm", 1), mg.zeros((B, I), dtype=np.float64))
    with pytest.raises(mg.ShapeError, match="static_rnn: inputs must be a non-empty list"):
        static_rnn(cell, mg.zeros((B, T, I), dtype=np.float64))


def test_wrong_initial_state_is_refused_before_running() -> None:
    cell = make("lstm")
    x = mg.zeros((B, T, I), dtype=np.float64)
    with pytest.raises(mg.CellError, match=r"state must be a tuple \(h, c\)"):
        dynamic_rnn(cell, x, mg.zeros((B, H), dtype=np.float64))
    with pytest.raises(mg.CellError, match="state part 'c' must have shape"):
        dynamic_rnn(
            cell, x, (mg.zeros((B, H), dtype=np.float64), mg.zeros((B, 1), dtype=np.float64))
        )
