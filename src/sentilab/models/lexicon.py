"""The VADER lexicon baseline (``vader``): no training, its compound score mapped onto the label set.

VADER (Hutto & Gilbert, ICWSM 2014) scores a text with a human-rated lexicon plus rules for negation,
intensifiers, "but", capitals and punctuation, and sums them into a ``compound`` score in [-1, 1].
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import numpy as np

from sentilab.errors import ModelError, require
from sentilab.labels import class_sentiments
from sentilab.models.base import Interval, SentimentModel


@functools.cache
def _analyzer():
    module = require("vaderSentiment.vaderSentiment", "lexicon", feature="the vader model")
    return module.SentimentIntensityAnalyzer()


def vader_lexicon() -> tuple[dict[str, float], dict[str, float]]:
    """``(valences, boosters)``: VADER's word valences (-4..+4, lower case, emoticons too) and its single-word
    intensifiers ("very": +0.293, "slightly": -0.293): the tables its rules use, for other models' features
    (``bow``'s ``lexicon=true``). Needs the ``lexicon`` extra."""
    module = require("vaderSentiment.vaderSentiment", "lexicon", feature="the VADER lexicon")
    boosters = {word: float(value) for word, value in module.BOOSTER_DICT.items() if " " not in word}
    return dict(_analyzer().lexicon), boosters


def compound_to_proba(compound: np.ndarray, sentiments: list[str], neutral_band: float) -> np.ndarray:
    """Map compound scores (n,) to probabilities (n, len(sentiments)) over ``sentiments``, the sentiment
    (negative/neutral/positive) of each class.

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
    if "neutral" not in sentiments:
        w_pos, w_neg = w_pos + w_neu / 2, w_neg + w_neu / 2
        w_neu = np.zeros_like(c)
    total = w_pos + w_neg + w_neu
    total = np.where(total > 0, total, 1.0)
    # With t == 0 and c == 0 all weights are zero: split evenly rather than divide by zero.
    columns = {"negative": w_neg / total, "neutral": w_neu / total, "positive": w_pos / total}
    proba = np.column_stack([columns[sentiment] for sentiment in sentiments])
    empty = proba.sum(axis=1) == 0
    proba[empty] = 1.0 / len(sentiments)
    return proba


class VaderModel(SentimentModel):
    """VADER's compound score as probabilities over the labels; ``fit`` only records ``classes_``.

    Nothing is learned, so it predicts without ``fit`` too, over negative/neutral/positive.

    Labels must name sentiments (negative/neutral/positive, any case, or an alias such as neg/pos), or form
    an integer scheme (0/1, 0/4 as in Sentiment140, -1/0/1, 0/1/2, 0/2/4): :mod:`sentilab.labels` decides,
    on fit and again on load (nothing about it is saved but the classes). The mapping from the compound
    score ``c`` to probabilities is documented in :func:`compound_to_proba`: three classes follow VADER's
    recommended thresholds (``c >= neutral_band`` positive, ``c <= -neutral_band`` negative, else neutral);
    two classes give ``p(positive)`` rising from 0.5 at ``c = 0``.
    """

    name: ClassVar[str] = "vader"
    learns: ClassVar[bool] = False
    param_help: ClassVar[dict[str, str]] = {
        "neutral_band": "compound scores within ±band count as neutral (VADER's authors recommend 0.05)",
    }

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "neutral_band": [Interval(float, 0, 1, closed="left")],
    }

    def __init__(self, *, neutral_band: float = 0.05):
        self.neutral_band = neutral_band

    def _fit(self, texts, y, validation) -> None:
        self.sentiments_ = _vader_sentiments(self.classes_)
        _analyzer()  # fail now, with the install hint, if vaderSentiment is missing

    def compound(self, texts) -> np.ndarray:
        """VADER's compound score of each text, shape (n,), in [-1, 1]."""
        from sentilab.models.base import check_texts

        analyze = _analyzer().polarity_scores
        return np.fromiter((analyze(t)["compound"] for t in check_texts(texts)), dtype=np.float64)

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        return compound_to_proba(self.compound(texts), self.sentiments_, float(self.neutral_band))

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {}  # the lexicon ships with vaderSentiment; the class sentiments follow from labels.json

    def _set_state(self, arrays, data) -> None:
        self.sentiments_ = _vader_sentiments(self.classes_)


def _vader_sentiments(classes: np.ndarray) -> list[str]:
    """negative/neutral/positive for each class (see sentilab.labels), or a clear error."""
    sentiments = class_sentiments(classes)
    if sentiments is None:
        values = [c.item() if isinstance(c, np.generic) else c for c in classes]
        raise ModelError(
            f"vader maps its score onto negative/neutral/positive, but the labels are {values}",
            hint="use labels negative/positive (and neutral), neg/pos, or integers 0/1, 0/4, -1/0/1, 0/1/2 "
            "or 0/2/4",
        )
    return sentiments
