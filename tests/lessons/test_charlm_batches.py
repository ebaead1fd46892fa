"""Lesson 3's batches: the PTB iterator's layout, checked against its definition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minigrad.errors import DataError
from minigrad.lessons.charlm.batches import (
    check_enough,
    epoch_size,
    ptb_iterator,
    train_val_split,
)
from minigrad.lessons.charlm.vocab import Vocabulary

SHAKESPEARE = Path(__file__).resolve().parents[3] / "shared" / "data" / "tinyshakespeare.txt"


def _reference_batches(data, batch_size, num_steps):
    """REFERENCE.md's PTB iterator written out element by element."""
    batch_len = len(data) // batch_size
    n = (batch_len - 1) // num_steps
    for k in range(n):
        x = [[data[i * batch_len + k * num_steps + t] for t in range(num_steps)]
             for i in range(batch_size)]  # fmt: skip
        y = [[data[i * batch_len + k * num_steps + t + 1] for t in range(num_steps)]
             for i in range(batch_size)]  # fmt: skip
        yield np.array(x), np.array(y)


@pytest.mark.parametrize(("n", "batch", "steps"), [(1000, 4, 7), (97, 3, 5), (64, 1, 10)])
def test_batches_match_the_reference_definition(n: int, batch: int, steps: int) -> None:
    data = np.random.default_rng(n).integers(0, 50, size=n)
    got = list(ptb_iterator(data, batch, steps))
    want = list(_reference_batches(data.tolist(), batch, steps))
    assert len(got) == len(want) == epoch_size(n, batch, steps)
    for (x, y), (rx, ry) in zip(got, want):
        assert x.shape == y.shape == (batch, steps)
        np.testing.assert_array_equal(x, rx)
        np.testing.assert_array_equal(y, ry)


def test_y_is_x_shifted_by_one_and_rows_continue_across_batches() -> None:
    data = np.arange(10_000)  # each id is its own position: the layout is visible
    batches = list(ptb_iterator(data, 8, 25))
    batch_len = 10_000 // 8
    for k, (x, y) in enumerate(batches):
        np.testing.assert_array_equal(y[:, :-1], x[:, 1:])
        assert (x[:, 0] == np.arange(8) * batch_len + k * 25).all()
        if k:
            previous_y = batches[k - 1][1]
            np.testing.assert_array_equal(x[:, 0], previous_y[:, -1])  # row i picks up


def test_174_batches_of_32_by_200_on_a_tinyshakespeare_sized_text() -> None:
    assert epoch_size(1_115_394, 32, 200) == 174
    assert sum(1 for _ in ptb_iterator(np.zeros(1_115_394, dtype=np.int64), 32, 200)) == 174


@pytest.mark.skipif(not SHAKESPEARE.exists(), reason=f"no {SHAKESPEARE}")
def test_tinyshakespeare_first_batch_reads_as_the_text() -> None:
    text = SHAKESPEARE.read_text(encoding="utf-8")
    vocab = Vocabulary.from_text(text)
    batches = ptb_iterator(vocab.encode(text), 32, 200)
    x, y = next(batches)
    assert vocab.decode(x[0]) == text[:200]
    assert vocab.decode(y[0]) == text[1:201]
    batch_len = len(text) // 32
    assert vocab.decode(x[5]) == text[5 * batch_len : 5 * batch_len + 200]
    assert 1 + sum(1 for _ in batches) == 174


def test_start_resumes_in_the_middle_of_an_epoch() -> None:
    data = np.arange(5000)
    full = list(ptb_iterator(data, 4, 10))
    tail = list(ptb_iterator(data, 4, 10, start=30))
    assert len(tail) == len(full) - 30
    np.testing.assert_array_equal(tail[0][0], full[30][0])


def test_train_validation_split_is_contiguous() -> None:
    data = np.arange(1000)
    train, val = train_val_split(data, 0.1)
    assert len(train) == 900 and len(val) == 100
    np.testing.assert_array_equal(np.concatenate([train, val]), data)
    with pytest.raises(DataError, match="between 0 and 1"):
        train_val_split(data, 1.5)


def test_text_shorter_than_one_batch_says_what_it_needs() -> None:
    with pytest.raises(DataError) as info:
        list(ptb_iterator(np.arange(100), 4, 30))
    assert "100 characters" in str(info.value) and "at least 124" in str(info.value)
    check_enough(124, 4, 30, "x")  # exactly enough is enough
    with pytest.raises(DataError, match="positive integer"):
        check_enough(1000, 0, 30, "x")
