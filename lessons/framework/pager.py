"""Showing a step one screenful at a time, so its title and the prompt are on screen together.

A step's explanation, code and result can run to 40-100 lines; printed in one
go on a 24-line terminal, the title has scrolled away by the time the prompt
appears. ``show_paged`` renders what is to be shown at the console's width,
prints it a screenful at a time and, between screenfuls, prints a status line
naming the step and a prompt (Enter: more, s: skip the rest, q: quit).

It pages only on an interactive terminal; in a pipe, a log or a test's
recording console everything is printed straight through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console, Group
from rich.segment import Segment, Segments
from rich.text import Text

#: What the person answered at a "more" prompt.
MORE, SKIP, QUIT = "more", "skip", "quit"
#: Lines kept free at the bottom of each screenful: the status line and the prompt.
RESERVED_LINES = 2
PAGER_KEYS = "[bold]Enter[/] more · [bold]s[/] skip the rest · [bold]q[/] quit"


def render_lines(console: Console, renderables: Sequence[Any]) -> list[list[Segment]]:
    """``renderables`` as lines of segments at the console's width (nothing printed)."""
    options = console.options.update(height=None)
    return console.render_lines(Group(*renderables), options, pad=False, new_lines=False)


def show_paged(
    console: Console,
    renderables: Sequence[Any],
    status: str,
    ask: Callable[[str], str],
    page: bool,
) -> str:
    """Print ``renderables``; with ``page``, a screenful at a time. Returns MORE, SKIP or QUIT.

    ``status`` (plain text, e.g. ``"Step 3/5 · Training"``) is printed above
    each "more" prompt; ``ask(prompt)`` returns the key pressed (``""`` for
    Enter). QUIT means the person pressed ``q``: the caller ends the lesson.
    """
    if not renderables:
        return MORE
    if not page:
        for renderable in renderables:
            console.print(renderable)
        return MORE
    lines = render_lines(console, renderables)
    screen = max(4, console.height - RESERVED_LINES)
    start = 0
    while start < len(lines):
        chunk = lines[start : start + screen]
        _print_lines(console, chunk)
        start += len(chunk)
        if start >= len(lines):
            break
        left = len(lines) - start
        console.print(Text(f"{status} · {left} more line{'s' if left != 1 else ''}", "dim"))
        while True:
            key = ask(f"{PAGER_KEYS} › ")
            if key in ("", " "):
                break
            if key == "s":
                return SKIP
            if key == "q":
                return QUIT
    return MORE


def _print_lines(console: Console, lines: list[list[Segment]]) -> None:
    segments: list[Segment] = []
    for line in lines:
        segments.extend(line)
        segments.append(Segment.line())
    console.print(Segments(segments), end="")
