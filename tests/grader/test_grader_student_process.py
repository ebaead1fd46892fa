"""What the student's process holds: its two pipes, the workspace, no grader variables.

The first student's process of a run is forked from the grading process
before that process reads its key or loads any test; after the student's
code ends its process, the next one is a fresh interpreter (``spawn``). Both
must look the same from inside: only stdin, stdout, stderr and the two pipes
open, the workspace as the current folder and first on the path, none of the
grader's environment variables, and the limits applied.
"""

from __future__ import annotations

import json

from minigrad.lessons.grader.manifest import load_manifest
from minigrad.lessons.grader.runner import grade_exercise
from minigrad.lessons.grader.workspace import Workspace

GRU = load_manifest().get("cells.gru")

REPORT = """
import json, os, resource, sys

def facts():
    fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    return {
        "spawned": "--requests" in sys.argv,
        "fds": len(fds) - 1,  # the listing opens one itself
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "grader_vars": sorted(k for k in os.environ if k.startswith(("MINIGRAD_E", "MINIGRAD_G"))),
        "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
        "threads": os.environ.get("OPENBLAS_NUM_THREADS"),
    }

MARK = os.path.join(os.path.dirname(__file__), "ended-once")

def gru_cell(x, h, U, W, b):
    if not os.path.exists(MARK):
        open(MARK, "w").close()
        raise ValueError("FACTS" + json.dumps(facts()) + "FACTS")
    if not os.path.exists(MARK + "2"):
        open(MARK + "2", "w").close()
        os._exit(0)
    raise ValueError("FACTS" + json.dumps(facts()) + "FACTS")
"""


def facts_in(message: str) -> dict:
    return json.loads(message.split("FACTS")[1])


def test_forked_and_spawned_student_processes_hold_nothing_of_the_grader(
    workspace: Workspace,
) -> None:
    workspace.path_of(GRU).write_text(REPORT)
    result = grade_exercise(workspace, GRU, seed=0, memory_mb=900)
    messages = [c.message for c in result.checks if c.message and "FACTS" in c.message]
    assert len(messages) >= 2, [c.message for c in result.checks]
    first, later = facts_in(messages[0]), facts_in(messages[-1])
    assert first["spawned"] is False and later["spawned"] is True
    ended = [c.message for c in result.checks if c.message and "exit code 0" in c.message]
    assert ended, "the check whose call ended the process says so"
    for seen in (first, later):
        assert seen["fds"] == 5, seen  # stdin, stdout, stderr, requests, answers
        assert seen["cwd"] == str(workspace.root) == seen["path0"]
        assert seen["grader_vars"] == [], seen
        assert 900 * 2**20 < seen["memory"] < 1900 * 2**20  # on top of Python and NumPy
        assert seen["threads"] == "1"
