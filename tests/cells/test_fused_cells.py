"""Fused sequence ops agree with the composed reference cells to 1e-10 in float64.

Every built-in cell with a fused path, every option that changes its maths,
with and without ragged lengths, inside bidirectional wrappers and stacked
layers: same outputs, same final states, same gradients for the inputs, the
initial state and every parameter.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.cells.drivers import bidirectional_rnn, dynamic_rnn

CASES = [
    ("rnn", {"activation": "tanh"}),
    ("rnn", {"activation": "relu"}),
    ("rnn", {"activation": "sigmoid"}),
    ("lstm", {}),
    ("lstm", {"forget_bias": 0.0}),
    ("peephole_lstm", {}),
    ("coupled_lstm", {}),
    ("gru", {"reset_after": False}),
    ("gru", {"reset_after": True}),
]
IDS = [
    f"{name}-{'-'.join(f'{k}={v}' for k, v in opts.items()) or 'default'}" for name, opts in CASES
]
B, T, I, H = 3, 6, 4, 5
LENGTHS = np.array([6, 2, 4])


def pair(name: str, options: dict, seed: int = 0):
    """The same cell twice (same weights): fused and composed, in float64."""
    made = []
    for fused in (True, False):
        rng = np.random.default_rng(seed)
        made.append(mg.cells.create(name, I, H, fused=fused, dtype=np.float64, rng=rng, **options))
    return made


def random_state(cell, rng):
    parts = tuple(mg.tensor(rng.normal(size=(B, n)), dtype=np.float64) for n in cell.state_sizes())
    for p in parts:
        p.requires_grad_()
    return parts[0] if len(parts) == 1 else parts


def flat(state):
    return list(state) if isinstance(state, tuple) else [state]


def scalar_loss(outputs, state, rng):
    """A fixed random projection of every output, so every gradient path is exercised."""
    terms = [outputs, *flat(state)]
    total = None
    for t in terms:
        w = mg.tensor(rng.normal(size=t.shape), dtype=np.float64)
        part = (t * w).sum()
        total = part if total is None else total + part
    return total


def run(cell, x, state, lengths, seed=7):
    outputs, final = dynamic_rnn(cell, x, state, lengths)
    loss = scalar_loss(outputs, final, np.random.default_rng(seed))
    wrt = [x, *flat(state), *cell.parameters()]
    return outputs, final, mg.grad(loss, wrt)


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "ragged"])
@pytest.mark.parametrize("name,options", CASES, ids=IDS)
def test_fused_equals_composed(name, options, lengths):
    fused, composed = pair(name, options)
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.normal(size=(B, T, I)), dtype=np.float64, requires_grad=True)
    state = random_state(fused, rng)
    out_f, final_f, grads_f = run(fused, x, state, lengths)
    out_c, final_c, grads_c = run(composed, x, state, lengths)
    np.testing.assert_allclose(out_f.data, out_c.data, rtol=0, atol=1e-10)
    for a, b in zip(flat(final_f), flat(final_c)):
        np.testing.assert_allclose(a.data, b.data, rtol=0, atol=1e-10)
    assert len(grads_f) == len(grads_c)
    for k, (a, b) in enumerate(zip(grads_f, grads_c)):
        assert a is not None and b is not None, f"gradient {k} missing"
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10, err_msg=f"gradient {k}")


def test_fused_op_is_actually_used():
    """Guard against the fused path silently falling back to the composed steps."""
    cell = mg.cells.create("lstm", I, H)
    x = mg.tensor(np.ones((B, T, I), np.float32), requires_grad=True)
    out, _ = dynamic_rnn(cell, x)
    assert type(out._ctx).__name__ == "LSTMSequence"
    composed = mg.cells.create("lstm", I, H, fused=False)
    out, _ = dynamic_rnn(composed, x)
    assert type(out._ctx).__name__ != "LSTMSequence"


@pytest.mark.parametrize("name,options", [CASES[3], CASES[8]], ids=["lstm", "gru-after"])
def test_bidirectional_fused_equals_composed(name, options):
    fw_f, fw_c = pair(name, options, seed=3)
    bw_f, bw_c = pair(name, options, seed=4)
    rng = np.random.default_rng(2)
    x = mg.tensor(rng.normal(size=(B, T, I)), dtype=np.float64, requires_grad=True)
    results = []
    for fw, bw in ((fw_f, bw_f), (fw_c, bw_c)):
        out, (s_fw, s_bw) = bidirectional_rnn(fw, bw, x, lengths=LENGTHS)
        loss = scalar_loss(out, tuple(flat(s_fw) + flat(s_bw)), np.random.default_rng(9))
        results.append((out.data, mg.grad(loss, [x, *fw.parameters(), *bw.parameters()])))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=0, atol=1e-10)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_stacked_bidirectional_layer_fused_equals_composed():
    rng = np.random.default_rng(5)
    x = mg.tensor(rng.normal(size=(B, T, I)), dtype=np.float64, requires_grad=True)
    results = []
    for fused in (True, False):
        mg.manual_seed(11)
        layer = mg.nn.RNN(
            "lstm",
            input_size=I,
            hidden_size=H,
            num_layers=2,
            bidirectional=True,
            fused=fused,
            dtype=np.float64,
        ).eval()
        out, finals = layer(x, lengths=LENGTHS)
        state = tuple(p for s in finals for p in flat(s))
        loss = scalar_loss(out, state, np.random.default_rng(9))
        results.append((out.data, mg.grad(loss, [x, *layer.parameters()])))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=0, atol=1e-10)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_fused_float32_keeps_dtype():
    cell = mg.cells.create("gru", I, H, reset_after=True)
    x = mg.tensor(np.ones((B, T, I), np.float32), requires_grad=True)
    out, h = dynamic_rnn(cell, x, lengths=LENGTHS)
    (out.sum() + h.sum()).backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in cell.parameters())


def test_fused_gradcheck_against_finite_differences():
    """Independent of the composed cells: central differences on the fused LSTM op."""
    rng = np.random.default_rng(4)

    def p(*shape):
        return mg.tensor(rng.normal(size=shape) * 0.5, dtype=np.float64, requires_grad=True)

    x, h0, c0 = p(2, 4, 3), p(2, 4), p(2, 4)
    U, W, b, pi, pf, po = p(3, 16), p(4, 16), p(16), p(4), p(4), p(4)
    lengths = np.array([4, 2])

    def fn(x, h0, c0, U, W, b, pi, pf, po):
        out, h, c = mg.fused.lstm_sequence(
            x, h0, c0, U, W, b, (pi, pf, po), lengths=lengths, variant="peephole"
        )
        return mg.concat([out.reshape(2, -1), h, c], axis=1)

    assert mg.gradcheck(fn, x, h0, c0, U, W, b, pi, pf, po)
