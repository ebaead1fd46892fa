"""The conformance checks as pytest cases: ``parametrize_with_cell_checks``.

pytest is imported only when these are used, so the kit itself runs without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minigrad.cells.conformance.report import FAIL, SKIP
from minigrad.cells.conformance.run import check_name, checks_for, run_check
from minigrad.cells.conformance.subject import CellSubject, Check, make_subject
from minigrad.cells.registry import CellRegistry


class _PytestCheck:
    """A check as a pytest parameter: ``check(cell)`` fails or skips the test."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.__name__ = check_name(check)

    def __call__(self, subject: CellSubject) -> None:
        import pytest

        result = run_check(self.check, subject)
        if result.status == SKIP:
            pytest.skip(result.message)
        if result.status == FAIL:
            pytest.fail(f"{subject.label}: check {result.check} failed: {result.message}")

    def __repr__(self) -> str:
        return self.__name__


def parametrize_with_cell_checks(
    names_or_classes: Iterable[Any], *, registry: CellRegistry | None = None
) -> Any:
    """A pytest decorator with one case per (cell, check), ids like ``gru-lengths``.

    Each item is a registered name, a cell class, or a pair ``(name_or_class,
    {option: value})``. The decorated test takes the arguments ``cell`` (a
    ``CellSubject``) and ``check`` (call it as ``check(cell)``)::

        @parametrize_with_cell_checks(["rnn", ("rnn", {"activation": "relu"})])
        def test_cells(cell, check):
            check(cell)
    """
    import pytest

    params = []
    for item in names_or_classes:
        target, options = item if isinstance(item, tuple) else (item, {})
        subject = make_subject(target, options, registry=registry)
        for check in checks_for(subject):
            wrapped = _PytestCheck(check)
            params.append(pytest.param(subject, wrapped, id=f"{subject.label}-{wrapped.__name__}"))
    return pytest.mark.parametrize(("cell", "check"), params)
