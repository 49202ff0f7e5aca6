"""``sentilab analyze``: any table or registry dataset in, report and tables out, clean errors."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sentilab.cli import main
from sentilab.models import MODELS
from tests.conftest import SIX_LABELS, SIX_TEXTS
from tests.test_documents import doc, keyword_model


@pytest.fixture
def model_dir(tmp_path, monkeypatch):
    """A saved model that loads through the real registry and load path."""
    monkeypatch.setitem(MODELS, "test-keyword", "tests.test_documents:KeywordModel")
    return keyword_model().save(tmp_path / "model")


@pytest.fixture
def speeches_csv(tmp_path):
    path = tmp_path / "speeches.csv"
    pd.DataFrame(
        {
            "speaker": ["Ann", "Bob", "Ann", "Cy"],
            "speech": [doc("good", "good", "bad"), doc("bad", "meh"), doc("good"), "  "],
            "source": ["a", "b", "c", "d"],
        }
    ).to_csv(path, index=False)
    return path


def run(*args):
    return CliRunner().invoke(main, ["analyze", *map(str, args)], catch_exceptions=False)


def test_analyze_a_csv_writes_the_report_and_prints_the_summary(speeches_csv, model_dir, tmp_path):
    out = tmp_path / "out"
    result = run(speeches_csv, "--text-col", "speech", "--group-col", "speaker", "--model", model_dir,
                 "--words", 5, "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"3 documents → 6 paragraphs (~5 words) → {out / 'report.html'}" in result.output
    assert "skipped 1 document(s) without text: 3 (empty text)" in result.output
    assert "speaker: most positive Ann (75% positive paragraphs), least Bob (0%)" in result.output
    for name in ("report.html", "paragraphs.csv", "documents.csv", "groups.csv", "skipped.csv",
                 "shares-speaker.png", "arcs-01.png"):  # fmt: skip
        assert (out / name).is_file(), name
    groups = pd.read_csv(out / "groups.csv")
    assert groups[["group", "paragraphs"]].values.tolist() == [["Ann", 4], ["Bob", 2]]


def test_text_and_group_columns_have_sensible_defaults(speeches_csv, model_dir, tmp_path):
    # 'speech' is a conventional text column name and 'speaker' a conventional group column.
    result = run(speeches_csv, "--model", model_dir, "--words", 5, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "text column 'speech'" in result.output and "groups: speaker" in result.output
    assert set(pd.read_csv(tmp_path / "out" / "groups.csv")["group_by"]) == {"speaker"}


def test_a_missing_column_lists_the_columns_of_the_file(speeches_csv, model_dir):
    result = run(speeches_csv, "--text-col", "review", "--model", model_dir)
    assert result.exit_code == 2
    assert (
        "error: column 'review' not in speeches.csv; its columns are: speaker, speech, source"
        in result.output
    )
    assert "Traceback" not in result.output
    result = run(speeches_csv, "--text-col", "speech", "--group-col", "party", "--model", model_dir)
    assert result.exit_code == 2
    assert "column 'party' not in speeches.csv" in result.output and "--group-col" in result.output


@pytest.mark.parametrize("suffix", [".tsv", ".jsonl", ".parquet"])
def test_other_table_formats(suffix, model_dir, tmp_path):
    frame = pd.DataFrame({"text": [doc("good", "bad"), doc("meh")], "party": ["x", "y"]})
    path = tmp_path / f"docs{suffix}"
    if suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".jsonl":
        path.write_text("\n".join(json.dumps(r) for r in frame.to_dict("records")) + "\n", encoding="utf-8")
    else:
        pytest.importorskip("pyarrow")
        frame.to_parquet(path)
    result = run(path, "--model", model_dir, "--words", 5, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "2 documents → 3 paragraphs (~5 words)" in result.output
    assert "groups: party" in result.output


def test_bad_arguments_give_one_line_errors(speeches_csv, model_dir, tmp_path):
    result = run(tmp_path / "nope.csv", "--model", model_dir)
    assert result.exit_code == 2 and "does not exist" in result.output
    result = run(speeches_csv, "--model", tmp_path / "no-model")
    assert result.exit_code == 2 and "model directory" in result.output and "does not exist" in result.output
    result = run(speeches_csv, "--model", model_dir, "--words", 0)
    assert result.exit_code == 2 and "--words" in result.output
    empty = tmp_path / "empty.csv"
    pd.DataFrame({"text": ["", " "], "speaker": ["a", "b"]}).to_csv(empty, index=False)
    result = run(empty, "--model", model_dir)
    assert (
        result.exit_code == 2 and "all 2 documents in empty.csv have empty or missing text" in result.output
    )
    for output in (result.output,):
        assert "Traceback" not in output


def test_help_teaches():
    result = CliRunner().invoke(main, ["analyze", "--help"])
    assert result.exit_code == 0
    for expected in (
        "convention-speeches",
        "--group-col",
        "--words",
        "P(positive) - P(negative)",
        "Examples:",
    ):
        assert expected in result.output
    assert "analyze" in CliRunner().invoke(main, ["--help"]).output


def test_with_a_real_bag_of_words_model(speeches_csv, tmp_path):
    if "bow" not in MODELS:
        pytest.skip("the bow model is not registered in this checkout")
    from sentilab.models import create_model

    create_model("bow").fit(SIX_TEXTS, SIX_LABELS).save(tmp_path / "bow")
    result = run(speeches_csv, "--model", tmp_path / "bow", "--words", 5, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert re.search(r"3 documents → 6 paragraphs \(~5 words\)", result.output)
    table = pd.read_csv(tmp_path / "out" / "paragraphs.csv")
    assert set(table.columns) >= {"p_negative", "p_positive", "score", "polarity", "label", "speaker", "text"}
    assert table["polarity"].between(-1, 1).all()
    np.testing.assert_allclose(table["polarity"], table["p_positive"] - table["p_negative"])
    # score: the probability of each paragraph's label (a tie, neutral for this two-class model, has none)
    decided = table["label"] != "neutral"
    chosen = np.where(table["label"] == "positive", table["p_positive"], table["p_negative"])
    np.testing.assert_allclose(table.loc[decided, "score"], chosen[decided])


@pytest.mark.network
def test_convention_speeches_from_the_registry(model_dir, tmp_path):
    result = run("convention-speeches", "--model", model_dir, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    match = re.search(r"(\d+) documents → ([\d,]+) paragraphs \(~100 words\)", result.output)
    assert match and int(match.group(1)) >= 240 and int(match.group(2).replace(",", "")) > 1500
    groups = pd.read_csv(tmp_path / "out" / "groups.csv")
    assert set(groups["group_by"]) == {"speaker", "party"}
    assert set(groups.loc[groups["group_by"] == "party", "group"]) == {"democrat", "republican"}


def test_analyze_json_puts_only_the_results_on_stdout(speeches_csv, model_dir, tmp_path):
    import json

    out = tmp_path / "out"
    result = run(speeches_csv, "--model", model_dir, "--words", 5, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["report"] == str(out / "report.html") and "paragraphs" not in data
    assert [row["paragraphs"] for row in data["groups"]] == [4, 2]
    assert "mean_polarity" in data["groups"][0] and "mean_score" not in data["groups"][0]
    assert data["polarity"].startswith("polarity = P(positive) − P(negative)") and "score" not in data
    assert "most positive Ann" in result.stderr
