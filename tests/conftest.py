"""Shared pytest setup: the ``gpu`` marker, a ``device`` fixture and small helpers.

* Tests marked ``@pytest.mark.gpu`` run only where ``minigrad.backend.gpu_available()``
  (CuPy imports *and* a CUDA device runs a kernel). Elsewhere they are skipped, unless
  ``MINIGRAD_REQUIRE_GPU=1``, which turns the skip into a failure so a GPU CI job cannot
  pass by silently skipping everything.
* ``device`` runs a test once on "cpu" and once on "cuda" (the cuda run carries the gpu mark).
* ``float64`` makes float64 tensors, the dtype gradient checks need.
* Every test starts and ends with minigrad's global switches (debug mode, gradient
  recording) as they were, so one failing test cannot leak state into the next.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend
from minigrad.autograd.mode import flags


@functools.cache
def _gpu_usable() -> bool:
    """Probe the GPU once per session (importing CuPy and launching a kernel is slow)."""
    return backend.gpu_available()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, with MINIGRAD_REQUIRE_GPU=1, fail) gpu-marked tests without a usable GPU."""
    if item.get_closest_marker("gpu") is None or _gpu_usable():
        return
    if backend.require_gpu_env():
        pytest.fail(
            "MINIGRAD_REQUIRE_GPU=1 but no usable CUDA device: CuPy is missing or no kernel "
            "ran (check `python -c 'import cupy; cupy.arange(3).sum()'`)",
            pytrace=False,
        )
    pytest.skip("needs a usable CUDA GPU (CuPy and a device that runs a kernel)")


@pytest.fixture(autouse=True)
def _restore_global_switches() -> Iterator[None]:
    """Put debug mode and gradient recording back after each test."""
    debug, grad_enabled = flags.debug, flags.grad_enabled
    yield
    flags.debug, flags.grad_enabled = debug, grad_enabled


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request: pytest.FixtureRequest) -> str:
    """The device to run on: "cpu", then "cuda" (skipped without a GPU)."""
    return request.param


@pytest.fixture
def rng() -> np.random.Generator:
    """A NumPy generator with a fixed seed, so every run sees the same numbers."""
    return np.random.default_rng(1234)


@pytest.fixture
def float64() -> Callable[..., mg.Tensor]:
    """Factory for float64 tensors: ``float64(data, requires_grad=True, device="cpu")``."""

    def make(data: Any, requires_grad: bool = True, device: str = "cpu") -> mg.Tensor:
        return mg.tensor(data, dtype=np.float64, device=device, requires_grad=requires_grad)

    return make


@pytest.fixture
def no_tensorboardx(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import tensorboardX`` fail, as without the ``tensorboard`` extra."""
    import builtins

    real_import = builtins.__import__

    def refuse(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("tensorboardX"):
            raise ImportError("No module named 'tensorboardX'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
