"""The VADER lexicon baseline (``vader``): no training, its compound score mapped onto the label set.

VADER (Hutto & Gilbert, ICWSM 2014) scores a text with a human-rated lexicon plus rules for negation,
intensifiers, "but", capitals and punctuation, and sums them into a ``compound`` score in [-1, 1].
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import numpy as np

from sentilab.errors import ModelError, require
from sentilab.models.base import SentimentModel

#: Label names VADER understands (case-insensitive), and integer schemes seen in the wild.
NEGATIVE_NAMES = {"negative", "neg"}
NEUTRAL_NAMES = {"neutral", "neu"}
POSITIVE_NAMES = {"positive", "pos"}
INTEGER_SCHEMES = {
    (0, 1): ("negative", "positive"),
    (-1, 1): ("negative", "positive"),
    (0, 4): ("negative", "positive"),  # Sentiment140 polarity
    (-1, 0, 1): ("negative", "neutral", "positive"),
    (0, 2, 4): ("negative", "neutral", "positive"),
}


@functools.cache
def _analyzer():
    module = require("vaderSentiment.vaderSentiment", "lexicon", feature="the vader model")
    return module.SentimentIntensityAnalyzer()


def compound_to_proba(compound: np.ndarray, kinds: list[str], neutral_band: float) -> np.ndarray:
    """Map compound scores (n,) to probabilities (n, len(kinds)) over ``kinds`` (negative/neutral/positive).

    Weights, with ``t = neutral_band``::

        w_positive = max(c, 0)     w_negative = max(-c, 0)     w_neutral = t

    Three classes: ``p = w / (w_negative + w_neutral + w_positive)``. The argmax is then VADER's own rule —
    positive when ``c >= t``, negative when ``c <= -t``, neutral in between — because the neutral weight ``t``
    wins exactly inside the band (it is nudged down by 1e-9 so ``c = ±t`` goes to the polar class, as VADER
    says). ``c = 0`` gives neutral probability 1; ``c = 1`` gives positive ``1 / (1 + t)`` (0.95 at t=0.05).

    Two classes (no neutral label): the neutral weight is shared equally, so ``p_positive =
    (w_positive + t/2) / (|c| + t)``: 0.5 at ``c = 0``, rising monotonically to ``(1 + t/2) / (1 + t)`` at
    ``c = 1``. Texts without sentiment words (``c = 0``) tie at 0.5; ``predict`` then takes the first class
    in ``classes_`` order (the negative one).
    """
    c = np.asarray(compound, dtype=np.float64)
    t = max(float(neutral_band), 0.0)
    w_pos = np.maximum(c, 0.0)
    w_neg = np.maximum(-c, 0.0)
    w_neu = np.full_like(c, max(t - 1e-9, 0.0))
    if "neutral" not in kinds:
        w_pos, w_neg = w_pos + w_neu / 2, w_neg + w_neu / 2
        w_neu = np.zeros_like(c)
    total = w_pos + w_neg + w_neu
    total = np.where(total > 0, total, 1.0)
    # With t == 0 and c == 0 all weights are zero: split evenly rather than divide by zero.
    columns = {"negative": w_neg / total, "neutral": w_neu / total, "positive": w_pos / total}
    proba = np.column_stack([columns[kind] for kind in kinds])
    empty = proba.sum(axis=1) == 0
    proba[empty] = 1.0 / len(kinds)
    return proba


class VaderModel(SentimentModel):
    """VADER's compound score as probabilities over the labels; ``fit`` only records ``classes_``.

    Labels must name sentiments VADER knows: negative/neutral/positive (or neg/neu/pos, any case), or an
    integer scheme 0/1, -1/1, 0/4 (Sentiment140), -1/0/1, 0/2/4. The mapping from the compound score ``c``
    to probabilities is documented in :func:`compound_to_proba`: three classes follow VADER's recommended
    thresholds (``c >= neutral_band`` positive, ``c <= -neutral_band`` negative, else neutral); two classes
    give ``p(positive)`` rising from 0.5 at ``c = 0``.
    """

    name: ClassVar[str] = "vader"
    param_help: ClassVar[dict[str, str]] = {
        "neutral_band": "compound scores within ±band count as neutral (VADER's authors recommend 0.05)",
    }

    def __init__(self, *, neutral_band: float = 0.05):
        self.neutral_band = neutral_band

    def _fit(self, texts, y, validation) -> None:
        if not 0.0 <= float(self.neutral_band) < 1.0:
            raise ModelError(f"neutral_band={self.neutral_band!r} must be in [0, 1)")
        self.kinds_ = _label_kinds(self.classes_)
        _analyzer()  # fail now, with the install hint, if vaderSentiment is missing

    def compound(self, texts) -> np.ndarray:
        """VADER's compound score of each text, shape (n,), in [-1, 1]."""
        from sentilab.models.base import check_texts

        analyze = _analyzer().polarity_scores
        return np.fromiter((analyze(t)["compound"] for t in check_texts(texts)), dtype=np.float64)

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        return compound_to_proba(self.compound(texts), self.kinds_, float(self.neutral_band))

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {"kinds": list(self.kinds_)}

    def _set_state(self, arrays, data) -> None:
        self.kinds_ = _label_kinds(self.classes_)


def _label_kinds(classes: np.ndarray) -> list[str]:
    """negative/neutral/positive for each class, or a clear error when a label cannot be mapped."""
    values = [c.item() if isinstance(c, np.generic) else c for c in classes]
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        scheme = INTEGER_SCHEMES.get(tuple(sorted(int(v) for v in values)))
        if scheme is not None:
            return list(scheme)
    else:
        kinds = []
        for value in values:
            name = str(value).strip().lower()
            if name in NEGATIVE_NAMES:
                kinds.append("negative")
            elif name in NEUTRAL_NAMES:
                kinds.append("neutral")
            elif name in POSITIVE_NAMES:
                kinds.append("positive")
            else:
                break
        else:
            if len(set(kinds)) == len(kinds) and {"negative", "positive"} <= set(kinds):
                return kinds
    raise ModelError(
        f"vader maps its score onto negative/neutral/positive, but the labels are {values}",
        hint="use labels negative/positive (and neutral), neg/pos, or integers 0/1, 0/4, -1/0/1 or 0/2/4",
    )
