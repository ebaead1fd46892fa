"""The pytest plugin of the grading subprocess: it records what happens, as JSON lines.

``minigrad grade`` runs ``python -m pytest -p minigrad.lessons.grader.pytest_plugin
--minigrad-report FILE --minigrad-exercise ID TESTS``. The plugin

* registers the ``exercise(id)`` marker (one marker per graded task, as in
  minitorch) and keeps only the tests marked with the exercise being graded;
* loads the student's file once at the start, so that a file that does not
  load is reported once, as such, with the student's line;
* writes one JSON object per line to FILE as things happen (``start`` of each
  test, its ``result`` with a message for the student, ``finish``), flushed at
  once: if the run has to be killed for taking too long, the file still says
  which check was running.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from minigrad.lessons.grader import checks
from minigrad.lessons.grader.messages import CHECK, IMPORT, describe_exception, shorten


class EventLog:
    """Append JSON events to a file, one per line, flushed immediately."""

    def __init__(self, path: str | None) -> None:
        self.file = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115

    def write(self, **event: Any) -> None:
        """Record one event (nothing happens without a report file)."""
        if self.file is not None:
            self.file.write(json.dumps(event) + "\n")
            self.file.flush()

    def close(self) -> None:
        """Close the file."""
        if self.file is not None:
            self.file.close()
            self.file = None


#: One grading run per process: the log is module state, opened in pytest_configure.
LOG = EventLog(None)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--minigrad-report FILE`` and ``--minigrad-exercise ID``."""
    group = parser.getgroup("minigrad", "minigrad grader")
    group.addoption("--minigrad-report", default=None, help="write grading events (JSON lines)")
    group.addoption("--minigrad-exercise", default=None, help="run only this exercise's tests")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and open the event file."""
    config.addinivalue_line(
        "markers", "exercise(id): the graded exercise a test belongs to (one marker per task)"
    )
    global LOG
    LOG = EventLog(config.getoption("minigrad_report", None))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the event file."""
    LOG.close()


def _display() -> str:
    return os.environ.get(checks.ENV_DISPLAY) or os.environ.get(checks.ENV_FILE) or "your file"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Load the student's file once, before any test, and say whether it loaded."""
    if not os.environ.get(checks.ENV_FILE):
        return
    LOG.write(event="import_start")
    try:
        checks.student()
    except checks.StudentImportError as exc:
        LOG.write(event="import_error", message=shorten(str(exc)))
    else:
        LOG.write(event="import_ok")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """A test file that cannot be collected is the exercise author's bug: report it."""
    if report.failed:
        LOG.write(event="collect_error", message=shorten(str(report.longrepr), 1500))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the tests marked with the exercise being graded."""
    wanted = config.getoption("minigrad_exercise", None)
    keep, drop, unmarked = [], [], []
    for item in items:
        marker = item.get_closest_marker("exercise")
        marked = marker.args[0] if marker is not None and marker.args else None
        if marked is None:
            unmarked.append(item.nodeid)
        (keep if wanted is None or marked == wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    LOG.write(event="collected", tests=[i.nodeid for i in keep], unmarked=unmarked)


def _description(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    lines = doc.strip().splitlines()
    return lines[0].strip() if lines else item.name


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Remember which check is running (the runner names it if the run times out)."""
    LOG.write(event="start", test=item.nodeid, name=item.name, description=_description(item))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Turn the outcome of each check into a message for the student."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" and report.passed:
        return
    status, kind, message = "pass", None, None
    if report.skipped:
        status, message = "skip", shorten(str(report.longrepr))
    elif report.failed:
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(exc, pytest.fail.Exception):
            kind, message = CHECK, shorten(str(exc))
        elif exc is not None:
            kind, message = describe_exception(exc, os.environ.get(checks.ENV_FILE, ""), _display())
        else:
            kind, message = CHECK, shorten(str(report.longrepr))
        status = "error" if kind == IMPORT or report.when != "call" else "fail"
    LOG.write(
        event="result",
        test=item.nodeid,
        name=item.name,
        description=_description(item),
        when=report.when,
        status=status,
        kind=kind,
        message=message,
        duration=round(report.duration, 4),
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run ended (normally or not): record the exit status."""
    LOG.write(event="finish", exitstatus=int(exitstatus))
