"""Audit a sentiment model: bias across groups of people, and behaviour tests (CheckList-style).

Everything here returns plain data (dataclasses with ``to_dict()``; every value JSON-serialisable), so the
CLI, the HTML report (:mod:`sentilab.reports.audit`) and a notebook all read the same numbers. Nothing here
writes files or draws charts.

* :mod:`~sentilab.audit.scoring` — how class probabilities become one polarity in [-1, 1] per text
  (``P(positive) - P(negative)`` for the classes :mod:`sentilab.labels` reads).
* :mod:`~sentilab.audit.templates` — the built-in fairness templates, the behaviour-test word lists and
  reading a template corpus from CSV.
* :mod:`~sentilab.audit.fairness` — paired group comparisons with a two-way (units x persons) bootstrap.
* :mod:`~sentilab.audit.behaviour` — the catalogue of MFT/DIR/INV behaviour tests and their checks.
* :mod:`~sentilab.audit.run` — both in one call: :func:`audit` → :class:`AuditReport` (audit.json).
"""

from __future__ import annotations

from sentilab.audit.behaviour import (
    BEHAVIOUR_CATALOGUE,
    BehaviourAudit,
    BehaviourExample,
    BehaviourTest,
    BehaviourTestResult,
    BehaviourTestSpec,
    audit_behaviour,
    behaviour_tests,
)
from sentilab.audit.behaviour import (
    _typo as _typo,  # private, but tests reach it as sentilab.audit._typo
)
from sentilab.audit.fairness import (
    ROUNDING_TOLERANCE,
    FairnessAudit,
    GroupComparison,
    audit_corpus,
    audit_fairness,
    paired_bootstrap,
)
from sentilab.audit.run import AuditReport, audit, describe_model
from sentilab.audit.scoring import DEFAULT_BATCH_SIZE, PolarityMap, Predictions, polarity_map, predict
from sentilab.audit.templates import (
    ADJECTIVE_FRAMES,
    BUILTIN_DESIGN,
    EMOTION_WORDS,
    GENDER_PHRASES,
    INTENSIFIERS,
    INVARIANCE_FRAMES,
    NAME_FRAMES,
    NAMES,
    NEGATED_AT_END_FRAMES,
    NEGATIVE_ADJECTIVES,
    NEUTRAL_TEMPLATES,
    NO_EMOTION,
    POSITIVE_ADJECTIVES,
    REDUCERS,
    SITUATION_TEMPLATES,
    STATE_TEMPLATES,
    THINGS,
    fairness_templates,
    read_templates,
)

__all__ = [
    "ADJECTIVE_FRAMES",
    "BEHAVIOUR_CATALOGUE",
    "BUILTIN_DESIGN",
    "DEFAULT_BATCH_SIZE",
    "EMOTION_WORDS",
    "GENDER_PHRASES",
    "INTENSIFIERS",
    "INVARIANCE_FRAMES",
    "NAMES",
    "NAME_FRAMES",
    "NEGATED_AT_END_FRAMES",
    "NEGATIVE_ADJECTIVES",
    "NEUTRAL_TEMPLATES",
    "NO_EMOTION",
    "POSITIVE_ADJECTIVES",
    "REDUCERS",
    "ROUNDING_TOLERANCE",
    "SITUATION_TEMPLATES",
    "STATE_TEMPLATES",
    "THINGS",
    "AuditReport",
    "BehaviourAudit",
    "BehaviourExample",
    "BehaviourTest",
    "BehaviourTestResult",
    "BehaviourTestSpec",
    "FairnessAudit",
    "GroupComparison",
    "PolarityMap",
    "Predictions",
    "audit",
    "audit_behaviour",
    "audit_corpus",
    "audit_fairness",
    "behaviour_tests",
    "describe_model",
    "fairness_templates",
    "paired_bootstrap",
    "polarity_map",
    "predict",
    "read_templates",
]
