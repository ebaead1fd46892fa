"""The conformance kit: does a cell keep the contract every minigrad cell keeps?

``check_cell`` runs every check on one cell and returns a report; nothing stops
at the first failure, so one run shows everything that needs fixing::

    >>> from minigrad.cells.conformance import check_cell
    >>> report = check_cell("rnn")                  # a registered name, or the class
    >>> report.ok                                   # no check failed (skips are fine)
    True
    >>> report.raise_if_failed()                    # a CellError listing every failure

In a pytest suite, ``parametrize_with_cell_checks`` makes one test per
(cell, check), in the spirit of scikit-learn's ``parametrize_with_checks``::

    @parametrize_with_cell_checks(["rnn", ("gru", {"reset_after": True}), MyCell])
    def test_my_cells_conform(cell, check):
        check(cell)

The checks for a step cell (a ``minigrad.cells.Cell``), each a small function
named ``check_<name>`` below:

``constructor``
    ``__init__`` takes the keyword options ``dtype``, ``device`` and ``rng``;
    sizes are stored; sizes that are not positive ints raise ``CellError``.
``shapes``
    ``cell(x_t, state)`` and ``dynamic_rnn`` give outputs ``[B, output_size]``
    / ``[B, T, output_size]`` and a state of the declared layout and sizes for
    batch sizes 1, 2 and 5; parameters, outputs and state keep the cell's dtype.
``zero_state``
    a Tensor for a one-part layout, a tuple of ``len(state_layout)`` Tensors
    otherwise; all zeros, ``[B, size]``, the cell's dtype.
``gradients``
    ``minigrad.gradcheck`` in float64 through three steps, with respect to the
    inputs, every part of a random initial state and every parameter; once
    through ``static_rnn`` and once through ``dynamic_rnn`` with lengths.
``static_vs_dynamic``
    ``static_rnn`` and ``dynamic_rnn`` (which may use a fused
    ``forward_sequence``) agree on outputs, final state and every gradient.
``lengths``
    with per-example lengths, outputs past each length are exactly zero, the
    rest and the final state equal a run over the truncated example alone, and
    padded inputs receive exactly zero gradient.
``determinism``
    two cells built from the same seed have identical parameters and outputs;
    calling a cell twice gives the same result; a different seed changes the
    parameters (else the ``rng`` option is ignored).
``save_load``
    ``state_dict`` loaded into a fresh instance (built from another seed)
    reproduces the outputs exactly, and so does a round trip through
    ``minigrad.save`` / ``minigrad.load``.
``gpu_parity``
    the same weights on "cpu" and "cuda" give the same outputs, final state and
    gradients (float64). Reported as a *skip* when
    ``minigrad.backend.gpu_available()`` is False.
``docstring``
    see ``docstring_problems`` for the exact rule.
``registration``
    given a name: the registry resolves it (and every alias) to this class,
    attributes it to a plugin, and ``registry.create`` builds an instance.
    Given a class: skipped unless a ``registry`` is passed, in which case the
    class must be registered in it under some name.
``errors``
    a wrong input width, a 3-D step input, a wrong state structure (a tuple
    for a one-part state, a bare Tensor for a tuple state) and a wrong state
    width each raise ``CellError`` naming the cell class.

A ``SequenceModule`` (like ``bidirectional``) gets ``constructor``,
``shapes``, ``gradients``, ``lengths``, ``determinism``, ``save_load``,
``gpu_parity``, ``docstring``, ``registration`` and ``errors``, all at the
sequence level: ``module(inputs [B, T, I], initial_state=None, lengths=None)
-> (outputs [B, T, output_size], final_state)``.

Sequences are batch-first, ``[B, T, F]``, as everywhere in minigrad.
"""

from minigrad.cells.conformance.checks.docstring import check_docstring, docstring_problems
from minigrad.cells.conformance.checks.numerics import (
    check_gpu_parity,
    check_gradients,
    check_lengths,
    check_static_vs_dynamic,
)
from minigrad.cells.conformance.checks.persistence import check_determinism, check_save_load
from minigrad.cells.conformance.checks.registration import check_registration
from minigrad.cells.conformance.checks.structure import (
    check_constructor,
    check_errors,
    check_shapes,
    check_zero_state,
)
from minigrad.cells.conformance.pytest_support import parametrize_with_cell_checks
from minigrad.cells.conformance.report import (
    FAIL,
    PASS,
    SKIP,
    CellReport,
    CheckResult,
    SkipCheck,
)
from minigrad.cells.conformance.run import (
    SEQUENCE_CHECKS,
    STEP_CHECKS,
    check_cell,
    check_name,
    checks_for,
    run_check,
)
from minigrad.cells.conformance.subject import SHARED_OPTIONS, CellSubject, Check, make_subject

__all__ = [
    "CellReport",
    "CellSubject",
    "CheckResult",
    "SEQUENCE_CHECKS",
    "STEP_CHECKS",
    "SkipCheck",
    "check_cell",
    "check_name",
    "checks_for",
    "docstring_problems",
    "make_subject",
    "parametrize_with_cell_checks",
    "run_check",
]
