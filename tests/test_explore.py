"""Exploration statistics (exact numbers on a hand-made corpus), the report files, and `sentilab explore`."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner

from sentilab.cli import main
from sentilab.errors import DataError, SentilabError
from sentilab.explore import Exploration, explore, fit_zipf, log_odds_dirichlet
from sentilab.reports.exploration import explore_and_write_report, write_exploration_json

# good 3, bad 3, movie 2, fun 1, awful 1: 10 tokens, 5 types.
TINY_TEXTS = ["good good movie", "good fun", "bad movie", "bad bad awful"]
TINY_LABELS = ["positive", "positive", "negative", "negative"]


@pytest.fixture
def tiny() -> Exploration:
    return explore(TINY_TEXTS, TINY_LABELS, tokenizer="whitespace", normalizer=None, min_count=1)


# ============================================================================ exact numbers
class TestTinyCorpus:
    def test_counts(self, tiny):
        assert (tiny.texts, tiny.tokens, tiny.vocabulary_size, tiny.hapax_legomena) == (4, 10, 5, 2)
        assert tiny.empty_texts == 0
        # Ties in count are broken alphabetically: bad before good, awful before fun.
        assert [(t.token, t.count) for t in tiny.top_tokens] == [
            ("bad", 3),
            ("good", 3),
            ("movie", 2),
            ("awful", 1),
            ("fun", 1),
        ]
        assert tiny.top_tokens[0].share == pytest.approx(0.3)

    def test_coverage(self, tiny):
        # Cumulative counts 3, 6, 8, 9, 10: three types reach 80 % of 10 occurrences.
        assert tiny.coverage.types_needed == 3
        assert tiny.coverage.share_of_types == pytest.approx(3 / 5)
        half = explore(TINY_TEXTS, TINY_LABELS, tokenizer="whitespace", normalizer=None, coverage=0.5)
        assert half.coverage.types_needed == 2  # 3 + 3 = 6 >= 5

    def test_lengths(self, tiny):
        assert (tiny.lengths.min, tiny.lengths.max, tiny.lengths.median, tiny.lengths.mean) == (
            2,
            3,
            2.5,
            2.5,
        )
        assert tiny.lengths.p99 == pytest.approx(3.0)
        positive = tiny.lengths_by_class["positive"]
        assert (positive.texts, positive.min, positive.max) == (2, 2, 3)
        assert positive.p99 == pytest.approx(2.99)  # linear interpolation between 2 and 3

    def test_labels_in_sentiment_order(self, tiny):
        assert list(tiny.labels.items()) == [("negative", 2), ("positive", 2)]
        assert list(tiny.lengths_by_class) == ["negative", "positive"]

    def test_log_odds_by_hand(self, tiny):
        # "good" for positive: y_i = 3, n_i = 5, y_rest = 0, n_rest = 5, prior a = 3 (its corpus count),
        # a0 = 10 (the corpus size).
        delta = math.log((3 + 3) / (5 + 10 - 3 - 3)) - math.log((0 + 3) / (5 + 10 - 0 - 3))
        z = delta / math.sqrt(1 / (3 + 3) + 1 / (0 + 3))
        good = tiny.words_by_class["positive"][0]
        assert (good.token, good.count, good.total) == ("good", 3, 3)
        assert good.delta == pytest.approx(delta) and good.z == pytest.approx(z)
        # Only words leaning to a class are listed for it: "movie" (1 and 1) leans nowhere.
        assert [w.token for w in tiny.words_by_class["positive"]] == ["good", "fun"]
        assert [w.token for w in tiny.words_by_class["negative"]] == ["bad", "awful"]

    def test_a_word_only_in_positive_texts_has_positive_z_for_positive(self, six):
        texts, labels = six
        stats = explore(texts, labels, min_count=1, top_n=50)
        positive = {w.token: w.z for w in stats.words_by_class["positive"]}
        negative = {w.token: w.z for w in stats.words_by_class["negative"]}
        assert positive["love"] > 0 and positive["great"] > 0
        assert "love" not in negative and negative["hate"] > 0
        assert all(w.z > 0 for scores in stats.words_by_class.values() for w in scores)

    def test_two_classes_are_mirror_images(self):
        rng = np.random.default_rng(0)
        counts = rng.integers(0, 20, size=(2, 30))
        counts[:, 0] += 1
        delta, z = log_odds_dirichlet(counts, counts.sum(axis=0) + 0.5)
        np.testing.assert_allclose(delta[0], -delta[1])
        np.testing.assert_allclose(z[0], -z[1])

    def test_min_count_keeps_rare_words_out(self):
        stats = explore(TINY_TEXTS, TINY_LABELS, tokenizer="whitespace", normalizer=None, min_count=2)
        ranked = {w.token for scores in stats.words_by_class.values() for w in scores}
        assert ranked == {"good", "bad"}  # fun and awful are seen once; movie leans nowhere
        none = explore(TINY_TEXTS, TINY_LABELS, tokenizer="whitespace", min_count=100)
        assert none.words_by_class == {"negative": [], "positive": []}
        assert "positive words (z): (none above the minimum count)" in none.summary_lines()

    def test_a_single_word_vocabulary_has_nothing_to_contrast(self):
        stats = explore(["w", "w w"], ["a", "b"], tokenizer="whitespace", min_count=1)
        assert stats.words_by_class == {"a": [], "b": []}

    def test_normalizer_choices(self):
        texts = ["GOOD <br />Sooooo @bob", "bad"]
        raw = {t.token for t in explore(texts, normalizer=None, tokenizer="whitespace").top_tokens}
        assert raw == {"GOOD", "<br", "/>Sooooo", "@bob", "bad"}
        default = {t.token for t in explore(texts, tokenizer="whitespace").top_tokens}
        assert default == {"good", "soo", "<user>", "bad"}
        steps = {t.token for t in explore(texts, tokenizer="whitespace", normalizer=["lowercase"]).top_tokens}
        assert steps == {"good", "<br", "/>sooooo", "@bob", "bad"}
        assert explore(texts, tokenizer="whitespace", normalizer="lowercase,squeeze").top_tokens

    def test_unlabelled_documents(self):
        stats = explore(TINY_TEXTS, None, tokenizer="whitespace")
        assert stats.labels == {} and stats.words_by_class == {} and stats.lengths_by_class == {}
        assert list(stats.length_histogram.counts) == ["all"]
        assert explore(TINY_TEXTS, [], tokenizer="whitespace").labels == {}

    def test_histogram_counts_every_text_once(self):
        texts = ["w " * n for n in [0, 1, 1, 2, 3, 3, 3, 50, 400]]
        labels = ["a", "b", "a", "b", "a", "b", "a", "b", "a"]
        stats = explore(texts, labels, tokenizer="whitespace")
        hist = stats.length_histogram
        assert all(isinstance(e, int) for e in hist.edges) and hist.edges[0] == 0
        for label in ("a", "b"):
            assert sum(hist.counts[label]) + hist.overflow[label] == stats.labels[label]
        assert stats.empty_texts == 1 and stats.lengths.max == 400


class TestZipf:
    @pytest.mark.parametrize("exponent", [1.0, 1.5])
    def test_recovers_the_exponent_of_synthetic_zipf_tokens(self, exponent):
        rng = np.random.default_rng(42)
        types = 1000
        p = 1.0 / np.arange(1, types + 1) ** exponent  # P(rank r) ∝ r^(-s)
        draws = rng.choice(types, size=200_000, p=p / p.sum())
        words = np.array([f"w{i}" for i in range(types)])[draws]
        texts = [" ".join(words[i : i + 20]) for i in range(0, len(words), 20)]
        zipf = explore(texts, tokenizer="whitespace", normalizer=None).zipf
        assert zipf.exponent == pytest.approx(exponent, abs=0.05)
        assert zipf.r_squared > 0.98
        assert zipf.ranks[0] == 1 and zipf.ranks == sorted(set(zipf.ranks))
        assert len(zipf.ranks) <= 200 and zipf.frequencies == sorted(zipf.frequencies, reverse=True)

    def test_fit_range_stops_at_the_frequency_floor(self):
        freqs = np.array([100, 50, 33, 25, 20, 9, 5, 5, 4, 1, 1])
        zipf = fit_zipf(freqs, min_count=5)
        assert (zipf.fit_min_rank, zipf.fit_max_rank) == (1, 8)
        assert zipf.ranks[-1] == 11 and zipf.frequencies[-1] == 1  # the plotted curve keeps the tail

    def test_too_few_frequent_types_give_no_exponent(self):
        assert fit_zipf(np.array([3, 2, 1]), min_count=5).exponent is None
        assert explore(["a b"], tokenizer="whitespace").zipf.exponent is None


class TestJson:
    def test_round_trip(self, tiny, tmp_path):
        assert Exploration.from_dict(json.loads(tiny.to_json())) == tiny
        write_exploration_json(tiny, tmp_path / "stats.json")
        assert Exploration.load(tmp_path / "stats.json") == tiny

    def test_bad_files(self, tmp_path):
        (tmp_path / "a.json").write_text('{"texts": 3}')
        (tmp_path / "b.json").write_text("{nope")
        with pytest.raises(DataError, match="not an exploration result"):
            Exploration.load(tmp_path / "a.json")
        with pytest.raises(DataError, match="not valid"):
            Exploration.load(tmp_path / "b.json")
        with pytest.raises(DataError, match="does not exist"):
            Exploration.load(tmp_path / "c.json")


class TestBadInput:
    @pytest.mark.parametrize(
        ("texts", "labels", "message"),
        [
            ("one string", None, "not a single string"),
            ([], None, "no texts"),
            (["a", 3], None, "text 1 is int"),
            (["a", "b"], ["positive"], "2 texts but 1 labels"),
            (["a", "b"], ["positive", None], "label 1 is missing"),
            (["a", "b"], "positive", "labels must be a list"),
            (["", "   "], None, "none of the 2 texts has a token"),
        ],
    )
    def test_clear_errors(self, texts, labels, message):
        with pytest.raises(DataError, match=message):
            explore(texts, labels)

    @pytest.mark.parametrize(
        "kwargs", [{"top_n": 0}, {"min_count": 0}, {"coverage": 1.5}, {"prior_scale": 0}, {"normalizer": 3}]
    )
    def test_bad_options(self, kwargs):
        with pytest.raises(DataError):
            explore(TINY_TEXTS, **kwargs)

    def test_unknown_tokenizer_and_step(self):
        with pytest.raises(SentilabError, match="unknown tokenizer"):
            explore(TINY_TEXTS, tokenizer="nope")
        with pytest.raises(SentilabError, match="unknown normalization step"):
            explore(TINY_TEXTS, normalizer=["lowercse"])


# ============================================================================ report files
class _Structure(HTMLParser):
    """Section ids, headings, images and links of a page."""

    def __init__(self):
        super().__init__()
        self.sections, self.headings, self.images, self.links, self.tables = [], [], [], [], 0
        self._heading = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        elif tag in ("h1", "h2", "h3"):
            self._heading = ""
        elif tag == "img":
            self.images.append(attrs)
        elif tag in ("a", "link", "script"):
            self.links.append((tag, attrs))
        elif tag == "table":
            self.tables += 1

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(self._heading)
            self._heading = None


def parse(path) -> _Structure:
    structure = _Structure()
    structure.feed(path.read_text(encoding="utf-8"))
    return structure


def test_report_files_and_structure(six, tmp_path):
    texts, labels = six
    out = tmp_path / "explore"
    (tmp_path / "explore").mkdir()
    (out / "keep.txt").write_text("mine")  # a user's file in the directory is left alone
    report = explore_and_write_report(texts * 2, out, labels=labels * 2, min_count=1, title="Six sentences")
    assert report == out / "report.html"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["keep.txt", "labels.png", "lengths.png", "report.html", "stats.json", "words.png", "zipf.png"]
    )
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stats = Exploration.load(out / "stats.json")
    assert (
        stats.texts == 12 and stats.settings["source"] == "texts" and stats.settings["tokenizer"] == "tweet"
    )

    page = parse(report)
    assert page.sections == ["summary", "labels", "vocabulary", "lengths", "words", "settings"]
    assert page.headings[0] == "Six sentences"
    assert len(page.images) == 4
    assert all(img["src"].startswith("data:image/png;base64,") and img["alt"] for img in page.images)
    assert page.links == []  # self-contained: nothing to fetch
    # No table repeats a chart: the labels chart prints counts and shares, the words chart shows each class's
    # top words; what is left is summary, top tokens, lengths and settings. The numbers stay in stats.json.
    assert page.tables == 4
    assert not {"negative", "positive"} & set(page.headings)
    assert stats.labels == {"negative": 6, "positive": 6}
    assert [w.token for w in stats.words_by_class["positive"]][0] == "great"
    assert "hate" in [w.token for w in stats.words_by_class["negative"]]


def test_report_for_unlabelled_documents(tmp_path):
    report = explore_and_write_report(["a long speech about taxes", "another speech"], tmp_path)
    page = parse(report)
    assert page.sections == ["summary", "vocabulary", "lengths", "settings"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["lengths.png", "zipf.png"]


def test_report_from_a_local_file_through_the_loader(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(
        "review,stars\ngreat food,positive\nawful service,negative\ngreat,positive\nawful,negative\n"
    )
    report = explore_and_write_report(str(path), tmp_path / "out", min_count=1)
    stats = Exploration.load(tmp_path / "out" / "stats.json")
    assert stats.labels == {"negative": 2, "positive": 2} and stats.settings["source"] == "reviews.csv"
    assert "rows read" in report.read_text(encoding="utf-8")  # the loader's report is in the page
    with pytest.raises(DataError, match="sample="):
        explore_and_write_report(["a"], tmp_path / "x", sample=3)


def test_out_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="is a file"):
        explore_and_write_report(TINY_TEXTS, tmp_path / "f", labels=TINY_LABELS)


# ============================================================================ the command line
@pytest.fixture
def reviews_csv(tmp_path):
    rows = ["review,sentiment"]
    for i in range(10):
        rows.append(f"I loved it so much great place {i},positive")
        rows.append(f"I hated it terrible awful place {i},negative")
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_cli_explore(reviews_csv, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["explore", str(reviews_csv), "--out", str(out), "--min-count", "2", "--top-n", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "20 texts" in result.output and "vocabulary" in result.output
    assert "positive words (z): loved" in result.output or "positive words (z): great" in result.output
    assert f"report: {out / 'report.html'}" in result.output
    stats = Exploration.load(out / "stats.json")
    assert stats.labels == {"negative": 10, "positive": 10}
    assert stats.settings["top_n"] == 5 and len(stats.top_tokens) == 5
    assert parse(out / "report.html").sections[0] == "summary"


def test_cli_explore_sample_and_tokenizer(reviews_csv, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "explore",
            str(reviews_csv),
            "-o",
            str(out),
            "--sample",
            "8",
            "--tokenizer",
            "whitespace",
            "--normalize",
            "none",
        ],
    )
    assert result.exit_code == 0, result.output
    stats = Exploration.load(out / "stats.json")
    assert stats.texts == 8 and stats.labels == {"negative": 4, "positive": 4}
    assert stats.settings["tokenizer"] == "whitespace" and stats.settings["normalizer"] is None
    assert "I" in {t.token for t in stats.top_tokens}  # not lower-cased


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text-col", "body"], "column 'body' not in reviews.csv"),
        (["--tokenizer", "twet"], "did you mean 'tweet'"),
        (["--normalize", "lowercse"], "unknown normalization step"),
    ],
)
def test_cli_errors_are_one_clean_line(reviews_csv, tmp_path, args, message):
    result = CliRunner().invoke(main, ["explore", str(reviews_csv), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert "error:" in result.output and message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_cli_missing_dataset(tmp_path):
    result = CliRunner().invoke(main, ["explore", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "does not exist" in result.output
