"""Paragraph scoring and aggregation (hand-computed), the tie rule, bad input, streaming, figures, the report."""

from __future__ import annotations

import base64
import math
import tracemalloc
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from sentilab.documents import (
    RunningShares,
    analyze_documents,
    analyze_stream,
    class_polarities,
    label_paragraphs,
)
from sentilab.errors import DataError, ModelError
from sentilab.models.base import SentimentModel
from sentilab.reports.documents import write_documents_report

# Probabilities the test model gives a paragraph containing each keyword (negative, neutral, positive).
THREE_CLASS = {
    "good": (0.1, 0.2, 0.7),
    "bad": (0.8, 0.1, 0.1),
    "meh": (0.2, 0.6, 0.2),
    "tie": (0.4, 0.2, 0.4),
}
TWO_CLASS = {"good": (0.25, 0.75), "bad": (0.75, 0.25), "tie": (0.5, 0.5), "meh": (0.5, 0.5)}


class KeywordModel(SentimentModel):
    """A model whose probabilities the tests control: the first keyword found in a text decides them."""

    name = "test-keyword"

    def __init__(self, *, classes: int = 3):
        self.classes = classes

    def _fit(self, texts, y, validation) -> None:
        self.calls_ = 0

    def _table(self):
        return THREE_CLASS if len(self.classes_) == 3 else TWO_CLASS

    def _predict_proba(self, texts):
        self.calls_ = getattr(self, "calls_", 0) + 1
        self.batch_sizes_ = [*getattr(self, "batch_sizes_", []), len(texts)]
        table = self._table()
        rows = []
        for text in texts:
            lowered = text.lower()
            found = min(
                (lowered.find(key), key) for key in table if key in lowered
            ) if any(key in lowered for key in table) else (0, "meh")  # fmt: skip
            rows.append(table[found[1]])
        return np.array(rows, dtype=float)

    def _get_state(self):
        return {"unused": np.zeros(1)}, {"classes": self.classes}


def keyword_model(classes: int = 3) -> KeywordModel:
    labels = ["negative", "neutral", "positive"] if classes == 3 else ["negative", "positive"]
    return KeywordModel(classes=classes).fit(labels, labels)


def para(keyword: str, number: int) -> str:
    """A five-word paragraph ending a sentence, e.g. 'good words here number 3.'"""
    return f"{keyword} words here number {number}."


def doc(*keywords: str) -> str:
    return "\n\n".join(para(k, i) for i, k in enumerate(keywords))


@pytest.fixture
def speeches() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "speaker": ["X", "Y", "X", "Z", "W"],
            "party": ["P", "P", "Q", "Q", "P"],
            "speech": [doc("good", "good", "bad", "meh"), doc("bad", "bad"), doc("good"), "   \n ", None],
        }
    )


# ----------------------------------------------------------------------------- labels, scores, polarities
def test_label_score_and_polarity_definitions():
    proba = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.2, 0.6, 0.2], [0.4, 0.2, 0.4]])
    labels, scores, polarities = label_paragraphs(proba, ["negative", "neutral", "positive"])
    assert labels.tolist() == ["positive", "negative", "neutral", "neutral"]
    np.testing.assert_allclose(scores, [0.7, 0.8, 0.6, 0.2])  # the probability of each label
    np.testing.assert_allclose(polarities, [0.6, -0.7, 0.0, 0.0])  # P(positive) - P(negative)


@pytest.mark.parametrize(
    "proba, sentiments, band, expected",
    [
        ([0.5, 0.5], ["negative", "positive"], 0.0, "neutral"),  # an exact two-way tie: no preference
        ([0.4, 0.2, 0.4], ["negative", "neutral", "positive"], 0.0, "neutral"),
        ([0.4, 0.4, 0.2], ["negative", "neutral", "positive"], 0.0, "neutral"),
        ([0.25, 0.75], ["negative", "positive"], 0.5, "positive"),  # |polarity| == band: not neutral
        ([0.75, 0.25], ["negative", "positive"], 0.5, "negative"),
        ([0.25, 0.75], ["negative", "positive"], 0.5000001, "neutral"),  # just inside the band
        ([0.75, 0.25], ["positive", "negative"], 0.0, "positive"),  # class order does not matter
    ],
)
def test_a_paragraph_exactly_at_a_threshold_gets_exactly_one_label(proba, sentiments, band, expected):
    labels, _, _ = label_paragraphs(np.array([proba]), sentiments, band)
    assert labels.tolist() == [expected]


def test_every_paragraph_gets_exactly_one_label_on_a_grid_of_probabilities():
    p = np.round(np.linspace(0, 1, 41), 10)
    proba = np.stack([1 - p, p], axis=1)  # includes 0.5 / 0.5 exactly
    for band in (0.0, 0.25, 0.5):
        labels, scores, polarities = label_paragraphs(proba, ["negative", "positive"], band)
        assert set(labels) <= {"negative", "neutral", "positive"} and len(labels) == len(p)
        assert ((polarities > 0) & (np.abs(polarities) >= band) == (labels == "positive")).all()
        assert ((polarities < 0) & (np.abs(polarities) >= band) == (labels == "negative")).all()
        # score: the probability of the label; a two-class model has none for "neutral"
        np.testing.assert_allclose(scores[labels == "positive"], p[labels == "positive"])
        np.testing.assert_allclose(scores[labels == "negative"], 1 - p[labels == "negative"])
        assert np.isnan(scores[labels == "neutral"]).all()


def test_class_polarities_accepts_named_and_numeric_schemes_and_refuses_others():
    assert class_polarities(["negative", "neutral", "positive"]) == ["negative", "neutral", "positive"]
    assert class_polarities(np.array(["NEG", "POS"])) == ["negative", "positive"]
    assert class_polarities(np.array([0, 4])) == ["negative", "positive"]
    assert class_polarities(["-1", "0", "1"]) == ["negative", "neutral", "positive"]
    with pytest.raises(ModelError, match=r"cannot tell which of the model's classes \['cat', 'dog'\]"):
        class_polarities(["cat", "dog"])
    with pytest.raises(ModelError, match="positive and negative"):
        class_polarities(["neutral", "positive"])


# ----------------------------------------------------------------------------- aggregation
def test_shares_and_mean_polarities_match_hand_computation(speeches):
    analysis = analyze_documents(
        speeches, keyword_model(), text_col="speech", group_cols=["speaker", "party"], words=5, progress=False
    )
    assert analysis.summary() == "3 documents → 7 paragraphs (~5 words); 2 empty documents skipped"

    paragraphs = analysis.paragraphs
    assert paragraphs["label"].tolist() == ["positive", "positive", "negative", "neutral"] + [
        "negative"
    ] * 2 + ["positive"]
    np.testing.assert_allclose(paragraphs["polarity"], [0.6, 0.6, -0.7, 0.0, -0.7, -0.7, 0.6])
    np.testing.assert_allclose(paragraphs["score"], [0.7, 0.7, 0.8, 0.6, 0.8, 0.8, 0.7])  # P(label)
    np.testing.assert_allclose(paragraphs["p_positive"], [0.7, 0.7, 0.1, 0.2, 0.1, 0.1, 0.7])
    for row in paragraphs.itertuples():  # offsets point into the document's own text
        assert speeches.loc[row.document, "speech"][row.start : row.end] == row.text

    documents = analysis.documents.set_index("document")
    assert documents.loc[0, ["share_positive", "share_neutral", "share_negative"]].tolist() == [
        0.5,
        0.25,
        0.25,
    ]
    assert documents.loc[0, "mean_polarity"] == pytest.approx(0.125)
    assert documents.loc[1, "share_negative"] == 1.0
    assert documents.loc[1, "mean_polarity"] == pytest.approx(-0.7)
    assert documents.loc[2, "title"] == "X · Q"

    speaker = analysis.group_table("speaker").set_index("group")
    assert list(speaker.index) == ["X", "Y"]  # most positive first; Z and W had no text
    assert speaker.loc["X", ["documents", "paragraphs"]].tolist() == [2, 5]
    assert speaker.loc["X", ["share_positive", "share_neutral", "share_negative"]].tolist() == pytest.approx(
        [3 / 5, 1 / 5, 1 / 5]
    )
    assert speaker.loc["X", "mean_polarity"] == pytest.approx(0.22)
    party = analysis.group_table("party").set_index("group")
    assert party.loc["P", ["documents", "paragraphs"]].tolist() == [2, 6]
    assert party.loc["P", "share_negative"] == pytest.approx(0.5)
    assert party.loc["P", "mean_polarity"] == pytest.approx(-0.15)
    assert party.loc["Q", ["documents", "paragraphs", "share_positive"]].tolist() == [1, 1, 1.0]
    shares = analysis.groups[["share_positive", "share_neutral", "share_negative"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)

    assert analysis.skipped[["document", "reason"]].values.tolist() == [
        [3, "empty text"],
        [4, "missing text"],
    ]
    assert analysis.skipped["speaker"].tolist() == ["Z", "W"]


def test_the_analysis_is_plain_json_ready_data(speeches):
    import json

    analysis = analyze_documents(speeches, keyword_model(), text_col="speech", group_cols=["party"], words=5)
    data = json.loads(json.dumps(analysis.to_dict()))
    assert data["summary"] == analysis.summary() and data["classes"] == ["negative", "neutral", "positive"]
    assert len(data["paragraphs"]) == 7 and data["paragraphs"][0]["label"] == "positive"
    assert data["groups"][0] == {
        "group_by": "party",
        "group": "Q",
        "documents": 1,
        "paragraphs": 1,
        "words": 5,
        "share_positive": 1.0,
        "share_neutral": 0.0,
        "share_negative": 0.0,
        "mean_polarity": pytest.approx(0.6),
    }
    assert data["polarity"].startswith("polarity = P(positive) − P(negative)")
    assert data["paragraphs"][0]["score"] == pytest.approx(0.7)  # P(positive), the label's probability
    assert data["paragraphs"][0]["polarity"] == pytest.approx(0.6)
    assert data["skipped"][1]["reason"] == "missing text"
    assert "paragraphs" not in analysis.to_dict(paragraphs=False)


def test_two_class_model_ties_are_neutral_and_the_band_widens_neutral():
    frame = pd.DataFrame({"text": [doc("good", "tie", "bad", "tie")]})
    analysis = analyze_documents(frame, keyword_model(2), words=5, progress=False)
    assert analysis.paragraphs["label"].tolist() == ["positive", "neutral", "negative", "neutral"]
    # a tie has no label probability: the model has no neutral class
    np.testing.assert_allclose(analysis.paragraphs["score"], [0.75, np.nan, 0.75, np.nan])
    np.testing.assert_allclose(analysis.paragraphs["polarity"], [0.5, 0.0, -0.5, 0.0])
    assert analysis.documents.loc[0, ["share_positive", "share_neutral", "share_negative"]].tolist() == [
        0.25,
        0.5,
        0.25,
    ]
    banded = analyze_documents(frame, keyword_model(2), words=5, neutral_band=0.5, progress=False)
    assert banded.paragraphs["label"].tolist() == [
        "positive",
        "neutral",
        "negative",
        "neutral",
    ]  # |0.5| == band
    wider = analyze_documents(frame, keyword_model(2), words=5, neutral_band=0.75, progress=False)
    assert wider.paragraphs["label"].tolist() == ["neutral"] * 4


def test_paragraphs_are_scored_in_batches():
    texts = [doc(*(["good", "bad"] * 5)) for _ in range(4)]  # 4 documents x 10 paragraphs
    model = keyword_model()
    model.batch_sizes_ = []
    analysis = analyze_documents(texts, model, words=5, batch_size=16, progress=False)
    assert len(analysis.paragraphs) == 40
    assert model.batch_sizes_ == [16, 16, 8]  # batches cross documents; never more than batch_size
    assert analysis.documents["title"].tolist() == [f"document {i}" for i in range(4)]


def test_a_dataset_object_and_an_id_column_are_accepted():
    class FakeDataset:
        name = "fake-speeches"
        frame = pd.DataFrame({"text": [doc("good"), doc("bad")], "who": ["ann", "bob"]})

    analysis = analyze_documents(FakeDataset(), keyword_model(), id_col="who", words=5, progress=False)
    assert analysis.source == "fake-speeches"
    assert analysis.documents["document"].tolist() == ["ann", "bob"]
    assert analysis.extremes().groupby("group")["which"].apply(list).to_dict() == {
        "ann": ["most positive", "most negative"],
        "bob": ["most positive", "most negative"],
    }


def test_missing_group_values_are_a_group_not_dropped():
    frame = pd.DataFrame({"text": [doc("good"), doc("bad"), doc("bad")], "speaker": ["A", None, "  "]})
    analysis = analyze_documents(frame, keyword_model(), group_cols="speaker", words=5, progress=False)
    table = analysis.group_table("speaker").set_index("group")
    assert table.loc["(missing)", "paragraphs"] == 2 and table["paragraphs"].sum() == 3


# ----------------------------------------------------------------------------- bad input
def test_a_missing_column_lists_the_columns_there_are(speeches):
    with pytest.raises(DataError) as caught:
        analyze_documents(speeches, keyword_model(), text_col="review", source="speeches.csv")
    assert (
        caught.value.message == "column 'review' not in speeches.csv; its columns are: speaker, party, speech"
    )
    assert "--text-col" in caught.value.hint
    with pytest.raises(DataError, match=r"column 'Speaker' not in .*did you mean 'speaker'"):
        analyze_documents(speeches, keyword_model(), text_col="speech", group_cols=["Speaker"])


def test_all_empty_documents_is_an_error_that_names_the_text_column():
    frame = pd.DataFrame({"text": ["", "  "], "body": ["real text.", "more text."]})
    with pytest.raises(DataError, match="all 2 documents in .* have empty or missing text in column 'text'"):
        analyze_documents(frame, keyword_model(), progress=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"words": 0}, "words must be a positive whole number"),
        ({"neutral_band": 1.0}, "neutral_band must be a number from 0"),
        ({"batch_size": 0}, "batch_size must be a positive whole number"),
        ({"group_cols": ["text"]}, "cannot also be a group column"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(DataError, match=message):
        analyze_documents(["good text."], keyword_model(), **kwargs)


def test_other_bad_input():
    model = keyword_model()
    with pytest.raises(DataError, match="single string"):
        analyze_documents("one long speech", model)
    with pytest.raises(DataError, match="holds a int"):
        analyze_documents(pd.DataFrame({"text": ["fine.", 42]}), model, progress=False)
    with pytest.raises(DataError, match="ids must be unique"):
        analyze_documents(pd.DataFrame({"text": ["a.", "b."], "id": ["x", "x"]}), model, id_col="id")
    with pytest.raises(ModelError, match="not fitted"):
        analyze_documents(["text."], KeywordModel())
    with pytest.raises(DataError, match="no documents"):
        analyze_documents(pd.DataFrame({"text": []}), model)


# ----------------------------------------------------------------------------- streaming
def generated_transcript(size: int, piece: int = 16384):
    block = (
        "Tonight we promise a good future where every family in this great country can find work and a "
        "fair wage. We will fight the bad deals that sent those jobs away and we will bring them back home\n\n"
    )
    repeated = block * (piece // len(block) + 2)
    produced = 0
    while produced < size:
        start = produced % len(block)
        chunk = repeated[start : start + min(piece, size - produced)]
        produced += len(chunk)
        yield chunk


def test_one_huge_document_is_scored_as_a_stream_in_bounded_memory():
    size = 2_000_000
    model = keyword_model()
    tally = RunningShares()
    tracemalloc.start()
    try:
        for scored in analyze_stream(generated_transcript(size), model, words=100, batch_size=32):
            tally.add(scored)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tally.paragraphs > 3000 and tally.words > 350_000
    assert sum(tally.shares().values()) == pytest.approx(1.0)
    assert -1 <= tally.mean_polarity <= 1
    assert peak < size / 10, f"peak {peak:,} bytes while analysing a {size:,}-character document"


def test_stream_and_whole_document_agree():
    text = "".join(generated_transcript(20_000, piece=999))
    streamed = list(analyze_stream(iter([text[:7000], text[7000:]]), keyword_model(), words=60, batch_size=5))
    whole = analyze_documents([text], keyword_model(), words=60, progress=False).paragraphs
    assert [s.paragraph.text for s in streamed] == whole["text"].tolist()
    assert [s.label for s in streamed] == whole["label"].tolist()
    assert [s.score for s in streamed] == pytest.approx(whole["score"].tolist())
    assert [s.polarity for s in streamed] == pytest.approx(whole["polarity"].tolist())


# ----------------------------------------------------------------------------- figures
def test_share_chart_grows_with_the_groups_and_labels_do_not_overlap():
    from sentilab.plots import pyplot
    from sentilab.plots.documents import ROW_INCHES, plot_sentiment_shares

    rng = np.random.default_rng(0)
    n = 60
    positive = rng.uniform(0, 0.6, n)
    negative = rng.uniform(0, 0.4, n)
    table = pd.DataFrame(
        {
            "group": [f"Speaker number {i} with a rather long name" for i in range(n)],
            "share_positive": positive,
            "share_negative": negative,
            "share_neutral": 1 - positive - negative,
            "paragraphs": rng.integers(1, 50, n),
        }
    )
    figure = plot_sentiment_shares(table)
    try:
        assert figure.get_figheight() >= n * ROW_INCHES
        figure.canvas.draw()
        ax = figure.axes[0]
        labels = [t for t in ax.get_yticklabels() if t.get_text()]
        assert len(labels) == n
        boxes = sorted((t.get_window_extent() for t in labels), key=lambda b: b.y0)
        assert all(low.y1 <= high.y0 + 0.5 for low, high in zip(boxes, boxes[1:])), "tick labels overlap"
        top_label = max(labels, key=lambda t: t.get_position()[1]).get_text()
        assert top_label.startswith(f"Speaker number {int(np.argmax(positive))} ")
    finally:
        pyplot().close(figure)


# ----------------------------------------------------------------------------- the report
class ReportParser(HTMLParser):
    """Collects what the report tests check: sections, paragraphs, images, URLs."""

    def __init__(self):
        super().__init__()
        self.sections: list[dict] = []
        self.paragraphs: list[dict] = []
        self.images: list[str] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self._in_polarity = False
        self._in_paragraph = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        for name in ("src", "href", "srcset", "data", "action", "poster"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        classes = (attrs.get("class") or "").split()
        if tag == "section" and "document" in classes:
            self.sections.append(attrs)
        if tag == "p" and "paragraph" in classes:
            self.paragraphs.append({**attrs, "section": self.sections[-1]["data-document"], "shown": ""})
            self._in_paragraph = True
        if tag == "span" and "polarity" in classes and self._in_paragraph:
            self._in_polarity = True
        if tag == "img":
            self.images.append(attrs.get("src", ""))

    def handle_endtag(self, tag):
        if tag == "span":
            self._in_polarity = False
        if tag == "p":
            self._in_paragraph = False

    def handle_data(self, data):
        if self._in_polarity:
            self.paragraphs[-1]["shown"] += data


def test_report_structure(speeches, tmp_path):
    analysis = analyze_documents(
        speeches, keyword_model(), text_col="speech", group_cols=["speaker", "party"], words=5, progress=False
    )
    path = write_documents_report(analysis, tmp_path / "out")
    assert path == tmp_path / "out" / "report.html"
    html = path.read_text(encoding="utf-8")
    parser = ReportParser()
    parser.feed(html)

    # one section per analysed document, one paragraph element per paragraph, each with its polarity
    assert [s["data-document"] for s in parser.sections] == ["0", "1", "2"]
    assert len(parser.paragraphs) == len(analysis.paragraphs) == 7
    for element, row in zip(parser.paragraphs, analysis.paragraphs.itertuples()):
        assert element["section"] == str(row.document)
        assert float(element["data-polarity"]) == pytest.approx(row.polarity, abs=1e-4)
        assert element["data-label"] == row.label
        assert element["shown"] == f"{row.polarity:+.2f}"
        assert "background-color:rgba(" in element["style"]
    shade = {p["data-polarity"]: p["style"] for p in parser.paragraphs}
    assert shade["0.6000"] != shade["-0.7000"]  # green vs red

    # self-contained: every image is an embedded PNG, nothing points to the internet, no scripts
    assert len(parser.images) >= 3  # speaker chart, party chart, arcs
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [u for u in parser.urls if u.lower().startswith(("http:", "https:", "//"))]
    assert not parser.tags & {"script", "link", "iframe", "object", "embed"}
    assert "@import" not in html and "url(" not in html

    # the most positive and most negative paragraphs per group, the skipped documents, the files
    assert "Most positive and most negative paragraphs by speaker" in html
    assert 'href="#doc-0-p-0"' in html and 'href="#doc-1-p-0"' in html
    assert "3 (Z · Q): empty text" in html and "4 (W · P): missing text" in html
    out = tmp_path / "out"
    for name in ("paragraphs.csv", "documents.csv", "groups.csv", "skipped.csv", "shares-speaker.png",
                 "shares-party.png", "arcs-01.png"):  # fmt: skip
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "paragraphs.csv")
    assert len(table) == 7 and table["text"].tolist() == analysis.paragraphs["text"].tolist()
    assert table.columns[:8].tolist() == [
        "document", "paragraph", "start", "end", "words", "label", "score", "polarity"
    ]  # fmt: skip
    np.testing.assert_allclose(table["score"], analysis.paragraphs["score"])
    assert "mean_polarity" in pd.read_csv(out / "documents.csv").columns
    groups = pd.read_csv(out / "groups.csv")
    assert set(groups["group_by"]) == {"speaker", "party"}
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]  # atomic writes left nothing behind


def test_report_without_groups_charts_documents(tmp_path):
    analysis = analyze_documents([doc("good", "bad"), doc("meh")], keyword_model(), words=5, progress=False)
    write_documents_report(analysis, tmp_path)
    assert (tmp_path / "shares-documents.png").is_file()
    parser = ReportParser()
    parser.feed((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert len(parser.sections) == 2 and len(parser.paragraphs) == 3
    assert not math.isnan(float(parser.paragraphs[0]["data-polarity"]))
