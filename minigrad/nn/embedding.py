"""``Embedding``: a lookup table from integer ids (characters, words) to vectors."""

from __future__ import annotations

from typing import Any

from minigrad.nn import init
from minigrad.nn._factory import check_size, empty_parameter
from minigrad.nn.module import Module
from minigrad.ops import embedding
from minigrad.tensor import Tensor


class Embedding(Module):
    """z[..., :] = W[ids[...], :]: row ``i`` of ``W`` is the vector for id ``i``.

    ``W`` has shape ``(num_embeddings, embedding_dim)`` and starts from N(0, 1)
    (drawn from ``rng`` or minigrad's seeded generator). Looking up a one-hot
    vector's row is the same as multiplying it by ``W``, without building the
    one-hot matrix.

    The forward takes integer ids of any shape, e.g. a batch-first
    ``[B, T]`` array of characters, and returns ``[B, T, embedding_dim]``.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        dtype: Any = None,
        device: str = "cpu",
        rng: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = check_size(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = check_size(embedding_dim, "embedding_dim", "Embedding")
        shape = (self.num_embeddings, self.embedding_dim)
        self.W = empty_parameter(shape, dtype, device, "Embedding")
        init.normal_(self.W, 0.0, 1.0, rng=rng)

    def forward(self, ids: Any) -> Tensor:
        """Rows of ``W`` for integer ``ids`` (array or Tensor, any shape) -> ``[..., dim]``."""
        return embedding(self.W, ids)

    def extra_repr(self) -> str:
        """``num_embeddings, embedding_dim``."""
        return f"{self.num_embeddings}, {self.embedding_dim}"
