"""What a conformance run returns: one ``CheckResult`` per check, gathered in a ``CellReport``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minigrad.cells.registry import option_json
from minigrad.errors import CellError

PASS, FAIL, SKIP = "pass", "fail", "skip"


class SkipCheck(Exception):
    """Raised inside a check to report it as skipped (with the reason)."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``status`` is "pass", "fail" or "skip"."""

    check: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        """True unless the check failed (a skip counts as not failed)."""
        return self.status != FAIL


@dataclass
class CellReport:
    """Every check's result for one cell (``label`` is its name or class name)."""

    label: str
    cls: type
    kind: str
    options: dict[str, Any]
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if no check failed (skipped checks are allowed)."""
        return all(r.status != FAIL for r in self.results)

    def by_status(self, status: str) -> list[CheckResult]:
        """The results with ``status`` ("pass", "fail" or "skip")."""
        return [r for r in self.results if r.status == status]

    def summary(self) -> str:
        """E.g. ``"11 passed, 0 failed, 1 skipped"``."""
        counts = [len(self.by_status(s)) for s in (PASS, FAIL, SKIP)]
        return f"{counts[0]} passed, {counts[1]} failed, {counts[2]} skipped"

    def raise_if_failed(self) -> None:
        """Raise ``CellError`` listing every failed check, or return quietly."""
        failed = self.by_status(FAIL)
        if failed:
            lines = "\n".join(f"- {r.check}: {r.message}" for r in failed)
            raise CellError(
                f"{self.label} ({self.cls.__name__}) fails {len(failed)} conformance "
                f"check(s):\n{lines}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the report."""
        return {
            "cell": self.label,
            "class": f"{self.cls.__module__}.{self.cls.__qualname__}",
            "kind": self.kind,
            "options": {k: option_json(v) for k, v in self.options.items()},
            "ok": self.ok,
            "results": [
                {"check": r.check, "status": r.status, "message": r.message} for r in self.results
            ],
        }
