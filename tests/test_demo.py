"""``sentilab demo``: the step runner and its index page, and (with the registries) the whole quick demo."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from sentilab import demo
from sentilab.errors import SentilabError


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_index_links_what_was_done_and_names_failed_steps(tmp_path, monkeypatch):
    def good(ctx):
        """A step that works"""
        (ctx.out / "good").mkdir()
        (ctx.out / "good" / "report.html").write_text("<html></html>")
        return demo.StepResult("A step that works", ["did a thing"], {"the good report": "good/report.html"})

    def bad(ctx):
        """A step that fails"""
        raise SentilabError("the data was not there")

    monkeypatch.setattr(demo, "STEPS", [("good", good), ("bad", bad)])
    lines = []
    with pytest.raises(SentilabError, match="failed steps \\(A step that fails\\)"):
        demo.run_demo(tmp_path / "out", echo=lines.append)
    assert lines[0] == "[1/2] good ..." and any("FAILED: the data was not there" in line for line in lines)
    index = parse(tmp_path / "out" / "index.html")
    text = " ".join(index.text)
    assert "1 of 2 steps completed, 1 failed" in text and "the data was not there" in text
    assert index.links == ["good/report.html"]


def test_a_bug_in_one_step_does_not_stop_the_others(tmp_path, monkeypatch):
    def broken(ctx):
        """Broken"""
        raise ZeroDivisionError("oops")

    def fine(ctx):
        """Fine"""
        return demo.StepResult("Fine", ["ok"])

    monkeypatch.setattr(demo, "STEPS", [("broken", broken), ("fine", fine)])
    with pytest.raises(SentilabError):
        demo.run_demo(tmp_path / "out", echo=lambda line: None)
    assert "1 of 2 steps completed" in " ".join(parse(tmp_path / "out" / "index.html").text)


def test_the_front_page_charts_what_the_steps_found(tmp_path, monkeypatch):
    import pandas as pd

    def speeches(ctx):
        """Speeches"""
        ctx.state["speaker_shares"] = pd.DataFrame(
            {"group": ["A", "B"], "share_positive": [0.7, 0.2], "share_neutral": [0.1, 0.1],
             "share_negative": [0.2, 0.7], "paragraphs": [5, 6]}
        )  # fmt: skip
        return demo.StepResult("Speeches", ["2 speakers"])

    monkeypatch.setattr(demo, "STEPS", [("speeches", speeches)])
    index = demo.run_demo(tmp_path / "out", echo=lambda line: None)
    html = index.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 1 and "all 2 speakers" in html


@pytest.mark.network  # fetches every registry dataset, then trains small models: a few minutes
def test_quick_demo_end_to_end(tmp_path):
    index = demo.run_demo(tmp_path / "demo", quick=True, echo=lambda line: None)
    page = parse(index)
    assert "7 of 7 steps completed" in " ".join(page.text)
    for href in page.links:
        assert (index.parent / href).exists(), href
    expected = ["explore/crowdflower-tweets/report.html", "evaluate/report.html", "speeches/report.html"]
    assert all(href in page.links for href in expected)
    assert (index.parent / "speeches" / "shares-speaker.png").stat().st_size > 10_000
