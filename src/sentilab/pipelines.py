"""The one-line way in: ``sentilab.predict("I love it")`` and ``sentilab.pipeline(model=...)``.

Shaped like Hugging Face pipelines: a callable that takes one text (→ one record) or a list of texts (→ a list
of records, in order), with the records of :mod:`sentilab.records`::

    >>> import sentilab
    >>> sentilab.predict("I love it")                                   # doctest: +SKIP
    {'label': 'positive', 'score': 0.93, 'polarity': 0.91, 'scores': {...}}
    >>> classify = sentilab.pipeline(model="runs/bow", batch_size=512)   # doctest: +SKIP
    >>> classify(["great", "awful"])                                    # doctest: +SKIP

A model is a name (``"default"``, ``"best"``: :mod:`sentilab.named_models`), a saved model directory or a
fitted model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sentilab.errors import ModelError


class SentimentPipeline:
    """A loaded model as a callable: ``pipeline(text)`` → record, ``pipeline([texts])`` → records."""

    def __init__(self, model: Any = "default", *, batch_size: int = 1024):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ModelError(f"batch_size must be a positive whole number, got {batch_size!r}")
        self.model = _resolve(model)
        self.batch_size = batch_size

    def __call__(self, texts):
        if isinstance(texts, str):
            return self.model.predict_records([texts])[0]
        if isinstance(texts, bytes):
            raise ModelError("got bytes, not text", hint="decode it first, e.g. data.decode('utf-8')")
        texts = list(texts)
        records: list[dict[str, Any]] = []
        for start in range(0, len(texts), self.batch_size):
            records += self.model.predict_records(texts[start : start + self.batch_size])
        return records

    def __repr__(self) -> str:
        return f"SentimentPipeline(model={type(self.model).__name__}, batch_size={self.batch_size})"


def _resolve(model: Any):
    """A fitted model object, from a name ("default", "best"), a saved model directory, or a model itself."""
    if isinstance(model, (str, Path)):
        from sentilab.named_models import load_model

        return load_model(model)
    if hasattr(model, "predict_records") and hasattr(model, "classes_"):
        return model
    if hasattr(model, "predict_records"):
        raise ModelError(
            f"this {type(model).__name__} is not fitted yet",
            hint="fit it first, or pass a saved model directory",
        )
    raise ModelError(
        f"model must be 'default', 'best', a saved model directory or a fitted sentilab model, "
        f"got {type(model).__name__}"
    )


_PIPELINES: dict[str | Path, SentimentPipeline] = {}


def pipeline(model: Any = "default", *, batch_size: int = 1024) -> SentimentPipeline:
    """A :class:`SentimentPipeline` over ``model``: ``"default"``, ``"best"``, a saved model directory, or a
    fitted model."""
    return SentimentPipeline(model, batch_size=batch_size)


def predict(texts, *, model: Any = "default"):
    """Sentiment of one text (→ one record) or of a list of texts (→ a list of records).

    The model (``"default"``, ``"best"`` or a directory) is loaded once per process and reused by later calls.
    """
    if isinstance(model, (str, Path)):
        key = model  # "best" (the named model) and Path("best") (a folder) are different keys
        if key not in _PIPELINES:
            _PIPELINES[key] = SentimentPipeline(model)
        return _PIPELINES[key](texts)
    return SentimentPipeline(model)(texts)


__all__ = ["SentimentPipeline", "pipeline", "predict"]
