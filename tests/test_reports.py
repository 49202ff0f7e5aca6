"""The reports room: each writer turns a plain result into its files (the big pages have their own tests in
test_evaluate, test_explore, test_documents and test_demo; these cover the smaller writers and the demo's
pages, which the quick demo only reaches with the registries)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from sentilab.evaluate import CrossDomain, evaluate_proba
from sentilab.explain import Explanation
from sentilab.plots.evaluate import plot_cross_domain
from sentilab.reports.demo import write_demo_index, write_explanations_page, write_models_page
from sentilab.reports.evaluation import (
    write_benchmark_summary,
    write_cross_domain_report,
    write_evaluation_report,
)

PNG = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.images, self.spans, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.links.append(attrs["href"])
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "span" and "style" in attrs:
            self.spans.append(attrs)

    def handle_data(self, data):
        self.text.append(data)


def parse(path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture
def matrix() -> CrossDomain:
    return CrossDomain(
        model="bow",
        train=["tweets", "reviews"],
        test=["tweets", "reviews"],
        accuracy=[[0.9, 0.6], [0.55, 0.8]],
        macro_f1=[[0.8, 0.5], [0.5, 0.7]],
        n_train=[10, 20],
        n_test=[5, 6],
        markers=[["", "†"], ["*", ""]],
    )


# ============================================================================ evaluation
def test_evaluation_report_shows_the_notes_and_every_class(tmp_path):
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    result = evaluate_proba(proba, ["negative", "positive"], ["negative", "positive", "positive", "positive"])
    result.notes.append("dropped 3 'neutral' gold rows")
    paths = write_evaluation_report(result, tmp_path / "new" / "dir")
    assert set(paths) == {"metrics", "confusion", "reliability", "report"}
    assert json.loads(paths["metrics"].read_text()) == json.loads(json.dumps(result.to_dict()))
    page = parse(paths["report"])
    text = " ".join(page.text)
    assert "dropped 3 'neutral' gold rows" in text and "model on data" in text  # unnamed model and data
    assert "negative" in page.text and "positive" in page.text  # one per-class row each
    assert len(page.images) == 2 and all(src.startswith("data:image/png;base64,") for src in page.images)


def test_cross_domain_files_and_the_legend_passed_to_the_figure(matrix, tmp_path):
    paths = write_cross_domain_report(matrix, tmp_path)
    assert [p.name for p in paths.values()] == [
        "bow_cross_domain.csv",
        "bow_cross_domain.json",
        "bow_cross_domain.png",
    ]
    assert pd.read_csv(paths["csv"], index_col=0).loc["reviews", "tweets"] == 0.55
    assert json.loads(paths["json"].read_text())["markers"] == [["", "†"], ["*", ""]]
    assert paths["png"].read_bytes()[:8] == PNG

    # The figure takes the legend as a value: it explains the markers used, and only those.
    figure = plot_cross_domain(matrix.frame(), markers=matrix.markers, legend=CrossDomain.LEGEND)
    xlabel = figure.axes[0].get_xlabel()
    assert f"* {CrossDomain.LEGEND['*']}" in xlabel and f"† {CrossDomain.LEGEND['†']}" in xlabel
    plain = plot_cross_domain(matrix.frame(), markers=[["", ""], ["", ""]], legend=CrossDomain.LEGEND)
    assert plain.axes[0].get_xlabel() == "tested on"


def test_benchmark_summary_pairs_each_model_with_its_files(matrix, tmp_path):
    vader = CrossDomain(**{**matrix.to_dict(), "model": "vader"})
    written = [(result, write_cross_domain_report(result, tmp_path)) for result in (matrix, vader)]
    path = write_benchmark_summary(written, tmp_path)
    summary = json.loads(path.read_text())
    assert path == tmp_path / "benchmark.json" and list(summary) == ["bow", "vader"]
    assert summary["vader"]["accuracy"] == matrix.accuracy
    assert summary["vader"]["files"]["png"] == str(tmp_path / "vader_cross_domain.png")


# ============================================================================ the demo's pages
def test_models_page_links_each_model_report_and_embeds_the_matrix(matrix, tmp_path):
    png = write_cross_domain_report(matrix, tmp_path)["png"]
    rows = [
        {"model": "bow", "accuracy": 0.71, "macro-F1": 0.7, "ECE": 0.05, "vader-tweets": 0.6},
        {"model": "vader", "accuracy": 0.55, "macro-F1": 0.5, "ECE": 0.2, "vader-tweets": 0.7},
    ]
    page = parse(write_models_page(tmp_path, rows, matrix, png))
    assert page.links == ["bow/report.html", "vader/report.html"]
    text = "".join(page.text)
    assert "Cross-domain matrix (bow; trained on rows, tested on columns)" in text
    assert "\n".join(matrix.lines()) in text  # the matrix as the terminal shows it, with its legend
    assert "vader-tweets" in text and len(page.images) == 1


def test_explanations_page_shades_tokens_by_contribution_and_escapes_them(tmp_path):
    explanation = Explanation(
        text="<b>great</b> but slow",
        target="positive",
        method="linear",
        exact=True,
        scale="log-odds",
        score=1.0,
        base=0.0,
        probabilities={"negative": 0.2, "positive": 0.8},
        tokens=[
            {"token": "<b>great</b>", "contribution": 2.0},
            {"token": "but", "contribution": 0.0},
            {"token": "slow", "contribution": -1.0},
        ],
    )
    path = write_explanations_page(tmp_path / "explain" / "report.html", {"bow": [explanation]})
    html = path.read_text(encoding="utf-8")
    assert "&lt;b&gt;great&lt;/b&gt;" in html and "<b>great</b>" not in html
    page = parse(path)
    assert "bow" in page.text and "positive" in page.text and " (0.80): " in page.text
    styles = [span["style"] for span in page.spans]
    # the strongest token is 0.75 opaque, the others in proportion; green pushes towards the label
    assert styles[0].startswith("background:rgba(60,157,93,0.75)")
    assert styles[2].startswith("background:rgba(217,83,79,0.38)")
    assert [span["title"] for span in page.spans] == ["+2.000", "+0.000", "-1.000"]


class _Step:
    def __init__(self, title, summary=(), links=None, seconds=1.0, error=None):
        self.title, self.summary, self.links = title, list(summary), links or {}
        self.seconds, self.error = seconds, error


def test_demo_index_while_running_links_only_what_worked(tmp_path):
    steps = [
        _Step("Fetch", ["9 datasets"], {"data report": "data/report.html"}),
        _Step("Train <fast>", error="out of memory & more", links={"half a model": "models/"}),
    ]
    path = write_demo_index(tmp_path, steps, total_steps=7, total_seconds=30.0, finished=False)
    assert path == tmp_path / "index.html"
    page = parse(path)
    text = " ".join(page.text)
    assert "(running, 0.5 minutes): 1 of 7 steps completed, 1 failed" in text
    assert page.links == ["data/report.html"]  # a failed step's links are not offered
    assert "2. Train <fast>" in text and "out of memory & more" in text  # shown as text, escaped in HTML
    assert "Train &lt;fast&gt;" in path.read_text(encoding="utf-8")


def test_demo_index_shows_the_key_charts_above_the_links(matrix, tmp_path):
    speakers = pd.DataFrame(
        {
            "group": [f"Speaker {i}" for i in range(30)],
            "share_positive": np.linspace(1, 0, 30),
            "share_neutral": np.zeros(30),
            "share_negative": np.linspace(0, 1, 30),
            "paragraphs": np.arange(1, 31),
        }
    )
    accuracy = {"tweets (held out)": {"bow": 0.7, "vader": 0.55}, "reviews": {"bow": 0.6, "vader": 0.7}}
    steps = [_Step("Evaluate", ["done"], {"models side by side": "evaluate/report.html"})]
    path = write_demo_index(
        tmp_path,
        steps,
        total_steps=2,
        total_seconds=60.0,
        finished=False,
        accuracy=accuracy,
        cross_domain=matrix,
        speaker_shares=speakers,
    )
    html = path.read_text(encoding="utf-8")
    page = parse(path)
    assert len(page.images) == 3 and all(src.startswith("data:image/png;base64,") for src in page.images)
    text = " ".join(page.text)
    assert "the 10 most positive and the 10 most negative of 30 speakers" in text
    # charts first, then the links
    assert html.index("Key results") < html.index("<img") < html.index("Where the results are")
    assert html.index("Where the results are") < html.index("evaluate/report.html")


def test_demo_index_shows_only_the_charts_whose_steps_worked(matrix, tmp_path):
    page = parse(write_demo_index(tmp_path, [], total_steps=7, total_seconds=1.0, finished=False))
    assert page.images == [] and "Key results" not in page.text  # nothing has run: no chart, no heading
    page = parse(
        write_demo_index(tmp_path, [], total_steps=7, total_seconds=1.0, finished=False, cross_domain=matrix)
    )
    assert len(page.images) == 1 and "Cross-domain accuracy: the diagonal is in-domain." in page.text
