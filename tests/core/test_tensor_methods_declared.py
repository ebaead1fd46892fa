"""``Tensor``'s ``if TYPE_CHECKING:`` block declares exactly what ``minigrad.ops.methods`` binds.

``bind_tensor_methods`` attaches the operators and methods at import time, which type
checkers and editors cannot see; ``tensor.py`` declares them for those tools only. Read
with ``ast`` (the block never runs), the declarations must name the same set as the
tables, and each must take the arguments of its functional op after the tensor, with
the same annotations (compared as written, as strings).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import minigrad  # noqa: F401 - binds the methods
from minigrad.ops import methods
from minigrad.tensor import Tensor

TENSOR_PY = Path(__file__).resolve().parents[2] / "minigrad" / "tensor.py"


def _declared() -> dict[str, ast.FunctionDef]:
    """The functions defined under ``if TYPE_CHECKING:`` in the body of class ``Tensor``."""
    tree = ast.parse(TENSOR_PY.read_text(encoding="utf-8"))
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor"]
    blocks = [
        n
        for n in cls.body
        if isinstance(n, ast.If) and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1, "class Tensor should have one `if TYPE_CHECKING:` block"
    return {n.name: n for n in blocks[0].body if isinstance(n, ast.FunctionDef)}


def _bound() -> dict[str, Callable[..., Any]]:
    return {**methods.OPERATORS, **methods.METHODS, **methods.PROPERTIES}


def test_declared_names_equal_bound_names() -> None:
    declared, bound = set(_declared()), set(_bound())
    assert "T" in bound
    assert declared == bound, (
        f"bound but not declared in tensor.py: {sorted(bound - declared)}; "
        f"declared but not bound by minigrad.ops.methods: {sorted(declared - bound)}"
    )


def test_every_bound_name_is_on_tensor() -> None:
    for name in _bound():
        assert hasattr(Tensor, name), name
    assert isinstance(vars(Tensor)["T"], property)


def test_properties_are_declared_as_properties() -> None:
    declared = _declared()
    for name in methods.PROPERTIES:
        decorators = [d.id for d in declared[name].decorator_list if isinstance(d, ast.Name)]
        assert decorators == ["property"], name
    for name in {**methods.OPERATORS, **methods.METHODS}:
        assert not declared[name].decorator_list, name


def _annotation(node: ast.expr | None) -> Any:
    return inspect.Parameter.empty if node is None else ast.unparse(node)


def _stub_parameters(fn: ast.FunctionDef) -> list[tuple[str, str, Any, Any]]:
    """(name, kind, default, annotation) of each parameter after ``self``."""
    args = fn.args
    assert not args.posonlyargs and args.kwarg is None, f"{fn.name}: unexpected parameters"
    empty = inspect.Parameter.empty
    defaults: list[Any] = [empty] * (len(args.args) - len(args.defaults))
    defaults += [ast.literal_eval(d) for d in args.defaults]
    params = [
        (a.arg, "POSITIONAL_OR_KEYWORD", d, _annotation(a.annotation))
        for a, d in zip(args.args, defaults)
    ]
    if args.vararg is not None:
        params.append(
            (args.vararg.arg, "VAR_POSITIONAL", empty, _annotation(args.vararg.annotation))
        )
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        default = empty if d is None else ast.literal_eval(d)
        params.append((a.arg, "KEYWORD_ONLY", default, _annotation(a.annotation)))
    assert params and params[0][0] == "self", f"{fn.name} should take self first"
    return params[1:]


def test_declared_signatures_follow_the_functional_ops() -> None:
    declared = _declared()
    for name, fn in _bound().items():
        signature = inspect.signature(fn)  # annotations stay strings (``from __future__``)
        ops_params = list(signature.parameters.values())[1:]
        expected = [(p.name, p.kind.name, p.default, p.annotation) for p in ops_params]
        where = f"Tensor.{name} in tensor.py and {fn.__module__}.{fn.__name__}"
        assert _stub_parameters(declared[name]) == expected, f"{where} take different arguments"
        returns = _annotation(declared[name].returns)
        assert returns == signature.return_annotation == "Tensor", f"{where} return types"
