"""``minigrad generate CKPT``: text from a character-level model saved by lesson 3.

    minigrad generate charlm.npz --prime "ROMEO:\n" --length 300 --top-k 5 --seed 1

The model reads the priming text, then writes ``--length`` characters one at
a time, its state carried from each to the next. The priming text is printed
first (dimmed), then what the model wrote. ``--temperature 0`` always picks
the most likely character; ``--top-k 0`` (the default) keeps every character.
The prime, its escapes and the defaults are lesson 3's own
(``minigrad.lessons.charlm.prime``): one function reads ``--prime`` for both.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.text import Text

from minigrad.errors import DataError


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def run(args: argparse.Namespace, console: Console | None = None) -> int:
    """Load the checkpoint, generate, print; returns the exit code."""
    from minigrad.lessons.charlm.checkpoint import load_checkpoint
    from minigrad.lessons.charlm.generate import generate
    from minigrad.lessons.charlm.prime import resolve_prime

    console = console or Console(highlight=False)
    if args.prime == "":
        raise DataError("--prime must hold at least one character (leave it out for the default)")
    ckpt = load_checkpoint(args.checkpoint)
    prime = resolve_prime(
        args.prime, ckpt.vocab, escapes=args.escapes, source=f"checkpoint {args.checkpoint}"
    )
    model = ckpt.build_model(device=args.device)
    text = generate(
        model,
        ckpt.vocab,
        prime=prime,
        length=args.length,
        temperature=args.temperature,
        top_k=args.top_k,
        seed=args.seed,
    )
    out = Text()
    out.append(prime, style="dim")
    out.append(text)
    console.print(out, soft_wrap=True)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``minigrad generate``."""
    from minigrad.lessons.sampling_defaults import DEFAULT_TEMPERATURE, ESCAPES_HELP

    parser = subparsers.add_parser(
        "generate",
        help="generate text from a character-level model checkpoint (lesson 3)",
        description=(
            "Generate text from a character-level model saved by lesson 3: the model reads "
            "the priming text, then writes one character at a time."
        ),
    )
    parser.add_argument("checkpoint", metavar="CKPT", help="checkpoint written by lesson 3")
    parser.add_argument(
        "--prime",
        default=None,
        metavar="TEXT",
        help="text the model reads first (default: ROMEO: and a newline, or a newline when "
        "the model's vocabulary lacks those characters)",
    )
    parser.add_argument(
        "--escapes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=f"read backslash escapes in --prime: {ESCAPES_HELP} (default: on)",
    )
    parser.add_argument(
        "--length", type=_non_negative_int, default=500, help="characters to write (default 500)"
    )
    parser.add_argument(
        "--temperature",
        type=_non_negative_float,
        default=DEFAULT_TEMPERATURE,
        help="sampling temperature; 0 = always the most likely character "
        f"(default {DEFAULT_TEMPERATURE})",
    )
    parser.add_argument(
        "--top-k",
        type=_non_negative_int,
        default=0,
        help="sample among the k most likely characters only; 0 = all (default 0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: as trained)")
    parser.set_defaults(func=run)
