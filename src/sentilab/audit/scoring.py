"""How a model's class probabilities become the one number the audit compares: the polarity.

Every comparison is made on one number per text, its *polarity* in [-1, 1]::

    polarity = probabilities @ weights          # (n_texts, n_classes) @ (n_classes,) -> (n_texts,)

* classes that :func:`sentilab.labels.class_sentiments` reads (negative/positive, optionally neutral, in any
  case or short spelling; or a numeric scheme such as 0/4 or 0/1/2): weight +1 for positive, -1 for
  negative, 0 for neutral, so ``polarity = P(positive) - P(negative)`` — exactly
  :func:`sentilab.labels.polarity`, as in every prediction record. For a 2-class model that is
  ``2 P(positive) - 1``; for a 3-class model probability moved to ``neutral`` pulls it towards 0.
* any other set of number classes (1-5 stars): the expected value, rescaled linearly so that the smallest
  class is -1 and the largest +1.
* any other label set: pass ``positive_label=`` and ``negative_label=`` (CLI ``--positive-label``,
  ``--negative-label``); otherwise a :class:`~sentilab.errors.ModelError` says so.

The *sentiment* of a prediction is the sign of the weight of its most probable class (negative, neutral or
positive); behaviour tests that expect "not negative" read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sentilab.errors import ModelError
from sentilab.labels import class_sentiments, polarity, sentiment_of_name
from sentilab.progress import show_progress

#: Texts per predict_proba call: large enough that batching overhead vanishes, small enough for a progress bar.
DEFAULT_BATCH_SIZE = 4096


@dataclass(frozen=True)
class PolarityMap:
    """How class probabilities become one polarity in [-1, 1]: ``polarity = proba @ weights``.

    ``sentiments`` is the sentiment of each class when :mod:`sentilab.labels` reads the classes; the polarity
    is then exactly :func:`sentilab.labels.polarity`. It is None for an explicit label pair or number classes.
    """

    classes: list[str]
    weights: list[float]
    definition: str
    sentiments: list[str] | None = None

    def polarities(self, proba: np.ndarray) -> np.ndarray:
        """(n_texts, n_classes) probabilities -> (n_texts,) polarities."""
        if self.sentiments is not None:
            return polarity(proba, self.sentiments)
        return np.asarray(proba, dtype=np.float64) @ np.asarray(self.weights, dtype=np.float64)

    def sentiment_of_class(self, index: int) -> str:
        weight = self.weights[index]
        return "positive" if weight > 0 else "negative" if weight < 0 else "neutral"


def _explicit_map(names: list[str], positive_label: Any, negative_label: Any) -> PolarityMap:
    """The user named the positive and the negative class: +1 and -1, every other class 0."""
    if positive_label is None or negative_label is None:
        raise ModelError("give both positive_label and negative_label, or neither")
    for label, role in ((positive_label, "positive"), (negative_label, "negative")):
        if str(label) not in names:
            raise ModelError(
                f"{role} label {label!r} is not a class of this model; its classes are: {', '.join(names)}"
            )
    if str(positive_label) == str(negative_label):
        raise ModelError("positive_label and negative_label must be different classes")
    weights = [1.0 if n == str(positive_label) else -1.0 if n == str(negative_label) else 0.0 for n in names]
    return PolarityMap(names, weights, f"P({positive_label}) - P({negative_label})")


def _sentiment_map(names: list[str], sentiments: list[str]) -> PolarityMap:
    """Classes with a known sentiment: P(positive) - P(negative), a neutral class counting 0."""
    weight_of = {"positive": 1.0, "negative": -1.0, "neutral": 0.0}
    positive, negative = sentiments.index("positive"), sentiments.index("negative")
    others = [n for i, n in enumerate(names) if i not in (positive, negative)]
    rest = f" ({', '.join(others)} count as 0)" if others else ""
    definition = f"P({names[positive]}) - P({names[negative]}){rest}"
    return PolarityMap(names, [weight_of[s] for s in sentiments], definition, sentiments)


def _named_with_others(names: list[str]) -> list[str] | None:
    """negative/positive named once each among other classes (e.g. "mixed"), which count as neutral (0)."""
    named = [sentiment_of_name(name) for name in names]
    if named.count("positive") != 1 or named.count("negative") != 1:
        return None
    return [sentiment or "neutral" for sentiment in named]


def _expected_value_map(names: list[str]) -> PolarityMap | None:
    """Number classes (1-5 stars): the expected class value rescaled to [-1, 1]; None if not all numbers."""
    numbers = []
    for name in names:
        try:
            numbers.append(float(name))
        except ValueError:
            return None
    if len(set(numbers)) < 2:
        return None
    low, high = min(numbers), max(numbers)
    weights = [2.0 * (v - low) / (high - low) - 1.0 for v in numbers]
    ends = f"{names[numbers.index(low)]} -> -1, {names[numbers.index(high)]} -> +1"
    return PolarityMap(names, weights, f"expected class value rescaled to [-1, 1] ({ends})")


def polarity_map(
    classes: Sequence[Any], *, positive_label: str | None = None, negative_label: str | None = None
) -> PolarityMap:
    """The :class:`PolarityMap` for a model's ``classes_`` (see the module docstring for the rules)."""
    names = [str(c.item() if isinstance(c, np.generic) else c) for c in classes]
    if positive_label is not None or negative_label is not None:
        return _explicit_map(names, positive_label, negative_label)
    sentiments = class_sentiments(list(classes))
    if sentiments is None:
        sentiments = _named_with_others(names)
    if sentiments is not None:
        return _sentiment_map(names, sentiments)
    expected = _expected_value_map(names)
    if expected is not None:
        return expected
    raise ModelError(
        f"cannot tell which class is positive and which is negative: the model's classes are {', '.join(names)}",
        hint="pass positive_label= and negative_label= (CLI: --positive-label NAME --negative-label NAME)",
    )


@dataclass
class Predictions:
    """Polarities, predicted class indices and their sentiments for a list of texts."""

    polarities: np.ndarray  # (n,) float64 in [-1, 1]
    classes: np.ndarray  # (n,) int: argmax class index
    sentiments: list[str]  # (n,) negative / neutral / positive: the sentiment of the argmax class


def predict(
    model,
    texts: Sequence[str],
    mapping: PolarityMap,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    desc: str = "scoring",
) -> Predictions:
    """Predict ``texts`` with few ``predict_proba`` calls: each distinct text once, ``batch_size`` at a time."""
    from tqdm.auto import tqdm

    texts = list(texts)
    unique: dict[str, int] = {}
    inverse = np.fromiter(
        (unique.setdefault(t, len(unique)) for t in texts), dtype=np.int64, count=len(texts)
    )
    distinct = list(unique)
    blocks = []
    with tqdm(
        total=len(distinct), desc=desc, unit="text", disable=not show_progress(progress), leave=False
    ) as bar:
        for start in range(0, len(distinct), batch_size):
            chunk = distinct[start : start + batch_size]
            proba = np.asarray(model.predict_proba(chunk), dtype=np.float64)
            if proba.shape != (len(chunk), len(mapping.classes)):
                raise ModelError(
                    f"the model returned probabilities of shape {proba.shape} for {len(chunk)} texts "
                    f"and {len(mapping.classes)} classes; expected ({len(chunk)}, {len(mapping.classes)})"
                )
            blocks.append(proba)
            bar.update(len(chunk))
    proba = np.concatenate(blocks) if blocks else np.zeros((0, len(mapping.classes)))
    argmax = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=np.int64)
    sentiment_by_class = [mapping.sentiment_of_class(i) for i in range(len(mapping.classes))]
    distinct_polarities = mapping.polarities(proba)
    return Predictions(
        polarities=distinct_polarities[inverse],
        classes=argmax[inverse],
        sentiments=[sentiment_by_class[i] for i in argmax[inverse]],
    )
