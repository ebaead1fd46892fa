"""Progressive hints: each request reveals one more, and the workspace remembers how many."""

from __future__ import annotations

from minigrad.lessons.grader.manifest import Exercise
from minigrad.lessons.grader.progress import Progress


def reveal_next_hint(progress: Progress, exercise: Exercise) -> tuple[int, bool]:
    """Reveal one more hint of ``exercise`` (if any are left) and save.

    Returns ``(shown, new)``: how many hints are revealed now, and whether
    this call revealed one (False once every hint was already shown).
    """
    entry = progress.get(exercise.id)
    total = len(exercise.hints)
    if entry.hints_shown >= total:
        entry.hints_shown = total
        return total, False
    entry.hints_shown += 1
    progress.save()
    return entry.hints_shown, True
