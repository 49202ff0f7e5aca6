"""Bias across groups of people: paired comparisons of template sentences with a two-way bootstrap.

Fairness (Kiritchenko & Mohammad 2018's design, with templates written for sentilab)
------------------------------------------------------------------------------------
Sentences come from templates whose person slot is filled with female and male noun phrases ("my sister",
"my brother") and first names. For a *group dimension* (gender, race) and a pair of groups (a, b), sentences
are *matched* on the template and its emotion word (a *unit*); within a unit, the polarities
(:mod:`sentilab.audit.scoring`) of each group are averaged, and the estimate, the *polarity gap*, is the
mean over units of ``mean_polarity_a - mean_polarity_b``.

The 95 % confidence interval is a percentile bootstrap that resamples *units* (paired: the same draw for
both groups) and, when a person column is given, also resamples the *persons* of each group independently,
because ten names stand for a whole population of names: a difference that only one name carries should
not look certain. A pair is flagged when the interval excludes 0 (beyond float rounding, 1e-9).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sentilab.audit._jsonable import jsonable
from sentilab.audit.scoring import DEFAULT_BATCH_SIZE, polarity_map, predict
from sentilab.audit.templates import BUILTIN_DESIGN, fairness_templates, read_templates
from sentilab.errors import DataError, did_you_mean

#: Differences smaller than this are float rounding, never evidence (polarities live in [-1, 1]).
ROUNDING_TOLERANCE = 1e-9


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

    ``cells`` is (n_units, n_members): the mean polarity of member (person) p in unit u, NaN where that member
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
    mean_polarity_a: float
    mean_polarity_b: float
    polarity_gap: float  # mean_polarity_a - mean_polarity_b
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
    polarity: str  # how a text's polarity is read from the model's probabilities
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
        return jsonable(dataclasses.asdict(self))


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


def _check_corpus(
    frame: pd.DataFrame,
    *,
    sentence_col: str,
    group_cols: list[str],
    match_cols: list[str],
    person_col: str | None,
    by: str | None,
    n_resamples: int,
    confidence: float,
    source: str,
) -> None:
    """Every named column exists, every sentence is text, the bootstrap settings make sense: before scoring."""
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


def _matched_units(
    frame: pd.DataFrame, match_cols: list[str], sample_units: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """(n_rows,) unit code per row — rows equal in every match column share one — and the rows to keep
    when ``sample_units`` draws a subset of the units (None: keep all)."""
    if match_cols:
        keys = [_as_key(frame[column]).to_numpy() for column in match_cols]
        unit_codes = pd.MultiIndex.from_arrays(keys).factorize()[0]
    else:
        unit_codes = np.zeros(len(frame), dtype=np.int64)
    if sample_units is None:
        return unit_codes, None
    if not match_cols:
        raise DataError("sample_units needs match columns: it samples whole matched units")
    if sample_units < 2:
        raise DataError(f"sample_units must be at least 2, got {sample_units}")
    n_units = int(unit_codes.max()) + 1
    if sample_units >= n_units:
        return unit_codes, None
    # Whole units (every person of a template x word) are kept, so the design stays matched.
    chosen = np.random.default_rng(seed).choice(n_units, size=sample_units, replace=False)
    return unit_codes, np.isin(unit_codes, chosen)


def _subsets(frame: pd.DataFrame, by: str | None) -> list[tuple[str, np.ndarray]]:
    """("all", every row), then one (value, row mask) per value of the ``by`` column."""
    subsets: list[tuple[str, np.ndarray]] = [("all", np.ones(len(frame), dtype=bool))]
    if by:
        by_values = _as_key(frame[by])
        subsets += [
            (value or "(empty)", (by_values == value).to_numpy()) for value in sorted(by_values.unique())
        ]
    return subsets


def _groups_of(
    frame: pd.DataFrame, dimension: str, person_keys: pd.Series | None, person_col: str | None
) -> tuple[list[str], np.ndarray]:
    """The sorted groups of one dimension and each row's group ("" where it has none).

    A usable dimension has 2 to 20 groups, and each person belongs to one of them.
    """
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
    return groups, group_values


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
    group_cols = [group_cols] if isinstance(group_cols, str) else list(group_cols)
    match_cols = list(match_cols or [])
    design = {"sentence_col": sentence_col, "group_cols": group_cols, "match_cols": match_cols}
    design |= {"person_col": person_col, "by": by}
    _check_corpus(frame, **design, n_resamples=n_resamples, confidence=confidence, source=source)

    mapping = polarity_map(model.classes_, positive_label=positive_label, negative_label=negative_label)
    unit_codes, keep = _matched_units(frame, match_cols, sample_units, seed)
    if keep is not None:
        frame, unit_codes = frame[keep], unit_codes[keep]
    texts = frame[sentence_col].tolist()
    polarities = predict(
        model, texts, mapping, batch_size=batch_size, progress=progress, desc="fairness"
    ).polarities
    person_keys = _as_key(frame[person_col]) if person_col else None
    subsets = _subsets(frame, by)

    settings = {
        "n_resamples": n_resamples,
        "confidence": confidence,
        "seed": seed,
        "sample_units": sample_units,
    }
    audit = FairnessAudit(
        source=source, polarity=mapping.definition, n_sentences=len(frame), **design, **settings
    )
    for dimension in group_cols:
        groups, group_values = _groups_of(frame, dimension, person_keys, person_col)
        for group_a, group_b in itertools.combinations(groups, 2):
            in_pair = np.isin(group_values, [group_a, group_b])
            for subset_name, subset_mask in subsets:
                mask = in_pair & subset_mask
                comparison = _compare(
                    polarities[mask],
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
    polarities, unit_codes, group_values, persons, *, paired, group_a, group_b, n_resamples, confidence, seed
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
    polarities, unit_codes, is_a = polarities[keep], unit_codes[keep], is_a[keep]
    if persons is not None:
        members = persons[keep]
    elif paired:
        members = np.where(is_a, "a", "b")  # one member per group: resample units only
    else:
        members = np.arange(len(polarities)).astype(str)  # independent samples: resample sentences
    unit_index = pd.factorize(unit_codes)[0]
    member_index, member_names = pd.factorize(pd.Series(members, dtype=object))
    n_units, n_members = unit_index.max() + 1, len(member_names)
    flat = unit_index * n_members + member_index
    sums = np.bincount(flat, weights=polarities, minlength=n_units * n_members)
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
        "n_sentences": int(len(polarities)),
        "mean_polarity_a": mean_a,
        "mean_polarity_b": mean_b,
        "polarity_gap": estimate,
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
