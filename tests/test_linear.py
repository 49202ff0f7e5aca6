"""The bag-of-words model: the fast batch tokenizer, features checked against scikit-learn, NBSVM, settings."""

from __future__ import annotations

import importlib
import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from sentilab.errors import ModelError, SentilabError
from sentilab.models import linear
from sentilab.models.linear import SEP, BowModel, TokenPipeline, _fast_path_available
from tests.conftest import SIX_LABELS, SIX_TEXTS

normalize_module = importlib.import_module("sentilab.text.normalize")

CORPUS = [
    "I love this phone, it is great",
    "great phone, great price :)",
    "I don't love the battery",
    "not good, not great, terrible battery",
    "terrible terrible service @bob http://t.co/x",
    "the screen is good and the price is good",
    "worst phone ever. not good",
    "love love love it!!! sooo good",
]
CORPUS_LABELS = [
    "positive",
    "positive",
    "negative",
    "negative",
    "negative",
    "positive",
    "negative",
    "positive",
]


def reference_flat(pipeline: TokenPipeline, texts: list[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        out.extend(pipeline(text))
        out.append(SEP)
    return out


def ngram_analyzer(pipeline: TokenPipeline, lo: int, hi: int):
    """The same n-grams as BowModel, as a scikit-learn analyzer callable."""

    def analyze(text: str) -> list[str]:
        tokens = pipeline(text)
        return [" ".join(tokens[i : i + n]) for n in range(lo, hi + 1) for i in range(len(tokens) - n + 1)]

    return analyze


# ============================================================================ batch tokenization
# Characters chosen to hit every join-safety argument in linear.py: tags across texts, URLs and @users at
# text edges, the long s that IGNORECASE folds onto "s", Greek final sigma, repeated letters, the separator.
TRICKY = st.lists(
    st.sampled_from(
        list("aAbsSſHhTtPpWwKk:/.@#<>&;'’ \n\t!?)(3DdxX-=*oΣσς_1")
        + [
            "http://",
            "HTTPS://",
            "httpſ://",
            "www.",
            "WWW.",
            "&amp;",
            "&lt;3",
            "<br />",
            "</p>",
            "<url>",
            "<user>",
        ]
        + ["sooo", "OOO", "\x01", "don't", "@user", "É", "&Sigma;", "the", "not", "&#1;", "\ud800"]
    ),
    max_size=14,
).map("".join)


@pytest.mark.parametrize(
    ("steps", "tokenizer"),
    [
        (normalize_module.DEFAULT_STEPS, "tweet"),
        (("html", "lowercase", "placeholders", "squeeze", "stopwords", "spaces"), "tweet"),
        (("placeholders", "squeeze"), "tweet"),  # no lowercase: the any-case URL pattern
        (("lowercase", "html", "placeholders"), "tweet"),  # html after lowercase may bring capitals back
        (("html", "punctuation", "lowercase"), "basic_english"),
        (("squeeze", "lowercase"), "whitespace"),
        ((), "tweet"),
    ],
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TRICKY, min_size=1, max_size=6))
def test_batch_tokens_equal_the_per_text_reference(steps, tokenizer, texts):
    pipeline = TokenPipeline(steps, tokenizer)
    assert pipeline.batched
    assert pipeline.flat(texts) == reference_flat(pipeline, texts)


def test_fast_path_is_active_for_the_defaults():
    # If this fails, sentilab.text changed a regex the join-safety argument in linear.py relies on: re-read
    # that argument, update _ANALYZED/_TWEET_PATTERN, and let the hypothesis test above confirm it.
    assert _fast_path_available()
    assert TokenPipeline().batched


def test_unjoinable_tokenizer_uses_the_reference_path():
    pipeline = TokenPipeline(("lowercase",), lambda text: text.split("o"))
    assert not pipeline.batched
    texts = ["Foo bOo", "", "zoo"]
    assert pipeline.flat(texts) == reference_flat(pipeline, texts)


def test_fast_url_patterns_match_url_re_on_every_case_folding_character():
    fast_any, fast_lower = linear._URL_ANY_CASE, linear._URL_LOWER
    # Every character re.IGNORECASE folds onto one of the pattern's letters, in every position.
    folding = [chr(c) for c in range(0x250)] + ["\u017f", "\u212a", "\u0130", "\u0131"]
    for template in ("http://x", "https://x", "www.x"):
        for position in range(len(template) - 2):
            for char in folding:
                text = "a " + template[:position] + char + template[position + 1 :] + " b"
                expected = normalize_module.URL_RE.sub("<url>", text)
                assert fast_any.sub("<url>", text) == expected, repr(text)
                if text == text.lower():
                    assert fast_lower.sub("<url>", text) == expected, repr(text)


def test_fast_user_pattern_matches_user_re():
    for text in ["@bob", "a@bob", "@@bob", "x @bob @", "me@x.com @a_b", "@" + "a" * 40, "é@bob", "_@bob"]:
        assert linear._USER_FAST.sub("<user>", text) == normalize_module.USER_RE.sub("<user>", text)


def test_separator_inside_a_text_counts_as_a_space():
    model = BowModel(min_df=1).fit(["good\x01day", "bad day"], ["positive", "negative"])
    assert ("good",) in model.ngrams_ and ("day",) in model.ngrams_
    assert len(model.predict_proba(["x\x01y\x01"])) == 1


# ============================================================================ features vs scikit-learn
def test_negation_survives_tokenization_and_is_learned():
    pipeline = TokenPipeline()
    assert "don't" in pipeline("I DON'T like it")
    texts = ["good", "very good", "good stuff", "not good", "not good at all", "really not good"]
    labels = ["positive"] * 3 + ["negative"] * 3
    model = BowModel(min_df=1, C=10).fit(texts, labels)
    assert ("not", "good") in model.ngrams_
    assert list(model.predict(["good", "not good"])) == ["positive", "negative"]


@pytest.mark.parametrize(
    ("features", "vectorizer"),
    [
        ("count", lambda a: CountVectorizer(analyzer=a)),
        ("binary", lambda a: CountVectorizer(analyzer=a, binary=True)),
        ("tfidf", lambda a: TfidfVectorizer(analyzer=a, sublinear_tf=True)),
    ],
)
def test_feature_matrix_equals_scikit_learn(features, vectorizer):
    model = BowModel(features=features, min_df=1).fit(CORPUS, CORPUS_LABELS)
    reference = vectorizer(ngram_analyzer(model._pipeline(), 1, 2))
    expected = reference.fit_transform(CORPUS).toarray()
    names = list(reference.get_feature_names_out())
    ours = [" ".join(g) for g in model.ngrams_]
    assert sorted(ours) == sorted(names)
    order = [names.index(name) for name in ours]
    texts = CORPUS + ["unseen words only", "", "great great battery"]
    np.testing.assert_allclose(
        model.transform(texts).toarray(), reference.transform(texts).toarray()[:, order]
    )
    np.testing.assert_allclose(model.transform(CORPUS).toarray(), expected[:, order])


@pytest.mark.parametrize("three", [False, True])
def test_logistic_regression_matches_scikit_learn_on_the_same_features(three):
    texts = CORPUS + (["a table", "on monday", "the chair"] if three else [])
    labels = CORPUS_LABELS + (["neutral"] * 3 if three else [])
    model = BowModel(features="tfidf", min_df=1, C=2.0).fit(texts, labels)
    reference = LogisticRegression(C=2.0, max_iter=1000, solver="newton-cg").fit(
        model.transform(texts), labels
    )
    probe = texts + ["love the price", "not good"]
    np.testing.assert_allclose(
        model.predict_proba(probe), reference.predict_proba(model.transform(probe)), atol=1e-6
    )


@pytest.mark.parametrize(("min_df", "max_df", "max_features"), [(2, 1.0, None), (1, 0.3, None), (1, 1.0, 5)])
def test_vocabulary_filters_match_scikit_learn(min_df, max_df, max_features):
    model = BowModel(min_df=min_df, max_df=max_df, max_features=max_features, ngram_range=(1, 1))
    model.fit(CORPUS, CORPUS_LABELS)
    reference = CountVectorizer(
        analyzer=ngram_analyzer(model._pipeline(), 1, 1),
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
    ).fit(CORPUS)
    ours = {" ".join(g) for g in model.ngrams_}
    if max_features is None:
        assert ours == set(reference.get_feature_names_out())
    else:  # ties at the cut may be broken differently; the counts of what is kept must agree
        counts = CountVectorizer(analyzer=ngram_analyzer(model._pipeline(), 1, 1)).fit(CORPUS)
        totals = dict(zip(counts.get_feature_names_out(), counts.transform(CORPUS).sum(axis=0).A1))
        assert len(ours) == max_features
        assert sorted(totals[w] for w in ours) == sorted(totals[w] for w in reference.get_feature_names_out())


def test_document_frequency_is_stored_per_feature():
    model = BowModel(min_df=1, ngram_range=(1, 1)).fit(CORPUS, CORPUS_LABELS)
    df = dict(zip((" ".join(g) for g in model.ngrams_), model.doc_freq_))
    assert df["terrible"] == 2  # once per document, although "terrible terrible service" has it twice
    assert df["great"] == 3 and df["love"] == 3 and df["worst"] == 1


def test_trigrams_and_bigram_only_ranges():
    model = BowModel(min_df=1, ngram_range=(1, 3)).fit(CORPUS, CORPUS_LABELS)
    assert ("not", "good", ",") in model.ngrams_
    X = model.transform(["it is not good , really"]).toarray()
    assert X[0, model.ngrams_.index(("not", "good", ","))] > 0
    bigrams = BowModel(min_df=1, ngram_range=(2, 2)).fit(CORPUS, CORPUS_LABELS)
    assert {len(g) for g in bigrams.ngrams_} == {2}
    assert bigrams.transform(["love"]).nnz == 0


def test_chunked_prediction_equals_one_batch(monkeypatch):
    model = BowModel(min_df=1).fit(CORPUS, CORPUS_LABELS)
    whole = model.predict_proba(CORPUS * 3)
    monkeypatch.setattr(linear, "CHUNK", 4)
    np.testing.assert_allclose(model.predict_proba(CORPUS * 3), whole)


def test_undecodable_and_exotic_text_does_not_crash():
    model = BowModel(min_df=1).fit(CORPUS, CORPUS_LABELS)
    proba = model.predict_proba(["bad \ud800 bytes \ufffd", "ΣΟΦΟΣ 😀 <3", "\x00\x01\x02", " " * 50])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# ============================================================================ NBSVM
def test_nbsvm_log_count_ratios_follow_wang_and_manning():
    texts = ["good good", "good fine", "bad", "bad fine"]
    labels = ["positive", "positive", "negative", "negative"]
    model = BowModel(features="nbsvm", min_df=1, ngram_range=(1, 1), nb_alpha=1.0).fit(texts, labels)
    names = [g[0] for g in model.ngrams_]
    x_pos = {"good": 2, "fine": 1, "bad": 0}  # binary counts over the positive documents
    x_neg = {"good": 0, "fine": 1, "bad": 2}
    p = np.array([1 + x_pos[n] for n in names], dtype=float)
    q = np.array([1 + x_neg[n] for n in names], dtype=float)
    np.testing.assert_allclose(model.ratios_[0], np.log((p / p.sum()) / (q / q.sum())))
    assert model.ratios_.shape == (1, 3) and model.link_ == "sigmoid"


def test_nbsvm_is_one_vs_rest_for_three_classes():
    texts = CORPUS + ["the table is brown", "it is monday", "a chair"]
    labels = CORPUS_LABELS + ["neutral"] * 3
    model = BowModel(features="nbsvm", min_df=1).fit(texts, labels)
    assert model.coef_.shape == (3, len(model.ngrams_)) and model.link_ == "ovr"
    proba = model.predict_proba(texts)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(texts) == np.array(labels)).mean() >= 0.9


def test_nbsvm_beta_interpolates_weights():
    plain = BowModel(features="nbsvm", min_df=1, nb_beta=1.0).fit(CORPUS, CORPUS_LABELS)
    mixed = BowModel(features="nbsvm", min_df=1, nb_beta=0.25).fit(CORPUS, CORPUS_LABELS)
    w = plain.coef_[0]
    np.testing.assert_allclose(mixed.coef_[0], 0.75 * np.abs(w).mean() + 0.25 * w)


# ============================================================================ settings and persistence
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"features": "bogus"}, "setting features='bogus' is invalid: must be one of 'binary', 'count', "),
        ({"ngram_range": (2, 1)}, "ngram_range"),
        ({"min_df": 0}, "min_df=0"),
        ({"max_df": 1.5}, "max_df=1.5"),
        ({"C": 0}, "C=0"),
        ({"class_weight": "heavy"}, "class_weight='heavy'"),
        ({"normalize": "html"}, "list of step names"),
        ({"max_features": 0}, "max_features=0"),
    ],
)
def test_bad_settings_are_clear_errors(params, message):
    with pytest.raises(ModelError, match=re.escape(message)):
        BowModel(**params).fit(SIX_TEXTS, SIX_LABELS)


def test_unknown_tokenizer_or_step_names_the_choices():
    with pytest.raises(SentilabError, match="unknown tokenizer 'tweeet'.*did you mean 'tweet'"):
        BowModel(tokenizer="tweeet").fit(SIX_TEXTS, SIX_LABELS)
    with pytest.raises(SentilabError, match="unknown normalization step"):
        BowModel(normalize=("html", "lowercaes")).fit(SIX_TEXTS, SIX_LABELS)


def test_min_df_too_high_says_what_to_do():
    with pytest.raises(ModelError, match=r"no n-gram occurs in at least min_df=50.*\n.*lower min_df"):
        BowModel(min_df=50).fit(SIX_TEXTS, SIX_LABELS)


def test_from_overrides_types_every_setting():
    model = BowModel.from_overrides(
        {
            "ngram_range": "1,3",
            "normalize": "lowercase,squeeze",
            "max_features": "none",
            "C": "3",
            "min_df": "4",
        }
    )
    assert model.ngram_range == (1, 3) and model.normalize == ("lowercase", "squeeze")
    assert model.max_features is None and model.C == 3.0 and model.min_df == 4
    with pytest.raises(ModelError, match="features='nope' is not allowed"):
        BowModel.from_overrides({"features": "nope"})


@pytest.mark.parametrize("features", ["binary", "count", "tfidf", "nbsvm"])
def test_save_load_round_trip_is_json_and_arrays(features, tmp_path):
    texts = CORPUS + ["neutral words here", "another plain one"]
    labels = CORPUS_LABELS + ["neutral", "neutral"]
    model = BowModel(features=features, min_df=1, ngram_range=(1, 3)).fit(texts, labels)
    model.save(tmp_path / "m")
    vocab = json.loads((tmp_path / "m" / "vocab.json").read_text())
    assert vocab["ngrams"][: len(model.ngrams_)] == [list(g) for g in model.ngrams_]
    from safetensors.numpy import load_file

    arrays = load_file(str(tmp_path / "m" / "weights.safetensors"))
    assert ("idf" in arrays) == (features == "tfidf") and ("ratios" in arrays) == (features == "nbsvm")
    loaded = BowModel.load(tmp_path / "m")
    probe = texts + ["not good at all", ""]
    np.testing.assert_array_equal(loaded.predict_proba(probe), model.predict_proba(probe))
    np.testing.assert_array_equal(loaded.doc_freq_, model.doc_freq_)


def test_squeeze_prefilter_keeps_every_character_that_can_squeeze():
    # _squeeze_joined only looks at triples of alphanumeric characters; nothing else may ever squeeze.
    for code in range(0x3000):
        char = chr(code)
        if 0xD800 <= code < 0xE000 or char.isalnum():
            continue
        assert normalize_module.squeeze_repeats(char * 3) == char * 3, hex(code)


# ----------------------------------------------------------------------------- negation marking
def test_mark_negation_scope_opens_at_cues_and_closes_at_punctuation_but_and_separator():
    from sentilab.text.tokenize import NEGATED, mark_negation

    tokens = ["i", "don't", "like", "it", ",", "but", "not", "bad", "at", "all", "!", "never", "again"]
    marked = mark_negation([*tokens, SEP, "good"], separator=SEP)
    negated = [t.removeprefix(NEGATED) for t in marked if t.startswith(NEGATED)]
    assert negated == ["like", "it", "bad", "at", "all", "again"]
    assert marked[-1] == "good"  # the next text starts outside any scope
    assert mark_negation(["it", "is", "fine"]) == ["it", "is", "fine"]


def test_an_elliptical_negation_marks_what_came_before_it_in_its_own_text():
    from sentilab.text.tokenize import NEGATED, mark_negation

    first = ["good", SEP]  # an earlier text is never reached
    tokens = ["they", "said", "bad", ",", "but", "it", "was", "not", "."]
    marked = mark_negation([*first, *tokens, SEP, "fine"], separator=SEP)
    assert marked[:2] == first and marked[-1] == "fine"
    assert marked[2:-2] == ["¬they", "¬said", "¬bad", ",", "but", "¬it", "¬was", "not", "."]
    assert NEGATED == "¬"
    # A cue with words after it in its clause is no ellipsis; one at the very end of the tokens is.
    assert mark_negation(["bad", ".", "not", "good"]) == ["bad", ".", "not", "¬good"]
    assert mark_negation(["bad", ".", "it", "isn't"]) == ["¬bad", ".", "¬it", "isn't"]
    # Words already in a scope stay marked once; other cues are left as they are.
    assert mark_negation(["didn't", "like", "it", ",", "no"]) == ["didn't", "¬like", "¬it", ",", "no"]


def test_negation_batch_path_equals_one_text_at_a_time():
    pipeline = TokenPipeline(negation=True)
    texts = [
        "Not bad at all, I loved it!",
        "I don't like this. It is bad",
        "never again",
        "",
        "good :)",
        "They said it was bad, but it wasn't.",
        "bad. not",
    ]
    assert pipeline.flat(texts) == [t for text in texts for t in [*pipeline(text), SEP]]


def test_negation_lets_bow_tell_not_bad_from_bad_and_explains_exactly(tmp_path):
    texts = ["bad", "really bad", "so bad", "not bad", "not bad at all", "honestly not bad"] * 3
    labels = ["negative"] * 3 + ["positive"] * 3
    labels = labels * 3
    plain = BowModel(min_df=1, C=10.0).fit(texts, labels)
    marked = BowModel(min_df=1, C=10.0, negation=True).fit(texts, labels)
    assert list(marked.predict(["not bad", "bad"])) == ["positive", "negative"]
    assert marked.predict_proba(["not bad"])[0, 1] > plain.predict_proba(["not bad"])[0, 1]
    explanation = marked.contributions("not bad", target="positive")
    assert [t["token"] for t in explanation["tokens"]] == ["not", "bad"]  # shown as written, not "¬bad"
    total = explanation["intercept"] + sum(t["contribution"] for t in explanation["tokens"])
    assert total == pytest.approx(float(marked.decision_function(["not bad"])[0]))
    marked.save(tmp_path / "m")
    from sentilab.models import load_model

    loaded = load_model(tmp_path / "m")
    assert loaded.negation is True
    np.testing.assert_allclose(loaded.predict_proba(texts), marked.predict_proba(texts))


def test_without_cue_ngrams_a_negation_acts_through_the_words_it_marks(tmp_path):
    # "not" and "wasn't" go with negative texts here, as they do in real data; "¬bad" never occurs alone.
    texts = ["not good", "wasn't great", "bad", "awful", "good", "great", "not bad at all", "never awful"] * 2
    labels = ["negative"] * 4 + ["positive"] * 4
    labels = labels * 2
    model = BowModel(min_df=1, C=10.0, negation=True, negation_cue_ngrams=False).fit(texts, labels)
    with_cues = BowModel(min_df=1, C=10.0, negation=True).fit(texts, labels)
    grams = {" ".join(g) for g in model.ngrams_}
    assert {"¬good", "¬bad", "¬at ¬all"} <= grams
    assert not any(word in gram.split() for gram in grams for word in ("not", "wasn't", "never"))
    assert {"not", "not ¬good"} <= {" ".join(g) for g in with_cues.ngrams_}
    # The explanation still sums exactly, and shows the cue with no share of its own.
    explanation = model.contributions("it wasn't bad", target="positive")
    assert [t["token"] for t in explanation["tokens"]] == ["it", "wasn't", "bad"]
    assert explanation["tokens"][1]["contribution"] == 0.0
    total = explanation["intercept"] + sum(t["contribution"] for t in explanation["tokens"])
    assert total == pytest.approx(float(model.decision_function(["it wasn't bad"])[0]))
    model.save(tmp_path / "m")
    from sentilab.models import load_model

    loaded = load_model(tmp_path / "m")
    assert loaded.negation_cue_ngrams is False
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts))
