"""``benchmarks/ab_overhead.py`` runs and prints its comparison (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="compares against a git revision")
def test_ab_overhead_quick_compares_the_working_tree_with_a_revision() -> None:
    command = [sys.executable, "benchmarks/ab_overhead.py", "--base", "HEAD", "--quick"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("A/B over 2 rounds (fresh processes, alternating order); base HEAD")
    rows = {line.split()[0]: line.split() for line in lines if line.startswith(("mul_", "mlp_"))}
    assert set(rows) == {"mul_chain", "mlp_step"}
    for cells in rows.values():
        old, new = float(cells[2]), float(cells[3])
        assert old > 0 and new > 0
    assert sum("new slower in" in line for line in lines) == 2
