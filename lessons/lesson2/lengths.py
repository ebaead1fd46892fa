"""Variable-length batches: what ``dynamic_rnn(..., lengths=...)`` does past each length."""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg

NUM_CLASSES = 2
PAD = -1  # target value the loss ignores


def variable_length_demo(
    cell: Any, W_out: mg.Tensor, x: np.ndarray, y: np.ndarray, lengths: np.ndarray
) -> dict[str, Any]:
    """Run a padded batch ``x`` ``[batch, T]`` with per-example ``lengths`` and check the rules.

    1. Outputs past an example's length are zero.
    2. The final state is the state after the example's last real step.
    3. That is the state the example reaches when run alone, without padding.
    4. Padded targets marked ``PAD`` drop out of the mean loss (``ignore_index``).
    """
    inputs = mg.one_hot(mg.tensor(x, device=cell.device), NUM_CLASSES)  # [batch, T, 2]
    outputs, final_state = mg.cells.dynamic_rnn(cell, inputs, lengths=lengths)
    out = outputs.numpy()
    final = (final_state[0] if isinstance(final_state, tuple) else final_state).numpy()
    steps = x.shape[1]
    valid = np.arange(steps)[None, :] < lengths[:, None]
    alone = []
    for b, length in enumerate(lengths):
        _, state = mg.cells.dynamic_rnn(cell, inputs[b : b + 1, : int(length)])
        alone.append((state[0] if isinstance(state, tuple) else state).numpy()[0])
    logits = outputs @ W_out
    y_padded = np.where(valid, y, PAD)
    masked = mg.cross_entropy(logits, y_padded, ignore_index=PAD).item()
    per_position = mg.cross_entropy(logits, y, reduction="none").numpy()
    return {
        "lengths": lengths.tolist(),
        "active": (np.abs(out).max(axis=2) > 0).tolist(),
        "padding_max_abs": float(np.abs(out[~valid]).max()) if (~valid).any() else 0.0,
        "final_vs_last_output": float(
            max(np.abs(final[b] - out[b, n - 1]).max() for b, n in enumerate(lengths))
        ),
        "final_vs_alone": float(max(np.abs(final[b] - alone[b]).max() for b in range(len(x)))),
        "masked_loss": masked,
        "mean_over_real_steps": float(per_position[valid].mean()),
        "mean_over_all_steps": float(per_position.mean()),
    }
