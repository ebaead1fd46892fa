"""Kill saves, training runs and resumes at random moments, and count the checkpoints lost.

Run ``python scripts/fault_injection.py --iterations 100`` (``--json PATH`` keeps the
counts). Every iteration plays four scenes, each in a fresh process so that a kill is real:

1. **save**: a process saves checkpoints to one path in a loop (each a step number and an
   array derived from it) and is killed at a random moment with SIGKILL, SIGTERM or SIGINT.
   The file must load, hold a consistent array, and be no older than the last save the
   process reported finished; the next save must leave no temporary file behind.
2. **train**: a process trains lesson 3's model (tiny, on a generated text, CPU), writing a
   checkpoint after every step, and is killed at a random moment with SIGKILL or SIGINT.
   The checkpoint must load (``load_checkpoint``) at a step no older than the last one the
   process reported saved.
3. **resume**: a process resumes from that checkpoint and is killed the same way; same check.
4. **finish**: a process resumes to the end, undisturbed. Its final weights and optimizer
   state must equal, bit for bit, those of a run that was never interrupted.

Printed at the end: iterations, faults injected (kills that landed while the process was
running), checkpoints lost (a checkpoint that did not load, or was older than one already
reported written), resumes that were not bit-exact, and temporary files left behind. The
last three must be 0. Every process runs with one BLAS thread, so that "bit for bit" is
a property of minigrad, not of thread scheduling. POSIX only (signals).

``run()`` is what the test suite calls (tests/lessons/test_fault_injection.py), with a
few iterations.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

#: The run every scene trains: small enough for seconds, two layers and dropout so that
#: the random generator's state has to survive a resume too.
CONFIG = {
    "cell": "lstm",
    "layers": 2,
    "hidden_size": 16,
    "embedding_size": 8,
    "dropout": 0.2,
    "batch_size": 4,
    "num_steps": 16,
    "max_steps": 20,
    "eval_every": 0,
    "checkpoint_every": 1,
    "seed": 5,
}
CORPUS_CHARS = 1_200  # 16 steps an epoch: the 20 steps cross an epoch boundary
SAVE_ARRAY = 1_000_000  # float64s per save in the save scene: 8 MB, so a kill often lands mid-write
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Counts:
    """What a fault-injection run found."""

    iterations: int = 0
    faults_injected: int = 0
    checkpoints_lost: int = 0
    resumes_not_exact: int = 0
    temporary_files_left: int = 0
    problems: list[str] | None = None

    def note(self, problem: str) -> None:
        """Remember what went wrong, for the report."""
        self.problems = [*(self.problems or []), problem]

    @property
    def ok(self) -> bool:
        """True when nothing went wrong: nothing lost, every resume exact, nothing left behind."""
        return not self.problems


# ---------------------------------------------------------------- the children
def as_from_a_terminal() -> None:
    """Make Ctrl-C raise KeyboardInterrupt, as in a terminal.

    A process started in the background by a non-interactive shell (``nohup ...
    &``, some CI runners) inherits SIGINT ignored, and Python then installs no
    handler: SIGINT would do nothing, which is not the fault being injected.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)


def child_save(path: str) -> None:
    """Save checkpoints to ``path`` forever, reporting each finished one."""
    import numpy as np

    import minigrad as mg

    base = np.arange(SAVE_ARRAY, dtype=np.float64)
    print("ready", flush=True)
    step = 0
    while True:
        step += 1
        mg.save({"step": step, "payload": base + step}, path)
        print(f"saved {step}", flush=True)


def child_train(path: str, corpus: str, resume: bool) -> None:
    """Train (or resume) with a checkpoint after every step, reporting each one."""
    from minigrad.lessons.charlm.config import TrainConfig
    from minigrad.lessons.charlm.data import read_text_file
    from minigrad.lessons.charlm.train import Trainer, TrainHooks, TrainingInterrupted

    class Report(TrainHooks):
        def on_checkpoint(self, trainer: Trainer, saved: str) -> None:
            print(f"saved {trainer.step}", flush=True)

    config = TrainConfig(**CONFIG)
    resume_from = path if resume and os.path.exists(path) else None
    trainer = Trainer(config, read_text_file(Path(corpus)), path, resume_from, Report())
    print("ready", flush=True)
    try:
        trainer.run()
    except TrainingInterrupted as stop:
        print(f"interrupted {stop.result.steps}", flush=True)
        sys.exit(130)


# ------------------------------------------------------------------ the parent
class Child:
    """A child process of this script whose stdout lines are collected as they come."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--child", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=ENV,
        )
        self.lines: list[str] = []
        self.did_not_stop = False
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())
            if line.startswith("ready"):
                self.ready.set()
        self.ready.set()  # the process ended: nobody waits forever

    def last_saved(self) -> int:
        """The last step the child reported saved (0: none)."""
        return last_saved(self.lines)

    def kill_after(self, delay: float, sig: signal.Signals) -> bool:
        """Wait until it is ready, then ``delay`` seconds, then send ``sig``; True if it landed."""
        self.ready.wait(timeout=300)
        time.sleep(delay)
        landed = self.process.poll() is None
        if landed:
            self.process.send_signal(sig)
        self.finish(timeout=120)
        return landed

    def finish(self, timeout: float = 600) -> int:
        """Wait for the process and its output; its exit code.

        A process that outlives ``timeout`` (one that ignored the signal) is
        killed, and ``did_not_stop`` says so.
        """
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.did_not_stop = True
            self.process.kill()
            code = self.process.wait()
        self.reader.join(timeout=60)
        return code


def last_saved(lines: list[str]) -> int:
    """The highest step reported as ``saved N`` in a child's output lines (0: none).

    A signal can cut a print before its newline, so one line may hold two
    reports (``saved 16saved 17``).
    """
    steps = [int(n) for line in lines for n in re.findall(r"saved (\d+)", line)]
    return max(steps, default=0)


def leftovers(path: Path) -> list[str]:
    """Temporary files of saves to ``path`` still in its folder."""
    from minigrad.atomic import temporary_name_pattern

    pattern = temporary_name_pattern(str(path))
    return [n for n in os.listdir(path.parent) if pattern.fullmatch(n)]


def count_leftovers(path: Path, counts: Counts, what: str) -> None:
    """Count (and name, after ``what``) the temporary files saves to ``path`` left behind."""
    left = leftovers(path)
    if left:
        counts.temporary_files_left += len(left)
        counts.note(f"{what}: {left}")


def final_arrays(path: Path) -> dict[str, object]:
    """The weights and optimizer arrays of the checkpoint at ``path``, by name."""
    import minigrad as mg

    obj = mg.load(path)
    arrays = {f"model/{k}": v for k, v in obj["model"].items()}
    for key, entry in obj["optimizer"]["state"].items():
        arrays.update({f"optimizer/{key}/{k}": v for k, v in entry.items()})
    return arrays


def same_arrays(a: dict[str, object], b: dict[str, object]) -> bool:
    """Bit-for-bit equality of two dicts of arrays."""
    import numpy as np

    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)  # type: ignore[arg-type]


def check_checkpoint(path: Path, at_least: int, counts: Counts, scene: str) -> int:
    """Count a loss unless ``path`` loads at a step >= ``at_least``; returns its step (0: none)."""
    from minigrad.lessons.charlm.checkpoint import load_checkpoint

    if not path.exists():
        if at_least:
            counts.checkpoints_lost += 1
            counts.note(f"{scene}: no checkpoint, but step {at_least} had been saved")
        return 0
    try:
        step = load_checkpoint(path).step
    except Exception as exc:  # any failure to load is a lost checkpoint
        counts.checkpoints_lost += 1
        counts.note(f"{scene}: the checkpoint does not load: {exc}")
        return 0
    if step < at_least:
        counts.checkpoints_lost += 1
        counts.note(f"{scene}: checkpoint at step {step}, but step {at_least} had been saved")
    return step


def save_scene(folder: Path, rng: random.Random, counts: Counts) -> None:
    """Scene 1: kill a process that saves in a loop; the file and the next save must be fine."""
    import numpy as np

    import minigrad as mg

    path = folder / "saves.npz"
    sig = rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
    child = Child("save", str(path))
    counts.faults_injected += child.kill_after(rng.uniform(0.0, 0.5), sig)
    if child.did_not_stop:
        counts.note(f"save scene: the saving process ignored {sig.name}")
    reported = child.last_saved()
    if reported or path.exists():
        try:
            obj = mg.load(path)
            consistent = np.array_equal(obj["payload"], np.arange(SAVE_ARRAY) + obj["step"])
            if not consistent or obj["step"] < reported:
                raise ValueError(
                    f"step {obj['step']} (reported {reported}), consistent: {consistent}"
                )
        except Exception as exc:
            counts.checkpoints_lost += 1
            counts.note(f"save scene ({sig.name}): {exc}")
    mg.save({"step": 0}, path)  # the next save removes what the killed one left
    count_leftovers(path, counts, "save scene: temporary files left after the next save")
    path.unlink()


def training_scenes(
    folder: Path, corpus: Path, reference: dict[str, object], rng: random.Random, counts: Counts
) -> None:
    """Scenes 2-4: kill a training run and a resume, then finish and compare bit for bit."""
    path = folder / "charlm.npz"
    saved = 0
    for scene, resume in (("train", False), ("resume", True)):
        sig = rng.choice([signal.SIGKILL, signal.SIGINT])
        child = Child("train", str(path), str(corpus), "resume" if resume else "fresh")
        counts.faults_injected += child.kill_after(rng.uniform(0.0, 1.5), sig)
        if child.did_not_stop:
            counts.note(f"{scene} scene: the process ignored {sig.name}")
        saved = check_checkpoint(
            path, max(saved, child.last_saved()), counts, f"{scene} ({sig.name})"
        )
    finisher = Child("train", str(path), str(corpus), "resume")
    if finisher.finish() != 0:
        counts.resumes_not_exact += 1
        counts.note("finish: the undisturbed resume failed")
    elif not same_arrays(final_arrays(path), reference):
        counts.resumes_not_exact += 1
        counts.note(f"finish: resumed from step {saved}, the final weights differ")
    count_leftovers(path, counts, "training: temporary files left")
    path.unlink(missing_ok=True)


def run(iterations: int, seed: int = 0, workdir: Path | None = None) -> Counts:
    """Play ``iterations`` rounds of the four scenes; returns the counts."""
    from minigrad.lessons.charlm.data import toy_text

    rng = random.Random(seed)
    counts = Counts()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        folder = Path(tmp)
        corpus = folder / "corpus.txt"
        corpus.write_text(toy_text(CORPUS_CHARS, seed=seed), encoding="utf-8")
        straight = folder / "straight.npz"
        if Child("train", str(straight), str(corpus), "fresh").finish() != 0:
            raise RuntimeError("the uninterrupted reference run failed")
        reference = final_arrays(straight)
        for _ in range(iterations):
            save_scene(folder, rng, counts)
            training_scenes(folder, corpus, reference, rng, counts)
            counts.iterations += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print the counts; exit 1 if anything was lost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50, help="rounds of the four scenes")
    parser.add_argument("--seed", type=int, default=0, help="seeds the kinds and times of kills")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the counts")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        as_from_a_terminal()
        role, *rest = args.child
        if role == "save":
            child_save(rest[0])
        else:
            child_train(rest[0], rest[1], resume=rest[2] == "resume")
        return 0
    started = time.perf_counter()
    counts = run(args.iterations, args.seed)
    minutes = (time.perf_counter() - started) / 60
    print(
        f"fault injection: {counts.iterations} iterations in {minutes:.1f} min (seed {args.seed})"
    )
    print(f"  faults injected:         {counts.faults_injected}")
    print(f"  checkpoints lost:        {counts.checkpoints_lost}")
    print(f"  resumes not bit-exact:   {counts.resumes_not_exact}")
    print(f"  temporary files left:    {counts.temporary_files_left}")
    for problem in counts.problems or []:
        print(f"  - {problem}")
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(counts), indent=2) + "\n")
    return 0 if counts.ok else 1


if __name__ == "__main__":
    sys.exit(main())
