"""``sentilab serve``: the HTTP API and the page, under uvicorn."""

from __future__ import annotations

import click


@click.command("serve")
@click.option(
    "--model",
    "model_specs",
    multiple=True,
    metavar="[NAME=]DIR|default|best",
    help="A model directory to serve (from `sentilab train --out DIR`), or a named model (default, best); "
    "repeat to serve several, naming them NAME=DIR. The first is the default. Without it: sentilab's "
    "default model (trained on first use and cached).",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0: every one)."
)
@click.option(
    "--port", default=8000, show_default=True, type=int, help="Port to listen on (0: any free port)."
)
@click.option("--max-texts", type=int, help="Texts per /v1/predict request [default: 256].")
@click.option("--max-text-chars", type=int, help="Characters per text [default: 5000].")
@click.option("--max-document-chars", type=int, help="Characters per /v1/analyze document [default: 200000].")
@click.option(
    "--body-timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Close a connection whose request body stops arriving for this long, with a 408 [default: 10].",
)
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log every request.")
def serve(
    model_specs, host, port, max_texts, max_text_chars, max_document_chars, body_timeout, access_log
) -> None:
    """Serve sentiment over HTTP: a page at / and a JSON API under /v1 (docs at /docs).

    \b
    Examples:
      sentilab serve                                   # the default model on http://127.0.0.1:8000/
      sentilab serve --model runs/bow --port 8080
      sentilab serve --model bow=runs/bow --model lstm=runs/lstm
      sentilab serve --model best --model default       # both named models; the page lets you pick
      curl -s localhost:8000/v1/predict -H 'Content-Type: application/json' \\
           -d '{"texts": ["I love it", "worst day ever"]}'

    \b
    Limits can also come from the environment: SENTILAB_SERVE_MAX_TEXTS, SENTILAB_SERVE_MAX_TEXT_CHARS,
    SENTILAB_SERVE_MAX_DOCUMENT_CHARS, SENTILAB_SERVE_MAX_BODY_BYTES, SENTILAB_SERVE_PARAGRAPH_WORDS,
    SENTILAB_SERVE_BODY_TIMEOUT.
    A busy port, a bad model directory or a best model not built yet (`sentilab models build best`) is
    reported at once, before anything is served. A folder named best or default is served as ./best.
    """
    from sentilab.errors import require

    require("fastapi", "service", feature="sentilab serve")
    require("uvicorn", "service", feature="sentilab serve")
    from sentilab.service.app import create_app, load_models
    from sentilab.service.server import bind, make_server, url_of
    from sentilab.service.settings import ServiceSettings, parse_model_specs

    settings = ServiceSettings.from_env(
        models=parse_model_specs(model_specs) or None,
        max_texts=max_texts,
        max_text_chars=max_text_chars,
        max_document_chars=max_document_chars,
        body_timeout=body_timeout,
    )
    sock = bind(host, port)  # fail fast on a busy port, before minutes of model loading
    try:
        click.echo(
            "loading "
            + (", ".join(f"{n} ({d})" for n, d in settings.models.items()) or "the default model")
            + " ..."
        )
        models = load_models(settings)
        app = create_app(
            settings,
            model={name: model for name, (model, _) in models.items()},
            sources={name: source for name, (_, source) in models.items()},
        )
        url = url_of(sock)
        wildcard = {
            "0.0.0.0": "127.0.0.1",
            "[::]": "[::1]",
        }  # listening everywhere: show a URL that opens here
        for any_address, local in wildcard.items():
            url = url.replace(f"//{any_address}:", f"//{local}:")
        docs = app.state.api_docs  # /docs, or /openapi.json when Swagger UI's files are not installed
        click.echo(
            f"sentilab is serving {', '.join(models)} at {url}/  (API docs: {url}{docs}; Ctrl+C to stop)"
        )
        make_server(app, access_log=access_log).run(sockets=[sock])
    finally:
        sock.close()
