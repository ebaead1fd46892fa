"""Helpers for graded tests: the student's code (in its own process), the reference, checks.

A graded test file (``lessons/exercises/tests/...``) runs in the grading
process that ``minigrad grade`` starts. The student's file never runs there:
it is loaded in a separate process, and ``student`` reaches it over a channel
that carries values only (see ``minigrad.lessons.grader.worker``)::

    import pytest
    from minigrad.lessons.grader.checks import assert_close, seeds, student

    pytestmark = pytest.mark.exercise("lesson1.rnn_cell")

    @pytest.mark.parametrize("seed", seeds())
    def test_forward(seed):
        '''rnn_cell computes tanh(concat([x, s]) @ W + b)'''
        ...
        out = student("rnn_cell")(mg.tensor(x), mg.tensor(s), mg.tensor(W), mg.tensor(b))
        assert_close(out, expected, "rnn_cell(x, s, W, b)")

``student("name")(...)`` sends the arguments (numbers, strings, arrays,
minigrad Tensors, ``Rng(seed)``, lists, tuples, dicts), calls the function in
the student's process and returns what it returned: arrays as arrays, Tensors
as ``TensorValue`` (data and ``requires_grad``), objects that cannot travel as
``Opaque``. ``student("name").with_grads(...)`` also runs backward and returns
the gradients of the Tensor arguments built with ``requires_grad=True``.
Anything more involved is a *probe*: a function of the test file marked
``@probe`` that runs in the student's process on plain values and returns
plain values. Everything that comes back is checked here, against values
computed here: the student's process can answer anything, so it never decides.

Every message raised here is written for the student: it names the function,
the shapes and the first wrong value, never the test's own variables.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from minigrad.lessons.grader.channel import Opaque, Rng, TensorValue

__all__ = [
    "Opaque",
    "Rng",
    "StudentError",
    "StudentImportError",
    "TensorValue",
    "assert_close",
    "assert_equal",
    "assert_function_class",
    "assert_tensor",
    "check",
    "numerical_gradients",
    "probe",
    "reference",
    "seeds",
    "student",
]

#: Environment variables the runner sets for the grading process (never for the student's).
ENV_ID = "MINIGRAD_EXERCISE_ID"
ENV_FILE = "MINIGRAD_EXERCISE_FILE"
ENV_DISPLAY = "MINIGRAD_EXERCISE_DISPLAY"
ENV_SEED = "MINIGRAD_GRADER_SEED"
ENV_MEMORY = "MINIGRAD_GRADER_MEMORY_MB"
ENV_WORKSPACE = "MINIGRAD_EXERCISE_WORKSPACE"
#: Prefixes of the grader's own variables, removed from the student's process's environment.
GRADER_ENV_PREFIXES = ("MINIGRAD_EXERCISE_", "MINIGRAD_GRADER_", "MINIGRAD_REFERENCE")

#: The seeds every graded test runs with, before the fresh one of this run.
FIXED_SEEDS = (0, 1)
#: The attribute ``@probe`` sets on a probe function (the student's process runs only those).
PROBE_MARK = "_minigrad_probe"


class StudentImportError(Exception):
    """The student's file could not be loaded (the message points at their line)."""


class StudentError(Exception):
    """The student's code raised, ended its process, or answered something unreadable.

    ``kind`` is one of ``minigrad.lessons.grader.messages``' kinds (``todo`` for
    a stub's NotImplementedError, ``crash``, ``memory`` ...), ``type`` the name
    of the exception in the student's process, ``message`` its own message, and
    ``text`` the explanation for the student (with their file and line).
    """

    def __init__(self, kind: str, type_name: str, text: str, message: str = "") -> None:
        super().__init__(text)
        self.kind = kind
        self.type = type_name
        self.text = text
        self.message = message


# In the student's process (``worker``), ``student`` is the module itself.
_WORKER_MODULE: ModuleType | None = None
_WORKER_DISPLAY = "your file"


def enter_worker(module: ModuleType, display: str) -> None:
    """Called in the student's process once its file loaded: ``student`` is now that module."""
    global _WORKER_MODULE, _WORKER_DISPLAY
    _WORKER_MODULE, _WORKER_DISPLAY = module, display


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


def load_file(path: str | Path, module_name: str, source: bytes | None = None) -> ModuleType:
    """Execute the Python file ``path`` (or ``source``, its text) as a fresh module.

    The module is put in ``sys.modules`` first (dataclasses and pickling look
    it up there) and removed again if loading fails.
    """
    spec = importlib.util.spec_from_file_location(module_name, str(path))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        if source is None:
            spec.loader.exec_module(module)
        else:
            exec(compile(source, str(path), "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _member(module: ModuleType, name: str, whose: str) -> Any:
    value: Any = module
    for part in name.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise AssertionError(
                f"{whose} has no `{name}`; keep the names the stub defines (did you rename or "
                f"delete `{part}`?)"
            ) from None
    return value


def student(name: str | None = None) -> Any:
    """The student's function or class ``name`` (``"Tanh.apply"`` reaches an attribute).

    In the grading process: a ``Remote`` that calls it in the student's
    process. Inside a probe (in the student's process): the object itself.
    A missing name fails with a message that names it.
    """
    if _WORKER_MODULE is not None:
        if name is None:
            return _WORKER_MODULE
        return _member(_WORKER_MODULE, name, f"your file {_WORKER_DISPLAY}")
    from minigrad.lessons.grader.remote import Remote

    return Remote(name)


@functools.cache
def _reference_module() -> ModuleType:
    from minigrad.lessons.grader.integrity import read_verified
    from minigrad.lessons.grader.manifest import load_manifest

    path = load_manifest().get(exercise_id()).solution_path
    name = "reference_" + exercise_id().replace(".", "_")
    return load_file(path, name, source=read_verified(path))


def reference(name: str | None = None) -> Any:
    """The reference solution's module, or its member ``name`` (grading process only).

    It is loaded from bytes checked against the recorded checksums, and never
    exists in the student's process.
    """
    if _WORKER_MODULE is not None:
        raise AssertionError("the reference solution is not available in the student's process")
    module = _reference_module()
    return module if name is None else _member(module, name, "the reference solution")


def probe(function: Callable[..., Any]) -> Any:
    """Mark ``function`` as a probe: called in the grading process, it runs in the student's.

    A probe receives and returns plain values (see the module docstring); in
    it, ``student("name")`` is the student's object itself. Define probes at
    the top level of a graded test file (or in ``minigrad.lessons.grader.probes``).
    """
    setattr(function, PROBE_MARK, True)
    if _WORKER_MODULE is not None:
        return function
    from minigrad.lessons.grader.remote import RemoteProbe

    return RemoteProbe(function)


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

    if isinstance(value, (mg.Tensor, TensorValue)):
        return np.asarray(mg.backend.to_numpy(value.data))
    if isinstance(value, Opaque):
        raise AssertionError(f"{what} should be an array or a Tensor, got a {value.type}")
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

    if not isinstance(value, (mg.Tensor, TensorValue)):
        got = value.type if isinstance(value, Opaque) else type(value).__name__
        raise AssertionError(
            f"{what} must return a minigrad Tensor built with minigrad operations (so that "
            f"gradients flow back through it), got {got}"
        )


def assert_function_class(name: str) -> None:
    """The student's ``name`` must be a class that subclasses ``minigrad.Function``."""
    facts = student(name).describe()
    check(facts.get("exists", False), f"your file has no `{name}`; keep the names the stub defines")
    check(
        facts.get("function_class") is True,
        f"{name} should be a class that subclasses minigrad.Function, got a {facts.get('type')}",
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
        bad = np.asarray(a != e)
        if bad.shape != a.shape:
            raise AssertionError(f"{what}: expected values like {e.dtype}, got {a.dtype}")
        if bad.any():
            raise AssertionError(
                f"{what} is wrong: {int(bad.sum())} of {bad.size} values differ; "
                f"{_first_difference(a, e, bad)}"
            )
        return
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def numerical_gradients(
    function: Callable[..., Any], arrays: list[Any], upstream: Any, eps: float = 1e-6
) -> list[np.ndarray]:
    """Central differences of ``sum(function(*arrays) * upstream)`` for each array (float64).

    The independent reference for gradients that the student's code computed
    in its process: ``function`` is plain NumPy, written in the test.
    """
    inputs = [np.array(a, dtype=np.float64) for a in arrays]
    weight = np.asarray(upstream, dtype=np.float64)

    def total() -> float:
        return float(np.sum(np.asarray(function(*inputs), dtype=np.float64) * weight))

    grads = []
    for a in inputs:
        g = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            old = a[index]
            a[index] = old + eps
            plus = total()
            a[index] = old - eps
            minus = total()
            a[index] = old
            g[index] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads
