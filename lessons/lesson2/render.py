"""How lesson 2 draws each step's result."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table
from rich.text import Text

from minigrad.lessons.framework import LessonContext, side_by_side

BAR_WIDTH = 24


def render_cell(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The cell, its parameters and the check against lesson 1's formula."""
    table = Table(title="Parameters of the rnn plugin")
    table.add_column("name")
    table.add_column("shape")
    for name, shape in result["parameters"]:
        table.add_row(name, str(shape))
    return [
        Text(result["cell"]),
        table,
        Text(
            f"|plugin - lesson 1 formula| = {result['difference']:.2e} "
            f"(float32 rounding: the same cell)."
        ),
        Text(f"Registered cells: {', '.join(result['cells'])}", style="dim"),
    ]


def render_window(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """Shapes through dynamic_rnn, and the same loss from both drivers."""
    table = Table(title="One window through dynamic_rnn (batch first)")
    table.add_column("tensor")
    table.add_column("shape")
    for name, shape in result["shapes"]:
        table.add_row(name, str(shape))
    return [
        table,
        Text(
            f"loss with dynamic_rnn {result['dynamic_loss']:.6f}, "
            f"with static_rnn {result['static_loss']:.6f}"
        ),
    ]


def render_drivers(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """Same losses, and what each driver costs per window."""
    table = Table(title=f"static vs dynamic over {result['windows']:,} windows (medians)")
    table.add_column("driver")
    table.add_column("final loss", justify="right")
    table.add_column("graph building (forward) ms", justify="right")
    table.add_column("whole step ms", justify="right")
    for driver in ("static", "dynamic"):
        timing = result[driver]
        table.add_row(
            driver,
            f"{result['final_loss'][driver]:.4f}",
            f"{timing['forward_ms']:.3f}",
            f"{timing['step_ms']:.3f}",
        )
    same = result["max_abs_diff"]
    verdict = "identical" if same == 0 else f"equal to float32 rounding ({same:.1e})"
    shown: list[Any] = [result["chart"]] if "chart" in result else []
    shown += [
        table,
        Text(f"Largest difference between the two loss curves: {same:.2e}: {verdict}."),
    ]
    note = below_first_note(result)
    if note:
        shown.append(Text(note, style="yellow"))
    return shown


def below_first_note(result: dict[str, Any]) -> str:
    """Why a run whose windows cannot reach X_{t-8} may still end below lesson 1's "first" line.

    Empty when the run ends above that line (nothing to explain).
    """
    expected = result.get("expected")
    if not expected:
        return ""
    final = result["final_loss"]["dynamic"]
    if final >= expected["first"]:
        return ""
    return (
        f'The run ends at {final:.4f}, below lesson 1\'s "first" line ({expected["first"]:.3f}), '
        "though no error in a window of 5 backpropagates to X_{t-8}. The state carried "
        "from the previous window (detached: values, no graph) still holds traces of older "
        f"inputs, and with {result.get('state_size', 'its')} units the weights learn to "
        "read part of X_{t-8} from it, as lesson 1's windows of 2 read part of X_{t-3}. How "
        "much depends on the seed and the state size: see the lesson text."
    )


def render_lengths(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """Which outputs are computed, and the checks of the four rules."""
    grid = Table(title="outputs of a padded batch (■ computed, 0 zero-filled)")
    grid.add_column("example")
    grid.add_column("length", justify="right")
    steps = len(result["active"][0])
    for t in range(steps):
        grid.add_column(f"t={t + 1}", justify="center")
    for b, (length, row) in enumerate(zip(result["lengths"], result["active"])):
        grid.add_row(str(b), str(length), *("■" if on else "0" for on in row))
    checks = Table(title="What happens past each length")
    checks.add_column("check")
    checks.add_column("measured", justify="right")
    checks.add_row("largest |output| past the length", f"{result['padding_max_abs']:.1e}")
    checks.add_row(
        "|final state - output at the last real step|", f"{result['final_vs_last_output']:.1e}"
    )
    checks.add_row("|final state - same sequence run alone|", f"{result['final_vs_alone']:.1e}")
    checks.add_row("loss with ignore_index on padding", f"{result['masked_loss']:.5f}")
    checks.add_row("mean loss over the real steps", f"{result['mean_over_real_steps']:.5f}")
    checks.add_row("mean loss over every step (wrong)", f"{result['mean_over_all_steps']:.5f}")
    return [grid, checks]


def _bar(value: float, low: float, high: float, width: int) -> str:
    """A log-scale bar: the length says the order of magnitude."""
    if value <= 0 or not math.isfinite(value):
        return ""
    span = max(high - low, 1e-12)
    fraction = (math.log10(value) - low) / span
    return "█" * max(1, round(fraction * width))


def render_gradients(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """Side-by-side log-scale charts and a table with bars, k = T down to 1."""
    k = result["k"]
    norms = result["norms"]
    names = list(norms)
    charts = []
    for group in ([n for n in names if "rnn" in n], [n for n in names if "rnn" not in n]):
        chart = ctx.chart(
            f"|dL_T/ds_k|: {' and '.join(group)}",
            height=10,
            log_y=True,
            x_label="k (T on the right)",
            y_label="gradient norm",
        )
        for name in group:
            chart.add_series(name, k, norms[name])
        charts.append(chart)
    positive = [v for values in norms.values() for v in values if v > 0]
    low = math.log10(min(positive)) if positive else 0.0
    high = math.log10(max(positive)) if positive else 1.0
    table = Table(title="norm of dL_T/ds_k, log-scale bars (longer = larger)")
    table.add_column("k", justify="right", min_width=2)
    for name in names:
        table.add_column(name, no_wrap=True, overflow="crop")
    # Each column holds "1.0e-03 " and a bar; share what the console leaves.
    bar_width = max(3, min(BAR_WIDTH, (ctx.console.width - 8) // len(names) - 13))
    total = len(k)
    shown = sorted({total, total - 1, total - 2, *range(total, 0, -max(1, total // 8)), 1})
    for step in reversed(shown):
        if step < 1:
            continue
        cells = []
        for name in names:
            value = norms[name][step - 1]
            cells.append(f"{value:8.1e} {_bar(value, low, high, bar_width)}")
        table.add_row(str(step), *cells)
    ratios = ", ".join(
        f"{name}: {values[0] / values[-1]:.1e}" for name, values in norms.items() if values[-1] > 0
    )
    return [
        side_by_side(charts),
        table,
        Text(f"|dL_T/ds_1| / |dL_T/ds_T| — {ratios}", style="bold"),
    ]


__all__ = [
    "render_cell",
    "render_drivers",
    "render_gradients",
    "render_lengths",
    "render_window",
]
