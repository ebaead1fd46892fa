"""The hostile student: every forgery we know of ends in "not a pass".

Each case grades lesson1.expected_loss (six checks) with a wrong answer,
``return 0.0``, plus a forgery, in real processes. Before the grader ran the
student's code in a process of its own, the first four forgeries below gave
``pass 6/6`` (issue 12). Each forgery first touches a marker file, so a test
also proves the forgery's code really ran (not a typo that fails on its own).
Forgeries that leave a correct answer alone are also graded with the
reference solution's formula: that must still pass (the forgery neither
helps a wrong answer nor breaks the grader for a right one).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from minigrad.lessons.grader import integrity
from minigrad.lessons.grader.manifest import load_manifest, parse_manifest
from minigrad.lessons.grader.runner import grade_exercise
from minigrad.lessons.grader.workspace import Workspace

MANIFEST = load_manifest()
EXPECTED = MANIFEST.get("lesson1.expected_loss")
WRONG = """
def expected_cross_entropy(knows_first, knows_second, base=0.5, first=0.5, second=-0.25):
    return 0.0
"""
MARK = "open(__file__ + '.ran', 'w').close()\n"

#: name -> (code before the answer, whether a correct answer must still pass with it)
FORGERIES: dict[str, tuple[str, bool]] = {
    # The first forgery: the checks become no-ops (in the student's process only).
    "patch the checks module": (
        """
        import minigrad.lessons.grader.checks as c
        c.check = lambda *a: None
        c.assert_close = lambda *a, **k: None
        """,
        True,
    ),
    # The second: every result written as "pass".
    "rewrite the plugin's log": (
        """
        import minigrad.lessons.grader.pytest_plugin as p
        from minigrad.lessons.grader import events
        def forged(self, **event):
            event["status"] = "pass"
        events.EventWriter.write = forged
        p.LOG.write = lambda **event: None
        """,
        True,
    ),
    "patch builtins and numpy": (
        """
        import builtins, math, numpy
        numpy.isclose = lambda *a, **k: numpy.array(True)
        numpy.allclose = lambda *a, **k: True
        math.isfinite = lambda x: True
        builtins.abs = lambda x: 0
        """,
        False,
    ),
    # The last: run the reference named in the environment.
    "run the reference named in the environment": (
        """
        import os
        exec(open(os.environ["MINIGRAD_REFERENCE_FILE"]).read())
        """,
        False,
    ),
    "run the reference through the grader's API": (
        """
        from minigrad.lessons.grader.checks import reference
        expected_cross_entropy = reference("expected_cross_entropy")
        """,
        False,
    ),
    "look for the reference in the grading process": (
        """
        import os
        for part in ("environ", "cmdline"):
            text = open(f"/proc/{os.getppid()}/{part}", "rb").read().decode(errors="replace")
            for word in text.replace("\\0", " ").replace("=", " ").split():
                if "solutions" in word and word.endswith(".py"):
                    exec(open(word).read())
        """,
        True,
    ),
    # The third, in today's form: forged events into every pipe of the grading process.
    "write forged events into the report": (
        """
        import json, os
        forged = ["0" * 64 + " " + json.dumps(e) for e in (
            {"event": "result", "test": "t", "name": "t", "description": "d", "status": "pass"},
            {"event": "finish", "exitstatus": 0},
        )]
        folder = f"/proc/{os.getppid()}/fd"
        for fd in os.listdir(folder):
            if os.readlink(f"{folder}/{fd}").startswith("pipe:"):
                try:
                    with open(f"{folder}/{fd}", "a") as pipe:
                        pipe.write("\\n".join(forged) + "\\n")
                except OSError:
                    pass
        os._exit(0)
        """,
        False,
    ),
    "answer the channel directly": (
        """
        import fcntl, os, struct
        from minigrad.lessons.grader import channel
        def answers():  # the pipe this process answers on: written to, neither stdout nor stderr
            for fd in map(int, os.listdir("/proc/self/fd")):
                try:
                    mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
                    kind = os.readlink(f"/proc/self/fd/{fd}")
                except OSError:
                    continue
                if fd > 2 and mode == os.O_WRONLY and kind.startswith("pipe:"):
                    return fd
        replies = open(answers(), "wb")
        for _ in range(50):
            channel.write_frame(replies, {"ok": True, "value": 0.454454}, [])
        replies.write(struct.pack("<4sII", b"MGW1", 10**9, 0))
        replies.flush()
        """,
        False,
    ),
    "exit 0 while loading": ("import os\nos._exit(0)\n", False),
    "exit 0 in every call": (
        """
        import os
        def expected_cross_entropy(*args, **kwargs):
            os._exit(0)
        """,
        False,
    ),
    "sys.exit(0) in every call": (
        """
        import sys
        def expected_cross_entropy(*args, **kwargs):
            sys.exit(0)
        """,
        False,
    ),
    "kill the grading process": (
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
        False,
    ),
    "skip every check": (
        """
        import pytest
        def expected_cross_entropy(*args, **kwargs):
            pytest.skip("nothing to see")
        """,
        False,
    ),
    "return something equal to everything": (
        """
        class Anything(float):
            def __eq__(self, other): return True
            def __sub__(self, other): return 0.0
            def __rsub__(self, other): return 0.0
            def __abs__(self): return 0.0
            __hash__ = float.__hash__
        def expected_cross_entropy(*args, **kwargs):
            return Anything(0.0)
        """,
        False,
    ),
}

CORRECT = """
def expected_cross_entropy(knows_first, knows_second, base=0.5, first=0.5, second=-0.25):
    import math
    cases = {(a, b): base + first * a + second * b for a in (0, 1) for b in (0, 1)}
    total = 0.0
    for (a, b), p in cases.items():
        same = [q for (c, d), q in cases.items()
                if (not knows_first or c == a) and (not knows_second or d == b)]
        q = sum(same) / len(same)
        total -= sum(w * math.log(v) for w, v in ((p, q), (1 - p, 1 - q)) if w > 0)
    return total / 4
"""


@pytest.fixture(autouse=True)
def old_reference_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable the old grader set for its checks, now only in the runner's environment."""
    monkeypatch.setenv("MINIGRAD_REFERENCE_FILE", str(EXPECTED.solution_path))


def grade_with(workspace: Workspace, forgery: str, answer: str, exercise=EXPECTED, **options):
    path = workspace.path_of(exercise)
    # The answer first: code that ends the process while loading never reaches it.
    path.write_text(MARK + answer + textwrap.dedent(forgery))
    Path(str(path) + ".ran").unlink(missing_ok=True)
    result = grade_exercise(
        workspace, exercise, seed=4, timeout=options.pop("timeout", 30), **options
    )
    assert Path(str(path) + ".ran").exists(), "the forgery's code did not run"
    return result


@pytest.mark.parametrize("name", FORGERIES)
def test_a_forgery_never_passes(workspace: Workspace, name: str) -> None:
    forgery, _ = FORGERIES[name]
    result = grade_with(workspace, forgery, WRONG)
    assert result.status != "pass" and result.points == 0, (name, result.status, result.message)


@pytest.mark.parametrize("name", [n for n, (_, keeps) in FORGERIES.items() if keeps])
def test_a_forgery_leaves_a_right_answer_passing(workspace: Workspace, name: str) -> None:
    result = grade_with(workspace, FORGERIES[name][0], CORRECT)
    assert result.status == "pass", (name, result.message)


def test_the_reference_path_is_nowhere_in_the_students_process(workspace: Workspace) -> None:
    probe = """
    import os
    seen = " ".join(f"{k}={v}" for k, v in os.environ.items())
    seen += open(f"/proc/{os.getppid()}/environ", "rb").read().decode(errors="replace")
    seen += open(f"/proc/{os.getppid()}/cmdline", "rb").read().decode(errors="replace")
    def expected_cross_entropy(*args, **kwargs):
        return 1.0 if "solutions" in seen or "MINIGRAD_REFERENCE" in seen else 0.0
    """
    result = grade_with(workspace, probe, "")
    assert "= 0.000000, expected 0.661563" in result.message, result.message


@pytest.fixture
def lessons_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the installed grader files, checked by the runner instead of the real ones."""
    copy = tmp_path / "lessons"
    for folder in ("exercises", "grader"):
        shutil.copytree(integrity.LESSONS / folder, copy / folder)
    monkeypatch.setattr(integrity, "LESSONS", copy)
    return copy


@pytest.mark.parametrize(
    "target",
    ["exercises/tests/lesson1/test_expected_loss.py", "grader/checks.py"],
    ids=["the graded test file", "the grader's checks"],
)
def test_changing_the_installed_grader_is_a_broken_install(
    workspace: Workspace, lessons_copy: Path, target: str
) -> None:
    exercise = parse_manifest(lessons_copy / "exercises" / "manifest.toml").get(EXPECTED.id)
    trivial = (
        "import pytest\npytestmark = pytest.mark.exercise('lesson1.expected_loss')\n"
        "def test_anything():\n    pass\n"
    )
    overwrite = f"open({str(lessons_copy / target)!r}, 'w').write({trivial!r})\n"
    first = grade_with(workspace, overwrite, WRONG, exercise=exercise)
    assert first.status == "error" and "broken install" in first.message, first.message
    assert f"{target} was changed" in first.message
    workspace.path_of(exercise).write_text(WRONG)  # the forgery is gone; the damage stays
    again = grade_exercise(workspace, exercise, seed=4)
    assert again.status == "error" and "broken install" in again.message
    assert "--write" in again.message and "reinstall" in again.message.lower()
