"""Training on several datasets at once, and the named models (default, best) wherever a model is taken.

The best model's real recipe fine-tunes MiniLM for minutes; these tests swap in a tiny recipe (bow on two
small CSV files the tests write), so everything about building, listing and using it runs in seconds.
"""

from __future__ import annotations

import dataclasses
import json
import os

import pandas as pd
import pytest
from click.testing import CliRunner

import sentilab
from sentilab import defaults, named_models
from sentilab.cli import main
from sentilab.data.registry import LABELLED
from sentilab.errors import DataError, ModelError
from sentilab.models import load_model
from sentilab.training import load_training_data, parse_data_names
from tests.test_cli_models import write_dataset

NOT_BUILT = (
    "the best model is not built yet; build it once with `sentilab models build best` "
    f"(about {named_models.BUILD_MINUTES_CPU_2_CORES:.0f} minutes here, on 2 CPU cores; an interrupted build "
    "resumes when rerun)"
)


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, [str(arg) for arg in args], **kwargs)


@pytest.fixture
def two_files(tmp_path):
    """Two small datasets: tweets with three classes, reviews with two."""
    return (
        write_dataset(tmp_path / "tweets.csv", n=90, seed=1),
        write_dataset(tmp_path / "reviews.csv", classes=("negative", "positive"), n=60, seed=2),
    )


@pytest.fixture
def tiny_best(two_files, monkeypatch):
    """BEST_RECIPE swapped for bow on the two files; this machine looks like 2 CPU cores and no GPU."""
    recipe = named_models.BuildRecipe(
        version=7, model="bow", params={"min_df": "1"}, datasets=tuple(map(str, two_files))
    )
    monkeypatch.setattr(named_models, "BEST_RECIPE", recipe)
    monkeypatch.setattr(named_models, "_LOADED", {})
    monkeypatch.setattr(named_models, "cpu_cores", lambda: 2)
    monkeypatch.setattr(named_models, "cuda_available", lambda: False)
    return recipe


@pytest.fixture
def built_best(tiny_best):
    result = invoke("models", "build", "best")
    assert result.exit_code == 0, result.output
    return named_models.named_model_dir("best")


# ============================================================================ several datasets at once
def test_train_on_two_datasets_merges_the_train_splits_and_scores_each_validation_split(two_files, tmp_path):
    tweets, reviews = two_files
    out = tmp_path / "mix"
    result = invoke("train", "--data", f"{tweets},{reviews}", "--set", "min_df=1", "--out", out)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["train_rows"] == 72 + 48 and meta["validation_rows"] == 9 + 6
    assert meta["data"]["sources"] == {
        "tweets.csv": {"train_rows": 72, "validation_rows": 9},
        "reviews.csv": {"train_rows": 48, "validation_rows": 6},
    }
    assert meta["data"]["train"]["rows_per_source"] == {"tweets.csv": 72, "reviews.csv": 48}
    metrics = meta["metrics"]
    assert metrics["validation"]["n"] == 15 and metrics["validation:tweets.csv"]["n"] == 9
    assert metrics["validation:reviews.csv"]["n"] == 6 and metrics["validation"]["accuracy"] == 1.0
    lines = result.stdout.splitlines()
    assert (
        "data: tweets.csv → 72 train / 9 validation texts (negative 24 / neutral 24 / positive 24)" in lines
    )
    assert "data: reviews.csv → 48 train / 6 validation texts (negative 24 / positive 24)" in lines
    assert (
        "data: 2 datasets → 120 train / 15 validation texts (negative 48 / neutral 24 / positive 48)" in lines
    )
    assert any(line.startswith("validation (all 2 pooled): accuracy 1.000") for line in lines)
    assert any(line.split()[:3] == ["reviews.csv", "accuracy", "1.000"] for line in lines)


def test_train_json_reports_pooled_and_per_source_validation(two_files, tmp_path):
    tweets, reviews = two_files
    result = invoke(
        "train", "--data", f"{tweets}, {reviews}", "--set", "min_df=1", "--out", tmp_path / "m", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["validation"]["n"] == 15 and summary["validation:tweets.csv"]["n"] == 9
    assert summary["sources"]["reviews.csv"] == {"train_rows": 48, "validation_rows": 6}


def test_one_dataset_keeps_the_single_validation_metric(two_files, tmp_path):
    result = invoke("train", "--data", two_files[0], "--set", "min_df=1", "--out", tmp_path / "one")
    meta = json.loads((tmp_path / "one" / "meta.json").read_text())
    assert result.exit_code == 0 and "sources" not in meta["data"]
    assert not [key for key in meta["metrics"] if key.startswith("validation:")]


def test_a_file_whose_name_holds_a_comma_is_one_file(tmp_path):
    odd = write_dataset(tmp_path / "tweets,2024.csv", n=90)
    assert parse_data_names(str(odd)) == [str(odd)]
    result = invoke("train", "--data", odd, "--set", "min_df=1", "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "data: tweets,2024.csv → 72 train" in result.stdout


def test_labelled_names_the_eight_labelled_registry_datasets(two_files, tmp_path, monkeypatch):
    import sentilab.data

    real_load = sentilab.data.load_dataset
    asked = []

    def fake_load(name, **options):  # every registry name reads a small local file instead
        asked.append((name, options["split"]))
        dataset = real_load(str(two_files[0]), **options)
        dataset.name = name
        return dataset

    monkeypatch.setattr(sentilab.data, "load_dataset", fake_load)
    result = invoke("train", "--data", "labelled", "--set", "min_df=1", "--out", tmp_path / "all", "--json")
    assert result.exit_code == 0, result.output
    assert [name for name, split in asked if split == "train"] == list(LABELLED)
    assert [name for name, split in asked if split == "validation"] == list(LABELLED)
    meta = json.loads((tmp_path / "all" / "meta.json").read_text())
    assert list(meta["data"]["sources"]) == list(LABELLED) and meta["train_rows"] == 8 * 72
    assert {f"validation:{name}" for name in LABELLED} <= set(meta["metrics"])


def test_data_names_are_checked(two_files):
    assert parse_data_names("labelled") == list(LABELLED)
    assert parse_data_names(["uci-yelp", "uci-imdb"]) == ["uci-yelp", "uci-imdb"]
    with pytest.raises(
        DataError, match=r"dataset 'uci-yelp' is named twice \(labelled already includes it\)"
    ):
        parse_data_names("labelled,uci-yelp")
    with pytest.raises(DataError, match="has an empty dataset name"):
        parse_data_names("uci-yelp,,uci-imdb")
    result = invoke("train", "--data", "uci-yelp,uci-yelp", "--out", "never")
    assert result.exit_code == 2 and "named twice" in result.output and not os.path.exists("never")


def test_load_training_data_is_the_library_way(two_files):
    data = load_training_data(list(map(str, two_files)), seed=0)
    assert len(data.train) == 120 and data.sources == ["tweets.csv", "reviews.csv"]
    assert {name: len(part) for name, part in data.validation.items()} == {"tweets.csv": 9, "reviews.csv": 6}
    assert len(data.pooled_validation()) == 15 and data.train.class_counts()["neutral"] == 24
    alone = load_training_data(str(two_files[1]), split="test", validation_split=None)
    assert len(alone.train) == 6 and alone.validation == {} and alone.pooled_validation() is None


# ============================================================================ the best model: not built
def test_best_not_built_says_how_to_build_it_and_never_trains(tiny_best, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in (
        ["predict", "--model", "best", "good"],
        ["evaluate", "best", "--data", tiny_best.datasets[0]],
    ):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert f"error: {NOT_BUILT}" in result.output and "Traceback" not in result.output
    with pytest.raises(ModelError) as caught:
        sentilab.load_model("best")
    assert str(caught.value) == NOT_BUILT
    assert not named_models.named_model_dir("best").exists()


def test_the_estimate_follows_the_machine(monkeypatch):
    monkeypatch.setattr(named_models, "cuda_available", lambda: True)
    assert named_models.describe_estimate() == "about 3 minutes here, on the GPU"
    assert named_models.describe_estimate("cpu").startswith("about ")
    monkeypatch.setattr(named_models, "cpu_cores", lambda: 4)
    assert named_models.build_estimate("cpu") == (named_models.BUILD_MINUTES_CPU_2_CORES / 2, "4 CPU cores")


# ============================================================================ building and listing
def test_build_best_saves_the_model_with_its_recipe_and_scores(tiny_best):
    result = invoke("models", "build", "best", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    directory = named_models.named_model_dir("best")
    assert summary["directory"] == str(directory) and summary["built_now"] and summary["device"] == "cpu"
    assert summary["validation_accuracy"] == 1.0
    assert summary["validation_accuracy_per_source"] == {"tweets.csv": 1.0, "reviews.csv": 1.0}
    meta = json.loads((directory / "meta.json").read_text())
    assert meta["best_recipe"]["version"] == 7 and meta["device"] == "cpu" and meta["build_seconds"] >= 0
    assert meta["command"] == "sentilab models build best"
    assert meta["data"]["sources"]["reviews.csv"] == {"train_rows": 48, "validation_rows": 6}
    assert {"validation", "validation:tweets.csv", "validation:reviews.csv"} <= set(meta["metrics"])
    assert "building sentilab's best model: bow (min_df=1)" in result.stderr
    assert named_models.describe_estimate("cpu") in result.stderr
    assert "validation accuracy: 1.000 (all 2 datasets pooled)" in result.stderr


def test_a_second_build_keeps_the_model_and_rebuild_replaces_it(built_best):
    weights = built_best / "weights.safetensors"
    stamp = weights.stat().st_mtime_ns
    again = invoke("models", "build", "best")
    assert again.exit_code == 0 and "already built" in again.output and weights.stat().st_mtime_ns == stamp
    rebuilt = invoke("models", "build", "best", "--rebuild", "--json")
    assert rebuilt.exit_code == 0 and json.loads(rebuilt.stdout)["built_now"] is True


def test_a_changed_recipe_is_built_again_and_used_meanwhile_with_a_note(built_best, tiny_best, monkeypatch):
    monkeypatch.setattr(
        named_models, "BEST_RECIPE", named_models.BuildRecipe(**{**tiny_best.__dict__, "version": 8})
    )
    lines = []
    assert named_models.load_best(on_status=lines.append).classes_ is not None
    assert lines and "older recipe" in lines[0]
    result = invoke("models", "build", "best")
    assert result.exit_code == 0 and "older recipe; building the current one" in result.output
    assert json.loads((built_best / "meta.json").read_text())["best_recipe"]["version"] == 8


def test_rebuild_replaces_only_what_sentilab_wrote(built_best):
    mine = built_best / "notes.txt"
    mine.write_text("mine")
    result = invoke("models", "build", "best", "--rebuild")
    assert result.exit_code == 2 and "notes.txt" in result.output
    assert mine.read_text() == "mine" and (built_best / "weights.safetensors").is_file()


def test_a_build_clears_its_checkpoints_and_passes_them_where_the_model_takes_them(tiny_best, monkeypatch):
    import numpy as np
    from safetensors.numpy import save_file

    from sentilab.models.encoder_training import CHECKPOINT_FORMAT, CHECKPOINT_PREFIX

    checkpoints = named_models.best_checkpoint_dir()
    checkpoints.mkdir(parents=True)
    ours = checkpoints / f"{CHECKPOINT_PREFIX}0123456789abcdef.safetensors"
    save_file({"weight": np.zeros(2, dtype=np.float32)}, str(ours), metadata={"format": CHECKPOINT_FORMAT})
    assert invoke("models", "build", "best").exit_code == 0
    assert not checkpoints.exists() and not checkpoints.parent.exists()

    # A file sentilab did not write stays, and so does its folder.
    checkpoints.mkdir(parents=True)
    save_file({"weight": np.zeros(2, dtype=np.float32)}, str(ours), metadata={"format": CHECKPOINT_FORMAT})
    foreign = checkpoints / f"{CHECKPOINT_PREFIX}mine.safetensors"
    foreign.write_bytes(b"my own file")
    assert invoke("models", "build", "best", "--rebuild").exit_code == 0
    assert not ours.exists() and foreign.read_bytes() == b"my own file"

    class FineTunable:
        @staticmethod
        def param_types():
            return {"device": (str, "auto"), "checkpoint_dir": (str, None), "verbose": (bool, False)}

    monkeypatch.setattr("sentilab.models.registry.get_model_class", lambda name: FineTunable)
    settings = named_models._build_settings(tiny_best, "cuda", verbose=True)
    assert settings == {
        "min_df": "1",
        "device": "cuda",
        "checkpoint_dir": str(checkpoints),
        "verbose": "true",
    }


def test_device_is_refused_for_a_model_without_one(tiny_best):
    result = invoke("models", "build", "best", "--device", "cpu")
    assert result.exit_code == 2 and "has no device setting" in result.output


def test_the_real_recipe_fine_tunes_the_encoder_on_every_labelled_dataset():
    recipe = named_models.BEST_RECIPE
    assert recipe.model == "encoder" and recipe.datasets == LABELLED
    assert recipe.params["finetune"] == "true" and recipe.params["device"] == "auto"
    with pytest.raises(
        dataclasses.FrozenInstanceError
    ):  # frozen: tests swap it with monkeypatch, nobody edits it in place
        recipe.version = 2


def test_models_list_says_what_is_built_and_how_to_build_the_rest(tiny_best):
    before = {e["name"]: e for e in map(json.loads, invoke("models", "list", "--json").stdout.splitlines())}
    assert list(before) == ["default", "best"] and not before["best"]["built"]
    assert before["best"]["build_command"] == "sentilab models build best"
    assert before["best"]["build_estimate_minutes"] == named_models.BUILD_MINUTES_CPU_2_CORES
    text = invoke("models", "list").stdout
    estimate = f"about {named_models.BUILD_MINUTES_CPU_2_CORES:.0f} minutes here;"
    assert "best: not built" in text and f"sentilab models build best ({estimate}" in text
    assert invoke("models", "build", "best").exit_code == 0
    after = {e["name"]: e for e in map(json.loads, invoke("models", "list", "--json").stdout.splitlines())}
    best = after["best"]
    assert best["built"] and best["current"] and best["validation_accuracy"] == 1.0 and best["size_bytes"] > 0
    assert best["directory"] == str(named_models.named_model_dir("best")) and best["built_at"]
    assert "best: built" in invoke("models", "list").stdout


def test_models_help_has_examples():
    assert "sentilab models build best" in invoke("models", "--help").output
    assert "resumes" in invoke("models", "build", "--help").output
    assert (
        "labelled" in invoke("train", "--help").output
        and "labelled" in invoke("data", "list", "--help").output
    )


# ============================================================================ --model best everywhere
def test_model_best_works_in_every_command(built_best, tiny_best, tmp_path):
    tweets = tiny_best.datasets[0]
    predicted = invoke("predict", "--model", "best", "--json", "the love great thing")
    assert predicted.exit_code == 0, predicted.output
    assert json.loads(predicted.stdout)["label"] == "positive"
    evaluated = invoke("evaluate", "best", "--data", tweets, "--json")
    assert evaluated.exit_code == 0 and json.loads(evaluated.stdout)["accuracy"] == 1.0
    explained = invoke("explain", "best", "the hate awful thing")
    assert explained.exit_code == 0 and explained.stdout.startswith("negative")
    docs = tmp_path / "docs.csv"
    pd.DataFrame({"text": ["the love great thing. the happy best thing.", "the hate awful thing."]}).to_csv(
        docs, index=False
    )
    analyzed = invoke("analyze", docs, "--model", "best", "--out", tmp_path / "an", "--json")
    assert analyzed.exit_code == 0, analyzed.output
    audited = invoke("audit", "best", "--out", tmp_path / "au", "--no-fairness", "--per-test", "5")
    assert audited.exit_code == 0 and audited.stdout.startswith("model: best model (bow")
    scored = invoke("predict", "--file", docs, "--model", "best", "--out", tmp_path / "scored.csv")
    assert scored.exit_code == 0, scored.output
    assert pd.read_csv(tmp_path / "scored.csv")["sentilab_label"].tolist() == ["positive", "negative"]


def test_python_names_best(built_best):
    model = load_model("best")
    assert model is sentilab.load_model("best")  # loaded once per process
    assert sentilab.pipeline(model="best")("the love great thing")["label"] == "positive"
    assert sentilab.predict(["the hate awful thing"], model="best")[0]["label"] == "negative"
    from sentilab.batch.model_source import model_source

    source, loaded = model_source("best")
    assert source.directory == str(built_best.resolve()) and loaded is model


def test_a_folder_named_best_is_reached_as_dot_slash_best(built_best, tmp_path, monkeypatch):
    """The named model wins over a folder of the same name in the current directory; ./best is the folder."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "spam.csv"
    rows = [(f"win cash now {i}", "spam") if i % 2 else (f"lunch at noon {i}", "ham") for i in range(40)]
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(folder, index=False)
    assert invoke("train", "--data", folder, "--set", "min_df=1", "--out", "best").exit_code == 0
    named = json.loads(invoke("predict", "--model", "best", "--json", "x").stdout)
    mine = json.loads(invoke("predict", "--model", "./best", "--json", "x").stdout)
    assert set(named["scores"]) == {"negative", "neutral", "positive"} and set(mine["scores"]) == {
        "ham",
        "spam",
    }
    assert list(load_model(tmp_path / "best").classes_) == ["ham", "spam"]  # a Path is always a folder
    assert list(sentilab.load_model("best").classes_) == ["negative", "neutral", "positive"]


def test_not_built_with_a_folder_named_best_points_at_it(tiny_best, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "best").mkdir()
    result = invoke("predict", "--model", "best", "x")
    assert result.exit_code == 2 and "./best is a folder here: pass ./best to use it" in result.output


def test_serve_takes_named_models(built_best, monkeypatch, _isolated_home):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from sentilab.service.app import create_app, load_models
    from sentilab.service.settings import ServiceSettings, parse_model_specs

    specs = parse_model_specs(["default", "best"])
    assert specs == {"default": "default", "best": "best"}
    assert parse_model_specs(["fast=default", "./best"]) == {
        "fast": "default",
        "best": named_models.Path("best"),
    }
    monkeypatch.setattr(defaults, "get_default_model", lambda **_: load_model("best"))
    settings = ServiceSettings(models=specs)
    loaded = load_models(settings)
    assert loaded["best"][1] == f"sentilab best model ({_isolated_home / 'models' / 'best'})"
    with TestClient(create_app(settings)) as client:
        names = [m["name"] for m in client.get("/v1/models").json()["models"]]
        answer = client.post("/v1/predict", json={"texts": ["the love great thing"], "model": "best"}).json()
    assert names == ["default", "best"] and answer["predictions"][0]["label"] == "positive"


def test_serve_refuses_best_before_it_is_built(tiny_best):
    result = invoke("serve", "--model", "best", "--port", "0")
    assert result.exit_code == 2 and NOT_BUILT in result.output
