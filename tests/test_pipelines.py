"""The one-liner: sentilab.predict / sentilab.pipeline, shaped like Hugging Face pipelines."""

from __future__ import annotations

import pytest

import sentilab
from sentilab.errors import ModelError
from sentilab.models import create_model

from .conftest import TRAIN_LABELS, TRAIN_TEXTS


@pytest.fixture
def saved(tmp_path):
    model = create_model("bow").fit(TRAIN_TEXTS, TRAIN_LABELS)
    model.save(tmp_path / "m")
    return model, tmp_path / "m"


def test_one_text_gives_one_record_and_a_list_gives_a_list(saved):
    model, directory = saved
    record = sentilab.predict("I love this, great day", model=directory)
    assert record == model.predict_records(["I love this, great day"])[0]
    assert set(record) == {"label", "score", "polarity", "scores"}
    records = sentilab.predict(["I love this, great day", "", "awful"], model=str(directory))
    assert [r["label"] for r in records][1] is None and len(records) == 3


def test_a_pipeline_batches_and_keeps_order(saved):
    model, directory = saved
    classify = sentilab.pipeline(model=directory, batch_size=2)
    texts = [TRAIN_TEXTS[i % len(TRAIN_TEXTS)] for i in range(7)]
    assert classify(texts) == model.predict_records(texts)
    assert classify.batch_size == 2 and list(classify.model.classes_) == list(model.classes_)


def test_a_fitted_model_object_is_accepted_and_an_unfitted_one_is_refused(saved):
    model, _ = saved
    assert sentilab.pipeline(model=model)("great")["label"] == model.predict(["great"])[0]
    with pytest.raises(ModelError, match="not fitted yet"):
        sentilab.pipeline(model=create_model("bow"))
    with pytest.raises(ModelError, match="batch_size must be a positive whole number"):
        sentilab.pipeline(model=model, batch_size=0)
    with pytest.raises(ModelError, match="got bytes"):
        sentilab.pipeline(model=model)(b"great")


def test_load_model_default_is_the_default_model(monkeypatch, saved):
    import sentilab.defaults as defaults

    model, _ = saved
    monkeypatch.setattr(defaults, "get_default_model", lambda **_: model)
    assert sentilab.load_model("default") is model


def test_not_fitted_error_is_scikit_learns():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        create_model("bow").predict(["x"])
    assert issubclass(sentilab.NotFittedError, NotFittedError)
