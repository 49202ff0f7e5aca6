"""Paragraph-level sentiment of long documents (speeches), aggregated per document and per group.

>>> analysis = analyze_documents(frame, model, text_col="speech", group_cols=["speaker", "party"])  # doctest: +SKIP
>>> print(analysis.summary())                                                                      # doctest: +SKIP
249 documents → 1,810 paragraphs (~100 words)
>>> write_documents_report(analysis, "runs/speeches")                                              # doctest: +SKIP

Definitions (used in every table, figure and report)
----------------------------------------------------
- **paragraph**: a chunk of about ``words`` words cut at sentence ends (:mod:`sentilab.text.paragraphs`).
- **score** = P(positive) − P(negative), in [−1, 1]: −1 is certainly negative, +1 certainly positive, 0 is
  balanced. It works the same for two-class (negative/positive) and three-class models.
- **label** = the model's most probable class. An exact tie for the highest probability (e.g. 0.5 / 0.5)
  means the model has no preference, so the paragraph is *neutral*: every paragraph gets exactly one label.
  With ``neutral_band = b > 0``, a paragraph whose |score| < b is neutral too (|score| = b exactly is not).
- **shares** of a document or group: the fraction of its paragraphs with each label (they sum to 1);
  **mean score**: the unweighted mean of its paragraphs' scores. A group pools the paragraphs of all its
  documents, so a long speech weighs more than a short one.

Documents whose text is empty or missing are not analysed; they are listed in ``analysis.skipped`` and in
the report, and counted in the summary. :func:`analyze_stream` scores one document of any size from a file
or a stream of chunks with bounded memory.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

import numpy as np
import pandas as pd

from sentilab.errors import DataError, ModelError, did_you_mean
from sentilab.text.paragraphs import Paragraph, check_words, iter_paragraphs, split_paragraphs

POLARITIES = ("negative", "neutral", "positive")
SHARE_COLUMNS = ("share_positive", "share_neutral", "share_negative")
SCORE_DEFINITION = "score = P(positive) − P(negative), from −1 (surely negative) to +1 (surely positive)"
MISSING_GROUP = "(missing)"

_POLARITY_NAMES = {
    "negative": "negative",
    "neg": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "positive": "positive",
    "pos": "positive",
}
# Numeric label schemes seen in the wild: 0/1, -1/1, -1/0/1, 0/1/2, Sentiment140's 0/4 and 0/2/4.
_NUMERIC_SCHEMES = {
    (0, 1): ("negative", "positive"),
    (-1, 1): ("negative", "positive"),
    (0, 4): ("negative", "positive"),
    (-1, 0, 1): ("negative", "neutral", "positive"),
    (0, 1, 2): ("negative", "neutral", "positive"),
    (0, 2, 4): ("negative", "neutral", "positive"),
}


# ============================================================================ labels and scores
def class_polarities(classes: Sequence[Any]) -> list[str]:
    """The polarity (negative/neutral/positive) of each of a model's classes, in ``classes`` order."""
    names = [str(c.item() if isinstance(c, np.generic) else c) for c in classes]
    polarities = [_POLARITY_NAMES.get(name.strip().lower()) for name in names]
    if None in polarities:
        try:
            numbers = tuple(sorted(int(float(name)) for name in names))
        except ValueError:
            numbers = ()
        scheme = _NUMERIC_SCHEMES.get(numbers)
        if scheme is not None:
            by_number = dict(zip(numbers, scheme))
            polarities = [by_number[int(float(name))] for name in names]
    if None in polarities or "positive" not in polarities or "negative" not in polarities:
        raise ModelError(
            f"cannot tell which of the model's classes {names} are positive and negative",
            hint="paragraph analysis needs a sentiment model whose classes are negative/positive "
            "(and optionally neutral), as every model trained on a sentilab dataset has",
        )
    if len(set(polarities)) != len(polarities):
        raise ModelError(f"the model's classes {names} name the same sentiment twice")
    return polarities


def label_and_score(proba: np.ndarray, polarities: Sequence[str], neutral_band: float = 0.0):
    """``(labels, scores)`` for probabilities of shape (n, n_classes); see the module docstring.

    labels: object array (n,) of "negative"/"neutral"/"positive"; scores: float array (n,) in [−1, 1].
    """
    proba = np.asarray(proba, dtype=float)
    column = {polarity: index for index, polarity in enumerate(polarities)}
    scores = proba[:, column["positive"]] - proba[:, column["negative"]]  # (n,)
    best = proba.max(axis=1, keepdims=True)  # (n, 1)
    tied = (proba == best).sum(axis=1) > 1  # an exact tie for the top probability: no preference
    labels = np.asarray(polarities, dtype=object)[np.argmax(proba, axis=1)]
    labels[tied] = "neutral"
    if neutral_band > 0:
        labels[np.abs(scores) < neutral_band] = "neutral"
    return labels, np.clip(scores, -1.0, 1.0)


def _check_band(neutral_band: float) -> float:
    if not isinstance(neutral_band, (int, float)) or not 0 <= neutral_band < 1 or math.isnan(neutral_band):
        raise DataError(
            f"neutral_band must be a number from 0 (no band) up to but not including 1, got {neutral_band!r}"
        )
    return float(neutral_band)


def _check_batch_size(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise DataError(f"batch_size must be a positive whole number, got {batch_size!r}")
    return batch_size


def _predict(model, texts: list[str]) -> np.ndarray:
    proba = np.asarray(model.predict_proba(texts), dtype=float)
    if proba.shape != (len(texts), len(model.classes_)):
        raise ModelError(
            f"{type(model).__name__}.predict_proba returned shape {proba.shape} for {len(texts)} texts "
            f"and {len(model.classes_)} classes; expected ({len(texts)}, {len(model.classes_)})"
        )
    return proba


def _model_classes(model) -> list[str]:
    if not hasattr(model, "predict_proba"):
        raise ModelError(f"expected a sentiment model with predict_proba, got {type(model).__name__}")
    if not hasattr(model, "classes_"):
        raise ModelError(
            f"this {type(model).__name__} is not fitted yet",
            hint="train it first, or load a trained model with sentilab.models.load_model(dir)",
        )
    return [str(c.item() if isinstance(c, np.generic) else c) for c in model.classes_]


# ============================================================================ streaming one document
@dataclass(frozen=True)
class ScoredParagraph:
    paragraph: Paragraph
    label: str
    score: float
    probabilities: dict[str, float]  # the model's class -> probability


def score_paragraphs(
    paragraphs: Iterable[Paragraph], model, *, batch_size: int = 64, neutral_band: float = 0.0
) -> Iterator[ScoredParagraph]:
    """Score paragraphs lazily, ``batch_size`` at a time: memory holds one batch, whatever the input size."""
    classes = _model_classes(model)
    polarities = class_polarities(model.classes_)
    batch_size, neutral_band = _check_batch_size(batch_size), _check_band(neutral_band)
    batch: list[Paragraph] = []

    def flush() -> Iterator[ScoredParagraph]:
        proba = _predict(model, [p.text for p in batch])
        labels, scores = label_and_score(proba, polarities, neutral_band)
        for paragraph, label, score, row in zip(batch, labels, scores, proba):
            yield ScoredParagraph(paragraph, str(label), float(score), dict(zip(classes, map(float, row))))
        batch.clear()

    for paragraph in paragraphs:
        batch.append(paragraph)
        if len(batch) >= batch_size:
            yield from flush()
    if batch:
        yield from flush()


def analyze_stream(
    source: str | IO[str] | Iterable[str],
    model,
    *,
    words: int = 100,
    batch_size: int = 64,
    neutral_band: float = 0.0,
) -> Iterator[ScoredParagraph]:
    """Split and score one document of any size (a string, a text file, or an iterable of string chunks).

    Paragraphs are yielded as they are scored; memory holds one batch of paragraphs plus the splitter's
    window, so a multi-gigabyte transcript can be analysed. Tally what you need with :class:`RunningShares`.
    """
    return score_paragraphs(
        iter_paragraphs(source, words), model, batch_size=batch_size, neutral_band=neutral_band
    )


@dataclass
class RunningShares:
    """Shares and mean score accumulated one paragraph at a time (constant memory)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POLARITIES, 0))
    paragraphs: int = 0
    words: int = 0
    score_sum: float = 0.0

    def add(self, scored: ScoredParagraph) -> None:
        self.counts[scored.label] += 1
        self.paragraphs += 1
        self.words += scored.paragraph.words
        self.score_sum += scored.score

    def shares(self) -> dict[str, float]:
        return {
            f"share_{p}": self.counts[p] / self.paragraphs if self.paragraphs else 0.0 for p in POLARITIES
        }

    @property
    def mean_score(self) -> float:
        return self.score_sum / self.paragraphs if self.paragraphs else float("nan")


# ============================================================================ many documents
@dataclass
class DocumentAnalysis:
    """Plain-data result of :func:`analyze_documents` (what the report, the CLI and the service use).

    paragraphs: one row per paragraph: ``document, paragraph, start, end, words, label, score``,
        ``p_<class>`` for each model class, the group columns, ``text`` (offsets into the document's text).
    documents: one row per analysed document: ``document, title``, group columns, ``paragraphs, words``,
        ``share_positive, share_neutral, share_negative, mean_score``.
    groups: one row per (grouping column, value): ``group_by, group, documents, paragraphs, words``,
        the shares and ``mean_score`` (groups pool their documents' paragraphs).
    skipped: documents that were not analysed: ``document, title``, group columns, ``reason``.
    """

    paragraphs: pd.DataFrame
    documents: pd.DataFrame
    groups: pd.DataFrame
    skipped: pd.DataFrame
    texts: dict[Any, str]  # document id -> its full text (paragraph offsets point into it)
    classes: list[str]
    polarities: list[str]
    model_name: str
    words: int
    neutral_band: float
    text_col: str
    group_cols: list[str]
    source: str
    seconds: float

    @property
    def n_documents(self) -> int:
        """Documents given, analysed or skipped."""
        return len(self.documents) + len(self.skipped)

    def summary(self) -> str:
        """One line, e.g. ``8 documents → 143 paragraphs (~100 words)``, plus what was skipped."""
        line = (
            f"{len(self.documents):,} document{'s' * (len(self.documents) != 1)} → "
            f"{len(self.paragraphs):,} paragraph{'s' * (len(self.paragraphs) != 1)} (~{self.words} words)"
        )
        if len(self.skipped):
            line += f"; {len(self.skipped):,} empty document{'s' * (len(self.skipped) != 1)} skipped"
        return line

    def to_dict(self, *, paragraphs: bool = True) -> dict[str, Any]:
        """JSON-ready plain data (for the service and for saving): settings, summary and tables as records."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return json_records(frame)

        out = {
            "summary": self.summary(),
            "source": self.source,
            "model": self.model_name,
            "classes": self.classes,
            "words": self.words,
            "neutral_band": self.neutral_band,
            "text_col": self.text_col,
            "group_cols": self.group_cols,
            "score": SCORE_DEFINITION,
            "seconds": round(self.seconds, 3),
            "documents": records(self.documents),
            "groups": records(self.groups),
            "skipped": records(self.skipped),
        }
        if paragraphs:
            out["paragraphs"] = records(self.paragraphs)
        return out

    def group_table(self, group_by: str) -> pd.DataFrame:
        """The groups of one grouping column (e.g. ``"speaker"``), most positive first."""
        if group_by not in self.group_cols:
            raise DataError(
                f"{group_by!r} is not a grouping column of this analysis{did_you_mean(group_by, self.group_cols)}; "
                f"its grouping columns are: {', '.join(self.group_cols) or '(none)'}"
            )
        return self.groups[self.groups["group_by"] == group_by].reset_index(drop=True)

    def extremes(self, group_by: str | None = None, top: int = 1) -> pd.DataFrame:
        """The ``top`` most positive and most negative paragraphs of each group (or of each document).

        Columns: ``group, which`` ("most positive"/"most negative"), ``rank`` and the paragraph columns.
        Ties keep document order.
        """
        key = "document" if group_by is None else group_by
        if group_by is not None:
            self.group_table(group_by)  # validates the name
        frame = self.paragraphs.assign(group=self.paragraphs[key].map(_group_value))
        parts = []
        for which, ascending in (("most positive", False), ("most negative", True)):
            # A stable sort keeps document order among equal scores; head(top) per group keeps the extremes.
            chosen = (
                frame.sort_values("score", ascending=ascending, kind="stable")
                .groupby("group", sort=False)
                .head(top)
            )
            chosen = chosen.assign(which=which, rank=chosen.groupby("group", sort=False).cumcount() + 1)
            parts.append(chosen)
        out = pd.concat(parts, ignore_index=True)
        order = {group: number for number, group in enumerate(dict.fromkeys(frame["group"]))}
        out = out.assign(_order=out["group"].map(order), _which=out["which"] != "most positive")
        out = out.sort_values(["_order", "_which", "rank"], kind="stable").drop(columns=["_order", "_which"])
        columns = ["group", "which", "rank"] + [c for c in out.columns if c not in ("group", "which", "rank")]
        return out[columns].reset_index(drop=True)


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NaN becomes None), ready for ``json.dumps``."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()} for row in rows]


def _group_value(value: Any) -> str:
    """Group values as shown in tables: missing or blank values become "(missing)", never dropped."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return MISSING_GROUP
    text = str(value).strip()
    return text if text else MISSING_GROUP


def _shares(frame: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Paragraph counts, words, label shares and mean score of ``frame`` grouped by ``by`` (kept in order)."""
    counts = pd.crosstab(
        [frame[b] for b in ([by] if isinstance(by, str) else by)], frame["label"], dropna=False
    ).reindex(columns=list(POLARITIES), fill_value=0)
    grouped = frame.groupby(by, sort=False, dropna=False)
    out = grouped.agg(paragraphs=("score", "size"), words=("words", "sum"), mean_score=("score", "mean"))
    counts = counts.reindex(out.index, fill_value=0)
    for polarity in ("positive", "neutral", "negative"):
        out[f"share_{polarity}"] = counts[polarity].to_numpy() / out["paragraphs"].to_numpy()
    return out[["paragraphs", "words", *SHARE_COLUMNS, "mean_score"]].reset_index()


def _column_error(column: str, columns: list[str], source: str, option: str) -> DataError:
    return DataError(
        f"column {column!r} not in {source}{did_you_mean(column, columns)}; its columns are: {', '.join(columns)}",
        hint=f"name the right column with {option}",
    )


def _as_frame(docs, text_col: str) -> tuple[pd.DataFrame, str]:
    """A DataFrame from a DataFrame, a sentilab Dataset, a Series, or a list of texts."""
    if hasattr(docs, "frame") and isinstance(docs.frame, pd.DataFrame):  # a sentilab.data.Dataset
        return docs.frame, getattr(docs, "name", "the dataset")
    if isinstance(docs, pd.DataFrame):
        return docs, "the documents"
    if isinstance(docs, pd.Series):
        return docs.to_frame(name=text_col), "the documents"
    if isinstance(docs, (str, bytes)):
        raise DataError(
            "expected several documents but got a single string",
            hint="wrap it in a list: analyze_documents([text], model), or use analyze_stream(text, model)",
        )
    try:
        texts = list(docs)
    except TypeError:
        raise DataError(f"expected a DataFrame or a list of texts, got {type(docs).__name__}") from None
    return pd.DataFrame({text_col: texts}), "the documents"


def analyze_documents(
    docs,
    model,
    *,
    text_col: str = "text",
    group_cols: str | Sequence[str] = (),
    id_col: str | None = None,
    words: int = 100,
    neutral_band: float = 0.0,
    batch_size: int = 64,
    source: str | None = None,
    progress: bool | None = None,
) -> DocumentAnalysis:
    """Split every document into paragraphs of about ``words`` words, score each, aggregate.

    Parameters
    ----------
    docs:
        A DataFrame with one document per row, a sentilab ``Dataset`` (e.g.
        ``load_dataset("convention-speeches")``), or a list of texts.
    model:
        Any fitted sentilab ``SentimentModel`` (two or three classes); paragraphs are scored in batches
        of ``batch_size`` with ``predict_proba``.
    text_col, group_cols, id_col:
        The column with the text; the columns to aggregate by (e.g. ``["speaker", "party"]``), each on its
        own; the column naming each document (default: the frame's index).
    neutral_band:
        Paragraphs with |score| below it are neutral (useful with two-class models); 0 turns it off.
    source:
        How to name the input in messages (e.g. the file name).
    progress:
        Show a progress bar over documents (``None``: only on a terminal).
    """
    started = time.perf_counter()
    frame, default_source = _as_frame(docs, text_col)
    source = source or default_source
    group_cols = [group_cols] if isinstance(group_cols, str) else list(group_cols)
    columns = [str(c) for c in frame.columns]
    for column, option in (
        [(text_col, "--text-col")]
        + [(g, "--group-col") for g in group_cols]
        + ([(id_col, "--id-col")] if id_col is not None else [])
    ):
        if column not in columns:
            raise _column_error(column, columns, source, option)
    if text_col in group_cols:
        raise DataError(f"the text column {text_col!r} cannot also be a group column")
    if len(set(group_cols)) != len(group_cols):
        raise DataError(f"a group column is named twice: {group_cols}")
    if len(frame) == 0:
        raise DataError(f"{source} has no documents (no rows)")
    words = check_words(words)
    neutral_band, batch_size = _check_band(neutral_band), _check_batch_size(batch_size)
    classes = _model_classes(model)
    polarities = class_polarities(model.classes_)

    ids = frame[id_col].tolist() if id_col is not None else frame.index.tolist()
    if len(set(map(str, ids))) != len(ids):
        duplicated = pd.Series(ids)[pd.Series(ids).astype(str).duplicated()].astype(str).unique()[:5]
        raise DataError(
            f"document ids must be unique, but {', '.join(duplicated)} appear more than once"
            + (f" in column {id_col!r}" if id_col else " in the index"),
            hint="pass a column of unique names with --id-col, or leave it out to number the rows",
        )
    titles = _titles(frame, ids, id_col, group_cols)

    from tqdm.auto import tqdm

    paragraph_rows: list[dict[str, Any]] = []
    skipped_rows: list[dict[str, Any]] = []
    texts: dict[Any, str] = {}
    pending: list[tuple[Any, Paragraph]] = []  # paragraphs split but not yet scored
    waiting_docs: list[int] = []  # for each document not fully scored yet: how many pending rows end it

    def score(rows: list[tuple[Any, Paragraph]]) -> None:
        proba = _predict(model, [p.text for _, p in rows])
        labels, scores = label_and_score(proba, polarities, neutral_band)
        for (doc_id, paragraph), label, score, row in zip(rows, labels, scores, proba):
            record = {
                "document": doc_id,
                "paragraph": paragraph.index,
                "start": paragraph.start,
                "end": paragraph.end,
                "words": paragraph.words,
                "label": str(label),
                "score": float(score),
            }
            record.update({f"p_{c}": float(v) for c, v in zip(classes, row)})
            record["text"] = paragraph.text
            paragraph_rows.append(record)

    def score_pending(bar, *, final: bool) -> None:
        """Score whole batches of ``batch_size`` paragraphs (and the rest when ``final``)."""
        done = 0
        while len(pending) - done >= batch_size or (final and done < len(pending)):
            score(pending[done : done + batch_size])
            done = min(done + batch_size, len(pending))
        del pending[:done]
        finished = sum(1 for end in waiting_docs if end <= done)
        waiting_docs[:] = [end - done for end in waiting_docs[finished:]]
        bar.update(finished)

    text_values = frame[text_col].tolist()
    with tqdm(
        total=len(frame),
        desc="scoring paragraphs",
        unit="doc",
        disable=None if progress is None else not progress,
    ) as bar:
        for doc_id, title, text in zip(ids, titles, text_values):
            reason = _why_skipped(text, doc_id, text_col)
            if reason:
                skipped_rows.append({"document": doc_id, "title": title, "reason": reason})
                bar.update(1)
                continue
            texts[doc_id] = text
            pending.extend((doc_id, p) for p in split_paragraphs(text, words))
            waiting_docs.append(len(pending))
            if len(pending) >= batch_size:
                score_pending(bar, final=False)
        score_pending(bar, final=True)

    if not texts:
        raise DataError(
            f"all {len(frame):,} documents in {source} have empty or missing text in column {text_col!r}; "
            "nothing to analyze",
            hint="check --text-col: it must name the column that holds the documents' text",
        )
    paragraphs = pd.DataFrame(paragraph_rows)
    meta = pd.DataFrame({"document": ids, "title": titles})
    for column in group_cols:
        meta[column] = frame[column].to_numpy()
    by_doc = meta.set_index("document")
    for column in group_cols:  # group values next to each paragraph, before its text
        paragraphs.insert(
            paragraphs.columns.get_loc("text"), column, paragraphs["document"].map(by_doc[column])
        )

    analysed = meta[meta["document"].isin(texts.keys())].reset_index(drop=True)
    per_doc = _shares(paragraphs, "document")
    documents = analysed.merge(per_doc, on="document", how="left", sort=False)

    group_tables = []
    for column in group_cols:
        keyed = paragraphs.assign(_group=paragraphs[column].map(_group_value))
        table = _shares(keyed, "_group").rename(columns={"_group": "group"})
        doc_counts = documents.assign(_group=documents[column].map(_group_value)).groupby("_group").size()
        table.insert(1, "documents", table["group"].map(doc_counts).astype(int))
        table.insert(0, "group_by", column)
        table = table.sort_values(
            ["share_positive", "mean_score", "group"], ascending=[False, False, True], kind="stable"
        )
        group_tables.append(table)
    group_columns = ["group_by", "group", "documents", "paragraphs", "words", *SHARE_COLUMNS, "mean_score"]
    groups = (
        pd.concat(group_tables, ignore_index=True) if group_tables else pd.DataFrame(columns=group_columns)
    )[group_columns]

    skipped = pd.DataFrame(skipped_rows, columns=["document", "title", "reason"])
    if len(skipped):
        for column in group_cols:
            skipped.insert(len(skipped.columns) - 1, column, skipped["document"].map(by_doc[column]))
    return DocumentAnalysis(
        paragraphs=paragraphs,
        documents=documents,
        groups=groups,
        skipped=skipped,
        texts=texts,
        classes=classes,
        polarities=polarities,
        model_name=getattr(model, "name", "") or type(model).__name__,
        words=words,
        neutral_band=neutral_band,
        text_col=text_col,
        group_cols=group_cols,
        source=source,
        seconds=time.perf_counter() - started,
    )


def _why_skipped(text: Any, doc_id: Any, text_col: str) -> str:
    """ "" for a usable text, else why the document is skipped; non-text values are an error."""
    if text is None or text is pd.NA or (isinstance(text, float) and math.isnan(text)):
        return "missing text"
    if not isinstance(text, str):
        raise DataError(
            f"document {doc_id}: column {text_col!r} holds a {type(text).__name__} ({text!r:.40}), not text",
            hint="convert the column to strings first, or pick the text column with --text-col",
        )
    if not text.strip():
        return "empty text"
    return ""


def _titles(frame: pd.DataFrame, ids: list, id_col: str | None, group_cols: list[str]) -> list[str]:
    """A readable name per document: its id column, else its group values, else "document N"."""
    if id_col is not None:
        return [str(i) for i in ids]
    if group_cols:
        values = zip(*(frame[c].map(_group_value).tolist() for c in group_cols))
        return [" · ".join(v) for v in values]
    return [f"document {i}" for i in ids]


# ============================================================================ the report
_REPORT_CSS = """
.paragraph { padding: .45rem .7rem; border-radius: 4px; margin: .35rem 0; white-space: pre-wrap; }
.paragraph .score { display: inline-block; min-width: 3.2rem; font-weight: 600; font-variant-numeric: tabular-nums;
                    color: var(--ink); }
.paragraph .label { color: var(--muted); font-size: .8rem; margin-right: .5rem; }
section.document { margin-top: 2rem; }
section.document h3 { margin-bottom: .2rem; }
svg.arc { width: 100%; max-width: 640px; height: 64px; display: block; margin: .3rem 0; }
.excerpt { font-size: .9rem; }
.legend span { display: inline-block; padding: .1rem .5rem; border-radius: 3px; margin-right: .2rem; }
nav ul { columns: 2; }
"""
_RGB = {"positive": (60, 157, 93), "negative": (217, 83, 79)}
EXCERPT_CHARS = 280


def _shade(score: float) -> str:
    """Background colour for a paragraph: green for positive, red for negative, stronger with |score|."""
    red, green, blue = _RGB["positive" if score >= 0 else "negative"]
    return f"rgba({red},{green},{blue},{0.55 * min(abs(score), 1.0):.3f})"


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "column"


def _arc_svg(scores: Sequence[float], width: int = 600, height: int = 64) -> str:
    """An inline SVG line of scores (−1 at the bottom, +1 at the top); no external references."""
    n = len(scores)
    middle = height / 2
    xs = [width / 2] if n == 1 else [4 + i * (width - 8) / (n - 1) for i in range(n)]
    points = " ".join(f"{x:.1f},{middle - s * (middle - 4):.1f}" for x, s in zip(xs, scores))
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{middle - s * (middle - 4):.1f}" r="2.2" '
        f'fill="{"#3c9d5d" if s >= 0 else "#d9534f"}"/>'
        for x, s in zip(xs, scores)
    )
    return (
        f'<svg class="arc" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
        f'aria-label="score of each paragraph, from -1 (bottom) to +1 (top)">'
        f'<line x1="0" y1="{middle}" x2="{width}" y2="{middle}" stroke="#bbb" stroke-width="1"/>'
        f'<polyline points="{points}" fill="none" stroke="#444" stroke-width="1.2"/>{dots}</svg>'
    )


def _records(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """Rows as attribute objects, built once (per-row pandas access is slow for report loops)."""
    return [SimpleNamespace(**row) for row in frame.to_dict("records")]


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def write_documents_report(
    analysis: DocumentAnalysis, out_dir: str | Path, *, title: str | None = None, top: int | None = None
) -> Path:
    """Write ``report.html`` (self-contained), the CSV tables and the PNG figures into ``out_dir``.

    Files: ``report.html``, ``paragraphs.csv``, ``documents.csv``, ``groups.csv``, ``skipped.csv``,
    ``shares-<column>.png`` per grouping column (``shares-documents.png`` without one) and
    ``arcs-01.png``, ``arcs-02.png``, ... (40 documents each). Every file is written atomically.
    ``top``: paragraphs shown per group in "most positive / most negative" (default 3 when there are at
    most 10 groups, else 1). Returns the path of ``report.html``.
    """
    from sentilab.paths import atomic_file
    from sentilab.plots import save_figure
    from sentilab.plots.documents import arc_pages, plot_sentiment_arcs, plot_sentiment_shares
    from sentilab.reports.html import escape, figure_html, table_html, write_html
    from sentilab.text.paragraphs import max_words

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    a = analysis
    for name, frame in (
        ("paragraphs.csv", a.paragraphs),
        ("documents.csv", a.documents),
        ("groups.csv", a.groups),
        ("skipped.csv", a.skipped),
    ):
        with atomic_file(out_dir / name, "w") as handle:
            frame.to_csv(handle, index=False)

    anchors = {doc: f"doc-{number}" for number, doc in enumerate(a.documents["document"])}

    titles = dict(zip(a.documents["document"], a.documents["title"]))

    def link(doc, paragraph: int | None = None) -> str:
        """A link to a document (its id) or to one of its paragraphs (title, id and paragraph number)."""
        if paragraph is None:
            return f'<a href="#{anchors[doc]}">{escape(doc)}</a>'
        return f'<a href="#{anchors[doc]}-p-{paragraph}">{escape(titles[doc])} (#{escape(doc)}) ¶{paragraph + 1}</a>'

    # ---------------------------------------------------------------- figures
    share_figures: list[tuple[str, Path, str]] = []  # (heading, png, caption)
    groupings = a.group_cols or [None]
    for column in groupings:
        if column is None:
            table = a.documents.assign(
                group=a.documents["title"].astype(str) + " (" + a.documents["document"].astype(str) + ")"
            )
            heading, png = "Sentiment by document", out_dir / "shares-documents.png"
        else:
            table, heading = a.group_table(column), f"Sentiment by {column}"
            png = out_dir / f"shares-{_slug(column)}.png"
        figure = plot_sentiment_shares(
            table, title=f"{heading}: share of positive / neutral / negative paragraphs"
        )
        save_figure(figure, png)
        caption = (
            f"{len(table):,} {'documents' if column is None else column + ' groups'}, most positive share at "
            "the top; the number at the right of each bar is its paragraphs."
        )
        share_figures.append((heading, png, caption))
    arc_files = []
    for number, page in enumerate(arc_pages(a.documents["document"]), 1):
        figure = plot_sentiment_arcs(a.paragraphs[a.paragraphs["document"].isin(page)], a.documents)
        arc_files.append(save_figure(figure, out_dir / f"arcs-{number:02d}.png"))

    # ---------------------------------------------------------------- summary
    band = (
        f" Paragraphs with |score| below {a.neutral_band:g} are neutral as well (|score| = {a.neutral_band:g} is not)."
        if a.neutral_band
        else ""
    )
    summary = [
        '<div class="card">',
        f"<p><strong>{escape(a.summary())}</strong> from {escape(a.source)} (text column "
        f"<code>{escape(a.text_col)}</code>), scored with the <code>{escape(a.model_name)}</code> model "
        f"(classes: {escape(', '.join(a.classes))}) in {a.seconds:.1f} s.</p>",
        f"<p>Each document was cut into paragraphs of about {a.words} words at sentence ends (a blank line in the "
        f"source is preferred; no paragraph has more than {max_words(a.words)} words, and no text is left out).</p>",
        f"<p><strong>Score</strong> = P(positive) − P(negative), from −1 (surely negative) to +1 (surely positive). "
        "<strong>Label</strong> = the most probable class; an exact tie for the top probability counts as neutral, so "
        f"every paragraph has exactly one label.{band} Shares count paragraphs; a group pools the paragraphs of all "
        "its documents.</p>",
    ]
    if len(a.skipped):
        items = "".join(
            f"<li>{escape(row.document)} ({escape(row.title)}): {escape(row.reason)}</li>"
            for row in _records(a.skipped)
        )
        summary.append(f"<p>Skipped {len(a.skipped):,} document(s) without text:</p><ul>{items}</ul>")
    files = ["paragraphs.csv", "documents.csv", "groups.csv", "skipped.csv"]
    files += [png.name for _, png, _ in share_figures] + [p.name for p in arc_files]
    summary.append(
        '<p class="note">Files beside this report: '
        + ", ".join(f'<a href="{escape(name)}">{escape(name)}</a>' for name in files)
        + "</p></div>"
    )

    sections = [("overall", "Most positive and most negative paragraphs")]
    sections += [
        (f"by-{_slug(c or 'document')}", heading) for c, (heading, _, _) in zip(groupings, share_figures)
    ]
    sections += [
        (f"extremes-{_slug(c)}", f"Most positive and most negative paragraphs by {c}") for c in a.group_cols
    ]
    sections += [("arcs", "Sentiment arcs"), ("documents", "Documents")]
    body = summary + [
        "<nav><ul>"
        + "".join(f'<li><a href="#{key}">{escape(text)}</a></li>' for key, text in sections)
        + "</ul></nav>"
    ]

    # ---------------------------------------------------------------- extremes
    def extreme_rows(frame: pd.DataFrame) -> str:
        cells = []
        for row in _records(frame):
            cells.append(
                f'<td class="num">{row.score:+.2f}</td><td>{link(row.document, row.paragraph)}</td>'
                f'<td class="excerpt">{escape(_excerpt(row.text))}</td>'
            )
        return "".join(f"<tr>{cell}</tr>" for cell in cells)

    ordered = a.paragraphs.sort_values("score", ascending=False, kind="stable")
    overall = ['<h2 id="overall">Most positive and most negative paragraphs</h2>']
    for heading, part in (("Most positive", ordered.head(5)), ("Most negative", ordered.iloc[::-1].head(5))):
        overall.append(
            f"<h3>{heading}</h3><table><thead><tr><th>score</th><th>where</th><th>paragraph</th></tr></thead>"
            f"<tbody>{extreme_rows(part)}</tbody></table>"
        )
    body += overall

    # ---------------------------------------------------------------- groups
    share_header = ["positive", "neutral", "negative", "mean score"]
    for column, (heading, png, caption) in zip(groupings, share_figures):
        body.append(f'<h2 id="by-{_slug(column or "document")}">{escape(heading)}</h2>')
        body.append(figure_html(png, caption, alt=heading))
        if column is not None:
            table = a.group_table(column)
            rows = [
                [
                    row.group,
                    row.documents,
                    row.paragraphs,
                    row.words,
                    _percent(row.share_positive),
                    _percent(row.share_neutral),
                    _percent(row.share_negative),
                    round(float(row.mean_score), 3),
                ]
                for row in _records(table)
            ]
            body.append(table_html(rows, [column, "documents", "paragraphs", "words", *share_header]))
    for column in a.group_cols:
        groups = a.group_table(column)
        shown = top if top is not None else (3 if len(groups) <= 10 else 1)
        extremes = a.extremes(column, top=shown)
        body.append(
            f'<h2 id="extremes-{_slug(column)}">Most positive and most negative paragraphs by {escape(column)}</h2>'
        )
        body.append(
            f'<p class="note">{shown} of each per {escape(column)}, in the order of the chart above.</p>'
        )
        rows = []
        by_group: dict[tuple[str, str], list] = {}
        for row in _records(extremes):
            by_group.setdefault((row.group, row.which), []).append(row)
        for group in groups["group"]:
            for which in ("most positive", "most negative"):
                chosen = by_group.get((group, which), [])
                for number, row in enumerate(chosen):
                    first = f'<td rowspan="{len(chosen)}">{escape(group)}<br><span class="note">{which}</span></td>'
                    rows.append(
                        "<tr>"
                        + (first if number == 0 else "")
                        + f'<td class="num">{row.score:+.2f}</td><td>{link(row.document, row.paragraph)}</td>'
                        f'<td class="excerpt">{escape(_excerpt(row.text))}</td></tr>'
                    )
        body.append(
            f"<table><thead><tr><th>{escape(column)}</th><th>score</th><th>where</th><th>paragraph</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    # ---------------------------------------------------------------- arcs and documents
    body.append('<h2 id="arcs">Sentiment arcs</h2>')
    for number, png in enumerate(arc_files, 1):
        body.append(
            figure_html(png, f"Score of each paragraph, documents page {number} of {len(arc_files)}.")
        )
    body.append('<h2 id="documents">Documents</h2>')
    documents = _records(a.documents)
    doc_rows = [
        [
            link(row.document),
            escape(row.title),
            f"{row.paragraphs:,}",
            f"{row.words:,}",
            _percent(row.share_positive),
            _percent(row.share_neutral),
            _percent(row.share_negative),
            f"{row.mean_score:+.3f}",
        ]
        for row in documents
    ]
    head = "".join(
        f"<th>{escape(h)}</th>" for h in ["document", "title", "paragraphs", "words", *share_header]
    )
    body.append(
        f"<table><thead><tr>{head}</tr></thead><tbody>"
        + "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in doc_rows)
        + "</tbody></table>"
    )
    body.append(
        '<p class="legend note">Paragraph shading: '
        + "".join(
            f'<span style="background-color:{_shade(s)}">{s:+.1f}</span>' for s in (-1, -0.5, 0, 0.5, 1)
        )
        + " (score), with the label each paragraph got.</p>"
    )
    by_doc: dict[Any, list] = {}
    for paragraph in _records(a.paragraphs.sort_values(["paragraph"], kind="stable")):
        by_doc.setdefault(paragraph.document, []).append(paragraph)
    for row in documents:
        part = by_doc[row.document]
        anchor = anchors[row.document]
        out = [
            f'<section class="document" id="{anchor}" data-document="{escape(row.document)}">',
            f"<h3>{escape(row.document)}: {escape(row.title)}</h3>",
            f'<p class="note">{row.paragraphs:,} paragraphs · {row.words:,} words · positive '
            f"{_percent(row.share_positive)} · neutral {_percent(row.share_neutral)} · negative "
            f"{_percent(row.share_negative)} · mean score {row.mean_score:+.2f}</p>",
            _arc_svg([p.score for p in part]),
        ]
        for p in part:
            out.append(
                f'<p class="paragraph" id="{anchor}-p-{p.paragraph}" data-paragraph="{p.paragraph}" '
                f'data-score="{p.score:.4f}" data-label="{escape(p.label)}" data-start="{p.start}" data-end="{p.end}" '
                f'style="background-color:{_shade(p.score)}"><span class="score">{p.score:+.2f}</span>'
                f'<span class="label">{escape(p.label)}</span>{escape(p.text)}</p>'
            )
        out.append("</section>")
        body.append("".join(out))

    report_title = title or f"Paragraph sentiment: {a.source}"
    return write_html(
        out_dir / "report.html",
        report_title,
        body,
        subtitle=f"{a.summary()} · model {a.model_name} · {time.strftime('%Y-%m-%d %H:%M')}",
        extra_css=_REPORT_CSS,
    )
