"""Character-model checkpoints: what is stored, how it is read back and checked.

A checkpoint is one ``minigrad.save`` file (a plain ``.npz``, no pickle)
holding everything needed to generate text *and* to resume training exactly:

* ``model``: the weights (``model.state_dict()``);
* ``optimizer``: Adam's moments and step count;
* ``carried_state``: the recurrent state carried into the next batch;
* ``rng``: the state of minigrad's random generator (dropout masks), or None
  on a GPU, whose generator state cannot be exported;
* ``vocab``: the characters in id order; ``config``: the ``TrainConfig``;
* ``step``, ``elapsed`` (training seconds so far), the loss ``curves`` and
  the corpus it was trained on (name and SHA-256).

``load_checkpoint`` trusts nothing in the file (see ``validate.py``): it reads
the headers first, checks every field, builds the model the config describes,
and only then reads the arrays, at most what such a model's checkpoint takes
(``memory_budget``), so a file cannot make it allocate more. NaN or infinite
weights are refused by name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import minigrad as mg
from minigrad.errors import CellError, CheckpointError, MinigradError, StateDictError

from . import validate
from .config import TrainConfig
from .model import CharLM, ModelConfig, state_from_arrays
from .vocab import Vocabulary

#: Value of the ``kind`` entry that marks a character-model checkpoint.
KIND = "minigrad-charlm"
#: Version of the layout described in the module docstring.
VERSION = 1

#: Config fields that must match to resume: they fix the model or the batch layout.
RESUME_FIELDS = (
    "cell",
    "layers",
    "hidden_size",
    "embedding_size",
    "batch_size",
    "num_steps",
    "val_fraction",
)


@dataclass
class CharCheckpoint:
    """A character-model checkpoint read from ``path`` (arrays as NumPy)."""

    path: str
    config: TrainConfig
    vocab: Vocabulary
    step: int
    elapsed: float
    model_state: dict[str, Any]
    optimizer_state: dict[str, Any] | None = None
    carried_state: dict[str, Any] | None = None
    rng_state: Any = None
    curves: dict[str, Any] = field(default_factory=dict)
    train_window: list[float] = field(default_factory=list)
    corpus: dict[str, Any] = field(default_factory=dict)
    #: The model ``load_checkpoint`` built to size the file, reused by ``build_model``.
    _spare_model: CharLM | None = field(default=None, repr=False, compare=False)

    def model_config(self) -> ModelConfig:
        """The shape of the stored model."""
        return self.config.model_config(len(self.vocab))

    def build_model(self, device: str | None = None) -> CharLM:
        """A ``CharLM`` with the stored weights, in eval mode.

        Raises ``CheckpointError`` naming the file when the cell is not
        installed here, the config describes a model that cannot be built, or
        the weights do not fit the model the config describes.
        """
        device = device or self.config.device  # by default, where it was trained
        model = self._spare_model if device == "cpu" else None
        self._spare_model = None  # handed out once: the caller may train it
        if model is None:
            model = build_empty_model(self.path, self.config, len(self.vocab), device)
        try:
            model.load_state_dict(self.model_state)
        except StateDictError as exc:
            raise CheckpointError(
                f"{self.path}: the stored weights do not fit a {self.config.cell} model with "
                f"{self.config.layers} layer(s) of {self.config.hidden_size} units and a "
                f"vocabulary of {len(self.vocab)} ({exc})"
            ) from None
        return model.eval()


def _cannot_write(target: str, exc: OSError) -> CheckpointError:
    reason = exc.strerror or str(exc)
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        reason = "a part of the path is a file, not a folder"
    return CheckpointError(
        f"cannot write the checkpoint {target}: {reason}. Choose another file with "
        "--checkpoint PATH (in a folder you can write to)"
    )


def check_writable(path: str | os.PathLike) -> str:
    """Make sure a checkpoint can be written at ``path`` (before any training), or raise.

    Creates the folder if needed and writes (then removes) a scratch file in
    it, so a folder that cannot be created (it lies under a regular file) or
    written (a read-only parent) is a ``CheckpointError`` now, not after the
    training it was meant to keep.
    """
    target = os.fspath(path)
    if os.path.isdir(target):
        raise CheckpointError(
            f"--checkpoint {target} is a folder; give a file name, e.g. {target}/charlm.npz"
        )
    folder = os.path.dirname(os.path.abspath(target))
    try:
        os.makedirs(folder, exist_ok=True)
        fd, scratch = tempfile.mkstemp(prefix=".write-check-", dir=folder)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    os.close(fd)
    os.unlink(scratch)
    return target


@contextlib.contextmanager
def _random_state_kept() -> Iterator[None]:
    """Leave minigrad's CPU generator as it was (building a model draws its weights from it)."""
    bit = mg.backend.default_rng("cpu").bit_generator
    saved = bit.state
    try:
        yield
    finally:
        bit.state = saved


def build_empty_model(path: str, config: TrainConfig, vocab_size: int, device: Any) -> CharLM:
    """The freshly initialised model ``config`` describes; ``CheckpointError`` if none can be.

    A cell that no installed plugin provides and a config no cell accepts are
    told apart: only the first is a missing plugin.
    """
    device = device or config.device
    try:
        mg.cells.get(config.cell)
    except CellError:
        raise CheckpointError(
            f"{path}: the model uses cell {config.cell!r}, which no installed plugin provides "
            f"(installed: {', '.join(mg.cells.available())}); install the plugin that provides it"
        ) from None
    try:
        with _random_state_kept():
            return CharLM(config.model_config(vocab_size), device=device)
    except MinigradError as exc:
        raise CheckpointError(
            f"{path}: its config describes a {config.cell!r} model that cannot be built "
            f"({exc}); the file is damaged or was edited"
        ) from None


def memory_budget(model: CharLM, config: TrainConfig) -> int:
    """The most memory the arrays of a checkpoint of ``model`` can honestly take, in bytes.

    The weights, up to two optimizer buffers per weight (Adam's moments), the
    carried state (at most 4 parts of ``[batch, hidden]`` per layer, in
    float64) and 4 MiB for the header and curves.
    """
    weights = sum(p.size * p.dtype.itemsize for p in model.parameters())
    carried = 4 * config.layers * config.batch_size * config.hidden_size * 8
    return 3 * weights + carried + (4 << 20)


def save_checkpoint(path: str | os.PathLike, contents: dict[str, Any]) -> str:
    """Write a checkpoint atomically (via ``minigrad.save``) and return its path.

    A path that cannot be written raises ``CheckpointError`` naming it.
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    try:
        os.makedirs(folder, exist_ok=True)
        mg.save({"kind": KIND, "version": VERSION, **contents}, target)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    return target


def load_checkpoint(path: str | os.PathLike) -> CharCheckpoint:
    """Read a character-model checkpoint; ``CheckpointError`` naming the file otherwise.

    Every field is checked (``validate.py``) before the arrays are read, and
    they are read only up to ``memory_budget`` of the model the config
    describes; NaN or infinite arrays are refused.
    """
    source = os.fspath(path)
    peeked = mg.io.peek(source)  # JSON values and array shapes; no array data yet
    if peeked.get("kind") != KIND:
        raise CheckpointError(
            f"{source} is a minigrad checkpoint but not a character language model "
            f"(kind {peeked.get('kind')!r:.60}); pass a file written by lesson 3 / its --checkpoint"
        )
    missing = [k for k in ("model", "vocab", "config", "step") if k not in peeked]
    if missing:
        raise CheckpointError(f"{source} lacks {', '.join(missing)}: it is damaged")
    validate.check_version(source, peeked.get("version"), VERSION)
    vocab = validate.check_vocab(source, peeked["vocab"])
    config = validate.check_config(source, peeked["config"])
    step = validate.check_step(source, peeked["step"])
    model_specs = validate.check_arrays(source, "model", peeked["model"])
    validate.check_stored_shapes(source, model_specs, config, vocab)
    fields = {
        "elapsed": validate.check_elapsed(source, peeked.get("elapsed", 0.0)),
        "curves": validate.check_curves(source, peeked.get("curves", {})),
        "train_window": validate.check_numbers(
            source, "train_window", peeked.get("train_window", [])
        ),
        "optimizer_state": validate.check_optimizer(source, peeked.get("optimizer")),
        "rng_state": validate.check_rng(source, peeked.get("rng")),
    }
    validate.check_arrays(source, "carried_state", peeked.get("carried_state"), optional=True)
    corpus = peeked.get("corpus", {})
    if not isinstance(corpus, dict):
        raise validate.fail(source, "corpus", "must be a dict (name, path, sha256)")

    model = build_empty_model(source, config, len(vocab), "cpu")
    budget = memory_budget(model, config)
    declared = sum(spec.nbytes for spec in _specs(peeked))
    if declared > budget:
        raise CheckpointError(
            f"{source}: its arrays would take {declared:,} bytes in memory, more than a "
            f"checkpoint of its {config.cell} model can hold ({budget:,} bytes: the weights, "
            "the optimizer's moments and the carried state); nothing was read. The file is "
            "damaged or was built to exhaust memory"
        )
    obj = mg.load(source, max_bytes=budget)
    for name in ("model", "carried_state"):
        validate.check_finite(source, name, obj.get(name) or {})
    for key, entry in ((obj.get("optimizer") or {}).get("state") or {}).items():
        arrays = {k: v for k, v in entry.items() if hasattr(v, "dtype")}
        validate.check_finite(source, f"optimizer/state/{key}", arrays)
    if fields["optimizer_state"] is not None:
        fields["optimizer_state"] = obj["optimizer"]
    return CharCheckpoint(
        path=source,
        config=config,
        vocab=vocab,
        step=step,
        model_state=obj["model"],
        carried_state=obj.get("carried_state"),
        corpus=corpus,
        _spare_model=model,
        **fields,
    )


def _specs(tree: Any) -> Iterator[mg.io.ArraySpec]:
    """Every ``ArraySpec`` in a peeked checkpoint, however deep."""
    if isinstance(tree, mg.io.ArraySpec):
        yield tree
    elif isinstance(tree, dict):
        for value in tree.values():
            yield from _specs(value)


def restore_carried_state(ckpt: CharCheckpoint, like: list[Any]) -> list[Any]:
    """The carried state stored in ``ckpt``, checked against ``like`` (``model.zero_state(B)``)."""
    arrays = ckpt.carried_state or {}
    for k, s in enumerate(like):
        for j, part in enumerate(s if isinstance(s, tuple) else (s,)):
            key = f"{k}.{j}"
            if key not in arrays:
                raise validate.fail(ckpt.path, f"carried_state/{key}", "is missing")
            if tuple(arrays[key].shape) != tuple(part.shape):
                raise validate.fail(
                    ckpt.path,
                    f"carried_state/{key}",
                    f"has shape {tuple(arrays[key].shape)} where the model's state has "
                    f"{tuple(part.shape)}",
                )
    return state_from_arrays(arrays, like)


def check_resumable(ckpt: CharCheckpoint, config: TrainConfig, vocab: Vocabulary) -> None:
    """Raise ``CheckpointError`` unless ``ckpt`` can continue a run with ``config`` on ``vocab``.

    The cell, the model's size and the batch layout must be the same, and so
    must the vocabulary (ids mean characters: another vocabulary makes the
    embedding rows and the output classes mean other things).
    """
    diffs = [
        f"{name} {getattr(ckpt.config, name)!r} in the checkpoint, {getattr(config, name)!r} now"
        for name in RESUME_FIELDS
        if getattr(ckpt.config, name) != getattr(config, name)
    ]
    if diffs:
        raise CheckpointError(
            f"cannot resume from {ckpt.path}: it was trained with different settings ("
            + "; ".join(diffs)
            + "). Pass the same settings, or drop --resume to start a new run"
        )
    if ckpt.vocab != vocab:
        raise CheckpointError(
            f"cannot resume from {ckpt.path}: its vocabulary ({len(ckpt.vocab)} characters) "
            f"differs from this corpus's ({len(vocab)}): {ckpt.vocab.difference(vocab)}. "
            "Resume on the corpus it was trained on, or drop --resume"
        )
    if ckpt.optimizer_state is None or ckpt.carried_state is None:
        raise CheckpointError(
            f"cannot resume from {ckpt.path}: it holds weights only (no optimizer state)"
        )
