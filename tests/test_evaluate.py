"""Evaluation: metrics against scikit-learn, mismatched label sets, calibration, files, cross-domain."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, recall_score, roc_auc_score

from sentilab.errors import SentilabError
from sentilab.evaluate import calibration, evaluate, evaluate_proba
from sentilab.models.linear import BowModel
from sentilab.reports.evaluation import write_cross_domain_report, write_evaluation_report
from sentilab.text.hashing import text_hashes, training_overlap
from sentilab.transfer import cross_domain

LABELS3 = ["negative", "neutral", "positive"]


def random_case(rng, n=200, k=3):
    proba = rng.dirichlet(np.ones(k), size=n)
    gold = np.asarray(LABELS3[:k] if k == 3 else ["negative", "positive"], dtype=object)[
        rng.integers(0, k, n)
    ]
    return proba, gold


def test_metrics_match_scikit_learn(rng):
    proba, gold = random_case(rng)
    result = evaluate_proba(proba, LABELS3, gold)
    predicted = np.asarray(LABELS3, dtype=object)[proba.argmax(axis=1)]
    assert result.accuracy == pytest.approx(accuracy_score(gold, predicted))
    assert result.macro_f1 == pytest.approx(f1_score(gold, predicted, average="macro"))
    assert result.macro_recall == pytest.approx(recall_score(gold, predicted, average="macro"))
    assert result.per_class["neutral"]["f1"] == pytest.approx(
        f1_score(gold, predicted, labels=["neutral"], average=None)[0]
    )
    assert sum(map(sum, result.confusion)) == 200 and result.roc_auc is None and result.notes == []
    for i, gold_label in enumerate(LABELS3):
        for j, predicted_label in enumerate(LABELS3):
            assert result.confusion[i][j] == int(
                ((gold == gold_label) & (predicted == predicted_label)).sum()
            )


def test_binary_gets_roc_auc(rng):
    proba, gold = random_case(rng, k=2)
    result = evaluate_proba(proba, ["negative", "positive"], gold)
    assert result.roc_auc == pytest.approx(roc_auc_score(gold == "positive", proba[:, 1]))


def test_three_class_model_on_binary_gold_decides_between_the_two():
    proba = np.array([[0.30, 0.50, 0.20], [0.10, 0.60, 0.30], [0.7, 0.2, 0.1]])
    result = evaluate_proba(proba, LABELS3, ["negative", "positive", "negative"])
    # Row 0: neutral wins overall but negative beats positive, so the decision is negative (correct).
    assert result.labels == ["negative", "positive"] and result.accuracy == 1.0
    assert any("'neutral' class is not in the gold labels" in note for note in result.notes)
    assert "decision between negative and positive only" in str(result)
    assert result.roc_auc == 1.0


def test_binary_model_on_gold_with_neutral_drops_those_rows():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    result = evaluate_proba(proba, ["negative", "positive"], ["negative", "positive", "neutral", "neutral"])
    assert result.n == 2 and result.accuracy == 1.0
    assert any("dropped gold rows the model cannot predict: 2 'neutral'" in note for note in result.notes)


def test_labels_without_overlap_are_a_clear_error():
    with pytest.raises(SentilabError, match="fewer than two in common"):
        evaluate_proba(np.array([[0.5, 0.5]]), ["negative", "positive"], ["0"])
    with pytest.raises(SentilabError, match="do not match"):
        evaluate_proba(np.ones((2, 3)) / 3, ["a", "b"], ["a", "b"])


def test_expected_calibration_error_by_hand():
    # Ten predictions at 0.9 confidence of which 9 are right: perfectly calibrated.
    ece, bins = calibration(np.full(10, 0.9), np.array([1] * 9 + [0]))
    assert ece == pytest.approx(0.0) and bins["count"][8] == 10
    # Half right at 0.9 and all right at 0.55: |0.5 - 0.9| * 0.5 + |1 - 0.55| * 0.5.
    confidence = np.array([0.9] * 4 + [0.55] * 4)
    correct = np.array([1, 1, 0, 0, 1, 1, 1, 1])
    ece, bins = calibration(confidence, correct)
    assert ece == pytest.approx(0.5 * 0.4 + 0.5 * 0.45)
    assert bins["accuracy"][8] == 0.5 and bins["accuracy"][5] == 1.0 and bins["accuracy"][0] is None


def test_calibration_bin_edges():
    _, bins = calibration(np.array([0.0, 0.1, 0.1000001, 1.0]), np.ones(4), n_bins=10)
    assert bins["count"][0] == 2 and bins["count"][1] == 1 and bins["count"][9] == 1


def test_report_writes_metrics_figures_and_page(rng, tmp_path):
    proba, gold = random_case(rng, n=50)
    result = evaluate_proba(proba, LABELS3, gold, model="toy", data="random")
    paths = write_evaluation_report(result, tmp_path / "ev")
    assert json.loads(paths["metrics"].read_text())["accuracy"] == result.accuracy
    for key in ("confusion", "reliability"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = paths["report"].read_text()
    assert "data:image/png;base64," in html and "toy on random" in html


def test_evaluate_runs_the_model(six):
    texts, labels = six
    model = BowModel(min_df=1, C=10).fit(texts, labels)
    result = evaluate(model, texts, labels, data="six")
    assert result.accuracy == 1.0 and result.model == "bow" and result.per_class["positive"]["support"] == 3


# ----------------------------------------------------------------------------- train/test overlap
def test_text_hashes_are_sorted_unique_and_ignore_case_and_spacing():
    hashes = text_hashes(["Great food", "great   food ", "GREAT FOOD", "awful", "awful"])
    assert hashes.dtype == np.uint64 and len(hashes) == 2 and list(hashes) == sorted(hashes)
    assert text_hashes(["great food"])[0] in hashes and text_hashes(["great foods"])[0] not in hashes
    assert text_hashes([]).shape == (0,)


def test_training_overlap_counts_every_evaluated_row_that_was_trained_on():
    known = text_hashes(["a good day", "a bad day"])
    assert training_overlap(known, ["A good day", "a good day", "a new day", "a bad day"]) == 3
    assert training_overlap(known, []) == 0 and training_overlap(np.zeros(0, np.uint64), ["a bad day"]) == 0


def test_evaluating_on_training_texts_warns_with_counts_and_the_held_out_split(six, tmp_path):
    texts, labels = six
    model = BowModel(min_df=1, C=10).fit(texts, labels)
    new = ["I adore it", "dreadful and bad"]
    neutral = [texts[0]]  # a training text with a label the model cannot predict: not evaluated, not counted
    result = evaluate(
        model,
        [*texts, *new, *neutral],
        [*labels, "positive", "negative", "neutral"],
        data="uci-amazon:all",
        training_hashes=text_hashes(texts),
    )
    assert result.n == 8 and result.training_overlap == 6
    warning = (
        "6 of the 8 evaluated texts (75%) were in this model's training data: these scores overstate how it "
        "does on new text; evaluate on a held-out split (uci-amazon:test)."
    )
    assert result.overlap_warning() == warning and f"  warning: {warning}" in result.lines()
    assert (
        json.loads(write_evaluation_report(result, tmp_path)["metrics"].read_text())["training_overlap"] == 6
    )
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'class="warning"' in page and "6 of the 8 evaluated texts (75%)" in page

    # The model's own record of its training texts is used when no hashes are passed; a file gets no split.
    model.training_text_hashes_ = text_hashes(texts[:2])
    from_model = evaluate(model, texts, labels, data="runs/mine.csv")
    assert from_model.training_overlap == 2
    assert from_model.overlap_warning().endswith("evaluate on texts it was not trained on.")


def test_no_warning_without_overlap_or_without_a_record_of_the_training_texts(six, tmp_path):
    texts, labels = six
    model = BowModel(min_df=1, C=10).fit(texts, labels)
    vars(model).pop("training_text_hashes_", None)  # as a model saved before models kept the record
    unknown = evaluate(model, texts, labels, data="six")  # unknown: None, not 0
    assert unknown.training_overlap is None and unknown.overlap_warning() is None
    clean = evaluate(model, texts, labels, data="six", training_hashes=text_hashes(["something else"]))
    assert clean.training_overlap == 0 and clean.overlap_warning() is None
    write_evaluation_report(clean, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'class="warning"' not in page and "None of the 6 evaluated texts was in" in page
    write_evaluation_report(unknown, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'class="warning"' not in page and "evaluated texts was in" not in page


def write_domain(path, positive, negative, n=30, seed=0):
    """A tiny labelled CSV: sentences built from a domain's own sentiment words."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = "positive" if i % 2 == 0 else "negative"
        words = positive if label == "positive" else negative
        rows.append({"text": f"{rng.choice(words)} {rng.choice(words)} item {i}", "label": label})
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def test_cross_domain_matrix(tmp_path):
    tweets = write_domain(tmp_path / "tweets.csv", ["love", "yay", "great"], ["hate", "ugh", "awful"])
    reviews = write_domain(
        tmp_path / "reviews.csv", ["tasty", "great", "fresh"], ["stale", "awful", "bland"], seed=1
    )
    steps = []
    result = cross_domain("bow", [tweets, reviews], params={"min_df": "1"}, on_step=steps.append)
    frame = result.frame()
    assert frame.shape == (2, 2) and list(frame.index) == ["tweets.csv", "reviews.csv"] == list(frame.columns)
    assert frame.loc["tweets.csv", "tweets.csv"] == 1.0 and frame.loc["reviews.csv", "reviews.csv"] == 1.0
    assert frame.loc["tweets.csv", "reviews.csv"] < 1.0  # "tasty"/"stale" were never seen in the tweets
    assert any("training on" in s for s in steps)
    paths = write_cross_domain_report(result, tmp_path / "bench")
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"
    assert pd.read_csv(paths["csv"], index_col=0).shape == (2, 2)


def test_cross_domain_marks_cells_scored_on_fewer_labels(tmp_path):
    rows = [
        {"text": f"{w} thing {i}", "label": lab}
        for i in range(30)
        for w, lab in [(("love", "positive"), ("hate", "negative"), ("table", "neutral"))[i % 3]]
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "three.csv", index=False)
    two = write_domain(tmp_path / "two.csv", ["love", "great"], ["hate", "awful"])
    result = cross_domain("bow", [str(tmp_path / "three.csv"), two], params={"min_df": "1"})
    # rows: trained on three (3 classes), two (binary); columns: tested on three, two
    assert result.markers == [["", "†"], ["*", ""]]
    lines = "\n".join(result.lines())
    assert "†" in lines and "neutral class was left out" in lines and "were dropped" in lines


def test_a_saved_model_remembers_its_training_texts_and_evaluation_warns(tmp_path):
    from sentilab.models import load_model

    texts = ["great food", "awful service", "lovely staff", "terrible wait", "good value", "bad smell"]
    labels = ["positive", "negative", "positive", "negative", "positive", "negative"]
    BowModel(min_df=1).fit(texts[:4], labels[:4]).save(tmp_path / "m")
    model = load_model(tmp_path / "m")
    result = evaluate(model, texts, labels, data="six")
    assert result.training_overlap == 4
    assert result.overlap_warning().startswith(
        "4 of the 6 evaluated texts (67%) were in this model's training"
    )
    assert evaluate(model, texts[4:], labels[4:], data="two").training_overlap == 0
