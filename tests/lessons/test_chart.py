"""The terminal line chart: dots where the data is, labelled reference lines, graceful narrowing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from rich.console import Console

from minigrad.lessons.framework import chart as chart_module
from minigrad.lessons.framework import plot
from minigrad.lessons.framework.chart import LineChart, side_by_side

BRAILLE = range(0x2800, 0x2900)


def plot_rows(text: str, height: int) -> list[str]:
    """The plot-area rows of a rendered chart (after the title, before the axis)."""
    lines = text.splitlines()
    start = 1  # title line
    return lines[start : start + height]


def area(row: str) -> str:
    """What is right of the y axis (the axis is the first '┤' or '│')."""
    cut = min(i for i in (row.find("┤"), row.find("│")) if i >= 0)
    return row[cut + 1 :]


def test_a_rising_line_puts_dots_bottom_left_and_top_right() -> None:
    chart = LineChart("rise", height=4, y_range=(0.0, 1.0))
    chart.add_series("up", [0, 1], [0.0, 1.0])
    rows = plot_rows(chart.to_text(width=60), 4)
    top, bottom = area(rows[0]), area(rows[-1])
    assert ord(top.rstrip()[-1]) in BRAILLE  # (1, 1) is the top-right corner
    assert top[0] == " "  # and nothing in the top-left one
    assert ord(bottom[0]) in BRAILLE  # (0, 0) is the bottom-left corner
    assert bottom.rstrip() == bottom[: len(bottom.rstrip())] and bottom.rstrip()[-1] != "⠀"
    # Bresenham: every row in between is crossed by the line.
    for row in rows:
        assert any(ord(ch) in BRAILLE for ch in area(row))


def test_reference_line_and_its_label_sit_on_the_row_of_its_value() -> None:
    chart = LineChart("refs", height=10, y_range=(0.0, 1.0))
    chart.add_series("flat", [0, 10], [0.9, 0.9])
    chart.add_reference(0.25, "quarter")
    rows = plot_rows(chart.to_text(width=70), 10)
    dots_y = 10 * 4
    expected_row = round((1.0 - 0.25) / 1.0 * (dots_y - 1)) // 4
    labelled = [i for i, row in enumerate(rows) if "quarter 0.250" in row]
    assert labelled == [expected_row]
    assert "┄ quarter 0.250" in chart.to_text(width=70)  # and in the legend


def test_ticks_show_the_y_range_and_x_labels_the_x_range() -> None:
    chart = LineChart("ticks", height=6, y_range=(0.4, 0.7), x_label="epoch")
    chart.add_series("loss", [0, 5], [0.69, 0.45])
    text = chart.to_text(width=60)
    rows = plot_rows(text, 6)
    assert rows[0].lstrip().startswith("0.700")
    assert rows[-1].lstrip().startswith("0.400")
    x_line = text.splitlines()[1 + 6 + 1]
    assert x_line.split()[0] == "0" and x_line.split()[-1] == "5" and "epoch" in x_line


def test_no_line_is_wider_than_the_console() -> None:
    chart = LineChart("a fairly long title for a chart", height=5)
    chart.add_series("a series with a long name", range(50), [math.sin(i / 5) for i in range(50)])
    chart.add_reference(0.5, "a very long reference label indeed")
    for width in (40, 41, 55, 80, 120):
        assert all(len(line) <= width for line in chart.to_text(width=width).splitlines())


@pytest.mark.parametrize("width", [10, 25, 31, 39])
def test_narrow_terminal_prints_a_compact_table(width: int) -> None:
    chart = LineChart("loss", height=8)
    chart.add_series("train", [0, 1, 2], [0.7, 0.5, 0.6])
    chart.add_reference(0.45, "both")
    text = chart.to_text(width=width)
    assert not any(ord(ch) in BRAILLE for ch in text)
    flat = "".join(line.strip() for line in text.splitlines())  # undo folding
    assert "train" in flat and "both" in flat
    assert "0.500" in flat  # the minimum of the series
    assert "0.450" in flat  # the reference value
    assert all(len(line) <= width for line in text.splitlines())


def test_odd_data_never_raises() -> None:
    empty = LineChart("empty")
    assert "(no data yet)" in empty.to_text(width=60)
    weird = LineChart("weird", log_y=True)
    weird.add_series("nan", [0, 1, 2, 3], [float("nan"), float("inf"), -1.0, 0.0])
    assert "(no data yet)" in weird.to_text(width=60)  # nothing drawable on a log scale
    single = LineChart("single")
    single.add_series("one", [3], [0.5])
    text = single.to_text(width=60)
    assert any(ord(ch) in BRAILLE for ch in text)
    flat = LineChart("flat", y_range=(1.0, 1.0))
    flat.add_series("c", [0, 1], [1.0, 1.0])
    flat.to_text(width=45)


def test_log_scale_spreads_orders_of_magnitude_evenly() -> None:
    chart = LineChart("log", height=9, log_y=True)
    chart.add_series("decay", [0, 1, 2], [1.0, 1e-4, 1e-8])
    rows = plot_rows(chart.to_text(width=60), 9)
    middle_rows = [i for i, row in enumerate(rows) if "1.0e-04" in row[:9]]
    assert middle_rows == [4]  # the middle tick is 10^-4, the geometric middle


def test_add_series_checks_lengths_and_get_series_creates() -> None:
    chart = LineChart()
    with pytest.raises(ValueError, match="2 x values, 3 y"):
        chart.add_series("bad", [0, 1], [1, 2, 3])
    chart.add_point("new", 0, 1.0)
    chart.add_point("new", 1, 2.0)
    assert chart.get_series("new").ys == [1.0, 2.0]
    chart.add_series("b")
    chart.add_series("c")
    assert len({s.style for s in chart.series}) == len(chart.series)  # one colour each


def test_segment_is_connected_and_hits_both_ends() -> None:
    for start, end in [((0, 0), (7, 3)), ((5, 9), (0, 0)), ((2, 2), (2, 8)), ((1, 1), (1, 1))]:
        points = chart_module._segment(start, end)
        assert points[0] == start and points[-1] == end
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            assert max(abs(x1 - x0), abs(y1 - y0)) == 1


def test_side_by_side_draws_both_charts_on_one_line() -> None:
    left, right = LineChart("left", height=4), LineChart("right", height=4)
    left.add_series("a", [0, 1], [0, 1])
    right.add_series("b", [0, 1], [1, 0])
    console = Console(record=True, width=120, file=chart_module._Null())
    console.print(side_by_side([left, right]))
    first = console.export_text().splitlines()[0]
    assert "left" in first and "right" in first


def test_side_by_side_stacks_the_charts_when_each_would_be_narrow() -> None:
    left, right = LineChart("left", height=4), LineChart("right", height=4)
    left.add_series("relu rnn, W = 1.5 I", [0, 1], [0, 1])
    right.add_series("b", [0, 1], [1, 0])
    console = Console(record=True, width=80, file=chart_module._Null())
    console.print(side_by_side([left, right]))
    lines = console.export_text().splitlines()
    assert lines[0].strip() == "left"
    assert any(line.strip() == "right" for line in lines)  # below, at the full width
    assert any("━ relu rnn, W = 1.5 I" in line for line in lines)  # the legend is whole


def test_a_long_legend_wraps_between_entries_and_is_never_cut() -> None:
    chart = LineChart("gradients", height=4, y_label="gradient norm", log_y=True)
    for name in ("tanh rnn", "relu rnn, W = 1.5 I", "lstm"):
        chart.add_series(name, [0, 1], [1, 2])
    for label in ("neither", "first", "both"):
        chart.add_reference(1.5, label)
    text = chart.to_text(width=60)
    legend = text.split("gradient norm (log scale):")[1]
    for entry in ("━ tanh rnn", "━ relu rnn, W = 1.5 I", "━ lstm", "┄ both 1.5"):
        assert entry in legend
    assert "…" not in text
    assert all(len(line) <= 60 for line in text.splitlines())


def test_plot_without_matplotlib_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plot.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(plot.PlotUnavailableError, match=r"pip install 'minigrad\[plot\]'"):
        plot.require_matplotlib("out.png")
    chart = LineChart("x")
    chart.add_series("s", [0, 1], [0, 1])
    with pytest.raises(plot.PlotUnavailableError, match="out.png"):
        plot.save_png([chart], "out.png")


def test_plot_writes_a_png_when_matplotlib_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the optional extra minigrad[plot]")
    chart = LineChart("loss", y_label="nats")
    chart.add_series("train", [0, 1, 2], [0.7, 0.6, 0.5])
    chart.add_reference(0.45, "both")
    path = plot.save_png([chart], tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
