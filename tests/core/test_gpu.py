"""The same ops on a CUDA GPU (CuPy) give the CPU's values and gradients.

Every test here is marked ``gpu``: skipped without a usable GPU, a failure instead when
``MINIGRAD_REQUIRE_GPU=1`` (see ``conftest.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend

pytestmark = pytest.mark.gpu


def _pair(data, dtype=np.float64):
    """The same leaf tensor on the CPU and on the GPU."""
    return (
        mg.tensor(data, dtype=dtype, requires_grad=True),
        mg.tensor(data, dtype=dtype, device="cuda", requires_grad=True),
    )


def test_tensor_lives_on_the_gpu() -> None:
    x = mg.tensor([[1.0, 2.0]], device="cuda")
    assert x.device == "cuda" and backend.is_gpu_array(x.data)
    assert x.dtype == np.float32
    assert x.numpy().tolist() == [[1.0, 2.0]] and isinstance(x.numpy(), np.ndarray)
    assert x.to("cpu").device == "cpu" and x.to("cpu").to("cuda").device == "cuda"


def _model(x, w1, b1, w2, targets):
    """A small MLP with tanh and log-softmax, and every reduction the engine must undo."""
    h = (x @ w1 + b1).tanh()
    logits = h @ w2
    nll = mg.cross_entropy(logits, targets, ignore_index=-1)
    extra = (mg.log_softmax(logits) * 0.1).mean() + mg.sigmoid(h).max(axis=1).sum() * 0.01
    return nll + extra


def test_composite_forward_and_backward_match_the_cpu() -> None:
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(s) for s in [(6, 4), (4, 5), (5,), (5, 3)]]
    targets = np.array([0, 2, -1, 1, 1, 0])
    cpu = [mg.tensor(d, dtype=np.float64, requires_grad=True) for d in data]
    gpu = [mg.tensor(d, dtype=np.float64, device="cuda", requires_grad=True) for d in data]
    loss_cpu = _model(*cpu, targets)
    loss_gpu = _model(*gpu, targets)
    assert loss_gpu.device == "cuda"
    np.testing.assert_allclose(loss_gpu.item(), loss_cpu.item(), rtol=1e-12)
    loss_cpu.backward()
    loss_gpu.backward()
    for c, g in zip(cpu, gpu):
        assert backend.is_gpu_array(g.grad)
        np.testing.assert_allclose(backend.to_numpy(g.grad), c.grad, rtol=1e-10, atol=1e-13)


def test_to_cpu_is_differentiable_and_sends_the_gradient_back_to_the_gpu() -> None:
    x_cpu, x_gpu = _pair([[0.5, -1.0, 2.0]])
    y = (x_gpu * x_gpu).to("cpu")
    assert y.device == "cpu"
    (y * mg.tensor([[1.0, 2.0, 3.0]], dtype=np.float64)).sum().backward()
    assert backend.is_gpu_array(x_gpu.grad)
    np.testing.assert_allclose(backend.to_numpy(x_gpu.grad), [[1.0, -4.0, 12.0]])


def test_embedding_backward_with_duplicates_scatter_adds_on_the_gpu(monkeypatch) -> None:
    calls = []
    original = backend.scatter_add

    def spy(target, indices, values):
        calls.append((backend.device_of(target), backend.device_of(values)))
        original(target, indices, values)

    monkeypatch.setattr(backend, "scatter_add", spy)
    idx = np.array([[1, 3, 1], [1, 0, 3]])
    w_cpu, w_gpu = _pair(np.arange(12.0).reshape(4, 3))
    upstream = np.arange(18.0).reshape(2, 3, 3)
    mg.embedding(w_cpu, idx).backward(upstream)
    out = mg.embedding(w_gpu, idx)
    out.backward(mg.tensor(upstream, dtype=np.float64, device="cuda"))
    assert ("cuda", "cuda") in calls
    np.testing.assert_array_equal(backend.to_numpy(w_gpu.grad), w_cpu.grad)
    # row 1 is looked up at [0, 0], [0, 2] and [1, 0]: all three upstream rows add up
    assert backend.to_numpy(w_gpu.grad)[1].tolist() == [0 + 6 + 9, 1 + 7 + 10, 2 + 8 + 11]


@pytest.mark.parametrize(
    "index",
    [np.array([2, 0, 2, 2]), (slice(None), np.array([1, 1, 0])), np.array([True, False, True])],
    ids=["repeated", "slice-and-array", "mask"],
)
def test_getitem_backward_on_the_gpu(index) -> None:
    x_cpu, x_gpu = _pair(np.arange(12.0).reshape(3, 4))
    x_cpu[index].sum().backward()
    x_gpu[index].sum().backward()
    np.testing.assert_array_equal(backend.to_numpy(x_gpu.grad), x_cpu.grad)


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
        (lambda a: mg.softmax(a, axis=0), [(3, 4)]),
        (lambda a: mg.cross_entropy(a, np.array([0, 3, 1]), "sum"), [(3, 4)]),
        (lambda a, b: mg.where(a.data > 0, a, b), [(2, 3), (3,)]),
        (lambda a: _pieces(mg.split(a, 2, axis=1)), [(2, 4)]),
        (lambda a: mg.dropout(a, 0.3, rng=backend.random_generator(0, "cuda")), [(3, 3)]),
    ],
    ids=["matmul", "softmax", "cross_entropy", "where", "split", "dropout"],
)
def test_gradcheck_on_the_gpu(fn, shapes) -> None:
    rng = np.random.default_rng(3)
    inputs = [
        mg.tensor(rng.standard_normal(s), dtype=np.float64, device="cuda", requires_grad=True)
        for s in shapes
    ]
    assert mg.gradcheck(fn, *inputs)


def _pieces(parts):
    return parts[0] * parts[1]


def test_dropout_is_reproducible_on_the_gpu() -> None:
    x = mg.tensor(np.ones((8, 8)), device="cuda")
    mg.manual_seed(5)
    first = mg.dropout(x, 0.5).numpy()
    mg.manual_seed(5)
    np.testing.assert_array_equal(mg.dropout(x, 0.5).numpy(), first)


def test_debug_mode_names_the_op_on_the_gpu() -> None:
    mg.set_debug(True)
    with pytest.raises(mg.NumericalError, match="'log'"):
        mg.log(mg.tensor([0.0, 1.0], device="cuda"))
