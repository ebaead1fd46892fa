"""``backend.scatter_add``: repeated indices accumulate, on every route it takes."""

from __future__ import annotations

import numpy as np
import pytest

from minigrad import backend


@pytest.mark.parametrize("shape", [(7,), (3, 4), (32, 50)])
def test_row_scatter_add_matches_numpy_add_at(shape) -> None:
    rng = np.random.default_rng(0)
    indices = rng.integers(-5, 5, shape)  # duplicates and negative indices
    values = rng.normal(size=(*shape, 3))
    expected = rng.normal(size=(5, 3))
    target = expected.copy()
    np.add.at(expected, indices, values)
    backend.scatter_add(target, indices, values)
    np.testing.assert_allclose(target, expected, rtol=1e-12, atol=1e-12)


def test_row_scatter_add_counts_every_duplicate_exactly() -> None:
    target = np.zeros((3, 2))
    backend.scatter_add(target, np.array([[2, 0], [2, 2]]), np.ones((2, 2, 2)))
    assert target.tolist() == [[1.0, 1.0], [0.0, 0.0], [3.0, 3.0]]


def test_other_indices_still_accumulate() -> None:
    target = np.zeros((2, 3))
    index = (np.array([0, 0, 1]), np.array([1, 1, 2]))  # element pairs, not rows
    backend.scatter_add(target, index, np.array([1.0, 2.0, 3.0]))
    assert target.tolist() == [[0.0, 3.0, 0.0], [0.0, 0.0, 3.0]]
