"""Lexicon valence of a token batch (sentilab.text.valence) and bow's lexicon features built on it."""

from __future__ import annotations

import numpy as np
import pytest

from sentilab.models.linear import LEXICON_FEATURES, SEP, BowModel, TokenPipeline
from sentilab.text.valence import (
    AFTER_BUT,
    BEFORE_BUT,
    NEGATION_SCALE,
    SECOND_BOOST,
    squash,
    token_valence,
    valence_features,
)

LEXICON = {"good": 2.0, "bad": -2.5, "hate": -3.0, "no": -1.2}
BOOSTERS = {"very": 0.3, "slightly": -0.3}
PIPELINE = TokenPipeline(negation=True)


def valences(text: str) -> dict[str, float]:
    flat = PIPELINE.flat([text])
    v, _, _ = token_valence(flat, LEXICON, BOOSTERS, SEP)
    return {token: value for token, value in zip(flat, v.tolist()) if value}


def test_negation_flips_and_scales_the_words_in_its_scope():
    assert valences("good") == {"good": 2.0}
    assert valences("not bad at all") == {"¬bad": pytest.approx(-2.5 * NEGATION_SCALE)}
    assert valences("I don't hate it") == {"¬hate": pytest.approx(-3.0 * NEGATION_SCALE)}
    assert valences("not bad, good") == {"¬bad": pytest.approx(1.85), "good": 2.0}  # the comma ends the scope
    assert valences("no") == {}  # a negation cue has no valence of its own here


def test_intensifiers_scale_away_from_zero_and_reducers_towards_it():
    assert valences("very good") == {"good": pytest.approx(2.3)}
    assert valences("very bad") == {"bad": pytest.approx(-2.8)}
    assert valences("slightly bad") == {"bad": pytest.approx(-2.2)}
    assert valences("very very good") == {"good": pytest.approx(2.0 + 0.3 + SECOND_BOOST * 0.3)}
    assert valences("not very good") == {"¬good": pytest.approx(2.3 * NEGATION_SCALE)}


def test_but_weighs_the_clause_after_it_more():
    assert valences("good but bad") == {
        "good": pytest.approx(2.0 * BEFORE_BUT),
        "bad": pytest.approx(-2.5 * AFTER_BUT),
    }


def test_an_elliptical_negation_flips_the_clause_before_it():
    # The flipped words carry the negation mark, so bow's n-grams see "¬bad" there too (one scope rule).
    assert valences("I feared it would be bad. It wasn't.") == {"¬bad": pytest.approx(-2.5 * NEGATION_SCALE)}
    assert valences("they said it would be good, but it was not") == {
        "¬good": pytest.approx(2.0 * AFTER_BUT * NEGATION_SCALE)  # weighed in the cue's clause, after "but"
    }
    assert valences("it was not bad. good") == {
        "¬bad": pytest.approx(1.85),
        "good": 2.0,
    }  # a scope, no ellipsis
    assert valences("good. no") == {"¬good": pytest.approx(2.0 * NEGATION_SCALE)}
    # A word already in a scope is flipped once, not flipped back by an elliptical cue that echoes it.
    assert valences("I didn't think it would be bad, and it was not.") == {
        "¬bad": pytest.approx(-2.5 * NEGATION_SCALE)
    }


def test_intensifiers_do_not_count_as_words_without_valence():
    plain, boosted = (
        valence_features(*token_valence(PIPELINE.flat([text]), LEXICON, BOOSTERS, SEP), 1)[0]
        for text in ("the food was good", "the food was very good")
    )
    assert boosted[2] > plain[2]  # the positive share grows with "very" instead of being diluted by it


def test_a_batch_scores_each_text_as_if_alone():
    texts = ["very good", "bad but good", "not bad", "", "hate hate", "very", "good", "bad. not", "good. bad"]
    flat = PIPELINE.flat(texts)
    v, text_of, is_word = token_valence(flat, LEXICON, BOOSTERS, SEP)
    assert text_of.tolist() == [i for i, t in enumerate(texts) for _ in PIPELINE.flat([t])]
    together = valence_features(v, text_of, is_word, len(texts))  # (n_texts, 4)
    for i, text in enumerate(texts):
        alone = token_valence(PIPELINE.flat([text]), LEXICON, BOOSTERS, SEP)
        np.testing.assert_allclose(together[i], valence_features(*alone, 1)[0])
    # "very" at the end of text 5 must not boost "good", the first word of text 6.
    assert together[6, 0] == pytest.approx(squash(np.array(2.0)))


def test_features_are_squashed_sums_and_shares():
    flat = PIPELINE.flat(["good and bad and a dog ."])
    features = valence_features(*token_valence(flat, LEXICON, BOOSTERS, SEP), 1)[0]
    # P = 2, N = 2.5, four words without valence (and, and, a, dog; "." is no word)
    np.testing.assert_allclose(
        features, [2 / np.sqrt(4 + 15), 2.5 / np.sqrt(6.25 + 15), 2 / 8.5, 2.5 / 8.5], rtol=1e-12
    )
    assert valence_features(*token_valence([], LEXICON, BOOSTERS, SEP), 0).shape == (0, 4)


# ----------------------------------------------------------------------------- bow with lexicon=true
TEXTS = ["good food", "great staff", "bad food", "awful staff", "the food", "the staff"] * 3
LABELS = ["positive", "positive", "negative", "negative", "neutral", "neutral"] * 3


def test_lexicon_features_read_negations_the_training_data_never_showed():
    plain = BowModel(min_df=1, negation=True).fit(TEXTS, LABELS)
    lexical = BowModel(min_df=1, negation=True, lexicon=True, lexicon_weight=3.0).fit(TEXTS, LABELS)
    # "hate" and "not terrible" never occur in training; the lexicon knows them.
    assert list(lexical.predict(["I hate the food", "not terrible at all"])) == ["negative", "positive"]
    p_positive = list(lexical.classes_).index("positive")
    assert (
        lexical.predict_proba(["not terrible at all"])[0, p_positive]
        > plain.predict_proba(["not terrible at all"])[0, p_positive]
    )


def test_lexicon_model_explains_exactly_and_round_trips_without_pickle(tmp_path):
    from sentilab.models import load_model

    model = BowModel(min_df=1, negation=True, lexicon=True).fit(TEXTS, LABELS)
    text = "not bad at all, very good food"
    explanation = model.contributions(text, target="positive")
    total = explanation["intercept"] + sum(t["contribution"] for t in explanation["tokens"])
    row = list(model.classes_).index("positive")
    assert total == pytest.approx(float(model.decision_function([text])[0, row]))
    assert explanation["decision"] == pytest.approx(total)
    assert {f["feature"] for f in explanation["features"]} >= set(LEXICON_FEATURES)
    names, weights, doc_freq = model.feature_table("positive")
    assert names[-4:] == list(LEXICON_FEATURES) and len(names) == len(weights) == len(doc_freq)
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.lexicon is True and loaded.lexicon_weight == 1.0
    texts = [*TEXTS, text, "I hate it", ""]
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.lexicon_words_ == model.lexicon_words_  # the lexicon travels with the model


def test_lexicon_with_nbsvm_is_refused_with_the_fix():
    from sentilab.errors import ModelError

    with pytest.raises(ModelError, match="lexicon=true works with features binary, count or tfidf"):
        BowModel(min_df=1, features="nbsvm", lexicon=True).fit(TEXTS, LABELS)


def test_a_model_saved_without_its_lexicon_tables_is_refused(tmp_path):
    from sentilab.errors import ModelError

    model = BowModel(min_df=1, lexicon=True).fit(TEXTS, LABELS)
    arrays, data = model._get_state()
    data.pop("lexicon_words")
    with pytest.raises(ModelError, match="lexicon is incomplete"):
        BowModel(lexicon=True)._set_state(arrays, data)


def test_with_the_lexicon_intensifiers_are_no_ngrams_and_only_strengthen():
    texts = [*TEXTS, "very good food", "really bad staff"]
    labels = [*LABELS, "positive", "negative"]
    model = BowModel(min_df=1, lexicon=True).fit(texts, labels)
    assert not any(token in {"very", "really"} for gram in model.ngrams_ for token in gram)
    assert ("good", "food") in model.ngrams_  # "very good food": the n-grams read "good food"
    polarity = {r["polarity"] for r in model.predict_records(["good food"])}.pop()
    assert model.predict_records(["very good food"])[0]["polarity"] > polarity
    negative = model.predict_records(["bad staff"])[0]["polarity"]
    assert model.predict_records(["really bad staff"])[0]["polarity"] < negative
    explanation = model.contributions("the food was very good", target="positive")
    assert [t["token"] for t in explanation["tokens"]] == ["the", "food", "was", "very", "good"]
    total = explanation["intercept"] + sum(t["contribution"] for t in explanation["tokens"])
    row = list(model.classes_).index("positive")
    assert total == pytest.approx(float(model.decision_function(["the food was very good"])[0, row]))


def test_words_an_elliptical_cue_negates_are_weighed_as_part_of_its_clause():
    # "..., but it was not" says "but it was not bad": "bad" takes the weight after "but".
    assert valences("they said it would be bad, but it was not.") == {
        "¬bad": pytest.approx(-2.5 * NEGATION_SCALE * AFTER_BUT)
    }
    # A word in a forward scope keeps its own clause's weight, even with an elliptical cue later on.
    assert valences("not good but bad. no") == {
        "¬good": pytest.approx(2.0 * NEGATION_SCALE * BEFORE_BUT),
        "¬bad": pytest.approx(-2.5 * NEGATION_SCALE * AFTER_BUT),
    }
    # Without "but" nothing changes, and each text of a batch keeps to itself.
    assert valences("I feared it would be bad. It wasn't.") == {"¬bad": pytest.approx(-2.5 * NEGATION_SCALE)}
