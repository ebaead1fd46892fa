"""Lesson 3's generator and ``minigrad generate``: sampling rules, state carrying, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.cli.main import main
from minigrad.errors import DataError
from minigrad.lessons.charlm.checkpoint import load_checkpoint
from minigrad.lessons.charlm.config import TrainConfig
from minigrad.lessons.charlm.data import read_text_file, toy_text
from minigrad.lessons.charlm.generate import (
    generate,
    generate_from_checkpoint,
    next_char_probs,
    sample_next,
)
from minigrad.lessons.charlm.model import CharLM, ModelConfig
from minigrad.lessons.charlm.train import train
from minigrad.lessons.charlm.vocab import Vocabulary

LOGITS = np.array([0.5, 2.0, -1.0, 1.5, 0.0, 1.9])


# ------------------------------------------------------------ the sampling rule
def test_temperature_one_is_the_softmax() -> None:
    expected = np.exp(LOGITS) / np.exp(LOGITS).sum()
    np.testing.assert_allclose(next_char_probs(LOGITS, 1.0), expected, rtol=1e-12)


def test_temperature_divides_the_logits() -> None:
    for t in (0.5, 2.0):
        expected = np.exp(LOGITS / t) / np.exp(LOGITS / t).sum()
        np.testing.assert_allclose(next_char_probs(LOGITS, t), expected, rtol=1e-12)


def test_top_k_keeps_the_k_largest_renormalised() -> None:
    probs = next_char_probs(LOGITS, 1.0, top_k=3)
    kept = [1, 5, 3]  # logits 2.0, 1.9, 1.5
    assert set(np.flatnonzero(probs)) == set(kept)
    expected = np.exp(LOGITS[kept]) / np.exp(LOGITS[kept]).sum()
    np.testing.assert_allclose(probs[kept], expected, rtol=1e-12)


def test_top_k_draws_only_from_the_support_with_the_right_frequencies() -> None:
    rng = np.random.default_rng(0)
    draws = np.array([sample_next(LOGITS, rng, 1.0, top_k=2) for _ in range(4000)])
    assert set(draws.tolist()) == {1, 5}
    p1 = np.exp(2.0) / (np.exp(2.0) + np.exp(1.9))
    assert abs((draws == 1).mean() - p1) < 0.03


def test_temperature_towards_zero_becomes_greedy() -> None:
    assert next_char_probs(LOGITS, 1e-3)[1] == pytest.approx(1.0)  # 2.0 vs 1.9: 100 nats apart
    np.testing.assert_array_equal(next_char_probs(LOGITS, 0.0), np.eye(6)[1])
    rng = np.random.default_rng(0)
    assert {sample_next(LOGITS, rng, 1e-3) for _ in range(50)} == {1}


def test_bad_sampling_options_are_refused() -> None:
    with pytest.raises(ValueError, match="temperature"):
        next_char_probs(LOGITS, -1.0)
    with pytest.raises(ValueError, match="top_k"):
        next_char_probs(LOGITS, 1.0, top_k=-2)


# ------------------------------------------------------------- with a model
@pytest.fixture(scope="module")
def model_and_vocab() -> tuple[CharLM, Vocabulary]:
    vocab = Vocabulary.from_text(toy_text(3000))
    mg.manual_seed(5)
    model = CharLM(ModelConfig(vocab_size=len(vocab), cell="gru", embedding_size=8, hidden_size=16))
    return model.eval(), vocab


def test_same_seed_same_text_other_seed_other_text(model_and_vocab) -> None:
    model, vocab = model_and_vocab
    a = generate(model, vocab, "KING:", 80, seed=11)
    assert len(a) == 80 and set(a) <= set(vocab.idx_to_vocab)
    assert generate(model, vocab, "KING:", 80, seed=11) == a
    assert generate(model, vocab, "KING:", 80, seed=12) != a


def test_state_is_carried_from_each_character_to_the_next(model_and_vocab) -> None:
    # Greedy generation one character at a time must pick, at every position, the
    # argmax of the model run from scratch over the whole text so far.
    model, vocab = model_and_vocab
    prime = "ROMEO:\n"
    text = generate(model, vocab, prime, 25, temperature=0.0)
    with mg.no_grad():
        for i in range(len(text)):
            so_far = vocab.encode(prime + text[:i])
            logits, _ = model(so_far[None, :])
            assert vocab.idx_to_vocab[int(np.argmax(logits.numpy()[0, -1]))] == text[i]


def test_top_one_is_greedy(model_and_vocab) -> None:
    model, vocab = model_and_vocab
    greedy = generate(model, vocab, "KING:", 40, temperature=0.0)
    assert generate(model, vocab, "KING:", 40, temperature=1.0, top_k=1, seed=9) == greedy


def test_a_prime_outside_the_vocabulary_names_the_characters(model_and_vocab) -> None:
    model, vocab = model_and_vocab
    with pytest.raises(DataError) as info:
        generate(model, vocab, "ROMEO: ¿Qué?", 10)
    message = str(info.value)
    assert message.startswith("--prime contains")
    assert "2 character(s)" in message and "'¿', 'é'" in message


# ---------------------------------------------------- from a checkpoint (CLI)
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("generate")
    (folder / "toy.txt").write_text(toy_text(8000, seed=2), encoding="utf-8")
    config = TrainConfig(
        hidden_size=16, embedding_size=8, batch_size=4, num_steps=16, max_steps=3, eval_every=0
    )
    path = folder / "model.npz"
    train(config, read_text_file(folder / "toy.txt"), str(path))
    return path


def test_generate_from_a_checkpoint_matches_the_loaded_model(checkpoint: Path) -> None:
    ckpt = load_checkpoint(checkpoint)
    model = ckpt.build_model()
    expected = generate(model, ckpt.vocab, "KING:", 60, temperature=0.7, top_k=5, seed=4)
    got = generate_from_checkpoint(str(checkpoint), "KING:", 60, temperature=0.7, top_k=5, seed=4)
    assert got == expected


def test_minigrad_generate_prints_prime_and_text(checkpoint: Path, capsys) -> None:
    argv = ["generate", str(checkpoint), "--prime", "KING:", "--length", "50"]
    argv += ["--temperature", "0.7", "--top-k", "5", "--seed", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    expected = generate_from_checkpoint(
        str(checkpoint), "KING:", 50, temperature=0.7, top_k=5, seed=4
    )
    assert out == "KING:" + expected + "\n"


def test_minigrad_generate_escapes_turn_backslash_n_into_a_newline(checkpoint, capsys) -> None:
    argv = ["generate", str(checkpoint), "--prime", r"KING:\n", "--escapes", "--length", "5"]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("KING:\n")


def test_minigrad_generate_names_unknown_prime_characters_and_the_file(
    checkpoint: Path, capsys
) -> None:
    assert main(["generate", str(checkpoint), "--prime", "ROMEO: ¡Ay!"]) == 2
    err = capsys.readouterr().err
    assert "has 1 character(s) outside the vocabulary of checkpoint" in err and "'¡'" in err
    assert checkpoint.name in err.replace("\n", "")


def test_minigrad_generate_on_a_missing_or_foreign_file(tmp_path: Path, capsys) -> None:
    assert main(["generate", str(tmp_path / "missing.npz")]) == 2
    assert "checkpoint file not found" in capsys.readouterr().err
    foreign = tmp_path / "foreign.npz"
    mg.save({"weights": np.ones(2)}, foreign)
    assert main(["generate", str(foreign)]) == 2
    assert "not a character language model" in capsys.readouterr().err


def test_minigrad_generate_rejects_a_negative_temperature(checkpoint: Path, capsys) -> None:
    assert main(["generate", str(checkpoint), "--temperature", "-1"]) == 2
    assert "must be >= 0" in capsys.readouterr().err


def test_minigrad_generate_reads_backslash_n_without_being_asked(checkpoint, capsys) -> None:
    # the old command rejected the backslash unless --escapes was given
    assert main(["generate", str(checkpoint), "--prime", r"KING:\n", "--length", "5"]) == 0
    assert capsys.readouterr().out.startswith("KING:\n")


def test_minigrad_generate_bad_escape_is_one_clear_line(checkpoint, capsys) -> None:
    # the old command ended in a UnicodeDecodeError traceback
    assert main(["generate", str(checkpoint), "--prime", "\\x", "--escapes"]) == 2
    err = capsys.readouterr().err
    assert "the escape \\x at position 1" in err and "Traceback" not in err


def test_minigrad_generate_and_lesson_3_share_their_defaults(checkpoint, capsys) -> None:
    from minigrad.cli.main import build_parser
    from minigrad.lessons.charlm.prime import DEFAULT_PRIME, DEFAULT_TEMPERATURE
    from minigrad.lessons.lesson3 import LESSON

    args = build_parser().parse_args(["generate", str(checkpoint)])
    lesson = LESSON.make_config()
    assert args.temperature == lesson.temperature == DEFAULT_TEMPERATURE
    assert args.escapes is lesson.escapes is True
    assert main(["generate", str(checkpoint), "--length", "3"]) == 0
    assert capsys.readouterr().out.startswith(DEFAULT_PRIME)  # the toy play has ROMEO


def test_generate_and_demo_help_have_no_reviewer_markup(capsys) -> None:
    for command in ("generate", "demo"):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "``" not in out and f"usage: minigrad {command}" in out
