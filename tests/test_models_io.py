"""Bad input and damaged model directories: each a clear error that says what to do, never a traceback."""

from __future__ import annotations

import hashlib
import json
import pickle
import re

import numpy as np
import pytest
import sklearn.exceptions

from sentilab.errors import ModelError, NotFittedError, SentilabError
from sentilab.models import load_model
from sentilab.models.base import FORMAT_VERSION, RENAMED_SETTINGS, WEIGHTS_FILE
from sentilab.models.lexicon import VaderModel
from sentilab.models.linear import BowModel
from tests.conftest import SIX_LABELS, SIX_TEXTS

MODELS = {"bow": lambda: BowModel(min_df=1), "vader": VaderModel}


def resave_json(directory, name, change):
    """Apply ``change`` (in place) to a saved model's JSON file and record its new sha256 in meta.json, as if
    the model had been saved that way (to test what the loader does with such content)."""
    path = directory / name
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    path.write_text(json.dumps(value), encoding="utf-8")
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    meta["sha256"][name] = hashlib.sha256(path.read_bytes()).hexdigest()
    (directory / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


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


@pytest.mark.parametrize("name", ["bow"])  # vader learns nothing: it predicts unfitted (test_contract)
def test_predict_before_fit(name):
    model = MODELS[name]()
    for call in (model.predict, model.predict_proba, model.predict_records):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call(["hello"])


def test_not_fitted_error_is_also_scikit_learns_and_an_attribute_error():
    assert NotFittedError.__mro__[1:3] == (SentilabError, sklearn.exceptions.NotFittedError)
    assert issubclass(NotFittedError, AttributeError)
    with pytest.raises(sklearn.exceptions.NotFittedError, match="not fitted yet"):
        BowModel().predict(["hello"])  # code written for scikit-learn estimators catches ours
    assert not hasattr(BowModel(), "classes_")  # hasattr() is still False, not an error
    assert pickle.loads(pickle.dumps(NotFittedError("x"))).__class__ is NotFittedError


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
        ModelError,
        match=rf"saved by sentilab 9\.0\.0 in model format {FORMAT_VERSION + 1}.*\n.*pip install --upgrade",
    ):
        load_model(saved)


@pytest.mark.parametrize("name", ["config.json", "labels.json", "vocab.json", "meta.json"])
def test_corrupt_json(saved, name):
    (saved / name).write_text('{"truncated": ')
    with pytest.raises(ModelError, match=rf"{name} is corrupt"):
        load_model(saved)


def changed_after_saving(directory, name):
    return re.escape(
        f"model file {name} in {directory} does not match its sha256 in meta.json (it was changed after "
        "saving); retrain or re-save the model"
    )


def test_weight_file_whose_sha256_does_not_match_meta(saved):
    weights = saved / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte in the last weight
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=changed_after_saving(saved, "weights.safetensors")):
        load_model(saved)


def test_every_saved_file_is_hashed_in_meta(saved):
    meta = json.loads((saved / "meta.json").read_text())
    files = {p.name for p in saved.iterdir()} - {"meta.json"}
    assert meta["sha256"] == {name: hashlib.sha256((saved / name).read_bytes()).hexdigest() for name in files}


def swap_two(items):
    items[0], items[1] = items[1], items[0]


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("labels.json", swap_two),  # the columns would silently mean the other class
        ("vocab.json", lambda vocab: swap_two(vocab["ngrams"])),  # the weights would score other n-grams
        ("config.json", lambda config: config["params"].update(negation=True)),  # other features
    ],
)
def test_a_file_changed_after_saving_is_refused_by_name(saved, name, change):
    path = saved / name
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value, indent=1))
    with pytest.raises(ModelError, match=changed_after_saving(saved, name)):
        load_model(saved)


def test_a_file_meta_does_not_hash_is_refused(saved):
    meta = json.loads((saved / "meta.json").read_text())
    del meta["sha256"]["labels.json"]
    (saved / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="records no sha256 for labels.json"):
        load_model(saved)


def test_vocabulary_that_does_not_fit_the_weights(saved):
    resave_json(saved, "vocab.json", lambda vocab: vocab["ngrams"].pop())
    with pytest.raises(ModelError, match="inconsistent"):
        load_model(saved)


def save_as_the_previous_version(model, directory, *, old_names):
    """What sentilab wrote in model format 1: settings under their old names, the LSTM history with its
    summary inside and ``*_acc`` keys, and a sha256 for the weights only."""
    model.save(directory)
    renamed_back = {new: old for old, new in RENAMED_SETTINGS.items() if old in old_names}
    config = json.loads((directory / "config.json").read_text())
    config["format_version"] = 1
    config["params"] = {renamed_back.get(key, key): value for key, value in config["params"].items()}
    (directory / "config.json").write_text(json.dumps(config))
    meta = json.loads((directory / "meta.json").read_text())
    meta["sha256"] = {WEIGHTS_FILE: meta["sha256"][WEIGHTS_FILE]}
    training = meta.pop("training", None)
    if training is not None:
        history = meta["history"]
        history["train_acc"] = history.pop("train_accuracy")
        history.update(best_epoch=training["best_epoch"], monitor="train_loss")
    (directory / "meta.json").write_text(json.dumps(meta))


def test_a_model_saved_by_the_previous_version_still_loads(tmp_path):
    from sentilab.models.numpy_lstm import NumpyLSTMModel

    params = {**NumpyLSTMModel.contract_params(), "epochs": 3, "random_state": 4, "max_grad_norm": 2.0}
    model = NumpyLSTMModel(**params).fit(SIX_TEXTS, SIX_LABELS)
    save_as_the_previous_version(model, tmp_path / "old", old_names={"seed", "lr", "clip_norm"})
    config = json.loads((tmp_path / "old" / "config.json").read_text())
    assert {"seed", "lr", "clip_norm"} <= set(config["params"]) and "random_state" not in config["params"]

    loaded = load_model(tmp_path / "old")
    assert set(loaded.get_params()) == set(model.get_params())
    assert (loaded.random_state, loaded.learning_rate, loaded.max_grad_norm) == (4, 0.02, 2.0)
    assert loaded.history_ == model.history_ and loaded.best_epoch_ == model.best_epoch_
    np.testing.assert_array_equal(loaded.predict_proba(SIX_TEXTS), model.predict_proba(SIX_TEXTS))
    # what is listed is still checked
    weights = tmp_path / "old" / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    with pytest.raises(ModelError, match=changed_after_saving(tmp_path / "old", WEIGHTS_FILE)):
        load_model(tmp_path / "old")


def test_an_old_encoder_history_becomes_the_one_format(tmp_path):
    from sentilab.models.base import _upgraded_history

    records = [
        {"epoch": 1, "train_loss": 0.7, "valid_loss": 0.6, "valid_accuracy": 0.5, "seconds": 2.0},
        {"epoch": 2, "train_loss": 0.5, "valid_loss": 0.4, "valid_accuracy": 0.75, "seconds": 2.5},
    ]
    history, training = _upgraded_history(records)
    assert history == {
        "epoch": [1, 2],
        "train_loss": [0.7, 0.5],
        "valid_loss": [0.6, 0.4],
        "valid_accuracy": [0.5, 0.75],
        "seconds": [2.0, 2.5],
    }
    assert training == {} and _upgraded_history([]) == (None, {})  # a frozen encoder had no history
    assert _upgraded_history({"validation_rows": 9}) == ({"validation_rows": 9}, {})  # another model's own


def test_a_setting_keeps_its_old_name_where_the_model_still_uses_it():
    from sentilab.models.base import _renamed_settings

    assert _renamed_settings({"seed": 3, "width": 2}, {"seed": int, "width": int}) == {"seed": 3, "width": 2}
    assert _renamed_settings({"seed": 3}, {"random_state": int}) == {"random_state": 3}
    # quiet (an opt-out) became verbose (an opt-in): the meaning is kept, inverted
    assert _renamed_settings({"quiet": True}, {"verbose": bool}) == {"verbose": False}
    assert _renamed_settings({"quiet": False}, {"verbose": bool}) == {"verbose": True}


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


def test_saved_files_are_readable_like_any_other_file(tmp_path):
    import os
    import stat

    from sentilab.models import create_model

    from .conftest import SIX_LABELS, SIX_TEXTS

    mask = os.umask(0o022)
    try:
        create_model("bow").fit(SIX_TEXTS, SIX_LABELS).save(tmp_path / "m")
    finally:
        os.umask(mask)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "m").iterdir()}
    assert set(modes.values()) == {0o644}, modes
