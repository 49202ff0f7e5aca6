"""The HTTP service: ``create_app()`` builds a FastAPI app that serves one or more sentiment models.

Routes (OpenAPI docs at ``/docs``, served offline, see :mod:`sentilab.service.docs`; every error is
``{"error": {"code", "message", ...}}``, see :mod:`sentilab.service.errors`):

=======================  ===================================================================================
``GET  /``               the page: paste a text or a speech, see labels, shaded paragraphs, pushing tokens
``POST /v1/predict``     ``{"texts": [...]}`` -> one ``{label, score, scores}`` record per text
``POST /v1/analyze``     ``{"document": "..."}`` -> paragraphs (offsets, text, scores) + the aggregate
``POST /v1/explain``     ``{"text": "..."}`` -> the prediction and every token's contribution to it
``GET  /v1/models``      the loaded models, their labels and metrics, and the request limits
``GET  /healthz``        ``{"status": "ok"}`` once the models are loaded
=======================  ===================================================================================

Models are loaded once, before the first request, in the app's ``lifespan``: the directories named in the
settings (the first is the default), or else sentilab's default model. Tests and embedders can pass fitted
models directly: ``create_app(model=my_model)`` or ``create_app(model={"a": m1, "b": m2})``.

Run it with ``sentilab serve`` or any ASGI server: ``uvicorn --factory sentilab.service.app:create_app``
(settings then come from the ``SENTILAB_SERVE_*`` environment variables; the app times out stalled bodies
itself, but closing a connection whose request head stalls is ``sentilab serve``'s uvicorn set-up, see
:mod:`sentilab.service.server`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from sentilab import __version__
from sentilab.errors import SentilabError, unknown_choice
from sentilab.records import place_records, scored_positions
from sentilab.service import analysis
from sentilab.service.docs import install_docs, swagger_ui_dir
from sentilab.service.errors import BodyLimitMiddleware, LimitExceeded, ServiceError, install
from sentilab.service.runner import ModelRunner
from sentilab.service.schemas import (
    AnalyzeRequest,
    AnalyzeResponse,
    ErrorResponse,
    ExplainRequest,
    ExplainResponse,
    Health,
    ModelsResponse,
    PredictRequest,
    PredictResponse,
)
from sentilab.service.settings import ServiceSettings, check_model_name

log = logging.getLogger("sentilab.service")

STATIC_DIR = Path(__file__).parent / "static"
#: The page may load only what this server serves: no CDN, no third-party anything.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "Over a limit (see GET /v1/models for the limits)."},
    422: {
        "model": ErrorResponse,
        "description": "Malformed JSON, a body that does not fit the schema, or an unknown model.",
    },
}


@dataclass
class ServedModel:
    """A loaded model, its name in requests, where it came from, and the runner that serializes its use."""

    name: str
    model: Any
    source: str
    runner: ModelRunner


def load_models(settings: ServiceSettings) -> dict[str, tuple[Any, str]]:
    """``{name: (model, source)}`` for the models in ``settings`` (directories, or the named models
    ``default`` and ``best``, through :func:`sentilab.named_models.resolve_model`), or the default model
    when none."""
    if settings.models:
        from sentilab.named_models import is_named, named_model_dir, resolve_model

        loaded = {}
        for name, spec in settings.models.items():
            log.info("loading model %r from %s", name, spec)
            model, _ = resolve_model(spec)
            source = f"sentilab {spec} model ({named_model_dir(spec)})" if is_named(spec) else str(spec)
            loaded[name] = (model, source)
        return loaded
    from sentilab.defaults import default_model_dir, get_default_model

    log.info("loading the default model")
    model = get_default_model()  # trained on first use (a few seconds to minutes), then cached
    return {"default": (model, f"sentilab default model ({default_model_dir()})")}


def _as_models(model: Any, sources: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
    models = dict(model) if isinstance(model, Mapping) else {"default": model}
    return {check_model_name(str(n)): (m, sources.get(n, "passed to create_app")) for n, m in models.items()}


def create_app(
    settings: ServiceSettings | None = None, model: Any = None, *, sources: Mapping[str, str] | None = None
) -> FastAPI:
    """Build the service.

    ``settings``: limits and model directories (default: from ``SENTILAB_SERVE_*`` environment variables).
    ``model``: a fitted model, or ``{name: model}``, served instead of loading any (the first is the default);
    ``sources``: where each of those came from, as ``/v1/models`` should show it.
    """
    settings = settings if settings is not None else ServiceSettings.from_env()
    given = _as_models(model, sources or {}) if model is not None else None
    if given == {}:
        raise SentilabError("create_app got an empty mapping of models; pass at least one")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        models = given if given is not None else await anyio.to_thread.run_sync(load_models, settings)
        for name, (loaded, source) in models.items():
            if not hasattr(loaded, "classes_"):
                raise SentilabError(f"model {name!r} ({source}) is not fitted", hint="fit or load it first")
            app.state.models[name] = ServedModel(name, loaded, source, ModelRunner(loaded))
        app.state.default = next(iter(app.state.models))
        log.info(
            "serving %s", ", ".join(f"{n} ({type(m.model).__name__})" for n, m in app.state.models.items())
        )
        yield
        app.state.models.clear()

    app = _app_shell(settings, lifespan)

    def served(request: Request, name: str | None) -> ServedModel:
        models: dict[str, ServedModel] = request.app.state.models
        if not models:  # only when the app is used without its lifespan (TestClient outside `with`)
            raise ServiceError(
                503, "not_ready", "the models are not loaded yet; wait for GET /healthz to answer"
            )
        key = request.app.state.default if name is None else name
        if key not in models:
            raise ServiceError(422, "unknown_model", unknown_choice("model", key, models).message)
        return models[key]

    def check_text(text: str, limit: str, what: str) -> None:
        allowed = getattr(settings, limit)
        if len(text) > allowed:
            raise LimitExceeded(limit, allowed, len(text), what)

    # Routes are async: nothing heavy runs on the event loop (models run in ModelRunner's worker thread,
    # paragraph splitting in a thread of its own), so no request waits for a thread-pool slot to say hello.
    @app.get("/healthz", response_model=Health, tags=["service"])
    async def healthz(request: Request) -> dict:
        """Liveness and readiness: 200 once every model is loaded, 503 before."""
        if not request.app.state.models:
            raise ServiceError(503, "not_ready", "the models are not loaded yet")
        return {"status": "ok", "version": __version__, "models": list(request.app.state.models)}

    @app.get("/v1/models", response_model=ModelsResponse, tags=["service"])
    async def list_models(request: Request) -> dict:
        """The loaded models (the first is the default) and the request limits."""
        out = []
        for name, entry in request.app.state.models.items():
            out.append(
                {
                    "name": name,
                    "type": getattr(entry.model, "name", "") or type(entry.model).__name__,
                    "labels": [str(c) for c in entry.model.classes_],
                    "default": name == request.app.state.default,
                    "source": entry.source,
                    "metrics": _json_safe(getattr(entry.model, "metrics_", {}) or {}),
                }
            )
        return {"models": out, "limits": settings.limits, "paragraph_words": settings.paragraph_words}

    _add_sentiment_routes(app, settings, served, check_text)
    return app


def _app_shell(settings: ServiceSettings, lifespan) -> FastAPI:
    """The app with its settings, error handlers, middleware, the page at ``/`` and the docs; no API yet."""
    app = FastAPI(
        title="sentilab",
        version=__version__,
        summary="Sentiment of texts and long documents, with explanations.",
        description=(
            "Classify short texts, analyze long documents paragraph by paragraph, and see which tokens pushed "
            "a decision. Limits are listed by `GET /v1/models`; every error is "
            '`{"error": {"code", "message", ...}}`.'
        ),
        lifespan=lifespan,
        docs_url=None,  # FastAPI's /docs and /redoc load from a CDN: blank pages offline
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.models = {}
    app.state.default = None
    #: Where people are sent to read about the API: /docs, or /openapi.json when Swagger UI is missing.
    app.state.api_docs = install_docs(app, swagger_ui_dir())
    install(app)
    app.add_middleware(
        BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes, body_timeout=settings.body_timeout
    )
    app.add_middleware(ServerTiming)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    page = _page_without_docs() if app.state.api_docs != "/docs" else None

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        if page is not None:
            return HTMLResponse(page, headers={"Content-Security-Policy": PAGE_POLICY})
        return FileResponse(STATIC_DIR / "index.html", headers={"Content-Security-Policy": PAGE_POLICY})

    return app


class ServerTiming:
    """Adds ``Server-Timing: app;dur=<ms>`` to every response: time spent in the app, queueing for the model
    included, network and client excluded (the benchmark reports it next to what clients measure)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message):
            if message["type"] == "http.response.start":
                elapsed = 1000 * (time.perf_counter() - started)
                headers = [*message.get("headers", []), (b"server-timing", f"app;dur={elapsed:.2f}".encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)


def _page_without_docs() -> str:
    """The page with its link to /docs (which would not load) pointing to the OpenAPI schema instead."""
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    link = '<a href="/docs">API documentation</a>'
    if link not in html:
        raise RuntimeError(f"static/index.html lost its {link}; update _page_without_docs")
    return html.replace(link, '<a href="/openapi.json">API schema (OpenAPI)</a>')


def _json_safe(value: Any) -> Any:
    """Metrics as strict JSON: NaN and infinities become null, NumPy scalars plain numbers."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


__all__ = ["create_app", "load_models", "ServedModel", "STATIC_DIR"]


def _add_sentiment_routes(app: FastAPI, settings: ServiceSettings, served, check_text) -> None:
    """The three routes that run a model: predict, analyze, explain."""

    @app.post(
        "/v1/predict",
        response_model=PredictResponse,
        response_model_exclude_unset=True,  # "reason" only where a text got no label
        responses=ERRORS,
        tags=["sentiment"],
    )
    async def predict(body: PredictRequest, request: Request) -> dict:
        """Classify texts: one `{label, score, polarity, scores}` record per text, in order.

        An empty or whitespace-only text gets `label: null` and `reason: "empty text"`, and is not scored.
        """
        entry = served(request, body.model)
        if len(body.texts) > settings.max_texts:
            raise LimitExceeded("max_texts", settings.max_texts, len(body.texts), "the request")
        for index, text in enumerate(body.texts):
            check_text(text, "max_text_chars", f"texts[{index}]")
        scored = scored_positions(body.texts)
        texts = [body.texts[i] for i in scored]
        proba = await entry.runner.predict_proba(texts) if texts else np.zeros((0, len(entry.model.classes_)))
        predictions = place_records(len(body.texts), scored, entry.model.classes_, proba)
        return {"model": entry.name, "predictions": predictions, "empty_texts": len(body.texts) - len(scored)}

    @app.post("/v1/analyze", response_model=AnalyzeResponse, responses=ERRORS, tags=["sentiment"])
    async def analyze(body: AnalyzeRequest, request: Request) -> dict:
        """Split a long document into paragraphs of about `words` words; score each; aggregate."""
        entry = served(request, body.model)
        check_text(body.document, "max_document_chars", "the document")
        words = body.words or settings.paragraph_words
        paragraphs = await anyio.to_thread.run_sync(analysis.paragraphs, body.document, words)
        if not paragraphs:
            raise ServiceError(422, "invalid_input", "the document has no words to analyze; send some text")
        proba = await entry.runner.predict_proba([p.text for p in paragraphs])
        return {
            "model": entry.name,
            "words": words,
            **analysis.analyze(paragraphs, entry.model.classes_, proba),
        }

    @app.post(
        "/v1/explain",
        response_model=ExplainResponse,
        response_model_exclude_unset=True,
        responses=ERRORS,
        tags=["sentiment"],
    )
    async def explain(body: ExplainRequest, request: Request) -> dict:
        """Which tokens pushed the prediction of one text, and how hard (green: for, red: against)."""
        entry = served(request, body.model)
        check_text(body.text, "max_text_chars", "the text")  # an empty text: explain() refuses it (422)
        labels = [str(c) for c in entry.model.classes_]
        if body.target is not None and body.target not in labels:
            raise ServiceError(
                422,
                "invalid_input",
                f"target {body.target!r} is not a label of model {entry.name!r}; its labels: {', '.join(labels)}",
            )
        result = await entry.runner.run(analysis.explain, entry.model, body.text, body.target)
        return {"model": entry.name, **result}
