"""Old import paths that still work after modules moved to their present homes.

minigrad's layout gives each role one name (``minigrad.cells.drivers`` runs
cells over time, ``minigrad.cells.conformance`` checks them, ...). Code and
plugins written against earlier spellings keep working: ``import
minigrad.rnn`` gives the very module ``minigrad.cells.drivers``, not a copy,
so patching or ``isinstance`` checks behave the same through either name.

How: a finder at the *end* of ``sys.meta_path`` answers only for the names in
``MOVED`` (a real module of that name, if one ever exists, wins), imports the
new home, and hands that module back under the old name.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

#: Old module name -> where it lives now.
MOVED: dict[str, str] = {
    "minigrad.rnn": "minigrad.cells.drivers",
    "minigrad.recurrent": "minigrad.cells.layer",
    "minigrad.hookspecs": "minigrad.cells.hookspecs",
    "minigrad.testing": "minigrad.cells.conformance",
    "minigrad.cells.base": "minigrad.cells.cell",
    "minigrad.fused.rnn": "minigrad.fused.basic_rnn",
    "minigrad.fused.cuda_kernels": "minigrad.fused.cuda",
    "minigrad.plugins.rnn": "minigrad.plugins.basic_rnn",
    "minigrad.plugins._init": "minigrad.plugins.parameters",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old names of ``MOVED`` and loads them as their new module."""

    def __init__(self) -> None:
        self._real_specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(MOVED[spec.name])
        # The import system stamps the old name's spec on the module it gets;
        # keep the real one so that the module still knows where it lives.
        self._real_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        old_spec = module.__spec__
        assert old_spec is not None  # the import system stamped it before calling exec_module
        module.__spec__ = self._real_specs.pop(old_spec.name)


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (``import minigrad`` calls this)."""
    if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())
