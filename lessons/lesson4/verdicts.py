"""Greff's and Jozefowicz's claims, checked against the numbers of this run of the lesson.

Each ``Finding`` pairs a claim of a paper with what the lesson measured and
says whether they agree: "yes", "no", "unclear" (the difference is within the
noise, or a needed cell was not run) or "not measured". The words are built
from the numbers, so a student whose runs disagree with the paper reads that.
"""

from __future__ import annotations

from dataclasses import dataclass

from minigrad.lessons.shootout import CellSummary, SweepSummary


@dataclass(frozen=True)
class Finding:
    """One claim, its source, what was measured, and whether the two agree."""

    claim: str
    source: str
    measured: str
    agrees: str


def _row(summary: SweepSummary, cell: str) -> CellSummary | None:
    return next((r for r in summary.rows if r.cell == cell and r.test_mean is not None), None)


def _versus(summary: SweepSummary, cell: str) -> str | None:
    row = _row(summary, cell)
    return row.versus.verdict if row is not None and row.versus is not None else None


def _value(row: CellSummary | None) -> str:
    return "not run" if row is None else f"{row.test_mean:.3f}"


def adding_finding(adding: SweepSummary) -> Finding:
    """A plain RNN fails the adding problem at T = 100 where gated cells succeed."""
    rnn = _row(adding, "rnn")
    gated = [r for r in adding.rows if r.cell != "rnn" and r.test_mean is not None]
    claim = "a tanh RNN fails the adding problem where gated cells learn it"
    source = "Hochreiter & Schmidhuber 1997; Le et al. 2015"
    if rnn is None or not gated:
        return Finding(claim, source, "rnn or a gated cell was not run", "not measured")
    best = min(gated, key=lambda r: r.test_mean or 0.0)
    measured = f"rnn {rnn.test_mean:.3f} ({rnn.label}); best gated: {best.cell} "
    measured += f"{best.test_mean:.3f} ({best.label}); baseline 0.167"
    if rnn.label == "baseline" and best.label != "baseline":
        return Finding(claim, source, measured, "yes")
    if rnn.label != "baseline" and (best.test_mean or 0) >= (rnn.test_mean or 0):
        return Finding(claim, source, measured, "no")
    return Finding(claim, source, measured, "unclear")


def learning_rate_finding(adding: SweepSummary) -> Finding:
    """The learning rate matters more than the choice of variant."""
    claim = "the learning rate matters more than the variant"
    source = "Greff et al. 2015"
    if adding.lr_effect is None or adding.cell_effect is None:
        return Finding(claim, source, "needs several rates and cells", "not measured")
    measured = (
        f"changing the rate moved a cell's loss by {adding.lr_effect:.3f} on average; "
        f"changing the cell by at most {adding.cell_effect:.3f}"
    )
    return Finding(
        claim, source, measured, "yes" if adding.lr_effect > adding.cell_effect else "no"
    )


def removal_finding(charlm: SweepSummary, cell: str, what: str) -> Finding:
    """Removing ``what`` (the forget gate, the output activation) makes the LSTM worse."""
    claim = f"removing {what} ({cell}) hurts"
    verdict = _versus(charlm, cell)
    row = _row(charlm, cell)
    measured = f"{cell} {_value(row)} against lstm {_value(_row(charlm, 'lstm'))}: {verdict}"
    if verdict is None:
        return Finding(claim, "Greff et al. 2015", f"{cell} was not run", "not measured")
    agrees = {"worse": "yes", "better": "no"}.get(verdict, "unclear")
    return Finding(claim, "Greff et al. 2015", measured, agrees)


def harmless_finding(charlm: SweepSummary, cells: tuple[str, ...]) -> Finding:
    """Coupling the gates or removing peepholes does not hurt; nor does a MUT cell."""
    claim = "CIFG, no peepholes and MUT1-3 are about as good as the LSTM"
    source = "Greff et al. 2015; Jozefowicz et al. 2015"
    verdicts = {c: v for c in cells if (v := _versus(charlm, c)) is not None}
    if not verdicts:
        return Finding(claim, source, "none of " + ", ".join(cells) + " was run", "not measured")
    measured = "; ".join(f"{c}: {v}" for c, v in verdicts.items())
    agrees = "no" if "worse" in verdicts.values() else "yes"
    return Finding(claim, source, measured, agrees)


def forget_bias_finding(charlm: SweepSummary) -> Finding:
    """A forget-gate bias of 1 closes most of the gap between the LSTM and the GRU."""
    claim = "a forget bias of 1 helps the LSTM (and closes the gap to the GRU)"
    source = "Jozefowicz et al. 2015"
    with_bias, without = _row(charlm, "lstm"), _row(charlm, "lstm[forget_bias=0]")
    if with_bias is None or without is None:
        return Finding(claim, source, "needs lstm and lstm[forget_bias=0]", "not measured")
    gru = _row(charlm, "gru")
    measured = f"bias 1: {_value(with_bias)}, bias 0: {_value(without)}, gru: {_value(gru)}"
    assert with_bias.test_mean is not None and without.test_mean is not None
    gap = without.test_mean - with_bias.test_mean
    noise = max(with_bias.test_std or 0.0, without.test_std or 0.0)
    if abs(gap) <= noise:
        return Finding(claim, source, measured + " (within the noise)", "unclear")
    return Finding(claim, source, measured, "yes" if gap > 0 else "no")


def findings(adding: SweepSummary, charlm: SweepSummary) -> list[Finding]:
    """Every claim the lesson checks, in the order the text discusses them."""
    return [
        adding_finding(adding),
        learning_rate_finding(adding),
        removal_finding(charlm, "greff_nfg", "the forget gate"),
        removal_finding(charlm, "greff_noaf", "the output activation"),
        harmless_finding(charlm, ("greff_cifg", "greff_np", "jozefowicz_mut1")),
        forget_bias_finding(charlm),
    ]
