"""The exercise manifest, the stubs, the solutions and the graded tests fit together.

* every exercise has a stub, a solution, a graded test file, points and 2-3 hints;
* every stub loads, and every function it asks for raises NotImplementedError
  naming the exercise id; stub and solution define the same names and signatures;
* every graded test file carries the ``exercise`` marker of its exercise;
* lesson steps that name an exercise and exercises that name a lesson step agree;
* a broken manifest gets a clear error.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from minigrad.lessons import catalog
from minigrad.lessons.framework import load_content
from minigrad.lessons.grader.checks import load_file
from minigrad.lessons.grader.errors import ManifestError, UnknownExerciseError
from minigrad.lessons.grader.manifest import Exercise, load_manifest, parse_manifest

MANIFEST = load_manifest()
EXERCISES = list(MANIFEST)
IDS = [e.id for e in EXERCISES]


def test_manifest_lists_the_exercises_the_issue_asks_for() -> None:
    assert len(EXERCISES) >= 15
    assert [e.order for e in EXERCISES] == list(range(1, len(EXERCISES) + 1))
    for wanted in (
        "lesson1.gen_batch",
        "lesson1.expected_loss",
        "lesson1.rnn_cell",
        "autograd.tanh_sigmoid",
        "autograd.softmax_cross_entropy",
        "lesson1.bptt",
        "cells.lstm",
        "cells.peephole_lstm",
        "cells.coupled_lstm",
        "cells.gru",
        "lesson3.embedding_backward",
        "lesson3.vocab",
        "lesson3.batches",
        "lesson3.sampling",
        "lesson2.rnn_plugin",
    ):
        assert wanted in IDS
    assert MANIFEST.max_points == sum(e.points for e in EXERCISES) > 0


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_each_exercise_is_complete(exercise: Exercise) -> None:
    assert exercise.points > 0
    assert 2 <= len(exercise.hints) <= 3, "two or three progressive hints"
    assert len(set(exercise.hints)) == len(exercise.hints)
    for path in (exercise.stub_path, exercise.solution_path, exercise.tests_path):
        assert path.is_file()
    assert exercise.file == exercise.id.replace(".", "/") + ".py"


def _api(path: Path) -> dict[str, object]:
    """Public top-level functions and classes (with their methods) and their signatures."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    api: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            api[node.name] = ast.dump(node.args)
        elif isinstance(node, ast.ClassDef):
            api[node.name] = {
                item.name: ast.dump(item.args)
                for item in node.body
                if isinstance(item, ast.FunctionDef)
            }
    return api


def _raises_not_implemented(fn: ast.FunctionDef) -> str | None:
    """The message of a body that is ``raise NotImplementedError("...")`` (after a docstring)."""
    body = [
        s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return None
    call = body[0].exc
    if not (isinstance(call, ast.Call) and getattr(call.func, "id", "") == "NotImplementedError"):
        return None
    return call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else ""


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_stub_matches_solution_and_asks_for_the_work(exercise: Exercise) -> None:
    stub_api, solution_api = _api(exercise.stub_path), _api(exercise.solution_path)
    assert stub_api == solution_api, "stub and solution must define the same names and signatures"
    tree = ast.parse(exercise.stub_path.read_text(encoding="utf-8"))
    todo = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and _raises_not_implemented(node) is not None
    ]
    assert todo, "the stub leaves nothing to do"
    for fn in todo:
        assert _raises_not_implemented(fn).startswith(exercise.id + ": "), fn.name
    assert ast.get_docstring(tree) and exercise.id in ast.get_docstring(tree)
    assert f"minigrad grade {exercise.id}" in ast.get_docstring(tree)
    load_file(exercise.stub_path, "stub_" + exercise.id.replace(".", "_"))  # it loads


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_graded_tests_carry_the_exercise_marker(exercise: Exercise) -> None:
    text = exercise.tests_path.read_text(encoding="utf-8")
    assert f'pytestmark = pytest.mark.exercise("{exercise.id}")' in text
    assert re.search(r"^def test_", text, re.M)
    tree = ast.parse(text)
    for node in tree.body:  # every graded check has a description for the student
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            assert ast.get_docstring(node), f"{node.name} needs a one-line docstring"


def _lesson_steps() -> dict[tuple[int, str], list[str]]:
    """(lesson, step id) -> the exercise ids its content.md names."""
    steps = {}
    for entry in catalog.entries():
        for section in load_content(entry.content_path()).sections:
            steps[(entry.number, section.id)] = list(section.meta.get("exercise", []))
    return steps


def test_lesson_steps_and_exercises_link_both_ways() -> None:
    steps = _lesson_steps()
    for (lesson, step), linked in steps.items():
        for exercise_id in linked:
            exercise = MANIFEST.get(exercise_id)  # UnknownExerciseError if it does not exist
            assert (exercise.lesson, exercise.step) == (lesson, step), exercise_id
    for exercise in EXERCISES:
        if exercise.lesson is not None:
            assert (exercise.lesson, exercise.step) in steps, f"{exercise.id}: no such lesson step"
    linked_ids = {i for ids in steps.values() for i in ids}
    # every exercise that belongs to a lesson step is named by that step
    assert linked_ids == {e.id for e in EXERCISES if e.lesson is not None}


def test_lookup_by_id_and_by_unique_name() -> None:
    assert MANIFEST.get("cells.gru").id == "cells.gru"
    assert MANIFEST.get("gru").id == "cells.gru"
    assert [e.id for e in MANIFEST.for_step(1, "model")][0] == "lesson1.rnn_cell"
    with pytest.raises(UnknownExerciseError, match=r"'cells\.gruu'.*Did you mean cells\.gru"):
        MANIFEST.get("cells.gruu")
    with pytest.raises(UnknownExerciseError) as info:
        MANIFEST.get("nothing")
    for exercise_id in IDS:  # the message lists the valid ids
        assert exercise_id in str(info.value)


def _write(tmp_path: Path, toml: str, files: tuple[str, ...] = ("a/b.py", "a/test_b.py")) -> Path:
    for folder in ("stubs", "solutions", "tests"):
        for f in files:
            (tmp_path / folder / f).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / f).write_text("")
    path = tmp_path / "manifest.toml"
    path.write_text(toml)
    return path


GOOD = """
[[exercise]]
id = "a.b"
title = "T"
points = 3
file = "a/b.py"
tests = "a/test_b.py"
hints = ["h1", "h2"]
"""


def test_a_small_manifest_parses(tmp_path: Path) -> None:
    manifest = parse_manifest(_write(tmp_path, GOOD))
    (exercise,) = manifest
    assert (exercise.id, exercise.points, exercise.order, exercise.lesson) == ("a.b", 3, 1, None)
    assert exercise.stub_path == tmp_path / "stubs" / "a" / "b.py"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("points = 3", "points = 0"), "points must be a positive integer"),
        (('id = "a.b"', 'id = "Bad Id"'), "an id looks like"),
        (('hints = ["h1", "h2"]', "hints = []"), "hints must be a non-empty list"),
        (('file = "a/b.py"', 'file = "../b.py"'), "relative path inside the folder"),
        (('file = "a/b.py"', 'file = "a/c.py"'), "stub file .* does not exist"),
        (("points = 3", "points = 3\ncolour = 1"), r"unknown keys \['colour'\]"),
        (('title = "T"', ""), r"missing keys \['title'\]"),
        (("points = 3", "points = 3\nstep = 'x'"), "step must be a step id, given together"),
        (('id = "a.b"', 'id = "a.b'), "not valid TOML"),
    ],
)
def test_broken_manifests_are_explained(tmp_path: Path, change: tuple[str, str], message: str):
    with pytest.raises(ManifestError, match=message):
        parse_manifest(_write(tmp_path, GOOD.replace(*change)))


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="appears in two exercises"):
        parse_manifest(_write(tmp_path, GOOD + GOOD))
    with pytest.raises(ManifestError, match=r"no \[\[exercise\]\] tables"):
        parse_manifest(_write(tmp_path, "title = 'x'\n"))
