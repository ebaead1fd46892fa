"""The recurrent benchmark runs (smoke) and its NumPy baseline computes the same model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_rnn  # noqa: E402
from numpy_reference import NumpyModel  # noqa: E402


@pytest.mark.parametrize("name", ["W1", "W2", "W4"])
def test_numpy_reference_matches_minigrad_training(name):
    """Same weights, same batches: the hand-written NumPy steps follow minigrad's losses."""
    w = bench_rnn.QUICK[name]
    model = bench_rnn.MinigradModel(w, fused=True, device="cpu")
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
    for x, y in bench_rnn.make_batches(w, seed=3, count=3):
        logits, state = model(x, state_mg)
        loss = mg.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        state_mg = [mg.cells.detach_state(s) for s in state]
        loss_np, state_np = ref.train_step(x, y, state_np, lr=0.1)
        assert loss.item() == pytest.approx(loss_np, rel=1e-4)


def test_quick_run_prints_table_and_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench_rnn.main(["--quick", "--workloads", "W1,W2", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "numpy by hand" in text and "minigrad fused" in text and "Targets" in text
    report = json.loads(out.read_text())
    results = report["workloads"]["W2"]["results"]
    assert {"numpy by hand", "minigrad fused", "minigrad composed"} <= set(results)
    for r in results.values():
        assert r["min_ms"] <= r["median_ms"] <= r["max_ms"] and r["gflops"] > 0
    assert np.isfinite(report["gemm_peak_gflops"])
