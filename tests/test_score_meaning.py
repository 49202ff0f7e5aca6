"""One meaning of ``score`` everywhere: the probability of the row's label; ``polarity`` = P(pos) − P(neg).

Prediction records set the rule (``tests/test_records.py``); these tests hold paragraph analysis (library,
analyze's CSV, the service's ``/v1/analyze``) and the audit's JSON to it.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sentilab.audit as A
from sentilab.documents import analyze_documents
from sentilab.reports.documents import write_documents_report
from tests.conftest import SPEECH, TRAIN_LABELS, TRAIN_TEXTS
from tests.test_audit import toy
from tests.test_documents import doc, keyword_model


def assert_paragraph_rule(label: str, score, polarity: float, probabilities: dict[str, float]) -> None:
    """``score`` is the probability of ``label`` (None/NaN only for a neutral label the model has no class
    for); ``polarity`` is P(positive) − P(negative)."""
    if label in probabilities:
        assert score == pytest.approx(probabilities[label]), (label, probabilities)
    else:
        assert label == "neutral" and (score is None or np.isnan(score)), (label, score)
    assert polarity == pytest.approx(probabilities["positive"] - probabilities["negative"])


@pytest.mark.parametrize("classes", [3, 2])
def test_analyzed_paragraphs_score_their_label_and_carry_its_polarity(classes, tmp_path):
    frame = pd.DataFrame({"text": [doc("good", "bad", "meh", "tie"), doc("bad", "good")]})
    model = keyword_model(classes)
    analysis = analyze_documents(frame, model, words=5, progress=False)
    paragraphs = analysis.paragraphs
    proba = model.predict_proba(paragraphs["text"].tolist())  # the model's own output, per paragraph
    names = [str(c) for c in model.classes_]
    for row, probabilities in zip(paragraphs.itertuples(), proba):
        assert {f"p_{n}": getattr(row, f"p_{n}") for n in names} == pytest.approx(
            {f"p_{n}": p for n, p in zip(names, probabilities)}
        )
        assert_paragraph_rule(row.label, row.score, row.polarity, dict(zip(names, probabilities)))
    assert set(paragraphs["label"]) == {"positive", "negative", "neutral"}
    # documents and groups aggregate the polarity, never call it score
    assert analysis.documents["mean_polarity"].tolist() == pytest.approx(
        paragraphs.groupby("document", sort=False)["polarity"].mean().tolist()
    )
    for name, table in (("documents", analysis.documents), ("groups", analysis.groups)):
        assert not [c for c in table.columns if "score" in c], name
    # the JSON and the CSV analyze writes say the same
    for record in json.loads(json.dumps(analysis.to_dict()))["paragraphs"]:
        probabilities = {n: record[f"p_{n}"] for n in names}
        assert_paragraph_rule(record["label"], record["score"], record["polarity"], probabilities)
    write_documents_report(analysis, tmp_path)
    written = pd.read_csv(tmp_path / "paragraphs.csv")
    for row in written.itertuples():
        probabilities = {n: getattr(row, f"p_{n}") for n in names}
        assert_paragraph_rule(row.label, row.score, row.polarity, probabilities)
    assert "mean_polarity" in pd.read_csv(tmp_path / "documents.csv").columns


def test_the_services_analyze_scores_each_paragraphs_label_and_names_polarity():
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from sentilab.models import create_model
    from sentilab.service.app import create_app
    from sentilab.service.settings import ServiceSettings

    model = create_model("bow", min_df=1, C=10.0).fit(TRAIN_TEXTS, TRAIN_LABELS)
    with TestClient(create_app(ServiceSettings(), model=model)) as client:
        body = client.post("/v1/analyze", json={"document": SPEECH, "words": 30}).json()
    paragraphs = body["paragraphs"]
    proba = model.predict_proba([p["text"] for p in paragraphs])
    names = [str(c) for c in model.classes_]
    assert len(paragraphs) == 3
    for paragraph, probabilities in zip(paragraphs, proba):
        assert paragraph["scores"] == pytest.approx(dict(zip(names, probabilities)))
        assert_paragraph_rule(
            paragraph["label"], paragraph["score"], paragraph["polarity"], dict(zip(names, probabilities))
        )
    assert body["aggregate"]["mean_polarity"] == pytest.approx(np.mean([p["polarity"] for p in paragraphs]))
    assert "mean_score" not in body["aggregate"]


def _keys(value) -> set[str]:
    """Every key of every dict inside ``value``."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_audit_json_calls_its_number_polarity():
    templates = pd.DataFrame(
        {
            "sentence": [
                "My sister was happy.",
                "My sister was sad.",
                "My brother was happy.",
                "He is fine.",
            ],
            "gender": ["female", "female", "male", "male"],
        }
    )
    model = toy(noise=0.1)
    report = A.audit(
        model,
        templates=templates,
        sentence_col="sentence",
        group_cols=["gender"],
        n_resamples=50,
        n_per_test=5,
    )
    data = json.loads(report.to_json())
    assert not [key for key in _keys(data) if "score" in key]
    assert data["polarity"] == data["fairness"]["polarity"] == data["behaviour"]["polarity"]
    assert data["polarity"].startswith("P(positive) - P(negative)")
    [comparison] = data["fairness"]["comparisons"]
    # no match columns: each group's mean is the plain mean of its sentences' P(positive) - P(negative)
    proba = model.predict_proba(templates["sentence"].tolist())
    polarity = proba[:, 2] - proba[:, 0]
    female = (templates["gender"] == "female").to_numpy()
    assert comparison["mean_polarity_a"] == pytest.approx(polarity[female].mean())
    assert comparison["mean_polarity_b"] == pytest.approx(polarity[~female].mean())
    assert comparison["polarity_gap"] == pytest.approx(polarity[female].mean() - polarity[~female].mean())
    failing = [e for t in data["behaviour"]["tests"] for e in t["examples"]]
    assert failing and not [e for e in failing if "score" in e["expected"] + e["got"]]
