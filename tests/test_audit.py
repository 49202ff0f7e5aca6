"""The audit: planted biases are found with a CI that excludes 0, unbiased models are not flagged, negation-blind
models fail the negation tests, and every registered model kind can be audited."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import zlib

import numpy as np
import pandas as pd
import pytest

from sentilab import audit as A
from sentilab.errors import DataError, ModelError
from sentilab.models import MODELS, get_model_class
from sentilab.models.base import SentimentModel
from tests.conftest import SIX_LABELS, SIX_TEXTS

# --------------------------------------------------------------------------- a toy model with known behaviour
POSITIVE = set(A.POSITIVE_ADJECTIVES) | set(A.EMOTION_WORDS["joy"][0]) | set(A.EMOTION_WORDS["joy"][1])
NEGATIVE = set(A.NEGATIVE_ADJECTIVES) | {
    word for emotion in ("anger", "fear", "sadness") for words in A.EMOTION_WORDS[emotion] for word in words
}
INTENSIFIERS = {"very", "really", "extremely", "incredibly", "truly", "so"}
REDUCERS = {"somewhat", "slightly", "bit", "kind", "mildly"}
FEMALE_WORDS = (
    {"she", "her"}
    | {phrase.split()[-1] for phrase, _ in A.GENDER_PHRASES}
    | {name.lower() for (_, gender), names in A.NAMES.items() if gender == "female" for name in names}
)
AFRICAN_AMERICAN_NAMES = {
    name.lower() for (race, _), names in A.NAMES.items() if race == "African-American" for name in names
}
THREE = ["negative", "neutral", "positive"]


class LexiconToy(SentimentModel):
    """A lexicon model whose flaws are set by hand.

    ``negation_aware``: "not"/"n't" flips the next sentiment word, and the last clause decides ("..., but it
    was not bad"; "... It wasn't." flips the clause before). ``bias_against``: "female" lowers the score of
    any text with a female noun or name by ``bias``; "African-American" does the same for those names.
    ``noise``: a fixed pseudo-random offset per text (crc32), so that intervals are not degenerate.
    """

    name = "audit-toy"

    def __init__(
        self, *, negation_aware: bool = True, bias_against: str = "", bias: float = 0.3, noise: float = 0.0
    ):
        self.negation_aware = negation_aware
        self.bias_against = bias_against
        self.bias = bias
        self.noise = noise

    def _fit(self, texts, y, validation):
        pass

    @staticmethod
    def _clause(tokens, negation_aware):
        score, negated, multiplier, has_sentiment, has_negation = 0.0, False, 1.0, False, False
        for token in tokens:
            if negation_aware and (token in ("not", "never") or token.endswith("n't")):
                negated = has_negation = True
            elif token in INTENSIFIERS:
                multiplier *= 1.5
            elif token in REDUCERS:
                multiplier *= 0.5
            elif token in POSITIVE or token in NEGATIVE:
                polarity = 1.0 if token in POSITIVE else -1.0
                score += (-polarity if negated else polarity) * multiplier
                negated, multiplier, has_sentiment = False, 1.0, True
        return score, has_sentiment, has_negation

    def raw_score(self, text: str) -> float:
        lowered = text.lower()
        tokens = re.findall(r"[a-z']+", lowered)
        if self.negation_aware:
            clauses = [re.findall(r"[a-z']+", part) for part in re.split(r"\bbut\b|[.,;!?]", lowered)]
            scored = [self._clause(c, True) for c in clauses]
            scored = [s for s in scored if s[1] or s[2]]
            score = 0.0
            if scored:
                last = scored[-1]
                undoes = last[2] and not last[1] and len(scored) > 1  # "It wasn't." flips the clause before
                score = -scored[-2][0] if undoes else last[0]
        else:
            score = self._clause(tokens, False)[0]
        words = set(tokens)
        if self.bias_against == "female" and words & FEMALE_WORDS:
            score -= self.bias
        if self.bias_against == "African-American" and words & AFRICAN_AMERICAN_NAMES:
            score -= self.bias
        if self.noise:
            score += self.noise * ((zlib.crc32(text.encode()) % 10_000) / 5_000 - 1)
        return score

    def _predict_proba(self, texts):
        score = np.array([self.raw_score(t) for t in texts])
        if len(self.classes_) == 2:  # negative, positive
            positive = 1 / (1 + np.exp(-2 * score))
            return np.stack([1 - positive, positive], axis=1)
        logits = np.stack([-2 * score, np.full_like(score, 0.1), 2 * score], axis=1)  # neutral wins ties
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)


def toy(**params) -> LexiconToy:
    return LexiconToy(**params).fit(THREE, THREE)


def by_key(fairness: A.FairnessAudit) -> dict[tuple[str, str], A.GroupComparison]:
    return {(c.dimension, c.subset): c for c in fairness.comparisons}


# --------------------------------------------------------------------------- the polarity
def test_polarity_map_two_three_numeric_and_explicit_classes():
    two = A.polarity_map(["negative", "positive"])
    np.testing.assert_allclose(two.polarities(np.array([[0.2, 0.8]])), [0.6])  # 2 P(pos) - 1
    three = A.polarity_map(np.array(["negative", "neutral", "positive"]))
    assert three.weights == [-1.0, 0.0, 1.0] and "neutral count as 0" in three.definition
    np.testing.assert_allclose(three.polarities(np.array([[0.1, 0.7, 0.2]])), [0.1])
    stars = A.polarity_map([1, 2, 3, 4, 5])
    assert stars.weights == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert A.polarity_map(["0", "4"]).weights == [-1.0, 1.0]
    assert A.polarity_map(["NEG", "POS"]).weights == [-1.0, 1.0]
    custom = A.polarity_map(["joy", "meh", "rage"], positive_label="joy", negative_label="rage")
    assert custom.weights == [1.0, 0.0, -1.0]
    assert [custom.sentiment_of_class(i) for i in range(3)] == ["positive", "neutral", "negative"]


def test_polarity_map_refuses_what_it_cannot_read():
    with pytest.raises(ModelError, match="classes are joy, rage") as info:
        A.polarity_map(["joy", "rage"])
    assert "--positive-label" in info.value.hint
    with pytest.raises(ModelError, match="not a class of this model; its classes are: joy, rage"):
        A.polarity_map(["joy", "rage"], positive_label="happy", negative_label="rage")
    with pytest.raises(ModelError, match="both"):
        A.polarity_map(["joy", "rage"], positive_label="joy")


# --------------------------------------------------------------------------- templates
def test_builtin_templates_are_a_complete_matched_design():
    frame = A.fairness_templates()
    n_units = 4 * 2 * 4 * 5 + len(A.NEUTRAL_TEMPLATES)  # emotions x template kinds x templates x words
    assert len(frame) == n_units * 60 and frame["sentence"].is_unique
    assert frame.groupby(["template", "word"]).size().eq(60).all()
    assert frame["gender"].value_counts().to_dict() == {"female": n_units * 30, "male": n_units * 30}
    names = frame[frame.person_kind == "name"]
    assert names["race"].value_counts().to_dict() == {
        "African-American": n_units * 20,
        "European-American": n_units * 20,
    }
    assert frame.loc[frame.person_kind == "noun phrase", "race"].isna().all()
    assert "My sister was angry after the phone call." in set(frame["sentence"])
    assert "I heard about the lovely week Jamel had." in set(frame["sentence"])


# --------------------------------------------------------------------------- the bootstrap
def test_bootstrap_equals_a_plain_resampling_loop():
    rng = np.random.default_rng(1)
    cells = rng.normal(size=(12, 7))
    cells[3, 2] = np.nan  # an incomplete design: this person is missing from one unit
    members_a, members_b = np.array([0, 1, 2]), np.array([3, 4, 5, 6])
    estimate, low, high = A.paired_bootstrap(cells, members_a, members_b, n_resamples=300, seed=5)
    # The same draws, in the same order, averaged the obvious way.
    draw = np.random.default_rng(5)
    units = draw.integers(0, 12, size=(300, 12))
    picks_a = members_a[draw.integers(0, 3, size=(300, 3))]
    picks_b = members_b[draw.integers(0, 4, size=(300, 4))]
    differences = [
        np.nanmean(cells[np.ix_(units[b], picks_a[b])]) - np.nanmean(cells[np.ix_(units[b], picks_b[b])])
        for b in range(300)
    ]
    np.testing.assert_allclose([low, high], np.percentile(differences, [2.5, 97.5]), rtol=1e-10)
    assert estimate == pytest.approx(np.nanmean(cells[:, members_a]) - np.nanmean(cells[:, members_b]))


def test_bootstrap_error_rates_and_why_persons_are_resampled():
    """Under no group effect the two-way interval flags about 5 %; resampling units only would flag most
    data sets, because ten persons with their own quirks stand for a whole group. A real effect is found."""
    rng = np.random.default_rng(0)
    trials, two_way, units_only, detected = 80, 0, 0, 0
    a, b = np.arange(8), np.arange(8, 16)
    for trial in range(trials):
        cells = rng.normal(0, 1, (20, 1)) + rng.normal(0, 0.3, (1, 16)) + rng.normal(0, 0.3, (20, 16))
        _, low, high = A.paired_bootstrap(cells, a, b, n_resamples=400, seed=trial)
        two_way += low > 0 or high < 0
        collapsed = np.stack([cells[:, a].mean(1), cells[:, b].mean(1)], axis=1)
        _, low, high = A.paired_bootstrap(collapsed, [0], [1], n_resamples=400, seed=trial)
        units_only += low > 0 or high < 0
        shifted = cells.copy()
        shifted[:, a] -= 0.6
        _, low, high = A.paired_bootstrap(shifted, a, b, n_resamples=400, seed=trial)
        detected += high < 0
    assert two_way / trials <= 0.125
    assert units_only / trials >= 0.4
    assert detected / trials >= 0.85


# --------------------------------------------------------------------------- fairness on the toy
def test_planted_gender_bias_is_found_with_a_ci_below_zero():
    result = A.audit_fairness(toy(bias_against="female", bias=0.3, noise=0.2))
    comparisons = by_key(result)
    gender = comparisons[("gender", "all")]
    assert (gender.group_a, gender.group_b) == ("female", "male")
    assert gender.significant and gender.ci_high < 0 and gender.polarity_gap < -0.05
    assert gender.ci_low <= gender.polarity_gap <= gender.ci_high
    assert gender.n_units == 166 and gender.n_persons_a == gender.n_persons_b == 30
    for emotion in ("anger", "fear", "joy", "sadness", "no emotion"):
        assert comparisons[("gender", emotion)].significant, emotion
    # Female names are lowered in both race groups alike: race must not be flagged.
    race = comparisons[("race", "all")]
    assert not race.significant and race.ci_low < 0 < race.ci_high
    assert [c.dimension for c in result.flagged] == ["gender"] * 6


def test_planted_name_bias_is_found_on_the_race_dimension_only():
    result = by_key(A.audit_fairness(toy(bias_against="African-American", bias=0.3, noise=0.2)))
    race = result[("race", "all")]
    assert (race.group_a, race.group_b) == ("African-American", "European-American")
    assert race.significant and race.ci_high < 0
    # Each gender holds ten African-American names: gender stays balanced.
    assert not result[("gender", "all")].significant


def test_unbiased_model_is_not_flagged():
    exact = A.audit_fairness(toy(noise=0.0))
    assert exact.flagged == []
    for comparison in exact.comparisons:
        assert abs(comparison.polarity_gap) < 1e-12  # names are not in its lexicon: identical scores
    noisy = by_key(A.audit_fairness(toy(noise=0.2)))
    for dimension in ("gender", "race"):
        comparison = noisy[(dimension, "all")]
        assert not comparison.significant and comparison.ci_low < 0 < comparison.ci_high


def test_sampled_units_keep_the_design_matched_and_still_find_the_bias():
    result = A.audit_fairness(toy(bias_against="female", noise=0.2), sample_units=30, n_resamples=500)
    gender = by_key(result)[("gender", "all")]
    assert result.n_sentences == 30 * 60 and result.sample_units == 30
    assert gender.n_units == 30 and gender.n_persons_a == 30 and gender.significant and gender.ci_high < 0
    with pytest.raises(DataError, match="sample_units needs match columns"):
        A.audit_corpus(
            toy(), A.fairness_templates(), sentence_col="sentence", group_cols=["gender"], sample_units=5
        )


def test_fairness_is_seeded():
    model = toy(bias_against="female", noise=0.2)
    frame = A.fairness_templates().iloc[:1200]
    first = A.audit_fairness(model, templates=frame, n_resamples=300, seed=3).to_dict()
    again = A.audit_fairness(model, templates=frame, n_resamples=300, seed=3).to_dict()
    other = A.audit_fairness(model, templates=frame, n_resamples=300, seed=4).to_dict()
    for result in (first, again, other):
        result.pop("seconds")
    assert first == again and first != other


# --------------------------------------------------------------------------- any template corpus
def eec_layout(tmp_path, bias_names=()):
    """A small corpus in the Equity Evaluation Corpus layout (sentences written for this test)."""
    persons = [
        ("she", "female", ""), ("he", "male", ""),
        ("Ebony", "female", "African-American"), ("Malik", "male", "African-American"),
        ("Amanda", "female", "European-American"), ("Adam", "male", "European-American"),
    ]  # fmt: skip
    rows = []
    templates = [
        ("<person> was {word} all week.", "joy", ["happy", "cheerful"]),
        ("<person> was {word} all week.", "anger", ["angry", "furious"]),
        ("We saw <person> at the bank.", "", [""]),
    ]
    for template, emotion, words in templates:
        for word in words:
            for person, gender, race in persons:
                sentence = template.replace("<person>", person).replace("{word}", word)
                rows.append(
                    {
                        "ID": f"s{len(rows)}",
                        "Sentence": sentence[0].upper() + sentence[1:],
                        "Template": template,
                        "Person": person,
                        "Gender": gender,
                        "Race": race,
                        "Emotion": emotion,
                        "Emotion word": word,
                    }
                )
    path = tmp_path / "eec.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


EEC_COLUMNS = {
    "sentence_col": "Sentence",
    "group_cols": ["Gender", "Race"],
    "match_cols": ["Template", "Emotion word"],
}


def test_audit_corpus_reads_the_eec_layout(tmp_path):
    path = eec_layout(tmp_path)
    model = toy(bias_against="female", bias=0.4, noise=0.05)
    result = A.audit_corpus(model, path, person_col="Person", by="Emotion", n_resamples=300, **EEC_COLUMNS)
    assert result.source == str(path) and result.n_sentences == 30
    comparisons = by_key(result)
    gender = comparisons[("Gender", "all")]
    assert gender.n_units == 5  # (template, word): 4 emotional + 1 neutral (its empty word still matches)
    assert (gender.n_persons_a, gender.n_persons_b) == (3, 3) and gender.n_sentences == 30
    assert gender.significant and gender.ci_high < 0
    race = comparisons[("Race", "all")]
    assert race.n_sentences == 20 and (race.n_persons_a, race.n_persons_b) == (2, 2)  # noun phrases left out
    assert not race.significant and race.ci_low < 0 < race.ci_high
    assert {subset for _, subset in comparisons} == {"all", "joy", "anger", "(empty)"}
    json.dumps(result.to_dict(), allow_nan=False)


def test_audit_corpus_without_matching_compares_independent_samples(tmp_path):
    frame = pd.read_csv(eec_layout(tmp_path), dtype=str, keep_default_na=False)
    model = toy(bias_against="female", bias=0.4, noise=0.05)
    result = A.audit_corpus(model, frame, sentence_col="Sentence", group_cols="Gender", n_resamples=300)
    (gender,) = result.comparisons
    assert gender.n_units == 1 and gender.n_sentences == 30 and gender.polarity_gap < 0


def test_template_csv_with_bad_columns_lists_its_columns(tmp_path):
    path = eec_layout(tmp_path)
    with pytest.raises(DataError) as info:
        A.audit_corpus(toy(), path, sentence_col="Sentence", group_cols=["gender"], match_cols=["Template"])
    message = str(info.value)
    assert "group column 'gender' is not in" in message and "did you mean 'Gender'" in message
    assert "its columns are: ID, Sentence, Template, Person, Gender, Race, Emotion, Emotion word" in message
    with pytest.raises(DataError, match="sentence column 'text' is not in"):
        A.audit_corpus(toy(), path, sentence_col="text", group_cols=["Gender"])
    with pytest.raises(DataError, match="does not exist"):
        A.audit_corpus(toy(), tmp_path / "missing.csv", sentence_col="Sentence", group_cols=["Gender"])


def test_template_corpus_content_errors(tmp_path):
    frame = pd.read_csv(eec_layout(tmp_path), dtype=str, keep_default_na=False)
    with pytest.raises(DataError, match="'Emotion' has 1 group"):
        A.audit_corpus(toy(), frame[frame.Emotion == "joy"], sentence_col="Sentence", group_cols=["Emotion"])
    with pytest.raises(DataError, match="'Sentence' has 30 distinct values"):
        A.audit_corpus(toy(), frame, sentence_col="Sentence", group_cols=["Sentence"])
    mixed = frame.copy()
    mixed.loc[0, "Person"] = "Malik"  # the same person in two gender groups
    with pytest.raises(DataError, match="person 'Malik' appears in more than one 'Gender' group"):
        A.audit_corpus(toy(), mixed, sentence_col="Sentence", group_cols=["Gender"], person_col="Person")
    empty = frame.copy()
    empty.loc[2, "Sentence"] = None
    with pytest.raises(DataError, match="1 rows of templates have no text in column 'Sentence'"):
        A.audit_corpus(toy(), empty, sentence_col="Sentence", group_cols=["Gender"])


# --------------------------------------------------------------------------- behaviour
def results_by_name(result: A.BehaviourAudit) -> dict[str, A.BehaviourTestResult]:
    return {t.name: t for t in result.tests}


NEGATION_TESTS = [
    "negated positive lowers the polarity",
    "negated negative raises the polarity",
    "negated negative at the end is not negative",
    "negated positive at the end is not positive",
]


def test_negation_blind_model_fails_the_negation_tests_and_a_correct_one_passes():
    blind = results_by_name(A.audit_behaviour(toy(negation_aware=False), n_per_test=60))
    aware = results_by_name(A.audit_behaviour(toy(negation_aware=True), n_per_test=60))
    for name in NEGATION_TESTS:
        assert blind[name].failure_rate >= 0.9, name
        assert aware[name].n_failed == 0, (name, aware[name].examples[:2])
    assert blind["negated positive lowers the polarity"].failure_rate == 1.0  # "not" changes nothing at all
    for name in ("sentiment words in context", "intensifier strengthens", "reducer weakens",
                 "invariant to URL", "invariant to @user", "invariant to name swap"):  # fmt: skip
        assert aware[name].n_failed == 0, (name, aware[name].examples[:2])


def test_failing_examples_say_what_was_expected_and_what_came():
    result = results_by_name(A.audit_behaviour(toy(negation_aware=False), n_per_test=40, max_examples=3))
    test = result["negated positive lowers the polarity"]
    assert (test.n_cases, test.n_failed, test.test_type, test.capability) == (40, 40, "DIR", "negation")
    assert len(test.examples) == 3
    example = test.examples[0]
    assert re.search(r"\bnot\b|n't", example.text)
    assert example.expected.startswith("polarity lower than +")
    assert example.got.startswith("positive (polarity +")
    at_end = result["negated negative at the end is not negative"]
    assert at_end.examples[0].expected == "not negative" and at_end.examples[0].got.startswith("negative")


def test_name_swap_and_invariance_failures_are_caught():
    biased = results_by_name(
        A.audit_behaviour(toy(bias_against="African-American", bias=3.0), n_per_test=100)
    )
    swap = biased["invariant to name swap"]
    assert swap.n_failed > 0
    example = swap.examples[0]
    assert example.expected.split(",")[0] != example.got.split(" ")[0]  # the label really changed
    typo = biased["invariant to typo"]
    assert typo.n_failed > 0  # a typo in the only sentiment word empties the toy's lexicon


def test_behaviour_tests_are_generated_from_a_seed():
    first = A.behaviour_tests(seed=0, n_per_test=30)
    assert [t.cases for t in first] == [t.cases for t in A.behaviour_tests(seed=0, n_per_test=30)]
    assert [t.cases for t in first] != [t.cases for t in A.behaviour_tests(seed=1, n_per_test=30)]
    assert [len(t.cases) for t in first] == [30] * len(first)
    kinds = {t.name: t.test_type for t in first}
    assert kinds["invariant to typo"] == "INV" and kinds["reducer weakens"] == "DIR"
    for original, changed in next(t for t in first if t.name == "invariant to URL").cases:
        assert changed.replace(original, "").strip().startswith("https://")
    for original, changed in next(t for t in first if t.name == "invariant to @user").cases:
        assert re.fullmatch(r"@[a-z]+\d*", changed.replace(original, "").strip())


def test_typo_swaps_two_adjacent_letters_of_one_word():
    rng = np.random.default_rng(0)
    for text in ["The food was good.", "This concert is lovely.", "I found the book dreadful."]:
        changed = A._typo(rng, text)
        assert changed != text and sorted(changed) == sorted(text)
        diffs = [i for i, (x, y) in enumerate(zip(text, changed)) if x != y]
        assert len(diffs) == 2 and diffs[1] == diffs[0] + 1 and text[diffs[0]].isalpha()


class CountingModel(LexiconToy):
    calls: list[int] = []

    def _predict_proba(self, texts):
        CountingModel.calls.append(len(texts))
        return super()._predict_proba(texts)


def test_predictions_are_batched():
    model = CountingModel().fit(THREE, THREE)
    CountingModel.calls = []
    result = A.audit_behaviour(model, n_per_test=50)
    assert CountingModel.calls == [result.n_texts]  # one call for every behaviour test together
    CountingModel.calls = []
    A.audit_fairness(model, n_resamples=200)
    assert CountingModel.calls == [4096, 4096, 9960 - 8192]


def test_whole_audit_is_plain_json():
    report = A.audit(
        toy(bias_against="female", noise=0.1), n_resamples=200, n_per_test=20, model_source="toy dir"
    )
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["model"] == {
        "name": "audit-toy",
        "class": "LexiconToy",
        "classes": THREE,
        "source": "toy dir",
    }
    assert data["polarity"].startswith("P(positive) - P(negative)") and "score" not in data
    assert data["fairness"]["comparisons"][0]["significant"] is True
    assert len(data["behaviour"]["tests"]) == 11
    assert set(data["behaviour"]["tests"][0]) >= {"name", "n_cases", "n_failed", "failure_rate", "examples"}


def test_binary_model_is_audited_on_two_classes():
    model = LexiconToy(bias_against="female").fit(["bad", "good"], ["negative", "positive"])
    report = A.audit(model, n_resamples=200, n_per_test=20)
    assert report.polarity == "P(positive) - P(negative)"
    assert report.fairness.flagged and report.fairness.flagged[0].dimension == "gender"


# --------------------------------------------------------------------------- every registered model kind
def small_templates() -> pd.DataFrame:
    """Three units (angry, happy, a neutral template) x eight persons: enough to exercise every code path."""
    frame = A.fairness_templates()
    persons = ["my sister", "my brother", "this woman", "this man", "Ebony", "Malik", "Amanda", "Adam"]
    keep = frame.template.isin([A.STATE_TEMPLATES[0], A.NEUTRAL_TEMPLATES[0]]) & frame.word.isin(
        ["", "angry", "happy"]
    )
    return frame[keep & frame.person.isin(persons)]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_model_kind_can_be_audited(name):
    try:
        cls = get_model_class(name)
    except ImportError as exc:  # a missing optional extra
        pytest.skip(f"{name}: {exc}")
    model = cls(**cls.contract_params()).fit(SIX_TEXTS, SIX_LABELS)
    report = A.audit(model, templates=small_templates(), **A.BUILTIN_DESIGN, n_resamples=200, n_per_test=2)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert {(c["dimension"], c["subset"]) for c in data["fairness"]["comparisons"]} >= {
        ("gender", "all"),
        ("race", "all"),
    }
    for comparison in report.fairness.comparisons:
        assert -2 <= comparison.polarity_gap <= 2 and not math.isnan(comparison.polarity_gap)
    for test in report.behaviour.tests:
        assert 0.0 <= test.failure_rate <= 1.0 and test.n_cases == 2


# --------------------------------------------------------------------------- charts
def test_charts_from_dataclasses_and_from_json():
    from sentilab.plots.audit import plot_behaviour_failures, plot_group_differences

    frame = small_templates()
    report = A.audit(
        toy(bias_against="female", noise=0.1),
        templates=frame,
        **A.BUILTIN_DESIGN,
        n_resamples=200,
        n_per_test=10,
    )
    rows = [c for c in report.fairness.comparisons if c.dimension == "gender"]
    figure = plot_group_differences(rows)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels == ["all", "anger", "joy", "no emotion"]  # one pair: it is named in the title
    assert figure.axes[0].get_title().startswith("gender: female − male")
    several = rows + [dataclasses.replace(rows[0], group_a="nonbinary")]
    labels = [t.get_text() for t in plot_group_differences(several).axes[0].get_yticklabels()]
    assert (
        labels[0] == "female − male"
        and labels[1] == "female − male · anger"
        and labels[-1] == "nonbinary − male"
    )
    assert any(line.get_xdata()[0] == 0 for line in figure.axes[0].get_lines())  # the zero line
    as_json = json.loads(report.to_json())
    figure = plot_behaviour_failures(as_json["behaviour"]["tests"])
    assert len(figure.axes[0].patches) == 11
    with pytest.raises(ValueError):
        plot_group_differences([])
