"""Every kind of report, opened in a real browser as a person opens it: from the file, with JavaScript off.

Headless Chromium (Debian's ``chromium``, driven by Playwright, as in ``test_browser.py``) opens the speeches
report (250 documents, 4,000 paragraphs), an exploration, an evaluation, an audit and the demo's front page,
each written from a small fixture; each must be under ``MAX_FIRST_VIEW_PX`` tall as it opens, and a
screenshot of its first screen is saved under the test's ``tmp_path`` (``<kind>.png``) for a person to look
at. Without Chromium these tests are skipped with the command that installs it.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from sentilab.models import create_model
from tests.conftest import SIX_LABELS, SIX_TEXTS, TRAIN_LABELS, TRAIN_TEXTS

CHROMIUM = os.environ.get("SENTILAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
INSTALL_HINT = "install it with: sudo apt-get install -y chromium (make test does this when run as root)"

if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"no Chromium at {CHROMIUM}; {INSTALL_HINT}", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)

#: The tallest a report may be as it opens (every <details> as written), in CSS pixels at 1280 px wide.
MAX_FIRST_VIEW_PX = 20_000
DOCUMENTS, PARAGRAPHS_PER_DOCUMENT, SPEAKERS = 250, 16, 240


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_report(browser, tmp_path):
    """``open_report(path, kind)``: the page as it opens, its first screen saved as ``tmp_path/<kind>.png``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)

    def open_(path, kind: str):
        page = context.new_page()
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        page.screenshot(path=str(tmp_path / f"{kind}.png"))
        assert (tmp_path / f"{kind}.png").stat().st_size > 10_000  # a rendered screen, not a blank one
        assert requests == [path.as_uri()], "a report is one self-contained file"
        return page

    yield open_
    context.close()


def first_view_height(page) -> float:
    """The page's height as it opened: the <html> element's box (script-free, as JavaScript is off)."""
    return page.locator("html").bounding_box()["height"]


@pytest.fixture(scope="module")
def model():
    return create_model("bow", min_df=1, C=10.0).fit(TRAIN_TEXTS, TRAIN_LABELS)


@pytest.fixture(scope="module")
def speeches(model):
    """250 speeches by 240 speakers of two parties, 16 paragraphs each, from the fixture's sentences."""
    from sentilab.documents import analyze_documents

    rng = np.random.default_rng(0)
    sentences = [text.capitalize() + "." for text in TRAIN_TEXTS]
    speeches = [
        "\n\n".join(" ".join(rng.choice(sentences, 3)) for _ in range(PARAGRAPHS_PER_DOCUMENT))
        for _ in range(DOCUMENTS)
    ]
    frame = pd.DataFrame(
        {
            "speaker": [f"Speaker {number % SPEAKERS}" for number in range(DOCUMENTS)],
            "party": ["blue" if number % 2 else "red" for number in range(DOCUMENTS)],
            "speech": speeches,
        }
    )
    analysis = analyze_documents(
        frame, model, text_col="speech", group_cols=["speaker", "party"], words=20, progress=False
    )
    assert len(analysis.paragraphs) == DOCUMENTS * PARAGRAPHS_PER_DOCUMENT
    return analysis


def test_the_speeches_report_opens_on_its_charts_and_a_link_opens_a_paragraph(
    speeches, open_report, tmp_path
):
    from sentilab.reports.documents import write_documents_report

    page = open_report(write_documents_report(speeches, tmp_path / "speeches"), "speeches")
    assert first_view_height(page) < MAX_FIRST_VIEW_PX
    # The charts come first; every document is one line, its paragraphs folded until it is opened.
    headings = page.locator("h2").all_inner_texts()
    assert headings[:2] == ["Sentiment by party", "Sentiment by speaker"]
    assert page.locator("section.document").count() == DOCUMENTS
    assert page.locator("details[open]").count() == 0
    assert page.locator("p.paragraph").first.is_hidden()

    # A link to a paragraph opens its document and shows it, with no script.
    link = page.locator("#overall ~ table a").first
    target = page.locator(link.get_attribute("href"))
    link.click()
    sync_api.expect(target).to_be_visible()
    assert page.locator("details[open]").count() == 1

    # One click on a document's line shows its paragraphs.
    document = page.locator("section.document").nth(3)
    document.locator("summary").click()
    sync_api.expect(document.locator("p.paragraph")).to_have_count(PARAGRAPHS_PER_DOCUMENT)


def test_exploration_evaluation_and_audit_reports_fit_a_first_view(model, open_report, tmp_path):
    from sentilab.audit import audit
    from sentilab.evaluate import evaluate
    from sentilab.reports.audit import write_audit
    from sentilab.reports.evaluation import write_evaluation_report
    from sentilab.reports.exploration import explore_and_write_report
    from sentilab.text.hashing import text_hashes

    exploration = explore_and_write_report(
        SIX_TEXTS * 2, tmp_path / "explore", labels=SIX_LABELS * 2, min_count=1
    )
    page = open_report(exploration, "exploration")
    assert first_view_height(page) < MAX_FIRST_VIEW_PX and page.locator("img").count() == 4

    result = evaluate(
        model, TRAIN_TEXTS, TRAIN_LABELS, data="fixture:all", training_hashes=text_hashes(TRAIN_TEXTS)
    )
    page = open_report(write_evaluation_report(result, tmp_path / "evaluate")["report"], "evaluation")
    assert first_view_height(page) < MAX_FIRST_VIEW_PX
    warning = page.locator(".warning")
    assert warning.is_visible() and "12 of the 12 evaluated texts (100%)" in warning.inner_text()
    assert warning.bounding_box()["y"] < 900  # on the first screen, not below the charts

    report = audit(model, n_resamples=200, n_per_test=20, model_source="fixture")
    page = open_report(write_audit(report, tmp_path / "audit")["html"], "audit")
    assert first_view_height(page) < MAX_FIRST_VIEW_PX


def test_the_demo_front_page_shows_its_charts_before_the_links(speeches, open_report, tmp_path):
    from sentilab.evaluate import CrossDomain
    from sentilab.reports.demo import write_demo_index

    class Step:
        title, summary, seconds, error = "Evaluate", ["5 models"], 1.0, None
        links = {"models side by side": "evaluate/report.html", "speeches": "speeches/report.html"}

    names = ["tweets", "reviews", "news"]
    accuracy = [[0.7, 0.6, 0.55], [0.6, 0.8, 0.5], [0.5, 0.6, 0.65]]
    matrix = CrossDomain("bow", names, names, accuracy, accuracy, [10] * 3, [5] * 3, markers=[[""] * 3] * 3)
    index = write_demo_index(
        tmp_path / "demo",
        [Step()],
        total_steps=7,
        total_seconds=60.0,
        finished=True,
        accuracy={"tweets (held out)": {"bow": 0.7, "vader": 0.55}, "reviews": {"bow": 0.6, "vader": 0.7}},
        cross_domain=matrix,
        speaker_shares=speeches.group_table("speaker"),
    )
    page = open_report(index, "demo-index")
    assert first_view_height(page) < MAX_FIRST_VIEW_PX
    images = page.locator("img")
    assert images.count() == 3
    first_link = page.locator("#reports ~ ul a").first.bounding_box()["y"]
    assert all(images.nth(i).bounding_box()["y"] < first_link for i in range(3))
    assert images.first.bounding_box()["y"] < 900  # the first chart is on the first screen
