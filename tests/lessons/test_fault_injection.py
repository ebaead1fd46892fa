"""Fault injection: saves, training runs and resumes killed at random moments lose nothing.

A few iterations of ``scripts/fault_injection.py`` (which runs many: see its
docstring), plus checks that its counters do see a lost checkpoint or a
resume that is one bit off, so that its zeros mean something.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fault_injection", ROOT / "scripts" / "fault_injection.py"
    )
    assert spec is not None and spec.loader is not None
    module = sys.modules["fault_injection"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_killed_saves_training_runs_and_resumes_lose_nothing(tmp_path: Path) -> None:
    script = load_script()
    counts = script.run(iterations=1, seed=3, workdir=tmp_path)
    assert counts.iterations == 1
    assert counts.faults_injected >= 1  # the saving process never ends by itself
    assert counts.checkpoints_lost == 0, counts.problems
    assert counts.resumes_not_exact == 0, counts.problems
    assert counts.temporary_files_left == 0, counts.problems
    assert counts.ok, counts.problems  # no process ignored its signal either
    assert os.listdir(tmp_path) == []  # and it cleaned up after itself


def test_a_process_started_with_ctrl_c_ignored_still_takes_it(tmp_path: Path) -> None:
    script = load_script()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `nohup ... &` starts a job
    try:
        child = script.Child("save", str(tmp_path / "c.npz"))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert child.kill_after(0.2, signal.SIGINT)
    assert not child.did_not_stop
    assert child.process.returncode != 0


def test_the_counters_see_a_lost_or_stale_checkpoint(tmp_path: Path) -> None:
    from minigrad.lessons.charlm.config import TrainConfig
    from minigrad.lessons.charlm.data import read_text_file, toy_text
    from minigrad.lessons.charlm.train import Trainer

    script = load_script()
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(toy_text(script.CORPUS_CHARS, seed=0), encoding="utf-8")
    path = tmp_path / "c.npz"
    config = TrainConfig(**{**script.CONFIG, "max_steps": 2})
    Trainer(config, read_text_file(corpus), str(path)).run()

    counts = script.Counts()
    assert script.check_checkpoint(path, 2, counts, "intact") == 2
    assert counts.checkpoints_lost == 0
    script.check_checkpoint(path, 3, counts, "older than reported")
    assert counts.checkpoints_lost == 1
    path.write_bytes(path.read_bytes()[:-100])
    script.check_checkpoint(path, 1, counts, "truncated")
    assert counts.checkpoints_lost == 2
    path.unlink()
    script.check_checkpoint(path, 1, counts, "gone")
    assert counts.checkpoints_lost == 3 and len(counts.problems) == 3
    assert not counts.ok


def test_reports_cut_by_a_signal_are_still_read() -> None:
    script = load_script()
    assert script.last_saved(["ready", "saved 3", "saved 16saved 17", "interrupted 17"]) == 17
    assert script.last_saved(["ready"]) == 0


def test_bit_for_bit_means_one_ulp_is_a_difference() -> None:
    script = load_script()
    a = {"w": np.linspace(0, 1, 5, dtype=np.float32)}
    b = {"w": a["w"].copy()}
    assert script.same_arrays(a, b)
    b["w"][2] = np.nextafter(b["w"][2], np.float32(2))
    assert not script.same_arrays(a, b)
    assert not script.same_arrays(a, {"v": a["w"]})
