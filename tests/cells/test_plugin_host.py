"""The plugin host: built-ins, entry points, failures, strict mode and the registry's rules.

Third-party plugins are real installed distributions here: each test writes a
``*.dist-info`` folder (METADATA and entry_points.txt) and the plugin modules
into a temporary folder and puts it on ``sys.path``, which is exactly where
``importlib.metadata`` finds a pip-installed package.
"""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import minigrad as mg
from minigrad import cells
from minigrad.cells import BUILTIN_PLUGINS, Cell, CellRegistry
from minigrad.errors import CellError, PluginError

BUILTIN_NAMES = {
    "rnn",
    "lstm",
    "peephole_lstm",
    "coupled_lstm",
    "gru",
    "layernorm_lstm",
    "bidirectional",
}
ONLY_RNN = ("minigrad.plugins.basic_rnn",)


class EchoCell(Cell):
    """A cell for registry tests: h_t = x_t (needs input_size == hidden_size)."""

    def forward(self, x_t: mg.Tensor, state: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """Return the input as output and new state."""
        return x_t, x_t


def plugin(name: str, hook: Callable[[Any], None]) -> types.ModuleType:
    """A plugin module object named ``name`` whose hook is ``hook``."""
    module = types.ModuleType(name)
    module.minigrad_register_cells = mg.hookimpl(hook)
    return module


def registers(*entries: tuple[str, type, tuple[str, ...]]) -> Callable[[Any], None]:
    """A hook body that registers each (name, class, aliases)."""

    def hook(register: Any) -> None:
        for name, cls, aliases in entries:
            register(name, cls, aliases=aliases)

    return hook


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Path]]:
    """Install a fake distribution: ``install(name, version, entry_points, modules)``.

    ``entry_points`` maps entry-point names to module names (group ``minigrad``);
    ``modules`` maps module names to their source. The modules are forgotten
    from ``sys.modules`` after the test.
    """
    created: list[str] = []

    def make(
        name: str, version: str, entry_points: dict[str, str], modules: dict[str, str]
    ) -> Path:
        site = tmp_path / f"site-{name}"
        dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        lines = ["[minigrad]", *(f"{k} = {v}" for k, v in entry_points.items())]
        (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for module, source in modules.items():
            (site / f"{module}.py").write_text(textwrap.dedent(source))
            created.append(module)
        monkeypatch.syspath_prepend(str(site))
        return site

    yield make
    for module in created:
        sys.modules.pop(module, None)


GOOD_PLUGIN = """
    import minigrad as mg
    from minigrad.cells import Cell

    class ThirdPartyCell(Cell):
        '''A third-party cell: h_t = x_t.'''

        def forward(self, x_t, state):
            return x_t, x_t

    @mg.hookimpl
    def minigrad_register_cells(register):
        register("third_party", ThirdPartyCell, aliases=("tp",))
"""


# ------------------------------------------------------------------ built-ins
def test_builtins_are_registered_explicitly_with_their_plugin_and_distribution() -> None:
    reg = CellRegistry.load(entry_points=False)
    assert BUILTIN_NAMES <= set(reg.names())
    version = mg.__version__
    for name in BUILTIN_NAMES:
        info = reg.get(name)
        module = "basic_rnn" if name == "rnn" else name
        assert info.plugin == f"minigrad.plugins.{module}"
        assert info.plugin in BUILTIN_PLUGINS
        assert (info.distribution, info.version) == ("minigrad", version)
    assert reg.failures == []


def test_builtins_do_not_come_from_entry_points() -> None:
    own = importlib.metadata.distribution("minigrad").entry_points
    assert [ep for ep in own if ep.group == "minigrad"] == []
    reg = CellRegistry.load(builtins=(), entry_points=True)
    assert not BUILTIN_NAMES & set(reg.names())


def test_kind_summary_layout_and_options_of_a_builtin() -> None:
    reg = CellRegistry.load(builtins=ONLY_RNN, entry_points=False)
    info = reg.get("rnn")
    assert info.kind == "step"
    assert info.state_layout == ("s",)
    assert info.summary.startswith("Basic RNN cell")
    assert info.options()["activation"] == "tanh"
    assert {"dtype", "device", "rng"} <= set(info.options())


# --------------------------------------------------------------- entry points
def test_an_installed_entry_point_registers_its_cells(install: Callable[..., Path]) -> None:
    install("fake-cells", "1.2.3", {"good": "hosttest_good"}, {"hosttest_good": GOOD_PLUGIN})
    reg = CellRegistry.load(builtins=ONLY_RNN)
    info = reg.get("third_party")
    assert info.cls.__name__ == "ThirdPartyCell"
    assert (info.plugin, info.distribution, info.version) == (
        "entry point 'good'",
        "fake-cells",
        "1.2.3",
    )
    assert reg.get("tp") is info
    assert "rnn" in reg.names()


def test_a_broken_entry_point_is_reported_and_skipped(install: Callable[..., Path]) -> None:
    install(
        "fake-cells",
        "1.2.3",
        {"broken": "hosttest_broken", "good": "hosttest_good2"},
        {
            "hosttest_broken": "raise RuntimeError('the plugin could not find its weights')\n",
            "hosttest_good2": GOOD_PLUGIN,
        },
    )
    reg = CellRegistry.load(builtins=ONLY_RNN, strict=False)
    assert {"rnn", "third_party"} <= set(reg.names())  # the others still load
    (failure,) = reg.failures
    assert (failure.plugin, failure.distribution, failure.version) == (
        "broken",
        "fake-cells",
        "1.2.3",
    )
    assert failure.error == "RuntimeError: the plugin could not find its weights"


def test_an_entry_point_naming_a_missing_module_is_reported(
    install: Callable[..., Path],
) -> None:
    install("ghost-cells", "0.0.1", {"ghost": "hosttest_no_such_module"}, {})
    reg = CellRegistry.load(builtins=ONLY_RNN, strict=False)
    (failure,) = reg.failures
    assert failure.plugin == "ghost" and failure.distribution == "ghost-cells"
    assert failure.error.startswith("ModuleNotFoundError")
    assert "hosttest_no_such_module" in failure.error


@pytest.mark.parametrize("value", ["1", "yes"])
def test_strict_mode_reraises_a_broken_entry_point(
    install: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    install(
        "fake-cells",
        "1.2.3",
        {"broken": "hosttest_broken_strict"},
        {"hosttest_broken_strict": "raise RuntimeError('boom at import')\n"},
    )
    monkeypatch.setenv("MINIGRAD_STRICT_PLUGINS", value)
    with pytest.raises(PluginError) as info:
        CellRegistry.load(builtins=ONLY_RNN)
    message = str(info.value)
    for part in ("'broken'", "hosttest_broken_strict", "fake-cells", "1.2.3", "boom at import"):
        assert part in message
    assert isinstance(info.value.__cause__, RuntimeError)


def test_strict_zero_or_empty_means_not_strict(
    install: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    install(
        "fake-cells",
        "1.2.3",
        {"broken": "hosttest_broken_lax"},
        {"hosttest_broken_lax": "raise RuntimeError('boom')\n"},
    )
    for value in ("0", ""):
        monkeypatch.setenv("MINIGRAD_STRICT_PLUGINS", value)
        assert len(CellRegistry.load(builtins=ONLY_RNN).failures) == 1


def test_reload_picks_up_a_newly_installed_plugin(
    install: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cells, "_registry", None)  # restored after the test
    assert "third_party" not in cells.available()
    install("fake-cells", "1.2.3", {"good": "hosttest_good3"}, {"hosttest_good3": GOOD_PLUGIN})
    assert "third_party" not in cells.available()  # the registry is built once...
    cells.reload()
    assert "third_party" in cells.available()  # ...and rebuilt on request
    assert cells.get("tp").distribution == "fake-cells"
    assert cells.failures() == []


# ------------------------------------------------------------- hook problems
def test_a_misspelt_hook_name_is_an_error_not_silence() -> None:
    def minigrad_register_cell(register: Any) -> None:  # missing the final "s"
        register("echo", EchoCell)

    typo = types.ModuleType("typo_plugin")
    typo.minigrad_register_cell = mg.hookimpl(minigrad_register_cell)
    with pytest.raises(PluginError) as info:
        CellRegistry.load(builtins=ONLY_RNN, entry_points=False, extra_plugins=(typo,))
    message = str(info.value)
    assert "minigrad_register_cell'" in message
    assert "typo_plugin" in message
    assert "minigrad_register_cells(register)" in message


def test_a_misspelt_hook_in_an_installed_plugin_is_reported_and_skipped(
    install: Callable[..., Path],
) -> None:
    source = GOOD_PLUGIN.replace("def minigrad_register_cells", "def minigrad_register_cell")
    install("typo-cells", "2.0", {"typo": "hosttest_typo"}, {"hosttest_typo": source})
    reg = CellRegistry.load(builtins=ONLY_RNN, strict=False)
    (failure,) = reg.failures
    assert (failure.plugin, failure.distribution, failure.version) == ("typo", "typo-cells", "2.0")
    assert "minigrad_register_cell'" in failure.error and "check its spelling" in failure.error
    assert reg.names() == ["rnn"]  # the tool keeps working with the rest


def test_a_misspelt_hook_in_an_installed_plugin_raises_in_strict_mode(
    install: Callable[..., Path],
) -> None:
    source = GOOD_PLUGIN.replace("def minigrad_register_cells", "def minigrad_register_cell")
    install("typo-cells", "2.0", {"typo": "hosttest_typo_s"}, {"hosttest_typo_s": source})
    with pytest.raises(PluginError, match="hosttest_typo_s.*check its spelling"):
        CellRegistry.load(builtins=ONLY_RNN, strict=True)


def test_an_installed_plugin_clashing_with_a_builtin_is_skipped_naming_both(
    install: Callable[..., Path],
) -> None:
    source = GOOD_PLUGIN.replace(
        'register("third_party", ThirdPartyCell, aliases=("tp",))',
        'register("mine", ThirdPartyCell)\n        register("rnn", ThirdPartyCell)',
    )
    install("clash-cells", "0.1", {"clash": "hosttest_clash"}, {"hosttest_clash": source})
    reg = CellRegistry.load(builtins=ONLY_RNN, strict=False)
    (failure,) = reg.failures
    assert failure.distribution == "clash-cells"
    assert "'rnn' is registered twice" in failure.error
    assert "minigrad.plugins.basic_rnn" in failure.error and "clash-cells" in failure.error
    assert reg.names() == ["rnn"]  # "mine" was rolled back with the rest of the plugin
    assert reg.get("rnn").plugin == "minigrad.plugins.basic_rnn"
    with pytest.raises(PluginError, match="'rnn' is registered twice"):
        CellRegistry.load(builtins=ONLY_RNN, strict=True)


def test_two_plugins_registering_one_name_is_an_error_naming_both() -> None:
    first = plugin("first_plugin", registers(("echo", EchoCell, ())))
    second = plugin("second_plugin", registers(("echo", EchoCell, ())))
    with pytest.raises(PluginError) as info:
        CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(first, second))
    message = str(info.value)
    assert "'echo'" in message and "first_plugin" in message and "second_plugin" in message


def test_a_name_clashing_with_a_builtin_names_the_builtin_plugin() -> None:
    clash = plugin("clash_plugin", registers(("my_rnn", EchoCell, ("rnn",))))
    with pytest.raises(PluginError, match="'rnn' is registered twice") as info:
        CellRegistry.load(builtins=ONLY_RNN, entry_points=False, extra_plugins=(clash,))
    assert "minigrad.plugins.basic_rnn (minigrad)" in str(info.value)
    assert "clash_plugin" in str(info.value)


def test_a_hook_that_raises_is_reported_naming_the_plugin() -> None:
    def hook(register: Any) -> None:
        register("echo", EchoCell)
        raise ValueError("a bug in the plugin")

    broken = plugin("raising_plugin", hook)
    good = plugin("good_plugin", registers(("echo2", EchoCell, ())))
    reg = CellRegistry.load(builtins=ONLY_RNN, entry_points=False, extra_plugins=(broken, good))
    (failure,) = reg.failures
    assert failure.plugin == "raising_plugin"
    assert failure.error == "ValueError: a bug in the plugin"
    assert {"rnn", "echo2"} <= set(reg.names())


def test_a_hook_that_raises_in_strict_mode_is_a_plugin_error() -> None:
    def hook(register: Any) -> None:
        raise ValueError("a bug in the plugin")

    broken = plugin("raising_plugin", hook)
    with pytest.raises(PluginError, match="raising_plugin.*ValueError: a bug in the plugin") as e:
        CellRegistry.load(
            builtins=ONLY_RNN, entry_points=False, extra_plugins=(broken,), strict=True
        )
    assert isinstance(e.value.__cause__, ValueError)


@pytest.mark.parametrize(
    "thing",
    [int, EchoCell(2, 2), mg.nn.Linear, "EchoCell"],
    ids=["int", "an-instance", "a-module-not-a-cell", "a-string"],
)
def test_registering_something_that_is_not_a_cell_class_is_an_error(thing: Any) -> None:
    bad = plugin("bad_plugin", registers(("bad", thing, ())))
    with pytest.raises(PluginError, match="bad_plugin.*not a subclass of minigrad.cells.Cell"):
        CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(bad,))


@pytest.mark.parametrize("name", ["Echo", "echo-cell", "1echo", "", "echo cell"])
def test_names_must_be_lowercase_identifiers(name: str) -> None:
    bad = plugin("naming_plugin", registers((name, EchoCell, ())))
    with pytest.raises(PluginError, match="naming_plugin.*lowercase letters"):
        CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(bad,))


# ------------------------------------------------------------ names and lookup
def test_aliases_resolve_to_the_same_cell_and_are_not_listed_as_names() -> None:
    p = plugin("alias_plugin", registers(("echo", EchoCell, ("parrot", "mirror"))))
    reg = CellRegistry.load(builtins=ONLY_RNN, entry_points=False, extra_plugins=(p,))
    info = reg.get("echo")
    assert reg.get("parrot") is info and reg.get("mirror") is info
    assert info.aliases == ("parrot", "mirror")
    assert reg.get("basic_rnn") is reg.get("rnn")
    assert reg.names() == ["echo", "rnn"]
    assert isinstance(reg.create("mirror", 3, 3), EchoCell)


def test_an_alias_taken_by_another_plugin_is_an_error() -> None:
    first = plugin("first_plugin", registers(("echo", EchoCell, ("parrot",))))
    second = plugin("second_plugin", registers(("echo2", EchoCell, ("parrot",))))
    with pytest.raises(PluginError, match="'parrot' is registered twice") as info:
        CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(first, second))
    assert "first_plugin" in str(info.value) and "second_plugin" in str(info.value)


def test_an_unknown_name_suggests_close_matches() -> None:
    reg = CellRegistry.load(entry_points=False)
    with pytest.raises(CellError) as info:
        reg.get("lstn")
    message = str(info.value)
    assert "unknown cell 'lstn'" in message
    assert "Did you mean 'lstm'" in message
    assert "Available: bidirectional, coupled_lstm" in message
    assert "minigrad cells" in message


def test_an_unknown_name_without_a_close_match_lists_what_exists() -> None:
    reg = CellRegistry.load(builtins=ONLY_RNN, entry_points=False)
    with pytest.raises(CellError) as info:
        reg.get("transformer")
    assert "Did you mean" not in str(info.value)
    assert "Available: rnn." in str(info.value)


def test_create_rejects_unknown_options_listing_the_valid_ones() -> None:
    reg = CellRegistry.load(builtins=ONLY_RNN, entry_points=False)
    with pytest.raises(CellError, match=r"no option 'activaton'.*activation='tanh'"):
        reg.create("rnn", 3, 4, activaton="relu")
    cell = reg.create("basic_rnn", 3, 4, activation="relu")
    assert cell.activation == "relu" and (cell.input_size, cell.hidden_size) == (3, 4)


def test_registered_in_code_plugins_are_attributed_to_code() -> None:
    p = plugin("in_code_plugin", registers(("echo", EchoCell, ())))
    reg = CellRegistry.load(builtins=(), entry_points=False, extra_plugins=(p,))
    info = reg.get("echo")
    assert (info.plugin, info.distribution) == ("in_code_plugin", "(registered in code)")


# ------------------------------------------------- plugins that exit or escape
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sys\nsys.exit(0)\n", "SystemExit: 0 (it called sys.exit)"),
        ("import sys\nsys.exit()\n", "SystemExit (it called sys.exit)"),
        ("raise SystemExit('no GPU here, bye')\n", "SystemExit: no GPU here, bye"),
        (
            "class Escape(BaseException):\n    pass\nraise Escape('not an Exception')\n",
            "Escape: not an Exception",
        ),
    ],
    ids=["exit-0", "exit-none", "exit-message", "base-exception"],
)
def test_a_plugin_that_exits_on_import_is_reported_and_skipped(
    install: Callable[..., Path], source: str, expected: str
) -> None:
    module = f"hosttest_exit_{abs(hash(source))}"
    install(
        "exit-cells",
        "0.3",
        {"exiter": module, "good": "hosttest_good_after_exit"},
        {module: source, "hosttest_good_after_exit": GOOD_PLUGIN},
    )
    reg = CellRegistry.load(builtins=ONLY_RNN, strict=False)  # returns: nothing ends here
    assert {"rnn", "third_party"} <= set(reg.names())
    (failure,) = reg.failures
    assert (failure.plugin, failure.distribution, failure.version) == (
        "exiter",
        "exit-cells",
        "0.3",
    )
    assert failure.error.startswith(expected)
    assert failure.traceback.startswith("Traceback (most recent call last)")
    assert module in failure.traceback  # the plugin's own frame, for its author


def test_a_hook_that_exits_is_reported_and_its_cells_rolled_back() -> None:
    def hook(register: Any) -> None:
        register("echo", EchoCell)
        raise SystemExit(2)

    reg = CellRegistry.load(
        builtins=ONLY_RNN, entry_points=False, extra_plugins=(plugin("exiting_hook", hook),)
    )
    (failure,) = reg.failures
    assert failure.plugin == "exiting_hook" and failure.error.startswith("SystemExit: 2")
    assert reg.names() == ["rnn"]


def test_ctrl_c_while_loading_a_plugin_still_stops(install: Callable[..., Path]) -> None:
    install(
        "ctrlc-cells",
        "1.0",
        {"ctrlc": "hosttest_ctrlc"},
        {"hosttest_ctrlc": "raise KeyboardInterrupt\n"},
    )
    with pytest.raises(KeyboardInterrupt):
        CellRegistry.load(builtins=ONLY_RNN, strict=False)


def test_strict_mode_turns_an_exiting_plugin_into_a_plugin_error(
    install: Callable[..., Path],
) -> None:
    install(
        "exit-cells",
        "0.3",
        {"exiter": "hosttest_exit_s"},
        {"hosttest_exit_s": "raise SystemExit(0)\n"},
    )
    with pytest.raises(PluginError, match="'exiter'.*SystemExit: 0") as info:
        CellRegistry.load(builtins=ONLY_RNN, strict=True)
    assert isinstance(info.value.__cause__, SystemExit)


def test_available_survives_a_plugin_that_exits(
    install: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cells, "_registry", None)  # restored after the test
    install(
        "exit-cells",
        "0.3",
        {"exiter": "hosttest_exit_a"},
        {"hosttest_exit_a": "raise SystemExit(0)\n"},
    )
    assert "rnn" in cells.available()
    assert [f.plugin for f in cells.failures()] == ["exiter"]


def test_an_unknown_name_mentions_the_plugins_that_failed(install: Callable[..., Path]) -> None:
    install(
        "exit-cells",
        "0.3",
        {"exiter": "hosttest_exit_u"},
        {"hosttest_exit_u": "raise SystemExit(0)\n"},
    )
    reg = CellRegistry.load(builtins=ONLY_RNN, strict=False)
    with pytest.raises(CellError) as info:
        reg.get("mgu")
    message = str(info.value)
    assert "unknown cell 'mgu'" in message
    assert "1 plugin(s) failed to load" in message and "exiter (exit-cells)" in message
