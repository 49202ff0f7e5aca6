"""Settings of the HTTP service: which models to serve, how much one request may ask for, and how long a
request body may stall.

Every limit has a default sized for one modest machine, can be set in code (``ServiceSettings(max_texts=50)``)
or from the environment (``SENTILAB_SERVE_MAX_TEXTS=50``), and is named in the error a client gets when it
goes over it, so a client always knows which knob it hit and what the allowed value is.

==========================  ==================================  =========  ======================================
setting                     environment variable                default    why this default
==========================  ==================================  =========  ======================================
max_texts                   SENTILAB_SERVE_MAX_TEXTS            256        one batch a client can wait for
max_text_chars              SENTILAB_SERVE_MAX_TEXT_CHARS       5,000      a long review; tweets are ~140
max_document_chars          SENTILAB_SERVE_MAX_DOCUMENT_CHARS   200,000    a two-hour speech is ~60,000
max_body_bytes              SENTILAB_SERVE_MAX_BODY_BYTES       8 MiB      refused before any JSON is parsed
body_timeout                SENTILAB_SERVE_BODY_TIMEOUT         10 (s)     a body that stops arriving for this
                                                                           long is answered 408 and closed
paragraph_words             SENTILAB_SERVE_PARAGRAPH_WORDS      100        the speeches workflow's paragraph size
models                      SENTILAB_SERVE_MODELS               (none)     [NAME=]DIR or a named model
                                                                           (default, best), comma-separated;
                                                                           none: the default model
==========================  ==================================  =========  ======================================
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from sentilab.errors import SentilabError
from sentilab.named_models import is_named

ENV_PREFIX = "SENTILAB_SERVE_"
#: A model name clients can type in a request: letters, digits, dot, dash, underscore.
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

#: What each limit means, for error messages and the ``/v1/models`` listing.
LIMIT_HELP = {
    "max_texts": "texts per request",
    "max_text_chars": "characters per text",
    "max_document_chars": "characters per document",
    "max_body_bytes": "bytes per request body",
}


@dataclass(frozen=True)
class ServiceSettings:
    """What ``sentilab serve`` serves and the limits it enforces (see the module docstring's table)."""

    #: name -> model directory (a Path) or named model (the string "default" or "best"), in order; the
    #: first is the default. Empty: the built-in default model.
    models: Mapping[str, Path | str] = field(default_factory=dict)
    max_texts: int = 256
    max_text_chars: int = 5_000
    max_document_chars: int = 200_000
    max_body_bytes: int = 8 * 1024 * 1024
    paragraph_words: int = 100
    #: Seconds to wait for the next part of a request body (between two reads, as nginx's
    #: client_body_timeout): a slow upload that keeps sending is never cut off, a stalled one is.
    body_timeout: float = 10.0

    def __post_init__(self) -> None:
        for name in (*LIMIT_HELP, "paragraph_words"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SentilabError(f"service setting {name} must be a positive whole number, got {value!r}")
        timeout = self.body_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
            raise SentilabError(
                f"service setting body_timeout must be a positive number of seconds, got {timeout!r}",
                hint="e.g. --body-timeout 10",
            )
        object.__setattr__(self, "body_timeout", float(timeout))
        models = {}
        for name, directory in dict(self.models).items():
            models[check_model_name(name)] = directory if is_named(directory) else Path(directory)
        object.__setattr__(self, "models", models)

    @property
    def limits(self) -> dict[str, int]:
        """The request limits by name, as clients see them in ``/v1/models`` and in errors."""
        return {name: getattr(self, name) for name in LIMIT_HELP}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> ServiceSettings:
        """Settings from ``SENTILAB_SERVE_*`` variables; keyword ``overrides`` win over the environment."""
        environ = os.environ if environ is None else environ
        values: dict = {}
        for spec in fields(cls):
            variable = ENV_PREFIX + spec.name.upper()
            raw = environ.get(variable)
            if raw is None or not raw.strip():
                continue
            if spec.name == "models":
                values["models"] = parse_model_specs(part for part in raw.split(",") if part.strip())
            elif spec.name == "body_timeout":
                try:
                    values[spec.name] = float(raw.strip())
                except ValueError:
                    raise SentilabError(
                        f"{variable}={raw!r} is not a number of seconds",
                        hint=f"set it to a positive number, e.g. {variable}={cls.body_timeout:g}",
                    ) from None
            else:
                try:
                    values[spec.name] = int(raw.replace("_", "").strip())
                except ValueError:
                    raise SentilabError(
                        f"{variable}={raw!r} is not a whole number",
                        hint=f"set it to a positive integer, e.g. {variable}={getattr(cls, spec.name)}",
                    ) from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def check_model_name(name: str) -> str:
    if not isinstance(name, str) or not MODEL_NAME.fullmatch(name):
        raise SentilabError(
            f"model name {name!r} is not allowed",
            hint="use 1-64 letters, digits, '.', '-' or '_', starting with a letter or digit, e.g. --model bow=runs/bow",
        )
    return name


def parse_model_specs(specs: Iterable[str]) -> dict[str, Path | str]:
    """``["runs/bow", "lstm=runs/lstm"]`` -> ``{"bow": Path("runs/bow"), "lstm": Path("runs/lstm")}``.

    ``NAME=DIR`` names a model; a bare ``DIR`` is named after its last path component. A ``=`` inside a path
    is kept when the whole spec is an existing path. The named models stay names: ``["default", "best"]``
    -> ``{"default": "default", "best": "best"}`` (``NAME=best`` serves best as NAME; ``./best`` is a folder).
    """
    models: dict[str, Path | str] = {}
    for spec in specs:
        spec = spec.strip()
        name, sep, directory = spec.partition("=")
        if sep and not Path(spec).exists():
            check_model_name(name)  # an explicit NAME=DIR
        else:  # a bare DIR: named after its last component
            directory = spec
            name = re.sub(r"[^A-Za-z0-9._-]", "-", Path(spec).resolve().name).lstrip("._-")[:64] or "model"
        if not directory:
            raise SentilabError(f"--model {spec!r} names no directory", hint="write --model NAME=DIR")
        if name in models:
            raise SentilabError(
                f"two models are named {name!r} ({models[name]} and {directory})",
                hint="name them apart: --model NAME=DIR",
            )
        models[name] = directory if is_named(directory) else Path(directory)
    return models


__all__ = ["LIMIT_HELP", "ServiceSettings", "check_model_name", "parse_model_specs"]
