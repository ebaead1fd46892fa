"""A small terminal line chart drawn with braille dots (2 x 4 dots per character).

>>> chart = LineChart(title="loss", height=6)
>>> chart.add_series("train", [0, 1, 2, 3], [0.69, 0.60, 0.52, 0.50])
>>> chart.add_reference(0.519, "first")
>>> print(chart.to_text(width=60).splitlines()[0])
loss

Several series (each in its own colour), horizontal reference lines with
labels, an automatic or fixed y-range, an optional log scale. Below 40 columns
there is no room for a picture, so the chart prints a compact table instead;
it never raises because the terminal is small or the data is odd (NaN,
infinity, a single point, an empty series).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

#: Below this many columns the chart becomes a table...
MIN_CHART_WIDTH = 40
#: ...and below this many, one folded line per series and reference.
MIN_TABLE_WIDTH = 30
#: Colours given to series in order (rich style names).
PALETTE = ("cyan", "magenta", "green", "bright_blue", "red", "bright_yellow")
REFERENCE_STYLE = "yellow"

# Bit of each dot in a braille cell, indexed [row][column] (Unicode braille patterns).
_DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_BRAILLE_BASE = 0x2800


@dataclass
class Series:
    """One named line: its points and colour."""

    name: str
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    style: str = PALETTE[0]

    def append(self, x: float, y: float) -> None:
        """Add the point ``(x, y)``."""
        self.xs.append(float(x))
        self.ys.append(float(y))


@dataclass(frozen=True)
class Reference:
    """A horizontal line at ``y`` with a label (e.g. a loss a model should reach)."""

    y: float
    label: str
    style: str = REFERENCE_STYLE


def _finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _format(value: float) -> str:
    """Tick labels: 3 significant figures, scientific notation for extreme sizes."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e5 or magnitude < 1e-3:
        return f"{value:.1e}"
    if magnitude >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}" if magnitude >= 1 else f"{value:.3f}"


class LineChart:
    """A line chart of one or more series with labelled horizontal reference lines.

    ``height`` is the number of text rows of the plot area. ``y_range``
    fixes the vertical axis (otherwise it spans the data and references).
    ``log_y`` draws log10 of the values (non-positive values are skipped).
    The chart is a rich renderable: ``console.print(chart)`` uses the
    console's width.
    """

    def __init__(
        self,
        title: str = "",
        *,
        height: int = 12,
        y_range: tuple[float, float] | None = None,
        x_label: str = "",
        y_label: str = "",
        log_y: bool = False,
    ) -> None:
        self.title = title
        self.height = max(2, int(height))
        self.y_range = y_range
        self.x_label = x_label
        self.y_label = y_label
        self.log_y = log_y
        self.series: list[Series] = []
        self.references: list[Reference] = []

    # ------------------------------------------------------------------ data
    def add_series(
        self,
        name: str,
        xs: Iterable[float] | None = None,
        ys: Iterable[float] | None = None,
        style: str | None = None,
    ) -> Series:
        """Add a series (``xs`` default to 0, 1, 2, ...); return it to append points later."""
        ys = [float(y) for y in (ys or [])]
        xs = [float(x) for x in xs] if xs is not None else [float(i) for i in range(len(ys))]
        if len(xs) != len(ys):
            raise ValueError(f"LineChart.add_series({name!r}): {len(xs)} x values, {len(ys)} y")
        series = Series(name, xs, ys, style or PALETTE[len(self.series) % len(PALETTE)])
        self.series.append(series)
        return series

    def get_series(self, name: str) -> Series:
        """The series called ``name``, created empty if it does not exist yet."""
        for series in self.series:
            if series.name == name:
                return series
        return self.add_series(name)

    def add_point(self, name: str, x: float, y: float) -> None:
        """Append ``(x, y)`` to the series ``name`` (created on first use)."""
        self.get_series(name).append(x, y)

    def add_reference(self, y: float, label: str, style: str = REFERENCE_STYLE) -> None:
        """Add a horizontal line at ``y`` labelled ``label``."""
        self.references.append(Reference(float(y), label, style))

    # --------------------------------------------------------------- scaling
    def _value(self, y: float) -> float | None:
        if not _finite(y):
            return None
        if self.log_y:
            return math.log10(y) if y > 0 else None
        return y

    def _points(self, series: Series) -> list[tuple[float, float] | None]:
        """Drawable (x, transformed y) pairs; ``None`` breaks the line."""
        points: list[tuple[float, float] | None] = []
        for x, y in zip(series.xs, series.ys):
            value = self._value(y)
            points.append((x, value) if value is not None and _finite(x) else None)
        return points

    def _ranges(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        xs: list[float] = []
        ys: list[float] = []
        for series in self.series:
            for point in self._points(series):
                if point is not None:
                    xs.append(point[0])
                    ys.append(point[1])
        if not xs:
            return None
        if self.y_range is not None:
            low, high = (self._value(v) for v in self.y_range)
            y_lo = low if low is not None else min(ys)
            y_hi = high if high is not None else max(ys)
        else:
            refs = [v for v in (self._value(r.y) for r in self.references) if v is not None]
            y_lo, y_hi = min(ys + refs), max(ys + refs)
            pad = (y_hi - y_lo) * 0.05
            y_lo, y_hi = y_lo - pad, y_hi + pad
        if y_hi <= y_lo:
            spread = abs(y_lo) * 0.1 or 0.5
            y_lo, y_hi = y_lo - spread, y_hi + spread
        x_lo, x_hi = min(xs), max(xs)
        if x_hi <= x_lo:
            x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
        return (x_lo, x_hi), (y_lo, y_hi)

    # -------------------------------------------------------------- drawing
    def render_lines(self, width: int) -> list[Text]:
        """The chart as styled lines at most ``width`` columns wide (a table below 40)."""
        if width < MIN_CHART_WIDTH:
            return []
        lines: list[Text] = []
        if self.title:
            lines.append(Text(self.title, style="bold"))
        ranges = self._ranges()
        if ranges is None:
            lines.append(Text("(no data yet)", style="dim"))
            return lines
        (x_lo, x_hi), (y_lo, y_hi) = ranges
        tick_values = [y_hi, (y_hi + y_lo) / 2, y_lo]
        ticks = [_format(10**v if self.log_y else v) for v in tick_values]
        axis_width = max(len(t) for t in ticks) + 1
        label_width = min(
            max((len(self._ref_label(r)) for r in self.references), default=0) + 2,
            max(0, width // 3),
        )
        plot_cols = max(4, width - axis_width - 1 - label_width)
        if plot_cols < 10:  # no room for labels: drop them, the legend still names the lines
            label_width, plot_cols = 0, max(4, width - axis_width - 1)
        rows, dots_x, dots_y = self.height, plot_cols * 2, self.height * 4

        def to_px(x: float) -> int:
            return round((x - x_lo) / (x_hi - x_lo) * (dots_x - 1))

        def to_py(y: float) -> int:
            return round((y_hi - y) / (y_hi - y_lo) * (dots_y - 1))

        bits = [[0] * plot_cols for _ in range(rows)]
        owner: list[list[str | None]] = [[None] * plot_cols for _ in range(rows)]

        def dot(px: int, py: int, style: str) -> None:
            if 0 <= px < dots_x and 0 <= py < dots_y:
                row, col = py // 4, px // 2
                bits[row][col] |= _DOT_BITS[py % 4][px % 2]
                owner[row][col] = style

        ref_rows: dict[int, list[Reference]] = {}
        for ref in self.references:
            value = self._value(ref.y)
            if value is None or not (y_lo <= value <= y_hi):
                continue
            py = to_py(value)
            for px in range(0, dots_x, 3):  # a dotted line, lighter than the data
                dot(px, py, ref.style)
            ref_rows.setdefault(py // 4, []).append(ref)
        for series in self.series:
            previous: tuple[int, int] | None = None
            for point in self._points(series):
                if point is None:
                    previous = None
                    continue
                current = (to_px(point[0]), to_py(max(y_lo, min(y_hi, point[1]))))
                if previous is None:
                    dot(*current, series.style)
                else:
                    for px, py in _segment(previous, current):
                        dot(px, py, series.style)
                previous = current

        tick_rows = {0: ticks[0], rows // 2: ticks[1], rows - 1: ticks[2]}
        for row in range(rows):
            line = Text(tick_rows.get(row, "").rjust(axis_width - 1) + " ", style="dim")
            line.append("┤" if row in tick_rows else "│", style="dim")
            for col in range(plot_cols):
                if bits[row][col]:
                    line.append(chr(_BRAILLE_BASE + bits[row][col]), style=owner[row][col] or "")
                else:
                    line.append(" ")
            if label_width and row in ref_rows:
                label = " ".join(self._ref_label(r) for r in ref_rows[row])
                line.append(" " + label[: label_width - 1], style=ref_rows[row][0].style)
            lines.append(line)
        axis = Text(" " * axis_width + "└" + "─" * plot_cols, style="dim")
        lines.append(axis)
        left, right = _format(x_lo), _format(x_hi)
        middle = self.x_label
        gap = plot_cols - len(left) - len(right)
        if gap >= len(middle) + 2 and middle:
            pad_left = (gap - len(middle)) // 2
            x_line = left + " " * pad_left + middle + " " * (gap - pad_left - len(middle)) + right
        else:
            x_line = left + " " * max(1, gap) + right
        lines.append(Text(" " * (axis_width + 1) + x_line, style="dim"))
        lines.extend(self._legend(width))
        return lines

    def _ref_label(self, ref: Reference) -> str:
        return f"{ref.label} {_format(ref.y)}"

    def _legend(self, width: int) -> list[Text]:
        """The legend, wrapped between entries (never inside a name) to fit ``width``."""
        entries: list[Text] = []
        for series in self.series:
            entries.append(Text.assemble(("━ ", series.style), series.name))
        for ref in self.references:
            entries.append(Text.assemble(("┄ ", ref.style), self._ref_label(ref)))
        lines: list[Text] = []
        line = Text()
        if self.y_label:
            line.append(f"{self.y_label}{' (log scale)' if self.log_y else ''}:", style="dim")
        for entry in entries:
            gap = "  " if line.plain else ""
            if line.plain and len(line) + len(gap) + len(entry) > width:
                lines.append(line)
                line, gap = Text("  " if self.y_label else ""), ""
            line.append(gap)
            line.append_text(entry)
        if line.plain.strip():
            lines.append(line)
        for text in lines:  # an entry longer than the whole width folds as a last resort
            text.overflow = "fold"
        return lines

    def compact_table(self) -> Table:
        """The narrow-terminal fallback: first, best and last value of each series."""
        table = Table(title=self.title or None, show_edge=False, pad_edge=False, box=None)
        table.add_column("line", overflow="fold")
        table.add_column("first", justify="right")
        table.add_column("min", justify="right")
        table.add_column("last", justify="right")
        for series in self.series:
            values = [y for y in series.ys if _finite(y)]
            if values:
                cells = (_format(values[0]), _format(min(values)), _format(values[-1]))
            else:
                cells = ("-", "-", "-")
            table.add_row(Text(series.name, style=series.style), *cells)
        for ref in self.references:
            table.add_row(Text(ref.label, style=ref.style), "", _format(ref.y), "")
        return table

    def compact_lines(self) -> list[Text]:
        """The narrowest fallback: ``name: last (min ...)`` lines that fold to any width."""
        lines = [Text(self.title, style="bold")] if self.title else []
        for series in self.series:
            values = [y for y in series.ys if _finite(y)]
            summary = f"{_format(values[-1])} (min {_format(min(values))})" if values else "-"
            lines.append(Text(f"{series.name}: {summary}", style=series.style, overflow="fold"))
        for ref in self.references:
            lines.append(Text(self._ref_label(ref), style=ref.style, overflow="fold"))
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Render at the console's width (a compact table below 40 columns)."""
        width = options.max_width
        if width < MIN_TABLE_WIDTH:
            yield from self.compact_lines()
            return
        if width < MIN_CHART_WIDTH:
            yield self.compact_table()
            return
        yield from self.render_lines(width)

    def to_text(self, width: int = 80) -> str:
        """The chart as plain text ``width`` columns wide (for logs and tests)."""
        console = Console(width=width, record=True, file=_Null(), color_system=None)
        console.print(self)
        return console.export_text()


def _segment(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    """The dots of a straight line from ``start`` to ``end`` (Bresenham)."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    error = dx + dy
    points = []
    while True:
        points.append((x0, y0))
        if x0 == x1 and y0 == y1:
            return points
        twice = 2 * error
        if twice >= dy:
            error += dy
            x0 += sx
        if twice <= dx:
            error += dx
            y0 += sy


class _Null:
    """A file that discards what is written (rich needs somewhere to write)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class SideBySide:
    """Charts next to each other when each gets ``min_width`` columns, else one under another."""

    def __init__(self, charts: Sequence[LineChart], min_width: int = 56) -> None:
        self.charts = list(charts)
        self.min_width = min_width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """A grid of equal columns on a wide console, the charts stacked on a narrow one."""
        if len(self.charts) * (self.min_width + 2) - 2 > options.max_width:
            for index, chart in enumerate(self.charts):
                if index:
                    yield Text("")
                yield chart
            return
        grid = Table.grid(expand=True, padding=(0, 2))
        for _ in self.charts:
            grid.add_column(ratio=1)
        grid.add_row(*self.charts)
        yield grid


def side_by_side(charts: Sequence[LineChart], min_width: int = 56) -> SideBySide:
    """Several charts next to each other, each ``min_width`` wide at least; stacked otherwise."""
    return SideBySide(charts, min_width)
