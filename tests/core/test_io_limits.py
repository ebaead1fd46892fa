"""Checkpoint files that try to exhaust memory, saves killed outright, read-only targets.

The "zip bomb" here is real: a 2 MB archive whose member inflates to 2 GiB of
zeros (CRC included), built by repeating one deflate block, so that building
it takes seconds rather than compressing 2 GiB.
"""

from __future__ import annotations

import io as stdio
import json
import os
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import io
from minigrad.atomic import temporary_name_pattern
from minigrad.errors import CheckpointError

BOMB_SHAPE = (1 << 29,)  # float32: 2 GiB
CHUNK = 1 << 24


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = stdio.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], dtype: str) -> bytes:
    buffer = stdio.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def write_zip(path: Path, members: list[tuple[str, int, int, bytes, int]]) -> None:
    """A zip of (name, method, crc, compressed bytes, size) members, written by hand."""
    out, central = bytearray(), bytearray()
    for name, method, crc, data, size in members:
        raw, offset = name.encode(), len(out)
        fields = (method, 0, 0, crc, len(data), size, len(raw), 0)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, *fields) + raw + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, *fields, 0, 0, 0, 0, offset)
        central += raw
    start = len(out)
    out += central
    count = len(members)
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), start, 0)
    path.write_bytes(bytes(out))


def header_member(entries: list[dict]) -> tuple[str, int, int, bytes, int]:
    header = {
        "format": io.FORMAT_NAME,
        "format_version": io.FORMAT_VERSION,
        "minigrad_version": mg.__version__,
        "metadata": None,
        "entries": entries,
    }
    raw = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    data = npy_bytes(raw)
    return (io.HEADER_KEY + ".npy", 0, zlib.crc32(data), data, len(data))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 MB minigrad checkpoint whose one array inflates to 2 GiB."""
    head = npy_header(BOMB_SHAPE, "<f4")
    zeros = bytes(CHUNK)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)  # the same every time
    stream = start + block * (4 * BOMB_SHAPE[0] // CHUNK) + packer.flush()
    crc = zlib.crc32(head)
    for _ in range(4 * BOMB_SHAPE[0] // CHUNK):
        crc = zlib.crc32(zeros, crc)
    path = tmp_path_factory.mktemp("bomb") / "bomb.npz"
    entry = {"path": ["model", "W"], "kind": "array", "member": "model/W"}
    size = len(head) + 4 * BOMB_SHAPE[0]
    write_zip(path, [header_member([entry]), ("model/W.npy", 8, crc, stream, size)])
    return path


def test_the_bomb_is_what_it_claims(bomb: Path) -> None:
    import zipfile

    assert bomb.stat().st_size < 3_000_000
    with zipfile.ZipFile(bomb) as archive:
        info = archive.getinfo("model/W.npy")
        assert info.file_size == len(npy_header(BOMB_SHAPE, "<f4")) + (2 << 30)
        with archive.open(info) as member:  # inflates: read a little of it only
            assert np.lib.format.read_magic(member) == (1, 0)
            assert member.read(CHUNK)[-16:] == bytes(16)


def test_a_2_mb_file_that_inflates_to_2_gib_is_refused_unread(bomb: Path) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError) as info:
            mg.load(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert str(bomb) in message
    assert "2.0 GiB in memory" in message and "limit of 1.0 GiB" in message
    assert "max_bytes=" in message
    assert peak < 64 << 20  # nothing near 2 GiB was ever allocated


def test_peek_shows_the_bombs_size_without_inflating_it(bomb: Path) -> None:
    spec = io.peek(bomb)["model"]["W"]
    assert spec.shape == BOMB_SHAPE and spec.dtype == np.float32
    assert spec.nbytes == 2 << 30


def test_max_bytes_caps_a_load(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    io.save({"W": np.zeros((10, 10), np.float32)}, path)  # 400 bytes of array
    header = io.peek(path)
    assert header["W"] == io.ArraySpec((10, 10), np.dtype(np.float32))
    with pytest.raises(CheckpointError, match=r"more than the limit of 300 bytes \(max_bytes\)"):
        mg.load(path, max_bytes=300)
    assert mg.load(path, max_bytes=10_000)["W"].shape == (10, 10)
    for bad in (-1, "1 MB", True, 2.5):
        with pytest.raises(CheckpointError, match="max_bytes must be"):
            mg.load(path, max_bytes=bad)


def test_an_honest_file_larger_than_the_default_cap_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(io, "DEFAULT_MAX_BYTES", 1000)  # the same rule, at a small scale
    path = tmp_path / "big.npz"
    io.save({"W": np.ones(4000, np.float32)}, path)  # stored: its file is larger than its data
    assert mg.load(path)["W"].sum() == 4000


def test_an_array_declaring_more_data_than_its_member_holds_is_refused(tmp_path: Path) -> None:
    head = npy_header((1 << 28,), "<f8")  # 2 GiB declared...
    data = head + bytes(64)  # ...64 bytes present, stored uncompressed
    entry = {"path": ["W"], "kind": "array", "member": "W"}
    path = tmp_path / "forged.npz"
    write_zip(path, [header_member([entry]), ("W.npy", 0, zlib.crc32(data), data, len(data))])
    with pytest.raises(CheckpointError, match=r"'W' declares \(268435456,\) float64 \(2.0 GiB\)"):
        mg.load(path)


# ------------------------------------------------------ leftovers of killed saves
def leftovers(folder: Path, target: str) -> list[str]:
    pattern = temporary_name_pattern(target)
    return sorted(n for n in os.listdir(folder) if pattern.fullmatch(n))


def test_the_next_save_removes_stale_temporary_files_and_only_those(tmp_path: Path) -> None:
    names = [".c.npz.abcd1234.tmp", ".c.npz.zz_9zz_9.tmp"]
    others = [".c.npzz.abcd1234.tmp", ".other.npz.abcd1234.tmp", ".c.npz.abc.tmp", "c.npz.bak"]
    for name in names + others:
        (tmp_path / name).write_bytes(b"half a checkpoint")
    io.save({"x": np.ones(2)}, tmp_path / "c.npz")
    assert leftovers(tmp_path, "c.npz") == []
    assert sorted(os.listdir(tmp_path)) == sorted(["c.npz", *others])


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_a_temporary_file_another_save_is_writing_is_left_alone(tmp_path: Path) -> None:
    import fcntl

    live = tmp_path / ".c.npz.live0000.tmp"
    live.write_bytes(b"being written")
    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as the writing process holds it
        io.save({"x": np.ones(2)}, tmp_path / "c.npz")
        assert live.exists()
    io.save({"x": np.ones(2)}, tmp_path / "c.npz")  # its writer is gone now
    assert not live.exists()


SAVE_FOREVER = """
import sys, numpy as np, minigrad as mg
big = np.arange(4_000_000, dtype=np.float64)
step = 0
while True:
    step += 1
    mg.save({"step": step, "W": big + step}, sys.argv[1])
"""


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_save_killed_midway_leaves_the_last_checkpoint_and_the_next_save_cleans_up(
    tmp_path: Path, sig: signal.Signals
) -> None:
    path = tmp_path / "c.npz"
    child = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER, str(path)])
    try:
        deadline = time.monotonic() + 120
        while not (path.exists() and leftovers(tmp_path, "c.npz")):
            assert time.monotonic() < deadline, "the child never got to its second save"
            assert child.poll() is None, "the child died on its own"
            time.sleep(0.001)
        child.send_signal(sig)  # mid-write: a temporary file exists right now
    finally:
        child.kill()
        child.wait()
    assert leftovers(tmp_path, "c.npz"), "the kill left no temporary file: nothing was tested"
    last = mg.load(path)  # the last complete save is intact
    np.testing.assert_array_equal(last["W"], np.arange(4_000_000) + last["step"])
    io.save({"step": 0}, path)
    assert leftovers(tmp_path, "c.npz") == []


# ------------------------------------------------------------ read-only targets
@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saving_over_a_read_only_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keep.npz"
    io.save({"step": 1}, path)
    path.chmod(0o444)
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match=r"keep\.npz is read-only.*chmod u\+w"):
        io.save({"step": 2}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["keep.npz"]
    path.chmod(0o644)
    io.save({"step": 2}, path)  # writable again: saved
    assert mg.load(path)["step"] == 2


def test_a_header_too_large_to_parse_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.npz"
    io.save({"notes": "x" * 5000}, path)  # a header of some 5 kB
    monkeypatch.setattr(io, "MAX_HEADER_BYTES", 1000)  # the same rule, at a small scale
    for read in (io.peek, io.load_metadata, mg.load):
        with pytest.raises(CheckpointError, match="its JSON header would take 5.*more than"):
            read(path)
