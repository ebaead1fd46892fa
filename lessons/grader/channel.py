"""The wire between the grading process and the student's process: JSON and ``.npy``, never pickle.

The grading process sends requests ("call ``rnn_cell`` with these arrays")
and the student's process answers with values. A message is one frame::

    b"MGW1" | u32 length of the JSON | u32 number of arrays | u64 length of each array
            | the JSON (UTF-8) | each array in NumPy's .npy format

Values travel as a JSON tree in which arrays are referred to by index, and
Python types JSON lacks are tagged objects (``{"$": "tuple", "v": [...]}``).
Everything read from the student's side is untrusted: the frame and every
array have size limits, arrays are read with ``allow_pickle=False`` after
their header was checked against their length, and any irregularity raises
``ProtocolError`` (the check that asked fails; nothing can turn into a pass).
"""

from __future__ import annotations

import io
import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import numpy.lib.format as npy_format

MAGIC = b"MGW1"
#: The largest frame either side accepts (the student's answers are untrusted).
MAX_FRAME = 64 * 2**20
MAX_ARRAYS = 4096
#: Nesting and size limits of a value tree.
MAX_DEPTH = 40
MAX_NODES = 500_000
#: At most this many items are taken from a generator the student's code returns.
MAX_ITEMS = 20_000
#: Array element kinds that travel as arrays (numbers, booleans, strings).
ARRAY_KINDS = "biufcUS"
_HEAD = struct.Struct("<4sII")
_LEN = struct.Struct("<Q")


class ProtocolError(Exception):
    """A frame or value from the other side is malformed (or too big)."""


class ChannelClosed(Exception):
    """The other side closed the channel (the process ended)."""


# ----------------------------------------------------------------- frames
def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise ChannelClosed("the channel closed in the middle of a message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(stream: BinaryIO, header: dict[str, Any], arrays: list[np.ndarray]) -> None:
    """Send ``header`` (JSON-able) and ``arrays`` as one frame."""
    text = json.dumps(header).encode("utf-8")
    blobs = []
    for array in arrays:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        blobs.append(buffer.getvalue())
    total = len(text) + sum(len(b) for b in blobs)
    if total > MAX_FRAME or len(blobs) > MAX_ARRAYS:
        raise ProtocolError(
            f"a message of {total / 2**20:.1f} MB in {len(blobs)} arrays is larger than the "
            f"{MAX_FRAME // 2**20} MB the grader accepts"
        )
    parts = [_HEAD.pack(MAGIC, len(text), len(blobs))]
    parts += [_LEN.pack(len(b)) for b in blobs]
    stream.write(b"".join(parts) + text)
    for blob in blobs:
        stream.write(blob)
    stream.flush()


def read_frame(stream: BinaryIO) -> tuple[Any, list[np.ndarray]]:
    """Read one frame; ``ChannelClosed`` at the end of the stream."""
    head = stream.read(_HEAD.size)
    if not head:
        raise ChannelClosed("the channel is closed")
    if len(head) < _HEAD.size:
        head += _read_exactly(stream, _HEAD.size - len(head))
    magic, text_size, count = _HEAD.unpack(head)
    if magic != MAGIC:
        raise ProtocolError("not a message of the grader's format")
    if count > MAX_ARRAYS or text_size > MAX_FRAME:
        raise ProtocolError(f"a message larger than {MAX_FRAME // 2**20} MB")
    sizes = [_LEN.unpack(_read_exactly(stream, _LEN.size))[0] for _ in range(count)]
    if text_size + sum(sizes) > MAX_FRAME:
        raise ProtocolError(f"a message larger than {MAX_FRAME // 2**20} MB")
    try:
        header = json.loads(_read_exactly(stream, text_size).decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"unreadable message: {type(exc).__name__}") from None
    return header, [load_array(_read_exactly(stream, size)) for size in sizes]


def load_array(blob: bytes) -> np.ndarray:
    """An array from ``.npy`` bytes, its header checked before any allocation."""
    stream = io.BytesIO(blob)
    try:
        version = npy_format.read_magic(stream)
        read_header = {
            (1, 0): npy_format.read_array_header_1_0,
            (2, 0): npy_format.read_array_header_2_0,
        }[version]
        shape, fortran, dtype = read_header(stream)
    except Exception as exc:  # noqa: BLE001 - any malformed header is the same error
        raise ProtocolError(f"an unreadable array ({type(exc).__name__})") from None
    if dtype.hasobject or dtype.kind not in ARRAY_KINDS or dtype.fields is not None:
        raise ProtocolError(f"an array of dtype {dtype} (only numbers and strings travel)")
    count = math.prod(shape)
    if count * dtype.itemsize != len(blob) - stream.tell():
        raise ProtocolError("an array whose header does not match its size")
    data = np.frombuffer(blob, dtype=dtype, count=count, offset=stream.tell())
    order = "F" if fortran else "C"
    return data.reshape(shape, order=order).copy()


# ----------------------------------------------------------------- values
@dataclass(frozen=True)
class TensorValue:
    """A minigrad Tensor the student's code returned, as the grading process sees it."""

    data: np.ndarray
    requires_grad: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the data."""
        return tuple(self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the data."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """The number of elements."""
        return int(self.data.size)

    def numpy(self) -> np.ndarray:
        """The data."""
        return self.data

    def item(self) -> Any:
        """The single value."""
        return self.data.item()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)


@dataclass(frozen=True)
class Opaque:
    """An object that cannot travel (a class instance, a function ...): its type and repr."""

    type: str
    repr: str

    def __str__(self) -> str:
        return f"<{self.type}>"


@dataclass(frozen=True)
class Rng:
    """A request for ``np.random.default_rng(seed)`` in the student's process."""

    seed: int


class Encoder:
    """Python values to a JSON tree plus arrays.

    ``strict`` (the grading process's requests) refuses what cannot travel,
    with a hint for the exercise's author; otherwise (the student's answers)
    such a value travels as an ``Opaque`` description.
    """

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.arrays: list[np.ndarray] = []
        self.nodes = 0
        self.bytes = 0

    def _array(self, array: np.ndarray) -> int:
        self.bytes += array.nbytes
        if self.bytes > MAX_FRAME:
            raise ProtocolError(f"more than {MAX_FRAME // 2**20} MB of arrays")
        self.arrays.append(np.ascontiguousarray(array))
        return len(self.arrays) - 1

    def encode(self, value: Any, depth: int = 0) -> Any:
        """The JSON tree of ``value``."""
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise ProtocolError("a value nested too deeply, or with too many parts")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            return self._scalar(value)
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, np.ndarray):
            if value.dtype.kind in ARRAY_KINDS and value.dtype.fields is None:
                return {"$": "array", "i": self._array(value)}
            return self._opaque(value)
        tensor = _as_tensor(value)
        if tensor is not None:
            return {"$": "tensor", "i": self._array(tensor[0]), "grad": tensor[1]}
        if isinstance(value, Rng):
            return {"$": "rng", "seed": int(value.seed)}
        if isinstance(value, list):
            return [self.encode(v, depth + 1) for v in value]
        if isinstance(value, tuple):
            return {"$": "tuple", "v": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            items = [
                [self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()
            ]
            return {"$": "dict", "v": items}
        if isinstance(value, (set, frozenset)):
            return {"$": "set", "v": [self.encode(v, depth + 1) for v in value]}
        if hasattr(value, "__next__") or isinstance(value, range):
            return self._iterate(value, depth)
        return self._opaque(value)

    def _scalar(self, value: np.generic) -> Any:
        if value.dtype.kind not in ARRAY_KINDS:
            return self._opaque(value)
        item = value.item()
        item = [item.real, item.imag] if isinstance(item, complex) else item
        return {"$": "scalar", "dtype": value.dtype.str, "v": item}

    def _iterate(self, value: Any, depth: int) -> Any:
        items = []
        for item in value:
            if len(items) >= MAX_ITEMS:
                return {"$": "list", "v": items, "more": True}
            items.append(self.encode(item, depth + 1))
        return items

    def _opaque(self, value: Any) -> dict[str, Any]:
        kind = type(value)
        if self.strict:
            raise TypeError(
                f"a {kind.__module__}.{kind.__qualname__} cannot be sent to the student's process: "
                "send numbers, strings, arrays, Tensors, Rng(seed) and lists, tuples and dicts of "
                "them, or build the object in a @probe there"
            )
        try:
            text = repr(value)[:200]
        except Exception:  # noqa: BLE001 - a broken __repr__ still gets described
            text = f"<{kind.__name__}>"
        return {"$": "object", "type": f"{kind.__module__}.{kind.__qualname__}", "repr": text}


def _as_tensor(value: Any) -> tuple[np.ndarray, bool] | None:
    """``(data, requires_grad)`` of a minigrad Tensor (checked by type, never by duck typing)."""
    from minigrad import Tensor
    from minigrad.backend import to_numpy

    if type(value) is Tensor or isinstance(value, Tensor):
        return np.asarray(to_numpy(value.data)), bool(value.requires_grad)
    return None


def encode(value: Any) -> tuple[Any, list[np.ndarray]]:
    """``(tree, arrays)`` for ``value``."""
    encoder = Encoder()
    return encoder.encode(value), encoder.arrays


class Decoder:
    """A JSON tree plus arrays back to Python values; strict, since one side is untrusted.

    ``tensor(array, requires_grad)`` builds what a tagged tensor becomes (a
    real Tensor in the student's process, a ``TensorValue`` in the grading
    process); ``rng(seed)`` likewise, or None to refuse generators.
    """

    def __init__(
        self,
        arrays: list[np.ndarray],
        tensor: Callable[[np.ndarray, bool], Any] = TensorValue,
        rng: Callable[[int], Any] | None = None,
    ) -> None:
        self.arrays = arrays
        self.tensor = tensor
        self.rng = rng
        self.nodes = 0

    def decode(self, tree: Any, depth: int = 0) -> Any:
        """The value of ``tree``."""
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise ProtocolError("a value nested too deeply, or with too many parts")
        if tree is None or isinstance(tree, (bool, int, float, str)):
            return tree
        if isinstance(tree, list):
            return [self.decode(v, depth + 1) for v in tree]
        if not isinstance(tree, dict):
            raise ProtocolError(f"unexpected {type(tree).__name__} in a value")
        tag = tree.get("$")
        if tag in ("array", "tensor"):
            array = self._array_at(tree.get("i"))
            return array if tag == "array" else self.tensor(array, bool(tree.get("grad")))
        if tag == "scalar":
            return self._scalar(tree)
        if tag in ("tuple", "list", "set"):
            items = [self.decode(v, depth + 1) for v in self._list(tree)]
            return tuple(items) if tag == "tuple" else items if tag == "list" else set(items)
        if tag == "dict":
            return dict(self._pair(p, depth) for p in self._list(tree))
        if tag == "object":
            return Opaque(str(tree.get("type"))[:200], str(tree.get("repr"))[:200])
        if tag == "rng" and self.rng is not None:
            seed = tree.get("seed")
            if not isinstance(seed, int):
                raise ProtocolError("a generator seed that is not an integer")
            return self.rng(seed)
        raise ProtocolError(f"unknown value tag {str(tag)[:40]!r}")

    def _array_at(self, index: Any) -> np.ndarray:
        if not isinstance(index, int) or not 0 <= index < len(self.arrays):
            raise ProtocolError("a reference to an array that was not sent")
        return self.arrays[index]

    def _list(self, tree: dict[str, Any]) -> list[Any]:
        items = tree.get("v")
        if not isinstance(items, list):
            raise ProtocolError("a tagged value without its items")
        return items

    def _pair(self, pair: Any, depth: int) -> tuple[Any, Any]:
        if not isinstance(pair, list) or len(pair) != 2:
            raise ProtocolError("a dict entry that is not a (key, value) pair")
        key = self.decode(pair[0], depth + 1)
        try:
            hash(key)
        except TypeError:
            raise ProtocolError("a dict key that cannot be a key") from None
        return key, self.decode(pair[1], depth + 1)

    def _scalar(self, tree: dict[str, Any]) -> Any:
        try:
            dtype = np.dtype(str(tree.get("dtype")))
        except TypeError:
            raise ProtocolError("a scalar of an unknown dtype") from None
        value = tree.get("v")
        if dtype.kind == "c" and isinstance(value, list) and len(value) == 2:
            value = complex(*(float(part) for part in value))
        if (
            dtype.kind not in ARRAY_KINDS
            or dtype.itemsize > 1 << 16
            or not isinstance(value, (bool, int, float, str, complex))
        ):
            raise ProtocolError(f"a scalar of dtype {dtype}")
        try:
            return np.array(value, dtype=dtype)[()]
        except (ValueError, TypeError, OverflowError):
            raise ProtocolError(f"a scalar that is not a {dtype}") from None


def decode(tree: Any, arrays: list[np.ndarray], **kinds: Any) -> Any:
    """The value of ``(tree, arrays)`` (see ``Decoder``); anything malformed is a ProtocolError."""
    try:
        return Decoder(arrays, **kinds).decode(tree)
    except ProtocolError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ProtocolError(f"a malformed value ({type(exc).__name__})") from None
