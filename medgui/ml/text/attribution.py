"""Which words drove each label: gradient × embedding, mapped back to character spans.

For each label the gradient of its logit with respect to the token embeddings, multiplied by
the embeddings and summed over the embedding axis, gives each token's share of the logit (to
first order). It costs one backward pass per label on one text, where occlusion would cost one
forward pass per word and label, and it credits a token with the context it sets up (a "no"
gets a negative share for the finding it denies). Subword pieces of one word are added up and
the word's span in the original text is taken from the tokenizer's offsets, so a view can
highlight the text as the user wrote it.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from medgui.ml.text.infer import ReportModel


class Span(NamedTuple):
    """Characters text[start:end] and their weight for a label: positive pushes towards the
    label, negative away; scaled so the strongest word of the label has |weight| 1."""

    start: int
    end: int
    weight: float


def label_spans(
    model: ReportModel, text: str, labels: list[str] | None = None
) -> dict[str, list[Span]]:
    """For each of `labels` (default all of the model's), the words of `text` with their
    weights, in text order. Words cut off by the model's input length get none."""
    wanted = labels or model.labels
    unknown = [n for n in wanted if n not in model.labels]
    if unknown:
        raise ValueError(f"unknown label {unknown[0]!r} (the model knows {model.labels})")
    encoding = model.encode([text])[0]
    if not encoding.ids:
        return {name: [] for name in wanted}
    network = model.network.eval()
    ids = torch.tensor([encoding.ids], dtype=torch.long, device=model.device)
    embedded = network.embedding(ids).detach().requires_grad_(True)
    # cuDNN computes a GRU's backward pass only in training mode: use the native kernels.
    with torch.backends.cudnn.flags(enabled=False), torch.enable_grad():
        logits = network.from_embeddings(embedded, ids != 0)[0]
        shares = []
        for name in wanted:
            (grad,) = torch.autograd.grad(logits[model.labels.index(name)], embedded,
                                          retain_graph=True)  # fmt: skip
            shares.append((grad * embedded).sum(-1)[0].detach().cpu())
    return {name: _words(encoding, share, text) for name, share in zip(wanted, shares, strict=True)}


def _words(encoding, share: torch.Tensor, text: str) -> list[Span]:
    """Token shares summed per word, as spans of the original text. Punctuation is left out:
    the network reads it, but a highlighted full stop tells the reader nothing."""
    words: dict[int, list[float]] = {}
    for word, (start, end), value in zip(encoding.word_ids, encoding.offsets, share.tolist(),
                                         strict=True):  # fmt: skip
        if word is None or end <= start:
            continue
        if word in words:
            span = words[word]
            span[0], span[1], span[2] = min(span[0], start), max(span[1], end), span[2] + value
        else:
            words[word] = [start, end, value]
    kept = [w for w in words.values() if any(c.isalnum() for c in text[w[0] : w[1]])]
    largest = max((abs(w[2]) for w in kept), default=0.0) or 1.0
    spans = [Span(int(s), int(e), v / largest) for s, e, v in kept]
    return sorted(spans, key=lambda s: s.start)
