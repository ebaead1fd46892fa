"""Generating text one character at a time, the state carried from one to the next.

The model reads the priming text first (its final state summarises it), then
repeats: logits for the next character -> probabilities -> draw one ->
feed it back in. Two knobs shape the draw:

* **temperature** ``tau``: probabilities ``softmax(logits / tau)``. Below 1
  the likely characters get likelier (safer, more repetitive text), above 1
  the distribution flattens (more surprising, more misspelt). ``tau = 0``
  means always take the most likely character (greedy).
* **top-k**: keep only the ``k`` most likely characters and renormalise
  (r2rt and the seminar used k = 5); ``0`` keeps them all.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad import backend

from .model import CharLM
from .vocab import Vocabulary


def next_char_probs(logits: np.ndarray, temperature: float = 1.0, top_k: int = 0) -> np.ndarray:
    """The distribution the next character is drawn from, for one row of ``logits``.

    ``softmax(logits / temperature)`` restricted to the ``top_k`` largest
    logits (ties at the boundary kept) and renormalised. ``temperature = 0``
    puts all the mass on the largest logit (the first one, on ties).
    """
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k < 0:
        raise ValueError(f"top_k must be >= 0 (0 keeps every character), got {top_k}")
    if temperature == 0:
        probs = np.zeros_like(z)
        probs[int(np.argmax(z))] = 1.0
        return probs
    z = z / temperature
    if 0 < top_k < z.size:
        threshold = np.partition(z, -top_k)[-top_k]
        z = np.where(z >= threshold, z, -np.inf)
    z = z - z.max()
    probs = np.exp(z)
    return probs / probs.sum()


def sample_next(
    logits: np.ndarray, rng: np.random.Generator, temperature: float = 1.0, top_k: int = 0
) -> int:
    """Draw the id of the next character from ``next_char_probs(logits, ...)``."""
    probs = next_char_probs(logits, temperature, top_k)
    if temperature == 0:
        return int(np.argmax(probs))
    return int(rng.choice(probs.size, p=probs))


def generate(
    model: CharLM,
    vocab: Vocabulary,
    prime: str = "\n",
    length: int = 200,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int | None = 0,
) -> str:
    """``length`` characters generated after ``prime`` (which is not repeated in the result).

    Batch of one, one character per call, the recurrent state carried: the
    same model and weights as training, fed ``[1, 1]`` instead of ``[B, T]``.
    The same ``seed`` gives the same text. Raises ``DataError`` naming any
    characters of ``prime`` the vocabulary lacks.
    """
    if not prime:
        raise ValueError("generate: prime must hold at least one character")
    if length < 0:
        raise ValueError(f"generate: length must be >= 0, got {length}")
    ids = vocab.encode(prime, what="--prime")
    rng = np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    out: list[int] = []
    with mg.no_grad():
        logits, state = model(ids[None, :])
        for _ in range(length):
            last = backend.to_numpy(logits.data[0, -1])
            nxt = sample_next(last, rng, temperature, top_k)
            out.append(nxt)
            logits, state = model(np.array([[nxt]], dtype=np.int64), state)
    model.train(was_training)
    return vocab.decode(out)


def generate_from_checkpoint(
    path: str, prime: str = "\n", length: int = 200, **options: Any
) -> str:
    """Load the model saved at ``path`` and ``generate`` from it (options as ``generate``)."""
    from .checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    model = ckpt.build_model(device=options.pop("device", None))
    return generate(model, ckpt.vocab, prime=prime, length=length, **options)
