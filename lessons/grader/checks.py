"""Helpers for graded tests: load the student's file and the reference, compare, explain.

A graded test file (``lessons/exercises/tests/...``) runs in a subprocess that
``minigrad grade`` starts; the environment says which files to load::

    import pytest
    from minigrad.lessons.grader.checks import assert_close, reference, seeds, student

    pytestmark = pytest.mark.exercise("lesson1.rnn_cell")

    @pytest.mark.parametrize("seed", seeds())
    def test_forward(seed):
        '''rnn_cell computes tanh(concat([x, s]) @ W + b)'''
        ...
        assert_close(student("rnn_cell")(x, s, W, b), expected, "rnn_cell(x, s, W, b)")

Every message raised here is written for the student: it names the function,
the shapes and the first wrong value, never the test's own variables.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from minigrad.lessons.grader.messages import format_import_error

#: Environment variables set by the runner for the grading subprocess.
ENV_ID = "MINIGRAD_EXERCISE_ID"
ENV_FILE = "MINIGRAD_EXERCISE_FILE"
ENV_DISPLAY = "MINIGRAD_EXERCISE_DISPLAY"
ENV_REFERENCE = "MINIGRAD_REFERENCE_FILE"
ENV_SEED = "MINIGRAD_GRADER_SEED"

#: The seeds every graded test runs with, before the fresh one of this run.
FIXED_SEEDS = (0, 1)


class StudentImportError(Exception):
    """The student's file could not be loaded (the message points at their line)."""


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"graded tests run through `minigrad grade`, which sets {name}; "
            "run `minigrad grade ID` instead of pytest"
        )
    return value


def exercise_id() -> str:
    """The id of the exercise being graded."""
    return _env(ENV_ID)


def student_display() -> str:
    """The student's file as messages show it (relative to the workspace)."""
    return os.environ.get(ENV_DISPLAY) or _env(ENV_FILE)


def load_file(path: str | Path, module_name: str) -> ModuleType:
    """Execute the Python file ``path`` as a fresh module named ``module_name``.

    The module is put in ``sys.modules`` first (dataclasses and pickling look
    it up there) and removed again if loading fails.
    """
    spec = importlib.util.spec_from_file_location(module_name, str(path))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _module_name(prefix: str) -> str:
    return prefix + "_" + exercise_id().replace(".", "_")


@functools.cache
def _student_module() -> ModuleType | StudentImportError:
    path = Path(_env(ENV_FILE))
    if not path.is_file():
        return StudentImportError(
            f"your file {student_display()} is missing; `minigrad exercises init` puts the stub "
            "back (it never overwrites files you already have)"
        )
    try:
        return load_file(path, _module_name("student"))
    except Exception as exc:
        return StudentImportError(format_import_error(exc, path, student_display()))


@functools.cache
def _reference_module() -> ModuleType:
    return load_file(_env(ENV_REFERENCE), _module_name("reference"))


def _member(module: ModuleType, name: str, whose: str) -> Any:
    try:
        return getattr(module, name)
    except AttributeError:
        raise AssertionError(
            f"{whose} has no `{name}`; keep the names the stub defines (did you rename or delete "
            f"`{name}`?)"
        ) from None


def student(name: str | None = None) -> Any:
    """The student's module, or its member ``name`` (a clear failure if it is missing)."""
    module = _student_module()
    if isinstance(module, StudentImportError):
        raise module
    return module if name is None else _member(module, name, f"your file {student_display()}")


def reference(name: str | None = None) -> Any:
    """The reference solution's module, or its member ``name``."""
    module = _reference_module()
    return module if name is None else _member(module, name, "the reference solution")


def seeds(count: int = 3) -> list[int]:
    """Seeds for one graded test: fixed ones, then this run's fresh seed (``--seed``).

    The fresh seed changes from one ``minigrad grade`` to the next, so an answer
    written for particular inputs does not pass.
    """
    fixed = list(FIXED_SEEDS[: max(count - 1, 0)])
    fresh = int(os.environ.get(ENV_SEED, "12345"))
    return fixed + [fresh]


def as_numpy(value: Any, what: str = "the result") -> np.ndarray:
    """``value`` (a Tensor, an array or a number) as a NumPy array, or a clear failure."""
    import minigrad as mg

    if isinstance(value, mg.Tensor):
        return mg.backend.to_numpy(value.data)
    if value is None:
        raise AssertionError(f"{what} is None: did you forget a `return`?")
    if hasattr(value, "shape") or isinstance(value, (int, float, list, np.number)):
        return np.asarray(mg.backend.to_numpy(np.asarray(value)))
    raise AssertionError(f"{what} should be an array or a Tensor, got {type(value).__name__}")


def check(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition``."""
    if not condition:
        raise AssertionError(message)


def assert_tensor(value: Any, what: str) -> None:
    """``value`` must be a minigrad Tensor (so gradients can flow through it)."""
    import minigrad as mg

    if not isinstance(value, mg.Tensor):
        raise AssertionError(
            f"{what} must return a minigrad Tensor built with minigrad operations (so that "
            f"gradients flow back through it), got {type(value).__name__}"
        )


def _number(value: Any) -> str:
    value = value.item() if hasattr(value, "item") else value
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _first_difference(a: np.ndarray, e: np.ndarray, bad: np.ndarray) -> str:
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if a.ndim else ()
    where = f" at index {index}" if index else ""
    return f"first wrong value{where}: got {_number(a[index])}, expected {_number(e[index])}"


def assert_close(
    actual: Any, expected: Any, what: str, *, rtol: float = 1e-6, atol: float = 1e-8
) -> None:
    """``actual`` equals ``expected`` up to floating-point noise, with the same shape."""
    e = as_numpy(expected, "the expected value")
    a = as_numpy(actual, what)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: expected shape {e.shape}, got shape {a.shape}")
    if a.dtype.kind not in "biuf":
        raise AssertionError(f"{what}: expected numbers, got an array of dtype {a.dtype}")
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    if not np.isfinite(a64).all() and np.isfinite(e64).all():
        raise AssertionError(f"{what} contains NaN or inf values ({_nonfinite(a64)})")
    bad = ~np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        diff = float(np.nanmax(np.abs(a64 - e64)))
        raise AssertionError(
            f"{what} is wrong: {int(bad.sum())} of {bad.size} values differ (largest difference "
            f"{diff:.3g}); {_first_difference(a64, e64, bad)}"
        )


def _nonfinite(a: np.ndarray) -> str:
    return f"{int(np.isnan(a).sum())} NaN, {int(np.isinf(a).sum())} inf"


def assert_equal(actual: Any, expected: Any, what: str) -> None:
    """``actual`` equals ``expected`` exactly (arrays: same shape and values)."""
    if isinstance(expected, (np.ndarray, list)) or hasattr(actual, "shape"):
        e = np.asarray(expected)
        a = as_numpy(actual, what)
        if a.shape != e.shape:
            raise AssertionError(f"{what}: expected shape {e.shape}, got shape {a.shape}")
        bad = a != e
        if bad.any():
            raise AssertionError(
                f"{what} is wrong: {int(bad.sum())} of {bad.size} values differ; "
                f"{_first_difference(a, e, bad)}"
            )
        return
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")
