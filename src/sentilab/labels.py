"""The one definition of sentiment label schemes and polarity.

Every room that must know "which class is positive" asks here: data loading (raw labels → names), the
lexicon model (its score → the user's classes), documents, the audit, records and the service.

Names
    ``negative``/``neutral``/``positive``, any case, and the short spellings in :data:`ALIASES`
    (``neg``/``neu``/``pos``, ``n``/``p``, ``none`` for neutral).
Numbers
    a set of integer labels is read by the first scheme in :data:`NUMERIC_SCHEMES` that fits it:
    Sentiment140's 0/2/4 first (a file holding only 0 and 4, or one class of it, reads right), then 0/1,
    −1/0/1 (or −1/1), and 0/1/2 — the last only when all three values are present, since 1/2 alone is as
    often negative/positive (Yelp polarity) as neutral/positive. A single value is read only under
    Sentiment140's scheme, where one-class files are common (its training CSV is sorted by label). Any other
    set of numbers has no polarity.
Polarity of a prediction
    ``polarity = P(positive) − P(negative)``, in [−1, 1]; a neutral class, where there is one, counts 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sentilab.errors import ModelError

SENTIMENTS = ("negative", "neutral", "positive")

#: Spellings of the three sentiment classes that sources and users use (keys are lower case).
ALIASES = {
    "negative": "negative", "neg": "negative", "n": "negative",
    "neutral": "neutral", "neu": "neutral", "none": "neutral",
    "positive": "positive", "pos": "positive", "p": "positive",
}  # fmt: skip

#: Integer label schemes, tried in this order; a set of values is read by the first scheme holding it.
NUMERIC_SCHEMES: tuple[dict[int, str], ...] = (
    {0: "negative", 2: "neutral", 4: "positive"},  # Sentiment140 (0/4 binary, 2 in its test file)
    {0: "negative", 1: "positive"},
    {-1: "negative", 0: "neutral", 1: "positive"},
    {0: "negative", 1: "neutral", 2: "positive"},
)
SENTIMENT140_SCHEME = NUMERIC_SCHEMES[0]
ZERO_ONE_TWO_SCHEME = NUMERIC_SCHEMES[3]

POLARITY_DEFINITION = (
    "polarity = P(positive) − P(negative), from −1 (surely negative) to +1 (surely positive)"
)


def sentiment_of_name(name: Any) -> str | None:
    """``"negative"``/``"neutral"``/``"positive"`` for a label spelled as a name, else None."""
    if not isinstance(name, str):
        return None
    return ALIASES.get(name.strip().lower())


def _as_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def numeric_scheme(values: Iterable[Any]) -> dict[int, str] | None:
    """The scheme (integer → sentiment) that reads this set of integer labels, or None.

    ``values`` may hold ints or their string forms ("0", "4.0"); anything not a whole number gives None.
    """
    numbers = set()
    for value in values:
        number = _as_integer(value)
        if number is None:
            return None
        numbers.add(number)
    if not numbers:
        return None
    for scheme in NUMERIC_SCHEMES:
        if scheme is ZERO_ONE_TWO_SCHEME and numbers != set(scheme):
            continue  # 1/2 or 0/2 alone is ambiguous under this scheme
        if numbers <= set(scheme) and (len(numbers) >= 2 or scheme is SENTIMENT140_SCHEME):
            return scheme
    return None


def class_sentiments(classes: Sequence[Any]) -> list[str] | None:
    """The sentiment of each of a model's classes, in ``classes`` order, or None when unknown.

    Known means: every class is a sentiment name (or alias), or the classes form a numeric scheme; the
    sentiments are distinct and include both negative and positive.
    """
    values = [c.item() if isinstance(c, np.generic) else c for c in classes]
    sentiments = [sentiment_of_name(value) for value in values]
    if None in sentiments:
        scheme = numeric_scheme(values)
        if scheme is None:
            return None
        sentiments = [scheme[_as_integer(value)] for value in values]
    if len(set(sentiments)) != len(sentiments) or not {"negative", "positive"} <= set(sentiments):
        return None
    return sentiments


def class_polarities(classes: Sequence[Any]) -> list[str]:
    """Like :func:`class_sentiments`, but a label set without a clear polarity is a :class:`ModelError`."""
    sentiments = class_sentiments(classes)
    if sentiments is None:
        names = [str(c.item() if isinstance(c, np.generic) else c) for c in classes]
        raise ModelError(
            f"cannot tell which of the model's classes {names} are positive and negative",
            hint="use a sentiment model whose classes are negative/positive (and optionally neutral), as "
            "every model trained on a sentilab dataset has, or integers 0/1, 0/4, -1/0/1, 0/1/2 or 0/2/4",
        )
    return sentiments


def polarity(proba: np.ndarray, sentiments: Sequence[str]) -> np.ndarray:
    """P(positive) − P(negative) per row: proba (n, n_classes) → (n,), clipped to [−1, 1]."""
    proba = np.asarray(proba, dtype=np.float64)
    column = {sentiment: index for index, sentiment in enumerate(sentiments)}
    return np.clip(proba[:, column["positive"]] - proba[:, column["negative"]], -1.0, 1.0)


__all__ = [
    "ALIASES",
    "NUMERIC_SCHEMES",
    "POLARITY_DEFINITION",
    "SENTIMENTS",
    "class_polarities",
    "class_sentiments",
    "numeric_scheme",
    "polarity",
    "sentiment_of_name",
]
