"""Layers against plain NumPy oracles, float64 gradient checks, containers and seeding."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend, nn
from minigrad.errors import DTypeError, ShapeError

F64 = np.float64


def host(a):
    return backend.to_numpy(a.data if isinstance(a, mg.Tensor) else a)


# ------------------------------------------------------------------ Linear
def test_linear_forward_is_x_at_w_plus_b(rng, device):
    layer = nn.Linear(5, 3, device=device, rng=rng)
    assert layer.W.shape == (5, 3) and layer.b.shape == (3,)
    assert layer.W.dtype == np.float32 and layer.W.device == device
    x = rng.standard_normal((4, 5)).astype(np.float32)
    y = layer(mg.tensor(x, device=device))
    expected = x @ host(layer.W) + host(layer.b)
    np.testing.assert_allclose(host(y), expected, rtol=1e-6, atol=1e-6)


def test_linear_applies_to_last_axis_of_batch_first_sequences(rng):
    layer = nn.Linear(4, 2, dtype=F64, rng=rng)
    x = rng.standard_normal((3, 7, 4))
    y = layer(mg.tensor(x))
    assert y.shape == (3, 7, 2)
    np.testing.assert_allclose(y.numpy(), x @ layer.W.numpy() + layer.b.numpy(), rtol=1e-12)


def test_linear_without_bias(rng):
    layer = nn.Linear(3, 2, bias=False, dtype=F64, rng=rng)
    assert layer.b is None
    assert [name for name, _ in layer.named_parameters()] == ["W"]
    x = rng.standard_normal((2, 3))
    np.testing.assert_allclose(layer(mg.tensor(x)).numpy(), x @ layer.W.numpy(), rtol=1e-12)


def test_linear_default_init_is_uniform_in_plus_minus_one_over_sqrt_in(rng):
    layer = nn.Linear(100, 300, rng=rng)
    bound = 1 / np.sqrt(100)
    w, b = layer.W.numpy(), layer.b.numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-a, a) has std a / sqrt(3); 30,000 draws pin it to about 1%.
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.03)
    assert abs(w.mean()) < 0.05 * bound
    assert np.abs(w).max() > 0.99 * bound  # the whole range is used, not a narrower one


def test_linear_gradcheck_float64(rng):
    layer = nn.Linear(4, 3, dtype=F64, rng=rng)
    x = mg.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    assert mg.gradcheck(lambda x, W, b: layer(x).tanh(), x, layer.W, layer.b)


def test_linear_refuses_mixed_dtypes_and_bad_sizes(rng):
    layer = nn.Linear(3, 2, rng=rng)  # float32
    with pytest.raises(DTypeError, match="float32 and float64|float64 and float32"):
        layer(mg.tensor(np.ones((1, 3)), dtype=F64))
    with pytest.raises(ShapeError, match="matmul"):
        layer(mg.ones((1, 4)))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 2)
    with pytest.raises(DTypeError, match="floating point"):
        nn.Linear(2, 2, dtype=np.int32)


# --------------------------------------------------------------- Embedding
def test_embedding_forward_picks_rows_for_any_index_shape(rng, device):
    emb = nn.Embedding(7, 3, device=device, rng=rng)
    assert emb.W.shape == (7, 3) and emb.W.device == device
    ids = rng.integers(0, 7, size=(2, 5))
    out = emb(backend.to_device(ids, device))
    assert out.shape == (2, 5, 3)
    np.testing.assert_array_equal(host(out), host(emb.W)[ids])
    assert emb(mg.tensor(ids, device=device)).shape == (2, 5, 3)  # a Tensor of ids works too
    assert emb(np.int64(4)).shape == (3,)


def test_embedding_gradient_accumulates_repeated_ids(rng):
    emb = nn.Embedding(5, 2, dtype=F64, rng=rng)
    ids = np.array([[0, 3, 3], [1, 3, 0]])
    g = rng.standard_normal((2, 3, 2))
    emb(ids).backward(g)
    expected = np.zeros((5, 2))
    np.add.at(expected, ids, g)
    np.testing.assert_allclose(emb.W.grad, expected, rtol=1e-12)
    emb.zero_grad()
    assert mg.gradcheck(lambda W: emb(ids), emb.W)


def test_embedding_init_is_standard_normal(rng):
    w = nn.Embedding(200, 100, rng=rng).W.numpy()
    assert w.mean() == pytest.approx(0.0, abs=0.03)
    assert w.std() == pytest.approx(1.0, rel=0.03)


def test_embedding_rejects_out_of_range_and_float_ids(rng):
    emb = nn.Embedding(4, 2, rng=rng)
    with pytest.raises(ShapeError, match="index 4"):
        emb(np.array([1, 4]))
    with pytest.raises(DTypeError, match="integers"):
        emb(np.array([1.0]))


# ----------------------------------------------------------------- Dropout
def test_dropout_train_zeroes_and_rescales_eval_is_identity():
    drop = nn.Dropout(0.25, rng=np.random.default_rng(0))
    x = mg.ones((400, 50))
    y = drop(x).numpy()
    kept = y != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    drop.eval()
    assert not drop.training
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
    drop.train()
    assert (drop(x).numpy() == 0).any()


def test_dropout_follows_the_owner_models_mode():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.eval()
    assert all(not m.training for m in model.modules())
    x = mg.ones((2, 3))
    np.testing.assert_array_equal(model(x).numpy(), model[0](x).numpy())


def test_dropout_is_reproducible_with_manual_seed():
    x = mg.ones((10, 10))
    mg.manual_seed(7)
    a = nn.Dropout(0.5)(x).numpy()
    mg.manual_seed(7)
    b = nn.Dropout(0.5)(x).numpy()
    mg.manual_seed(8)
    c = nn.Dropout(0.5)(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_gradient_uses_the_same_mask():
    drop = nn.Dropout(0.5, rng=np.random.default_rng(3))
    x = mg.tensor(np.ones((4, 6)), requires_grad=True)
    y = drop(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())  # d(sum(x*m))/dx = m


def test_dropout_gradcheck_with_a_fixed_mask(rng):
    x = mg.tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def fn(x):  # a freshly seeded generator per call: the same mask every time
        return nn.Dropout(0.3, rng=np.random.default_rng(0))(x).tanh()

    assert (fn(x).numpy() == 0).any()
    assert mg.gradcheck(fn, x)


def test_dropout_rejects_bad_p():
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.0)


# --------------------------------------------------------------- LayerNorm
def layer_norm_oracle(x, gain, shift, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gain * (x - mu) / np.sqrt(var + eps) + shift


def test_layernorm_matches_numpy_and_starts_as_pure_normalisation(rng, device):
    ln = nn.LayerNorm(6, device=device, dtype=F64)
    np.testing.assert_array_equal(host(ln.gain), np.ones(6))
    np.testing.assert_array_equal(host(ln.shift), np.zeros(6))
    x = rng.standard_normal((2, 3, 6)) * 4 + 1
    y = host(ln(mg.tensor(x, device=device)))
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1 / (1 + 1e-5 / x.var(axis=-1)), rtol=1e-9)
    gain, shift = rng.standard_normal(6), rng.standard_normal(6)
    ln.gain.data[...] = backend.to_device(gain, device)
    ln.shift.data[...] = backend.to_device(shift, device)
    np.testing.assert_allclose(
        host(ln(mg.tensor(x, device=device))),
        layer_norm_oracle(x, gain, shift, 1e-5),
        rtol=1e-10,
        atol=1e-12,
    )


def test_layernorm_gradcheck_float64(rng):
    ln = nn.LayerNorm(5, eps=1e-3, dtype=F64)
    ln.gain.data[...] = rng.standard_normal(5)
    ln.shift.data[...] = rng.standard_normal(5)
    x = mg.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    assert mg.gradcheck(lambda x, g, s: ln(x), x, ln.gain, ln.shift)


def test_layernorm_rejects_wrong_last_axis():
    ln = nn.LayerNorm((4,))
    assert ln.normalized_shape == 4
    with pytest.raises(ShapeError, match="size 4"):
        ln(mg.ones((2, 5)))
    with pytest.raises(ShapeError, match="last axis only"):
        nn.LayerNorm((2, 4))


# -------------------------------------------------------------- containers
def test_sequential_composes_and_registers_modules_by_position(rng):
    mlp = nn.Sequential(nn.Linear(2, 4, rng=rng), mg.tanh, nn.Linear(4, 1, rng=rng))
    assert len(mlp) == 3
    assert list(mlp.state_dict()) == ["0.W", "0.b", "2.W", "2.b"]
    x = rng.standard_normal((5, 2)).astype(np.float32)
    hidden = np.tanh(x @ mlp[0].W.numpy() + mlp[0].b.numpy())
    expected = hidden @ mlp[2].W.numpy() + mlp[2].b.numpy()
    np.testing.assert_allclose(mlp(mg.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)
    head = mlp[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert "(1): tanh" in repr(mlp)
    with pytest.raises(TypeError, match="step 3"):
        mlp.append(42)


def test_modulelist_registers_and_indexes(rng):
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3, rng=rng) for _ in range(2)])
            self.layers.append(nn.Linear(3, 1, rng=rng))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    model = Stack()
    assert len(model.layers) == 3
    names = [n for n, _ in model.named_parameters()]
    assert names == [f"layers.{i}.{p}" for i in range(3) for p in ("W", "b")]
    replacement = nn.Linear(3, 3, rng=rng)
    model.layers[1] = replacement
    assert model.layers[1] is replacement
    assert model.state_dict()["layers.1.W"] is not None
    np.testing.assert_array_equal(model.state_dict()["layers.1.W"], replacement.W.numpy())
    assert model(mg.ones((2, 3))).shape == (2, 1)
    with pytest.raises(NotImplementedError, match="loop over it"):
        model.layers(mg.ones((1, 3)))
    with pytest.raises(TypeError, match="not a Module"):
        model.layers.append(mg.tanh)
    with pytest.raises(IndexError):
        model.layers[5] = replacement


def test_a_plain_list_of_modules_is_refused_with_a_hint():
    class Wrong(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2), nn.Linear(2, 2)]

    with pytest.raises(TypeError, match="ModuleList"):
        Wrong()


# ----------------------------------------------------------------- seeding
def build_model(**kwargs):
    return nn.Sequential(
        nn.Embedding(6, 4, **kwargs),
        nn.Linear(4, 5, **kwargs),
        mg.tanh,
        nn.LayerNorm(5, dtype=kwargs.get("dtype")),
        nn.Linear(5, 6, **kwargs),
    )


def test_one_seed_reproduces_a_model_exactly():
    mg.manual_seed(11)
    a = build_model().state_dict()
    mg.manual_seed(11)
    b = build_model().state_dict()
    mg.manual_seed(12)
    c = build_model().state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert any(not np.array_equal(a[k], c[k]) for k in a if k.endswith("W"))


def test_an_explicit_rng_ignores_the_global_seed():
    mg.manual_seed(1)
    a = build_model(rng=np.random.default_rng(5)).state_dict()
    mg.manual_seed(2)
    b = build_model(rng=np.random.default_rng(5)).state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_same_seed_float64_model_is_the_float32_model_at_higher_precision():
    mg.manual_seed(3)
    a = build_model().state_dict()
    mg.manual_seed(3)
    b = build_model(dtype=F64).state_dict()
    for k in a:
        assert a[k].dtype == np.float32 and b[k].dtype == np.float64
        np.testing.assert_array_equal(a[k], b[k].astype(np.float32))


@pytest.mark.gpu
def test_cuda_layers_draw_from_the_cuda_generator():
    mg.manual_seed(4)
    a = nn.Linear(3, 2, device="cuda")
    mg.manual_seed(4)
    b = nn.Linear(3, 2, device="cuda")
    assert a.W.device == "cuda"
    np.testing.assert_array_equal(a.W.numpy(), b.W.numpy())
