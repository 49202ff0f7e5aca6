"""labels.py: the one reading of label schemes and polarity."""

from __future__ import annotations

import numpy as np
import pytest

from sentilab.errors import ModelError
from sentilab.labels import class_polarities, class_sentiments, numeric_scheme, polarity, sentiment_of_name


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({0, 4}, {0: "negative", 2: "neutral", 4: "positive"}),
        ({4}, {0: "negative", 2: "neutral", 4: "positive"}),  # one class of the label-sorted Sentiment140
        ({0, 1}, {0: "negative", 1: "positive"}),
        ({-1, 1}, {-1: "negative", 0: "neutral", 1: "positive"}),
        ({0, 1, 2}, {0: "negative", 1: "neutral", 2: "positive"}),
        ({"0", "1.0", "2"}, {0: "negative", 1: "neutral", 2: "positive"}),
        ({1, 2}, None),  # Yelp polarity's 1/2 is negative/positive, not neutral/positive: no guess
        ({1, 5}, None),
        ({1}, None),
        ({0.5, 1}, None),
        (set(), None),
    ],
)
def test_numeric_schemes(values, expected):
    assert numeric_scheme(values) == expected


def test_names_and_aliases():
    assert [sentiment_of_name(n) for n in ("NEG", " pos ", "neu", "none", "meh", 3)] == [
        "negative", "positive", "neutral", "neutral", None, None,
    ]  # fmt: skip


def test_class_sentiments_need_both_poles_once():
    assert class_sentiments(np.array(["negative", "neutral", "positive"])) == [
        "negative",
        "neutral",
        "positive",
    ]
    assert class_sentiments(np.array([0, 4])) == ["negative", "positive"]
    assert class_sentiments(["positive", "pos"]) is None  # the same sentiment twice
    assert class_sentiments(["ham", "spam"]) is None
    with pytest.raises(ModelError, match=r"cannot tell which of the model's classes \['ham', 'spam'\]"):
        class_polarities(["ham", "spam"])


def test_polarity_is_positive_minus_negative_in_class_order():
    proba = np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    np.testing.assert_allclose(polarity(proba, ["negative", "neutral", "positive"]), [0.6, -0.5])
    np.testing.assert_allclose(polarity(proba[:, [2, 0]], ["positive", "negative"]), [0.6, -0.5])
