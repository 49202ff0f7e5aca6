"""The shared model contract, run over every registered model (DESIGN.md, 'The model contract').

A model joins this suite by being registered in ``sentilab.models.MODELS``; its ``contract_params()`` give
a configuration small enough for these tests. Models whose optional extra is missing are skipped, with the
reason shown.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from sentilab.errors import ModelError, NotFittedError
from sentilab.models import MODELS, get_model_class, load_model
from tests.conftest import SIX_LABELS, SIX_TEXTS

THREE_TEXTS = SIX_TEXTS + ["it is a table", "the meeting is on monday", "this is a chair"]
THREE_LABELS = SIX_LABELS + ["neutral"] * 3


def make(name):
    try:
        cls = get_model_class(name)
    except ImportError as exc:  # a missing optional extra
        pytest.skip(f"{name}: {exc}")
    return cls(**cls.contract_params())


@pytest.fixture(scope="module", params=sorted(MODELS))
def fitted(request):
    model = make(request.param)
    return model.fit(SIX_TEXTS, SIX_LABELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fit_returns_self_and_sets_classes(name):
    model = make(name)
    assert model.fit(SIX_TEXTS, SIX_LABELS) is model
    assert list(model.classes_) == ["negative", "positive"]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_predict_before_fit_raises(name):
    with pytest.raises(NotFittedError, match="not fitted"):
        make(name).predict(["hello"])


def test_probabilities_shape_and_sum(fitted):
    proba = fitted.predict_proba(SIX_TEXTS + ["something else entirely"])
    assert proba.shape == (7, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert (proba >= 0).all()


def test_overfits_six_sentences(fitted):
    assert list(fitted.predict(SIX_TEXTS)) == SIX_LABELS


def test_batch_and_one_by_one_agree(fitted):
    texts = SIX_TEXTS + ["a much longer text that is not like the others at all, really not", ""]
    batch = fitted.predict_proba(texts)
    single = np.vstack([fitted.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_save_load_same_predictions(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    files = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert files == ["config.json", "labels.json", "meta.json", "vocab.json", "weights.safetensors"]
    loaded = load_model(tmp_path / "model")
    assert type(loaded) is type(fitted)
    texts = SIX_TEXTS + ["unseen words here"]
    np.testing.assert_allclose(loaded.predict_proba(texts), fitted.predict_proba(texts), atol=1e-6)
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert len(meta["data_fingerprint"]) == 64 and "weights.safetensors" in meta["sha256"]


def test_single_string_rejected(fitted):
    with pytest.raises(ModelError, match="single string"):
        fitted.predict("I love it")


def test_non_string_items_rejected(fitted):
    with pytest.raises(ModelError, match="text #1 is a float"):
        fitted.predict(["fine", float("nan")])


def test_empty_list_predicts_nothing(fitted):
    assert fitted.predict_proba([]).shape == (0, 2)
    assert fitted.predict([]).shape == (0,)


def test_records(fitted):
    [record] = fitted.predict_records(["I love this"])
    assert set(record) == {"label", "score", "scores"}
    assert record["label"] in {"negative", "positive"}
    assert record["score"] == max(record["scores"].values())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_one_class_fit_is_a_clear_error(name):
    with pytest.raises(ModelError, match="at least two classes"):
        make(name).fit(SIX_TEXTS[:3], SIX_LABELS[:3])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_empty_fit_is_a_clear_error(name):
    with pytest.raises(ModelError, match="empty list"):
        make(name).fit([], [])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_three_classes(name):
    model = make(name).fit(THREE_TEXTS, THREE_LABELS)
    proba = model.predict_proba(THREE_TEXTS)
    assert proba.shape == (9, 3)
    assert list(model.classes_) == ["negative", "neutral", "positive"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_sklearn_clone_and_cross_validation(name):
    model = make(name)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    scores = cross_val_score(model, np.array(SIX_TEXTS * 2, dtype=object), np.array(SIX_LABELS * 2), cv=2)
    assert scores.shape == (2,)
