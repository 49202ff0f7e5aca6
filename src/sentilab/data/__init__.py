"""Datasets: the registry, the cache, one parser per format, and clean stratified splits.

>>> ds = load_dataset("crowdflower-tweets", split="train", sample=2000, seed=0)   # doctest: +SKIP
>>> ds.texts[:2], ds.labels[:2], print(ds.report)                               # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sentilab.data.fetch import dataset_dir, dataset_files, fetch_dataset, is_cached
from sentilab.data.formats import (
    PARSERS,
    DataWarning,
    RawTable,
    describe_columns,
    local_file,
    warn_undecodable,
)
from sentilab.data.registry import DATASETS, DatasetInfo, get_dataset
from sentilab.data.split import (
    SPLIT_NAMES,
    CleaningCounts,
    check_label_set,
    clean,
    normalize_labels,
    require_two_classes,
    stratified_sample,
    stratified_split,
)
from sentilab.errors import DataError, unknown_choice


@dataclass
class LoadReport:
    """What happened between the file and the rows a model sees."""

    source: str
    rows_read: int = 0
    class_counts_read: dict[str, int] = field(default_factory=dict)
    undecodable_rows: int = 0
    dropped_neutral: int = 0
    cleaning: CleaningCounts = field(default_factory=CleaningCounts)
    rows_after_cleaning: int = 0
    split: str | None = None
    sample: int | None = None
    rows: int = 0
    class_counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        def counts(d: dict[str, int]) -> str:
            return " / ".join(f"{k} {v:,}" for k, v in d.items())

        out = [
            f"{self.source}: {self.rows_read:,} rows read"
            + (f" ({counts(self.class_counts_read)})" if self.class_counts_read else "")
        ]
        if self.undecodable_rows:
            out.append(
                f"  {self.undecodable_rows:,} rows had bytes that are not valid UTF-8 (replaced with U+FFFD)"
            )
        if self.dropped_neutral:
            out.append(f"  {self.dropped_neutral:,} neutral rows dropped (binary)")
        c = self.cleaning
        if c.dropped_empty_text:
            out.append(f"  {c.dropped_empty_text:,} rows with empty text dropped")
        if c.dropped_missing_label:
            out.append(f"  {c.dropped_missing_label:,} rows without a label dropped")
        if c.duplicates_removed:
            conflict = (
                f", {c.conflicting_duplicates:,} of them with a different label"
                if c.conflicting_duplicates
                else ""
            )
            out.append(f"  {c.duplicates_removed:,} exact duplicate texts removed{conflict}")
        for note in self.notes:
            out.append(f"  note: {note}")
        tail = f"{self.rows:,} rows"
        if self.split:
            tail += f" in split '{self.split}'"
        if self.sample:
            tail += f" (stratified sample of {self.sample:,})"
        if self.class_counts:
            tail += f": {counts(self.class_counts)}"
        out.append(f"  → {tail}")
        return out

    def dropped_lines(self) -> list[str]:
        """``["239 rows dropped: empty text", ...]``: every reason rows were dropped, with its count."""
        c = self.cleaning
        conflict = (
            f" ({c.conflicting_duplicates:,} of them with a different label)"
            if c.conflicting_duplicates
            else ""
        )
        reasons = [
            (c.dropped_empty_text, "empty text"),
            (c.dropped_missing_label, "no label"),
            (c.duplicates_removed, f"exact duplicate text{conflict}"),
            (self.dropped_neutral, "neutral (binary)"),
        ]
        return [f"{n:,} row{'s' * (n != 1)} dropped: {why}" for n, why in reasons if n]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


@dataclass
class Dataset:
    """Rows ready for a model: ``frame`` has ``text``, ``label`` and any metadata columns."""

    name: str
    frame: pd.DataFrame
    report: LoadReport
    info: DatasetInfo | None = None

    @property
    def texts(self) -> list[str]:
        return self.frame["text"].tolist()

    @property
    def labels(self) -> list[str]:
        if "label" not in self.frame or self.frame["label"].isna().all():
            return []
        return self.frame["label"].tolist()

    @property
    def classes(self) -> list[str]:
        return sorted(self.frame["label"].dropna().unique().tolist()) if self.labels else []

    def __len__(self) -> int:
        return len(self.frame)


def _read(
    name_or_path: str | Path, text_col, label_col, neutral_band
) -> tuple[str, RawTable, DatasetInfo | None]:
    name = str(name_or_path)
    if name in DATASETS:
        info = get_dataset(name)
        if info.task == "embeddings":
            raise DataError(
                f"{name!r} holds word vectors, not labelled texts",
                hint="use sentilab.embeddings (e.g. --set embeddings=glove-6b-100d when training an LSTM)",
            )
        variant, files = fetch_dataset(name)
        options = {**variant.options}
        if variant.parser == "vader_ground_truth":
            options["neutral_band"] = neutral_band
        return name, PARSERS[variant.parser](files, **options), info
    path = Path(name).expanduser()
    if path.is_file():
        return path.name, local_file(path, text_col=text_col, label_col=label_col), None
    if path.exists():
        raise DataError(f"{path} is a directory; pass a CSV/TSV/JSONL/Parquet file or a dataset name")
    if path.suffix or "/" in name or "\\" in name:
        raise DataError(
            f"file {name} does not exist",
            hint="check the path, or run `sentilab data list` for dataset names",
        )
    raise unknown_choice("dataset", name, DATASETS)


def load_dataset(
    name_or_path: str | Path,
    *,
    split: str | None = None,
    sample: int | None = None,
    seed: int = 0,
    text_col: str | None = None,
    label_col: str | None = None,
    neutral_band: float = 0.5,
    binary: bool = False,
    check_labels: bool = False,
    labels: Sequence | None = None,
) -> Dataset:
    """Load a registry dataset or a local file as clean, labelled rows.

    Parameters
    ----------
    split:
        ``"train"``, ``"validation"`` or ``"test"``; ``None`` for every row. Datasets with an official
        test set (Sentiment140, IMDb) keep it, and carve validation (10 %) out of their train set; others
        are split 80/10/10, stratified, with seed 0 (a split never changes with ``seed``).
    sample:
        Keep a stratified sample of this many rows from the split, drawn with ``seed``.
    text_col, label_col:
        Columns of a local file (default: the first conventional name present, e.g. ``text``/``label``).
    neutral_band:
        For the VADER ratings: |rating| <= band is neutral.
    binary:
        Drop neutral rows (for the classic binary setting, e.g. Sentiment140's 359-tweet test).
    check_labels:
        Refuse a label set that looks like a mistake (numbers mixed with names, a rare class that looks
        like a typo); see :func:`sentilab.data.split.check_label_set`. Training uses it.
    labels:
        The labels expected (e.g. ``["negative", "positive"]``); rows with any other label are an error.
        Implies ``check_labels``.
    """
    if split is not None and split not in SPLIT_NAMES:
        raise unknown_choice("split", split, SPLIT_NAMES)
    name, raw, info = _read(name_or_path, text_col, label_col, neutral_band)
    frame = raw.frame
    report = LoadReport(source=name, rows_read=len(frame), undecodable_rows=raw.undecodable_rows)
    if raw.label_note:
        report.notes.append(raw.label_note)
    labelled = not (info is not None and info.task == "documents") and frame["label"].notna().any()
    if labelled and (check_labels or labels is not None):
        checked = frame["label"]
        if binary:  # neutral rows are dropped below, whatever they are spelled as
            checked = checked[normalize_labels(checked)[0] != "neutral"]
        check_label_set(checked, name, labels)
    if labelled:
        frame = frame.copy()
        frame["label"], note = normalize_labels(frame["label"])
        if note:
            report.notes.append(note)
        report.class_counts_read = {
            str(k): int(v) for k, v in frame["label"].value_counts().sort_index().items()
        }
        if binary:
            neutral = frame["label"] == "neutral"
            report.dropped_neutral = int(neutral.sum())
            frame = frame[~neutral]
    warn_undecodable(name, report.undecodable_rows)
    frame, report.cleaning = clean(frame, labelled=labelled)
    report.rows_after_cleaning = len(frame)
    if split is not None:
        if not labelled:
            others = [c for c in frame.columns if c not in ("text", "label")]
            raise DataError(
                f"{name} has no labels (no label column was found, or it is empty), so it cannot be split "
                "into train/validation/test",
                hint="name the label column with --label-col (Python: label_col=...)"
                + (f"; the other columns are: {describe_columns(others)}" if others else ""),
            )
        require_two_classes(frame["label"], name)
        if "split" in frame and (frame["split"] == "test").any():
            if split == "test":
                frame = frame[frame["split"] == "test"].reset_index(drop=True)
            else:
                official_train = frame[frame["split"] != "test"].reset_index(drop=True)
                frame = stratified_split(official_train, (0.9, 0.1), seed=0)[split]
        else:
            frame = stratified_split(frame, seed=0)[split]
        report.split = split
    if sample is not None:
        if sample >= len(frame):
            report.notes.append(
                f"a sample of {sample:,} was asked for but only {len(frame):,} rows exist: all are used"
            )
        frame = (
            stratified_sample(frame, sample, seed=seed)
            if labelled
            else frame.sample(n=min(sample, len(frame)), random_state=seed).reset_index(drop=True)
        )
        report.sample = sample
    if labelled:
        where = (
            f"{name}" + (f" split '{split}'" if split else "") + (f" sample of {sample}" if sample else "")
        )
        require_two_classes(frame["label"], where)
        report.class_counts = {str(k): int(v) for k, v in frame["label"].value_counts().sort_index().items()}
    report.rows = len(frame)
    return Dataset(name=name, frame=frame.reset_index(drop=True), report=report, info=info)


def list_datasets() -> list[DatasetInfo]:
    """Every registered dataset, in registry order."""
    return list(DATASETS.values())


__all__ = [
    "Dataset",
    "DataWarning",
    "DatasetInfo",
    "LoadReport",
    "dataset_dir",
    "dataset_files",
    "fetch_dataset",
    "get_dataset",
    "is_cached",
    "list_datasets",
    "load_dataset",
]
