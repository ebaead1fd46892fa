"""The registration check: the registry maps the cell's name and aliases to its class."""

from __future__ import annotations

from minigrad.cells.conformance.report import SkipCheck
from minigrad.cells.conformance.subject import CellSubject, default_registry
from minigrad.cells.conformance.support import expect


def check_registration(subject: CellSubject) -> str:
    """The registry maps the name (and aliases) to this class, from a plugin."""
    registry = subject.registry
    if subject.name is None:
        if registry is None:
            raise SkipCheck("given a class, not a registered name (pass a name to check the hook)")
        names = [info.name for info in registry.cells.values() if info.cls is subject.cls]
        expect(bool(names), f"{subject.cls.__name__} is not registered in the given registry")
        return f"registered as {', '.join(names)}"
    registry = registry if registry is not None else default_registry()
    info = registry.get(subject.name)
    expect(info.cls is subject.cls, f"{subject.name!r} resolves to {info.cls!r}")
    expect(bool(info.plugin), f"{subject.name!r} is not attributed to a plugin")
    for alias in info.aliases:
        expect(registry.get(alias) is info, f"alias {alias!r} does not resolve to {info.name!r}")
    made = registry.create(subject.name, subject.input_size, subject.hidden_size, **subject.options)
    expect(isinstance(made, subject.cls), f"registry.create returned {type(made).__name__}")
    aliases = f" (aliases {', '.join(info.aliases)})" if info.aliases else ""
    return f"{info.name!r}{aliases} from plugin {info.plugin} ({info.distribution})"
