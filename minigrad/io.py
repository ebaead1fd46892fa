"""Safe checkpoints: ``save(obj, path)`` and ``load(path)``.

What goes in: a (possibly nested) dict whose leaves are arrays (NumPy, CuPy,
Tensors, NumPy scalars) or JSON values (numbers, strings, booleans, None and
lists of them), for example::

    minigrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                   "step": 1200}, "ckpt.npz", metadata={"corpus": "tinyshakespeare"})

The format is a plain ``.npz`` file (a zip of ``.npy`` arrays) that NumPy can
open by itself:

* every array is one member named by its path, e.g. ``model/layers.0.W``;
* one extra member, ``__minigrad_header__``, is a uint8 array holding JSON:
  the format name and version, the minigrad version, the user's metadata, the
  non-array values and the exact key paths (so any key, even one containing
  "/", comes back exactly as it was).

Why ``.npz`` and not pickle or safetensors: pickle runs code while loading (a
downloaded checkpoint could do anything), so minigrad never writes or reads
it: ``load`` uses ``numpy.load(..., allow_pickle=False)`` and refuses object
arrays. safetensors is just as safe but is another dependency; ``.npz`` needs
only NumPy, which minigrad requires anyway, and loading it runs no code.

Writes are atomic: the file is written to a temporary name in the same
directory, flushed and fsync'ed, then renamed over the target with
``os.replace`` (atomic on POSIX and Windows) and the directory is fsync'ed
where the platform allows. A crash or exception mid-save leaves the previous
checkpoint untouched and removes the temporary file.

Every problem raises ``CheckpointError`` naming the file and what to do.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from minigrad import backend
from minigrad.errors import CheckpointError
from minigrad.tensor import Tensor
from minigrad.version import __version__

FORMAT_NAME = "minigrad-checkpoint"
FORMAT_VERSION = 1
HEADER_KEY = "__minigrad_header__"

_PICKLE_MAGIC = b"\x80"  # every pickle of protocol 2 or later starts with PROTO 0x80
_ZIP_MAGIC = b"PK\x03\x04"
_NPY_SUFFIX = ".npy"


# ------------------------------------------------------------------- saving
def _is_array(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray, np.generic)) or backend.is_gpu_array(value)


def _host_array(value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.data
    return np.asarray(backend.to_numpy(value))  # keeps 0-d arrays 0-d


def _walk(obj: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf of a nested dict with its key path; empty dicts are leaves too."""
    if not obj:
        yield path, obj
    for key, value in obj.items():
        if not isinstance(key, str):
            raise CheckpointError(
                f"key {key!r} at {'/'.join(path) or '<top>'} is a {type(key).__name__}: "
                "checkpoint keys must be strings (use str(key))"
            )
        if isinstance(value, Mapping):
            yield from _walk(value, (*path, key))
        else:
            yield (*path, key), value


def _check_json(value: Any, where: str, path: Any) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f"cannot save {where} to {path}: {exc}. Only arrays, Tensors and JSON values "
            "(numbers, strings, booleans, None, lists) can be stored; nothing is pickled"
        ) from None


def _plan(obj: Mapping[str, Any], path: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Split ``obj`` into header entries and the arrays to write, by member name."""
    entries: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    owner: dict[str, tuple[str, ...]] = {HEADER_KEY: ("<header>",)}
    for keys, value in _walk(obj, ()):
        name = "/".join(keys)
        if isinstance(value, Mapping):  # an empty dict
            entries.append({"path": list(keys), "kind": "dict"})
        elif _is_array(value):
            if "\x00" in name:  # zip member names end at a NUL byte
                raise CheckpointError(f"cannot save to {path}: key {list(keys)} contains a NUL")
            if name in owner:
                raise CheckpointError(
                    f"cannot save to {path}: keys {list(owner[name])} and {list(keys)} "
                    f"collide as the archive member {name!r}; rename one of them"
                )
            owner[name] = keys
            array = _host_array(value)
            if array.dtype.hasobject:
                raise CheckpointError(
                    f"cannot save {name!r} to {path}: object arrays would need pickle"
                )
            kind = "scalar" if isinstance(value, np.generic) else "array"
            entries.append({"path": list(keys), "kind": kind, "member": name})
            arrays[name] = array
        else:
            _check_json(value, f"the value at {list(keys)}", path)
            entries.append({"path": list(keys), "kind": "json", "value": value})
    return entries, arrays


def _write_member(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    """Write one array as ``name.npy`` inside the archive (what ``np.savez`` does, minus pickle)."""
    with archive.open(name + _NPY_SUFFIX, "w", force_zip64=True) as member:
        np.lib.format.write_array(member, array, allow_pickle=False)


def _write_archive(file: Any, arrays: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            _write_member(archive, name, array)


def _file_mode(target: str) -> int:
    """The permissions an ordinary write would give: the old file's, else 0o666 minus umask.

    ``mkstemp`` creates its file readable by the owner only; without this a
    checkpoint would silently become private after the first save.
    """
    try:
        return os.stat(target).st_mode & 0o777
    except OSError:
        umask = os.umask(0)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable; not possible on every platform, so best effort."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(obj: Mapping[str, Any], path: str | os.PathLike, metadata: Any = None) -> None:
    """Write ``obj`` (a nested dict of arrays, Tensors and JSON values) to ``path`` atomically.

    Keys must be strings. ``metadata`` is any JSON value (usually a dict:
    corpus, hyperparameters, seed...) stored in the header; read it back with
    ``load_metadata``. GPU arrays are copied to the host. The file name is used
    as given; ``.npz`` is the natural suffix. Raises ``CheckpointError`` for
    values that cannot be stored without pickle, keys that collide, or a
    directory that cannot be written.
    """
    target = os.fspath(path)
    if not isinstance(obj, Mapping):
        raise CheckpointError(
            f"cannot save a {type(obj).__name__} to {target}: pass a dict, e.g. "
            '{"model": model.state_dict()}'
        )
    _check_json(metadata, "the metadata", target)
    entries, arrays = _plan(obj, target)
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "minigrad_version": __version__,
        "metadata": metadata,
        "entries": entries,
    }
    arrays[HEADER_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)

    directory = os.path.dirname(os.path.abspath(target))
    try:
        _atomic_write(target, directory, arrays)
    except OSError as exc:
        raise CheckpointError(f"cannot write checkpoint {target}: {exc}") from exc
    _fsync_directory(directory)


def _atomic_write(target: str, directory: str, arrays: dict[str, np.ndarray]) -> None:
    """Write to a temporary file beside ``target``, make it durable, then rename it over."""
    fd, tmp = tempfile.mkstemp(
        prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as file:
            _write_archive(file, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, _file_mode(target))
        os.replace(tmp, target)
    except BaseException:  # a crash, Ctrl-C or full disk: leave no half-written file behind
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# ------------------------------------------------------------------ loading
def _sniff(path: str) -> None:
    """Refuse, by its first bytes, anything that is not a zip archive."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint file not found: {path}") from None
    except IsADirectoryError:
        raise CheckpointError(f"checkpoint path is a directory, not a file: {path}") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from None
    if head == _ZIP_MAGIC:
        return
    if head[:1] == _PICKLE_MAGIC:
        raise CheckpointError(
            f"{path} looks like a pickle file; minigrad never unpickles (loading a pickle can "
            "run arbitrary code). Re-save it with minigrad.save from the program that made it"
        )
    if not head:
        raise CheckpointError(f"{path} is empty: the save that wrote it did not finish")
    raise CheckpointError(f"{path} is not a minigrad checkpoint (not an .npz/zip archive)")


def _check_members(path: str, archive: zipfile.ZipFile) -> None:
    """Refuse object arrays (pickles in disguise) by reading each member's .npy header only."""
    for info in archive.infolist():
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                _, _, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                _, _, dtype = np.lib.format.read_array_header_2_0(member)
        if dtype.hasobject:
            raise CheckpointError(
                f"{path}: member {info.filename!r} is an object array, which only pickle can "
                "read; minigrad never unpickles (it could run arbitrary code)"
            )


def _read_header(path: str, npz: Any) -> dict[str, Any]:
    if HEADER_KEY not in npz.files:
        raise CheckpointError(
            f"{path} is an .npz file without a minigrad header: open it with numpy.load "
            "(it was not written by minigrad.save)"
        )
    raw = npz[HEADER_KEY]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise CheckpointError(f"{path}: the minigrad header is damaged")
    header = json.loads(raw.tobytes().decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path}: the header does not name the {FORMAT_NAME} format")
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{path}: unknown checkpoint format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} uses checkpoint format version {version}, written by minigrad "
            f"{header.get('minigrad_version')}; this minigrad reads versions up to "
            f"{FORMAT_VERSION}: upgrade minigrad"
        )
    return header


def _insert(root: dict[str, Any], keys: list[str], value: Any) -> None:
    node = root
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    if keys:
        node[keys[-1]] = value


def _rebuild(path: str, header: dict[str, Any], npz: Any) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for entry in header["entries"]:
        keys, kind = list(entry["path"]), entry["kind"]
        if kind == "dict":
            value: Any = {}
        elif kind == "json":
            value = entry["value"]
        elif kind in ("array", "scalar"):
            member = entry["member"]
            if member not in npz.files:
                raise CheckpointError(f"{path}: array {member!r} named in the header is missing")
            value = npz[member]
            if kind == "scalar":
                value = value[()]
        else:
            raise CheckpointError(f"{path}: unknown entry kind {kind!r} in the header")
        if keys:
            _insert(root, keys, value)
    return root


def _read(path: str | os.PathLike, arrays: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate the file and return ``(header, obj)``; ``obj`` is empty unless ``arrays``."""
    source = os.fspath(path)
    _sniff(source)
    try:
        with zipfile.ZipFile(source) as archive:
            _check_members(source, archive)
        with np.load(source, allow_pickle=False) as npz:
            header = _read_header(source, npz)
            obj = _rebuild(source, header, npz) if arrays else {}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"{source} is truncated or corrupted ({type(exc).__name__}: {exc}); "
            "use an earlier checkpoint"
        ) from None
    return header, obj


def load(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by ``save`` and return the nested dict.

    Arrays come back as NumPy arrays on the host (``model.load_state_dict``
    moves them to the model's device), NumPy scalars as NumPy scalars, JSON
    values and the nesting as saved (tuples become lists). Never executes code
    from the file. Raises ``CheckpointError`` naming the file when it is
    missing, truncated, corrupted, a pickle, or from an unknown format version.
    """
    return _read(path, arrays=True)[1]


def load_metadata(path: str | os.PathLike) -> Any:
    """The ``metadata`` that ``save`` stored in the checkpoint at ``path`` (None if none)."""
    return _read(path, arrays=False)[0].get("metadata")
