"""Lesson 3: a character-level language model (the seminar's third exercise).

The words are in content.md, the step functions in steps.py, the library
they show in ``minigrad.lessons.charlm``. ``LESSON`` joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minigrad.lessons.charlm import presets as charlm_presets
from minigrad.lessons.charlm.baselines import bigram_heldout, compute_baselines
from minigrad.lessons.charlm.batches import ptb_iterator
from minigrad.lessons.charlm.generate import generate, next_char_probs
from minigrad.lessons.charlm.model import CharLM
from minigrad.lessons.charlm.prime import DEFAULT_TEMPERATURE
from minigrad.lessons.charlm.train import Trainer, evaluate
from minigrad.lessons.charlm.vocab import Vocabulary
from minigrad.lessons.framework import Lesson, Step, option
from minigrad.lessons.lesson3 import board, render, steps

CELLS_HELP = "registered cell: lstm, gru, rnn, peephole_lstm, ... (`minigrad cells` lists them)"


@dataclass
class Lesson3Config:
    """The options of lesson 3 (each is a command-line flag)."""

    corpus: str = option(
        "shakespeare", "shakespeare, cervantes, or the path of a text file", metavar="NAME|PATH"
    )
    cell: str = option("lstm", CELLS_HELP)
    layers: int = option(1, "recurrent layers", minimum=1)
    hidden_size: int = option(256, "units per recurrent layer", minimum=1)
    embedding_size: int = option(64, "size of each character's vector", minimum=1)
    dropout: float = option(0.0, "dropout between recurrent layers", minimum=0.0)
    batch_size: int = option(64, "rows (parallel streams) per batch", minimum=1)
    num_steps: int = option(100, "characters per window (truncated BPTT)", minimum=1)
    lr: float = option(3e-3, "Adam learning rate", minimum=0.0)
    clip: float = option(5.0, "gradient norm clipping threshold", minimum=0.0)
    epochs: int = option(20, "passes over the training text", minimum=1)
    max_minutes: float = option(4.5, "time budget in minutes (0: none)", minimum=0.0)
    max_steps: int = option(0, "stop after this many steps (0: no limit)", minimum=0)
    val_fraction: float = option(0.1, "the last part of the text kept for validation")
    eval_every: int = option(100, "validate every N steps (0: only at the end)", minimum=0)
    eval_batches: int = option(4, "batches per periodic validation (0: all)", minimum=0)
    checkpoint_every: int = option(200, "checkpoint every N steps (0: only at the end)", minimum=0)
    sample_every: int = option(500, "print a sample every N steps (0: never)", minimum=0)
    sample_length: int = option(200, "characters per sample during training", minimum=1)
    checkpoint: str = option(
        "", "checkpoint file (default: in minigrad's state folder)", metavar="PATH"
    )
    resume: bool = option(False, "continue from the checkpoint instead of starting again")
    threads: str = option(
        "auto",
        "BLAS threads: auto measures the first steps with 1 and with every core (unless "
        "other programs keep the cores busy), keeps the faster and measures again every 500 "
        "steps; or a number (MINIGRAD_BLAS_THREADS sets it too)",
        metavar="N|auto",
    )
    prime: str = option(
        "",
        r"text the generator reads first (default: ROMEO: and a newline, or a newline when the "
        r"text lacks those characters)",
        metavar="TEXT",
    )
    escapes: bool = option(True, r"read \n, \t, \\ and \xHH in --prime as escapes")
    gen_length: int = option(500, "characters to generate at the end", minimum=0)
    temperature: float = option(
        DEFAULT_TEMPERATURE, "sampling temperature (0: greedy)", minimum=0.0
    )
    top_k: int = option(0, "sample among the k most likely characters (0: all)", minimum=0)


#: The presets of ``minigrad.lessons.charlm.presets``; the tiny one also writes a short text.
PRESETS = {name: dict(values) for name, values in charlm_presets.PRESETS.items()}
PRESETS["tiny"]["gen_length"] = 120

LESSON = Lesson.build(
    number=3,
    content=Path(__file__).with_name("content.md"),
    config=Lesson3Config,
    steps=[
        Step("corpus", run=steps.read_corpus, render=render.render_corpus),
        Step(
            "vocab",
            run=steps.build_vocab,
            code=[Vocabulary.from_text, Vocabulary.encode],
            render=render.render_vocab,
        ),
        Step(
            "baselines",
            run=steps.split_and_baselines,
            code=[compute_baselines, bigram_heldout],
            render=render.render_baselines,
        ),
        Step(
            "batches",
            run=steps.cut_batches,
            code=[ptb_iterator],
            render=render.render_batches,
        ),
        Step("model", run=steps.build_model, code=[CharLM], render=render.render_model),
        Step(
            "train",
            run=steps.train_model,
            code=[Trainer.train_step, evaluate],
            render=render.render_training,
        ),
        Step(
            "generate",
            run=steps.write_text,
            code=[generate, next_char_probs],
            render=render.render_text,
        ),
        Step("tensorboard", run=board.tensorboard_run, render=board.render_tensorboard),
    ],
    presets=PRESETS,
    default_preset="quick",
    preflight=steps.preflight,
)
