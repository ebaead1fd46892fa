"""The pytest plugin of the grading process: it reports each check, signed, to the runner.

``minigrad grade`` runs ``python -m pytest -p minigrad.lessons.grader.pytest_plugin
--minigrad-report-fd N --minigrad-key-fd K --minigrad-exercise ID TESTS``. The
plugin

* registers the ``exercise(id)`` marker (one marker per graded task, as in
  minitorch) and keeps only the tests marked with the exercise being graded;
* starts the student's process at once (``remote``), so that it imports
  minigrad while pytest collects, and has it load the student's file once the
  tests are collected: a file that does not load is reported once, as such,
  with the student's line;
* writes one signed event per line to the report pipe as things happen
  (``start`` of each test, its ``result`` with a message for the student,
  ``finish``; see ``events``): if the run is killed for taking too long, the
  runner still knows which check was running;
* at the end, ends the student's process and everything it started, even a
  child that left the process group (the grading process is their subreaper).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from minigrad.lessons.grader import checks, processes, remote
from minigrad.lessons.grader.events import EventWriter
from minigrad.lessons.grader.messages import CHECK, IMPORT, describe_exception, shorten

#: One grading run per process: the log is module state, opened in pytest_configure.
LOG = EventWriter(None, b"")


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--minigrad-report-fd N``, ``--minigrad-key-fd K`` and ``--minigrad-exercise ID``."""
    group = parser.getgroup("minigrad", "minigrad grader")
    group.addoption("--minigrad-report-fd", type=int, default=None, help="report pipe")
    group.addoption("--minigrad-key-fd", type=int, default=None, help="the report's key pipe")
    group.addoption("--minigrad-exercise", default=None, help="run only this exercise's tests")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, open the report, and start the student's process."""
    config.addinivalue_line(
        "markers", "exercise(id): the graded exercise a test belongs to (one marker per task)"
    )
    if os.environ.get(checks.ENV_FILE):
        processes.become_subreaper()
        # Forked now, before this process reads its key or loads any test: see ``spawn``.
        remote.connection().start(fork=True)
    global LOG
    LOG = EventWriter.open(
        config.getoption("minigrad_report_fd", None), config.getoption("minigrad_key_fd", None)
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the report."""
    LOG.close()


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


def pytest_collection_finish(session: pytest.Session) -> None:
    """Have the student's process load the student's file, once, and say whether it loaded."""
    if not os.environ.get(checks.ENV_FILE):
        return
    LOG.write(event="import_start")
    try:
        remote.connection().load()
    except checks.StudentImportError as exc:
        LOG.write(event="import_error", message=shorten(str(exc)))
    else:
        LOG.write(event="import_ok")


def _description(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    lines = doc.strip().splitlines()
    return lines[0].strip() if lines else item.name


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Remember which check is running (the runner names it if the run times out)."""
    LOG.write(event="start", test=item.nodeid, name=item.name, description=_description(item))


def explain(exc: BaseException | None, longrepr: Any) -> tuple[str, str]:
    """``(kind, message)`` of a failed check, for the student."""
    if isinstance(exc, checks.StudentError):
        return exc.kind, shorten(exc.text)
    if isinstance(exc, pytest.fail.Exception) or exc is None:
        return CHECK, shorten(str(exc) if exc is not None else str(longrepr))
    display = os.environ.get(checks.ENV_DISPLAY) or "your file"
    return describe_exception(exc, os.environ.get(checks.ENV_FILE, ""), display)


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
        kind, message = explain(exc, report.longrepr)
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
    """The run ended: end the student's process and its children, then record the end."""
    remote.close()
    processes.kill_descendants()
    LOG.write(event="finish", exitstatus=int(exitstatus))
