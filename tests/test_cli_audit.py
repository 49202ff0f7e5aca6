"""``sentilab audit``: the files it writes, its summary, the default model, and its errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sentilab.cli import main
from sentilab.models import MODELS
from tests.conftest import SIX_LABELS, SIX_TEXTS
from tests.test_audit import THREE, LexiconToy, eec_layout

FAST = ["--resamples", "200", "--per-test", "20"]


@pytest.fixture
def toy_dir(tmp_path, monkeypatch):
    """A saved toy model with a planted bias against female persons (registered so that it loads)."""
    monkeypatch.setitem(MODELS, LexiconToy.name, "tests.test_audit:LexiconToy")
    model = LexiconToy(bias_against="female", bias=0.3, noise=0.2).fit(THREE, THREE)
    return model.save(tmp_path / "toy")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_audit_writes_json_charts_and_a_self_contained_report(toy_dir, tmp_path):
    out = tmp_path / "audit"
    result = run("audit", toy_dir, "--out", out, *FAST)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".sentilab-output.json",  # the marker that lets a later audit replace this one, and nothing else
        "audit.json", "behaviour.png", "fairness-gender.png", "fairness-race.png", "report.html",
    ]  # fmt: skip
    data = json.loads((out / "audit.json").read_text())
    gender = next(
        c for c in data["fairness"]["comparisons"] if (c["dimension"], c["subset"]) == ("gender", "all")
    )
    assert gender["significant"] is True and gender["ci_high"] < 0
    assert data["model"]["source"] == str(toy_dir) and data["fairness"]["n_resamples"] == 200
    html = (out / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 3  # self-contained: nothing fetched from anywhere
    assert 'src="http' not in html and "<link" not in html
    assert "female − male" in html and "Behaviour tests" in html
    # The summary: the planted bias is flagged, race is not, and every behaviour test has its rate.
    lines = result.stdout.splitlines()
    gender_line = next(line for line in lines if line.startswith("gender") and " all " in line)
    race_line = next(line for line in lines if line.startswith("race") and " all " in line)
    assert "FLAGGED" in gender_line and "FLAGGED" not in race_line
    assert any(line.startswith("negated positive lowers the polarity") and "0/20" in line for line in lines)
    assert "report.html" in lines[-1]


def test_audit_of_a_real_bow_model(tmp_path):
    if "bow" not in MODELS:
        pytest.skip("the bow model is not registered")
    from sentilab.models import create_model

    create_model("bow").fit(SIX_TEXTS, SIX_LABELS).save(tmp_path / "bow")
    result = run("audit", tmp_path / "bow", "--out", tmp_path / "out", *FAST, "--sample-units", "40")
    assert result.exit_code == 0, result.output
    assert "polarity = P(positive) - P(negative)" in result.output
    assert "fairness: built-in templates, 2,400 sentences (40 sampled units)" in result.output
    data = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert data["model"]["name"] == "bow" and len(data["behaviour"]["tests"]) == 11


def test_audit_a_template_corpus(toy_dir, tmp_path):
    corpus = eec_layout(tmp_path)
    out = tmp_path / "eec"
    result = run(
        "audit", toy_dir, "--out", out, "--templates", corpus, "--group-col", "Gender", "--group-col", "Race",
        "--match-col", "Template", "--match-col", "Emotion word", "--person-col", "Person", "--by", "Emotion",
        "--no-behaviour", "--resamples", "200",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((out / "audit.json").read_text())
    assert data["behaviour"] is None and data["fairness"]["sentence_col"] == "Sentence"  # found by name
    assert data["fairness"]["source"] == str(corpus)
    assert sorted(p.name for p in out.iterdir()) == [
        ".sentilab-output.json",
        "audit.json",
        "fairness-gender.png",
        "fairness-race.png",
        "report.html",
    ]
    assert f"fairness: {corpus}, 30 sentences" in result.output


def test_bad_template_columns_are_a_clean_error(toy_dir, tmp_path):
    corpus = eec_layout(tmp_path)
    result = CliRunner().invoke(
        main,
        [
            "audit",
            str(toy_dir),
            "--out",
            str(tmp_path / "o"),
            "--templates",
            str(corpus),
            "--group-col",
            "Sex",
        ],
    )
    assert result.exit_code == 2
    assert "error: group column 'Sex' is not in" in result.output
    assert (
        "its columns are: ID, Sentence, Template, Person, Gender, Race, Emotion, Emotion word"
        in result.output
    )
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()
    result = CliRunner().invoke(
        main, ["audit", str(toy_dir), "--out", str(tmp_path / "o"), "--templates", str(corpus)]
    )
    assert result.exit_code == 2 and "name the group columns" in result.output and "Gender" in result.output


def test_option_mistakes_are_clean_errors(toy_dir, tmp_path):
    out = str(tmp_path / "o")
    result = CliRunner().invoke(main, ["audit", str(toy_dir), "--out", out, "--group-col", "Gender"])
    assert result.exit_code == 2 and "--group-col only apply with --templates FILE" in result.output
    result = CliRunner().invoke(
        main, ["audit", str(toy_dir), "--out", out, "--no-fairness", "--no-behaviour"]
    )
    assert result.exit_code == 2 and "nothing to audit" in result.output
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "nope"), "--out", out])
    assert result.exit_code == 2 and "does not exist" in result.output
    result = CliRunner().invoke(main, ["audit", str(toy_dir), "--out", out, "--resamples", "5"])
    assert result.exit_code == 2 and "--resamples" in result.output


def test_without_a_model_the_default_model_is_audited(monkeypatch, tmp_path):
    from sentilab import defaults

    toy = LexiconToy().fit(["bad", "good"], ["negative", "positive"])
    monkeypatch.setattr(defaults, "get_default_model", lambda **kwargs: toy)
    result = run("audit", "--out", tmp_path / "out", "--no-fairness", "--per-test", "10")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("model: default model (audit-toy")
    assert json.loads((tmp_path / "out" / "audit.json").read_text())["model"]["source"] == "default model"
    as_json = run("audit", "--out", tmp_path / "out2", "--no-fairness", "--per-test", "10", "--json")
    data = json.loads(as_json.stdout)
    assert data["fairness"] is None and data == json.loads((tmp_path / "out2" / "audit.json").read_text())


def test_help_teaches():
    result = CliRunner().invoke(main, ["audit", "--help"])
    assert result.exit_code == 0
    for words in (
        "--templates",
        "--group-col",
        "--match-col",
        "--person-col",
        "Equity-Evaluation-Corpus.csv",
        "P(positive) - P(negative)",
    ):
        assert words in result.output
