"""Bad input and damaged model directories: each a clear error that says what to do, never a traceback."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from sentilab.errors import ModelError, NotFittedError
from sentilab.models import load_model
from sentilab.models.base import FORMAT_VERSION
from sentilab.models.lexicon import VaderModel
from sentilab.models.linear import BowModel
from tests.conftest import SIX_LABELS, SIX_TEXTS

MODELS = {"bow": lambda: BowModel(min_df=1), "vader": VaderModel}


@pytest.fixture
def saved(tmp_path):
    directory = tmp_path / "model"
    BowModel(min_df=1).fit(SIX_TEXTS, SIX_LABELS).save(directory)
    return directory


# ============================================================================ bad input to a model
@pytest.mark.parametrize("name", sorted(MODELS))
def test_fitting_on_one_class_is_a_clear_error(name):
    # The classic notebook crashes deep inside the solver; here the message names the fix.
    with pytest.raises(ModelError, match=r"at least two classes.*every one of the 3 labels is 'positive'"):
        MODELS[name]().fit(SIX_TEXTS[:3], SIX_LABELS[:3])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_predict_before_fit(name):
    model = MODELS[name]()
    for call in (model.predict, model.predict_proba, model.predict_records):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call(["hello"])


def test_contributions_and_transform_before_fit():
    with pytest.raises(NotFittedError):
        BowModel().contributions("hello")
    with pytest.raises(NotFittedError):
        BowModel().transform(["hello"])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_empty_list(name):
    model = MODELS[name]().fit(SIX_TEXTS, SIX_LABELS)
    assert model.predict_proba([]).shape == (0, 2) and model.predict([]).shape == (0,)
    assert model.predict_records([]) == []
    with pytest.raises(ModelError, match="empty list"):
        MODELS[name]().fit([], [])


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize(
    ("bad", "message"),
    [(None, "text #1 is a NoneType"), (3, "text #1 is a int"), (b"x", "text #1 is a bytes")],
)
def test_non_string_items_are_refused_not_coerced(name, bad, message):
    model = MODELS[name]().fit(SIX_TEXTS, SIX_LABELS)
    with pytest.raises(ModelError, match=message):
        model.predict(["fine", bad])
    with pytest.raises(ModelError, match=message):
        MODELS[name]().fit(["fine", bad], ["positive", "negative"])


def test_mismatched_labels_and_missing_labels():
    with pytest.raises(ModelError, match="got 6 texts but 5 labels"):
        BowModel().fit(SIX_TEXTS, SIX_LABELS[:5])
    with pytest.raises(ModelError, match="label #2 is missing"):
        BowModel().fit(SIX_TEXTS[:3], ["positive", "negative", None])


# ============================================================================ damaged model directories
def test_missing_directory(tmp_path):
    with pytest.raises(ModelError, match=r"does not exist\n.*sentilab train"):
        load_model(tmp_path / "nowhere")


def test_incomplete_directory(saved):
    (saved / "vocab.json").unlink()
    with pytest.raises(ModelError, match="missing vocab.json"):
        load_model(saved)


def test_newer_format_version_is_refused_with_an_upgrade_hint(saved):
    config = json.loads((saved / "config.json").read_text())
    config["format_version"] = FORMAT_VERSION + 1
    config["sentilab_version"] = "9.0.0"
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.raises(
        ModelError, match=r"saved by sentilab 9\.0\.0 in model format 2.*\n.*pip install --upgrade"
    ):
        load_model(saved)


@pytest.mark.parametrize("name", ["config.json", "labels.json", "vocab.json", "meta.json"])
def test_corrupt_json(saved, name):
    (saved / name).write_text('{"truncated": ')
    with pytest.raises(ModelError, match=rf"{name} is corrupt"):
        load_model(saved)


def test_weight_file_whose_sha256_does_not_match_meta(saved):
    weights = saved / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte in the last weight
    weights.write_bytes(bytes(data))
    with pytest.raises(
        ModelError, match=r"weights.safetensors is corrupt: its sha256 is [0-9a-f]{64} but meta"
    ):
        load_model(saved)


def test_vocabulary_that_does_not_fit_the_weights(saved):
    vocab = json.loads((saved / "vocab.json").read_text())
    vocab["ngrams"] = vocab["ngrams"][:-1]
    (saved / "vocab.json").write_text(json.dumps(vocab))
    with pytest.raises(ModelError, match="inconsistent"):
        load_model(saved)


def test_loading_never_unpickles(saved, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used on the load path")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(np, "load", refuse)
    model = load_model(saved)
    assert list(model.predict(SIX_TEXTS)) == SIX_LABELS


def test_a_failed_save_leaves_the_old_model_intact(saved, monkeypatch):
    before = {p.name: p.read_bytes() for p in saved.iterdir()}
    model = BowModel(min_df=1).fit(SIX_TEXTS + ["meh"], SIX_LABELS + ["neutral"])
    monkeypatch.setattr(BowModel, "_get_state", lambda self: ({"coef": object()}, {}))
    with pytest.raises(Exception):  # noqa: B017 - whatever the failure, nothing half-written may remain
        model.save(saved)
    assert {p.name: p.read_bytes() for p in saved.iterdir()} == before
    assert [p.name for p in saved.parent.iterdir() if p.name.startswith(".")] == []
