"""Lesson 3's training loop: learning, checkpoints, exact resume, Ctrl-C, bad checkpoints.

Runs on a small generated corpus with a tiny model: seconds, not minutes.
"""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.errors import CheckpointError, DataError
from minigrad.lessons.charlm.baselines import compute_baselines
from minigrad.lessons.charlm.checkpoint import load_checkpoint
from minigrad.lessons.charlm.config import TrainConfig
from minigrad.lessons.charlm.data import Corpus, read_text_file, toy_text
from minigrad.lessons.charlm.model import CharLM
from minigrad.lessons.charlm.train import (
    Trainer,
    TrainHooks,
    TrainingInterrupted,
    evaluate,
    interrupts_deferred,
    train,
)
from minigrad.lessons.charlm.vocab import Vocabulary

TINY = TrainConfig(
    cell="lstm",
    hidden_size=24,
    embedding_size=8,
    batch_size=4,
    num_steps=16,
    lr=1e-2,
    epochs=1,
    eval_every=0,
    checkpoint_every=0,
    seed=3,
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    path = tmp_path_factory.mktemp("corpus") / "toy.txt"
    path.write_text(toy_text(12_000, seed=1), encoding="utf-8")
    return read_text_file(path)


def _weights(model: CharLM) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in model.state_dict().items()}


def _assert_same_weights(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_a_few_hundred_steps_beat_the_unigram_baseline(corpus: Corpus, tmp_path: Path) -> None:
    config = TINY.replace(max_steps=150, eval_every=50, eval_batches=2, checkpoint_every=100)
    trainer = Trainer(config, corpus, str(tmp_path / "ckpt.npz"))
    result = trainer.run()
    base = compute_baselines(trainer.train_ids, trainer.val_ids, len(trainer.vocab))
    assert result.steps == 150 and result.stopped_by == "max_steps"
    assert result.val_loss < base.unigram - 0.3
    assert [p[0] for p in result.curves["val"]] == [50, 100, 150]
    assert result.curves["train"][0][1] > result.curves["train"][-1][1]
    assert Path(result.checkpoint).exists() and result.sample
    assert result.chars_per_second > 0


def test_evaluate_is_the_mean_cross_entropy_over_the_validation_batches(corpus: Corpus) -> None:
    trainer = Trainer(TINY, corpus, None)
    model, ids = trainer.model, trainer.val_ids[:500]
    rows, steps = 3, 20
    batch_len = len(ids) // rows
    data = ids[: rows * batch_len].reshape(rows, batch_len)
    losses, state = [], None
    model.eval()
    for k in range((batch_len - 1) // steps):
        x = data[:, k * steps : (k + 1) * steps]
        y = data[:, k * steps + 1 : (k + 1) * steps + 1]
        logits, state = model(x, state)
        z = logits.numpy().astype(np.float64)
        logp = z - z.max(-1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
        losses.append(-np.take_along_axis(logp, y[..., None], -1).mean())
    assert evaluate(model, ids, rows, steps) == pytest.approx(np.mean(losses), rel=1e-5)


@pytest.mark.parametrize(
    "changes",
    [
        {},  # one layer, no dropout
        {"cell": "gru", "layers": 2, "dropout": 0.3},  # random masks must resume too
    ],
)
@pytest.mark.slow
def test_resume_continues_exactly(corpus: Corpus, tmp_path: Path, changes: dict) -> None:
    # 30 steps cross an epoch boundary (the state is reset there) when an epoch has 16.
    # Exact to the bit needs a fixed thread count: BLAS rounds differently with 1 and 2
    # threads, and --threads auto may choose differently in a resumed run.
    config = TINY.replace(
        batch_size=8, num_steps=80, epochs=2, eval_every=4, eval_batches=1, threads="1", **changes
    )
    straight = Trainer(config.replace(max_steps=30), corpus, str(tmp_path / "a.npz"))
    assert straight.epoch_size == 16
    straight.run()

    first = Trainer(config.replace(max_steps=13), corpus, str(tmp_path / "b.npz"))
    first.run()
    second = Trainer(
        config.replace(max_steps=30),
        corpus,
        str(tmp_path / "b.npz"),
        resume=str(tmp_path / "b.npz"),
    )
    assert second.step == 13
    result = second.run()
    assert result.steps == 30
    _assert_same_weights(_weights(straight.model), _weights(second.model))
    assert second.optimizer.state_dict()["state"]["0"]["step"] == 30
    assert len(second.curves["train"]) == 7
    assert straight.curves["train"] == second.curves["train"]
    # The resumed run also validated where the first part stopped (step 13).
    assert [p for p in second.curves["val"] if p[0] != 13] == straight.curves["val"]


def test_checkpoint_holds_weights_optimizer_state_vocab_and_config(
    corpus: Corpus, tmp_path: Path
) -> None:
    path = tmp_path / "c.npz"
    trainer = Trainer(TINY.replace(max_steps=5), corpus, str(path))
    trainer.run()
    ckpt = load_checkpoint(path)
    assert ckpt.step == 5 and ckpt.config == TINY.replace(max_steps=5)
    assert ckpt.vocab == Vocabulary.from_text(corpus.text)
    assert ckpt.corpus["sha256"] == corpus.sha256
    _assert_same_weights(ckpt.model_state, _weights(trainer.model))
    assert set(ckpt.carried_state) == {"0.0", "0.1"}  # one LSTM layer: (h, c)
    rebuilt = ckpt.build_model()
    _assert_same_weights(_weights(rebuilt), _weights(trainer.model))


class _StopAt(TrainHooks):
    """Press Ctrl-C (raise KeyboardInterrupt) right after step ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step(self, trainer: Trainer, loss: float, grad_norm: float) -> None:
        if trainer.step == self.step:
            raise KeyboardInterrupt


def test_ctrl_c_writes_a_consistent_checkpoint_that_resumes_exactly(
    corpus: Corpus, tmp_path: Path
) -> None:
    config = TINY.replace(max_steps=12, dropout=0.2, layers=2)
    straight = Trainer(config, corpus, str(tmp_path / "a.npz"))
    straight.run()

    path = tmp_path / "b.npz"
    with pytest.raises(TrainingInterrupted) as info:
        Trainer(config, corpus, str(path), hooks=_StopAt(7)).run()
    assert isinstance(info.value, KeyboardInterrupt)  # the runner's Ctrl-C handling applies
    assert info.value.checkpoint == str(path) and info.value.result.steps == 7
    assert load_checkpoint(path).step == 7
    resumed = Trainer(config, corpus, str(path), resume=str(path))
    resumed.run()
    _assert_same_weights(_weights(straight.model), _weights(resumed.model))


def test_ctrl_c_is_held_back_until_the_update_is_complete() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            signal.raise_signal(signal.SIGINT)
            done.append("the rest of the update ran")
    assert done == ["the rest of the update ran"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_resuming_with_another_cell_is_refused(corpus: Corpus, tmp_path: Path) -> None:
    path = tmp_path / "lstm.npz"
    train(TINY.replace(max_steps=2), corpus, str(path))
    with pytest.raises(CheckpointError) as info:
        Trainer(TINY.replace(cell="gru"), corpus, str(path), resume=str(path))
    message = str(info.value)
    assert str(path) in message and "cell 'lstm' in the checkpoint, 'gru' now" in message


def test_resuming_on_another_vocabulary_is_refused(corpus: Corpus, tmp_path: Path) -> None:
    path = tmp_path / "toy.npz"
    train(TINY.replace(max_steps=2), corpus, str(path))
    other = tmp_path / "other.txt"
    other.write_text(corpus.text.replace("K", "k") + "~", encoding="utf-8")
    with pytest.raises(CheckpointError) as info:
        Trainer(TINY, read_text_file(other), str(path), resume=str(path))
    message = str(info.value)
    assert str(path) in message and "vocabulary" in message
    assert "new characters '~'" in message and "missing characters 'K'" in message


def test_a_checkpoint_with_weights_of_another_cell_is_refused(
    corpus: Corpus, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.npz"
    train(TINY.replace(max_steps=1), corpus, str(path))
    obj = mg.load(path)
    obj["config"]["cell"] = "gru"  # GRU has 3 gate blocks, LSTM 4: shapes differ
    mg.save(obj, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path).build_model()
    assert str(path) in str(info.value) and "gru" in str(info.value)


def test_a_checkpoint_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    mg.save({"model": {"w": np.zeros(3)}}, path)
    with pytest.raises(CheckpointError, match="not a character language model") as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)


def test_a_corpus_shorter_than_one_batch_is_named(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_text("To be, or not to be.\n" * 3, encoding="utf-8")  # 63 characters
    with pytest.raises(DataError) as info:
        Trainer(TINY, read_text_file(path), None)
    message = str(info.value)
    assert str(path) in message and "shorter than one batch" in message
    assert "has 57 characters" in message  # the training part: 90% of 63
    assert "needs at least 68" in message  # batch 4 x (16 + 1)


@pytest.mark.gpu
def test_training_on_the_gpu_checkpoints_host_arrays_and_resumes(
    corpus: Corpus, tmp_path: Path
) -> None:
    path = tmp_path / "gpu.npz"
    config = TINY.replace(device="cuda", max_steps=6)
    gpu = Trainer(config, corpus, str(path))
    assert all(p.device == "cuda" for p in gpu.model.parameters())
    result = gpu.run()
    assert result.steps == 6 and np.isfinite(result.val_loss)
    ckpt = load_checkpoint(path)
    assert all(isinstance(v, np.ndarray) for v in ckpt.model_state.values())
    on_cpu = ckpt.build_model(device="cpu")  # a GPU checkpoint loads on a CPU-only machine
    _assert_same_weights(_weights(on_cpu), _weights(gpu.model))
    resumed = Trainer(config.replace(max_steps=8), corpus, str(path), resume=str(path))
    assert resumed.run().steps == 8
