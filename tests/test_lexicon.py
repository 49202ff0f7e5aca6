"""The VADER baseline: the compound → probability mapping and the label schemes it accepts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sentilab.errors import ModelError
from sentilab.models.lexicon import VaderModel, compound_to_proba
from tests.conftest import SIX_LABELS, SIX_TEXTS

THREE = ["negative", "neutral", "positive"]
TWO = ["negative", "positive"]


@pytest.mark.parametrize(
    ("compound", "expected"),
    [
        (0.05, "positive"),  # VADER's rule: compound >= 0.05 is positive ...
        (0.0499, "neutral"),
        (0.0, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),  # ... and <= -0.05 negative
        (0.9, "positive"),
        (-0.9, "negative"),
    ],
)
def test_three_class_argmax_follows_vaders_thresholds(compound, expected):
    proba = compound_to_proba(np.array([compound]), THREE, 0.05)
    assert THREE[int(np.argmax(proba[0]))] == expected


def test_three_class_probabilities_documented_values():
    proba = compound_to_proba(np.array([0.0, 1.0, -1.0, 0.5]), THREE, 0.05)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[0], [0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(proba[1], [0, 0.05 / 1.05, 1 / 1.05], atol=1e-6)
    np.testing.assert_allclose(proba[2], [1 / 1.05, 0.05 / 1.05, 0], atol=1e-6)
    np.testing.assert_allclose(proba[3], [0, 0.05 / 0.55, 0.5 / 0.55], atol=1e-6)


def test_binary_probability_is_monotonic_and_half_at_zero():
    compound = np.linspace(-1, 1, 201)
    proba = compound_to_proba(compound, TWO, 0.05)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(np.diff(proba[:, 1]) > 0)
    np.testing.assert_allclose(proba[100], [0.5, 0.5])
    np.testing.assert_allclose(proba[-1, 1], 1.025 / 1.05)


def test_zero_band_and_zero_compound_do_not_divide_by_zero():
    proba = compound_to_proba(np.array([0.0, 0.3]), THREE, 0.0)
    np.testing.assert_allclose(proba[0], [1 / 3] * 3)
    np.testing.assert_allclose(proba[1], [0, 0, 1])


def test_vader_reads_negation_and_intensity():
    model = VaderModel().fit(SIX_TEXTS, SIX_LABELS)
    assert list(model.predict(["the food was good", "the food was not good"])) == ["positive", "negative"]
    plain, loud = model.compound(["good", "GOOD!!!"])
    assert loud > plain > 0


def test_column_order_follows_classes_for_other_label_names():
    model = VaderModel().fit(["a", "b", "c"], ["POS", "neg", "Neutral"])
    assert list(model.classes_) == ["Neutral", "POS", "neg"]
    proba = model.predict_proba(["I love it", "I hate it", "a table"])
    assert list(model.predict(["I love it", "I hate it", "a table"])) == ["POS", "neg", "Neutral"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("labels", "texts", "expected"),
    [
        ([0, 4], ["awful", "wonderful"], [0, 4]),  # Sentiment140 polarity
        ([0, 1], ["awful", "wonderful"], [0, 1]),
        ([-1, 0, 1], ["awful", "a chair", "wonderful"], [-1, 0, 1]),
        ([0, 2, 4], ["awful", "a chair", "wonderful"], [0, 2, 4]),
        ([0, 1, 2], ["awful", "a chair", "wonderful"], [0, 1, 2]),  # sentilab.labels' schemes, all of them
        (["n", "p"], ["awful", "wonderful"], ["n", "p"]),
    ],
)
def test_integer_label_schemes(labels, texts, expected):
    model = VaderModel().fit(texts, labels)
    assert list(model.predict(texts)) == expected


@pytest.mark.parametrize(
    "labels", [["good", "bad"], [1, 2, 3], ["negative", "neutral"], ["positive", "pos"], [0, 7]]
)
def test_labels_vader_cannot_map_are_a_clear_error(labels):
    with pytest.raises(ModelError, match="vader maps its score onto negative/neutral/positive"):
        VaderModel().fit([f"text {i}" for i in range(len(labels))], labels)


def test_neutral_band_is_checked_and_used():
    with pytest.raises(ModelError, match="neutral_band=1.5"):
        VaderModel(neutral_band=1.5).fit(SIX_TEXTS, SIX_LABELS)
    labels = SIX_LABELS + ["neutral"]
    wide = VaderModel(neutral_band=0.95).fit(SIX_TEXTS + ["x"], labels)
    narrow = VaderModel(neutral_band=0.05).fit(SIX_TEXTS + ["x"], labels)
    assert wide.predict(["it is good"])[0] == "neutral" and narrow.predict(["it is good"])[0] == "positive"


def test_save_load_keeps_the_mapping(tmp_path):
    model = VaderModel(neutral_band=0.2).fit(["a", "b"], [0, 4])
    model.save(tmp_path / "v")
    # The class sentiments follow from labels.json (sentilab.labels), on fit and on load; nothing else saved.
    assert json.loads((tmp_path / "v" / "vocab.json").read_text()) == {}
    loaded = VaderModel.load(tmp_path / "v")
    assert loaded.neutral_band == 0.2 and list(loaded.classes_) == [0, 4]
    assert loaded.sentiments_ == model.sentiments_ == ["negative", "positive"]
    texts = ["great", "terrible", "meh"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
