"""Labels, cleaning, stratified splits and samples.

The order is fixed and deliberate: normalise labels → drop empty texts and missing labels → remove exact
duplicates → split (seed 0, so a split never depends on the sample seed) → sample within the split. Every
step counts what it removed, so a user can see where rows went.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sentilab.data.formats import preview
from sentilab.errors import DataError
from sentilab.labels import ALIASES, numeric_scheme, sentiment_of_name


def normalize_labels(labels: pd.Series) -> tuple[pd.Series, str]:
    """Map raw labels to ``negative``/``neutral``/``positive`` where the scheme is recognisable.

    The schemes are :mod:`sentilab.labels`' (names and their aliases; integer sets such as 0/4, 0/1,
    -1/0/1). Returns the labels (object dtype, missing values as None) and a note saying which rule was
    applied.
    """
    present = labels.dropna()
    if not pd.api.types.is_numeric_dtype(
        present
    ):  # numeric columns (Sentiment140: 1.6M int8) skip the str pass
        present = present[present.astype(str).str.strip() != ""]
    if present.empty:
        return pd.Series([None] * len(labels), index=labels.index, dtype=object), ""
    numeric = pd.to_numeric(present, errors="coerce")
    if numeric.notna().all() and (numeric == numeric.round()).all():
        values = {int(v) for v in numeric.unique()}
        scheme = numeric_scheme(values)
        if scheme is not None:
            mapped = (
                pd.to_numeric(labels, errors="coerce").map(scheme).astype(object)
            )  # vectorised: 1.6M rows
            mapped = mapped.where(mapped.notna(), None)
            note = ", ".join(f"{k} → {v}" for k, v in scheme.items())
            return mapped, f"labels read as {note}"
        out = pd.Series(
            [None if _clean_label(v) is None else str(int(float(v))) for v in labels],
            index=labels.index,
            dtype=object,
        )
        return out, f"numeric labels kept as they are: {sorted(values)}"
    as_text = pd.Series([_clean_label(v) for v in labels], index=labels.index, dtype=object)
    if as_text.dropna().str.lower().isin(list(ALIASES)).all():
        return pd.Series(
            [None if v is None else sentiment_of_name(v) for v in as_text], index=labels.index, dtype=object
        ), ""
    return as_text, ""


def _clean_label(value) -> str | None:
    """A label as a stripped string, or None when it is missing or blank."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    return text or None


#: A class holding less than this share of the labelled rows is rare enough to be checked for a typo.
RARE_SHARE = 0.01
#: Characters of label text one error may quote (labels are user content: a wrong label column can hold
#: whole documents); each label is cut to LABEL_CHARS.
LABEL_BUDGET = 100
LABEL_CHARS = 24


def _within_budget(labels: list[str]) -> tuple[list[str], int]:
    """The first labels (each cut to LABEL_CHARS) whose quoted text fits LABEL_BUDGET; how many were left out."""
    shown, used = [], 0
    for label in labels:
        quoted = repr(preview(label, LABEL_CHARS))
        if shown and used + len(quoted) > LABEL_BUDGET:
            break
        shown.append(quoted)
        used += len(quoted)
    return shown, len(labels) - len(shown)


def _label_key(value) -> str | None:
    """How a raw label is compared: a whole number as its integer ("4.0" → "4"), a name as written."""
    text = _clean_label(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _is_integer_key(key: str) -> bool:
    return key.lstrip("-").isdigit()


def _by_count(counts: Counter) -> list[tuple[str, int]]:
    """Most frequent first; ties in name order, so a message never depends on row order."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _listing(counts: Counter, rows: dict | None = None) -> str:
    """``'negative' 500, 'positive' 495, 'meh' 3``: labels with their row counts, most frequent first."""
    ordered = _by_count(counts)
    shown, left_out = _within_budget([label for label, _ in ordered])
    parts = [
        f"{quoted} {n:,}" + (f" (first at row {rows[label]:,})" if rows else "")
        for quoted, (label, n) in zip(shown, ordered)
    ]
    return ", ".join(parts) + (f", … and {left_out:,} more labels" if left_out else "")


def _looks_like_a_typo(label: str, frequent: list[str]) -> bool:
    """A rare label looks like a typo when it is close to a frequent one, or outside their scheme."""
    if any(difflib.SequenceMatcher(None, label.lower(), f.lower()).ratio() >= 0.75 for f in frequent):
        return True
    if frequent and all(sentiment_of_name(f) for f in frequent):
        return sentiment_of_name(label) is None
    if frequent and all(_is_integer_key(f) for f in frequent):
        scheme = numeric_scheme(int(f) for f in frequent)
        return scheme is not None and (not _is_integer_key(label) or int(label) not in scheme)
    return False


def check_label_set(labels: pd.Series, source: str, expected: Sequence | None = None) -> None:
    """Refuse training labels that look like a mistake, listing every label with its row count.

    Without ``expected``: labels that mix numbers and names (``negative``, ``positive``, ``7``), or a class
    holding under 1 % of the labelled rows that looks like a typo (close to a frequent label, or outside
    the scheme the frequent labels share: ``meh`` among negative/positive). With ``expected`` (the labels
    the user means, e.g. ``["negative", "positive"]``; names, aliases or integers), every other label is
    an error instead, with the first row where each occurs (row 1 is the first row after any header;
    an integer index of ``labels`` is taken as the row numbers from 0).
    """
    present = pd.Series(labels.to_numpy(), index=np.arange(len(labels)) + 1)
    if pd.api.types.is_integer_dtype(labels.index):  # rows keep their place in the file after filtering
        present.index = labels.index.to_numpy() + 1
    present = present.dropna()
    key_of = {value: _label_key(value) for value in pd.unique(present)}  # one parse per distinct label
    keys = present.map(key_of).dropna()
    counts = Counter(keys.value_counts().to_dict())
    if not counts:
        return
    if expected is not None:

        def canonical(key: str) -> str:
            return sentiment_of_name(key) or key

        wanted = {canonical(k) for k in (_label_key(v) for v in expected) if k is not None}
        others = Counter({k: n for k, n in counts.items() if canonical(k) not in wanted})
        if others:
            unexpected = keys[~keys.map(canonical).isin(wanted)]
            first_rows = {key: row for row, key in unexpected[~unexpected.duplicated()].items()}
            raise DataError(
                f"{sum(others.values()):,} rows of {source} have labels not in --labels "
                f"{preview(','.join(map(str, expected)), 80)}: {_listing(others, first_rows)}",
                hint="fix or remove those rows, or add their labels to --labels (Python: labels=[...])",
            )
        return
    integers = [k for k in counts if _is_integer_key(k)]
    if integers and len(integers) < len(counts):
        problem = "they mix numbers and names"
    else:
        total = sum(counts.values())
        frequent = [k for k, n in counts.items() if n / total >= RARE_SHARE]
        rare = [k for k, n in counts.items() if n / total < RARE_SHARE and _looks_like_a_typo(k, frequent)]
        if not rare:
            return
        shown = ", ".join(_within_budget(rare[:3])[0])
        verb = "look like typos" if len(rare) > 1 else "looks like a typo"
        problem = f"{shown}: under {RARE_SHARE:.0%} of the rows, and {verb}"
    every_label = ",".join(label for label, _ in _by_count(counts))
    example = every_label if len(every_label) <= 40 else "negative,positive"
    raise DataError(
        f"the labels of {source} look wrong ({problem}): {_listing(counts)}",
        hint="fix those rows, or name every label you mean with --labels (Python: labels=[...]), "
        f"e.g. --labels {example}",
    )


@dataclass
class CleaningCounts:
    dropped_empty_text: int = 0
    dropped_missing_label: int = 0
    duplicates_removed: int = 0
    conflicting_duplicates: int = 0  #: duplicates whose labels disagreed (the first label was kept)


def clean(frame: pd.DataFrame, *, labelled: bool = True) -> tuple[pd.DataFrame, CleaningCounts]:
    """Drop rows with empty text or (when ``labelled``) a missing label, then exact duplicate texts."""
    counts = CleaningCounts()
    text = frame["text"]
    empty = text.isna() | (text.astype(str).str.strip() == "")
    counts.dropped_empty_text = int(empty.sum())
    frame = frame[~empty]
    if labelled:
        missing = frame["label"].isna()
        counts.dropped_missing_label = int(missing.sum())
        frame = frame[~missing]
        duplicated = frame.duplicated("text", keep="first")
        if duplicated.any():
            labels_per_text = frame.groupby("text", sort=False)["label"].nunique()
            conflicting_texts = labels_per_text[labels_per_text > 1].index
            counts.conflicting_duplicates = int((duplicated & frame["text"].isin(conflicting_texts)).sum())
    else:
        duplicated = frame.duplicated("text", keep="first")
    counts.duplicates_removed = int(duplicated.sum())
    frame = frame[~duplicated]
    return frame.reset_index(drop=True), counts


def require_two_classes(labels: pd.Series, where: str) -> None:
    classes = labels.value_counts()
    if len(classes) < 2:
        only = ", ".join(f"{k!r} ({v})" for k, v in classes.items()) or "no labelled rows"
        raise DataError(
            f"{where} has a single class: {only}; a sentiment model needs at least two",
            hint="check the label column, the neutral band, or use a larger sample",
        )


def _allocate(counts: pd.Series, n: int) -> pd.Series:
    """Largest-remainder allocation of ``n`` rows over classes, proportional to ``counts``; >= 1 each."""
    exact = counts / counts.sum() * n
    base = np.floor(exact).astype(int).clip(lower=1)
    base = np.minimum(base, counts)
    remaining = n - int(base.sum())
    if remaining > 0:
        order = (exact - np.floor(exact)).sort_values(ascending=False, kind="stable").index
        for label in order:
            if remaining == 0:
                break
            if base[label] < counts[label]:
                base[label] += 1
                remaining -= 1
    return base


def stratified_sample(frame: pd.DataFrame, n: int, *, seed: int = 0) -> pd.DataFrame:
    """``n`` rows with class proportions kept (every class at least one row), shuffled, same for a seed.

    Works on label-sorted files (Sentiment140's first 800,000 rows are all negative): rows are drawn per class.
    """
    if n < 1:
        raise DataError(f"sample must be a positive number of rows, got {n}")
    if n >= len(frame):
        return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    counts = frame["label"].value_counts().sort_index()
    if n < len(counts):
        raise DataError(
            f"a sample of {n} rows cannot hold all {len(counts)} classes; ask for at least {len(counts)}"
        )
    allocation = _allocate(counts, n)
    rng = np.random.default_rng(seed)
    picked = []
    for label, k in allocation.items():
        positions = np.flatnonzero((frame["label"] == label).to_numpy())
        picked.append(rng.choice(positions, size=int(k), replace=False))
    order = rng.permutation(np.concatenate(picked))
    return frame.iloc[order].reset_index(drop=True)


SPLIT_NAMES = ("train", "validation", "test")


def stratified_split(
    frame: pd.DataFrame, fractions: tuple[float, ...] = (0.8, 0.1, 0.1), *, seed: int = 0
) -> dict[str, pd.DataFrame]:
    """Split into train/validation/test (or fewer parts) with class proportions kept in each part."""
    names = SPLIT_NAMES[: len(fractions)] if len(fractions) == 3 else ("train", "validation")
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    labels = frame["label"].to_numpy()
    for label in sorted(pd.unique(labels), key=str):
        positions = rng.permutation(np.flatnonzero(labels == label))
        bounds = np.round(np.cumsum(fractions) / sum(fractions) * len(positions)).astype(int)
        start = 0
        for name, end in zip(names, bounds):
            parts[name].append(positions[start:end])
            start = end
    out = {}
    for name in names:
        index = np.sort(np.concatenate(parts[name])) if parts[name] else np.array([], dtype=int)
        out[name] = frame.iloc[index].reset_index(drop=True)
    return out
