"""The HTTP service and its page: ``sentilab serve``, or ``create_app()`` in your own ASGI setup."""

from __future__ import annotations


def create_app(*args, **kwargs):
    """Build the FastAPI app (see :func:`sentilab.service.app.create_app`); FastAPI is imported on first use."""
    from sentilab.errors import require

    require("fastapi", "service", feature="sentilab serve")
    from sentilab.service.app import create_app as build

    return build(*args, **kwargs)


__all__ = ["create_app"]
