"""The one training path: seed → fit → score the validation split → save with a full self-description.

The CLI's ``train``, the default model, the demo and the cross-domain matrix all train through
:func:`train_and_save`, so every saved model says the same things about itself in ``meta.json``:

``settings``        the hyperparameters the caller set, typed (config.json holds every hyperparameter)
``random_state``    the seed of every source of randomness (Python, NumPy, PyTorch, the model's own)
``command``         the command line that made it (or what the library caller says)
``data``            where the training data came from, with row counts and the rows dropped while loading
``data_fingerprint`` sha256 over the training texts and labels (written by the model itself)
``metrics``         ``{"validation": {...}, "validation_per_class": {...}}`` plus whatever the caller adds
``train_seconds``   wall time of ``fit``
"""

from __future__ import annotations

import random
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sentilab.errors import ModelError


@dataclass
class TrainingData:
    """Texts and labels to train or validate on, with where they came from and what loading dropped."""

    texts: list[str]
    labels: list[Any]
    source: str = ""
    #: Rows removed while loading, by reason, e.g. ``{"empty text": 239, "duplicate": 12}``.
    dropped: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    @classmethod
    def from_dataset(cls, dataset) -> TrainingData:
        """From a :class:`sentilab.data.Dataset` (its name and its load report's counts)."""
        cleaning = dataset.report.cleaning
        dropped = {
            "empty text": cleaning.dropped_empty_text,
            "missing label": cleaning.dropped_missing_label,
            "duplicate": cleaning.duplicates_removed,
            "neutral (binary)": dataset.report.dropped_neutral,
        }
        return cls(
            list(dataset.texts),
            list(dataset.labels),
            source=dataset.name,
            dropped={reason: int(n) for reason, n in dropped.items() if n},
        )

    @classmethod
    def merge(cls, parts: Sequence[TrainingData]) -> TrainingData:
        """Several sources as one: texts in order, sources joined with '+', drop counts added up."""
        texts: list[str] = []
        labels: list[Any] = []
        dropped: dict[str, int] = {}
        for part in parts:
            texts += part.texts
            labels += part.labels
            for reason, count in part.dropped.items():
                dropped[reason] = dropped.get(reason, 0) + count
        return cls(texts, labels, source="+".join(p.source for p in parts), dropped=dropped)

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "rows": len(self), "dropped": dict(self.dropped)}


def _as_training_data(data) -> TrainingData:
    if data is None or isinstance(data, TrainingData):
        return data
    if hasattr(data, "report") and hasattr(data, "texts"):
        return TrainingData.from_dataset(data)
    try:
        texts, labels = data
    except (TypeError, ValueError):
        raise ModelError(
            f"training data must be a Dataset, a TrainingData or a (texts, labels) pair, got {type(data).__name__}"
        ) from None
    return TrainingData(list(texts), list(labels))


@dataclass
class TrainingRun:
    """What :func:`train_and_save` did: the fitted model, its validation score and where it was saved."""

    model: Any
    train: TrainingData
    validation: TrainingData | None
    seconds: float
    evaluation: Any = None  # sentilab.evaluate.Evaluation of the validation split, when there is one
    directory: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, Any]:
        return self.meta.get("metrics", {})


def seed_everything(random_state: int) -> None:
    """Seed every source of randomness sentilab uses: Python, NumPy and (when loaded) PyTorch."""
    random.seed(random_state)
    np.random.seed(random_state)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(random_state)


def current_command() -> str:
    """The command line of this process as a user could paste it (``sentilab train ...``)."""
    if not sys.argv or not sys.argv[0]:
        return ""
    program = Path(sys.argv[0]).name
    program = "sentilab" if program in {"sentilab", "__main__.py"} else program
    return " ".join([program, *(shlex.quote(arg) for arg in sys.argv[1:])])


def build_model(model, settings: dict[str, Any] | None = None, *, random_state: int = 0):
    """A new model from a registry name (typed ``--set`` strings allowed) or a given unfitted model.

    The model's own ``random_state`` is set to ``random_state`` unless ``settings`` names it.
    """
    settings = dict(settings or {})
    if isinstance(model, str):
        from sentilab.models.registry import get_model_class

        model = get_model_class(model).from_overrides(settings)
    elif settings:
        model.set_params(**settings)
    if "random_state" in model.get_params(deep=False) and "random_state" not in settings:
        model.set_params(random_state=random_state)
    return model


def train_and_save(
    model,
    train,
    *,
    validation=None,
    settings: dict[str, Any] | None = None,
    random_state: int = 0,
    out: str | Path | None = None,
    command: str | None = None,
    use_validation_in_fit: bool = True,
    extra_meta: dict[str, Any] | None = None,
    extra_metrics: Callable[[Any], dict[str, Any]] | None = None,
) -> TrainingRun:
    """Train ``model`` on ``train``, score it on ``validation`` and (when ``out`` is given) save it.

    ``model``: a registry name or an unfitted model; ``settings``: ``--set`` style overrides;
    ``train``/``validation``: a Dataset, a :class:`TrainingData` or a ``(texts, labels)`` pair.
    ``use_validation_in_fit`` passes the validation split to ``fit`` (early stopping in the trainers).
    ``extra_metrics(model)`` adds more entries to ``metrics`` (e.g. held-out test scores) before saving.
    """
    from sentilab.evaluate import evaluate

    train = _as_training_data(train)
    validation = _as_training_data(validation)
    seed_everything(random_state)
    model = build_model(model, settings, random_state=random_state)
    fit_validation = (validation.texts, validation.labels) if validation and use_validation_in_fit else None
    start = time.perf_counter()
    model.fit(train.texts, train.labels, validation=fit_validation)
    seconds = time.perf_counter() - start
    metrics: dict[str, Any] = {}
    evaluation = None
    if validation is not None and len(validation):
        evaluation = evaluate(
            model, validation.texts, validation.labels, data=f"{validation.source}:validation"
        )
        metrics = {"validation": evaluation.summary(), "validation_per_class": evaluation.per_class}
    if extra_metrics is not None:
        metrics.update(extra_metrics(model))
    model.metrics_ = metrics  # a freshly trained model reports what a loaded one does
    meta = {
        "metrics": metrics,
        "settings": {key: model.get_params(deep=False)[key] for key in settings or {}},
        "random_state": random_state,
        "command": current_command() if command is None else command,
        "data": {"train": train.describe(), "validation": validation.describe() if validation else None},
        "train_rows": len(train),
        "validation_rows": len(validation) if validation else 0,
        "train_seconds": round(seconds, 3),
        **(extra_meta or {}),
    }
    run = TrainingRun(model, train, validation, seconds, evaluation, meta=meta)
    if out is not None:
        extra = {key: value for key, value in meta.items() if key != "metrics"}
        run.directory = model.save(out, metrics=metrics, extra_meta=extra)
    return run


__all__ = [
    "TrainingData",
    "TrainingRun",
    "build_model",
    "current_command",
    "seed_everything",
    "train_and_save",
]
