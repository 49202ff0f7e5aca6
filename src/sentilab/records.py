"""Prediction records: the one shape people, the CLI's ``--json``, the API and the page see.

A record per text::

    {"label": "positive", "score": 0.91, "polarity": 0.87, "scores": {"negative": 0.04, ...}}

``label``     the most probable class
``score``     the probability of ``label`` (as in Hugging Face pipelines), in [0, 1]
``polarity``  P(positive) − P(negative), in [−1, 1] (:mod:`sentilab.labels`); None for a model whose
              classes have no sentiment polarity (e.g. spam/ham)
``scores``    every class's probability, in the model's ``classes_`` order

An empty or whitespace-only text has nothing to judge: it gets no label, and says why::

    {"label": None, "score": None, "polarity": None, "scores": None, "reason": "empty text"}

Everywhere (library, CLI, API, page) such texts are counted and reported, never scored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sentilab.labels import class_sentiments, polarity

EMPTY_TEXT = "empty text"


def is_blank(text: Any) -> bool:
    """True for a text with nothing to judge: empty or whitespace only (None and NaN are not texts)."""
    return isinstance(text, str) and not text.strip()


def empty_record(reason: str = EMPTY_TEXT) -> dict[str, Any]:
    return {"label": None, "score": None, "polarity": None, "scores": None, "reason": reason}


def _plain(label: Any) -> str:
    return str(label.item() if isinstance(label, np.generic) else label)


def records_from_proba(classes: Sequence[Any], proba: np.ndarray) -> list[dict[str, Any]]:
    """One record per row of ``proba`` (n, n_classes), columns in ``classes`` order."""
    names = [_plain(c) for c in classes]
    proba = np.asarray(proba, dtype=np.float64)
    best = np.argmax(proba, axis=1) if len(proba) else np.zeros(0, dtype=int)
    sentiments = class_sentiments(classes)
    polarities = polarity(proba, sentiments) if sentiments is not None and len(proba) else None
    return [
        {
            "label": names[b],
            "score": float(row[b]),
            "polarity": None if polarities is None else float(polarities[i]),
            "scores": dict(zip(names, map(float, row))),
        }
        for i, (b, row) in enumerate(zip(best, proba))
    ]


def records_for_texts(
    texts: list[str], predict_proba: Callable, classes: Sequence[Any]
) -> list[dict[str, Any]]:
    """Records for a validated list of texts in order; blank texts get :func:`empty_record`, unscored.

    ``predict_proba`` is the model's (it receives only the non-blank texts, possibly none).
    """
    scored = scored_positions(texts)
    return place_records(len(texts), scored, classes, predict_proba([texts[i] for i in scored]))


def scored_positions(texts: Sequence[str]) -> list[int]:
    """The positions of the texts a model should score: every one that is not blank."""
    return [i for i, text in enumerate(texts) if not is_blank(text)]


def place_records(n_texts: int, scored: list[int], classes: Sequence[Any], proba: np.ndarray) -> list[dict]:
    """Records for ``n_texts`` texts in order: the rows of ``proba`` (one per position in ``scored``) where
    they belong, :func:`empty_record` everywhere else."""
    out: list[dict[str, Any]] = [empty_record() for _ in range(n_texts)]
    for i, record in zip(scored, records_from_proba(classes, proba)):
        out[i] = record
    return out


def count_empty(records: Sequence[dict[str, Any]]) -> int:
    """How many records got no label."""
    return sum(1 for record in records if record["label"] is None)


__all__ = [
    "EMPTY_TEXT",
    "count_empty",
    "empty_record",
    "is_blank",
    "place_records",
    "records_for_texts",
    "records_from_proba",
    "scored_positions",
]
