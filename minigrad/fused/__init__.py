"""Fused recurrent ops: a whole sequence of a cell in one op with a hand-written backward.

The composed cell, built from minigrad's ops one step at a time, is the
*reference*: it is what the equations in its docstring say, and autograd
differentiates it. A fused op computes the same sequence with a hand-written
BPTT, so that one op replaces a dozen per step (docs/performance.md measures
what that buys). Each fused module writes its per-step arithmetic twice, side
by side: a NumPy step (the CPU path, the one to read) and the same lines as
CUDA source for one kernel per step on a GPU (``fused/cuda.py`` compiles them).

Which fused op mirrors which cell (tests/cells/test_fused_reference_table.py
keeps this table true)::

    cell           reference (plugins/)            fused op (fused/)              CUDA kernels
    rnn            basic_rnn.BasicRNNCell          basic_rnn.RNNSequence          rnn_*
    lstm           lstm.LSTMCell                   lstm.LSTMSequence "lstm"       lstm_*
    peephole_lstm  peephole_lstm.PeepholeLSTMCell  lstm.LSTMSequence "peephole"   lstm_*
    coupled_lstm   coupled_lstm.CoupledLSTMCell    lstm.LSTMSequence "coupled"    lstm_*
    greff_v        greff_lstm.VanillaLSTMCell      lstm.LSTMSequence "peephole"   lstm_*
    greff_np       greff_lstm.NoPeepholeLSTMCell   lstm.LSTMSequence "lstm"       lstm_*
    gru            gru.GRUCell                     gru.GRUSequence                gru_*

Each fused op's NumPy steps are ``_forward_step``/``_backward_step`` (the GRU's
``_after_*``/``_before_*``, one pair per reset form) and its CUDA kernels are
the entries of its module's ``CUDA_SOURCES``.

What proves each pair equal:

* ``tests/cells/test_fused_cells.py::test_fused_equals_composed``: fused
  against composed on the CPU, float64, every option above, full and ragged
  lengths, outputs, final state and every gradient;
* ``tests/cells/test_gpu_fused.py::test_gpu_kernels_match_the_cpu``: the CUDA
  kernels against the NumPy steps (runs where a GPU is);
* the conformance kit's ``static_vs_dynamic`` check, for every registered cell.

Where numba is installed (the optional extra ``fast``), float32 arrays on the
CPU run the plain LSTM's and the reset-after GRU's steps compiled instead
(``fused/compiled.py``, the same arithmetic per element, like the CUDA
kernels); ``tests/cells/test_fused_compiled.py`` proves them equal to the
NumPy steps, and ``MINIGRAD_COMPILED=0`` turns them off.

The other ``greff_*`` variants, the ``jozefowicz_*`` cells, ``layernorm_lstm``
and ``bidirectional`` have no fused op: all but the last run composed, and
``bidirectional`` runs its wrapped cell (fused when that one is).

How a cell uses its fused op: the built-in cells take ``fused=True`` (the
default), and their ``forward_sequence`` calls the op for whole sequences
(``dynamic_rnn``, ``nn.RNN``); ``fused=False`` runs the composed step at every
time step instead. Single steps, ``cell(x_t, state)``, are always composed.
"""

from minigrad.fused.basic_rnn import RNNSequence, rnn_sequence
from minigrad.fused.gru import GRUSequence, gru_sequence
from minigrad.fused.lstm import LSTMSequence, lstm_sequence

__all__ = [
    "GRUSequence",
    "LSTMSequence",
    "RNNSequence",
    "gru_sequence",
    "lstm_sequence",
    "rnn_sequence",
]
