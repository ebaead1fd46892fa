"""A character-level language model (lesson 3): data, vocabulary, batches, model, training,
checkpoints and generation, written with minigrad's public API only.

The data flow, one module per arrow::

    text file (data) -> vocabulary (vocab) -> ids -> PTB batches (batches)
    -> embedding + recurrent stack + linear (model) -> loss, Adam, clipping (train)
    -> checkpoint (checkpoint) -> one character at a time (generate)
"""

from .baselines import Baselines, compute_baselines
from .batches import epoch_size, ptb_iterator, train_val_split
from .checkpoint import CharCheckpoint, load_checkpoint
from .config import TrainConfig
from .data import KNOWN_CORPORA, Corpus, default_data_dir, load_corpus, read_text_file
from .generate import generate, generate_from_checkpoint, next_char_probs, sample_next
from .model import CharLM, ModelConfig
from .presets import PRESETS, apply_preset
from .train import Trainer, TrainHooks, TrainingInterrupted, TrainResult, evaluate, train
from .vocab import Vocabulary

__all__ = [
    "KNOWN_CORPORA",
    "PRESETS",
    "Baselines",
    "CharCheckpoint",
    "CharLM",
    "Corpus",
    "ModelConfig",
    "TrainConfig",
    "TrainHooks",
    "TrainResult",
    "Trainer",
    "TrainingInterrupted",
    "Vocabulary",
    "apply_preset",
    "compute_baselines",
    "default_data_dir",
    "epoch_size",
    "evaluate",
    "generate",
    "generate_from_checkpoint",
    "load_checkpoint",
    "load_corpus",
    "next_char_probs",
    "ptb_iterator",
    "read_text_file",
    "sample_next",
    "train",
    "train_val_split",
]
