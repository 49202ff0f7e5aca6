"""Explanations: exact for linear models (a proof by test), occlusion for any model, top words by doc frequency."""

from __future__ import annotations

import numpy as np
import pytest

from sentilab.errors import ModelError, SentilabError
from sentilab.explain import explain, occlusion, top_words
from sentilab.models.base import SentimentModel
from sentilab.models.lexicon import VaderModel
from sentilab.models.linear import BowModel
from tests.conftest import SIX_LABELS, SIX_TEXTS

THREE_TEXTS = SIX_TEXTS + ["it is a table", "the meeting is on monday", "this is a chair"]
THREE_LABELS = SIX_LABELS + ["neutral"] * 3
PROBES = ["I love this, not terrible at all", "great great great day", "unknown words only"]


def decision_for(model, text, target):
    d = model.decision_function([text])[0]
    if np.ndim(d) == 0:  # two classes: log-odds of classes_[1]
        return d if target == model.classes_[1] else -d
    return d[list(model.classes_).index(target)]


@pytest.mark.parametrize("features", ["binary", "count", "tfidf", "nbsvm"])
@pytest.mark.parametrize("three", [False, True])
def test_linear_contributions_plus_intercept_equal_the_decision_value(features, three):
    texts, labels = (THREE_TEXTS, THREE_LABELS) if three else (SIX_TEXTS, SIX_LABELS)
    model = BowModel(features=features, min_df=1, ngram_range=(1, 3)).fit(texts, labels)
    for text in PROBES:
        for target in model.classes_:
            result = explain(model, text, target=target)
            expected = decision_for(model, text, target)
            assert result.exact and result.score == pytest.approx(expected, abs=1e-10)
            assert result.base + sum(t["contribution"] for t in result.tokens) == pytest.approx(
                expected, abs=1e-10
            )
            assert result.base + sum(f["contribution"] for f in result.features) == pytest.approx(
                expected, abs=1e-10
            )


def test_linear_feature_terms_are_value_times_weight():
    model = BowModel(features="count", min_df=1).fit(SIX_TEXTS, SIX_LABELS)
    result = explain(model, "great great day", target="positive")
    great = next(f for f in result.features if f["feature"] == "great")
    assert great["value"] == 2.0
    assert great["contribution"] == pytest.approx(2.0 * great["weight"])
    assert great["weight"] == pytest.approx(model.coef_[0, model.ngrams_.index(("great",))])


def test_linear_tokens_follow_the_models_tokenizer_and_unknown_tokens_get_zero():
    model = BowModel(min_df=1).fit(SIX_TEXTS, SIX_LABELS)
    result = explain(model, "I DON'T love zebras")
    assert [t["token"] for t in result.tokens] == ["i", "don't", "love", "zebras"]
    assert result.tokens[3]["contribution"] == 0.0 and result.tokens[1]["contribution"] == 0.0
    assert result.target == "positive" and result.tokens[2]["contribution"] > 0
    assert "log-odds of positive" in result.scale


def test_default_target_is_the_prediction_and_bad_targets_are_refused():
    model = BowModel(min_df=1).fit(SIX_TEXTS, SIX_LABELS)
    assert explain(model, "what a horrible day").target == "negative"
    with pytest.raises(ModelError, match="target 'joy' is not a class"):
        explain(model, "what a horrible day", target="joy")
    with pytest.raises(ModelError, match="one text"):
        explain(model, ["a list"])


def test_occlusion_works_for_any_model_through_predict_proba():
    class KeywordModel(SentimentModel):
        """Positive probability 0.9 when 'love' is present, else 0.2: occlusion must find 'love'."""

        name = "keyword"

        def _fit(self, texts, y, validation):
            pass

        def _predict_proba(self, texts):
            p = np.array([0.9 if "love" in t else 0.2 for t in texts])
            return np.column_stack([1 - p, p])

    model = KeywordModel().fit(["a", "b"], ["negative", "positive"])
    result = occlusion(model, "I love it, don't you?")
    assert [t["token"] for t in result.tokens] == ["I", "love", "it", ",", "don't", "you", "?"]
    scores = {t["token"]: t["contribution"] for t in result.tokens}
    assert scores["love"] == pytest.approx(0.7) and scores["it"] == 0.0
    assert (
        result.target == "positive"
        and result.score == pytest.approx(0.9)
        and result.base == pytest.approx(0.2)
    )
    assert not result.exact and explain(model, "I love it").method == "occlusion"


def test_occlusion_on_vader_finds_the_sentiment_words():
    model = VaderModel().fit(SIX_TEXTS, SIX_LABELS)
    result = explain(model, "the staff were rude and the room was dirty", target="negative")
    top = sorted(result.tokens, key=lambda t: -t["contribution"])[:2]
    assert {t["token"] for t in top} == {"rude", "dirty"}


@pytest.mark.parametrize("text", ["", "  \n"])
def test_an_empty_text_has_nothing_to_explain(text):
    model = VaderModel().fit(SIX_TEXTS, SIX_LABELS)
    with pytest.raises(ModelError, match="the text is empty: an empty text has no label to explain"):
        explain(model, text)


def test_explanation_table_is_readable():
    model = BowModel(min_df=1).fit(SIX_TEXTS, SIX_LABELS)
    text = str(explain(model, "I love this"))
    assert text.splitlines()[0].startswith("positive (")
    assert "love" in text and "(base)" in text and "base + Σ" in text


def test_top_words_filter_one_off_words_by_document_frequency():
    texts = ["good"] * 5 + ["fine good", "zqx7"] + ["bad"] * 5 + ["fine bad"]
    labels = ["positive"] * 7 + ["negative"] * 6
    model = BowModel(min_df=1, C=100).fit(texts, labels)
    everything = top_words(model, n=3, min_df=1)
    assert "zqx7" in [w["feature"] for w in everything["positive"]]  # a one-off with a large weight
    frequent = top_words(model, n=3, min_df=2)
    assert list(frequent) == ["positive", "negative"]
    assert frequent["positive"][0]["feature"] == "good" and frequent["negative"][0]["feature"] == "bad"
    assert all(w["doc_freq"] >= 2 for rows in frequent.values() for w in rows)
    weights = [w["weight"] for w in frequent["positive"]]
    assert weights == sorted(weights, reverse=True)


def test_top_words_for_three_classes_and_errors():
    model = BowModel(min_df=1).fit(THREE_TEXTS, THREE_LABELS)
    assert list(top_words(model, n=2, min_df=1)) == ["negative", "neutral", "positive"]
    assert list(top_words(model, n=2, min_df=1, target="neutral")) == ["neutral"]
    with pytest.raises(SentilabError, match="min_df=99.*most frequent occurs in"):
        top_words(model, min_df=99)
    with pytest.raises(SentilabError, match="need a linear model"):
        top_words(VaderModel().fit(SIX_TEXTS, SIX_LABELS))
