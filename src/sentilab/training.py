"""The one training path: seed → fit → score the validation split → save with a full self-description.

The CLI's ``train``, the default model, the demo and the cross-domain matrix all train through
:func:`train_and_save`, so every saved model says the same things about itself in ``meta.json``:

``settings``        the hyperparameters the caller set, typed (config.json holds every hyperparameter)
``random_state``    the seed of every source of randomness (Python, NumPy, PyTorch, the model's own)
``command``         the command line that made it (or what the library caller says)
``data``            where the training data came from, with row counts and the rows dropped while loading;
                    with several sources, ``data.sources`` holds each one's train and validation rows
``data_fingerprint`` sha256 over the training texts and labels (written by the model itself)
``metrics``         ``{"validation": {...}, "validation_per_class": {...}}`` plus whatever the caller adds;
                    with several validation sources ``validation`` is the pooled score and
                    ``validation:NAME`` each source's own
``train_seconds``   wall time of ``fit``

Several datasets at once: :func:`load_training_data` (``"crowdflower-tweets,vader-tweets"``, ``"labelled"``)
loads each one's train and validation splits; the train splits are merged, the validation splits kept apart
so :func:`train_and_save` scores each source and all of them pooled.
"""

from __future__ import annotations

import os
import random
import shlex
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sentilab.errors import DataError, ModelError


@dataclass
class TrainingData:
    """Texts and labels to train or validate on, with where they came from and what loading dropped."""

    texts: list[str]
    labels: list[Any]
    source: str = ""
    #: Rows removed while loading, by reason, e.g. ``{"empty text": 239, "duplicate": 12}``.
    dropped: dict[str, int] = field(default_factory=dict)
    #: Rows per source when several were merged (:meth:`merge`), in order; empty for a single source.
    rows_per_source: dict[str, int] = field(default_factory=dict)

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
        """Several sources as one: texts in order, sources joined with '+', drop counts added up, and
        the rows of each source in :attr:`rows_per_source`."""
        texts: list[str] = []
        labels: list[Any] = []
        dropped: dict[str, int] = {}
        rows: dict[str, int] = {}
        for part in parts:
            texts += part.texts
            labels += part.labels
            for reason, count in part.dropped.items():
                dropped[reason] = dropped.get(reason, 0) + count
            for source, count in (part.rows_per_source or {part.source: len(part)}).items():
                rows[source] = rows.get(source, 0) + count
        merged = cls(texts, labels, source="+".join(p.source for p in parts), dropped=dropped)
        merged.rows_per_source = rows if len(rows) > 1 else {}
        return merged

    def class_counts(self) -> dict[str, int]:
        """Rows per label, labels in sorted order: ``{"negative": 12, "positive": 9}``."""
        return {str(label): n for label, n in sorted(Counter(map(str, self.labels)).items())}

    def describe(self) -> dict[str, Any]:
        described = {"source": self.source, "rows": len(self), "dropped": dict(self.dropped)}
        if self.rows_per_source:
            described["rows_per_source"] = dict(self.rows_per_source)
        return described


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


def parse_data_names(spec) -> list[str]:
    """The sources a ``--data`` value names, in order: ``"a,b"`` -> ``["a", "b"]``.

    ``labelled`` stands for every labelled registry dataset (:data:`sentilab.data.registry.LABELLED`). A value
    that is an existing path is one source even when its name holds a comma (a file wins over a list); a
    list or tuple is taken name by name (groups expanded the same way). A name given twice is an error.
    """
    from sentilab.data.registry import DATASET_GROUPS

    if isinstance(spec, (str, os.PathLike)):
        text = os.fspath(spec)
        parts = [text] if os.path.exists(text) else [part.strip() for part in text.split(",")]
    else:
        parts = [os.fspath(part).strip() for part in spec]
    if not parts or not all(parts):
        raise DataError(
            f"no dataset in {spec!r}" if not any(parts) else f"{spec!r} has an empty dataset name",
            hint="name one or more datasets separated by commas, e.g. crowdflower-tweets,vader-tweets "
            "(or labelled: every labelled registry dataset)",
        )
    names: list[str] = []
    for part in parts:
        for name in (part,) if os.path.exists(part) else DATASET_GROUPS.get(part, (part,)):
            if name in names:
                group = next((g for g, members in DATASET_GROUPS.items() if name in members), None)
                raise DataError(
                    f"dataset {name!r} is named twice"
                    + (f" ({group} already includes it)" if group in parts else ""),
                    hint="name each dataset once: training on the same rows twice would weigh them double",
                )
            names.append(name)
    return names


@dataclass
class TrainingSet:
    """Several sources loaded at once (:func:`load_training_data`): their train splits merged into one,
    their validation splits kept apart, so a model is scored on each source and on all of them pooled."""

    train: TrainingData
    #: Each source's validation split, by source name, in order (empty when none was loaded).
    validation: dict[str, TrainingData] = field(default_factory=dict)
    #: Each source's load report (:class:`sentilab.data.split.LoadReport`) of its train split, by name.
    reports: dict[str, Any] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        return list(self.reports)

    def pooled_validation(self) -> TrainingData | None:
        """Every source's validation split as one (None without validation)."""
        parts = list(self.validation.values())
        return TrainingData.merge(parts) if parts else None


def load_training_data(
    names,
    *,
    split: str | None = "train",
    validation_split: str | None = "validation",
    sample: int | None = None,
    validation_sample: int | None = None,
    seed: int = 0,
    **options,
) -> TrainingSet:
    """Load one or several datasets to train on: ``"crowdflower-tweets,vader-tweets"``, ``"labelled"``, a
    list of names, or a local file (see :func:`parse_data_names`).

    Each source's ``split`` is loaded (``sample``: a stratified sample of that many texts *from each*) and
    the parts are merged in order; each source's ``validation_split`` is kept apart (``None``: none).
    ``options`` go to :func:`sentilab.data.load_dataset` for every source (``text_col``, ``neutral_band``...).

    >>> data = load_training_data("uci-yelp,uci-amazon")          # doctest: +SKIP
    >>> len(data.train), list(data.validation)                      # doctest: +SKIP
    (1600, ['uci-yelp', 'uci-amazon'])
    """
    from sentilab.data import load_dataset

    parts: list[TrainingData] = []
    validation: dict[str, TrainingData] = {}
    reports: dict[str, Any] = {}
    for name in parse_data_names(names):
        dataset = load_dataset(name, split=split, sample=sample, seed=seed, **options)
        part = TrainingData.from_dataset(dataset)
        if part.source in reports:  # two files with the same name in different folders: keep them apart
            part.source = name
        parts.append(part)
        reports[part.source] = dataset.report
        if validation_split is not None:
            held = load_dataset(name, split=validation_split, sample=validation_sample, seed=seed, **options)
            validation[part.source] = TrainingData.from_dataset(held)
            validation[part.source].source = part.source
    return TrainingSet(TrainingData.merge(parts), validation, reports)


@dataclass
class TrainingRun:
    """What :func:`train_and_save` did: the fitted model, its validation score and where it was saved."""

    model: Any
    train: TrainingData
    validation: TrainingData | None
    seconds: float
    evaluation: Any = None  # sentilab.evaluate.Evaluation of the (pooled) validation split, when there is one
    directory: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: With several validation sources: each one's Evaluation, by source name.
    source_evaluations: dict[str, Any] = field(default_factory=dict)

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
    ``train``/``validation``: a Dataset, a :class:`TrainingData` or a ``(texts, labels)`` pair;
    ``validation`` may also be ``{source: data}`` (a :attr:`TrainingSet.validation`): the pooled sources
    are the validation split, and each is scored on its own as ``validation:SOURCE`` too.
    ``use_validation_in_fit`` passes the validation split to ``fit`` (early stopping in the trainers).
    ``extra_metrics(model)`` adds more entries to ``metrics`` (e.g. held-out test scores) before saving.
    """
    train = _as_training_data(train)
    per_source = _validation_sources(validation)
    validation = TrainingData.merge(list(per_source.values())) if per_source else None
    seed_everything(random_state)
    model = build_model(model, settings, random_state=random_state)
    fit_validation = (validation.texts, validation.labels) if validation and use_validation_in_fit else None
    start = time.perf_counter()
    model.fit(train.texts, train.labels, validation=fit_validation)
    seconds = time.perf_counter() - start
    evaluation, source_evaluations, metrics = _score_validation(model, validation, per_source)
    if extra_metrics is not None:
        metrics.update(extra_metrics(model))
    model.metrics_ = metrics  # a freshly trained model reports what a loaded one does
    data = {"train": train.describe(), "validation": validation.describe() if validation else None}
    if len(per_source) > 1 or train.rows_per_source:
        data["sources"] = {
            name: {"train_rows": rows, "validation_rows": len(per_source[name]) if name in per_source else 0}
            for name, rows in (train.rows_per_source or {train.source: len(train)}).items()
        }
    meta = {
        "metrics": metrics,
        "settings": {key: model.get_params(deep=False)[key] for key in settings or {}},
        "random_state": random_state,
        "command": current_command() if command is None else command,
        "data": data,
        "train_rows": len(train),
        "validation_rows": len(validation) if validation else 0,
        "train_seconds": round(seconds, 3),
        **(extra_meta or {}),
    }
    run = TrainingRun(model, train, validation, seconds, evaluation, meta=meta)
    run.source_evaluations = source_evaluations
    if out is not None:
        save_run(run, out)
    return run


def save_run(run: TrainingRun, out: str | Path, extra_meta: dict[str, Any] | None = None) -> Path:
    """Save a run's model to ``out`` with everything :func:`train_and_save` records (plus ``extra_meta``,
    e.g. what a caller measured after training)."""
    run.meta.update(extra_meta or {})
    extra = {key: value for key, value in run.meta.items() if key != "metrics"}
    run.directory = run.model.save(out, metrics=run.metrics, extra_meta=extra)
    return run.directory


def _validation_sources(validation) -> dict[str, TrainingData]:
    """``{source: TrainingData}`` from whatever ``train_and_save`` was given as validation (None: ``{}``)."""
    if validation is None:
        return {}
    if isinstance(validation, Mapping):
        parts = {str(name): _as_training_data(part) for name, part in validation.items() if part is not None}
        for name, part in parts.items():
            part.source = part.source or name
        return parts
    part = _as_training_data(validation)
    return {part.source: part}


def _score_validation(model, pooled: TrainingData | None, per_source: dict[str, TrainingData]):
    """``(pooled evaluation, {source: evaluation}, metrics)``: one source is scored once; several are
    scored pooled (``validation``) and each on its own (``validation:SOURCE``)."""
    from sentilab.evaluate import evaluate

    if pooled is None or not len(pooled):
        return None, {}, {}
    evaluation = evaluate(model, pooled.texts, pooled.labels, data=f"{pooled.source}:validation")
    metrics: dict[str, Any] = {
        "validation": evaluation.summary(),
        "validation_per_class": evaluation.per_class,
    }
    by_source = {}
    if len(per_source) > 1:
        for name, part in per_source.items():
            if len(part):
                by_source[name] = evaluate(model, part.texts, part.labels, data=f"{name}:validation")
                metrics[f"validation:{name}"] = by_source[name].summary()
    return evaluation, by_source, metrics


__all__ = [
    "TrainingData",
    "TrainingRun",
    "TrainingSet",
    "build_model",
    "current_command",
    "load_training_data",
    "parse_data_names",
    "save_run",
    "seed_everything",
    "train_and_save",
]
