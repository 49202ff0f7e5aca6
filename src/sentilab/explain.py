"""Why did the model say that? Per-token contributions for any model, and top words of linear models.

* Linear models (``bow``) are explained exactly: the decision value is ``intercept + Σ_j x_j · w_j`` over the
  n-grams present, and each n-gram's term is spread evenly over its occurrences and their tokens, so the token
  contributions plus the intercept add up to the decision value (log-odds for two classes, the class logit for
  softmax models, the one-vs-rest decision for NBSVM).
* Every other model is explained by occlusion: a token's contribution is how much the probability of the
  target class drops when that token is deleted from the text (all variants scored in one batch). These do
  not add up to anything in general; they show which words the model leans on.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sentilab.errors import ModelError, SentilabError
from sentilab.records import is_blank

#: Occlusion units: words (with inner apostrophes, so "don't" goes as one) and runs of other symbols (":)").
_UNIT_RE = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]+")


@dataclass
class Explanation:
    """Token contributions toward ``target``; ``base + Σ contributions == score`` when ``exact``."""

    text: str
    target: str
    method: str  # "linear" or "occlusion"
    exact: bool
    scale: str  # what ``score`` and the contributions measure
    score: float
    base: float
    probabilities: dict[str, float]
    tokens: list[dict[str, Any]]  # {"token", "contribution"} in text order
    features: list[dict[str, Any]] = field(default_factory=list)  # linear only: n-gram terms

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self, top: int | None = None) -> list[str]:
        """A readable table: tokens in text order with a bar, then the bookkeeping line."""
        p = self.probabilities.get(self.target)
        out = [f"{self.target} ({p:.2f})  — {self.method}, contributions to the {self.scale}"]
        tokens = self.tokens
        if top is not None:
            ranked = sorted(range(len(tokens)), key=lambda i: -abs(tokens[i]["contribution"]))[:top]
            tokens = [tokens[i] for i in sorted(ranked)]
        largest = max((abs(t["contribution"]) for t in tokens), default=0.0) or 1.0
        width = max([6, *(len(t["token"]) for t in tokens)])
        out.append(f"{'token':<{width}}  {'contrib':>8}")
        for item in tokens:
            value = item["contribution"]
            bar = ("+" if value > 0 else "-") * int(round(12 * abs(value) / largest))
            out.append(f"{item['token']:<{width}}  {value:>+8.3f}  {bar}")
        if self.exact:
            out.append(
                f"{'(base)':<{width}}  {self.base:>+8.3f}  intercept; base + Σ = {self.score:+.3f} ({self.scale})"
            )
        else:
            out.append(f"score {self.score:.3f} = p({self.target}); with the text removed: {self.base:.3f}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def explain(model, text: str, *, target: str | None = None) -> Explanation:
    """Explain one prediction: exact for linear models, occlusion for the rest."""
    if not isinstance(text, str):
        raise ModelError(f"explain() takes one text (a string), got {type(text).__name__}")
    if is_blank(text):
        raise ModelError(
            "the text is empty: an empty text has no label to explain", hint="give a text with words"
        )
    if hasattr(model, "contributions"):
        return linear_explanation(model, text, target=target)
    return occlusion(model, text, target=target)


def _probabilities(model, text: str) -> dict[str, float]:
    return dict(zip((str(c) for c in model.classes_), map(float, model.predict_proba([text])[0])))


def linear_explanation(model, text: str, *, target: str | None = None) -> Explanation:
    """Exact contributions from a model with a ``contributions(text, target)`` method (``BowModel``)."""
    result = model.contributions(text, target)
    link = getattr(model, "link_", "sigmoid")
    scale = {
        "sigmoid": f"log-odds of {result['target']}",
        "softmax": f"softmax logit of {result['target']}",
        "ovr": f"one-vs-rest decision value of {result['target']}",
    }[link]
    return Explanation(
        text=text,
        target=result["target"],
        method="linear",
        exact=True,
        scale=scale,
        score=result["decision"],
        base=result["intercept"],
        probabilities=_probabilities(model, text),
        tokens=result["tokens"],
        features=result["features"],
    )


def occlusion(model, text: str, *, target: str | None = None) -> Explanation:
    """Delete each token in turn; its contribution is p(target | text) − p(target | text without it)."""
    if hasattr(model, "_check_fitted"):
        model._check_fitted()
    labels = [str(c) for c in model.classes_]
    spans = [m.span() for m in _UNIT_RE.finditer(text)]
    variants = [text] + [text[:start] + text[end:] for start, end in spans] + [""]
    proba = model.predict_proba(variants)  # one batch: (1 + n_tokens + 1, n_classes)
    if target is None:
        target = labels[int(np.argmax(proba[0]))]
    if str(target) not in labels:
        raise ModelError(f"target {target!r} is not a class of this model ({', '.join(labels)})")
    k = labels.index(str(target))
    full = float(proba[0, k])
    tokens = [
        {"token": text[start:end], "contribution": full - float(row[k])}
        for (start, end), row in zip(spans, proba[1:-1])
    ]
    return Explanation(
        text=text,
        target=str(target),
        method="occlusion",
        exact=False,
        scale=f"probability of {target}",
        score=full,
        base=float(proba[-1, k]),
        probabilities=dict(zip(labels, map(float, proba[0]))),
        tokens=tokens,
    )


def top_words(model, *, n: int = 15, min_df: int = 5, target: str | None = None) -> dict[str, Any]:
    """The n-grams with the largest weights of a linear model, among those in at least ``min_df`` documents.

    ``{label: [...]}``: the n-grams pushing toward each label. Two classes: the positive-side label first
    (the weight toward one class is minus the weight toward the other). More classes: the top ``n`` per class (or only ``target``). Each entry is
    ``{"feature", "weight", "doc_freq"}``. Filtering by document frequency keeps one-off usernames and typos
    (which a lightly regularised model can weigh heavily) out of the list.
    """
    if not hasattr(model, "feature_table"):
        raise SentilabError(
            f"top words need a linear model with per-n-gram weights; {getattr(model, 'name', 'this model')!r} "
            "has none",
            hint="train one with --model bow, or use `sentilab explain` (occlusion works for every model)",
        )
    if n < 1:
        raise SentilabError(f"n must be >= 1, got {n}")
    if min_df < 1:
        raise SentilabError(f"min_df must be >= 1, got {min_df}")
    labels = [str(c) for c in model.classes_]
    wanted = labels if target is None else [str(target)]
    out: dict[str, Any] = {}
    binary = len(labels) == 2 and target is None
    for label in labels[::-1] if binary else wanted:
        names, weights, doc_freq = model.feature_table(label)
        eligible = np.flatnonzero(np.asarray(doc_freq) >= min_df)
        if eligible.size == 0:
            raise SentilabError(
                f"no n-gram occurs in at least min_df={min_df} training documents "
                f"(the most frequent occurs in {int(np.max(doc_freq, initial=0))})",
                hint="lower --min-df",
            )
        order = eligible[np.argsort(-weights[eligible], kind="stable")][:n]
        out[label] = [  # keyed by the label itself: plain JSON keys
            {"feature": names[i], "weight": float(weights[i]), "doc_freq": int(doc_freq[i])} for i in order
        ]
    return out
