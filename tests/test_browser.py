"""The page in a real browser: ``sentilab serve`` in a subprocess on 127.0.0.1, headless Chromium (Debian's
``chromium`` package, driven by Playwright) types a speech, clicks Analyze and checks what is rendered.

``make test`` installs Chromium when it is missing and it runs as root (CI); elsewhere, without Chromium,
these tests are skipped with the command that installs it.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from sentilab.models import create_model
from tests.conftest import SPEECH, TRAIN_LABELS, TRAIN_TEXTS

CHROMIUM = os.environ.get("SENTILAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install it with: sudo apt-get install -y chromium (make test does this when run as root)"

if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"no Chromium at {CHROMIUM}; {INSTALL_HINT}", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)
pytest.importorskip("fastapi", reason="the service extra is not installed (pip install -e '.[service]')")

READY_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``sentilab serve`` with a small saved model, started first so it loads while Chromium starts."""
    from sentilab.service.server import ServeProcess

    model_dir = tmp_path_factory.mktemp("served") / "speeches"
    create_model("bow", min_df=1, C=10.0).fit(TRAIN_TEXTS, TRAIN_LABELS).save(model_dir)
    env = {**os.environ, "SENTILAB_HOME": str(tmp_path_factory.mktemp("home"))}  # never the user's cache
    args = ["--model", str(model_dir), "--max-document-chars", "3000", "--no-access-log"]
    with ServeProcess(args, env=env) as process:
        yield process


@pytest.fixture(scope="module")
def browser(server):
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server_url(server, browser):
    """The server's URL once /healthz answers (polled, at most READY_TIMEOUT_S seconds)."""
    url = server.wait_ready(READY_TIMEOUT_S)
    assert "serving speeches at" in server.output()
    return url


@pytest.fixture
def page(browser, server_url):
    """A fresh page on the served site that records every request and every browser-side error."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.requests_seen = []
    page.errors_seen = []
    page.on("request", lambda request: page.requests_seen.append(request.url))
    page.on("pageerror", lambda exc: page.errors_seen.append(str(exc)))
    page.on("console", lambda msg: page.errors_seen.append(msg.text) if msg.type == "error" else None)
    page.goto(server_url + "/")
    # Locator waits only: the page's Content-Security-Policy forbids the eval behind wait_for_function.
    sync_api.expect(page.locator("#model-select option").first).to_be_attached()
    yield page
    context.close()


def analyze(page, text: str, words: int | None = None) -> None:
    page.get_by_label("Text or speech").fill(text)
    if words is not None:
        page.get_by_label("Words per paragraph").fill(str(words))
    button = page.get_by_role("button", name="Analyze")
    button.click()  # the submit handler disables the button before its first await
    sync_api.expect(button).to_be_enabled()  # enabled again: the analysis and explanations are finished
    sync_api.expect(page.locator("#results")).to_have_attribute("aria-busy", "false")


def test_a_speech_is_shaded_by_paragraph_with_the_pushing_words_highlighted(page, server_url):
    assert page.locator("#model-select").input_value() == "speeches"
    analyze(page, SPEECH, words=30)

    assert page.locator("#error").is_hidden()
    assert page.locator("#results").is_visible()
    paragraphs = page.locator("#paragraphs > li.paragraph")
    assert paragraphs.count() == 3
    assert [paragraphs.nth(i).get_attribute("data-label") for i in range(3)] == [
        "positive",
        "negative",
        "neutral",
    ]
    # Every paragraph's text is shown whole, and together they are the speech.
    shown = [paragraphs.nth(i).locator(".paragraph-text").inner_text() for i in range(3)]
    assert " ".join(shown).split() == SPEECH.split()
    # Shading: the surer the paragraph, the stronger its tint (the neutral one has a polarity near 0).
    styles = [paragraphs.nth(i).get_attribute("style") for i in range(3)]
    tints = [float(re.search(r"--tint:\s*([\d.]+)", style).group(1)) for style in styles]
    assert min(tints[0], tints[1]) > tints[2]

    label = page.locator("#result-label")
    assert label.inner_text() == "positive"  # a three-way tie of shares, broken by the positive mean polarity
    assert "label-positive" in label.get_attribute("class")
    assert re.fullmatch(r"[+−]\d\.\d\d", page.locator("#result-polarity").inner_text())
    assert page.locator("#result-summary").inner_text().startswith("3 paragraphs")
    # Each paragraph names its numbers: its polarity and its score, the probability of its label.
    head = paragraphs.nth(1).locator(".paragraph-head").inner_text()
    assert re.fullmatch(r"¶ 2 · negative · polarity −\d\.\d\d · probability \d\.\d\d · \d+ words", head), head

    positive_words = paragraphs.nth(0).locator("mark.token-pos").all_inner_texts()
    negative_words = paragraphs.nth(1).locator("mark.token-neg").all_inner_texts()
    assert "love" in positive_words and "wonderful" in positive_words
    assert {"hate", "terrible"} & set(negative_words)
    assert (
        paragraphs.nth(0).locator("mark.token-neg").count()
        <= paragraphs.nth(0).locator("mark.token-pos").count()
    )
    assert page.locator("#top-tokens li").count() > 0
    assert "Done: 3 paragraph(s)" in page.locator("#status").inner_text()

    assert page.errors_seen == []
    outside = [
        url for url in page.requests_seen if not url.startswith(server_url) and not url.startswith("data:")
    ]
    assert outside == [], "the page must load nothing from the internet"


def test_a_short_text_is_one_paragraph(page):
    analyze(page, "What a horrible, awful day. I hate it.")
    assert page.locator("#paragraphs > li.paragraph").count() == 1
    assert page.locator("#result-label").inner_text() == "negative"
    assert "hate" in page.locator("#paragraphs mark.token-neg").all_inner_texts()
    assert page.errors_seen == []


def test_the_example_speech_shows_mixed_sentiment_at_the_default_paragraph_size(page):
    page.get_by_role("button", name="Load an example speech").click()
    assert page.get_by_label("Words per paragraph").input_value() == "100"  # the server's default
    analyze(page, page.get_by_label("Text or speech").input_value())
    paragraphs = page.locator("#paragraphs > li.paragraph")
    labels = [paragraphs.nth(i).get_attribute("data-label") for i in range(paragraphs.count())]
    assert len(labels) >= 4, labels  # several paragraphs of about 100 words, not one
    assert labels.count("negative") == 1 and "positive" in labels, labels  # the negative middle shows
    assert page.errors_seen == []


def test_a_new_text_clears_the_old_result_at_once_and_an_empty_one_leaves_nothing(page):
    analyze(page, SPEECH, words=30)
    assert page.locator("#paragraphs > li.paragraph").count() == 3

    # What the page shows while the next answer is on its way (looked at as the request goes out):
    seen_while_waiting = []

    def look_then_continue(route):
        seen_while_waiting.append(
            (
                page.locator("#results").is_hidden(),
                page.locator("#paragraphs > li").count(),
                page.locator("#status").inner_text(),
            )
        )
        route.continue_()

    page.route("**/v1/analyze", look_then_continue)
    analyze(page, "What a horrible, awful day. I hate it.")
    assert seen_while_waiting == [(True, 0, "Analyzing…")]
    assert page.locator("#paragraphs > li.paragraph").count() == 1
    assert page.locator("#result-label").inner_text() == "negative"

    analyze(page, "  \n ")  # an empty text: the old result goes, and the page says why nothing came
    assert page.locator("#results").is_hidden()
    assert page.locator("#paragraphs > li").count() == 0 and page.locator("#result-label").inner_text() == ""
    assert page.locator("#error").inner_text() == "Nothing to analyze: paste or type some text first."
    assert seen_while_waiting == [(True, 0, "Analyzing…")]  # nothing was sent for the empty text
    assert page.errors_seen == []


def test_errors_are_shown_not_thrown(page):
    analyze(page, "   ")
    assert page.locator("#error").inner_text() == "Nothing to analyze: paste or type some text first."
    assert page.locator("#results").is_hidden()

    analyze(page, "word " * 601)  # 3,005 characters: over the server's --max-document-chars 3000
    message = page.locator("#error").inner_text()
    assert "the document has 3,005 characters; the limit is 3,000 characters per document" in message
    assert "max_document_chars" in message
    assert page.errors_seen == [] or all("413" in error for error in page.errors_seen)


def test_the_api_docs_render_offline(browser, server_url):
    """/docs with every request to another origin refused: Swagger UI still lists every operation."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    outside, errors = [], []
    context.route(
        lambda url: not url.startswith(server_url) and not url.startswith("data:"),
        lambda route: outside.append(route.request.url) or route.abort(),
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server_url + "/docs")

    operations = page.locator(".opblock-summary-path")
    sync_api.expect(operations.filter(has_text="/v1/explain")).to_be_visible()
    paths = {operations.nth(i).get_attribute("data-path") for i in range(operations.count())}
    assert paths == {"/healthz", "/v1/models", "/v1/predict", "/v1/analyze", "/v1/explain"}
    assert page.locator(".info .title").inner_text().startswith("sentilab")
    # "Try it out" works under the page's policy: the request goes to this server and the answer is shown.
    page.locator("#operations-service-healthz_healthz_get .opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    sync_api.expect(page.locator(".live-responses-table tr.response .response-col_status")).to_have_text(
        "200"
    )
    assert outside == [], "the API docs must load nothing from the internet"
    assert errors == []  # a script or style the policy refused would be reported here
    context.close()
