"""Checks that a cell can be rebuilt: determinism from a seed, saving and loading."""

from __future__ import annotations

import os
import tempfile

import numpy as np

from minigrad.cells.conformance.subject import CellSubject
from minigrad.cells.conformance.support import (
    count,
    expect,
    expect_close,
    expected_dtype,
    random_tensor,
    run_module,
    state_leaves,
)
from minigrad.io import load, save


def check_determinism(subject: CellSubject) -> str:
    """Same seed, same parameters and outputs; a call has no hidden side effects."""
    first, second = subject.build(seed=11), subject.build(seed=11)
    a, b = first.state_dict(), second.state_dict()
    expect(list(a) == list(b), f"parameter names differ between builds: {list(a)} vs {list(b)}")
    for key in a:
        expect_close(b[key], a[key], f"parameter {key} from the same seed", exact=True)
    x = random_tensor((2, 4, subject.input_size), expected_dtype(subject), seed=12)
    out1, state1 = run_module(first, x)
    out2, state2 = run_module(second, x)
    out3, state3 = run_module(first, x)
    expect_close(out2, out1, "outputs of two cells from the same seed", exact=True)
    expect_close(out3, out1, "outputs of the same cell called twice", exact=True)
    for k, (s1, s3) in enumerate(zip(state_leaves(state1), state_leaves(state3))):
        expect_close(s3, s1, f"final state part {k} of the same cell called twice", exact=True)
    message = "same seed, same parameters and outputs"
    if subject.accepts("rng") and a:
        other = subject.build(seed=12).state_dict()
        expect(
            any(not np.array_equal(other[k], a[k]) for k in a),
            "a different seed gives identical parameters: is the rng option ignored?",
        )
        message += "; another seed, other parameters"
    return message


def check_save_load(subject: CellSubject) -> str:
    """``state_dict`` into a fresh instance, and ``minigrad.save``/``load``, reproduce outputs."""
    module = subject.build(seed=21)
    x = random_tensor((2, 4, subject.input_size), expected_dtype(subject), seed=22)
    expected, expected_state = run_module(module, x)

    fresh = subject.build(seed=23)
    fresh.load_state_dict(module.state_dict())
    got, got_state = run_module(fresh, x)
    expect_close(got, expected, "outputs after load_state_dict into a fresh instance", exact=True)
    for k, (g, e) in enumerate(zip(state_leaves(got_state), state_leaves(expected_state))):
        expect_close(g, e, f"final state part {k} after load_state_dict", exact=True)

    with tempfile.TemporaryDirectory(prefix="minigrad-check-") as tmp:
        path = os.path.join(tmp, "cell.npz")
        save({"cell": module.state_dict()}, path)
        restored = subject.build(seed=24)
        restored.load_state_dict(load(path)["cell"])
    got, _ = run_module(restored, x)
    expect_close(got, expected, "outputs after minigrad.save / minigrad.load", exact=True)
    arrays = count(len(module.state_dict()), "array")
    return f"{arrays}; outputs identical after both round trips"
