"""BLAS thread control: limits apply and come back, and the tuner keeps the faster setting."""

from __future__ import annotations

import numpy as np
import pytest

from minigrad import threads
from minigrad.errors import OptionError

pytestmark = pytest.mark.skipif(not threads.blas_libraries(), reason="NumPy has no BLAS here")


@pytest.fixture(autouse=True)
def _restore_threads(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    before = threads.blas_threads()
    yield
    threads.set_blas_threads(before)


def test_set_and_limit_change_the_library_and_the_limit_comes_back() -> None:
    threads.set_blas_threads(2)
    assert threads.blas_threads() == 2
    with threads.blas_thread_limit(1):
        assert threads.blas_threads() == 1
        np.ones((64, 64)) @ np.ones((64, 64))  # BLAS still works inside
    assert threads.blas_threads() == 2
    library = threads.blas_libraries()[0]
    assert library["library"] and library["threads"] == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts_are_option_errors(bad: object) -> None:
    with pytest.raises(OptionError, match="positive int"):
        threads.set_blas_threads(bad)  # type: ignore[arg-type]


def test_the_environment_variable_fixes_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(threads.ENV_VAR, "1")
    tuner = threads.ThreadTuner(candidates=(1, 2))
    assert tuner.candidates == (1,) and not tuner.measuring
    seen = []
    tuner.run(lambda: seen.append(threads.blas_threads()))
    assert seen == [1]
    monkeypatch.setenv(threads.ENV_VAR, "many")
    with pytest.raises(OptionError, match="MINIGRAD_BLAS_THREADS must be a positive integer"):
        threads.ThreadTuner()


class FakeClock:
    """A clock whose steps take 10 ms with 1 thread and ``slow`` ms with more."""

    def __init__(self, slow: float) -> None:
        self.now, self.slow = 0.0, slow

    def __call__(self) -> float:
        return self.now

    def step(self) -> int:
        current = threads.blas_threads()
        self.now += 0.010 if current == 1 else self.slow / 1000
        return current


@pytest.mark.parametrize("slow,expected", [(380.0, 1), (6.0, 2)])
def test_the_tuner_keeps_the_faster_setting(slow: float, expected: int) -> None:
    clock = FakeClock(slow)
    tuner = threads.ThreadTuner(candidates=(1, 2), probe_steps=3, retune_every=50, clock=clock)
    used = [tuner.run(clock.step) for _ in range(6)]
    assert sorted(used) == [1, 1, 1, 2, 2, 2]  # each candidate timed on real steps
    assert not tuner.measuring and tuner.chosen == expected
    assert [tuner.run(clock.step) for _ in range(10)] == [expected] * 10
    assert f"{expected} BLAS thread" in tuner.describe() and "ms/step" in tuner.describe()


def test_the_tuner_measures_again_after_retune_every_steps() -> None:
    clock = FakeClock(380.0)
    tuner = threads.ThreadTuner(candidates=(1, 2), probe_steps=1, retune_every=4, clock=clock)
    for _ in range(2):
        tuner.run(clock.step)
    assert tuner.chosen == 1
    clock.slow = 1.0  # the machine went quiet: more threads now win
    used = [tuner.run(clock.step) for _ in range(7)]
    # three steps with the choice, then the 4th and 5th measure 1 and 2 again
    assert used == [1, 1, 1, 1, 2, 2, 2]
    assert tuner.chosen == 2


def test_restore_puts_the_original_count_back() -> None:
    threads.set_blas_threads(2)
    tuner = threads.ThreadTuner(fixed=1)
    tuner.run(lambda: None)
    assert threads.blas_threads() == 1
    tuner.restore()
    assert threads.blas_threads() == 2


def test_thread_settings_record_the_pools_and_the_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("UNRELATED_SETTING", "x")
    threads.set_blas_threads(1)
    settings = threads.thread_settings()
    assert settings["cores"] == threads.core_count() >= 1
    blas = [p for p in settings["pools"] if p["kind"] == "blas"]
    assert blas and blas[0]["threads"] == 1 and blas[0]["library"]
    assert settings["env"]["OMP_NUM_THREADS"] == "3"
    assert settings["env"]["OPENBLAS_CORETYPE"] == "Haswell"
    assert "UNRELATED_SETTING" not in settings["env"]


@pytest.mark.parametrize("others,expected", [(1.9, [1]), (1.0, [1]), (0.05, [1, 2])])
def test_candidates_the_free_cores_cannot_run_are_not_tried(
    others: float, expected: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(threads, "core_count", lambda: 2)
    clock = FakeClock(380.0)
    tuner = threads.ThreadTuner(probe_steps=1, clock=clock, load_probe=lambda: others)
    used = [tuner.run(clock.step) for _ in range(3)]
    assert sorted(set(used)) == expected and tuner.chosen == 1 and not tuner.measuring
    if expected == [1]:
        assert "not tried" in tuner.describe() and f"{others:.1f} of 2 cores" in tuner.describe()


def test_other_load_sees_busy_processes() -> None:
    import subprocess
    import sys
    import time

    code = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end: pass"
    spinners = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
    try:
        time.sleep(0.3)
        busy = threads.other_load(0.5)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    assert busy is not None and busy > 1.2, busy
