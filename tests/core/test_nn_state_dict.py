"""state_dict / load_state_dict of models built from the layers."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.errors import StateDictError


class CharModel(nn.Module):
    def __init__(self, vocab=5, dim=3, hidden=4, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.embed = nn.Embedding(vocab, dim, rng=rng)
        self.layers = nn.ModuleList([nn.Linear(dim, hidden, rng=rng), nn.LayerNorm(hidden)])
        self.head = nn.Linear(hidden, vocab, rng=rng)

    def forward(self, ids):
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x)
        return self.head(x.tanh())


def test_state_dict_names_and_round_trip():
    a, b = CharModel(seed=0), CharModel(seed=1)
    state = a.state_dict()
    assert list(state) == [
        "embed.W",
        "layers.0.W",
        "layers.0.b",
        "layers.1.gain",
        "layers.1.shift",
        "head.W",
        "head.b",
    ]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    ids = np.array([[0, 1, 4]])
    assert not np.allclose(a(ids).numpy(), b(ids).numpy())
    b.load_state_dict(state)
    np.testing.assert_array_equal(a(ids).numpy(), b(ids).numpy())
    state["head.b"][:] = 99  # the state dict is a copy, not a view of the weights
    assert not (a.head.b.numpy() == 99).any()


def test_state_dict_round_trip_through_a_checkpoint(tmp_path):
    a, b = CharModel(seed=0), CharModel(seed=1)
    mg.save({"model": a.state_dict()}, tmp_path / "m.npz")
    b.load_state_dict(mg.load(tmp_path / "m.npz")["model"])
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
        assert q.dtype == np.float32


def test_load_state_dict_names_every_problem():
    model = CharModel()
    state = model.state_dict()
    del state["head.b"]
    state["head.bias"] = np.zeros(5, np.float32)
    state["layers.0.W"] = np.zeros((4, 3), np.float32)
    state["layers.0.b"] = np.zeros(4, np.int64)
    state["head.W"] = np.zeros((4, 5), np.int64)
    with pytest.raises(StateDictError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing keys: head.b" in message
    assert "unexpected keys: head.bias" in message
    assert "layers.0.W: model (3, 4), state dict (4, 3)" in message
    assert "layers.0.b, head.W: it holds integers (dtype int64)" in message  # one reason, once


def test_load_state_dict_non_strict_tolerates_missing_but_not_shapes():
    model = CharModel()
    before = model.head.W.numpy().copy()
    model.load_state_dict({"embed.W": np.ones((5, 3), np.float16)}, strict=False)
    np.testing.assert_array_equal(model.embed.W.numpy(), np.ones((5, 3)))
    assert model.embed.W.dtype == np.float32  # the model's dtype wins (a widening cast)
    np.testing.assert_array_equal(model.head.W.numpy(), before)
    with pytest.raises(StateDictError, match="embed.W"):
        model.load_state_dict({"embed.W": np.ones((6, 3), np.float32)}, strict=False)
