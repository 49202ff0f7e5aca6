"""Prediction records: one shape and one meaning of label, score and polarity everywhere."""

from __future__ import annotations

import numpy as np
import pytest

from sentilab.errors import NotFittedError
from sentilab.models import create_model
from sentilab.records import count_empty, is_blank, records_from_proba

from .conftest import TRAIN_LABELS, TRAIN_TEXTS


def test_score_is_the_probability_of_the_label_and_polarity_is_pos_minus_neg():
    classes = np.array(["negative", "neutral", "positive"])
    [record] = records_from_proba(classes, np.array([[0.1, 0.2, 0.7]]))
    assert record == {
        "label": "positive",
        "score": 0.7,
        "polarity": pytest.approx(0.6),
        "scores": {"negative": 0.1, "neutral": 0.2, "positive": 0.7},
    }


def test_integer_classes_get_their_polarity_from_the_numeric_scheme():
    [record] = records_from_proba(np.array([0, 4]), np.array([[0.8, 0.2]]))
    assert (record["label"], record["polarity"]) == ("0", pytest.approx(-0.6))


def test_classes_without_sentiment_have_no_polarity():
    [record] = records_from_proba(np.array(["ham", "spam"]), np.array([[0.3, 0.7]]))
    assert record["label"] == "spam" and record["polarity"] is None


def test_blank_texts_get_no_label_a_reason_and_are_counted():
    model = create_model("bow").fit(TRAIN_TEXTS, TRAIN_LABELS)
    out = model.predict_records(["great, love it", "", "   \n\t", "awful"])
    assert [r["label"] is None for r in out] == [False, True, True, False]
    assert out[1] == {"label": None, "score": None, "polarity": None, "scores": None, "reason": "empty text"}
    assert count_empty(out) == 2
    assert out[0] == model.predict_records(["great, love it"])[0]  # blanks do not shift the others


def test_an_unfitted_model_raises_even_when_every_text_is_blank():
    with pytest.raises(NotFittedError):
        create_model("bow").predict_records([""])


def test_is_blank():
    assert is_blank("") and is_blank(" \u00a0\n") and not is_blank(" a ") and not is_blank(None)
