"""``--plot FILE.png``: the lesson's terminal charts drawn again with matplotlib.

matplotlib is an optional extra (``pip install 'minigrad[plot]'``); without it
``require_matplotlib`` raises an error that says so, before any training runs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from minigrad.errors import MinigradError
from minigrad.lessons.framework.chart import LineChart

_COLOURS = {
    "cyan": "tab:cyan",
    "magenta": "tab:purple",
    "green": "tab:green",
    "bright_blue": "tab:blue",
    "red": "tab:red",
    "bright_yellow": "tab:olive",
    "yellow": "tab:orange",
}


class PlotUnavailableError(MinigradError):
    """``--plot`` was asked for but matplotlib is not installed."""


def matplotlib_available() -> bool:
    """Whether matplotlib can be imported."""
    return importlib.util.find_spec("matplotlib") is not None


def require_matplotlib(path: str | Path) -> None:
    """Raise ``PlotUnavailableError`` (saying how to install it) when matplotlib is missing."""
    if not matplotlib_available():
        raise PlotUnavailableError(
            f"--plot {path} needs matplotlib, which is not installed. Install the optional "
            "extra with `pip install 'minigrad[plot]'` (or `pip install matplotlib`), or "
            "leave out --plot: the charts are still drawn in the terminal."
        )


def save_png(charts: Sequence[LineChart], path: str | Path) -> Path:
    """Draw ``charts`` one under the other into the PNG file ``path``; return the path."""
    require_matplotlib(path)
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    path = Path(path)
    charts = [c for c in charts if c.series] or list(charts)
    if not charts:
        raise MinigradError(f"--plot {path}: this lesson drew no chart to save")
    fig, axes = plt.subplots(len(charts), 1, figsize=(8, 3.6 * len(charts)), squeeze=False)
    for ax, chart in zip(axes[:, 0], charts):
        for series in chart.series:
            ax.plot(series.xs, series.ys, label=series.name, color=_COLOURS.get(series.style))
        for ref in chart.references:
            ax.axhline(ref.y, linestyle="--", linewidth=1, color=_COLOURS.get(ref.style, "gray"))
            ax.annotate(
                f"{ref.label} {ref.y:.3f}",
                xy=(1.0, ref.y),
                xycoords=("axes fraction", "data"),
                xytext=(-4, 2),
                textcoords="offset points",
                ha="right",
                fontsize=8,
            )
        if chart.log_y:
            ax.set_yscale("log")
        if chart.y_range is not None:
            ax.set_ylim(*chart.y_range)
        ax.set_title(chart.title)
        ax.set_xlabel(chart.x_label)
        ax.set_ylabel(chart.y_label)
        if chart.series:
            ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
