"""Evaluation: accuracy, macro scores, per-class scores, confusion matrix, ROC-AUC, calibration.

The cross-domain matrix's result type lives here too; :mod:`sentilab.transfer` computes it.

Everything here returns plain data (dataclasses with ``to_dict``) and writes nothing: figures come from
:mod:`sentilab.plots.evaluate`, and :mod:`sentilab.reports.evaluation` writes the files
(``write_evaluation_report``, ``write_cross_domain_report``).

When the model's classes and the gold labels differ (a negative/neutral/positive model on negative/positive
data, or a binary model on data with neutral rows), the evaluation is restricted to the labels both share and
says so in ``notes``: gold rows with a label the model cannot predict are dropped, and the model's decision
is the argmax over the shared labels only, with their probabilities renormalised to sum to 1.

Scores on texts the model was trained on overstate how it does on new text. A model that knows its training
texts (``training_text_hashes_``: :func:`sentilab.text.hashing.text_hashes` of them) gets ``Evaluation.training_overlap``, the
number of evaluated texts among them, and :meth:`Evaluation.overlap_warning` says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from sentilab.errors import SentilabError
from sentilab.text.hashing import training_overlap

#: Equal-width confidence bins for the expected calibration error (Guo et al. 2017 use 15; 10 is common).
N_BINS = 10


@dataclass
class Evaluation:
    """Scores of one model on one labelled dataset (``labels`` fixes the order of every per-class list)."""

    model: str
    data: str
    n: int
    labels: list[str]
    accuracy: float
    macro_f1: float
    macro_recall: float
    per_class: dict[str, dict[str, float]]
    confusion: list[list[int]]  # rows: gold label, columns: predicted label, both in ``labels`` order
    roc_auc: float | None
    ece: float
    reliability: dict[str, list[float]]  # per bin: lower, upper, confidence, accuracy, count
    notes: list[str] = field(default_factory=list)
    #: Gold rows left out because the model cannot predict their label, per label (e.g. {"neutral": 139}).
    dropped_gold: dict[str, int] = field(default_factory=dict)
    #: Model classes left out of the decision because the gold labels never use them (e.g. ["neutral"]).
    ignored_classes: list[str] = field(default_factory=list)
    #: How many of the ``n`` evaluated texts were in the model's training data (None: the model cannot tell).
    training_overlap: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> dict[str, Any]:
        """The headline numbers (what ``meta.json`` keeps)."""
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "macro_recall": self.macro_recall,
            "roc_auc": self.roc_auc,
            "ece": self.ece,
        }

    def overlap_warning(self) -> str | None:
        """One sentence when evaluated texts were training texts, else None."""
        if not self.training_overlap:
            return None
        name = self.data.rsplit(":", 1)[0] if self.data else ""
        held_out = (
            f"a held-out split ({name}:test)"
            if name and not any(mark in name for mark in ("/", "\\", "."))  # a registry name, not a file
            else "texts it was not trained on"
        )
        return (
            f"{self.training_overlap:,} of the {self.n:,} evaluated texts ({self.training_overlap / self.n:.0%}) "
            "were in this model's training data: these scores overstate how it does on new text; "
            f"evaluate on {held_out}."
        )

    def lines(self) -> list[str]:
        """A plain-text report for the terminal."""
        head = f"{self.model} on {self.data}: {self.n:,} texts" if self.model else f"{self.n:,} texts"
        out = [head]
        warning = self.overlap_warning()
        out += [f"  warning: {warning}"] if warning else []
        out += [f"  note: {note}" for note in self.notes]
        auc = f"   ROC-AUC {self.roc_auc:.3f}" if self.roc_auc is not None else ""
        out.append(
            f"accuracy {self.accuracy:.3f}   macro-F1 {self.macro_f1:.3f}   macro-recall {self.macro_recall:.3f}"
            f"{auc}   ECE {self.ece:.3f}"
        )
        width = max(8, *(len(label) for label in self.labels))
        out.append("")
        out.append(f"{'label':<{width}}  precision  recall  f1     support")
        for label in self.labels:
            row = self.per_class[label]
            out.append(
                f"{label:<{width}}  {row['precision']:>9.3f}  {row['recall']:>6.3f}  {row['f1']:.3f}  "
                f"{int(row['support']):>7,}"
            )
        out.append("")
        out.append("confusion (rows: gold, columns: predicted)")
        cell = max(7, *(len(label) for label in self.labels))
        out.append(" " * width + "  " + "  ".join(f"{label:>{cell}}" for label in self.labels))
        for label, row in zip(self.labels, self.confusion):
            out.append(f"{label:<{width}}  " + "  ".join(f"{value:>{cell},}" for value in row))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def evaluate(
    model,
    texts: Sequence[str],
    labels: Sequence[Any],
    *,
    data: str = "",
    n_bins: int = N_BINS,
    training_hashes: np.ndarray | None = None,
):
    """Evaluate a fitted model on labelled texts (see the module docstring for mismatched label sets).

    ``training_hashes``: :func:`sentilab.text.hashing.text_hashes` of the model's training texts (default: the model's
    ``training_text_hashes_`` where it has them); with them, ``training_overlap`` counts the evaluated
    texts that were training texts.
    """
    if len(texts) != len(labels):
        raise SentilabError(f"got {len(texts)} texts but {len(labels)} labels; they must pair up")
    proba = model.predict_proba(list(texts))
    result = evaluate_proba(
        proba,
        [str(c) for c in model.classes_],
        labels,
        model=getattr(model, "name", ""),
        data=data,
        n_bins=n_bins,
    )
    if training_hashes is None:
        training_hashes = getattr(model, "training_text_hashes_", None)
    if training_hashes is not None:
        scored = set(result.labels)  # rows whose gold label the model cannot predict were not evaluated
        evaluated = [text for text, label in zip(texts, labels) if str(label) in scored]
        result.training_overlap = training_overlap(training_hashes, evaluated)
    return result


def evaluate_proba(
    proba: np.ndarray,
    classes: Sequence[str],
    gold: Sequence[Any],
    *,
    model: str = "",
    data: str = "",
    n_bins: int = N_BINS,
) -> Evaluation:
    """Scores from probabilities ``proba`` (n, len(classes)) against gold labels (n,)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score

    proba = np.asarray(proba, dtype=np.float64)
    classes = [str(c) for c in classes]
    gold = np.asarray([str(g) for g in gold], dtype=object)
    if proba.shape != (len(gold), len(classes)):
        raise SentilabError(
            f"probabilities of shape {proba.shape} do not match {len(gold)} texts × {len(classes)} classes"
        )
    if len(gold) == 0:
        raise SentilabError("nothing to evaluate: the data has no labelled texts")
    notes: list[str] = []
    gold_labels = sorted(set(gold.tolist()))
    unknown = [g for g in gold_labels if g not in classes]
    shared = [c for c in classes if c in set(gold_labels)]
    if len(shared) < 2:
        raise SentilabError(
            f"the model predicts {classes} but the data's labels are {gold_labels}: fewer than two in common",
            hint="evaluate on data with the model's labels (sentilab normalizes registry labels to "
            "negative/neutral/positive)",
        )
    dropped_gold = {u: int((gold == u).sum()) for u in unknown}
    ignored = [c for c in classes if c not in shared]
    if unknown:
        keep = ~np.isin(gold, unknown)
        dropped = ", ".join(f"{int((gold == u).sum()):,} '{u}'" for u in unknown)
        notes.append(
            f"dropped gold rows the model cannot predict: {dropped} (model labels: {', '.join(classes)})"
        )
        gold, proba = gold[keep], proba[keep]
    if len(shared) < len(classes):
        columns = [classes.index(c) for c in shared]
        unused = [c for c in classes if c not in shared]
        notes.append(
            f"the model's {', '.join(repr(c) for c in unused)} class is not in the gold labels: decision between "
            f"{' and '.join(shared)} only (their probabilities renormalised to sum to 1)"
        )
        proba = proba[:, columns]
        total = proba.sum(axis=1, keepdims=True)
        proba = np.divide(proba, total, out=np.full_like(proba, 1.0 / len(columns)), where=total > 0)
    labels = shared
    predicted = np.asarray(labels, dtype=object)[np.argmax(proba, axis=1)]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    # Macro averages over the labels present in gold (a label with no gold rows has undefined recall).
    present = support > 0
    roc_auc = None
    if len(labels) == 2 and present.all():
        roc_auc = float(roc_auc_score(gold == labels[1], proba[:, 1]))
    confidence = proba.max(axis=1)
    correct = predicted == gold
    ece, reliability = calibration(confidence, correct, n_bins=n_bins)
    return Evaluation(
        model=model,
        data=data,
        n=len(gold),
        labels=labels,
        accuracy=float(correct.mean()),
        macro_f1=float(f1[present].mean()),
        macro_recall=float(recall[present].mean()),
        per_class={
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        confusion=confusion_matrix(gold, predicted, labels=labels).tolist(),
        roc_auc=roc_auc,
        ece=ece,
        reliability=reliability,
        notes=notes,
        dropped_gold=dropped_gold,
        ignored_classes=ignored,
    )


def calibration(confidence: np.ndarray, correct: np.ndarray, *, n_bins: int = N_BINS):
    """Expected calibration error and the reliability-diagram data.

    The confidence of a prediction is its largest probability. With equal-width bins ``B_b`` over [0, 1]::

        ECE = Σ_b (|B_b| / n) · |accuracy(B_b) − mean confidence(B_b)|

    A perfectly calibrated model (70 % right when 70 % sure) has ECE 0.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if n_bins < 1:
        raise SentilabError(f"n_bins must be >= 1, got {n_bins}")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bin b holds (edges[b], edges[b+1]]; a confidence of exactly 0 goes to the first bin.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    conf_sum = np.bincount(which, weights=confidence, minlength=n_bins)
    acc_sum = np.bincount(which, weights=correct, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.where(count > 0, conf_sum / np.maximum(count, 1), np.nan)
        accuracy = np.where(count > 0, acc_sum / np.maximum(count, 1), np.nan)
    n = max(len(confidence), 1)
    ece = float(np.nansum(count / n * np.abs(accuracy - mean_conf)))
    reliability = {
        "lower": edges[:-1].tolist(),
        "upper": edges[1:].tolist(),
        "confidence": [None if np.isnan(v) else float(v) for v in mean_conf],
        "accuracy": [None if np.isnan(v) else float(v) for v in accuracy],
        "count": count.astype(int).tolist(),
    }
    return ece, reliability


# --------------------------------------------------------------------------- cross-domain
@dataclass
class CrossDomain:
    """One model trained on each dataset (rows) and tested on each dataset's test split (columns)."""

    model: str
    train: list[str]
    test: list[str]
    accuracy: list[list[float]]
    macro_f1: list[list[float]]
    n_train: list[int]
    n_test: list[int]
    notes: list[str] = field(default_factory=list)
    #: Per cell: "" (same labels), "*" (gold rows with a label the model lacks were dropped, e.g. a binary
    #: model scored without the neutral rows) or "†" (the model's extra class was left out of the decision).
    markers: list[list[str]] = field(default_factory=list)

    LEGEND: ClassVar[dict[str, str]] = {
        "*": "gold rows whose label the model cannot predict (neutral) were dropped: an easier, binary task",
        "†": "the model's neutral class was left out: decision between negative and positive only",
    }

    def frame(self, metric: str = "accuracy"):
        import pandas as pd

        if metric not in ("accuracy", "macro_f1"):
            raise SentilabError(f"unknown metric {metric!r}; choose accuracy or macro_f1")
        values = self.accuracy if metric == "accuracy" else self.macro_f1
        frame = pd.DataFrame(values, index=self.train, columns=self.test)
        frame.index.name = "trained on \\ tested on"
        return frame

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self, metric: str = "accuracy") -> list[str]:
        frame = self.frame(metric)
        width = max(len("trained on"), *(len(name) for name in self.train))
        cell = max(7, *(len(name) for name in self.test))
        out = [f"{self.model}: {metric} (rows: trained on, columns: tested on)"]
        out.append(f"{'trained on':<{width}}  " + "  ".join(f"{name:>{cell + 1}}" for name in self.test))
        markers = self.markers or [[""] * len(self.test) for _ in self.train]
        for (name, row), marks in zip(frame.iterrows(), markers):
            cells = [f"{value:>{cell}.3f}{mark or ' '}" for value, mark in zip(row, marks)]
            out.append(f"{name:<{width}}  " + "  ".join(cells))
        used = {mark for row in markers for mark in row if mark}
        out += [f"  {mark} {text}" for mark, text in self.LEGEND.items() if mark in used]
        return out
