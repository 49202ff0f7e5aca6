"""What the routes compute, as plain functions of a model's outputs (no HTTP here).

Records and labels come from the library (:mod:`sentilab.records`, :mod:`sentilab.documents`); this module
only arranges them for the JSON responses.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

from sentilab.records import records_from_proba
from sentilab.text.paragraphs import Paragraph, split_paragraphs


def paragraphs(document: str, words: int) -> list[Paragraph]:
    return split_paragraphs(document, words=words)


def analyze(paragraphs: list[Paragraph], classes, proba: np.ndarray) -> dict[str, Any]:
    """Paragraph records and the document's aggregate, by the definitions of :mod:`sentilab.documents`.

    Each paragraph's ``label`` is negative/neutral/positive (an exact tie for the top probability is
    neutral), its ``score`` is the model's probability of that label (None for a neutral label no class
    has) and its ``polarity`` is P(positive) - P(negative) in [-1, 1]; ``scores`` are the model's class
    probabilities. The aggregate has the shares of the three labels, the mean polarity, and the label with
    the largest share (a tie goes to the sign of the mean polarity, neutral when it is 0).
    """
    from sentilab.documents import class_polarities, document_label, label_paragraphs
    from sentilab.labels import SENTIMENTS

    names = [str(c) for c in classes]
    labels, scores, polarities = label_paragraphs(proba, class_polarities(classes))
    out = [
        {
            "index": p.index,
            "start": p.start,
            "end": p.end,
            "words": p.words,
            "text": p.text,
            "label": str(label),
            "score": None if np.isnan(score) else float(score),
            "polarity": float(value),
            "scores": dict(zip(names, map(float, row))),
        }
        for p, label, score, value, row in zip(paragraphs, labels, scores, polarities, proba)
    ]
    n = len(paragraphs)
    shares = {sentiment: float(np.sum(labels == sentiment) / n) for sentiment in SENTIMENTS}
    mean_polarity = float(np.mean(polarities))
    aggregate = {
        "label": document_label(shares, mean_polarity),
        "paragraphs": n,
        "words": int(sum(p.words for p in paragraphs)),
        "shares": shares,
        "mean_polarity": mean_polarity,
    }
    return {"paragraphs": out, "aggregate": aggregate}


def explain(model, text: str, target: str | None) -> dict[str, Any]:
    """The prediction of ``text`` and each token's contribution to ``target`` (default: the predicted label).

    Contributions come from :func:`sentilab.explain.explain` (exact terms for linear models, occlusion for the
    rest); each token is then located in ``text`` (:func:`align_tokens`) so a page can highlight it.
    """
    from sentilab.explain import explain as explain_prediction

    explanation = explain_prediction(model, text, target=target)
    labels = [str(c) for c in model.classes_]
    [record] = records_from_proba(labels, np.array([[explanation.probabilities[label] for label in labels]]))
    spans = align_tokens(text, [t["token"] for t in explanation.tokens])
    tokens = [
        {
            "token": t["token"],
            "contribution": float(t["contribution"]),
            "start": span[0] if span else None,
            "end": span[1] if span else None,
        }
        for t, span in zip(explanation.tokens, spans)
    ]
    return {
        **record,
        "target": explanation.target,
        "method": explanation.method,
        "exact": explanation.exact,
        "scale": explanation.scale,
        "value": float(explanation.score),
        "base": float(explanation.base),
        "tokens": tokens,
    }


#: How far past the previous token the next one is looked for (characters); bounds the work per token.
ALIGN_WINDOW = 200


def _folded(text: str) -> str:
    """``text`` lower-cased one code point at a time, so offsets into it are offsets into ``text``."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


@functools.lru_cache(maxsize=4096)
def _loose_pattern(token: str) -> re.Pattern | None:
    """A pattern that also finds ``token`` where normalization squeezed a repeated letter ("soo" in "soooo")."""
    runs = re.findall(r"((.)\2*)", token)
    if not runs:
        return None
    # The normalizer squeezes a letter repeated 3+ times to 2 ("soooo" -> "soo"): a doubled letter may be more.
    return re.compile(
        "".join(
            f"{re.escape(ch)}{{2,}}" if len(run) == 2 and ch.isalpha() else re.escape(run) for run, ch in runs
        )
    )


def align_tokens(text: str, tokens: list[str]) -> list[tuple[int, int] | None]:
    """Where each (normalized) token is in ``text``: ``(start, end)`` code-point offsets, or None.

    Tokens come out of a model's normalizer and tokenizer, lower-cased and sometimes changed ("soooo" ->
    "soo", a URL -> "<url>"), so they are found in order, case-insensitively, each after the previous one and
    within ``ALIGN_WINDOW`` characters; a repeated letter may repeat more in the text. A token that cannot be
    found (a placeholder, an unescaped HTML entity) gets None and is shown without a position.
    """
    folded = _folded(text)
    spans: list[tuple[int, int] | None] = []
    at = 0
    for token in tokens:
        needle = _folded(token)
        span = None
        pattern = _loose_pattern(needle) if needle else None
        match = pattern.search(folded, at, at + ALIGN_WINDOW + 4 * len(needle)) if pattern else None
        if match:
            span = match.span()
        if span is not None:
            at = span[1]
        spans.append(span)
    return spans
