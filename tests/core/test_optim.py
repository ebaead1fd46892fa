"""Optimizers: closed-form first steps, NumPy oracles, gradient safety, state and resume."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend, nn, optim
from minigrad.errors import DTypeError, ShapeError, StateDictError


def leaf(values, dtype=np.float64, device="cpu"):
    return nn.Parameter(backend.array_module_for(device).array(values, dtype=dtype))  # a copy


# ------------------------------------------------- first steps in closed form
def test_sgd_first_step_by_hand():
    p = leaf([1.0, -2.0])
    p.grad = np.array([0.5, 4.0])
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.numpy(), [0.95, -2.4], rtol=1e-15)


def test_sgd_weight_decay_by_hand():
    p = leaf([2.0])
    p.grad = np.array([1.0])
    optim.SGD([p], lr=0.5, weight_decay=0.1).step()  # g = 1 + 0.1 * 2 = 1.2
    np.testing.assert_allclose(p.numpy(), [2.0 - 0.5 * 1.2], rtol=1e-15)


def test_momentum_second_step_by_hand():
    p = leaf([0.0])
    opt = optim.SGD([p], lr=1.0, momentum=0.5)
    for _ in range(2):
        p.grad = np.array([1.0])
        opt.step()
    np.testing.assert_allclose(p.numpy(), [-(1.0 + 1.5)], rtol=1e-15)  # b = 1, then 1.5
    q = leaf([0.0])
    nesterov = optim.SGD([q], lr=1.0, momentum=0.5, nesterov=True)
    for _ in range(2):
        q.grad = np.array([1.0])
        nesterov.step()
    np.testing.assert_allclose(q.numpy(), [-(1.5 + 1.75)], rtol=1e-15)  # g + 0.5 b


@pytest.mark.parametrize(
    "make, first_step",
    [
        # Adagrad from 0: s = g^2, step = lr * g / (|g| + eps).
        (lambda ps: optim.Adagrad(ps, lr=0.1, eps=0.0), lambda g: 0.1 * np.sign(g)),
        # TF1-like accumulator 0.1: step = lr * g / sqrt(0.1 + g^2).
        (
            lambda ps: optim.Adagrad(ps, lr=0.1, eps=0.0, initial_accumulator_value=0.1),
            lambda g: 0.1 * g / np.sqrt(0.1 + g * g),
        ),
        # RMSprop from 0: v = (1 - alpha) g^2, step = lr * g / (sqrt(1 - alpha) |g|).
        (lambda ps: optim.RMSprop(ps, lr=0.01, eps=0.0), lambda g: 0.01 * np.sign(g) / 0.1),
        # Adam: both bias-corrected moments equal g and g^2, so step = lr * sign(g).
        (lambda ps: optim.Adam(ps, lr=0.01, eps=0.0), lambda g: 0.01 * np.sign(g)),
    ],
    ids=["adagrad", "adagrad_tf_like", "rmsprop", "adam"],
)
def test_adaptive_first_steps_in_closed_form(make, first_step):
    g = np.array([0.3, -2.0, 5e-3])
    p = leaf([1.0, 1.0, 1.0])
    p.grad = g.copy()
    make([p]).step()
    np.testing.assert_allclose(p.numpy(), 1.0 - first_step(g), rtol=1e-13)


# ------------------------------------------------------------ NumPy oracles
def oracle_sgd(p, grads, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    b = None
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            b = g.copy() if b is None else momentum * b + g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
    return p


def oracle_adagrad(p, grads, lr, eps, initial_accumulator_value):
    s = np.full_like(p, initial_accumulator_value)
    for g in grads:
        s = s + g * g
        p = p - lr * g / (np.sqrt(s) + eps)
    return p


def oracle_rmsprop(p, grads, lr, alpha, eps, momentum):
    v = np.zeros_like(p)
    b = np.zeros_like(p)
    for g in grads:
        v = alpha * v + (1 - alpha) * g * g
        u = g / (np.sqrt(v) + eps)
        if momentum:
            b = momentum * b + u
            u = b
        p = p - lr * u
    return p


def oracle_adam(p, grads, lr, betas, eps, weight_decay):
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat = m / (1 - betas[0] ** t)
        v_hat = v / (1 - betas[1] ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


CASES = [
    (optim.SGD, oracle_sgd, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (optim.SGD, oracle_sgd, {"lr": 0.05, "momentum": 0.7, "weight_decay": 0.2}),
    (optim.Adagrad, oracle_adagrad, {"lr": 0.2, "eps": 1e-3, "initial_accumulator_value": 0.5}),
    (optim.RMSprop, oracle_rmsprop, {"lr": 0.02, "alpha": 0.8, "eps": 1e-4, "momentum": 0.5}),
    (optim.Adam, oracle_adam, {"lr": 0.03, "betas": (0.7, 0.9), "eps": 1e-3, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(
    "cls, oracle, kwargs", CASES, ids=["nesterov", "momentum_wd", "adagrad", "rmsprop", "adam"]
)
def test_optimizer_matches_numpy_oracle(rng, device, cls, oracle, kwargs):
    start = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(4)]
    p = leaf(start, device=device)
    opt = cls([p], **kwargs)
    for g in grads:
        p.grad = backend.to_device(g, device)
        opt.step()
    np.testing.assert_allclose(p.numpy(), oracle(start, grads, **kwargs), rtol=1e-12, atol=1e-14)


# ------------------------------------------------------- gradient safety etc.
ALL = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: optim.SGD(ps, lr=0.1),
    lambda ps: optim.Adagrad(ps, lr=0.1),
    lambda ps: optim.RMSprop(ps, momentum=0.5),
    lambda ps: optim.Adam(ps, weight_decay=0.1),
]
NAMES = ["sgd_momentum", "sgd", "adagrad", "rmsprop", "adam"]


@pytest.mark.parametrize("make", ALL, ids=NAMES)
def test_step_never_writes_into_grad_arrays(rng, make):
    shared = rng.standard_normal((4, 3)).astype(np.float32)
    before = shared.copy()
    a, b = leaf(np.zeros((4, 3)), np.float32), leaf(np.ones((4, 3)), np.float32)
    a.grad = shared
    b.grad = shared  # two parameters whose gradients share memory
    opt = make([a, b])
    for _ in range(3):
        opt.step()
    np.testing.assert_array_equal(shared, before)
    assert a.dtype == np.float32 and b.dtype == np.float32
    assert not np.array_equal(a.numpy(), np.zeros((4, 3)))


@pytest.mark.parametrize("make", ALL, ids=NAMES)
def test_parameters_without_grad_are_skipped(make):
    a, b = leaf([1.0, 2.0]), leaf([3.0])
    a.grad = np.array([0.1, -0.1])
    opt = make([a, b])
    opt.step()
    np.testing.assert_array_equal(b.numpy(), [3.0])
    assert "1" not in opt.state_dict()["state"]
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_updates_parameter_data_in_place():
    p = leaf([1.0, 2.0])
    buffer = p.data
    p.grad = np.array([1.0, 1.0])
    optim.Adam([p]).step()
    assert p.data is buffer


def test_bad_arguments_and_gradients_are_named():
    p = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(0.9, 1.0))
    p.grad = np.zeros(3)
    with pytest.raises(ShapeError, match=r"parameter 0 has shape \(2,\) but its grad has \(3,\)"):
        optim.SGD([p], lr=0.1).step()
    p.grad = np.zeros(2, np.float32)
    with pytest.raises(DTypeError, match="float64 but its grad is float32"):
        optim.SGD([p], lr=0.1).step()


def test_learning_rate_can_be_changed_between_steps():
    p = leaf([0.0])
    opt = optim.SGD([p], lr=1.0)
    p.grad = np.array([1.0])
    opt.step()
    opt.lr = 0.25
    opt.step()
    np.testing.assert_allclose(p.numpy(), [-1.25])


# ---------------------------------------------------------------- clipping
def test_clip_grad_norm_rescales_all_grads_together(rng):
    a, b, c = leaf(np.zeros((2, 3))), leaf(np.zeros(4)), leaf(np.zeros(2))
    ga, gb = rng.standard_normal((2, 3)) * 5, rng.standard_normal(4) * 5
    a.grad, b.grad = ga, gb
    expected = np.sqrt((ga**2).sum() + (gb**2).sum())
    total = optim.clip_grad_norm_([a, b, c], max_norm=1.5)
    assert isinstance(total, float)
    assert total == pytest.approx(expected, rel=1e-14)
    assert c.grad is None
    new_norm = np.sqrt((a.grad**2).sum() + (b.grad**2).sum())
    assert new_norm == pytest.approx(1.5, rel=1e-12)
    np.testing.assert_allclose(a.grad, ga * 1.5 / expected, rtol=1e-14)  # same direction
    assert a.grad is not ga  # a new array: the old one may be shared
    assert np.abs(ga).max() > np.abs(a.grad).max()


def test_clip_grad_norm_leaves_small_gradients_alone():
    p = leaf([0.0, 0.0])
    g = np.array([0.3, 0.4])
    p.grad = g
    assert optim.clip_grad_norm_([p], max_norm=1.0) == pytest.approx(0.5)
    assert p.grad is g


def test_clip_grad_norm_float32_stays_float32_and_reports_nonfinite():
    p = leaf([0.0, 0.0], np.float32)
    p.grad = np.array([30.0, 40.0], np.float32)
    assert optim.clip_grad_norm_(p, 5.0) == pytest.approx(50.0)
    assert p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad, [3.0, 4.0], rtol=1e-6)
    p.grad = np.array([np.inf, 1.0], np.float32)
    assert optim.clip_grad_norm_(p, 5.0) == np.inf
    with pytest.raises(mg.NumericalError, match="NaN or Inf"):
        optim.clip_grad_norm_(p, 5.0, error_if_nonfinite=True)


def test_clip_grad_value_limits_each_element_without_writing_in_place():
    p = leaf([0.0, 0.0, 0.0])
    g = np.array([-3.0, 0.2, 7.0])
    p.grad = g
    optim.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad, [-1.0, 0.2, 1.0])
    np.testing.assert_array_equal(g, [-3.0, 0.2, 7.0])


# ------------------------------------------------------- state and resuming
def make_mlp(seed):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(3, 8, rng=rng), mg.tanh, nn.Linear(8, 2, rng=rng))


def batches():
    rng = np.random.default_rng(99)
    for _ in range(6):
        x = rng.standard_normal((16, 3)).astype(np.float32)
        yield mg.tensor(x), (x.sum(axis=1) > 0).astype(np.int64)


def train(model, opt, data):
    for x, y in data:
        opt.zero_grad()
        mg.cross_entropy(model(x), y).backward()
        optim.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()


RESUMABLE = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: optim.Adagrad(ps, lr=0.1, initial_accumulator_value=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5),
    lambda ps: optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=1e-3),
]


@pytest.mark.parametrize("make", RESUMABLE, ids=["sgd", "adagrad", "rmsprop", "adam"])
def test_resuming_from_a_checkpoint_equals_training_straight_through(tmp_path, make):
    data = list(batches())
    straight = make_mlp(0)
    train(straight, make(straight.parameters()), data)

    first = make_mlp(0)
    opt = make(first.parameters())
    train(first, opt, data[:3])
    path = tmp_path / "ckpt.npz"
    mg.save({"model": first.state_dict(), "optimizer": opt.state_dict(), "step": 3}, path)

    resumed = make_mlp(123)  # a fresh model and optimizer, different initial weights
    resumed_opt = make(resumed.parameters())
    checkpoint = mg.load(path)
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["step"] == 3
    train(resumed, resumed_opt, data[3:])

    without_state = make_mlp(0)
    without_state.load_state_dict(checkpoint["model"])
    train(without_state, make(without_state.parameters()), data[3:])

    for name, p in straight.named_parameters():
        np.testing.assert_array_equal(resumed.state_dict()[name], p.numpy(), err_msg=name)
    assert any(  # the optimizer state matters: dropping it changes the result
        not np.array_equal(without_state.state_dict()[n], p.numpy())
        for n, p in straight.named_parameters()
    )


def test_optimizer_state_dict_contents():
    p = leaf(np.zeros((2, 2)), np.float32)
    opt = optim.Adam([p], lr=0.01, betas=(0.8, 0.9))
    p.grad = np.ones((2, 2), np.float32)
    opt.step()
    opt.step()
    sd = opt.state_dict()
    assert sd["type"] == "Adam"
    assert sd["hyperparameters"] == {
        "lr": 0.01,
        "betas": [0.8, 0.9],
        "eps": 1e-8,
        "weight_decay": 0.0,
    }
    assert sd["state"]["0"]["step"] == 2
    np.testing.assert_allclose(sd["state"]["0"]["exp_avg"], np.full((2, 2), 1 - 0.8**2))
    assert isinstance(sd["state"]["0"]["exp_avg_sq"], np.ndarray)
    sd["state"]["0"]["exp_avg"][:] = 7  # a copy: editing it leaves the optimizer alone
    assert opt.state_dict()["state"]["0"]["exp_avg"][0, 0] != 7
    other = optim.Adam([p])
    other.load_state_dict(sd)
    assert other.betas == (0.8, 0.9) and other.lr == 0.01


def test_optimizer_load_state_dict_errors_are_named():
    p = leaf(np.zeros(3))
    adam = optim.Adam([p])
    p.grad = np.ones(3)
    adam.step()
    sd = adam.state_dict()
    with pytest.raises(StateDictError, match="for 'Adam'"):
        optim.SGD([p], lr=0.1).load_state_dict(sd)
    q = leaf(np.zeros(4))
    with pytest.raises(
        StateDictError, match=r"parameter 0 exp_avg: state \(3,\), parameter \(4,\)"
    ):
        optim.Adam([q]).load_state_dict(sd)
    sd["state"]["5"] = sd["state"]["0"]
    with pytest.raises(StateDictError, match="this optimizer has 1 parameters"):
        optim.Adam([p]).load_state_dict(sd)
    del sd["state"]["5"]
    del sd["hyperparameters"]["eps"]
    with pytest.raises(StateDictError, match="missing hyperparameters: eps"):
        optim.Adam([p]).load_state_dict(sd)


def test_optimizer_buffers_load_by_the_modules_dtype_rule_and_all_or_nothing():
    p, q = leaf(np.zeros(3), np.float32), leaf(np.zeros(2), np.float32)
    adam = optim.Adam([p, q])
    p.grad, q.grad = np.ones(3, np.float32), np.ones(2, np.float32)
    adam.step()
    sd = adam.state_dict()
    widened = {**sd, "state": {k: dict(v) for k, v in sd["state"].items()}}
    widened["state"]["0"]["exp_avg"] = sd["state"]["0"]["exp_avg"].astype(np.float16)
    fresh = optim.Adam([p, q])
    fresh.load_state_dict(widened)  # float16 into float32 is exact: it loads, as float32
    assert fresh.state[0]["exp_avg"].dtype == np.float32
    for bad, why in [
        (np.ones(2, np.float64), "would be rounded to the parameter's float32"),
        (np.ones(2, np.int64), "integers"),
        (np.array(["a", "b"]), "strings"),
        (np.ones(2, np.complex64), "complex"),
    ]:
        broken = {**sd, "state": {k: dict(v) for k, v in sd["state"].items()}}
        broken["state"]["1"]["exp_avg_sq"] = bad
        target = optim.Adam([p, q], lr=0.5)
        with pytest.raises(StateDictError, match=rf"parameter 1 exp_avg_sq: .*{why}"):
            target.load_state_dict(broken)
        assert target.state == [{}, {}] and target.lr == 0.5  # nothing was loaded


@pytest.mark.gpu
def test_optimizer_state_follows_a_model_moved_to_the_gpu():
    p = leaf(np.zeros(3), np.float32)
    opt = optim.Adam([p])
    p.grad = np.ones(3, np.float32)
    opt.step()
    p.data = backend.to_device(p.data, "cuda")
    p.grad = backend.to_device(np.ones(3, np.float32), "cuda")
    opt.step()
    assert backend.device_of(opt.state[0]["exp_avg"]) == "cuda"
    assert isinstance(opt.state_dict()["state"]["0"]["exp_avg"], np.ndarray)
