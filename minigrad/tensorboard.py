"""Training curves, histograms, text and the graph, written where TensorBoard reads them.

``SummaryWriter`` is a thin layer over ``tensorboardX`` (the ``tensorboard``
extra: ``pip install 'minigrad[tensorboard]'``), which writes TensorBoard's
event files; minigrad only turns its own objects (tensors, modules, optimizers,
graphs) into what that writer takes::

    from minigrad.tensorboard import SummaryWriter

    with SummaryWriter.for_run("runs", "mlp", "tanh", seed=0) as writer:   # runs/mlp-tanh-seed0
        for step in range(steps):
            loss = ...; loss.backward()
            writer.add_scalar("loss/train", loss.item(), step)
            writer.add_parameters(model, step)      # histograms + gradient norm per layer
            optimizer.step()

Then ``tensorboard --logdir runs`` and open http://localhost:6006. Each run
lives in its own folder under the log directory, so runs sit side by side in
TensorBoard's run list; ``run_name`` builds those folder names.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from minigrad import backend
from minigrad.errors import MinigradError
from minigrad.nn import Module
from minigrad.tensor import Tensor
from minigrad.viz.graph import Graph, capture
from minigrad.viz.graphdef import TensorBoardUnavailableError, require_tensorboardx, to_graphdef

__all__ = [
    "SummaryWriter",
    "TensorBoardUnavailableError",
    "layer_of",
    "require_tensorboardx",
    "run_dir",
    "run_name",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def run_name(*parts: Any, seed: int | None = None) -> str:
    """A run's folder name: ``run_name("lesson3", "lstm", seed=0)`` is ``lesson3-lstm-seed0``.

    Characters other than letters, digits, ``.``, ``_`` and ``-`` become ``-``.
    """
    words = [str(p) for p in parts if p is not None and str(p) != ""]
    if seed is not None:
        words.append(f"seed{seed}")
    if not words:
        raise MinigradError("run_name: give at least one part, e.g. run_name('lesson3', seed=0)")
    return "-".join(_UNSAFE.sub("-", w).strip("-") or "run" for w in words)


def run_dir(logdir: str | Path, *parts: Any, seed: int | None = None, fresh: bool = True) -> Path:
    """``logdir / run_name(...)``; with ``fresh``, a new folder if that one has events already.

    Running the same lesson twice then gives ``lesson3-lstm-seed0`` and
    ``lesson3-lstm-seed0-2`` rather than two runs mixed in one folder (which
    TensorBoard would draw as one zig-zagging curve). ``fresh=False`` gives the
    latest of those folders, to append to: what resuming a run wants.
    """
    base = Path(logdir) / run_name(*parts, seed=seed)
    latest, candidate, k = base, base, 1
    while any(candidate.glob("events.out.tfevents.*")):
        latest = candidate
        k += 1
        candidate = base.with_name(f"{base.name}-{k}")
    return candidate if fresh else latest


def layer_of(parameter_name: str) -> str:
    """The layer a parameter belongs to: ``"rnn.layers.0.W"`` -> ``"rnn.layers.0"``."""
    layer, _, _ = parameter_name.rpartition(".")
    return layer or parameter_name


def _numpy(values: Any) -> np.ndarray:
    data = values.data if isinstance(values, Tensor) else values
    return np.asarray(backend.to_numpy(data))


class SummaryWriter:
    """Write scalars, histograms, text and graphs for TensorBoard into ``logdir``.

    ``logdir`` is one run's folder (see ``for_run``). Use it as a context
    manager, or call ``close()``: events are written in the background and
    flushed every ``flush_secs`` seconds and on ``flush()``/``close()``.
    """

    def __init__(self, logdir: str | Path, *, flush_secs: int = 10) -> None:
        tensorboardx = require_tensorboardx()
        self.logdir = Path(logdir)
        try:
            self.logdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MinigradError(
                f"cannot create the TensorBoard log folder {logdir}: {exc}"
            ) from exc
        self._writer = tensorboardx.SummaryWriter(str(self.logdir), flush_secs=flush_secs)

    @classmethod
    def for_run(
        cls, logdir: str | Path, *parts: Any, seed: int | None = None, fresh: bool = True
    ) -> SummaryWriter:
        """A writer for one run in its own subfolder of ``logdir`` (see ``run_dir``)."""
        return cls(run_dir(logdir, *parts, seed=seed, fresh=fresh))

    # ---------------------------------------------------------------- values
    def add_scalar(self, tag: str, value: float, step: int) -> None:
        """One point of the curve ``tag`` (e.g. ``"loss/train"``) at ``step``."""
        self._writer.add_scalar(tag, float(value), int(step))

    def add_histogram(self, tag: str, values: Any, step: int) -> None:
        """The distribution of ``values`` (a Tensor or array) at ``step``."""
        array = _numpy(values).astype(np.float64).ravel()
        if array.size == 0:
            raise MinigradError(f"add_histogram({tag!r}): no values to draw")
        self._writer.add_histogram(tag, array, int(step))

    def add_text(self, tag: str, text: str, step: int, *, verbatim: bool = False) -> None:
        """Text (Markdown) at ``step``; ``verbatim`` shows it as is, line breaks and all."""
        if verbatim:  # a Markdown code block: indented four spaces, nothing interpreted
            text = "\n".join("    " + line for line in text.splitlines() or [""])
        self._writer.add_text(tag, text, int(step))

    def add_graph(self, source: Tensor | Graph, **capture_options: Any) -> Graph:
        """The graph behind ``source`` (e.g. a loss) for TensorBoard's Graphs tab.

        Keyword arguments (``module``, ``names``, ``steps``) go to
        ``minigrad.viz.capture`` and give the nodes their scopes. Returns the
        captured ``Graph``.
        """
        graph = source if isinstance(source, Graph) else capture(source, **capture_options)
        from tensorboardX.proto import event_pb2

        event = event_pb2.Event(graph_def=to_graphdef(graph).SerializeToString())
        # tensorboardX's own add_graph wants a PyTorch model; its file writer takes
        # any event, and is how tensorboardX itself writes ONNX graphs.
        self._writer._get_file_writer().add_event(event)
        return graph

    # ------------------------------------------------------- training helpers
    def add_parameters(
        self, module: Module, step: int, *, histograms: bool = True, norms: bool = True
    ) -> dict[str, float]:
        """Per layer: with ``norms``, the gradient norm (scalars ``grad_norm/<layer>``);
        with ``histograms``, every weight and gradient (``weights/<name>``, ``grads/<name>``).

        Call it after ``backward()`` (and before ``zero_grad()``) so the
        gradients are there; after clipping, it shows the clipped gradients.
        Returns the gradient norm of each layer.
        """
        squares: dict[str, float] = {}
        for name, p in module.named_parameters():
            if histograms:
                self.add_histogram(f"weights/{name}", p, step)
            if p.grad is None:
                continue
            grad = _numpy(p.grad).astype(np.float64)
            layer = layer_of(name)
            squares[layer] = squares.get(layer, 0.0) + float(np.sum(grad * grad))
            if histograms:
                self.add_histogram(f"grads/{name}", grad, step)
        layer_norms = {layer: math.sqrt(total) for layer, total in squares.items()}
        if norms:
            for layer, norm in layer_norms.items():
                self.add_scalar(f"grad_norm/{layer}", norm, step)
        return layer_norms

    def add_learning_rate(self, optimizer: Any, step: int) -> None:
        """The optimizer's learning rate (scalar ``lr``)."""
        self.add_scalar("lr", float(optimizer.lr), step)

    # ------------------------------------------------------------- lifecycle
    def flush(self) -> None:
        """Write everything pending to disk now."""
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file (idempotent)."""
        self._writer.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
