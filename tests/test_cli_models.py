"""The model commands through click's CliRunner: train, evaluate, benchmark, explain, top-words, predict."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sentilab import defaults
from sentilab.cli import main
from sentilab.models import MODELS, load_model
from sentilab.models.base import SentimentModel

POSITIVE = ["love", "great", "wonderful", "happy", "excellent", "best"]
NEGATIVE = ["hate", "awful", "terrible", "sad", "horrible", "worst"]
NEUTRAL = ["table", "monday", "meeting", "chair", "report", "bus"]


def write_dataset(
    path, *, classes=("negative", "neutral", "positive"), n=90, seed=0, text_col="text", label_col="label"
):
    rng = np.random.default_rng(seed)
    words = {"positive": POSITIVE, "negative": NEGATIVE, "neutral": NEUTRAL}
    rows = []
    for i in range(n):
        label = classes[i % len(classes)]
        body = " ".join(rng.choice(words[label], size=2))
        rows.append({text_col: f"the {body} thing number {i}", label_col: label})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def data3(tmp_path):
    return write_dataset(tmp_path / "three.csv")


@pytest.fixture
def trained(runner, data3, tmp_path):
    out = tmp_path / "bow"
    result = runner.invoke(
        main, ["train", "--data", str(data3), "--model", "bow", "--set", "min_df=1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


# ============================================================================ train
def test_train_saves_a_model_with_validation_metrics(runner, trained, data3):
    meta = json.loads((trained / "meta.json").read_text())
    assert meta["metrics"]["validation"]["accuracy"] == 1.0
    assert meta["train_rows"] == 72 and meta["validation_rows"] == 9 and meta["random_state"] == 0
    assert meta["settings"] == {"min_df": 1}  # typed, as the model holds it
    assert meta["data"]["train"] == {"source": data3.name, "rows": 72, "dropped": {}}
    assert meta["data"]["validation"]["rows"] == 9
    assert load_model(trained).min_df == 1


def test_train_records_the_command_line_that_made_the_model(runner, data3, tmp_path, monkeypatch):
    argv = ["/usr/bin/sentilab", "train", "--data", str(data3), "--set", "min_df=1", "--out", "it's here"]
    monkeypatch.setattr("sys.argv", argv)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, argv[1:])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "it's here" / "meta.json").read_text())
    assert meta["command"] == f"sentilab train --data {data3} --set min_df=1 --out 'it'\"'\"'s here'"


def test_train_prints_what_it_did(runner, data3, tmp_path):
    result = runner.invoke(
        main, ["train", "--data", str(data3), "--set", "min_df=1", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 0
    out = result.stdout
    assert "three.csv → 72 train / 9 validation texts" in out and "model: bow (min_df=1)" in out
    assert "validation: accuracy 1.000" in out and f"saved → {tmp_path / 'm'}" in out


def test_help_params_lists_every_setting_with_default_and_help(runner):
    result = runner.invoke(main, ["train", "--model", "bow", "--help-params"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    from sentilab.models.linear import BowModel

    for key in BowModel.param_types():
        line = next(line for line in lines if line.strip().startswith(key + " "))
        assert BowModel.param_help[key][:30] in result.output, key
        if key == "features":
            assert "tfidf" in line
    assert "neutral_band" in runner.invoke(main, ["train", "--model", "vader", "--help-params"]).output


def test_unknown_setting_lists_the_valid_ones(runner, data3, tmp_path):
    result = runner.invoke(
        main, ["train", "--data", str(data3), "--set", "min_dff=2", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "model 'bow' has no setting 'min_dff' (did you mean 'min_df'?)" in result.stderr
    assert "valid settings: C, class_weight, features" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("features=bogus", "not allowed; choose one of: binary, count, tfidf, nbsvm"),
        ("C=lots", "not a valid float"),
        ("C", "is not KEY=VALUE"),
    ],
)
def test_bad_setting_values(runner, data3, tmp_path, setting, message):
    result = runner.invoke(
        main, ["train", "--data", str(data3), "--set", setting, "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2 and message in result.stderr


def test_train_needs_data_and_names_a_missing_file(runner, tmp_path):
    result = runner.invoke(main, ["train", "--model", "bow"])
    assert result.exit_code == 2 and "--data is required" in result.output
    result = runner.invoke(main, ["train", "--data", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_train_local_file_with_named_columns_and_sample(runner, tmp_path):
    data = write_dataset(
        tmp_path / "reviews.csv",
        text_col="review",
        label_col="stars",
        classes=("negative", "positive"),
        n=200,
    )
    out = tmp_path / "m"
    args = [
        "train",
        "--data",
        str(data),
        "--text-col",
        "review",
        "--label-col",
        "stars",
        "--sample",
        "60",
        "--set",
        "min_df=1",
        "--out",
        str(out),
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["train_rows"] == 60 and meta["validation_rows"] == 20  # validation: all 20 (< max(200, 60/4))


class RecordingModel(SentimentModel):
    """A registry model that records what `sentilab train` passes to fit (the command is generic)."""

    name = "recording"
    param_help = {"random_state": "random seed", "width": "a size"}

    def __init__(self, *, random_state: int = 0, width: int = 3):
        self.random_state = random_state
        self.width = width

    def _fit(self, texts, y, validation):
        self.seen_validation_ = validation is not None and len(validation[0]) > 0
        self.history_ = {"validation_rows": len(validation[0]) if validation else 0}

    def _predict_proba(self, texts):
        return np.full((len(texts), len(self.classes_)), 1.0 / len(self.classes_))


def test_train_is_generic_over_the_registry(runner, data3, tmp_path, monkeypatch):
    monkeypatch.setitem(MODELS, "recording", "tests.test_cli_models:RecordingModel")
    out = tmp_path / "rec"
    args = [
        "train",
        "--data",
        str(data3),
        "--model",
        "recording",
        "--seed",
        "7",
        "--set",
        "width=5",
        "--out",
        str(out),
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert model.random_state == 7 and model.width == 5  # --seed reaches the model's own random_state
    assert json.loads((out / "meta.json").read_text())["history"] == {"validation_rows": 9}


# ============================================================================ evaluate
def test_evaluate_prints_metrics_and_writes_files(runner, trained, data3, tmp_path):
    result = runner.invoke(
        main, ["evaluate", str(trained), "--data", f"{data3}:test", "--out", str(tmp_path / "ev")]
    )
    assert result.exit_code == 0, result.output
    assert "accuracy 1.000" in result.stdout and "confusion (rows: gold, columns: predicted)" in result.stdout
    for name in ("metrics.json", "confusion.png", "reliability.png", "report.html"):
        assert (tmp_path / "ev" / name).stat().st_size > 0
    as_json = json.loads(
        runner.invoke(main, ["evaluate", str(trained), "--data", str(data3), "--json"]).stdout
    )
    assert as_json["n"] == 90 and as_json["labels"] == ["negative", "neutral", "positive"]


def test_three_class_model_on_binary_data_says_so(runner, trained, tmp_path):
    binary = write_dataset(tmp_path / "binary.csv", classes=("negative", "positive"), n=40, seed=3)
    result = runner.invoke(main, ["evaluate", str(trained), "--data", str(binary)])
    assert result.exit_code == 0
    assert "decision between negative and positive only" in result.stdout and "ROC-AUC" in result.stdout


def test_evaluate_missing_model_is_one_clean_line(runner, tmp_path, data3):
    result = runner.invoke(main, ["evaluate", str(tmp_path / "nope"), "--data", str(data3)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: model directory") and "Traceback" not in result.output


# ============================================================================ benchmark
def test_benchmark_cross_domain_matrix(runner, tmp_path):
    a = write_dataset(tmp_path / "a.csv", n=60)
    b = write_dataset(tmp_path / "b.csv", classes=("negative", "positive"), n=40, seed=5)
    out = tmp_path / "bench"
    args = [
        "benchmark",
        "--models",
        "bow,vader",
        "--data",
        f"{a},{b}",
        "--set",
        "bow.min_df=1",
        "--out",
        str(out),
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "bow: accuracy (rows: trained on, columns: tested on)" in result.stdout
    assert "vader: accuracy" in result.stdout
    for model in ("bow", "vader"):
        frame = pd.read_csv(out / f"{model}_cross_domain.csv", index_col=0)
        assert list(frame.columns) == ["a.csv", "b.csv"] and list(frame.index) == ["a.csv", "b.csv"]
        assert (out / f"{model}_cross_domain.png").stat().st_size > 0
    summary = json.loads((out / "benchmark.json").read_text())
    assert summary["bow"]["accuracy"][0][0] == 1.0
    result = runner.invoke(main, ["benchmark", "--models", "bow,nope", "--data", str(a)])
    assert result.exit_code == 2 and "unknown model 'nope'" in result.stderr


# ============================================================================ explain / top-words
def test_explain_table_and_json(runner, trained):
    result = runner.invoke(main, ["explain", str(trained), "I love this wonderful chair"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("positive (") and "love" in result.stdout
    data = json.loads(runner.invoke(main, ["explain", str(trained), "I love it", "--json"]).stdout)
    total = data["base"] + sum(t["contribution"] for t in data["tokens"])
    assert total == pytest.approx(data["score"]) and data["exact"] is True


def test_top_words(runner, trained):
    result = runner.invoke(main, ["top-words", str(trained), "-n", "3", "--min-df", "2"])
    assert result.exit_code == 0, result.output
    assert "toward positive" in result.stdout and "weight" in result.stdout
    data = json.loads(runner.invoke(main, ["top-words", str(trained), "--json", "--min-df", "2"]).stdout)
    assert set(data) == {"negative", "neutral", "positive"}  # the labels themselves: plain keys
    assert {w["feature"] for w in data["positive"][:6]} & set(POSITIVE)


# ============================================================================ predict
def test_predict_texts_table_and_json(runner, trained):
    result = runner.invoke(main, ["predict", "--model", str(trained), "I love it", "awful and terrible"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["label", "score", "polarity", "text"]
    assert lines[1].startswith("positive") and lines[2].startswith("negative")
    result = runner.invoke(main, ["predict", "--model", str(trained), "--json", "I love it"])
    record = json.loads(result.stdout)
    assert set(record) == {"text", "label", "score", "polarity", "scores"} and record["label"] == "positive"
    assert record["score"] == max(record["scores"].values())


def test_predict_file_to_csv(runner, trained, tmp_path):
    path = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2, 3], "body": ["I love it", None, "awful day"]}).to_csv(path, index=False)
    out = tmp_path / "preds.csv"
    result = runner.invoke(
        main,
        ["predict", "--model", str(trained), "--file", str(path), "--text-col", "body", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame["id"]) == [1, 2, 3] and frame["sentilab_label"].tolist()[::2] == [
        "positive",
        "negative",
    ]
    assert pd.isna(frame["sentilab_label"][1]) and "1 of 3 texts were empty and got no label" in result.stderr
    assert {
        "sentilab_score",
        "sentilab_score_negative",
        "sentilab_score_neutral",
        "sentilab_score_positive",
    } <= set(frame.columns)
    result = runner.invoke(
        main, ["predict", "--model", str(trained), "--file", str(path), "--text-col", "text"]
    )
    assert result.exit_code == 2 and "column 'text' not in in.csv" in result.stderr


def test_predict_stdin_and_usage_errors(runner, trained):
    result = runner.invoke(main, ["predict", "--model", str(trained), "-"], input="I love it\nawful\n")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3
    assert runner.invoke(main, ["predict", "--model", str(trained)]).exit_code == 2
    assert "nothing to predict" in runner.invoke(main, ["predict", "--model", str(trained)]).output


def test_predict_without_model_trains_the_default_once_then_reuses_it(runner, tmp_path, monkeypatch):
    data = write_dataset(tmp_path / "mix.csv", n=90)
    recipe = defaults.Recipe(
        version=99, model="bow", params={"min_df": "1"}, datasets=(str(data),), held_out=(str(data),)
    )
    monkeypatch.setattr(defaults, "RECIPE", recipe)
    monkeypatch.setattr(defaults, "_LOADED", {})
    first = runner.invoke(main, ["predict", "I love it"])
    assert first.exit_code == 0, first.output
    assert "training sentilab's default model" in first.stderr and first.stdout.splitlines()[1].startswith(
        "positive"
    )
    directory = defaults.default_model_dir()
    meta = json.loads((directory / "meta.json").read_text())
    assert meta["default_recipe"]["version"] == 99 and meta["metrics"][f"test:{data}"]["accuracy"] == 1.0
    stamp = (directory / "weights.safetensors").stat().st_mtime_ns
    monkeypatch.setattr(defaults, "_LOADED", {})  # a new process: reads the cache from disk
    second = runner.invoke(main, ["predict", "awful day"])
    assert second.exit_code == 0 and "training" not in second.stderr
    assert (directory / "weights.safetensors").stat().st_mtime_ns == stamp
    explained = runner.invoke(main, ["explain", "default", "I love it"])
    assert explained.exit_code == 0 and "positive" in explained.stdout


def test_default_model_is_retrained_when_damaged_or_outdated(tmp_path, monkeypatch):
    data = write_dataset(tmp_path / "mix.csv", n=60)
    recipe = defaults.Recipe(version=1, model="bow", params={"min_df": "1"}, datasets=(str(data),))
    monkeypatch.setattr(defaults, "RECIPE", recipe)
    monkeypatch.setattr(defaults, "_LOADED", {})
    lines = []
    defaults.get_default_model(on_status=lines.append)
    (defaults.default_model_dir() / "labels.json").write_text("{")
    monkeypatch.setattr(defaults, "_LOADED", {})
    lines.clear()
    model = defaults.get_default_model(on_status=lines.append)
    assert "unusable" in lines[0] and list(model.classes_) == ["negative", "neutral", "positive"]
    monkeypatch.setattr(defaults, "RECIPE", defaults.Recipe(**{**recipe.__dict__, "version": 2}))
    monkeypatch.setattr(defaults, "_LOADED", {})
    lines.clear()
    defaults.get_default_model(on_status=lines.append)
    assert "older recipe" in lines[0]


def test_default_model_is_retrained_when_the_recipe_changes_without_a_version_bump(tmp_path, monkeypatch):
    # A recipe whose datasets changed while its version stayed the same once kept serving a stale model.
    one = write_dataset(tmp_path / "one.csv", n=60)
    two = write_dataset(tmp_path / "two.csv", n=60)
    recipe = defaults.Recipe(version=5, model="bow", params={"min_df": "1"}, datasets=(str(one),))
    monkeypatch.setattr(defaults, "RECIPE", recipe)
    monkeypatch.setattr(defaults, "_LOADED", {})
    defaults.get_default_model(on_status=None)
    monkeypatch.setattr(
        defaults, "RECIPE", defaults.Recipe(**{**recipe.__dict__, "datasets": (str(one), str(two))})
    )
    monkeypatch.setattr(defaults, "_LOADED", {})
    lines = []
    model = defaults.get_default_model(on_status=lines.append)
    assert "older recipe" in lines[0]
    assert model.metrics_ == json.loads((defaults.default_model_dir() / "meta.json").read_text())["metrics"]


# ============================================================================ what the data lost, and label sanity
def write_with_blank_texts(path):
    rows = ["text,label"]
    for i in range(30):
        rows += [
            f"great lovely thing {i},positive",
            f"awful horrible thing {i},negative",
            ",positive",
            '"  ",negative',
        ]
    rows += ["great lovely thing 0,positive", "no label here,"]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_train_and_evaluate_count_the_rows_they_dropped(runner, tmp_path):
    data = write_with_blank_texts(tmp_path / "blanks.csv")
    out = tmp_path / "m"
    result = runner.invoke(main, ["train", "--data", str(data), "--set", "min_df=1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("data: blanks.csv"))
    assert lines[start + 1 : start + 4] == [
        "  60 rows dropped: empty text",
        "  1 row dropped: no label",
        "  1 row dropped: exact duplicate text",
    ]
    result = runner.invoke(main, ["evaluate", str(out), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "blanks.csv: 60 rows dropped: empty text" in result.stdout
    assert "blanks.csv: 1 row dropped: no label" in result.stdout
    as_json = runner.invoke(main, ["evaluate", str(out), "--data", str(data), "--json"])
    assert json.loads(as_json.stdout)["accuracy"] == 1.0  # the counts go to stderr with --json
    assert "blanks.csv: 60 rows dropped: empty text" in as_json.stderr


def test_train_labels_option_accepts_the_named_set(runner, tmp_path):
    data = write_dataset(tmp_path / "two.csv", classes=("negative", "positive"), n=200)
    frame = pd.read_csv(data)
    frame["label"] = frame["label"].map(
        {"negative": "neg", "positive": "pos"}
    )  # aliases, as sources write them
    frame.to_csv(data, index=False)
    path = tmp_path / "with_meh.csv"
    pd.concat([frame, pd.DataFrame({"text": ["so so thing"], "label": ["meh"]})]).to_csv(path, index=False)
    refused = runner.invoke(main, ["train", "--data", str(path), "--out", str(tmp_path / "no")])
    assert refused.exit_code == 2 and "looks like a typo" in refused.stderr
    assert not (tmp_path / "no").exists()
    out = tmp_path / "m"
    args = [
        "train",
        "--data",
        str(data),
        "--labels",
        "negative,positive",
        "--set",
        "min_df=1",
        "--out",
        str(out),
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output  # aliases neg/pos match the names in --labels
    assert [str(c) for c in load_model(out).classes_] == ["negative", "positive"]
    one = runner.invoke(
        main, ["train", "--data", str(data), "--labels", "negative", "--out", str(tmp_path / "x")]
    )
    assert one.exit_code == 2 and "name at least two labels" in one.output


def test_predict_file_notes_bytes_that_are_not_utf8_like_train_does(runner, trained, tmp_path):
    path = tmp_path / "tweets.csv"
    path.write_bytes(b"text,label\ncaf\xe9 good thing,positive\nawful thing,negative\nhappy day,positive\n")
    predicted = runner.invoke(main, ["predict", "--model", str(trained), "--file", str(path), "--json"])
    assert predicted.exit_code == 0, predicted.output
    note = (
        "note: tweets.csv: 1 rows had bytes that are not valid UTF-8; they were replaced with U+FFFD and kept"
    )
    assert note in predicted.stderr
    assert json.loads(predicted.stdout.splitlines()[0])["text"] == "caf\ufffd good thing"
    evaluated = runner.invoke(main, ["evaluate", str(trained), "--data", str(path)])
    assert note in evaluated.stderr  # the same words from the same function


def test_header_only_file_says_so_in_every_command(runner, trained, tmp_path):
    path = tmp_path / "head.csv"
    path.write_text("text,label\n")
    for args in (
        ["train", "--data", str(path), "--out", str(tmp_path / "m")],
        ["predict", "--model", str(trained), "--file", str(path)],
        ["evaluate", str(trained), "--data", str(path)],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, args
        assert "error: head.csv has a header (text, label) but no rows" in result.stderr, args


def test_train_on_a_file_without_labels_names_the_option_to_use(runner, tmp_path):
    path = tmp_path / "unlabelled.csv"
    path.write_text("text,stars_given\nhello,1\nbye,2\n")
    result = runner.invoke(main, ["train", "--data", str(path), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "omit split" not in result.output and "--label-col" in result.stderr
    assert "the other columns are: stars_given" in result.stderr


# ============================================================================ --json and --neutral-band
def test_train_json_is_the_only_thing_on_stdout(runner, data3, tmp_path):
    result = runner.invoke(
        main, ["train", "--data", str(data3), "--set", "min_df=1", "--out", str(tmp_path / "m"), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["model_dir"] == str(tmp_path / "m") and summary["train_rows"] == 72
    assert summary["validation"]["accuracy"] == 1.0 and summary["settings"] == {"min_df": 1}
    assert "saved →" in result.stderr


def test_benchmark_json_prints_one_matrix_per_model(runner, data3, tmp_path):
    result = runner.invoke(
        main,
        [
            "benchmark",
            "--models",
            "bow",
            "--data",
            str(data3),
            "--set",
            "min_df=1",
            "--out",
            str(tmp_path / "b"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    matrix = json.loads(line)
    assert matrix["model"] == "bow" and len(matrix["accuracy"]) == 1


@pytest.mark.parametrize(
    "command",
    [["train", "--data", "vader-tweets"], ["evaluate", "MODEL", "--data", "vader-tweets"]],
    ids=["train", "evaluate"],
)
def test_neutral_band_reaches_the_labelling(runner, trained, monkeypatch, command):
    """Ratings become labels when the data is loaded: the option must get there (the VADER sets' band)."""
    import sentilab.data
    from sentilab.errors import DataError

    seen = []

    def spy(name, **options):
        seen.append(options.get("neutral_band"))
        raise DataError("stop here")

    monkeypatch.setattr(sentilab.data, "load_dataset", spy)
    args = [str(trained) if part == "MODEL" else part for part in command]
    result = runner.invoke(main, [*args, "--neutral-band", "1.5"])
    assert result.exit_code == 2 and seen == [1.5]
    assert runner.invoke(main, [*args, "--neutral-band", "-1"]).exit_code == 2  # refused by the option
