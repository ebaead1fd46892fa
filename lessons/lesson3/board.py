"""The last step of lesson 3: where the run went, and how to open it in TensorBoard."""

from __future__ import annotations

from typing import Any

from minigrad.lessons.framework import LessonContext

#: What each TensorBoard tab shows for a lesson 3 run (written by ``charlm.board.BoardHooks``).
TABS = (
    ("Scalars", "loss/train and loss/val, lr, grad_norm/total and grad_norm/<layer>"),
    ("Histograms", "weights/<parameter> and grads/<parameter> at each evaluation"),
    ("Text", "samples: what the model wrote at each evaluation"),
    ("Graphs", "one training batch: embedding, rnn, head, loss"),
)


def tensorboard_run(ctx: LessonContext) -> dict[str, Any]:
    """Flush the run's events and say where they are (nothing to do without --logdir)."""
    runs = []
    for writer in ctx.boards.values():
        writer.flush()
        runs.append(str(writer.logdir))
    logdir = str(ctx.logdir) if ctx.logdir is not None else None
    if logdir is not None:
        ctx.report("tensorboard", {"logdir": logdir, "runs": runs})
    return {"logdir": logdir, "runs": runs}


def render_tensorboard(result: dict[str, Any], ctx: LessonContext) -> list[Any]:
    """The commands to open the run, and what each tab holds."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    if result["logdir"] is None:
        command = (
            "minigrad lesson 3 --preset tiny --logdir runs  "
            "# this lesson again, logged\ntensorboard --logdir runs"
        )
        intro = Text("This run was not logged (no --logdir). To see one in TensorBoard:")
    else:
        command = f"tensorboard --logdir {result['logdir']}"
        intro = Text(f"Written: {', '.join(result['runs'])}. Open it with:")
    tabs = Table(title="then http://localhost:6006", show_header=False)
    tabs.add_column(style="bold")
    tabs.add_column()
    for tab, what in TABS:
        tabs.add_row(tab, what)
    return [intro, Panel(Text(command), title="shell", title_align="left"), tabs]
