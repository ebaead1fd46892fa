"""The registry of cells, filled through pluggy hooks.

``CellRegistry.load()`` builds a ``pluggy.PluginManager`` for the project
``minigrad``, registers the built-in plugins from an explicit list, loads each
third-party entry point of the group ``minigrad`` on its own (a broken one is
recorded in ``failures`` and skipped, unless ``MINIGRAD_STRICT_PLUGINS=1``), and
calls every plugin's ``minigrad_register_cells(register)``.

"Broken" means any exception while importing or registering a third-party
plugin, ``SystemExit`` included: a plugin that calls ``sys.exit()`` must not end
the program that loads it. Only ``KeyboardInterrupt`` (the user's Ctrl-C) goes
through.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from minigrad.cells import hookspecs
from minigrad.cells.cell import Cell, SequenceModule
from minigrad.errors import CellError, PluginError
from minigrad.version import __version__

#: The built-in plugins, registered explicitly (not through entry points), in order.
BUILTIN_PLUGINS = (
    "minigrad.plugins.basic_rnn",
    "minigrad.plugins.lstm",
    "minigrad.plugins.peephole_lstm",
    "minigrad.plugins.coupled_lstm",
    "minigrad.plugins.gru",
    "minigrad.plugins.layernorm_lstm",
    "minigrad.plugins.bidirectional",
    "minigrad.plugins.greff_lstm",
    "minigrad.plugins.jozefowicz",
)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

#: Set (to anything but "" or "0") to make a failing plugin an error with its traceback.
STRICT_ENV = "MINIGRAD_STRICT_PLUGINS"


def strict_from_env() -> bool:
    """True if ``MINIGRAD_STRICT_PLUGINS`` asks for strict plugin loading."""
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def _caught(exc: BaseException) -> bool:
    """Whether a plugin's exception is reported and the plugin skipped: all but Ctrl-C."""
    return not isinstance(exc, KeyboardInterrupt)


def _summary(exc: BaseException) -> str:
    """``RuntimeError: boom``, ``SystemExit: 0 (it called sys.exit)``: the exception, one line."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{text} (it called sys.exit)" if isinstance(exc, SystemExit) else text


@dataclass(frozen=True)
class CellInfo:
    """One registered cell: its class and where it came from."""

    name: str
    cls: type
    plugin: str
    distribution: str
    version: str
    aliases: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``"step"`` for a Cell, ``"sequence"`` for a SequenceModule."""
        return "sequence" if issubclass(self.cls, SequenceModule) else "step"

    @property
    def summary(self) -> str:
        """The first line of the class docstring."""
        doc = inspect.getdoc(self.cls) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""

    @property
    def state_layout(self) -> tuple[str, ...]:
        """Names of the parts of the cell's state."""
        return tuple(getattr(self.cls, "state_layout", ()))

    def options(self) -> dict[str, Any]:
        """The cell's options (keyword arguments of ``__init__``) and their defaults."""
        return cell_options(self.cls)


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded or whose hook failed.

    ``error`` is the exception on one line; ``traceback`` the full traceback
    (what ``MINIGRAD_STRICT_PLUGINS=1`` prints).
    """

    plugin: str
    distribution: str
    version: str
    error: str
    traceback: str = ""


@dataclass
class CellRegistry:
    """Name -> ``CellInfo``, plus the plugins that failed to load."""

    cells: dict[str, CellInfo] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    third_party: set[str] = field(default_factory=set)
    plugin_manager: pluggy.PluginManager | None = None

    # ------------------------------------------------------------ building
    @classmethod
    def load(
        cls,
        builtins: tuple[str, ...] = BUILTIN_PLUGINS,
        entry_points: bool = True,
        extra_plugins: tuple[Any, ...] = (),
        strict: bool | None = None,
    ) -> CellRegistry:
        """Build a registry from the built-ins, entry points and ``extra_plugins``."""
        if strict is None:
            strict = strict_from_env()
        registry = cls()
        pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        pm.add_hookspecs(hookspecs)
        registry.plugin_manager = pm
        sources: dict[str, tuple[str, str]] = {}
        version = __version__
        for module_name in builtins:
            pm.register(importlib.import_module(module_name), name=module_name)
            sources[module_name] = ("minigrad", version)
        for plugin in extra_plugins:
            name = getattr(plugin, "__name__", None) or repr(plugin)
            pm.register(plugin, name=name)
            sources[name] = ("(registered in code)", "")
        _check_hooks(pm)  # the built-ins and in-code plugins must be right: raise
        if entry_points:
            registry._load_entry_points(pm, sources, strict)
        registry._call_hooks(pm, sources, strict)
        return registry

    def _load_entry_points(
        self, pm: pluggy.PluginManager, sources: dict[str, tuple[str, str]], strict: bool
    ) -> None:
        for ep in metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else "?"
            dist_version = dist.version if dist is not None else "?"
            plugin_name = f"entry point '{ep.name}'"
            try:
                plugin = ep.load()
                pm.register(plugin, name=plugin_name)
                try:
                    _check_hooks(pm)
                except PluginError:
                    pm.unregister(name=plugin_name)
                    raise
            except BaseException as exc:  # SystemExit too: see the module docstring
                if not _caught(exc):
                    raise
                if strict:
                    raise PluginError(
                        f"plugin entry point '{ep.name}' ({ep.value}) from {dist_name} "
                        f"{dist_version} failed to load: {_summary(exc)}"
                    ) from exc
                self.failures.append(_failure(ep.name, dist_name, dist_version, exc))
                continue
            sources[plugin_name] = (dist_name, dist_version)
            self.third_party.add(plugin_name)

    def _call_hooks(
        self, pm: pluggy.PluginManager, sources: dict[str, tuple[str, str]], strict: bool
    ) -> None:
        # Each implementation is called on its own, in registration order (the
        # built-ins first), so that every cell is attributed to its plugin and
        # one failing third-party hook does not hide the rest.
        for impl in pm.hook.minigrad_register_cells.get_hookimpls():
            plugin_name = impl.plugin_name
            dist, version = sources.get(plugin_name, ("?", "?"))
            before = (dict(self.cells), dict(self.aliases))

            def register(name: str, cell_class: type, aliases: tuple[str, ...] = ()) -> None:
                self.add(name, cell_class, plugin_name, dist, version, aliases)  # noqa: B023

            try:
                impl.function(register=register)
            except BaseException as exc:  # SystemExit too: see the module docstring
                if not _caught(exc):
                    raise
                # Our own validation errors are fatal for built-in and in-code
                # plugins (a bug to fix now) and in strict mode; an installed
                # plugin's mistakes are reported and the plugin is skipped.
                fatal = strict or (
                    isinstance(exc, PluginError) and plugin_name not in self.third_party
                )
                if fatal:
                    if isinstance(exc, PluginError):
                        raise
                    raise PluginError(
                        f"plugin {plugin_name} ({dist} {version}): its minigrad_register_cells "
                        f"hook raised {_summary(exc)}"
                    ) from exc
                self.cells, self.aliases = before  # none of its cells half-registered
                self.failures.append(_failure(plugin_name, dist, version, exc))

    def add(
        self,
        name: str,
        cell_class: type,
        plugin: str = "(code)",
        distribution: str = "?",
        version: str = "?",
        aliases: tuple[str, ...] = (),
    ) -> None:
        """Register ``cell_class`` under ``name`` (and ``aliases``); what ``register`` calls."""
        if not (isinstance(cell_class, type) and issubclass(cell_class, (Cell, SequenceModule))):
            raise PluginError(
                f"plugin {plugin} registered {name!r} as {cell_class!r}, which is not a subclass "
                "of minigrad.cells.Cell (or SequenceModule)"
            )
        aliases = tuple(aliases)
        for n in (name, *aliases):
            if not isinstance(n, str) or not _NAME.match(n):
                raise PluginError(
                    f"plugin {plugin}: cell name {n!r} must be lowercase letters, digits and "
                    "underscores, starting with a letter"
                )
            owner = self.cells.get(n) or self.cells.get(self.aliases.get(n, ""))
            if owner is not None:
                raise PluginError(
                    f"cell name {n!r} is registered twice: by {owner.plugin} "
                    f"({owner.distribution}) and by {plugin} ({distribution}); "
                    "uninstall one of them or rename the cell"
                )
        self.cells[name] = CellInfo(name, cell_class, plugin, distribution, version, aliases)
        for a in aliases:
            self.aliases[a] = name

    # --------------------------------------------------------------- lookup
    def names(self) -> list[str]:
        """Registered names (aliases excluded), sorted."""
        return sorted(self.cells)

    def get(self, name: str) -> CellInfo:
        """The ``CellInfo`` for ``name`` or an alias; unknown names list close matches."""
        key = self.aliases.get(name, name)
        info = self.cells.get(key)
        if info is None:
            known = sorted([*self.cells, *self.aliases])
            close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise CellError(
                f"unknown cell {name!r}.{hint} Available: {', '.join(self.names())}. "
                "`minigrad cells` lists them with the plugins that provide them."
                + self._failures_note()
            )
        return info

    def _failures_note(self) -> str:
        """A sentence naming the plugins that failed (one of them may have had the cell)."""
        if not self.failures:
            return ""
        failed = "; ".join(f"{f.plugin} ({f.distribution}): {f.error}" for f in self.failures)
        return (
            f" {len(self.failures)} plugin(s) failed to load and were skipped, which may be "
            f"where it comes from: {failed}."
        )

    def create(self, name: str, input_size: int, hidden_size: int, **options: Any) -> Any:
        """Instantiate the cell ``name``; unknown options name the cell and its valid options."""
        info = self.get(name)
        check_options(info.cls, options, info.name)
        return info.cls(input_size, hidden_size, **options)


def _failure(plugin: str, distribution: str, version: str, exc: BaseException) -> PluginFailure:
    """A ``PluginFailure`` for ``exc``, with its one-line summary and its traceback."""
    text = "".join(traceback.format_exception(exc))
    return PluginFailure(plugin, distribution, version, _summary(exc), text)


def _check_hooks(pm: pluggy.PluginManager) -> None:
    """Raise ``PluginError`` if a registered plugin implements a hook that does not exist."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            f"a minigrad plugin defines a hook that does not exist: {exc}. "
            "The only hook is minigrad_register_cells(register); check its spelling."
        ) from exc


# ``type[object]``, not ``type``: the same classes, but mypy then reads ``cls.__init__`` as
# the class's own ``__init__`` rather than as ``type.__init__`` of an instance of ``type``.
def cell_options(cls: type[object]) -> dict[str, Any]:
    """Keyword options of a cell class's ``__init__`` beyond input and hidden size."""
    params = inspect.signature(cls.__init__).parameters
    options = {}
    for p in list(params.values())[1:]:
        if p.name in ("input_size", "hidden_size") or p.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            continue
        options[p.name] = None if p.default is inspect.Parameter.empty else p.default
    return options


def takes_any_option(cls: type[object]) -> bool:
    """True if the class's ``__init__`` has ``**kwargs`` (it may take options not listed)."""
    params = inspect.signature(cls.__init__).parameters.values()
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def check_options(cls: type, options: Mapping[str, Any], label: str | None = None) -> None:
    """Raise ``CellError`` if ``options`` has a keyword the cell does not take, listing its own."""
    valid = cell_options(cls)
    unknown = [k for k in options if k not in valid]
    if unknown and not takes_any_option(cls):
        listed = ", ".join(f"{k}={v!r}" for k, v in valid.items()) or "none"
        raise CellError(
            f"cell {label or cls.__name__!r} ({cls.__name__}) has no option "
            f"{', '.join(repr(k) for k in unknown)}; valid options: {listed}"
        )


def option_json(value: Any) -> Any:
    """An option's value as JSON (types and other objects become their name or repr)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, type):
        return value.__name__
    return repr(value)
