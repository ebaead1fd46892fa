"""The recurrent benchmark runs (smoke), isolates its implementations, and its NumPy baseline
computes the same model."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_rnn  # noqa: E402
import isolated  # noqa: E402
import rnn_workloads  # noqa: E402
from numpy_reference import NumpyModel  # noqa: E402


@pytest.mark.parametrize("name", ["W1", "W2", "W4"])
def test_numpy_reference_matches_minigrad_training(name):
    """Same weights, same batches: the hand-written NumPy steps follow minigrad's losses."""
    w = rnn_workloads.QUICK[name]
    model = rnn_workloads.MinigradModel(w, fused=True, device="cpu")
    ref = NumpyModel(w.cell, w.vocab, w.embed, w.hidden, w.layers)
    if model.embed is not None:
        ref.E[...] = model.embed.W.data
    for k, layer in enumerate(ref.layers):
        cell = model.rnn.layers[k]
        layer.U[...], layer.W[...], layer.b[...] = cell.U.data, cell.W.data, cell.b.data
        if layer.b_hn is not None:
            layer.b_hn[...] = cell.b_hn.data
    ref.Wy[...], ref.by[...] = model.out.W.data, model.out.b.data
    import minigrad as mg

    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    state_mg, state_np = None, ref.zero_state(w.batch)
    for x, y in rnn_workloads.make_batches(w, seed=3, count=3):
        logits, state = model(x, state_mg)
        loss = mg.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        state_mg = [mg.cells.detach_state(s) for s in state]
        loss_np, state_np = ref.train_step(x, y, state_np, lr=0.1)
        assert loss.item() == pytest.approx(loss_np, rel=1e-4)


@pytest.mark.slow  # starts nine Python processes: a few seconds, a minute on a loaded machine
def test_quick_run_times_each_implementation_in_its_own_process(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["--quick", "--no-torch", "--workloads", "W2", "--rounds", "3", "--json", str(out)]
    assert bench_rnn.main(argv) == 0
    text = capsys.readouterr().out
    assert "[quiet]" in text and "[busy]" in text and "Targets" in text
    assert "each implementation in its own process" in text
    report = json.loads(out.read_text())
    assert report["settings"]["parent_pid"] == os.getpid()
    pids = set()
    for condition in ("quiet", "busy"):
        results = report["workloads"]["W2"][condition]["results"]
        assert {"numpy by hand", "minigrad fused", "minigrad composed"} <= set(results)
        for impl, r in results.items():
            assert len(r["round_ms"]) == 3
            assert r["min_ms"] <= r["median_ms"] <= r["max_ms"] and r["gflops"] > 0
            worker = r["worker"]
            # Isolation: the process that timed it is a worker of its own, which built this
            # implementation only, with the thread settings written down.
            assert worker["pid"] == r["pid"] != os.getpid()
            assert worker["implementation"] == impl and "torch" not in worker["modules"]
            assert worker["threads"]["cores"] >= 1 and "pools" in worker["threads"]
            pids.add(r["pid"])
        tuned = [r["worker"].get("tuned_threads") for r in results.values()]
        if condition == "busy":  # minigrad picks its BLAS threads by measuring, as lesson 3 does
            assert results["minigrad fused"]["worker"]["tuned_threads"] >= 1
        else:
            assert tuned == [None] * len(results)
    assert len(pids) == sum(len(report["workloads"]["W2"][c]["results"]) for c in ("quiet", "busy"))
    assert np.isfinite(report["gemm_peak_gflops"])
    labels = {t["target"] for t in report["targets"]}
    assert {"W2 fused / numpy by hand", "W2 fused busy / quiet"} <= labels


class FakeWorker:
    """Stands in for ``isolated.Worker``: records when it was asked to time steps."""

    def __init__(self, label, log):
        self.label, self.log = label, log

    def time_steps(self, steps, clock="wall"):
        self.log.append(self.label)
        return [1.0] * steps


def test_rounds_alternate_the_order_of_the_implementations():
    log = []
    workers = [FakeWorker(name, log) for name in "abc"]
    per_round = isolated.run_rounds(workers, rounds=4, steps=2, settle=0.0)
    assert log == list("abccbaabccba")
    assert per_round == {name: [1.0] * 4 for name in "abc"}


def test_a_worker_that_fails_says_which_implementation_and_why():
    worker = isolated.Worker(
        "nothing",
        "rnn_workloads:build",
        {
            "workload": "W2",
            "impl": "nothing",
            "quick": True,
            "device": "cpu",
            "threads_per_library": 1,
            "tuned": False,
        },
        {},
    )
    try:
        with pytest.raises(isolated.WorkerError, match="nothing: the worker process ended"):
            worker.request("ping")
    finally:
        worker.close()


def test_unknown_workloads_and_conditions_are_refused(capsys):
    for argv in (["--workloads", "W9"], ["--conditions", "noisy"]):
        with pytest.raises(SystemExit):
            bench_rnn.main(argv)
        assert "is not one of" in capsys.readouterr().err
