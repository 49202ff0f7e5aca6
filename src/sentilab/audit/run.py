"""The whole audit in one call: fairness and behaviour on one model, as the plain data of audit.json."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sentilab.audit._jsonable import jsonable
from sentilab.audit.behaviour import BehaviourAudit, audit_behaviour
from sentilab.audit.fairness import FairnessAudit, audit_corpus, audit_fairness
from sentilab.audit.scoring import DEFAULT_BATCH_SIZE, polarity_map
from sentilab.errors import DataError, NotFittedError


@dataclass
class AuditReport:
    """Everything ``sentilab audit`` writes to audit.json."""

    model: dict[str, Any]
    polarity: str  # how a text's polarity is read from the model's probabilities
    fairness: FairnessAudit | None
    behaviour: BehaviourAudit | None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return jsonable(dataclasses.asdict(self))

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), indent=kwargs.pop("indent", 1), ensure_ascii=False, **kwargs)


def describe_model(model, source: str | None = None) -> dict[str, Any]:
    """Name, class labels and (when loaded from disk) the directory of a model, as plain data."""
    info = {
        "name": getattr(model, "name", "") or type(model).__name__,
        "class": type(model).__name__,
        "classes": [str(c.item() if isinstance(c, np.generic) else c) for c in model.classes_],
    }
    if source:
        info["source"] = str(source)
    return info


def audit(
    model,
    *,
    fairness: bool = True,
    behaviour: bool = True,
    templates: pd.DataFrame | str | Path | None = None,
    sentence_col: str | None = None,
    group_cols: Sequence[str] | None = None,
    match_cols: Sequence[str] | None = None,
    person_col: str | None = None,
    by: str | None = None,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    sample_units: int | None = None,
    n_per_test: int = 200,
    max_examples: int = 10,
    positive_label: str | None = None,
    negative_label: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    model_source: str | None = None,
    templates_source: str | None = None,
) -> AuditReport:
    """Fairness (built-in templates, or ``templates`` with the corpus columns) and behaviour tests in one go."""
    started = time.perf_counter()
    if not hasattr(model, "classes_"):
        raise NotFittedError("the model to audit is not fitted", hint="fit it or load a trained model first")
    mapping = polarity_map(model.classes_, positive_label=positive_label, negative_label=negative_label)
    labels = {"positive_label": positive_label, "negative_label": negative_label}
    common = {"seed": seed, "batch_size": batch_size, "progress": progress, **labels}
    fairness_audit = None
    if fairness:
        if templates is None:
            fairness_audit = audit_fairness(
                model, n_resamples=n_resamples, confidence=confidence, sample_units=sample_units, **common
            )
        else:
            if sentence_col is None or not group_cols:
                raise DataError(
                    "a template corpus needs sentence_col and group_cols (for example Sentence, Gender)"
                )
            fairness_audit = audit_corpus(
                model,
                templates,
                sentence_col=sentence_col,
                group_cols=list(group_cols),
                match_cols=match_cols,
                person_col=person_col,
                by=by,
                n_resamples=n_resamples,
                confidence=confidence,
                sample_units=sample_units,
                source=templates_source,
                **common,
            )
    behaviour_audit = None
    if behaviour:
        behaviour_audit = audit_behaviour(model, n_per_test=n_per_test, max_examples=max_examples, **common)
    return AuditReport(
        model=describe_model(model, model_source),
        polarity=mapping.definition,
        fairness=fairness_audit,
        behaviour=behaviour_audit,
        seconds=time.perf_counter() - started,
    )
