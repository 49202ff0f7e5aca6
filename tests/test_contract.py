"""The shared model contract, run over every registered model (docs/architecture.md, 'The model contract').

A model joins this suite by being registered in ``sentilab.models.MODELS``; its ``contract_params()`` give
a configuration small enough for these tests. Models whose optional extra is missing are skipped, with the
reason shown.
"""

from __future__ import annotations

import copy
import hashlib
import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_predict, cross_val_score

from sentilab.errors import ModelError, NotFittedError
from sentilab.models import MODELS, get_model_class, load_model
from sentilab.models.base import check_parameters
from sentilab.models.recurrent import HISTORY_KEYS
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
    model = make(name)
    if not model.learns:  # a lexicon learns nothing: it predicts over its default classes right away
        assert model.predict_proba(["hello"]).shape == (1, len(model.default_classes))
        assert list(model.classes_) == list(model.default_classes)
        return
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
    assert len(meta["data_fingerprint"]) == 64


def test_every_saved_file_is_covered_by_a_hash_in_meta(fitted, tmp_path):
    directory = fitted.save(tmp_path / "model")
    meta = json.loads((directory / "meta.json").read_text())
    saved = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}
    del saved["meta.json"]  # a file cannot hold its own hash
    assert meta["sha256"] == saved


def test_history_has_the_one_format(fitted, tmp_path):
    if not hasattr(fitted, "history_"):
        pytest.skip(f"{fitted.name} does not train in epochs")
    history = fitted.history_
    assert isinstance(history, dict) and list(history) == [k for k in HISTORY_KEYS if k in history]
    assert {"epoch", "train_loss", "train_accuracy", "seconds"} <= set(history)
    assert all(isinstance(values, list) for values in history.values())
    assert {len(values) for values in history.values()} == {len(history["epoch"])}
    assert history["epoch"] == list(range(1, len(history["epoch"]) + 1))
    assert 0 <= fitted.best_epoch_ <= len(history["epoch"]) and fitted.stopped_ is None
    loaded = load_model(fitted.save(tmp_path / "model"))
    assert loaded.history_ == history and loaded.best_epoch_ == fitted.best_epoch_


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
    [record, blank] = fitted.predict_records(["I love this", "  "])
    assert set(record) == {"label", "score", "polarity", "scores"}
    assert record["label"] in {"negative", "positive"}
    assert record["score"] == max(record["scores"].values())
    assert record["polarity"] == pytest.approx(record["scores"]["positive"] - record["scores"]["negative"])
    assert blank == {"label": None, "score": None, "polarity": None, "scores": None, "reason": "empty text"}


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
    texts, labels = np.array(SIX_TEXTS * 2, dtype=object), np.array(SIX_LABELS * 2)
    scores = cross_val_score(model, texts, labels, cv=2, error_score="raise")
    assert scores.shape == (2,) and np.isfinite(scores).all()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cross_val_predict_proba_with_integer_labels(name):
    """scikit-learn re-encodes labels as 0..K-1 here: every model must take them (0/1 reads as neg/pos)."""
    texts = np.array(SIX_TEXTS * 2, dtype=object)
    labels = np.array([1 if label == "positive" else 0 for label in SIX_LABELS * 2])
    proba = cross_val_predict(make(name), texts, labels, cv=2, method="predict_proba")
    assert proba.shape == (12, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fit_is_quiet_unless_verbose(name, capfd):
    make(name).fit(SIX_TEXTS, SIX_LABELS, validation=(SIX_TEXTS, SIX_LABELS))
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


# ----------------------------------------------------------------------------- scikit-learn's common checks
@pytest.mark.parametrize("name", sorted(MODELS))
def test_fitting_twice_gives_the_same_model(name):
    texts = SIX_TEXTS + ["something else entirely", ""]
    first = make(name).fit(SIX_TEXTS, SIX_LABELS)
    expected = first.predict_proba(texts), first.predict(texts)
    again = first.fit(SIX_TEXTS, SIX_LABELS)  # the same object, refitted with the same random_state
    np.testing.assert_array_equal(again.predict(texts), expected[1])
    np.testing.assert_allclose(again.predict_proba(texts), expected[0], rtol=1e-12, atol=1e-12)
    other = make(name).fit(SIX_TEXTS, SIX_LABELS)  # a fresh object
    np.testing.assert_allclose(other.predict_proba(texts), expected[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fit_leaves_the_settings_unchanged(name):
    model = make(name)
    before = copy.deepcopy(model.get_params(deep=True))
    model.fit(SIX_TEXTS, SIX_LABELS)
    after = model.get_params(deep=True)
    assert list(after) == list(before)
    for key, value in before.items():
        assert type(after[key]) is type(value) and after[key] == value, key


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_setting_has_declared_constraints_that_accept_its_default(name):
    cls = get_model_class(name)
    defaults = {key: default for key, (_, default) in cls.param_types().items()}
    assert set(cls._parameter_constraints) == set(defaults)
    check_parameters(cls._parameter_constraints, defaults)  # raises for a default it refuses
    assert set(cls.param_help) == set(defaults)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_bad_setting_is_refused_with_the_one_message(name):
    cls = get_model_class(name)
    key = next(iter(cls._parameter_constraints))
    model = make(name).set_params(**{key: object()})
    with pytest.raises(ModelError, match=rf"^setting {key}=<object object at .*> is invalid: must be "):
        model.fit(SIX_TEXTS, SIX_LABELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_settings_are_checked_once_per_fit(name, monkeypatch):
    cls, calls = get_model_class(name), []
    validate = cls._validate_params

    def counting(self):
        calls.append(1)
        validate(self)

    monkeypatch.setattr(cls, "_validate_params", counting)
    make(name).fit(SIX_TEXTS, SIX_LABELS)
    assert calls == [1]
