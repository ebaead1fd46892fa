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
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import minigrad as mg
from minigrad.errors import CellError, CheckpointError, StateDictError

from .config import TrainConfig
from .model import CharLM, ModelConfig
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

    def model_config(self) -> ModelConfig:
        """The shape of the stored model."""
        return self.config.model_config(len(self.vocab))

    def build_model(self, device: str | None = None) -> CharLM:
        """A ``CharLM`` with the stored weights, in eval mode.

        Raises ``CheckpointError`` naming the file when the cell is not
        installed here or the weights do not fit the model the config describes.
        """
        try:
            model = CharLM(self.model_config(), device=device or self.config.device)
        except CellError as exc:
            raise CheckpointError(
                f"{self.path}: the model uses cell {self.config.cell!r}, which cannot be built "
                f"here ({exc}); install the plugin that provides it"
            ) from None
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
    """Read a character-model checkpoint; ``CheckpointError`` naming the file otherwise."""
    source = os.fspath(path)
    obj = mg.load(source)
    if obj.get("kind") != KIND:
        raise CheckpointError(
            f"{source} is a minigrad checkpoint but not a character language model "
            f"(kind {obj.get('kind')!r}); pass a file written by lesson 3 / its --checkpoint"
        )
    if int(obj.get("version", 0)) > VERSION:
        raise CheckpointError(f"{source} uses layout version {obj['version']}: upgrade minigrad")
    missing = [k for k in ("model", "vocab", "config", "step") if k not in obj]
    if missing:
        raise CheckpointError(f"{source} lacks {', '.join(missing)}: it is damaged")
    return CharCheckpoint(
        path=source,
        config=TrainConfig.from_dict(obj["config"]),
        vocab=Vocabulary.from_string(obj["vocab"]),
        step=int(obj["step"]),
        elapsed=float(obj.get("elapsed", 0.0)),
        model_state=obj["model"],
        optimizer_state=obj.get("optimizer"),
        carried_state=obj.get("carried_state"),
        rng_state=obj.get("rng"),
        curves=obj.get("curves", {}),
        train_window=list(obj.get("train_window", [])),
        corpus=obj.get("corpus", {}),
    )


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
