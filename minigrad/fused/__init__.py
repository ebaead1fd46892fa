"""Fused recurrent ops: a whole sequence of a cell in one op with a hand-written backward.

The built-in cells use them by default (``fused=True``) through
``Cell.forward_sequence``; the composed cells (``fused=False``) are the
readable reference they are tested against. On a GPU each time step's gate
arithmetic is one CUDA kernel (``cuda_kernels.py``). docs/performance.md
explains why fusing pays and measures it.
"""

from minigrad.fused.gru import GRUSequence, gru_sequence
from minigrad.fused.lstm import LSTMSequence, lstm_sequence
from minigrad.fused.rnn import RNNSequence, rnn_sequence

__all__ = [
    "GRUSequence",
    "LSTMSequence",
    "RNNSequence",
    "gru_sequence",
    "lstm_sequence",
    "rnn_sequence",
]
