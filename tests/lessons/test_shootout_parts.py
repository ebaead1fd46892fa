"""The shoot-out's parts, each against an independent reference: cell specs, the parameter
budget (against a scan), the results file (crashes included), Welch's test (against closed
forms), the adding problem's data, and the summary's choice of learning rate."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.lessons.shootout import (
    CellSpec,
    ResultsFile,
    adding_batch,
    match_hidden_size,
    parse_cell,
    parse_cells,
    plan_sweep,
    summarise,
    welch,
)
from minigrad.lessons.shootout.stats import incomplete_beta, mean_std, t_quantile, t_two_sided_p
from minigrad.lessons.shootout.tasks import get_task


# -------------------------------------------------------------------- specs
def test_cells_parse_with_options_and_commas_inside_brackets() -> None:
    cells = parse_cells("lstm, gru[reset_after=True],lstm[forget_bias=0, fused=False],rnn")
    assert [c.label for c in cells] == [
        "lstm",
        "gru[reset_after=True]",
        "lstm[forget_bias=0,fused=False]",
        "rnn",
    ]
    assert cells[2].kwargs() == {"forget_bias": 0, "fused": False}
    assert parse_cell("rnn[activation=relu]").kwargs() == {"activation": "relu"}


@pytest.mark.parametrize("text", ["LSTM", "lstm[forget_bias]", "lstm]", "", "1cell"])
def test_bad_cell_specs_say_the_accepted_form(text: str) -> None:
    with pytest.raises(mg.OptionError, match="name|name=value|empty"):
        parse_cells(text)


# ------------------------------------------------------------------- budget
@pytest.mark.parametrize("budget", [50, 600, 2500, 20_000])
def test_the_matched_hidden_size_is_the_closest_of_a_full_scan(budget: int) -> None:
    def count(h: int) -> int:  # an LSTM with 2 inputs and a one-number read-out
        return 4 * h * (2 + h + 1) + h + 1

    best = min(range(1, 400), key=lambda h: (abs(count(h) - budget), h))
    assert match_hidden_size(count, budget) == best


def test_a_budget_below_the_smallest_model_is_refused() -> None:
    with pytest.raises(mg.OptionError, match="too small"):
        match_hidden_size(lambda h: 1000 + h, 100, "lstm")


def test_the_plan_gives_every_cell_about_the_budget() -> None:
    plan = plan_sweep("adding", parse_cells("rnn,lstm,gru,greff_fgr"), "tiny", seeds=2, lrs=[0.01])
    task = get_task("adding")
    for cell in plan.cells:
        h = plan.hidden[cell.label]
        assert plan.params[cell.label] == task.count_parameters(cell, h, plan.settings)
        assert abs(plan.params[cell.label] - plan.budget) / plan.budget < 0.15
    assert plan.hidden["rnn"] > plan.hidden["gru"] > plan.hidden["lstm"] > plan.hidden["greff_fgr"]
    assert len(plan.runs) == 4 * 1 * 2 and len({r.key for r in plan.runs}) == 8


def test_plans_refuse_sequence_modules_unknown_cells_and_bad_options() -> None:
    with pytest.raises(mg.OptionError, match="runs whole sequences"):
        plan_sweep("adding", parse_cells("bidirectional"), "tiny")
    with pytest.raises(mg.CellError, match="Did you mean 'lstm'"):
        plan_sweep("adding", parse_cells("lsmt"), "tiny")
    with pytest.raises(mg.CellError, match="no option 'forget'"):
        plan_sweep("adding", parse_cells("lstm[forget=1]"), "tiny")
    with pytest.raises(mg.OptionError, match="unknown task"):
        plan_sweep("sorting", None, "tiny")


# ------------------------------------------------------------- results file
def test_records_survive_a_crash_in_the_middle_of_a_line(tmp_path: Path) -> None:
    store = ResultsFile(tmp_path / "runs.jsonl")
    store.append({"key": "a", "metric": 1.0})
    with open(store.path, "a", encoding="utf-8") as f:
        f.write('{"key": "b", "met')  # the process died here
    assert set(store.load()) == {"a"}
    assert store.skipped == [(2, '{"key": "b", "met')]
    store.append({"key": "c", "metric": 3.0})  # the broken line is closed off first
    assert set(store.load()) == {"a", "c"}
    lines = store.path.read_text().splitlines()
    assert json.loads(lines[-1]) == {"key": "c", "metric": 3.0} and len(lines) == 3


def test_a_missing_file_is_empty_and_non_finite_numbers_are_refused(tmp_path: Path) -> None:
    store = ResultsFile(tmp_path / "deep" / "runs.jsonl")
    assert store.load() == {}
    with pytest.raises(ValueError):
        store.append({"key": "x", "metric": math.nan})
    assert not store.path.exists() or store.load() == {}


# ---------------------------------------------------------------- statistics
@pytest.mark.parametrize("t", [0.3, 1.0, 2.5, 12.0])
def test_t_p_values_match_the_closed_forms_for_one_and_two_degrees(t: float) -> None:
    assert t_two_sided_p(t, 1) == pytest.approx(1 - 2 / math.pi * math.atan(t), rel=1e-10)
    assert t_two_sided_p(t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), rel=1e-10)


def test_quantiles_and_the_incomplete_beta_against_known_values() -> None:
    assert t_quantile(0.975, 1) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-8)
    assert t_quantile(0.975, 2) == pytest.approx(4.302652729911275, rel=1e-8)
    for x in (0.1, 0.5, 0.9):
        assert incomplete_beta(1, 1, x) == pytest.approx(x)  # the uniform distribution
        assert incomplete_beta(2, 1, x) == pytest.approx(x * x)  # x^a for b = 1
    assert t_two_sided_p(1.959963984540054, 1e7) == pytest.approx(0.05, rel=1e-5)


def test_welch_on_two_samples_worked_by_hand() -> None:
    a, b = [1.0, 2.0, 3.0], [4.0, 6.0]
    # means 2 and 5; variances 1 and 2; se^2 = 1/3 + 1 = 4/3; df = (4/3)^2 / ((1/9)/2 + 1/1)
    result = welch(a, b)
    se = math.sqrt(4 / 3)
    df = (4 / 3) ** 2 / ((1 / 3) ** 2 / 2 + 1.0)
    assert result.diff == -3.0 and result.df == pytest.approx(df)
    half = result.high - result.diff
    assert half == pytest.approx(t_quantile(0.975, df) * se)
    assert result.p == pytest.approx(t_two_sided_p(3.0 / se, df))
    assert result.verdict == ("better" if result.p < 0.05 else "within noise")


def test_verdicts_follow_the_noise() -> None:
    assert welch([0.10, 0.11, 0.09], [0.50, 0.52, 0.48]).verdict == "better"
    assert welch([0.50, 0.52, 0.48], [0.10, 0.11, 0.09]).verdict == "worse"
    assert welch([0.1, 0.5, 0.3], [0.2, 0.4, 0.35]).verdict == "within noise"
    assert welch([0.1], [0.2, 0.3]).verdict == "too few seeds"
    assert mean_std([2.0]) == (2.0, 0.0)


# ------------------------------------------------------------- adding problem
def test_adding_batches_mark_one_number_in_each_half_and_sum_them() -> None:
    x, y = adding_batch(500, 20, np.random.default_rng(0))
    assert x.shape == (500, 20, 2) and y.shape == (500,) and x.dtype == np.float32
    markers = x[..., 1]
    assert (markers.sum(axis=1) == 2).all() and set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:, :10].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y, (x[..., 0] * markers).sum(axis=1), rtol=1e-6)
    assert ((x[..., 0] >= 0) & (x[..., 0] < 1)).all()
    assert abs(float(np.mean((1.0 - y) ** 2)) - 1 / 6) < 0.03  # the baseline


# ------------------------------------------------------------------ summary
def _record(cell: str, lr: float, seed: int, metric: float | None, status: str = "ok") -> dict:
    return {"cell": cell, "lr": lr, "seed": seed, "metric": metric, "test": metric,
            "seconds": 1.0, "status": status, "curve": [[1, 0.5, metric]]}  # fmt: skip


def test_the_rate_is_chosen_on_validation_and_a_diverged_rate_is_not_eligible() -> None:
    plan = plan_sweep("adding", [CellSpec("lstm"), CellSpec("rnn")], "tiny", 3, [0.01, 0.03, 0.1])
    records = []
    for seed in range(3):
        records += [
            _record("lstm", 0.01, seed, 0.10 + 0.01 * seed),
            _record("lstm", 0.03, seed, 0.05 + 0.01 * seed),
            _record("lstm", 0.1, seed, 0.01 if seed else None, "ok" if seed else "diverged"),
            _record("rnn", 0.01, seed, 0.16 + 0.001 * seed),
            _record("rnn", 0.03, seed, 0.17),
            _record("rnn", 0.1, seed, 0.18),
        ]
    summary = summarise(plan, records)
    lstm, rnn = summary.rows  # best first
    assert (lstm.cell, lstm.best_lr, lstm.diverged) == ("lstm", 0.03, 1)
    assert lstm.metric_mean == pytest.approx(0.06) and lstm.lr_means["0.1"] is None
    assert (rnn.cell, rnn.best_lr) == ("rnn", 0.01)
    assert summary.baseline == "lstm" and lstm.versus is None
    assert rnn.versus is not None and rnn.versus.verdict == "worse"
    assert summary.cell_effect == pytest.approx(0.161 - 0.06)
    document = json.loads(json.dumps(summary.as_dict()))
    assert document["cells"][0]["lr_means"]["0.1"] is None
