"""``minigrad shootout``: the table, the files it writes, resuming, errors, and the live view
in a real 80x24 pseudo-terminal."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from minigrad.cli.main import main
from minigrad.lessons.shootout.outputs import CSV_FIELDS

TINY = ["shootout", "--task", "adding", "--preset", "tiny", "--workers", "1"]


def test_a_tiny_sweep_prints_the_table_and_writes_json_and_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results, js, table = tmp_path / "runs.jsonl", tmp_path / "out.json", tmp_path / "out.csv"
    args = [*TINY, "--cells", "rnn,lstm,gru", "--seeds", "2", "--lrs", "0.03"]
    args += ["--results", str(results), "--json", str(js), "--csv", str(table)]
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())  # lines folded at 80 columns joined
    assert "6 runs (3 cells x 1 rates x 2 seeds)" in out
    assert "vs lstm" in out and "baseline" in out and "against parameters" in out
    document = json.loads(js.read_text())
    assert (document["task"], document["metric"], document["schema"]) == (
        "adding",
        "validation MSE",
        1,
    )
    assert len(document["runs"]) == 6
    for run in document["runs"]:
        assert {"cell", "seed", "lr", "params", "metric", "seconds", "steps"} <= set(run)
    cells = document["summary"]["cells"]
    assert {row["cell"] for row in cells} == {"rnn", "lstm", "gru"}
    assert document["references"] == {"predict 1": pytest.approx(1 / 6)}
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == 6 and tuple(rows[0]) == CSV_FIELDS
    # The same command again runs nothing and prints the same table.
    began = time.perf_counter()
    assert main(args) == 0
    again = " ".join(capsys.readouterr().out.split())
    assert "6 already in the results file, not run again" in again
    assert time.perf_counter() - began < 20
    assert json.loads(js.read_text())["runs"] == document["runs"]


def test_fresh_keeps_the_old_results_beside(tmp_path: Path) -> None:
    results = tmp_path / "runs.jsonl"
    args = [*TINY, "--cells", "rnn", "--seeds", "1", "--lrs", "0.03", "--results", str(results)]
    assert main(args) == 0
    assert main([*args, "--fresh"]) == 0
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("runs.jsonl.")]
    assert len(kept) == 1 and results.exists()


def test_no_run_summarises_a_partial_sweep_without_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "runs.jsonl"
    args = [*TINY, "--cells", "rnn,lstm", "--lrs", "0.03", "--results", str(results)]
    assert main([*args, "--seeds", "1"]) == 0
    lines = results.read_text().splitlines()
    capsys.readouterr()
    assert main([*args, "--seeds", "2", "--no-run", "--json", str(tmp_path / "p.json")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "2 of 4 runs in" in out and "too few seeds" in out
    assert results.read_text().splitlines() == lines
    assert len(json.loads((tmp_path / "p.json").read_text())["runs"]) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cells", "lsmt"], "Did you mean 'lstm'"),
        (["--cells", "bidirectional"], "runs whole sequences"),
        (["--budget", "3"], "too small"),
        (["--scheduler", "tcp://127.0.0.1:1"], "cannot reach the Dask scheduler|cluster"),
    ],
)
def test_mistakes_are_one_red_line(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--scheduler" in extra:
        pytest.importorskip("dask.distributed")
    assert main([*TINY, "--results", str(tmp_path / "r.jsonl"), *extra]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_bad_rates_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*TINY, "--lrs", "0.01,-1"]) == 2
    assert "learning rates must be positive" in capsys.readouterr().err


def test_the_live_view_fits_an_80_by_24_terminal(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "MINIGRAD_HOME": str(tmp_path), "TERM": "xterm-256color"}
    env.pop("COLUMNS", None)
    command = [sys.executable, "-m", "minigrad", *TINY, "--cells", "rnn,lstm", "--seeds", "1"]
    command += ["--results", str(tmp_path / "r.jsonl")]
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert process.wait(timeout=120) == 0
    os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    # Cursor moves and line erasures start a new screen line (the live view redraws in place).
    moved = re.sub(r"\x1b\[[0-9;]*[ABGHJK]", "\n", screen)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", moved).replace("\r", "\n")
    assert "runs" in plain and "eta" in plain  # the live bar was drawn
    assert "vs lstm" in plain
    lines = plain.splitlines()
    assert any(line.split()[:3] == ["cell", "params", "lr"] for line in lines if line.strip())
    assert max(len(line) for line in lines) <= 80


def test_plot_without_matplotlib_fails_before_any_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from minigrad.lessons.framework import plot

    monkeypatch.setattr(plot.importlib.util, "find_spec", lambda name: None)
    results = tmp_path / "r.jsonl"
    code = main([*TINY, "--results", str(results), "--plot", str(tmp_path / "p.png")])
    assert code == 2 and "matplotlib" in capsys.readouterr().err
    assert not results.exists()


def test_plot_draws_both_charts(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the 'plot' extra")
    png = tmp_path / "p.png"
    args = [*TINY, "--cells", "rnn,lstm", "--seeds", "1", "--lrs", "0.03", "--plot", str(png)]
    assert main([*args, "--results", str(tmp_path / "r.jsonl")]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_logdir_writes_each_runs_curves_to_its_own_tensorboard_folder(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing import event_accumulator as ea

    logdir = tmp_path / "runs"
    args = [*TINY, "--cells", "rnn,gru", "--seeds", "1", "--lrs", "0.03"]
    args += ["--results", str(tmp_path / "r.jsonl"), "--logdir", str(logdir)]
    assert main(args) == 0
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    folders = sorted(p.parent.relative_to(logdir) for p in logdir.rglob("events.out.tfevents.*"))
    assert [str(f) for f in folders] == ["adding/gru/lr=0.03-seed=0", "adding/rnn/lr=0.03-seed=0"]
    for folder, record in zip(folders, sorted(records, key=lambda r: r["cell"])):
        acc = ea.EventAccumulator(str(logdir / folder), size_guidance={ea.SCALARS: 0})
        acc.Reload()
        assert {"train/loss", "validation/loss"} <= set(acc.Tags()["scalars"])
        validation = acc.Scalars("validation/loss")
        # the last validation point is the run's recorded validation metric
        assert validation[-1].value == pytest.approx(record["metric"], rel=1e-5)


def test_logdir_without_the_tensorboard_extra_fails_before_any_run(
    tmp_path: Path, no_tensorboardx: None, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "r.jsonl"
    args = [*TINY, "--cells", "rnn", "--seeds", "1", "--lrs", "0.03"]
    assert main([*args, "--results", str(results), "--logdir", str(tmp_path / "runs")]) != 0
    assert "tensorboard extra" in capsys.readouterr().err
    assert not results.exists() or not results.read_text().strip()
