"""The grader's wire format, its signed report and its checksums, on their own.

The channel carries values between the grading process and the student's
process: everything must round-trip, and anything malformed or oversized
from the student's side must become a ``ProtocolError`` (never a pickle, never
a huge allocation). The report's lines are signed and numbered. The
checksums file must list exactly the files that decide grades.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.grader import channel, events, integrity
from minigrad.lessons.grader.channel import (
    ChannelClosed,
    Opaque,
    ProtocolError,
    Rng,
    TensorValue,
    decode,
    encode,
)


def roundtrip(value, **kinds):
    stream = io.BytesIO()
    tree, arrays = encode(value)
    channel.write_frame(stream, {"v": tree}, arrays)
    stream.seek(0)
    header, back = channel.read_frame(stream)
    return decode(header["v"], back, **kinds)


def test_values_round_trip() -> None:
    value = {
        "ints": [1, -2, 10**30],
        "float": float("nan"),
        3: (True, None, "é\n"),
        ("a", 1): {"nested": [np.float32(1.5), np.int64(7), np.complex64(1 + 2j)]},
        "arrays": [np.arange(6).reshape(2, 3), np.asfortranarray(np.eye(3)), np.array(["ab", "c"])],
        "set": {1, 2},
    }
    back = roundtrip(value)
    assert back["ints"] == [1, -2, 10**30] and np.isnan(back["float"])
    assert back[3] == (True, None, "é\n")
    nested = back[("a", 1)]["nested"]
    assert [type(v) for v in nested] == [np.float32, np.int64, np.complex64]
    assert nested[2] == 1 + 2j
    for got, want in zip(back["arrays"], value["arrays"]):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    assert back["set"] == {1, 2}


def test_tensors_generators_and_objects() -> None:
    t = mg.tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    back = roundtrip([t, (i * i for i in range(4)), object()])
    tensor, squares, thing = back
    assert isinstance(tensor, TensorValue) and tensor.requires_grad
    assert tensor.dtype == np.float32 and tensor.shape == (2, 2) and np.asarray(tensor).sum() == 4
    assert squares == [0, 1, 4, 9]
    assert isinstance(thing, Opaque) and thing.type == "builtins.object"
    real = roundtrip(
        [t, Rng(5)], tensor=lambda a, g: mg.tensor(a, requires_grad=g), rng=np.random.default_rng
    )
    assert isinstance(real[0], mg.Tensor) and real[0].requires_grad
    assert real[1].integers(0, 100) == np.random.default_rng(5).integers(0, 100)


def test_rng_requests_are_refused_from_the_students_side() -> None:
    tree, arrays = encode(Rng(1))
    with pytest.raises(ProtocolError, match="unknown value tag"):
        decode(tree, arrays)


def test_endless_generators_are_cut() -> None:
    def forever():
        while True:
            yield 1

    tree, _ = encode(forever())
    assert tree["more"] is True and len(tree["v"]) == channel.MAX_ITEMS


def test_requests_refuse_what_cannot_travel() -> None:
    with pytest.raises(TypeError, match="Rng\\(seed\\).*@probe"):
        channel.Encoder(strict=True).encode([np.random.default_rng(0)])


def test_object_arrays_never_travel_as_arrays() -> None:
    tree, arrays = encode(np.array([object()], dtype=object))
    assert arrays == [] and tree["$"] == "object"


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"junk",
        b"\x93NUMPY\x01\x00"
        + struct.pack("<H", 60)
        + b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }".ljust(60),
        b"\x93NUMPY\x01\x00"
        + struct.pack("<H", 60)
        + b"{'descr': '<f8', 'fortran_order': False, 'shape': (10**9,), }".ljust(60),
    ],
    ids=["empty", "junk", "object dtype", "a header that lies about its size"],
)
def test_bad_arrays_are_refused_before_any_allocation(blob: bytes) -> None:
    with pytest.raises(ProtocolError):
        channel.load_array(blob)


def test_frames_that_lie_or_are_too_big() -> None:
    head = struct.Struct("<4sII")
    with pytest.raises(ProtocolError, match="format"):
        channel.read_frame(io.BytesIO(head.pack(b"EVIL", 2, 0) + b"{}"))
    with pytest.raises(ProtocolError, match="larger than"):
        channel.read_frame(io.BytesIO(head.pack(b"MGW1", 10**9, 0)))
    too_big = head.pack(b"MGW1", 2, 1) + struct.pack("<Q", 2**40)
    with pytest.raises(ProtocolError, match="larger than"):
        channel.read_frame(io.BytesIO(too_big))
    with pytest.raises(ChannelClosed):
        channel.read_frame(io.BytesIO(head.pack(b"MGW1", 100, 0) + b"{"))
    with pytest.raises(ProtocolError, match="unreadable"):
        channel.read_frame(io.BytesIO(head.pack(b"MGW1", 3, 0) + b"{x}"))
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ProtocolError):
        channel.read_frame(io.BytesIO(head.pack(b"MGW1", len(deep), 0) + deep.encode()))


def nested(depth: int) -> list:
    tree: list = []
    for _ in range(depth):
        tree = [tree]
    return tree


MALFORMED = {
    "missing array": {"$": "array", "i": 3},
    "unhashable key": {"$": "dict", "v": [[[1, 2], 3]]},
    "object scalar": {"$": "scalar", "dtype": "O", "v": 1},
    "list scalar": {"$": "scalar", "dtype": "<f8", "v": [1, 2, 3]},
    "huge string scalar": {"$": "scalar", "dtype": "<U2000000000", "v": "x"},
    "complex of strings": {"$": "scalar", "dtype": "<c16", "v": ["a", "b"]},
    "no items": {"$": "tuple"},
    "unknown tag": {"$": "nope"},
    "too deep": nested(50),
}


@pytest.mark.parametrize("tree", MALFORMED.values(), ids=list(MALFORMED))
def test_malformed_values_are_refused(tree) -> None:
    with pytest.raises(ProtocolError):
        decode(tree, [])


def test_too_much_to_send_is_refused() -> None:
    with pytest.raises(ProtocolError, match="MB"):
        encode([np.zeros(channel.MAX_FRAME // 8 + 1)])


# ------------------------------------------------------------------ the report
def written(key: bytes, *payloads: dict) -> list[bytes]:
    stream = io.StringIO()
    writer = events.EventWriter(stream, key)
    for payload in payloads:
        writer.write(**payload)
    return [line.encode() for line in stream.getvalue().splitlines(keepends=True)]


def test_signed_events_verify_and_forgeries_do_not() -> None:
    key, other = events.new_key(), events.new_key()
    lines = written(key, {"event": "start"}, {"event": "finish"})
    got, tampered = events.verify(lines, key)
    assert [e["event"] for e in got] == ["start", "finish"] and not tampered
    forged = written(other, {"event": "result", "status": "pass"})
    assert events.verify(lines[:1] + forged + lines[1:], key)[1]  # another key
    assert events.verify([lines[0], lines[0], lines[1]], key)[1]  # replayed
    assert events.verify([lines[1]], key)[1]  # one removed
    edited = lines[0].replace(b'"start"', b'"finis"')
    assert events.verify([edited], key)[1]  # edited
    # A last line cut short by a kill is the end of the report, not a forgery.
    got, tampered = events.verify([lines[0], lines[1][:20]], key)
    assert len(got) == 1 and not tampered


def test_the_key_travels_through_a_pipe() -> None:
    import os

    read, write = os.pipe()
    key = events.new_key()
    os.write(write, key)
    os.close(write)
    assert events.read_key(read) == key


# --------------------------------------------------------------- checksums
def test_the_recorded_checksums_are_current() -> None:
    """After changing a grader file: python -m minigrad.lessons.grader.integrity --write."""
    assert integrity.problems() == [], (
        "the grader's files changed: record their sums with "
        "`python -m minigrad.lessons.grader.integrity --write`"
    )
    listed = set(integrity.parse((integrity.LESSONS / integrity.CHECKSUMS).read_text()))
    assert "exercises/manifest.toml" in listed and "grader/checks.py" in listed
    assert {p for p in listed if p.startswith("exercises/tests/")}
    assert not {p for p in listed if p.startswith("exercises/stubs/")}


def test_verify_names_changed_missing_and_added_files(tmp_path) -> None:
    import shutil

    for folder in ("exercises", "grader"):
        shutil.copytree(integrity.LESSONS / folder, tmp_path / folder)
    integrity.verify(tmp_path)
    (tmp_path / "grader" / "checks.py").write_text("# changed\n")
    (tmp_path / "exercises" / "solutions" / "cells" / "gru.py").unlink()
    (tmp_path / "exercises" / "tests" / "conftest.py").write_text("# added\n")
    with pytest.raises(integrity.BrokenInstallError) as caught:
        integrity.verify(tmp_path)
    text = str(caught.value)
    assert "grader/checks.py was changed" in text
    assert "exercises/solutions/cells/gru.py is missing" in text
    assert "exercises/tests/conftest.py is not part of the grader" in text
    with pytest.raises(integrity.BrokenInstallError):
        integrity.read_verified(tmp_path / "grader" / "checks.py", tmp_path)
    assert integrity.read_verified(tmp_path / "grader" / "runner.py", tmp_path).startswith(b'"""')
    assert integrity.main([]) == 0
