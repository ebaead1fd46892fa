"""The core benchmark runs and reports what it promises (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKLOADS = ["mul", "mul_chain", "matmul", "mlp_step"]


def test_bench_core_quick_prints_a_table_and_writes_json(tmp_path: Path) -> None:
    report_path = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_core.py", "--quick", "--json", str(report_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("workload"))
    for column in ("minigrad us", "numpy us", "overhead/op", "ratio"):
        assert column in lines[header]
    rows = [line.split()[0] for line in lines[header + 2 : header + 2 + len(WORKLOADS)]]
    assert rows == WORKLOADS
    assert any(
        line.startswith("goal (mul_chain): overhead per op <= 2 us and ratio < 3x")
        for line in lines
    )

    report = json.loads(report_path.read_text())
    assert report["quick"] is True
    assert [r["name"] for r in report["results"]] == WORKLOADS
    for r in report["results"]:
        assert r["minigrad_us"] > 0 and r["numpy_us"] > 0
        per_op = (r["minigrad_us"] - r["numpy_us"]) / r["ops"]
        assert abs(r["overhead_us"] - per_op) < 1e-9
        assert abs(r["ratio"] - r["minigrad_us"] / r["numpy_us"]) < 1e-9
    goal = report["goal"]
    chain = next(r for r in report["results"] if r["name"] == "mul_chain")
    assert chain["ops"] == 32
    assert goal["case"] == "mul_chain" and goal["max_overhead_us"] == 2.0
    assert goal["met"] == (chain["overhead_us"] <= 2.0 and chain["ratio"] < 3.0)


def test_bench_core_rejects_unknown_options() -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_core.py", "--no-such-option"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr


def test_bench_gpu_launch_reports_each_call_or_says_it_needs_a_gpu() -> None:
    from minigrad import backend

    result = subprocess.run(
        [sys.executable, "benchmarks/bench_gpu_launch.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if backend.gpu_available():
        assert result.returncode == 0, result.stderr
        for row in ("view acts[t]", "matmul h @ W", "gate kernel (forward)", "fused LSTM, 50"):
            assert row in result.stdout
    else:
        assert result.returncode == 1
        assert "needs CuPy and a CUDA GPU" in result.stdout
