"""Which checks apply to a cell, running them, and ``check_cell``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.cells.conformance.checks.docstring import check_docstring
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
from minigrad.cells.conformance.report import FAIL, PASS, SKIP, CellReport, CheckResult, SkipCheck
from minigrad.cells.conformance.subject import CellSubject, Check, make_subject
from minigrad.cells.registry import CellRegistry
from minigrad.errors import CellError

STEP_CHECKS: tuple[Check, ...] = (
    check_constructor,
    check_shapes,
    check_zero_state,
    check_gradients,
    check_static_vs_dynamic,
    check_lengths,
    check_determinism,
    check_save_load,
    check_gpu_parity,
    check_docstring,
    check_registration,
    check_errors,
)

SEQUENCE_CHECKS: tuple[Check, ...] = (
    check_constructor,
    check_shapes,
    check_gradients,
    check_lengths,
    check_determinism,
    check_save_load,
    check_gpu_parity,
    check_docstring,
    check_registration,
    check_errors,
)


def check_name(check: Check) -> str:
    """The short name of a check function (``check_lengths`` -> ``lengths``)."""
    return check.__name__.removeprefix("check_")


def checks_for(subject: CellSubject) -> tuple[Check, ...]:
    """The checks that apply to ``subject`` (step cell or sequence module)."""
    return SEQUENCE_CHECKS if subject.kind == "sequence" else STEP_CHECKS


def run_check(check: Check, subject: CellSubject) -> CheckResult:
    """Run one check and turn whatever happens into a ``CheckResult``."""
    name = check_name(check)
    try:
        message = check(subject)
    except SkipCheck as exc:
        return CheckResult(name, SKIP, str(exc))
    except AssertionError as exc:
        return CheckResult(name, FAIL, str(exc) or "assertion failed")
    except Exception as exc:
        return CheckResult(name, FAIL, f"{type(exc).__name__}: {exc}")
    return CheckResult(name, PASS, message or "")


def check_cell(
    name_or_class: str | type,
    *,
    registry: CellRegistry | None = None,
    checks: Sequence[str] | None = None,
    input_size: int = 3,
    hidden_size: int = 4,
    **options: Any,
) -> CellReport:
    """Run every conformance check on a cell and collect the results.

    ``name_or_class`` is a registered name (looked up in ``registry``, by
    default ``minigrad.cells.registry()``) or a ``Cell``/``SequenceModule``
    subclass. ``options`` are the cell's own options (``activation="relu"``,
    ``reset_after=True`` ...), used for every instance the checks build.
    ``checks`` limits the run to some check names (see the module docstring).
    Never stops at the first failure; see ``CellReport.ok`` and
    ``CellReport.raise_if_failed``.
    """
    subject = make_subject(
        name_or_class,
        options,
        registry=registry,
        input_size=input_size,
        hidden_size=hidden_size,
    )
    selected = checks_for(subject)
    if checks is not None:
        by_name = {check_name(c): c for c in selected}
        unknown = [c for c in checks if c not in by_name]
        if unknown:
            raise CellError(
                f"check_cell: no check named {', '.join(map(repr, unknown))} for a "
                f"{subject.kind} cell; the checks are {', '.join(by_name)}"
            )
        selected = tuple(by_name[c] for c in checks)
    report = CellReport(subject.label, subject.cls, subject.kind, dict(subject.options))
    report.results = [run_check(check, subject) for check in selected]
    return report
