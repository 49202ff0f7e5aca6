"""The one training path: every caller's model describes itself the same way in meta.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sentilab.errors import ModelError
from sentilab.models import load_model
from sentilab.training import TrainingData, build_model, train_and_save

from .conftest import TRAIN_LABELS, TRAIN_TEXTS


def test_train_and_save_writes_a_model_that_describes_itself(tmp_path):
    train = TrainingData(TRAIN_TEXTS, TRAIN_LABELS, source="tiny", dropped={"empty text": 2})
    run = train_and_save(
        "bow", train, validation=(TRAIN_TEXTS[:6], TRAIN_LABELS[:6]), settings={"C": "2"},
        random_state=7, out=tmp_path / "m", command="sentilab train --data tiny",
    )  # fmt: skip
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert meta["command"] == "sentilab train --data tiny"
    assert meta["random_state"] == 7
    assert meta["settings"] == {"C": 2.0}  # what was set, typed; config.json has every setting
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["params"] == json.loads(json.dumps(run.model.get_params()))
    assert meta["data"]["train"] == {"source": "tiny", "rows": 12, "dropped": {"empty text": 2}}
    assert meta["data"]["validation"]["rows"] == 6
    assert meta["metrics"]["validation"]["n"] == 6
    assert meta["data_fingerprint"] == run.model.data_fingerprint_
    loaded = load_model(tmp_path / "m")
    assert loaded.metrics_ == run.model.metrics_ == run.metrics
    np.testing.assert_allclose(loaded.predict_proba(TRAIN_TEXTS), run.model.predict_proba(TRAIN_TEXTS))


def test_without_out_nothing_is_written_and_the_run_still_has_its_scores(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = train_and_save("bow", (TRAIN_TEXTS, TRAIN_LABELS), validation=(TRAIN_TEXTS, TRAIN_LABELS))
    assert run.directory is None and list(tmp_path.iterdir()) == []
    assert run.evaluation.accuracy == run.metrics["validation"]["accuracy"]


def test_the_seed_reaches_the_models_own_random_state():
    model = build_model("numpy-lstm", random_state=3)
    assert model.random_state == 3
    assert build_model("numpy-lstm", {"random_state": "5"}, random_state=3).random_state == 5


def test_extra_metrics_are_saved_beside_the_validation_scores(tmp_path):
    run = train_and_save(
        "bow", (TRAIN_TEXTS, TRAIN_LABELS), out=tmp_path / "m", extra_metrics=lambda m: {"test:x": {"n": 1}}
    )
    assert json.loads((tmp_path / "m" / "meta.json").read_text())["metrics"] == {"test:x": {"n": 1}}
    assert run.model.metrics_ == {"test:x": {"n": 1}}


def test_data_that_is_not_texts_and_labels_is_refused():
    with pytest.raises(ModelError, match="must be a Dataset, a TrainingData or a"):
        train_and_save("bow", 42)


def test_merge_keeps_order_and_adds_up_what_was_dropped():
    merged = TrainingData.merge(
        [
            TrainingData(["a"], ["x"], "one", {"duplicate": 1}),
            TrainingData(["b"], ["y"], "two", {"duplicate": 2}),
        ]
    )
    assert (merged.texts, merged.labels, merged.source, merged.dropped) == (
        ["a", "b"], ["x", "y"], "one+two", {"duplicate": 3}
    )  # fmt: skip
