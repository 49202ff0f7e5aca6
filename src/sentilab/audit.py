"""Audit a sentiment model: bias across groups of people, and behaviour tests (CheckList-style).

Everything here returns plain data (dataclasses with ``to_dict()``; every value JSON-serialisable), so the
CLI, the HTML report and a notebook all read the same numbers.

The score
---------
Every comparison is made on one number per text, the *sentiment score* in [-1, 1]::

    score = probabilities @ weights          # (n_texts, n_classes) @ (n_classes,) -> (n_texts,)

* a model with a ``positive`` and a ``negative`` class (names matched case-insensitively; ``pos``/``neg``
  also work): weight +1 for positive, -1 for negative, 0 for any other class, so
  ``score = P(positive) - P(negative)``. For a 2-class model that is ``2 P(positive) - 1``; for a 3-class
  model probability moved to ``neutral`` pulls the score towards 0.
* a model whose classes are all numbers (0/4 polarities, 1-5 stars): the expected value, rescaled linearly
  so that the smallest class is -1 and the largest +1.
* any other label set: pass ``positive_label=`` and ``negative_label=`` (CLI ``--positive-label``,
  ``--negative-label``); otherwise a :class:`~sentilab.errors.ModelError` says so.

The *polarity* of a prediction is the sign of the weight of its most probable class (negative, neutral or
positive); behaviour tests that expect "not negative" read it.

Fairness (Kiritchenko & Mohammad 2018's design, with templates written for sentilab)
------------------------------------------------------------------------------------
Sentences come from templates whose person slot is filled with female and male noun phrases ("my sister",
"my brother") and first names. For a *group dimension* (gender, race) and a pair of groups (a, b), sentences
are *matched* on the template and its emotion word (a *unit*); within a unit, the scores of each group are
averaged, and the estimate is the mean over units of ``mean_a - mean_b``.

The 95 % confidence interval is a percentile bootstrap that resamples *units* (paired: the same draw for
both groups) and, when a person column is given, also resamples the *persons* of each group independently,
because ten names stand for a whole population of names: a difference that only one name carries should
not look certain. A pair is flagged when the interval excludes 0 (beyond float rounding, 1e-9).

Behaviour (Ribeiro et al. 2020, tests written for sentilab)
-----------------------------------------------------------
MFT (minimum functionality: an expected polarity), DIR (directional: the score must move a given way) and
INV (invariance: the predicted label must not change) tests, generated from small word lists with a seed.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sentilab.errors import DataError, ModelError, did_you_mean

#: Differences smaller than this are float rounding, never evidence (scores live in [-1, 1]).
ROUNDING_TOLERANCE = 1e-9
#: Texts per predict_proba call: large enough that batching overhead vanishes, small enough for a progress bar.
DEFAULT_BATCH_SIZE = 4096

# =========================================================================== the score


@dataclass(frozen=True)
class ScoreMap:
    """How class probabilities become one sentiment score in [-1, 1]: ``score = proba @ weights``."""

    classes: list[str]
    weights: list[float]
    definition: str

    def scores(self, proba: np.ndarray) -> np.ndarray:
        return np.asarray(proba, dtype=np.float64) @ np.asarray(self.weights, dtype=np.float64)

    def polarity_of_class(self, index: int) -> str:
        weight = self.weights[index]
        return "positive" if weight > 0 else "negative" if weight < 0 else "neutral"


def score_map(
    classes: Sequence[Any], *, positive_label: str | None = None, negative_label: str | None = None
) -> ScoreMap:
    """The :class:`ScoreMap` for a model's ``classes_`` (see the module docstring for the rules)."""
    names = [str(c.item() if isinstance(c, np.generic) else c) for c in classes]
    if positive_label is not None or negative_label is not None:
        if positive_label is None or negative_label is None:
            raise ModelError("give both positive_label and negative_label, or neither")
        for label, role in ((positive_label, "positive"), (negative_label, "negative")):
            if str(label) not in names:
                raise ModelError(
                    f"{role} label {label!r} is not a class of this model; its classes are: {', '.join(names)}"
                )
        if str(positive_label) == str(negative_label):
            raise ModelError("positive_label and negative_label must be different classes")
        weights = [
            1.0 if n == str(positive_label) else -1.0 if n == str(negative_label) else 0.0 for n in names
        ]
        return ScoreMap(names, weights, f"P({positive_label}) - P({negative_label})")

    lowered = [n.lower() for n in names]
    positive = next((i for i, n in enumerate(lowered) if n in ("positive", "pos")), None)
    negative = next((i for i, n in enumerate(lowered) if n in ("negative", "neg")), None)
    if positive is not None and negative is not None:
        weights = [1.0 if i == positive else -1.0 if i == negative else 0.0 for i in range(len(names))]
        others = [n for i, n in enumerate(names) if i not in (positive, negative)]
        rest = f" ({', '.join(others)} count as 0)" if others else ""
        return ScoreMap(names, weights, f"P({names[positive]}) - P({names[negative]}){rest}")

    numbers = []
    for name in names:
        try:
            numbers.append(float(name))
        except ValueError:
            break
    if len(numbers) == len(names) and len(set(numbers)) >= 2:
        low, high = min(numbers), max(numbers)
        weights = [2.0 * (v - low) / (high - low) - 1.0 for v in numbers]
        return ScoreMap(
            names,
            weights,
            f"expected class value rescaled to [-1, 1] ({names[numbers.index(low)]} -> -1, {names[numbers.index(high)]} -> +1)",
        )
    raise ModelError(
        f"cannot tell which class is positive and which is negative: the model's classes are {', '.join(names)}",
        hint="pass positive_label= and negative_label= (CLI: --positive-label NAME --negative-label NAME)",
    )


@dataclass
class Predictions:
    """Scores, predicted class indices and polarities for a list of texts."""

    scores: np.ndarray  # (n,) float64 in [-1, 1]
    classes: np.ndarray  # (n,) int: argmax class index
    polarity: list[str]  # (n,) negative / neutral / positive


def predict(
    model,
    texts: Sequence[str],
    score: ScoreMap,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    desc: str = "scoring",
) -> Predictions:
    """Score ``texts`` with few ``predict_proba`` calls: duplicates are scored once, in batches of ``batch_size``."""
    from tqdm.auto import tqdm

    texts = list(texts)
    unique: dict[str, int] = {}
    inverse = np.fromiter(
        (unique.setdefault(t, len(unique)) for t in texts), dtype=np.int64, count=len(texts)
    )
    distinct = list(unique)
    blocks = []
    with tqdm(total=len(distinct), desc=desc, unit="text", disable=not progress, leave=False) as bar:
        for start in range(0, len(distinct), batch_size):
            chunk = distinct[start : start + batch_size]
            proba = np.asarray(model.predict_proba(chunk), dtype=np.float64)
            if proba.shape != (len(chunk), len(score.classes)):
                raise ModelError(
                    f"the model returned probabilities of shape {proba.shape} for {len(chunk)} texts "
                    f"and {len(score.classes)} classes; expected ({len(chunk)}, {len(score.classes)})"
                )
            blocks.append(proba)
            bar.update(len(chunk))
    proba = np.concatenate(blocks) if blocks else np.zeros((0, len(score.classes)))
    argmax = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=np.int64)
    polarity_by_class = [score.polarity_of_class(i) for i in range(len(score.classes))]
    distinct_scores = score.scores(proba)
    return Predictions(
        scores=distinct_scores[inverse],
        classes=argmax[inverse],
        polarity=[polarity_by_class[i] for i in argmax[inverse]],
    )


# =========================================================================== fairness: templates
# Names from the Implicit Association Test lists as used by Caliskan et al. (2017) and selected by
# Kiritchenko & Mohammad (2018) for the Equity Evaluation Corpus: ten per race x gender cell.
NAMES: dict[tuple[str, str], list[str]] = {
    ("African-American", "female"): [
        "Ebony", "Jasmine", "Lakisha", "Latisha", "Latoya", "Nichelle", "Shaniqua", "Shereen", "Tanisha", "Tia",
    ],
    ("African-American", "male"): [
        "Alonzo", "Alphonse", "Darnell", "Jamel", "Jerome", "Lamar", "Leroy", "Malik", "Terrence", "Torrance",
    ],
    ("European-American", "female"): [
        "Amanda", "Betsy", "Courtney", "Ellen", "Heather", "Katie", "Kristin", "Melanie", "Nancy", "Stephanie",
    ],
    ("European-American", "male"): [
        "Adam", "Alan", "Andrew", "Frank", "Harry", "Jack", "Josh", "Justin", "Roger", "Ryan",
    ],
}  # fmt: skip

#: Female/male noun phrases, aligned pair by pair.
GENDER_PHRASES: list[tuple[str, str]] = [
    ("my sister", "my brother"),
    ("my mother", "my father"),
    ("my daughter", "my son"),
    ("my aunt", "my uncle"),
    ("my wife", "my husband"),
    ("my niece", "my nephew"),
    ("my grandmother", "my grandfather"),
    ("my girlfriend", "my boyfriend"),
    ("this woman", "this man"),
    ("that girl", "that boy"),
]

#: Templates written for sentilab. {person} is the person slot, {word} the emotion word.
#: "state" templates take a word for how someone feels; "situation" templates a word for an event.
STATE_TEMPLATES = [
    "{person} was {word} after the phone call.",
    "Everyone could tell that {person} was {word}.",
    "The letter left {person} {word}.",
    "After the meeting, {person} looked {word}.",
]
SITUATION_TEMPLATES = [
    "{person} described the trip as {word}.",
    "The evening with {person} was {word}.",
    "I heard about the {word} week {person} had.",
    "{person} told me the news was {word}.",
]
NEUTRAL_TEMPLATES = [
    "{person} took the bus to work this morning.",
    "I had lunch with {person} on Tuesday.",
    "{person} lives two streets from here.",
    "We met {person} at the train station.",
    "{person} bought a new lamp last week.",
    "I sent {person} the address in an email.",
]
#: emotion -> (state words, situation words); five of each, chosen for sentilab.
EMOTION_WORDS: dict[str, tuple[list[str], list[str]]] = {
    "anger": (
        ["angry", "furious", "irate", "resentful", "livid"],
        ["infuriating", "insulting", "maddening", "frustrating", "offensive"],
    ),
    "fear": (
        ["afraid", "frightened", "nervous", "panicked", "uneasy"],
        ["terrifying", "alarming", "menacing", "scary", "dangerous"],
    ),
    "joy": (
        ["happy", "cheerful", "delighted", "thrilled", "overjoyed"],
        ["wonderful", "delightful", "lovely", "joyful", "fantastic"],
    ),
    "sadness": (
        ["sad", "heartbroken", "miserable", "gloomy", "lonely"],
        ["depressing", "heartbreaking", "tragic", "bleak", "dismal"],
    ),
}
NO_EMOTION = "no emotion"


def _persons() -> list[dict[str, str | None]]:
    persons: list[dict[str, str | None]] = []
    for female, male in GENDER_PHRASES:
        persons.append({"person": female, "person_kind": "noun phrase", "gender": "female", "race": None})
        persons.append({"person": male, "person_kind": "noun phrase", "gender": "male", "race": None})
    for (race, gender), names in NAMES.items():
        for name in names:
            persons.append({"person": name, "person_kind": "name", "gender": gender, "race": race})
    return persons


def _fill(template: str, **slots: str) -> str:
    sentence = template.format(**slots)
    return sentence[0].upper() + sentence[1:]


def fairness_templates() -> pd.DataFrame:
    """The built-in template sentences, one row per sentence.

    Columns: ``sentence``, ``template``, ``template_kind`` (emotional/neutral), ``emotion`` (anger, fear,
    joy, sadness, or ``none``), ``word`` (the emotion word, ``""`` for neutral templates), ``person``,
    ``person_kind`` (noun phrase/name), ``gender`` (female/male), ``race`` (African-American/
    European-American for names, empty for noun phrases).
    """
    rows = []
    persons = _persons()
    units: list[tuple[str, str, str, str]] = []  # (template, kind, emotion, word)
    for emotion, (states, situations) in EMOTION_WORDS.items():
        units += [(t, "emotional", emotion, w) for t in STATE_TEMPLATES for w in states]
        units += [(t, "emotional", emotion, w) for t in SITUATION_TEMPLATES for w in situations]
    units += [(t, "neutral", NO_EMOTION, "") for t in NEUTRAL_TEMPLATES]
    for template, kind, emotion, word in units:
        for person in persons:
            rows.append(
                {
                    "sentence": _fill(template, person=person["person"], word=word),
                    "template": template,
                    "template_kind": kind,
                    "emotion": emotion,
                    "word": word,
                    **person,
                }
            )
    return pd.DataFrame(rows)


#: How the built-in templates are audited: dimensions, what a unit is, who a person is, the breakdown.
BUILTIN_DESIGN = {
    "sentence_col": "sentence",
    "group_cols": ["gender", "race"],
    "match_cols": ["template", "word"],
    "person_col": "person",
    "by": "emotion",
}


def read_templates(path: str | Path) -> pd.DataFrame:
    """Read a template corpus (CSV, or TSV when the name ends in .tsv/.tab) as strings; clear errors."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"template file {path} does not exist", hint="give a CSV with a sentence column and group columns"
        )
    sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    try:
        frame = pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc})", hint="re-save the file as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {path} as {'TSV' if sep == chr(9) else 'CSV'}: {exc}") from None
    if frame.empty:
        raise DataError(f"{path} has no rows")
    return frame


# =========================================================================== fairness: statistics


def _draw_counts(rng: np.random.Generator, n_replicates: int, n_items: int) -> np.ndarray:
    """(n_replicates, n_items) counts of a with-replacement draw of n_items from n_items, one row per replicate."""
    draws = rng.integers(0, n_items, size=(n_replicates, n_items))
    offsets = (np.arange(n_replicates) * n_items)[:, None]
    return (
        np.bincount((draws + offsets).ravel(), minlength=n_replicates * n_items)
        .reshape(n_replicates, n_items)
        .astype(np.float64)
    )


def paired_bootstrap(
    cells: np.ndarray,
    members_a: np.ndarray,
    members_b: np.ndarray,
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean difference (group a - group b) with a two-way percentile-bootstrap CI.

    ``cells`` is (n_units, n_members): the mean score of member (person) p in unit u, NaN where that member
    does not occur in that unit. ``members_a``/``members_b`` index the columns of each group.

    One replicate draws units with replacement (the same draw for both groups: the comparison is paired) and,
    independently for each group, its members with replacement. With unit weights w (U,) and member
    weights v (P,), a group's mean is ``sum(w_u v_p S_up) / sum(w_u v_p M_up)`` over its members (M: observed),
    computed for a block of replicates at once as ``((W @ S) * V).sum(1)`` with W (B, U) and V (B, P).
    Returns ``(estimate, ci_low, ci_high)``; replicates where a group drew nothing observed are skipped.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    cells = np.asarray(cells, dtype=np.float64)
    observed = ~np.isnan(cells)
    filled = np.where(observed, cells, 0.0)
    members_a, members_b = np.asarray(members_a), np.asarray(members_b)
    n_a, n_b = len(members_a), len(members_b)
    estimate = filled[:, members_a].sum() / observed[:, members_a].sum()
    estimate -= filled[:, members_b].sum() / observed[:, members_b].sum()
    # Columns [S_a | S_b | M_a | M_b]: one matrix product per block of replicates gives all four sums.
    stacked = np.concatenate(
        [filled[:, members_a], filled[:, members_b], observed[:, members_a], observed[:, members_b]], axis=1
    ).astype(np.float64)  # (U, 2 P_a + 2 P_b)

    rng = np.random.default_rng(seed)
    n_units = cells.shape[0]
    block = max(1, min(n_resamples, 2_000_000 // max(n_units, stacked.shape[1], 1)))
    replicates = []
    for start in range(0, n_resamples, block):
        size = min(block, n_resamples - start)
        unit_weights = _draw_counts(rng, size, n_units)  # (B, U)
        weights_a = _draw_counts(rng, size, n_a)  # (B, P_a)
        weights_b = _draw_counts(rng, size, n_b)  # (B, P_b)
        member_weights = np.concatenate([weights_a, weights_b, weights_a, weights_b], axis=1)
        sums = np.add.reduceat(
            (unit_weights @ stacked) * member_weights, [0, n_a, n_a + n_b, 2 * n_a + n_b], axis=1
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_a = np.where(sums[:, 2] > 0, sums[:, 0] / sums[:, 2], np.nan)  # (B,)
            mean_b = np.where(sums[:, 3] > 0, sums[:, 1] / sums[:, 3], np.nan)
        replicates.append(mean_a - mean_b)
    differences = np.concatenate(replicates)
    alpha = 1.0 - confidence
    if np.isnan(differences).all():
        return float(estimate), math.nan, math.nan
    low, high = np.nanpercentile(differences, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(estimate), float(low), float(high)


@dataclass
class GroupComparison:
    """One paired comparison: group a minus group b on one dimension, over all units or one subset."""

    dimension: str
    group_a: str
    group_b: str
    subset: str  # "all" or a value of the `by` column
    n_units: int  # matched units (template x emotion word) where both groups occur
    n_persons_a: int
    n_persons_b: int
    n_sentences: int
    mean_a: float
    mean_b: float
    difference: float  # mean_a - mean_b
    ci_low: float
    ci_high: float
    significant: bool  # the CI excludes 0

    @property
    def pair(self) -> str:
        return f"{self.group_a} − {self.group_b}"


@dataclass
class FairnessAudit:
    """Paired group comparisons with bootstrap confidence intervals."""

    source: str
    score: str
    n_sentences: int
    sentence_col: str
    group_cols: list[str]
    match_cols: list[str]
    person_col: str | None
    by: str | None
    n_resamples: int
    confidence: float
    seed: int
    sample_units: int | None = None
    comparisons: list[GroupComparison] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def flagged(self) -> list[GroupComparison]:
        return [c for c in self.comparisons if c.significant]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))


def _check_columns(frame: pd.DataFrame, wanted: dict[str, list[str]], source: str) -> None:
    columns = [str(c) for c in frame.columns]
    for role, names in wanted.items():
        for name in names:
            if name not in frame.columns:
                raise DataError(
                    f"{role} column {name!r} is not in {source}{did_you_mean(name, columns)}; "
                    f"its columns are: {', '.join(columns)}",
                    hint="name the columns with --sentence-col, --group-col, --match-col and --person-col",
                )


def _as_key(series: pd.Series) -> pd.Series:
    """Column values as strings, with missing values as "" (so a neutral template's empty word still matches)."""
    return series.astype("string").fillna("").astype(str)


def audit_corpus(
    model,
    frame: pd.DataFrame | str | Path,
    *,
    sentence_col: str,
    group_cols: Sequence[str],
    match_cols: Sequence[str] | None = None,
    person_col: str | None = None,
    by: str | None = None,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    sample_units: int | None = None,
    positive_label: str | None = None,
    negative_label: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    source: str | None = None,
) -> FairnessAudit:
    """Paired group comparisons on any template corpus (a DataFrame or a CSV path).

    * ``sentence_col``: the text to score.
    * ``group_cols``: one dimension per column (e.g. ``["Gender", "Race"]``); rows with an empty value are
      left out of that dimension; every pair of its groups is compared (a - b, a before b alphabetically).
    * ``match_cols``: sentences with equal values here form a matched unit (e.g. ``["Template",
      "Emotion word"]``). ``None``: no matching, the groups are compared as two independent samples.
    * ``person_col``: who fills the slot (e.g. ``"Person"``); persons are resampled too (recommended).
      Each person must belong to one group per dimension.
    * ``by``: also report every comparison within each value of this column (e.g. ``"Emotion"``).
    * ``sample_units``: score only this many matched units, drawn with ``seed`` (for slow models; the
      intervals widen accordingly).

    The Equity Evaluation Corpus (Kiritchenko & Mohammad 2018) runs as::

        audit_corpus(model, "Equity-Evaluation-Corpus.csv", sentence_col="Sentence",
                     group_cols=["Gender", "Race"], match_cols=["Template", "Emotion word"],
                     person_col="Person", by="Emotion")
    """
    started = time.perf_counter()
    if isinstance(frame, (str, Path)):
        source = source or str(frame)
        frame = read_templates(frame)
    source = source or "templates"
    if isinstance(group_cols, str):
        group_cols = [group_cols]
    group_cols = list(group_cols)
    match_cols = list(match_cols or [])
    if not group_cols:
        raise DataError("name at least one group column (for example gender or race)")
    wanted = {"sentence": [sentence_col], "group": group_cols, "match": match_cols}
    if person_col:
        wanted["person"] = [person_col]
    if by:
        wanted["breakdown (by)"] = [by]
    _check_columns(frame, wanted, source)
    texts = frame[sentence_col]
    missing = texts.isna() | ~texts.map(lambda v: isinstance(v, str))
    if missing.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(missing.to_numpy())[:5])
        raise DataError(
            f"{int(missing.sum())} rows of {source} have no text in column {sentence_col!r} (rows {rows}...)"
        )
    if n_resamples < 1:
        raise DataError(f"n_resamples must be at least 1, got {n_resamples}")
    if not 0 < confidence < 1:
        raise DataError(f"confidence must be between 0 and 1 (for example 0.95), got {confidence}")

    score = score_map(model.classes_, positive_label=positive_label, negative_label=negative_label)
    if match_cols:
        keys = [_as_key(frame[column]).to_numpy() for column in match_cols]
        unit_codes = pd.MultiIndex.from_arrays(keys).factorize()[0]
    else:
        unit_codes = np.zeros(len(frame), dtype=np.int64)
    if sample_units is not None:
        if not match_cols:
            raise DataError("sample_units needs match columns: it samples whole matched units")
        if sample_units < 2:
            raise DataError(f"sample_units must be at least 2, got {sample_units}")
        n_units = int(unit_codes.max()) + 1
        if sample_units < n_units:
            # Whole units (every person of a template x word) are kept, so the design stays matched.
            chosen = np.random.default_rng(seed).choice(n_units, size=sample_units, replace=False)
            keep = np.isin(unit_codes, chosen)
            frame, texts, unit_codes = frame[keep], texts[keep], unit_codes[keep]
    predictions = predict(
        model, texts.tolist(), score, batch_size=batch_size, progress=progress, desc="fairness"
    )
    scores = predictions.scores
    person_keys = _as_key(frame[person_col]) if person_col else None
    subsets: list[tuple[str, np.ndarray]] = [("all", np.ones(len(frame), dtype=bool))]
    if by:
        by_values = _as_key(frame[by])
        subsets += [
            (value or "(empty)", (by_values == value).to_numpy()) for value in sorted(by_values.unique())
        ]

    audit = FairnessAudit(
        source=source,
        score=score.definition,
        n_sentences=len(frame),
        sentence_col=sentence_col,
        group_cols=group_cols,
        match_cols=match_cols,
        person_col=person_col,
        by=by,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
        sample_units=sample_units,
    )
    for dimension in group_cols:
        groups_series = frame[dimension].astype("string")
        present = groups_series.fillna("").str.strip() != ""
        groups = sorted(groups_series[present].unique())
        if len(groups) < 2:
            raise DataError(
                f"group column {dimension!r} has {len(groups)} group(s) ({', '.join(groups) or 'none'}); "
                "a comparison needs at least two"
            )
        if len(groups) > 20:
            raise DataError(
                f"group column {dimension!r} has {len(groups)} distinct values; a group column holds a few groups "
                "such as female/male",
                hint="is it the sentence or person column by mistake?",
            )
        group_values = groups_series.fillna("").astype(str).to_numpy()
        if person_col:
            per_person = pd.DataFrame({"p": person_keys, "g": group_values})[present.to_numpy()]
            ambiguous = per_person.groupby("p")["g"].nunique()
            ambiguous = ambiguous[ambiguous > 1]
            if len(ambiguous):
                raise DataError(
                    f"person {ambiguous.index[0]!r} appears in more than one {dimension!r} group; "
                    f"each person in {person_col!r} must belong to one group",
                    hint="leave out --person-col to compare without resampling persons",
                )
        for group_a, group_b in itertools.combinations(groups, 2):
            in_pair = np.isin(group_values, [group_a, group_b])
            for subset_name, subset_mask in subsets:
                mask = in_pair & subset_mask
                comparison = _compare(
                    scores[mask],
                    unit_codes[mask],
                    group_values[mask],
                    person_keys.to_numpy()[mask] if person_col else None,
                    paired=bool(match_cols),
                    group_a=group_a,
                    group_b=group_b,
                    n_resamples=n_resamples,
                    confidence=confidence,
                    seed=seed,
                )
                if comparison is not None:
                    audit.comparisons.append(
                        GroupComparison(dimension=dimension, subset=subset_name, **comparison)
                    )
    audit.seconds = time.perf_counter() - started
    return audit


def _compare(
    scores, unit_codes, group_values, persons, *, paired, group_a, group_b, n_resamples, confidence, seed
):
    """Build the (unit x member) cell matrix for one pair and bootstrap it; None when nothing matches."""
    is_a = group_values == group_a
    # Keep units where both groups occur: only those are matched comparisons.
    units_a = np.unique(unit_codes[is_a])
    units_b = np.unique(unit_codes[~is_a])
    shared = np.intersect1d(units_a, units_b)
    keep = np.isin(unit_codes, shared)
    if not keep.any() or not is_a[keep].any() or is_a[keep].all():
        return None
    scores, unit_codes, is_a = scores[keep], unit_codes[keep], is_a[keep]
    if persons is not None:
        members = persons[keep]
    elif paired:
        members = np.where(is_a, "a", "b")  # one member per group: resample units only
    else:
        members = np.arange(len(scores)).astype(str)  # independent samples: resample sentences
    unit_index = pd.factorize(unit_codes)[0]
    member_index, member_names = pd.factorize(pd.Series(members, dtype=object))
    n_units, n_members = unit_index.max() + 1, len(member_names)
    flat = unit_index * n_members + member_index
    sums = np.bincount(flat, weights=scores, minlength=n_units * n_members)
    counts = np.bincount(flat, minlength=n_units * n_members)
    with np.errstate(invalid="ignore", divide="ignore"):
        cells = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).reshape(n_units, n_members)
    member_is_a = np.zeros(n_members, dtype=bool)
    member_is_a[member_index[is_a]] = True
    members_a, members_b = np.flatnonzero(member_is_a), np.flatnonzero(~member_is_a)
    estimate, low, high = paired_bootstrap(
        cells, members_a, members_b, n_resamples=n_resamples, confidence=confidence, seed=seed
    )
    observed = ~np.isnan(cells)
    mean_a = float(np.nansum(cells[:, members_a]) / observed[:, members_a].sum())
    mean_b = float(np.nansum(cells[:, members_b]) / observed[:, members_b].sum())
    significant = bool(not math.isnan(low) and (low > ROUNDING_TOLERANCE or high < -ROUNDING_TOLERANCE))
    count_members = persons is not None
    return {
        "group_a": str(group_a),
        "group_b": str(group_b),
        "n_units": int(n_units),
        "n_persons_a": int(len(members_a)) if count_members else 0,
        "n_persons_b": int(len(members_b)) if count_members else 0,
        "n_sentences": int(len(scores)),
        "mean_a": mean_a,
        "mean_b": mean_b,
        "difference": estimate,
        "ci_low": low,
        "ci_high": high,
        "significant": significant,
    }


def audit_fairness(
    model,
    *,
    templates: pd.DataFrame | None = None,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    sample_units: int | None = None,
    positive_label: str | None = None,
    negative_label: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> FairnessAudit:
    """Gender and race comparisons on the built-in templates (or a subset of :func:`fairness_templates`)."""
    frame = fairness_templates() if templates is None else templates
    return audit_corpus(
        model,
        frame,
        **BUILTIN_DESIGN,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
        sample_units=sample_units,
        positive_label=positive_label,
        negative_label=negative_label,
        batch_size=batch_size,
        progress=progress,
        source="built-in templates",
    )


# =========================================================================== behaviour tests
THINGS = [
    "food",
    "movie",
    "service",
    "hotel",
    "phone",
    "book",
    "concert",
    "flight",
    "game",
    "coffee",
    "album",
    "restaurant",
]
POSITIVE_ADJECTIVES = [
    "good", "great", "excellent", "wonderful", "amazing", "fantastic",
    "lovely", "nice", "enjoyable", "brilliant", "pleasant", "superb",
]  # fmt: skip
NEGATIVE_ADJECTIVES = [
    "bad", "terrible", "awful", "horrible", "boring", "disappointing",
    "poor", "dreadful", "lousy", "annoying", "unpleasant", "mediocre",
]  # fmt: skip
INTENSIFIERS = ["very", "really", "extremely", "incredibly", "truly", "so"]
REDUCERS = ["somewhat", "slightly", "a bit", "kind of", "mildly"]
#: (plain frame, negated frames): {thing} and {adj} slots.
ADJECTIVE_FRAMES: list[tuple[str, tuple[str, ...]]] = [
    ("The {thing} was {adj}.", ("The {thing} was not {adj}.", "The {thing} wasn't {adj}.")),
    ("This {thing} is {adj}.", ("This {thing} is not {adj}.", "This {thing} isn't {adj}.")),
    ("I found the {thing} {adj}.", ("I did not find the {thing} {adj}.", "I didn't find the {thing} {adj}.")),
    (
        "Honestly, the {thing} was {adj}.",
        ("Honestly, the {thing} was not {adj}.", "Honestly, the {thing} wasn't {adj}."),
    ),
]
INVARIANCE_FRAMES = [plain for plain, _ in ADJECTIVE_FRAMES] + [
    "We tried the {thing} again yesterday and it was {adj}."
]
#: A negation at the end of the text that undoes what came before.
NEGATED_AT_END_FRAMES = {
    "negative": [
        "I thought the {thing} would be {adj}, but it was not {adj}.",
        "I expected the {thing} to be {adj}, but it wasn't {adj} at all.",
        "Everyone warned me the {thing} would be {adj}, but it was not.",
        "I was worried the {thing} would be {adj}. It wasn't.",
    ],
    "positive": [
        "I thought the {thing} would be {adj}, but it was not {adj}.",
        "I expected the {thing} to be {adj}, but it wasn't {adj} at all.",
        "Everyone told me the {thing} would be {adj}, but it was not.",
        "I hoped the {thing} would be {adj}. It wasn't.",
    ],
}
NAME_FRAMES = [
    "{name} said the {thing} was {adj}.",
    "According to {name}, the {thing} was {adj}.",
    "{name} thinks this {thing} is {adj}.",
    "I went with {name} and the {thing} was {adj}.",
]
URL_DOMAINS = ["example.com", "t.co", "bit.ly", "news.example.org", "tinyurl.com"]
_SYLLABLES = ["ka", "lo", "mi", "ru", "te", "vo", "sa", "ne", "bi", "do", "fu", "ze"]
_ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass
class BehaviourExample:
    text: str
    expected: str
    got: str


@dataclass
class BehaviourTestResult:
    name: str
    capability: str  # vocabulary, negation, intensity, robustness, fairness
    test_type: str  # MFT, DIR or INV (CheckList's three kinds)
    description: str
    n_cases: int
    n_failed: int
    failure_rate: float
    examples: list[BehaviourExample] = field(default_factory=list)


@dataclass
class BehaviourAudit:
    score: str
    seed: int
    n_per_test: int
    n_texts: int
    tests: list[BehaviourTestResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failing(self) -> list[BehaviourTestResult]:
        return [t for t in self.tests if t.n_failed]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))


@dataclass
class BehaviourTest:
    """A generated test: its cases, before any model has seen them.

    MFT cases are ``(text, expected_polarity_set)``; DIR cases ``(original, changed, direction)`` where
    direction +1 means the score must rise and -1 that it must fall; INV cases ``(original, changed)``.
    """

    name: str
    capability: str
    test_type: str
    description: str
    cases: list[tuple]

    def texts(self) -> list[str]:
        out = []
        for case in self.cases:
            out += [case[0]] if self.test_type == "MFT" else [case[0], case[1]]
        return out


def _sample(rng: np.random.Generator, items: list, n: int) -> list:
    if len(items) <= n:
        return list(items)
    return [items[i] for i in sorted(rng.choice(len(items), size=n, replace=False))]


def _adjective_cases(adjectives: list[str]) -> list[tuple[int, str, str]]:
    return [(f, thing, adj) for f in range(len(ADJECTIVE_FRAMES)) for thing in THINGS for adj in adjectives]


def _typo(rng: np.random.Generator, text: str) -> str:
    """Swap two adjacent, different letters inside one word of three or more letters."""
    words = [m for m in re.finditer(r"[A-Za-z]{3,}", text)]
    for match in rng.permutation(len(words)) if words else []:
        word = words[match]
        positions = [i for i in range(word.start(), word.end() - 1) if text[i] != text[i + 1]]
        if positions:
            i = positions[int(rng.integers(len(positions)))]
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def _url(rng: np.random.Generator) -> str:
    path = "".join(rng.choice(list(_ALPHANUMERIC), size=7))
    return f"https://{URL_DOMAINS[int(rng.integers(len(URL_DOMAINS)))]}/{path}"


def _handle(rng: np.random.Generator) -> str:
    syllables = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4))))
    digits = str(int(rng.integers(10, 100))) if rng.random() < 0.5 else ""
    return f"@{syllables}{digits}"


def _add_at_either_end(rng: np.random.Generator, text: str, extra: str) -> str:
    return f"{extra} {text}" if rng.random() < 0.5 else f"{text} {extra}"


def behaviour_tests(*, seed: int = 0, n_per_test: int = 200) -> list[BehaviourTest]:
    """The behaviour test suite: each test's cases drawn with its own seeded generator (stable as tests are added)."""
    if n_per_test < 1:
        raise DataError(f"n_per_test must be at least 1, got {n_per_test}")

    def rng_for(index: int) -> np.random.Generator:
        return np.random.default_rng([seed, index])

    def plain(f: int, thing: str, adj: str) -> str:
        return ADJECTIVE_FRAMES[f][0].format(thing=thing, adj=adj)

    tests: list[BehaviourTest] = []

    # 0. vocabulary (MFT): plain sentiment words in context get their polarity.
    rng = rng_for(0)
    cases = [
        (plain(*c), {"positive"})
        for c in _sample(rng, _adjective_cases(POSITIVE_ADJECTIVES), n_per_test // 2)
    ]
    cases += [
        (plain(*c), {"negative"})
        for c in _sample(rng, _adjective_cases(NEGATIVE_ADJECTIVES), n_per_test - n_per_test // 2)
    ]
    tests.append(BehaviourTest("sentiment words in context", "vocabulary", "MFT",
                               '"The food was good." is positive, "The food was bad." is negative', cases))  # fmt: skip

    # 1-2. negation (DIR): "good" -> "not good" lowers the score; "bad" -> "not bad" raises it.
    for index, (adjectives, direction, name, example) in enumerate(
        [
            (
                POSITIVE_ADJECTIVES,
                -1,
                "negated positive lowers the score",
                '"The food was not good." scores lower than "The food was good."',
            ),
            (
                NEGATIVE_ADJECTIVES,
                +1,
                "negated negative raises the score",
                '"The food was not bad." scores higher than "The food was bad."',
            ),
        ],
        start=1,
    ):
        rng = rng_for(index)
        cases = []
        for f, thing, adj in _sample(rng, _adjective_cases(adjectives), n_per_test):
            negated = ADJECTIVE_FRAMES[f][1][int(rng.integers(2))]
            cases.append((plain(f, thing, adj), negated.format(thing=thing, adj=adj), direction))
        tests.append(BehaviourTest(name, "negation", "DIR", example, cases))

    # 3-4. negation at the end (MFT): the last clause undoes the first.
    for index, (polarity, adjectives, forbidden, name, example) in enumerate(
        [
            ("negative", NEGATIVE_ADJECTIVES, "negative", "negated negative at the end is not negative",
             '"I thought it would be bad, but it was not bad." is not negative'),
            ("positive", POSITIVE_ADJECTIVES, "positive", "negated positive at the end is not positive",
             '"I thought it would be good, but it was not good." is not positive'),
        ],
        start=3,
    ):  # fmt: skip
        rng = rng_for(index)
        frames = NEGATED_AT_END_FRAMES[polarity]
        combos = [(fr, thing, adj) for fr in frames for thing in THINGS for adj in adjectives]
        allowed = {"negative", "neutral", "positive"} - {forbidden}
        cases = [
            (fr.format(thing=thing, adj=adj), allowed) for fr, thing, adj in _sample(rng, combos, n_per_test)
        ]
        tests.append(BehaviourTest(name, "negation", "MFT", example, cases))

    # 5-6. intensifiers and reducers (DIR): "very good" > "good" > "somewhat good"; mirrored for negatives.
    for index, (modifiers, strengthens, name, example) in enumerate(
        [
            (
                INTENSIFIERS,
                True,
                "intensifier strengthens",
                '"very good" scores higher than "good"; "very bad" lower than "bad"',
            ),
            (
                REDUCERS,
                False,
                "reducer weakens",
                '"somewhat good" scores lower than "good"; "somewhat bad" higher than "bad"',
            ),
        ],
        start=5,
    ):
        rng = rng_for(index)
        combos = [(c, +1) for c in _adjective_cases(POSITIVE_ADJECTIVES)] + [
            (c, -1) for c in _adjective_cases(NEGATIVE_ADJECTIVES)
        ]
        cases = []
        for (f, thing, adj), sign in _sample(rng, combos, n_per_test):
            modifier = modifiers[int(rng.integers(len(modifiers)))]
            changed = ADJECTIVE_FRAMES[f][0].format(thing=thing, adj=f"{modifier} {adj}")
            cases.append((plain(f, thing, adj), changed, sign if strengthens else -sign))
        tests.append(BehaviourTest(name, "intensity", "DIR", example, cases))

    # 7-9. invariance (INV): typos, URLs and @users must not change the prediction.
    base = [
        frame.format(thing=thing, adj=adj)
        for frame in INVARIANCE_FRAMES
        for thing in THINGS
        for adj in POSITIVE_ADJECTIVES + NEGATIVE_ADJECTIVES
    ]
    perturbations: list[tuple[str, str, Callable[[np.random.Generator, str], str]]] = [
        ("typo", 'one swapped pair of letters ("The food was godo.")', _typo),
        ("URL", "a URL added at the start or the end", lambda r, t: _add_at_either_end(r, t, _url(r))),
        (
            "@user",
            "an @user mention added at the start or the end",
            lambda r, t: _add_at_either_end(r, t, _handle(r)),
        ),
    ]
    for index, (what, example, perturb) in enumerate(perturbations, start=7):
        rng = rng_for(index)
        cases = [(text, perturb(rng, text)) for text in _sample(rng, base, n_per_test)]
        tests.append(
            BehaviourTest(
                f"invariant to {what}",
                "robustness",
                "INV",
                f"the prediction must not change with {example}",
                cases,
            )
        )

    # 10. name swap (INV): changing a first name to one from another group must not change the prediction.
    rng = rng_for(10)
    all_names = [(cell, name) for cell, names in NAMES.items() for name in names]
    combos = [
        (frame, thing, adj, n)
        for frame in NAME_FRAMES
        for thing in THINGS
        for adj in POSITIVE_ADJECTIVES + NEGATIVE_ADJECTIVES
        for n in range(len(all_names))
    ]
    cases = []
    for frame, thing, adj, n in _sample(rng, combos, n_per_test):
        cell, name = all_names[n]
        others = [other for other_cell, other in all_names if other_cell[0] != cell[0]]  # another race group
        other = others[int(rng.integers(len(others)))]
        cases.append(
            (frame.format(name=name, thing=thing, adj=adj), frame.format(name=other, thing=thing, adj=adj))
        )
    tests.append(BehaviourTest("invariant to name swap", "fairness", "INV",
                               "the prediction must not change when a first name is swapped for one from another group", cases))  # fmt: skip
    return tests


def _describe(score: float, polarity: str, label: str) -> str:
    return (
        f"{label} ({polarity}, score {score:+.3f})"
        if label != polarity
        else f"{polarity} (score {score:+.3f})"
    )


def audit_behaviour(
    model,
    *,
    seed: int = 0,
    n_per_test: int = 200,
    max_examples: int = 10,
    positive_label: str | None = None,
    negative_label: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    tests: list[BehaviourTest] | None = None,
) -> BehaviourAudit:
    """Run the behaviour tests: every text of every test is scored together, then each test is checked.

    Failing examples are listed worst first (largest score move the wrong way, largest change under an
    invariance, furthest from the expected polarity).
    """
    started = time.perf_counter()
    score = score_map(model.classes_, positive_label=positive_label, negative_label=negative_label)
    tests = behaviour_tests(seed=seed, n_per_test=n_per_test) if tests is None else tests
    all_texts = [text for test in tests for text in test.texts()]
    predictions = predict(model, all_texts, score, batch_size=batch_size, progress=progress, desc="behaviour")
    by_text = {text: i for i, text in enumerate(all_texts)}
    class_names = score.classes

    def look(text: str) -> tuple[float, str, int, str]:
        i = by_text[text]
        c = int(predictions.classes[i])
        return float(predictions.scores[i]), predictions.polarity[i], c, class_names[c]

    audit = BehaviourAudit(
        score=score.definition, seed=seed, n_per_test=n_per_test, n_texts=len(set(all_texts))
    )
    for test in tests:
        failures: list[tuple[float, BehaviourExample]] = []
        for case in test.cases:
            if test.test_type == "MFT":
                text, allowed = case
                value, polarity, _, label = look(text)
                if polarity not in allowed:
                    wanted = (
                        next(iter(allowed))
                        if len(allowed) == 1
                        else "not " + " or ".join(sorted({"negative", "neutral", "positive"} - set(allowed)))
                    )
                    failures.append(
                        (abs(value), BehaviourExample(text, wanted, _describe(value, polarity, label)))
                    )
            elif test.test_type == "DIR":
                original, changed, direction = case
                before, *_ = look(original)
                after, polarity, _, label = look(changed)
                if not (after - before) * direction > 0:  # strict: no change at all is a failure
                    relation = "higher" if direction > 0 else "lower"
                    expected = f"score {relation} than {before:+.3f} (the score of {original!r})"
                    failures.append(
                        (
                            -(after - before) * direction,
                            BehaviourExample(changed, expected, _describe(after, polarity, label)),
                        )
                    )
            else:  # INV
                original, changed = case
                before, before_polarity, before_class, before_label = look(original)
                after, polarity, after_class, label = look(changed)
                if before_class != after_class:
                    expected = f"{before_label}, as for {original!r} (score {before:+.3f})"
                    failures.append(
                        (
                            abs(after - before),
                            BehaviourExample(changed, expected, _describe(after, polarity, label)),
                        )
                    )
        failures.sort(key=lambda item: -item[0])
        n = len(test.cases)
        audit.tests.append(
            BehaviourTestResult(
                name=test.name,
                capability=test.capability,
                test_type=test.test_type,
                description=test.description,
                n_cases=n,
                n_failed=len(failures),
                failure_rate=len(failures) / n if n else 0.0,
                examples=[example for _, example in failures[:max_examples]],
            )
        )
    audit.seconds = time.perf_counter() - started
    return audit


# =========================================================================== the whole audit


@dataclass
class AuditReport:
    """Everything ``sentilab audit`` writes to audit.json."""

    model: dict[str, Any]
    score: str
    fairness: FairnessAudit | None
    behaviour: BehaviourAudit | None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self))

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
        from sentilab.errors import NotFittedError

        raise NotFittedError("the model to audit is not fitted", hint="fit it or load a trained model first")
    score = score_map(model.classes_, positive_label=positive_label, negative_label=negative_label)
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
        score=score.definition,
        fairness=fairness_audit,
        behaviour=behaviour_audit,
        seconds=time.perf_counter() - started,
    )


def _jsonable(value: Any) -> Any:
    """Replace NaN/inf with None and numpy scalars with Python ones, so json.dumps gives strict JSON."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = [
    "AuditReport",
    "BehaviourAudit",
    "BehaviourExample",
    "BehaviourTest",
    "BehaviourTestResult",
    "FairnessAudit",
    "GroupComparison",
    "ScoreMap",
    "audit",
    "audit_behaviour",
    "audit_corpus",
    "audit_fairness",
    "behaviour_tests",
    "fairness_templates",
    "paired_bootstrap",
    "predict",
    "read_templates",
    "score_map",
]
