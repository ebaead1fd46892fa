"""The docstring rule: a cell's own docstring carries its equations and parameter shapes."""

from __future__ import annotations

import inspect
import re

from minigrad.cells.cell import SequenceModule
from minigrad.cells.conformance.subject import CellSubject
from minigrad.cells.conformance.support import expect

_EQUATION = re.compile(r"(?<![=!<>])=(?!=)")
_SHAPE = re.compile(r"\[[^\]]+\]")


def docstring_problems(cls: type) -> list[str]:
    """Why ``cls``'s own docstring does not meet the rule (an empty list if it does).

    The rule, for the class's *own* docstring (an inherited one does not count):

    1. it exists and its first line (the summary ``minigrad cells`` shows) is
       not empty;
    2. an *equation line* is a line with an ``=`` that is not part of ``==``,
       ``!=``, ``<=`` or ``>=``. For a step cell, some equation line mentions
       ``x_t``, and for every name ``n`` in ``state_layout`` some equation line
       mentions ``n_t`` or ``n_{t`` (``h_t``, ``c_{t-1}``). For a sequence
       module, there is at least one equation line and the docstring shows
       the batch-first input shape as ``[B, T, ...]``;
    3. for a step cell, every parameter (by its attribute name, the first part
       of its name in ``named_parameters()``) is named, as a whole word, on a
       line that also shows a shape in brackets, e.g. ``U`` [I, 4H]. For a
       sequence module, every sub-module and parameter attribute is named.

    The parameter names come from an instance built with input size 3 and
    hidden size 4; if that fails, rule 3 is reported as not checkable.
    """
    doc = cls.__dict__.get("__doc__")
    if not doc or not doc.strip():
        return [f"{cls.__name__} has no docstring of its own (the equations belong there)"]
    lines = inspect.cleandoc(doc).splitlines()
    problems = []
    if not lines[0].strip():
        problems.append("the first line (the one-line summary) is empty")
    equations = [line for line in lines if _EQUATION.search(line)]
    sequence = issubclass(cls, SequenceModule)
    if not equations:
        problems.append("no equation line (a line with '=' such as 'h_t = tanh(...)')")
    elif sequence:
        if not any(re.search(r"\[B,\s*T\b", line) for line in lines):
            problems.append("the batch-first input shape '[B, T, ...]' is not shown")
    else:
        if not any("x_t" in line for line in equations):
            problems.append("no equation line mentions the input x_t")
        for part in getattr(cls, "state_layout", ()):
            mention = re.compile(rf"(?<![\w]){re.escape(part)}_(t\b|\{{t)")
            if not any(mention.search(line) for line in equations):
                problems.append(
                    f"no equation line mentions the state part {part!r} as {part}_t or {part}_{{t"
                )
    names = _attribute_names(cls)
    if names is None:
        problems.append("could not build an instance to list its parameters")
        return problems
    for name in names:
        word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
        where = [line for line in lines if word.search(line)]
        if sequence and not where:
            problems.append(f"sub-module or parameter {name!r} is not named")
        elif not sequence and not any(_SHAPE.search(line) for line in where):
            problems.append(f"parameter {name!r} is not named next to its shape, e.g. [H, 4H]")
    return problems


def _attribute_names(cls: type) -> list[str] | None:
    try:
        module = CellSubject(cls).build()
    except Exception:
        return None
    names = [n.split(".")[0] for n, _ in module.named_parameters()]
    if isinstance(module, SequenceModule):
        names += list(module._modules)
    return list(dict.fromkeys(names))


def check_docstring(subject: CellSubject) -> str:
    """The class docstring carries the equations and parameter shapes (see docstring_problems)."""
    problems = docstring_problems(subject.cls)
    expect(not problems, "; ".join(problems))
    return "summary line, equations" + (
        " with x_t and every state part" if subject.kind == "step" else " and [B, T, ...] shape"
    )
