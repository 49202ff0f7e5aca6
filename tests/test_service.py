"""The HTTP service: every route through TestClient, error paths with their whole JSON bodies, limits,
fuzzed bodies that must never cause a 500, the batching runner, settings, and ``sentilab serve``."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
from click.testing import CliRunner  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sentilab import __version__  # noqa: E402
from sentilab.cli import main  # noqa: E402
from sentilab.errors import ModelError, SentilabError  # noqa: E402
from sentilab.models import create_model  # noqa: E402
from sentilab.models.base import SentimentModel  # noqa: E402
from sentilab.service.analysis import align_tokens  # noqa: E402
from sentilab.service.app import create_app  # noqa: E402
from sentilab.service.runner import ModelRunner  # noqa: E402
from sentilab.service.server import bind  # noqa: E402
from sentilab.service.settings import ServiceSettings, parse_model_specs  # noqa: E402
from tests.conftest import SIX_LABELS, SIX_TEXTS, SPEECH, TRAIN_LABELS, TRAIN_TEXTS  # noqa: E402

LIMITS = {"max_texts": 4, "max_text_chars": 300, "max_document_chars": 3000, "max_body_bytes": 20_000}


@pytest.fixture(scope="module")
def model():
    return create_model("bow", min_df=1, C=10.0).fit(TRAIN_TEXTS, TRAIN_LABELS)


@pytest.fixture(scope="module")
def binary_model():
    return create_model("bow", min_df=1, C=10.0).fit(SIX_TEXTS, SIX_LABELS)


@pytest.fixture(scope="module")
def client(model, binary_model):
    app = create_app(ServiceSettings(**LIMITS), model={"tri": model, "duo": binary_model})
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def rounded(value, digits: int = 9):
    """``value`` with every float rounded, to compare whole JSON bodies holding probabilities."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return round(value, digits) if isinstance(value, float) else value


def error(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


# --------------------------------------------------------------------------------------------- routes
def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "models": ["tri", "duo"]}
    assert re.fullmatch(r"app;dur=\d+\.\d\d", response.headers["server-timing"])


def test_without_its_lifespan_the_app_says_it_is_not_ready(model):
    client = TestClient(create_app(ServiceSettings(), model=model))  # not entered: the lifespan never runs
    response = client.post("/v1/predict", json={"texts": ["hi"]})
    assert response.status_code == 503
    assert response.json() == error(
        "not_ready", "the models are not loaded yet; wait for GET /healthz to answer"
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == error("not_ready", "the models are not loaded yet")


def test_models_lists_every_model_the_default_first_and_the_limits(client):
    response = client.get("/v1/models")
    assert response.status_code == 200
    assert response.json() == {
        "models": [
            {
                "name": "tri",
                "type": "bow",
                "labels": ["negative", "neutral", "positive"],
                "default": True,
                "source": "passed to create_app",
                "metrics": {},
            },
            {
                "name": "duo",
                "type": "bow",
                "labels": ["negative", "positive"],
                "default": False,
                "source": "passed to create_app",
                "metrics": {},
            },
        ],
        "limits": LIMITS,
        "paragraph_words": 100,
    }


def test_predict_returns_the_models_records_in_order(client, model):
    texts = ["I love this, great day", "what a horrible awful day", "the bus is on monday"]
    response = client.post("/v1/predict", json={"texts": texts})
    assert response.status_code == 200
    body = response.json()
    expected = {"model": "tri", "predictions": model.predict_records(texts), "empty_texts": 0}
    assert rounded(body) == rounded(expected)
    assert [p["label"] for p in body["predictions"]] == ["positive", "negative", "neutral"]
    for record in body["predictions"]:
        assert sum(record["scores"].values()) == pytest.approx(1.0)
        assert record["score"] == max(record["scores"].values())


def test_empty_texts_get_no_label_and_are_counted(client, model):
    texts = ["", "I love this, great day", "  \n "]
    body = client.post("/v1/predict", json={"texts": texts}).json()
    empty = {"label": None, "score": None, "polarity": None, "scores": None, "reason": "empty text"}
    assert body["predictions"][0] == body["predictions"][2] == empty
    assert rounded(body["predictions"][1]) == rounded(model.predict_records([texts[1]])[0])
    assert body["empty_texts"] == 2
    only_empty = client.post("/v1/predict", json={"texts": [" "]}).json()
    assert only_empty == {"model": "tri", "predictions": [empty], "empty_texts": 1}


def test_explain_refuses_an_empty_text(client):
    response = client.post("/v1/explain", json={"text": "   "})
    assert response.status_code == 422
    assert "empty text has no label" in response.json()["error"]["message"]


def test_predict_with_a_named_model(client, binary_model):
    response = client.post("/v1/predict", json={"texts": ["the worst, I hate it"], "model": "duo"})
    assert response.status_code == 200
    expected = {
        "model": "duo",
        "predictions": binary_model.predict_records(["the worst, I hate it"]),
        "empty_texts": 0,
    }
    assert rounded(response.json()) == rounded(expected)


def test_analyze_scores_each_paragraph_with_offsets_and_aggregates(client, model):
    response = client.post("/v1/analyze", json={"document": SPEECH, "words": 30})
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "tri" and body["words"] == 30
    paragraphs = body["paragraphs"]
    assert [p["label"] for p in paragraphs] == ["positive", "negative", "neutral"]
    proba = model.predict_proba([p["text"] for p in paragraphs])
    for index, (paragraph, row) in enumerate(zip(paragraphs, proba)):
        assert paragraph["index"] == index
        assert SPEECH[paragraph["start"] : paragraph["end"]] == paragraph["text"]
        assert paragraph["words"] == len(paragraph["text"].split())
        assert paragraph["scores"] == pytest.approx(dict(zip(["negative", "neutral", "positive"], row)))
        assert paragraph["polarity"] == pytest.approx(row[2] - row[0])  # P(positive) - P(negative)
        assert paragraph["score"] == pytest.approx(paragraph["scores"][paragraph["label"]])  # P(label)
    assert " ".join(p["text"] for p in paragraphs).split() == SPEECH.split()  # no word lost
    polarities = [p["polarity"] for p in paragraphs]
    assert body["aggregate"] == {
        "label": "positive",  # a three-way tie of shares goes to the sign of the mean polarity
        "paragraphs": 3,
        "words": len(SPEECH.split()),
        "shares": pytest.approx({"negative": 1 / 3, "neutral": 1 / 3, "positive": 1 / 3}),
        "mean_polarity": pytest.approx(np.mean(polarities)),
    }
    assert np.mean(polarities) > 0


def test_analyze_uses_the_servers_paragraph_size_by_default(client):
    body = client.post("/v1/analyze", json={"document": SPEECH}).json()
    assert body["words"] == 100
    assert len(body["paragraphs"]) == 1  # 81 words: one paragraph, the end of the document is a free cut
    assert body["aggregate"]["paragraphs"] == 1
    assert sum(body["aggregate"]["shares"].values()) == pytest.approx(1.0)


def test_analyze_with_a_two_class_model_has_all_three_shares(client):
    body = client.post("/v1/analyze", json={"document": SPEECH, "words": 30, "model": "duo"}).json()
    assert set(body["aggregate"]["shares"]) == {"negative", "neutral", "positive"}
    assert body["aggregate"]["shares"]["neutral"] == 0.0
    assert [p["label"] for p in body["paragraphs"]][:2] == ["positive", "negative"]


def test_explain_gives_every_token_its_contribution_and_position(client, model):
    text = "Soooo wonderful, I LOVE it"
    response = client.post("/v1/explain", json={"text": text})
    assert response.status_code == 200
    body = response.json()
    [record] = model.predict_records([text])
    assert rounded({k: body[k] for k in ("label", "score", "polarity", "scores")}) == rounded(record)
    assert body["model"] == "tri" and body["target"] == record["label"] == "positive"
    tokens = body["tokens"]
    assert [t["token"] for t in tokens] == ["soo", "wonderful", ",", "i", "love", "it"]
    assert [text[t["start"] : t["end"]] for t in tokens] == ["Soooo", "wonderful", ",", "I", "LOVE", "it"]
    by_token = {t["token"]: t["contribution"] for t in tokens}
    assert by_token["love"] > 0 and by_token["wonderful"] > 0
    # Exact for a linear model: the intercept plus every token's term is the explained logit.
    assert (body["method"], body["exact"], body["scale"]) == ("linear", True, "softmax logit of positive")
    assert body["base"] + sum(by_token.values()) == pytest.approx(body["value"])


class _Keywords(SentimentModel):
    """A model without a linear form: P(positive) grows with the count of 'good' (explained by occlusion)."""

    name = "keywords"

    def __init__(self):
        pass

    def _predict_proba(self, texts):
        good = np.array([t.lower().count("good") for t in texts], dtype=float)
        positive = 1 - 0.5 / (1 + good)
        return np.column_stack([1 - positive, positive])


def test_explain_any_model_by_occlusion_with_exact_offsets():
    model = _Keywords()
    model.classes_ = np.array(["negative", "positive"])
    text = "So GOOD, très good!"
    with TestClient(create_app(ServiceSettings(), model=model)) as client:
        response = client.post("/v1/explain", json={"text": text})
    assert response.status_code == 200
    assert response.json() == {
        "model": "default",
        "label": "positive",
        "score": pytest.approx(5 / 6),
        "polarity": pytest.approx(4 / 6),
        "scores": {"negative": pytest.approx(1 / 6), "positive": pytest.approx(5 / 6)},
        "target": "positive",
        "method": "occlusion",
        "exact": False,
        "scale": "probability of positive",
        "value": pytest.approx(5 / 6),
        "base": 0.5,
        "tokens": [
            {"token": "So", "contribution": 0.0, "start": 0, "end": 2},
            {"token": "GOOD", "contribution": pytest.approx(5 / 6 - 3 / 4), "start": 3, "end": 7},
            {"token": ",", "contribution": 0.0, "start": 7, "end": 8},
            {"token": "très", "contribution": 0.0, "start": 9, "end": 13},
            {"token": "good", "contribution": pytest.approx(5 / 6 - 3 / 4), "start": 14, "end": 18},
            {"token": "!", "contribution": 0.0, "start": 18, "end": 19},
        ],
    }


def test_explain_towards_another_label(client):
    body = client.post("/v1/explain", json={"text": "I hate this awful day", "target": "positive"}).json()
    assert body["label"] == "negative" and body["target"] == "positive"
    by_token = {t["token"]: t["contribution"] for t in body["tokens"]}
    assert by_token["hate"] < 0 and by_token["awful"] < 0


def test_index_page_needs_nothing_from_the_internet(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    html = response.text
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/app.js" in references and "/static/style.css" in references
    for reference in references:
        assert not re.match(r"^(https?:)?//", reference), reference
        if reference.startswith("/static/"):
            asset = client.get(reference)
            assert asset.status_code == 200, reference
            assert not re.search(r"https?://", asset.text), f"{reference} names a URL"
    for element_id in (
        "text-input",
        "analyze-button",
        "result-label",
        "result-polarity",
        "paragraphs",
        "model-select",
    ):
        assert f'id="{element_id}"' in html


def test_openapi_documents_every_route(client):
    schema = client.get("/openapi.json").json()
    assert {"/v1/predict", "/v1/analyze", "/v1/explain", "/v1/models", "/healthz"} <= set(schema["paths"])
    assert "413" in schema["paths"]["/v1/predict"]["post"]["responses"]
    assert client.get("/docs").status_code == 200


DOCS_ASSETS = {
    "/docs-assets/swagger-ui-bundle.js": "text/javascript",
    "/docs-assets/swagger-ui.css": "text/css",
    "/docs-assets/favicon.png": "image/png",
}


def test_docs_load_everything_from_this_server_under_a_policy_that_allows_only_that(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(references) == sorted(DOCS_ASSETS)  # no CDN: every script, style and icon is local
    assert "url: '/openapi.json'" in html and '"validatorUrl": null' in html
    for reference, content_type in DOCS_ASSETS.items():
        asset = client.get(reference)
        assert asset.status_code == 200, reference
        assert asset.headers["content-type"].split(";")[0] == content_type
        assert len(asset.content) > 1000
    # The one inline script (SwaggerUIBundle's set-up) runs because its hash is in the policy; nothing else.
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    policy = response.headers["content-security-policy"]
    assert policy == (
        f"default-src 'self'; script-src 'self' 'sha256-{digest}'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    assert client.get("/redoc").status_code == 404  # FastAPI's ReDoc page loads from a CDN: not served


def test_without_swagger_ui_files_nothing_points_to_docs(monkeypatch, model):
    import sentilab.service.app

    monkeypatch.setattr(sentilab.service.app, "swagger_ui_dir", lambda: None)
    with TestClient(create_app(ServiceSettings(), model=model), raise_server_exceptions=False) as client:
        page = client.get("/")
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert 'href="/docs"' not in page.text
        assert '<a href="/openapi.json">API schema (OpenAPI)</a>' in page.text
        response = client.get("/docs")
        assert response.status_code == 404
        assert response.json() == error("not_found", "no route /docs; the API is described at /openapi.json")
        response = client.post("/v1/predict", content=b"", headers={"content-type": "application/json"})
        assert response.json()["error"]["message"] == (
            "the request body is empty; send a JSON object (see /openapi.json for each route's fields)"
        )
        assert client.get("/openapi.json").status_code == 200


# --------------------------------------------------------------------------------------------- errors
def test_unknown_model_names_the_loaded_ones(client):
    response = client.post("/v1/predict", json={"texts": ["hi"], "model": "trio"})
    assert response.status_code == 422
    assert response.json() == error(
        "unknown_model", "unknown model 'trio' (did you mean 'tri'?); choose one of: duo, tri"
    )


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (
            "/v1/predict",
            {"texts": ["a", "b", "c", "d", "e"]},
            error(
                "limit_exceeded",
                "the request has 5 texts; the limit is 4 texts per request (max_texts, set by SENTILAB_SERVE_MAX_TEXTS)",
                limit="max_texts",
                allowed=4,
                got=5,
            ),
        ),
        (
            "/v1/predict",
            {"texts": ["fine", "x" * 301]},
            error(
                "limit_exceeded",
                "texts[1] has 301 characters; the limit is 300 characters per text "
                "(max_text_chars, set by SENTILAB_SERVE_MAX_TEXT_CHARS)",
                limit="max_text_chars",
                allowed=300,
                got=301,
            ),
        ),
        (
            "/v1/explain",
            {"text": "é" * 301},
            error(
                "limit_exceeded",
                "the text has 301 characters; the limit is 300 characters per text "
                "(max_text_chars, set by SENTILAB_SERVE_MAX_TEXT_CHARS)",
                limit="max_text_chars",
                allowed=300,
                got=301,
            ),
        ),
        (
            "/v1/analyze",
            {"document": "word " * 601},
            error(
                "limit_exceeded",
                "the document has 3,005 characters; the limit is 3,000 characters per document "
                "(max_document_chars, set by SENTILAB_SERVE_MAX_DOCUMENT_CHARS)",
                limit="max_document_chars",
                allowed=3000,
                got=3005,
            ),
        ),
    ],
    ids=["max_texts", "max_text_chars", "explain_max_text_chars", "max_document_chars"],
)
def test_over_a_limit_is_413_naming_the_limit(client, path, body, expected):
    response = client.post(path, json=body)
    assert response.status_code == 413
    assert response.json() == expected


def test_a_body_over_max_body_bytes_is_refused_before_parsing(client):
    too_big = json.dumps({"document": "a" * 20_001}).encode()
    expected = error(
        "limit_exceeded",
        f"the request body has {len(too_big):,} bytes; the limit is 20,000 bytes per request body "
        "(max_body_bytes, set by SENTILAB_SERVE_MAX_BODY_BYTES)",
        limit="max_body_bytes",
        allowed=20_000,
        got=len(too_big),
    )
    response = client.post("/v1/analyze", content=too_big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == expected


def test_a_chunked_body_is_read_only_up_to_the_limit():
    from sentilab.service.errors import BodyLimitMiddleware

    async def never_called(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("the app was called with an oversized body")

    middleware = BodyLimitMiddleware(never_called, max_body_bytes=2500)
    chunks = [{"type": "http.request", "body": b"x" * 1000, "more_body": True} for _ in range(10)]
    read, sent = [], []

    async def receive():
        read.append(chunks[len(read)])
        return read[-1]

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/predict", "headers": []}
    asyncio.run(middleware(scope, receive, send))
    assert len(read) == 3  # stopped at the chunk that crossed the limit
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"] == {
        "code": "limit_exceeded",
        "message": "the request body has 3,000 bytes; the limit is 2,500 bytes per request body "
        "(max_body_bytes, set by SENTILAB_SERVE_MAX_BODY_BYTES)",
        "limit": "max_body_bytes",
        "allowed": 2500,
        "got": 3000,
    }


def test_a_stalled_body_is_answered_408_and_the_connection_closed():
    from sentilab.service.errors import BodyLimitMiddleware

    async def never_called(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("the app was called with half a body")

    middleware = BodyLimitMiddleware(never_called, max_body_bytes=2500, body_timeout=0.05)
    first = [{"type": "http.request", "body": b'{"texts": ["hi",', "more_body": True}]
    sent = []

    async def receive():
        if first:
            return first.pop()
        await asyncio.Event().wait()  # the client sends nothing more; only the timeout ends this wait

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/predict",
        "headers": [(b"content-length", b"1000")],
    }
    asyncio.run(middleware(scope, receive, send))
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == error(
        "body_timeout",
        "the request body stopped arriving: nothing for 0.05 s after 16 bytes of the 1,000 announced, so the "
        "connection is closed (body_timeout, set by --body-timeout or SENTILAB_SERVE_BODY_TIMEOUT)",
        limit="body_timeout",
        allowed=0.05,
    )


def _details(*triples):
    return [{"loc": list(loc), "msg": msg, "type": kind} for loc, msg, kind in triples]


@pytest.mark.parametrize(
    ("path", "content", "expected"),
    [
        (
            "/v1/predict",
            b'{"texts": ["unclosed"',
            error("invalid_json", "the request body is not valid JSON (Expecting ',' delimiter)"),
        ),
        (
            "/v1/predict",
            b"",
            error(
                "invalid_request",
                "the request body is empty; send a JSON object (see /docs for each route's fields)",
                details=_details((["body"], "Field required", "missing")),
            ),
        ),
        (
            "/v1/predict",
            b'["a list"]',
            error(
                "invalid_request",
                "body: Input should be a valid dictionary or object to extract fields from",
                hint="send a JSON object with the route's fields (see /docs)",
                details=_details(
                    (
                        ["body"],
                        "Input should be a valid dictionary or object to extract fields from",
                        "model_attributes_type",
                    )
                ),
            ),
        ),
        (
            "/v1/predict",
            b'{"texts": "a single string"}',
            error(
                "invalid_request",
                "texts: Input should be a valid list",
                details=_details((["body", "texts"], "Input should be a valid list", "list_type")),
            ),
        ),
        (
            "/v1/predict",
            b'{"texts": []}',
            error(
                "invalid_request",
                "texts: List should have at least 1 item after validation, not 0",
                details=_details(
                    (
                        ["body", "texts"],
                        "List should have at least 1 item after validation, not 0",
                        "too_short",
                    )
                ),
            ),
        ),
        (
            "/v1/predict",
            b'{"texts": ["ok", 42, null]}',
            error(
                "invalid_request",
                "texts[1]: Input should be a valid string (and 1 more problem, see details)",
                details=_details(
                    (["body", "texts", 1], "Input should be a valid string", "string_type"),
                    (["body", "texts", 2], "Input should be a valid string", "string_type"),
                ),
            ),
        ),
        (
            "/v1/predict",
            b'{"text": ["typo in the field name"]}',
            error(
                "invalid_request",
                "texts: Field required (and 1 more problem, see details)",
                details=_details(
                    (["body", "texts"], "Field required", "missing"),
                    (["body", "text"], "Extra inputs are not permitted", "extra_forbidden"),
                ),
            ),
        ),
        (
            "/v1/predict",
            b'{"texts": ["ok", "bad \\ud800 surrogate"]}',
            error(
                "invalid_request",
                "texts[1]: character 4 is a lone surrogate (U+D800), which is not valid Unicode; send UTF-8 text",
                details=_details(
                    (
                        ["body", "texts", 1],
                        "character 4 is a lone surrogate (U+D800), which is not valid Unicode; send UTF-8 text",
                        "value_error",
                    )
                ),
            ),
        ),
        (
            "/v1/analyze",
            b'{"document": "fine", "words": 2}',
            error(
                "invalid_request",
                "words: Input should be greater than or equal to 5",
                details=_details(
                    (["body", "words"], "Input should be greater than or equal to 5", "greater_than_equal")
                ),
            ),
        ),
        (
            "/v1/analyze",
            b'{"document": " \\n\\t "}',
            error("invalid_input", "the document has no words to analyze; send some text"),
        ),
        (
            "/v1/explain",
            b'{"text": "fine", "target": "happy"}',
            error(
                "invalid_input",
                "target 'happy' is not a label of model 'tri'; its labels: negative, neutral, positive",
            ),
        ),
        (
            "/v1/predict",
            b"[" * 100_00 + b"]" * 100_00,
            error("invalid_json", "the request body could not be parsed as JSON (nested too deeply?)"),
        ),
        (
            "/v1/predict",
            b"\xff\xfe",  # json.loads sniffs a UTF-16 byte-order mark here and finds no JSON after it
            error(
                "invalid_json",
                "the request body is not valid UTF-8: byte 0 is 0xFF (invalid start byte); "
                "send the JSON encoded as UTF-8",
            ),
        ),
        (
            "/v1/predict",
            '{"texts": ["un café"]}'.encode("latin-1"),  # json.loads raises UnicodeDecodeError here
            error(
                "invalid_json",
                "the request body is not valid UTF-8: byte 18 is 0xE9 (invalid continuation byte); "
                "send the JSON encoded as UTF-8",
            ),
        ),
        (
            "/v1/predict",
            b'{"texts": [' + b"7" * 5000 + b"]}",
            error(
                "invalid_json",
                "the request body could not be parsed as JSON: a number has more than 4,300 digits",
            ),
        ),
    ],
    ids=[
        "malformed",
        "empty",
        "list",
        "string_not_list",
        "empty_list",
        "non_strings",
        "unknown_field",
        "lone_surrogate",
        "words_too_small",
        "blank_document",
        "unknown_target",
        "deep_nesting",
        "utf16_mark",
        "latin1",
        "long_number",
    ],
)
def test_bad_bodies_get_422_with_a_message_that_says_what_is_wrong(client, path, content, expected):
    response = client.post(path, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == expected


def test_json_sent_without_a_json_content_type_says_so(client):
    response = client.post(
        "/v1/predict", content=b'{"texts": ["hi"]}', headers={"content-type": "text/plain"}
    )
    assert response.status_code == 422
    assert response.json() == error(
        "invalid_request",
        "the request body must be JSON, sent with Content-Type: application/json (the Content-Type header is 'text/plain')",
        details=_details(
            (
                ["body"],
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type",
            )
        ),
    )


def test_unknown_routes_and_methods(client):
    response = client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.json() == error("not_found", "no route /v1/nothing; the API is described at /docs")
    response = client.get("/v1/predict")
    assert response.status_code == 405
    assert response.json() == error("method_not_allowed", "GET is not allowed on /v1/predict")


class _Broken(SentimentModel):
    """A fitted stand-in whose predictions fail: with a user-facing error or with a bug."""

    name = "broken"

    def __init__(self, *, failure: str = "bug"):
        self.failure = failure

    def _predict_proba(self, texts):
        if self.failure == "model_error":
            raise ModelError("this model cannot read emoji", hint="strip them first")
        raise RuntimeError("an index went out of range deep inside")


def _fitted_broken(failure: str) -> _Broken:
    model = _Broken(failure=failure)
    model.classes_ = np.array(["negative", "positive"])
    return model


def test_a_model_error_is_422_with_its_message_and_hint():
    app = create_app(ServiceSettings(), model=_fitted_broken("model_error"))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/predict", json={"texts": ["🙂"]})
    assert response.status_code == 422
    assert response.json() == error("invalid_input", "this model cannot read emoji", hint="strip them first")


def test_a_bug_is_a_json_500_and_is_logged(caplog):
    app = create_app(ServiceSettings(), model=_fitted_broken("bug"))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/predict", json={"texts": ["hello"]})
        assert client.get("/healthz").status_code == 200  # the server keeps serving
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "internal_error"
    incident = re.fullmatch(
        r"internal error ([0-9a-f]{12}): a bug in sentilab; the server log has the details",
        body["error"]["message"],
    )
    assert incident, body
    assert f"internal error {incident.group(1)} on POST /v1/predict" in caplog.text
    assert "an index went out of range deep inside" in caplog.text  # the traceback is in the log


# --------------------------------------------------------------------------------------------- fuzzing
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["texts", "text", "document", "words", "model", "target"]
BODIES = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=4).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"texts": st.lists(st.text(max_size=60), min_size=1, max_size=5)},
        optional={"model": st.sampled_from(["tri", "duo", "nope", ""])},
    ).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"document": st.text(max_size=400), "text": st.text(max_size=100)},
    ).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
)
NASTY_TEXTS = [
    "",
    " ",
    "\x00\x01\x02",
    "\u202e\u200b\ufeff",
    "🙂" * 50,
    "e\u0301" * 40,
    "<script>alert(1)</script>",
    "!" * 299,
    "\n" * 299,
    "a" * 300,
    "İstanbul ΣΑΣ straße",
    "http://x.y/" + "z" * 200,
    "@" * 100,
    "soooooooooooooooooooooooo",
]


@pytest.mark.parametrize("path", ["/v1/predict", "/v1/analyze", "/v1/explain"])
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=BODIES)
def test_fuzzed_bodies_never_cause_a_500(client, path, body):
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    payload = response.json()
    if response.status_code >= 400:
        assert set(payload) == {"error"} and payload["error"]["code"] and payload["error"]["message"]


@pytest.mark.parametrize("text", NASTY_TEXTS, ids=range(len(NASTY_TEXTS)))
def test_nasty_texts_get_an_answer_on_every_route(client, text):
    requests = [
        ("/v1/predict", {"texts": [text]}),
        ("/v1/analyze", {"document": text, "words": 5}),
        ("/v1/explain", {"text": text}),
    ]
    for path, body in requests:
        response = client.post(path, json=body)
        assert response.status_code in (200, 422), (path, response.text)
        if path == "/v1/explain" and response.status_code == 200:
            for token in response.json()["tokens"]:
                if token["start"] is not None:
                    assert 0 <= token["start"] < token["end"] <= len(text)


def test_an_escaped_surrogate_pair_is_one_valid_character(client, model):
    response = client.post(
        "/v1/predict",
        content=b'{"texts": ["love it \\ud83d\\ude00"]}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert rounded(response.json()["predictions"]) == rounded(model.predict_records(["love it \U0001f600"]))


# --------------------------------------------------------------------------------------------- pieces
def test_align_tokens_finds_normalized_tokens_in_order():
    text = "Soooo GOOD!! see https://x.co @bob don't"
    tokens = ["soo", "good", "!", "!", "see", "<url>", "<user>", "don't"]
    spans = align_tokens(text, tokens)
    assert [text[a:b] if (a, b) != (None, None) else None for a, b in (s or (None, None) for s in spans)] == [
        "Soooo",
        "GOOD",
        "!",
        "!",
        "see",
        None,
        None,
        "don't",
    ]


class _Counting(SentimentModel):
    """Records each predict_proba call; 'boom' in a batch is a user error."""

    name = "counting"

    def __init__(self):
        pass

    def _predict_proba(self, texts):
        self.batches.append(list(texts))
        if "boom" in texts:
            raise ModelError("boom is not allowed")
        return np.array([[0.25, 0.75] if "good" in t else [0.75, 0.25] for t in texts])


def test_runner_merges_concurrent_requests_and_isolates_a_bad_one():
    model = _Counting()
    model.classes_ = np.array(["negative", "positive"])
    model.batches = []
    runner = ModelRunner(model)

    async def scenario():
        jobs = [[f"good {i}"] if i % 2 else [f"bad {i}", f"good {i}"] for i in range(20)]
        jobs[7] = ["boom"]
        return jobs, await asyncio.gather(
            *(runner.predict_proba(job) for job in jobs), return_exceptions=True
        )

    jobs, results = asyncio.run(scenario())
    for job, result in zip(jobs, results):
        if job == ["boom"]:
            assert isinstance(result, ModelError)
        else:
            assert result.tolist() == [[0.25, 0.75] if "good" in t else [0.75, 0.25] for t in job]
    # The first request runs alone; the other 19 queue behind it and go in one merged batch, which fails on
    # "boom" and is re-run job by job: 1 + 1 + 19 calls, never one call per request and text.
    assert model.batches[0] == jobs[0]
    assert len(model.batches[1]) == sum(len(j) for j in jobs[1:])
    assert len(model.batches) == 2 + 19
    assert runner.calls == len(model.batches)


def test_runner_limits_the_batch_size():
    model = _Counting()
    model.classes_ = np.array(["negative", "positive"])
    model.batches = []
    runner = ModelRunner(model, max_batch_texts=5)

    async def scenario():
        return await asyncio.gather(*(runner.predict_proba([f"good {i}", "bad"]) for i in range(9)))

    results = asyncio.run(scenario())
    assert all(r.tolist() == [[0.25, 0.75], [0.75, 0.25]] for r in results)
    assert [len(b) for b in model.batches] == [2, 4, 4, 4, 4]


def test_settings_from_the_environment(tmp_path):
    env = {
        "SENTILAB_SERVE_MAX_TEXTS": "10",
        "SENTILAB_SERVE_MAX_DOCUMENT_CHARS": "1_000",
        "SENTILAB_SERVE_MODELS": f"a={tmp_path},{tmp_path / 'b'}",
    }
    settings_ = ServiceSettings.from_env(env, max_text_chars=77)
    assert settings_.limits == {
        "max_texts": 10,
        "max_text_chars": 77,
        "max_document_chars": 1000,
        "max_body_bytes": 8 * 1024 * 1024,
    }
    assert settings_.models == {"a": tmp_path, "b": tmp_path / "b"}
    with pytest.raises(SentilabError, match=r"SENTILAB_SERVE_MAX_TEXTS='ten' is not a whole number"):
        ServiceSettings.from_env({"SENTILAB_SERVE_MAX_TEXTS": "ten"})
    with pytest.raises(SentilabError, match="max_texts must be a positive whole number, got 0"):
        ServiceSettings(max_texts=0)
    assert settings_.body_timeout == 10.0
    assert ServiceSettings.from_env({"SENTILAB_SERVE_BODY_TIMEOUT": "2.5"}).body_timeout == 2.5
    assert (
        ServiceSettings.from_env({"SENTILAB_SERVE_BODY_TIMEOUT": "9"}, body_timeout=0.5).body_timeout == 0.5
    )
    with pytest.raises(SentilabError, match=r"SENTILAB_SERVE_BODY_TIMEOUT='soon' is not a number of seconds"):
        ServiceSettings.from_env({"SENTILAB_SERVE_BODY_TIMEOUT": "soon"})
    for bad in (0, -1.0, float("nan"), float("inf"), True, "10"):
        with pytest.raises(SentilabError, match="body_timeout must be a positive number of seconds"):
            ServiceSettings(body_timeout=bad)


def test_model_specs_name_models(tmp_path):
    assert parse_model_specs(["runs/bow", "x=runs/lstm"]) == {"bow": Path("runs/bow"), "x": Path("runs/lstm")}
    with pytest.raises(SentilabError, match="two models are named 'bow'"):
        parse_model_specs(["a/bow", "b/bow"])
    with pytest.raises(SentilabError, match="model name 'my model' is not allowed"):
        parse_model_specs(["my model=runs/bow"])
    odd = tmp_path / "a=b"
    odd.mkdir()
    assert parse_model_specs([str(odd)]) == {"a-b": odd}  # an existing path keeps its '='


def test_models_are_loaded_from_directories_in_the_lifespan(tmp_path, model):
    model.save(tmp_path / "tri")
    app = create_app(ServiceSettings(models={"saved": tmp_path / "tri"}))
    with TestClient(app) as client:
        listing = client.get("/v1/models").json()["models"]
        texts = ["I love it", "I hate it"]
        predictions = client.post("/v1/predict", json={"texts": texts}).json()
    assert [(m["name"], m["source"], m["default"]) for m in listing] == [
        ("saved", str(tmp_path / "tri"), True)
    ]
    expected = {"model": "saved", "predictions": model.predict_records(texts), "empty_texts": 0}
    assert rounded(predictions) == rounded(expected)


def test_without_model_directories_the_default_model_is_served(monkeypatch, model, _isolated_home):
    import sentilab.defaults

    calls = []
    monkeypatch.setattr(sentilab.defaults, "get_default_model", lambda: calls.append(1) or model)
    with TestClient(create_app(ServiceSettings())) as client:
        listing = client.get("/v1/models").json()["models"]
        client.post("/v1/predict", json={"texts": ["one"]})
        client.post("/v1/predict", json={"texts": ["two"]})
    assert calls == [1]  # loaded once, at start-up
    assert [(m["name"], m["type"], m["source"]) for m in listing] == [
        ("default", "bow", f"sentilab default model ({_isolated_home / 'models' / 'default'})")
    ]


# --------------------------------------------------------------------------------------------- the command
def test_serve_reports_a_missing_model_directory_without_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--model", str(tmp_path / "nope"), "--port", "0"])
    assert result.exit_code == 2
    assert f"error: model directory {tmp_path / 'nope'} does not exist" in result.output
    assert "Traceback" not in result.output


def test_serve_refuses_a_body_timeout_that_is_not_positive():
    result = CliRunner().invoke(main, ["serve", "--body-timeout", "0", "--port", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--body-timeout': 0.0 is not in the range x>0." in result.output


def test_serve_reports_a_busy_port():
    busy = bind("127.0.0.1", 0)
    try:
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    finally:
        busy.close()
    assert result.exit_code == 2
    assert f"error: port {port} on 127.0.0.1 is already in use" in result.output
