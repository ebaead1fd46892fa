"""Checkpoints: exact round trips, atomic writes, and a clear refusal of every bad file."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import backend, io
from minigrad.errors import CheckpointError


class TouchOnUnpickle:
    """A pickle payload: unpickling it creates ``marker`` (as a malicious file could run code)."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "ckpt.npz"
    io.save({"model": {"W": np.arange(6, dtype=np.float32).reshape(2, 3)}, "step": 1}, path)
    return path


def listing(directory):
    return sorted(os.listdir(directory))


# --------------------------------------------------------------- round trip
def test_nested_round_trip_is_exact(tmp_path):
    obj = {
        "model": {"layers.0.W": np.ones((2, 3), np.float32), "embed.W": mg.randn((4, 2))},
        "optimizer": {
            "type": "Adam",
            "hyperparameters": {"lr": 1e-3, "betas": [0.9, 0.999], "nesterov": False},
            "state": {"0": {"step": 7, "exp_avg": np.full((2, 3), -0.5)}},
        },
        "vocab": ["a", "b", "ñ"],
        "step": 10,
        "best": None,
        "empty": {},
        "odd/key": {"ünï": np.array([1, 2], np.int16)},
        "scalar": np.float32(2.5),
        "zero_d": np.array(3.0),
        "no_rows": np.zeros((0, 3), np.int64),
        "mask": np.array([True, False]),
    }
    path = tmp_path / "ckpt.npz"
    io.save(obj, path, metadata={"corpus": "tinyshakespeare", "seed": 0})
    back = mg.load(path)
    assert set(back) == set(obj)
    np.testing.assert_array_equal(back["model"]["embed.W"], obj["model"]["embed.W"].numpy())
    assert isinstance(back["model"]["embed.W"], np.ndarray)  # Tensors come back as arrays
    assert back["model"]["layers.0.W"].dtype == np.float32
    assert back["optimizer"]["hyperparameters"] == obj["optimizer"]["hyperparameters"]
    assert back["optimizer"]["state"]["0"]["step"] == 7
    np.testing.assert_array_equal(back["optimizer"]["state"]["0"]["exp_avg"], -0.5)
    assert back["vocab"] == ["a", "b", "ñ"] and back["step"] == 10 and back["best"] is None
    assert back["empty"] == {}
    assert back["odd/key"]["ünï"].dtype == np.int16  # "/" inside a key survives
    assert type(back["scalar"]) is np.float32 and back["scalar"] == 2.5
    assert back["zero_d"].shape == () and back["no_rows"].shape == (0, 3)
    assert back["mask"].dtype == bool
    assert io.load_metadata(path) == {"corpus": "tinyshakespeare", "seed": 0}


def test_the_file_is_a_plain_npz_with_a_json_header(good):
    with np.load(good, allow_pickle=False) as npz:
        assert set(npz.files) == {"model/W", io.HEADER_KEY}
        header = json.loads(npz[io.HEADER_KEY].tobytes())
    assert header["format"] == "minigrad-checkpoint"
    assert header["format_version"] == io.FORMAT_VERSION == 1
    assert header["minigrad_version"] == mg.__version__
    assert header["metadata"] is None


def test_mg_save_and_load_are_the_io_functions():
    assert mg.save is io.save and mg.load is io.load


# ------------------------------------------------------------------ atomic
def test_crash_mid_save_keeps_previous_checkpoint_and_leaves_no_temp_file(
    good, tmp_path, monkeypatch
):
    before = good.read_bytes()
    real_write = io._write_member
    written = []

    def write_then_crash(archive, name, array):
        if written:  # the second array: half the file is already on disk
            raise RuntimeError("simulated crash")
        written.append(name)
        real_write(archive, name, array)

    monkeypatch.setattr(io, "_write_member", write_then_crash)
    new = {"model": {"W": np.zeros((2, 3), np.float32), "b": np.zeros(3)}, "step": 2}
    with pytest.raises(RuntimeError, match="simulated crash"):
        io.save(new, good)
    assert written  # the crash really happened halfway, not before writing anything
    assert listing(tmp_path) == ["ckpt.npz"]
    assert good.read_bytes() == before
    assert mg.load(good)["step"] == 1


def test_crash_on_first_save_leaves_nothing(tmp_path, monkeypatch):
    def crash(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(io, "_write_member", crash)
    with pytest.raises(KeyboardInterrupt):
        io.save({"x": np.ones(3)}, tmp_path / "new.npz")
    assert listing(tmp_path) == []


def test_save_fsyncs_the_file_before_renaming_it(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    io.save({"x": np.ones(3)}, tmp_path / "c.npz")
    assert events[:2] == ["fsync", "replace"]
    assert listing(tmp_path) == ["c.npz"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_file_gets_ordinary_permissions_not_the_temp_files(tmp_path):
    path = tmp_path / "c.npz"
    umask = os.umask(0o022)
    try:
        io.save({"x": np.ones(2)}, path)
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o600)
        io.save({"x": np.ones(2)}, path)  # overwriting keeps the file's own permissions
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


def test_unwritable_directory_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="cannot write checkpoint .*missing"):
        io.save({"x": np.ones(2)}, tmp_path / "missing" / "c.npz")


# ------------------------------------------------------------ bad input on save
@pytest.mark.parametrize(
    "metadata", [{"fn": print}, {"s": {1, 2}}, {"a": np.ones(2)}], ids=["func", "set", "array"]
)
def test_non_json_metadata_is_refused_and_nothing_written(tmp_path, metadata):
    path = tmp_path / "c.npz"
    with pytest.raises(CheckpointError, match=r"metadata .*c\.npz"):
        io.save({"x": np.ones(2)}, path, metadata=metadata)
    assert listing(tmp_path) == []


def test_values_that_would_need_pickle_are_refused(tmp_path):
    path = tmp_path / "c.npz"
    with pytest.raises(CheckpointError, match=r"\['opt', 'fn'\]"):
        io.save({"opt": {"fn": object()}}, path)
    with pytest.raises(CheckpointError, match="object arrays would need pickle"):
        io.save({"x": np.array([None, 1], dtype=object)}, path)
    with pytest.raises(CheckpointError, match="pass a dict"):
        io.save([np.ones(2)], path)
    assert listing(tmp_path) == []


def test_colliding_and_non_string_keys_are_refused(tmp_path):
    path = tmp_path / "c.npz"
    with pytest.raises(CheckpointError, match=r"\['a/b'\] and \['a', 'b'\] collide"):
        io.save({"a/b": np.ones(1), "a": {"b": np.zeros(1)}}, path)
    with pytest.raises(CheckpointError, match="collide"):
        io.save({io.HEADER_KEY: np.ones(1)}, path)
    with pytest.raises(CheckpointError, match="contains a NUL"):
        io.save({"a\x00b": np.ones(1)}, path)
    with pytest.raises(CheckpointError, match="keys must be strings"):
        io.save({"state": {0: np.ones(1)}}, path)
    assert listing(tmp_path) == []


# ------------------------------------------------------------ bad files on load
def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match=r"not found: .*nope\.npz"):
        mg.load(tmp_path / "nope.npz")


@pytest.mark.parametrize("keep", [0, 10, 0.5, -10], ids=["empty", "10B", "half", "tail"])
def test_truncated_file(good, keep):
    data = good.read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    good.write_bytes(data[:size])
    with pytest.raises(CheckpointError, match=str(good)):
        mg.load(good)


@pytest.mark.parametrize("where", ["array", "header"])
def test_corrupted_bytes_are_detected(good, where):
    data = bytearray(good.read_bytes())
    if where == "array":
        needle = np.arange(6, dtype=np.float32).tobytes()[8:16]  # inside W's values
    else:
        needle = b'"minigrad_version"'
    offset = bytes(data).index(needle)
    data[offset + 2] ^= 0xFF
    good.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=f"{good}.*(truncated or corrupted)"):
        mg.load(good)


def test_newer_or_unknown_format_versions_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "future.npz"
    monkeypatch.setattr(io, "FORMAT_VERSION", 99)
    io.save({"x": np.ones(2)}, path)
    monkeypatch.undo()
    with pytest.raises(CheckpointError, match=r"future\.npz uses checkpoint format version 99"):
        mg.load(path)
    header = json.dumps({"format": "minigrad-checkpoint", "format_version": "one"}).encode()
    odd = tmp_path / "odd.npz"
    np.savez(odd, **{io.HEADER_KEY: np.frombuffer(header, np.uint8)})
    with pytest.raises(CheckpointError, match=r"odd\.npz: unknown checkpoint format version"):
        mg.load(odd)
    other = tmp_path / "other.npz"
    header = json.dumps({"format": "something-else", "format_version": 1}).encode()
    np.savez(other, **{io.HEADER_KEY: np.frombuffer(header, np.uint8)})
    with pytest.raises(CheckpointError, match="does not name the minigrad-checkpoint format"):
        mg.load(other)


def test_plain_npz_and_npy_files_are_not_checkpoints(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.ones(2))
    with pytest.raises(CheckpointError, match=r"plain\.npz is an \.npz file without a minigrad"):
        mg.load(tmp_path / "plain.npz")
    np.save(tmp_path / "one.npy", np.ones(2))
    with pytest.raises(CheckpointError, match=r"one\.npy is not a minigrad checkpoint"):
        mg.load(tmp_path / "one.npy")


def test_a_pickle_is_refused_without_running_it(tmp_path):
    armed = tmp_path / "proof_the_payload_works"
    pickle.loads(pickle.dumps(TouchOnUnpickle(armed)))
    assert armed.exists()  # unpickling this payload really runs code

    marker = tmp_path / "should_not_exist"
    path = tmp_path / "evil.npz"
    with open(path, "wb") as f:
        pickle.dump({"model": TouchOnUnpickle(marker)}, f)
    with pytest.raises(CheckpointError, match=r"evil\.npz looks like a pickle"):
        mg.load(path)
    assert not marker.exists()


def test_an_npz_hiding_a_pickle_in_an_object_array_is_refused(good, tmp_path):
    marker = tmp_path / "should_not_exist"
    with np.load(good, allow_pickle=False) as npz:
        header = npz[io.HEADER_KEY]  # a genuine header, so only the object array is wrong
    path = tmp_path / "evil.npz"
    payload = np.empty(1, dtype=object)
    payload[0] = TouchOnUnpickle(marker)
    np.savez(path, **{"model/W": payload, io.HEADER_KEY: header})
    assert zipfile.is_zipfile(path)
    with pytest.raises(CheckpointError, match=r"evil\.npz: member 'model/W\.npy' is an object"):
        mg.load(path)
    with pytest.raises(CheckpointError):
        io.load_metadata(path)
    assert not marker.exists()


@pytest.mark.gpu
def test_cupy_arrays_are_saved_as_host_arrays(tmp_path):
    x = mg.randn((3, 2), device="cuda")
    path = tmp_path / "gpu.npz"
    mg.save({"t": x, "raw": x.data}, path)
    back = mg.load(path)
    assert type(back["t"]) is np.ndarray and type(back["raw"]) is np.ndarray
    np.testing.assert_array_equal(back["raw"], backend.to_numpy(x.data))
