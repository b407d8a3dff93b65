"""The subword tokenizer of a report model: WordPiece fitted on the user's training reports.

Fitted from scratch with the `tokenizers` package (nothing pretrained, nothing downloaded), so
the vocabulary is the user's own: their abbreviations and misspellings split into pieces the
model has seen instead of becoming unknown words. It is kept as its JSON (`to_json`), which the
model card carries; reading it back parses JSON only (nothing runs).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import torch.distributed as dist
from tokenizers import Encoding, Tokenizer, models, normalizers, pre_tokenizers, trainers

from medgui.core.util.atomic import atomic_write_json
from medgui.core.util.jsonfile import read_json

PAD, UNK = "[PAD]", "[UNK]"  # ids 0 and 1: padding is id 0 throughout
DEFAULT_VOCAB = 4000
MAX_TOKENIZER_CHARS = 8 << 20
KEPT = "tokenizer.json"  # beside a run's checkpoint


def fit_tokenizer(texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB) -> Tokenizer:
    """A WordPiece tokenizer (lower case, accents kept apart, punctuation split) fitted on
    `texts`; pieces seen fewer than twice are left out."""
    tokenizer = Tokenizer(models.WordPiece(unk_token=UNK))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=[PAD, UNK], show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def to_json(tokenizer: Tokenizer) -> str:
    return tokenizer.to_str()


def from_json(text: object, source: str) -> Tokenizer:
    """The tokenizer saved as `text`; ValueError naming `source` when it is not one, or not one
    this module writes (padding must be id 0)."""
    if not isinstance(text, str) or len(text) > MAX_TOKENIZER_CHARS:
        raise ValueError(f"{source}: no report tokenizer (extra.tokenizer must be its JSON)")
    try:
        json.loads(text)
        tokenizer = Tokenizer.from_str(text)
    except Exception as error:  # noqa: BLE001 - the Rust parser raises plain Exception
        raise ValueError(f"{source}: the report tokenizer cannot be read ({error})") from None
    if tokenizer.token_to_id(PAD) != 0:
        raise ValueError(f"{source}: the report tokenizer's padding token is not id 0")
    return tokenizer


def encode(tokenizer: Tokenizer, texts: list[str], max_tokens: int) -> list[Encoding]:
    """The encodings of `texts`, each cut to `max_tokens` tokens."""
    tokenizer.enable_truncation(max_tokens)
    return tokenizer.encode_batch(texts)


def run_tokenizer(texts: list[str], vocab_size: int, folder: Path | None) -> Tokenizer:
    """The tokenizer of a training run on `texts`, fitted once and kept in `folder` (the run's
    checkpoint folder; None keeps nothing). Fitting is not repeatable (the trainer breaks ties
    between equally frequent pairs in hash-map order), so a resumed run on the same reports
    reads the kept one instead of renumbering the tokens under the checkpoint's embeddings;
    under torchrun every rank takes rank 0's."""
    digest = hashlib.sha256(str(vocab_size).encode())
    for text in texts:
        digest.update(hashlib.sha256(text.encode("utf-8")).digest())
    key, path = digest.hexdigest(), folder / KEPT if folder else None
    kept = read_json(path) if path is not None and path.is_file() else None
    if isinstance(kept, dict) and kept.get("key") == key:
        text = kept.get("tokenizer")
    else:
        text = to_json(fit_tokenizer(texts, vocab_size))
    distributed = dist.is_available() and dist.is_initialized()
    if distributed:
        shared = [text]
        dist.broadcast_object_list(shared, src=0)
        text = shared[0]
    if path is not None and (not distributed or dist.get_rank() == 0):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, {"key": key, "tokenizer": text})
    return from_json(text, str(path or "the fitted tokenizer"))
