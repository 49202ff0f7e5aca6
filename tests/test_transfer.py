"""Leave-one-domain-out: each domain scored by a model trained on all the others, on tiny written domains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sentilab.errors import SentilabError
from sentilab.transfer import leave_one_domain_out


def write_domain(path, positive, negative, neutral=None, n=40, seed=0):
    """A tiny labelled CSV whose sentences use the domain's own sentiment words (neutral ones when given)."""
    rng = np.random.default_rng(seed)
    pools = {"positive": positive, "negative": negative, **({"neutral": neutral} if neutral else {})}
    labels = list(pools)
    rows = []
    for i in range(n):
        label = labels[i % len(labels)]
        rows.append(
            {"text": f"{rng.choice(pools[label])} {rng.choice(pools[label])} item {i}", "label": label}
        )
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


@pytest.fixture
def domains(tmp_path):
    shared = write_domain(tmp_path / "tweets.csv", ["love", "great"], ["hate", "awful"], ["monday", "bus"])
    also = write_domain(
        tmp_path / "reviews.csv", ["great", "love"], ["awful", "hate"], ["bus", "monday"], seed=1
    )
    alien = write_domain(
        tmp_path / "alien.csv", ["zorp", "blig"], ["krat", "vunn"], seed=2
    )  # binary, unseen words
    return [shared, also, alien]


def test_each_domain_is_scored_by_a_model_trained_on_the_others_only(domains):
    steps = []
    result = leave_one_domain_out("bow", domains, params={"min_df": "1"}, on_step=steps.append)
    assert result.left_out == ["tweets.csv", "reviews.csv", "alien.csv"]
    from sentilab.data import load_dataset

    sizes = [len(load_dataset(d, split="train")) for d in domains]
    assert result.n_train == [sum(sizes) - size for size in sizes]  # every other domain's train split
    assert all(n > 0 for n in result.n_test)
    tweets, reviews, alien = result.macro_recall
    assert tweets > 0.9 and reviews > 0.9  # the same sentiment words in the other domain
    assert alien < tweets  # its words were never seen: only chance (or the prior) is left
    assert result.mean_macro_recall == pytest.approx(np.mean(result.macro_recall))
    assert result.mean_accuracy == pytest.approx(np.mean(result.accuracy))
    assert sum("leaving out alien.csv" in s for s in steps) == 1 and any("macro-recall" in s for s in steps)


def test_macro_recall_averages_only_the_classes_present_in_the_left_out_set(domains):
    from sklearn.metrics import recall_score

    from sentilab.data import load_dataset
    from sentilab.training import TrainingData, train_and_save

    result = leave_one_domain_out("bow", domains, params={"min_df": "1"})
    # alien.csv has no neutral rows: the three-class model decides between negative and positive, says so,
    # and its macro-recall is the mean of those two recalls.
    assert any(note.startswith("alien.csv: ") and "neutral" in note for note in result.notes)
    others = [TrainingData.from_dataset(load_dataset(d, split="train")) for d in domains[:2]]
    model = train_and_save("bow", TrainingData.merge(others), settings={"min_df": "1"}).model
    test = load_dataset(domains[2], split="test")
    proba = model.predict_proba(test.texts)[
        :, [list(model.classes_).index(c) for c in ("negative", "positive")]
    ]
    predicted = np.asarray(["negative", "positive"])[proba.argmax(axis=1)]
    assert result.macro_recall[2] == pytest.approx(recall_score(test.labels, predicted, average="macro"))


def test_summary_frame_and_lines_agree(domains):
    result = leave_one_domain_out("bow", domains, params={"min_df": "1"})
    summary = result.summary()
    assert list(summary) == [*result.left_out, "mean"]
    assert summary["alien.csv"]["macro_recall"] == result.macro_recall[2]
    assert summary["mean"] == {"accuracy": result.mean_accuracy, "macro_recall": result.mean_macro_recall}
    frame = result.frame()
    assert list(frame.index) == [*result.left_out, "mean"] and list(frame.columns) == [
        "accuracy",
        "macro_recall",
    ]
    lines = result.lines()
    assert "min_df=1" in lines[0] and lines[-1].split()[0] == "mean"
    assert f"{result.mean_macro_recall:.3f}" in lines[-1]
    assert result.to_dict()["left_out"] == result.left_out


def test_a_model_that_learns_nothing_is_scored_the_same_way(domains):
    result = leave_one_domain_out("vader", domains)
    assert len(result.macro_recall) == 3 and all(0.0 <= r <= 1.0 for r in result.macro_recall)


def test_fewer_than_two_datasets_is_a_clear_error(domains):
    with pytest.raises(SentilabError, match="at least two datasets"):
        leave_one_domain_out("bow", domains[:1])
