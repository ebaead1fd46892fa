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

Writes are atomic (``minigrad.atomic``): the file is written to a temporary
name in the same directory, flushed and fsync'ed, then renamed over the target
with ``os.replace``. A crash or exception mid-save leaves the previous
checkpoint untouched and removes the temporary file; the temporary files of
saves killed outright (SIGKILL, a power cut) are removed by the next save to
the same path. A read-only file is never replaced.

Reading never allocates more than the file can justify: every array's size is
read from its ``.npy`` header before any data is, and a file whose arrays
would take more than ``max_bytes`` (by default the larger of its own size and
``DEFAULT_MAX_BYTES``) is refused, so a small compressed file that would
inflate to gigabytes (a "zip bomb") is an error, not an allocation.
``peek`` reads those headers only.

Every problem raises ``CheckpointError`` naming the file and what to do.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from minigrad import backend
from minigrad.atomic import replace_atomically
from minigrad.errors import CheckpointError
from minigrad.tensor import Tensor
from minigrad.version import __version__

#: The default cap on the memory a loaded file's arrays may take, when the file is smaller.
DEFAULT_MAX_BYTES = 1 << 30
#: The most the JSON header (metadata and every non-array value) may take: it is parsed whole.
MAX_HEADER_BYTES = 64 << 20

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


def save(obj: Mapping[str, Any], path: str | os.PathLike, metadata: Any = None) -> None:
    """Write ``obj`` (a nested dict of arrays, Tensors and JSON values) to ``path`` atomically.

    Keys must be strings. ``metadata`` is any JSON value (usually a dict:
    corpus, hyperparameters, seed...) stored in the header; read it back with
    ``load_metadata``. GPU arrays are copied to the host. The file name is used
    as given; ``.npz`` is the natural suffix. The write is atomic, and removes
    the temporary files that earlier saves to ``path`` left when they were
    killed (see ``minigrad.atomic``). Raises ``CheckpointError`` for values
    that cannot be stored without pickle, keys that collide, a directory that
    cannot be written, or a read-only file at ``path`` (never replaced).
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

    _refuse_read_only(target)
    try:
        replace_atomically(target, lambda file: _write_archive(file, arrays))
    except OSError as exc:
        raise CheckpointError(f"cannot write checkpoint {target}: {exc}") from exc


def _refuse_read_only(target: str) -> None:
    """A read-only checkpoint is one somebody wants kept: never replace it silently."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return  # nothing there yet (or unreachable: the write will say so)
    # os.access alone is not enough: it says yes to root even for a 0o444 file.
    if stat.S_ISREG(mode) and (not mode & 0o222 or not os.access(target, os.W_OK)):
        raise CheckpointError(
            f"{target} is read-only, so minigrad will not replace it: make it writable "
            f"(chmod u+w {target}) or save under another name"
        )


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


class ArraySpec(NamedTuple):
    """An array of a checkpoint as its ``.npy`` header describes it (``peek``): no data read."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]

    @property
    def nbytes(self) -> int:
        """The memory the array takes once loaded."""
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


def _scan_members(path: str, archive: zipfile.ZipFile) -> dict[str, ArraySpec]:
    """Every member's shape and dtype, from its ``.npy`` header only (no data is inflated).

    Refuses object arrays (pickles in disguise) and a member whose header
    declares more data than the member holds (a truncated or forged file).
    """
    specs = {}
    for info in archive.infolist():
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            header_size = member.tell()
        name = info.filename.removesuffix(_NPY_SUFFIX)
        if dtype.hasobject:
            raise CheckpointError(
                f"{path}: member {info.filename!r} is an object array, which only pickle can "
                "read; minigrad never unpickles (it could run arbitrary code)"
            )
        spec = ArraySpec(tuple(shape), dtype)
        if header_size + spec.nbytes > info.file_size:
            raise CheckpointError(
                f"{path}: array {name!r} declares {spec.shape} {dtype} ({_size(spec.nbytes)}) "
                f"but its member holds {_size(max(info.file_size - header_size, 0))}: the file "
                "is truncated or corrupted; use an earlier checkpoint"
            )
        specs[name] = spec
    return specs


def _size(nbytes: int) -> str:
    """``512 bytes``, ``2.0 MiB``, ``2.0 GiB``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"


def _check_size(path: str, specs: Mapping[str, ArraySpec], max_bytes: int | None) -> None:
    """Refuse, before anything is inflated, arrays that would take more than the limit."""
    if max_bytes is not None and (
        not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 0
    ):
        raise CheckpointError(f"max_bytes must be a number of bytes >= 0, got {max_bytes!r}")
    on_disk = os.path.getsize(path)
    limit = max(DEFAULT_MAX_BYTES, on_disk) if max_bytes is None else max_bytes
    total = sum(spec.nbytes for spec in specs.values())
    if total > limit:
        chosen = "" if max_bytes is None else " (max_bytes)"
        raise CheckpointError(
            f"{path} would take {_size(total)} in memory once loaded, more than the limit of "
            f"{_size(limit)}{chosen}, from {_size(on_disk)} on disk; nothing was read. A small "
            "file that inflates this much is a compressed archive built to exhaust memory, or "
            "damaged. If you trust it, pass max_bytes= with the size you expect"
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


def _rebuild(path: str, header: dict[str, Any], members: Mapping[str, Any]) -> dict[str, Any]:
    """The saved nested dict, its arrays taken from ``members`` (the npz, or ``ArraySpec``s)."""
    root: dict[str, Any] = {}
    for entry in header["entries"]:
        keys, kind = list(entry["path"]), entry["kind"]
        if kind == "dict":
            value: Any = {}
        elif kind == "json":
            value = entry["value"]
        elif kind in ("array", "scalar"):
            member = entry["member"]
            if member not in members:
                raise CheckpointError(f"{path}: array {member!r} named in the header is missing")
            value = members[member]
            if kind == "scalar" and not isinstance(value, ArraySpec):
                value = value[()]
        else:
            raise CheckpointError(f"{path}: unknown entry kind {kind!r} in the header")
        if keys:
            _insert(root, keys, value)
    return root


def _read(
    path: str | os.PathLike, arrays: bool, max_bytes: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate the file and return ``(header, obj)``.

    ``obj`` holds the arrays when ``arrays`` is true (after the size check),
    ``ArraySpec``s in their place otherwise.
    """
    source = os.fspath(path)
    _sniff(source)
    try:
        with zipfile.ZipFile(source) as archive:
            specs = _scan_members(source, archive)
        # Only the header is read without arrays; it must fit the limit too.
        wanted = specs if arrays else {k: v for k, v in specs.items() if k == HEADER_KEY}
        _check_size(source, wanted, max_bytes)
        header_size = specs[HEADER_KEY].nbytes if HEADER_KEY in specs else 0
        if header_size > MAX_HEADER_BYTES:
            raise CheckpointError(
                f"{source}: its JSON header would take {_size(header_size)}, more than the "
                f"{_size(MAX_HEADER_BYTES)} any checkpoint needs; nothing was read. The file "
                "is damaged or was built to exhaust memory"
            )
        with np.load(source, allow_pickle=False) as npz:
            header = _read_header(source, npz)
            obj = _rebuild(source, header, npz if arrays else specs)
    except CheckpointError:
        raise
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        TypeError,
        RecursionError,  # a header nested too deep for json
    ) as exc:
        raise CheckpointError(
            f"{source} is truncated or corrupted ({type(exc).__name__}: {exc}); "
            "use an earlier checkpoint"
        ) from None
    return header, obj


def load(path: str | os.PathLike, max_bytes: int | None = None) -> dict[str, Any]:
    """Read a checkpoint written by ``save`` and return the nested dict.

    Arrays come back as NumPy arrays on the host (``model.load_state_dict``
    moves them to the model's device), NumPy scalars as NumPy scalars, JSON
    values and the nesting as saved (tuples become lists). Never executes code
    from the file. Raises ``CheckpointError`` naming the file when it is
    missing, truncated, corrupted, a pickle, or from an unknown format version.

    ``max_bytes`` caps the memory the arrays may take, checked from their
    headers before any data is read; by default it is the larger of the file's
    size and ``DEFAULT_MAX_BYTES`` (1 GiB): ``save`` stores arrays uncompressed,
    so an honest file never needs more than its own size. Pass the size you
    expect (e.g. what the model you load into takes) to be stricter.
    """
    return _read(path, arrays=True, max_bytes=max_bytes)[1]


def peek(path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint's nested dict with each array replaced by its ``ArraySpec``.

    Reads the JSON header and each array's ``.npy`` header, never the array
    data: a quick, memory-safe look at what a file holds (shapes, dtypes,
    ``nbytes``, and every JSON value) before deciding to ``load`` it.
    """
    return _read(path, arrays=False)[1]


def load_metadata(path: str | os.PathLike) -> Any:
    """The ``metadata`` that ``save`` stored in the checkpoint at ``path`` (None if none)."""
    return _read(path, arrays=False)[0].get("metadata")
