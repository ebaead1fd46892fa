"""Which array library holds an array: NumPy on the CPU, CuPy on a CUDA GPU.

This is the only module that *chooses* between NumPy and CuPy. Everything else
asks it: ``xp = get_array_module(array)`` returns the module that owns an array,
so the same op code runs on either device. CuPy is imported lazily, the first
time a GPU array is asked for, so ``import minigrad`` never pays for it (and
never fails because of a broken CUDA install).

The few operations whose spelling differs between the two libraries live here
too: scatter-add, moving to host memory, and random generators.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from minigrad.errors import DeviceError

CPU = "cpu"
CUDA = "cuda"
DEVICES = (CPU, CUDA)

_cupy: Any = None
_cupy_error: str | None = None


def _load_cupy() -> Any:
    """Import CuPy once, remembering why it failed if it did."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy

            _cupy = cupy
        except Exception as exc:  # ImportError, or a CUDA library that fails to load
            _cupy_error = f"{type(exc).__name__}: {exc}"
    return _cupy


def cupy_module() -> Any:
    """Return the ``cupy`` module, or raise a DeviceError that says how to get it."""
    cp = _load_cupy()
    if cp is None:
        raise DeviceError(
            "device 'cuda' needs CuPy, which could not be imported "
            f"({_cupy_error}). Install it with `pip install 'minigrad[cuda12]'` "
            "(or `[cuda13]`, matching your CUDA driver), or use device='cpu'."
        )
    return cp


def gpu_available() -> bool:
    """True only if CuPy imports *and* a CUDA device actually runs a kernel."""
    cp = _load_cupy()
    if cp is None:
        return False
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            return False
        return float((cp.arange(3, dtype=cp.float32) * 2).sum().get()) == 6.0
    except Exception:
        return False


def is_gpu_array(array: Any) -> bool:
    """True if ``array`` is a CuPy array (checked without importing CuPy)."""
    return type(array).__module__.startswith("cupy")


def get_array_module(array: Any) -> Any:
    """Return ``numpy`` or ``cupy``, whichever owns ``array``."""
    if type(array) is np.ndarray or not is_gpu_array(array):
        return np
    return cupy_module()


def device_of(array: Any) -> str:
    """Return ``"cpu"`` or ``"cuda"`` for an array."""
    return CUDA if is_gpu_array(array) else CPU


def check_device(device: str) -> str:
    """Validate a device name, accepting ``"cuda:0"`` style spellings."""
    name = str(device).split(":")[0].lower()
    if name not in DEVICES:
        raise DeviceError(f"unknown device {device!r}: use 'cpu' or 'cuda'")
    return name


def array_module_for(device: str) -> Any:
    """Return the array module that allocates on ``device``."""
    return cupy_module() if check_device(device) == CUDA else np


def to_device(array: Any, device: str) -> Any:
    """Move an array to ``device``, returning it unchanged if it is already there."""
    target = check_device(device)
    if device_of(array) == target:
        return array
    if target == CUDA:
        return cupy_module().asarray(array)
    return to_numpy(array)


def to_numpy(array: Any) -> np.ndarray:
    """Return a NumPy copy of a CuPy array, or the NumPy array itself."""
    if is_gpu_array(array):
        return array.get()
    return np.asarray(array)


def scatter_add(target: Any, indices: Any, values: Any) -> None:
    """``target[indices] += values`` where repeated indices accumulate.

    Plain ``target[idx] += v`` keeps only one of the duplicates; ``add.at`` is
    the unbuffered version that both libraries provide under the same name.
    On the CPU, rows picked by an integer array (an embedding's backward) take
    a faster route with the same result: see ``_scatter_add_rows``.
    """
    xp = get_array_module(target)
    if xp is np and _picks_rows(target, indices, values):
        _scatter_add_rows(target, indices, values)
    else:
        xp.add.at(target, indices, values)


def _picks_rows(target: Any, indices: Any, values: Any) -> bool:
    return (
        type(indices) is np.ndarray
        and indices.dtype.kind in "iu"
        and target.ndim == 2
        and values.shape == indices.shape + target.shape[1:]
    )


def _scatter_add_rows(target: np.ndarray, indices: np.ndarray, values: np.ndarray) -> None:
    """Row scatter-add by sorting: ``np.add.at`` does one slow step per index.

    A stable sort groups the uses of each row (keeping their order, so each
    row's sum is added up in the same order as ``add.at`` would),
    ``add.reduceat`` sums each group in one pass, and each distinct row is
    then updated once. Measured on lesson 3's batch (6,400 indices into
    65 x 256): 10 ms with ``add.at``, under 2 ms this way.
    """
    rows = indices.reshape(-1) % target.shape[0]  # negative indices count from the end
    vals = values.reshape(rows.size, target.shape[1])
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    target[sorted_rows[starts]] += np.add.reduceat(vals[order], starts, axis=0)


def random_generator(seed: int | None, device: str = CPU) -> Any:
    """A seeded random generator on ``device`` (NumPy's or CuPy's ``default_rng``)."""
    xp = array_module_for(device)
    return xp.random.default_rng(seed)


def require_gpu_env() -> bool:
    """True if ``MINIGRAD_REQUIRE_GPU=1``: missing GPUs then fail tests instead of skipping."""
    return os.environ.get("MINIGRAD_REQUIRE_GPU", "") == "1"


class _RandomState:
    """The generators behind ``minigrad.manual_seed``: one per device, made on first use."""

    seed: int | None = None
    generators: dict[str, Any] = {}


_random = _RandomState()


def manual_seed(seed: int | None) -> None:
    """Seed minigrad's random numbers (initialisers, dropout) on every device."""
    _random.seed = seed
    _random.generators = {}


def default_rng(device: str = CPU) -> Any:
    """The shared generator that minigrad's random ops draw from on ``device``."""
    name = check_device(device)
    gen = _random.generators.get(name)
    if gen is None:
        gen = random_generator(_random.seed, name)
        _random.generators[name] = gen
    return gen


def keep_freed_memory(limit_bytes: int = 1 << 30) -> bool:
    """Ask glibc's ``malloc`` to keep freed memory for reuse (Linux only).

    A training step builds a graph of intermediate arrays and frees it all at
    the end. By default glibc hands freed memory at the top of its heap back to
    the operating system, so the next step page-faults all of it in again:
    measured here, a 32-op chain on 32x128 arrays took 2.2x longer for that
    reason alone. This raises the trim and mmap thresholds so that up to
    ``limit_bytes`` of freed memory stays with the process. It changes the
    allocator of the whole process, so the library never calls it on import;
    the ``minigrad`` command and the benchmarks do. Returns False where it does
    not apply (not Linux/glibc).
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        mmap_max = 32 * 1024 * 1024  # glibc's ceiling for M_MMAP_THRESHOLD on 64-bit
        ok = libc.mallopt(m_trim_threshold, min(limit_bytes, 2**31 - 1))
        ok &= libc.mallopt(m_mmap_threshold, min(limit_bytes, mmap_max))
        return bool(ok)
    except (OSError, AttributeError):
        return False
