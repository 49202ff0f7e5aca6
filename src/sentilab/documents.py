"""Paragraph-level sentiment of long documents (speeches), aggregated per document and per group.

>>> analysis = analyze_documents(frame, model, text_col="speech", group_cols=["speaker", "party"])  # doctest: +SKIP
>>> print(analysis.summary())                                                                      # doctest: +SKIP
249 documents → 1,810 paragraphs (~100 words)
>>> from sentilab.reports.documents import write_documents_report
>>> write_documents_report(analysis, "runs/speeches")                                              # doctest: +SKIP

Definitions (used in every table, figure and report)
----------------------------------------------------
- **paragraph**: a chunk of about ``words`` words cut at sentence ends (:mod:`sentilab.text.paragraphs`).
- **polarity** = P(positive) − P(negative), in [−1, 1] (:func:`sentilab.labels.polarity`): −1 is certainly
  negative, +1 certainly positive, 0 is balanced. It works the same for two-class (negative/positive) and
  three-class models.
- **label** = the model's most probable class. An exact tie for the highest probability (e.g. 0.5 / 0.5)
  means the model has no preference, so the paragraph is *neutral*: every paragraph gets exactly one label.
  With ``neutral_band = b > 0``, a paragraph whose |polarity| < b is neutral too (|polarity| = b exactly is
  not).
- **score** = the model's probability of the paragraph's label, in [0, 1], as in every prediction record
  (:mod:`sentilab.records`). A paragraph called neutral by a model without a neutral class (a tie or the
  neutral band) has no such probability: its score is missing (NaN; null in JSON).
- **shares** of a document or group: the fraction of its paragraphs with each label (they sum to 1);
  **mean polarity**: the unweighted mean of its paragraphs' polarities. A group pools the paragraphs of all
  its documents, so a long speech weighs more than a short one.

Documents whose text is empty or missing are not analysed; they are listed in ``analysis.skipped`` and in
the report, and counted in the summary. :func:`analyze_stream` scores one document of any size from a file
or a stream of chunks with bounded memory.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pandas as pd

from sentilab.errors import DataError, ModelError, did_you_mean
from sentilab.labels import POLARITY_DEFINITION, SENTIMENTS, class_polarities, polarity
from sentilab.progress import show_progress
from sentilab.text.paragraphs import Paragraph, check_words, iter_paragraphs, split_paragraphs

SHARE_COLUMNS = ("share_positive", "share_neutral", "share_negative")
MISSING_GROUP = "(missing)"


# ============================================================================ labels, scores, polarities
def label_paragraphs(proba: np.ndarray, sentiments: Sequence[str], neutral_band: float = 0.0):
    """``(labels, scores, polarities)`` for probabilities of shape (n, n_classes); see the module docstring.

    ``sentiments`` is the sentiment of each class, in column order (:func:`sentilab.labels.class_polarities`).
    labels: object array (n,) of "negative"/"neutral"/"positive"; scores: float array (n,), the probability
    of each label, in [0, 1] (NaN for "neutral" when no class is neutral); polarities: float array (n,),
    P(positive) − P(negative), in [−1, 1].
    """
    proba = np.asarray(proba, dtype=float)
    polarities = polarity(proba, sentiments)  # (n,) P(positive) − P(negative), clipped to [−1, 1]
    best = proba.max(axis=1, keepdims=True)  # (n, 1)
    tied = (proba == best).sum(axis=1) > 1  # an exact tie for the top probability: no preference
    labels = np.asarray(sentiments, dtype=object)[np.argmax(proba, axis=1)]
    labels[tied] = "neutral"
    if neutral_band > 0:
        labels[np.abs(polarities) < neutral_band] = "neutral"
    column = {sentiment: index for index, sentiment in enumerate(sentiments)}
    scores = np.array(
        [row[column[label]] if label in column else np.nan for label, row in zip(labels, proba)], dtype=float
    )  # (n,) the probability of each paragraph's label
    return labels, scores, polarities


def document_label(shares: dict[str, float], mean_polarity: float) -> str:
    """One label for a whole document: the label with the largest share of its paragraphs.

    A tie for the largest share goes to the sign of the mean polarity (neutral when it is exactly 0).
    """
    top = max(shares.values())
    leaders = [sentiment for sentiment in SENTIMENTS if shares.get(sentiment) == top]
    if len(leaders) == 1:
        return leaders[0]
    return "positive" if mean_polarity > 0 else "negative" if mean_polarity < 0 else "neutral"


def check_neutral_band(neutral_band: float) -> float:
    if not isinstance(neutral_band, (int, float)) or not 0 <= neutral_band < 1 or math.isnan(neutral_band):
        raise DataError(
            f"neutral_band must be a number from 0 (no band) up to but not including 1, got {neutral_band!r}"
        )
    return float(neutral_band)


def check_batch_size(batch_size: int) -> int:
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


def model_classes(model) -> list[str]:
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
    score: float  # the probability of ``label`` (NaN for a neutral label no class of the model has)
    polarity: float  # P(positive) − P(negative)
    probabilities: dict[str, float]  # the model's class -> probability


def score_paragraphs(
    paragraphs: Iterable[Paragraph], model, *, batch_size: int = 64, neutral_band: float = 0.0
) -> Iterator[ScoredParagraph]:
    """Score paragraphs lazily, ``batch_size`` at a time: memory holds one batch, whatever the input size."""
    classes = model_classes(model)
    sentiments = class_polarities(model.classes_)
    batch_size, neutral_band = check_batch_size(batch_size), check_neutral_band(neutral_band)
    batch: list[Paragraph] = []

    def flush() -> Iterator[ScoredParagraph]:
        proba = _predict(model, [p.text for p in batch])
        labels, scores, polarities = label_paragraphs(proba, sentiments, neutral_band)
        for paragraph, label, score, value, row in zip(batch, labels, scores, polarities, proba):
            probabilities = dict(zip(classes, map(float, row)))
            yield ScoredParagraph(paragraph, str(label), float(score), float(value), probabilities)
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
    """Shares and mean polarity accumulated one paragraph at a time (constant memory)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SENTIMENTS, 0))
    paragraphs: int = 0
    words: int = 0
    polarity_sum: float = 0.0

    def add(self, scored: ScoredParagraph) -> None:
        self.counts[scored.label] += 1
        self.paragraphs += 1
        self.words += scored.paragraph.words
        self.polarity_sum += scored.polarity

    def shares(self) -> dict[str, float]:
        return {
            f"share_{p}": self.counts[p] / self.paragraphs if self.paragraphs else 0.0 for p in SENTIMENTS
        }

    @property
    def mean_polarity(self) -> float:
        return self.polarity_sum / self.paragraphs if self.paragraphs else float("nan")


# ============================================================================ many documents
@dataclass
class DocumentAnalysis:
    """Plain-data result of :func:`analyze_documents` (what the report, the CLI and the service use).

    paragraphs: one row per paragraph: ``document, paragraph, start, end, words, label, score, polarity``,
        ``p_<class>`` for each model class, the group columns, ``text`` (offsets into the document's text).
    documents: one row per analysed document: ``document, title``, group columns, ``paragraphs, words``,
        ``share_positive, share_neutral, share_negative, mean_polarity``.
    groups: one row per (grouping column, value): ``group_by, group, documents, paragraphs, words``,
        the shares and ``mean_polarity`` (groups pool their documents' paragraphs).
    sentiments: the sentiment of each of the model's classes, in ``classes`` order.
    skipped: documents that were not analysed: ``document, title``, group columns, ``reason``.
    """

    paragraphs: pd.DataFrame
    documents: pd.DataFrame
    groups: pd.DataFrame
    skipped: pd.DataFrame
    texts: dict[Any, str]  # document id -> its full text (paragraph offsets point into it)
    classes: list[str]
    sentiments: list[str]
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
            "polarity": POLARITY_DEFINITION,
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
        frame = self.paragraphs.assign(group=self.paragraphs[key].map(group_value))
        parts = []
        for which, ascending in (("most positive", False), ("most negative", True)):
            # A stable sort keeps document order among equal polarities; head(top) per group: the extremes.
            chosen = (
                frame.sort_values("polarity", ascending=ascending, kind="stable")
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


def group_value(value: Any) -> str:
    """Group values as shown in tables: missing or blank values become "(missing)", never dropped."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return MISSING_GROUP
    text = str(value).strip()
    return text if text else MISSING_GROUP


def _shares(frame: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Paragraph counts, words, label shares and mean polarity of ``frame`` grouped by ``by`` (in order)."""
    counts = pd.crosstab(
        [frame[b] for b in ([by] if isinstance(by, str) else by)], frame["label"], dropna=False
    ).reindex(columns=list(SENTIMENTS), fill_value=0)
    grouped = frame.groupby(by, sort=False, dropna=False)
    out = grouped.agg(
        paragraphs=("polarity", "size"), words=("words", "sum"), mean_polarity=("polarity", "mean")
    )
    counts = counts.reindex(out.index, fill_value=0)
    for sentiment in ("positive", "neutral", "negative"):
        out[f"share_{sentiment}"] = counts[sentiment].to_numpy() / out["paragraphs"].to_numpy()
    return out[["paragraphs", "words", *SHARE_COLUMNS, "mean_polarity"]].reset_index()


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


def check_columns(
    frame: pd.DataFrame, source: str, text_col: str, group_cols: list[str], id_col: str | None
) -> None:
    """Every named column exists, the text column is not a group column, and there are rows."""
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


def _document_ids(frame: pd.DataFrame, id_col: str | None) -> list:
    """The ``id_col`` values (or the index), which must be unique as strings."""
    ids = frame[id_col].tolist() if id_col is not None else frame.index.tolist()
    if len(set(map(str, ids))) != len(ids):
        duplicated = pd.Series(ids)[pd.Series(ids).astype(str).duplicated()].astype(str).unique()[:5]
        raise DataError(
            f"document ids must be unique, but {', '.join(duplicated)} appear more than once"
            + (f" in column {id_col!r}" if id_col else " in the index"),
            hint="pass a column of unique names with --id-col, or leave it out to number the rows",
        )
    return ids


def _group_tables(paragraphs: pd.DataFrame, documents: pd.DataFrame, group_cols: list[str]) -> pd.DataFrame:
    """The ``groups`` table: one row per (grouping column, value), most positive share first per column."""
    group_tables = []
    for column in group_cols:
        keyed = paragraphs.assign(_group=paragraphs[column].map(group_value))
        table = _shares(keyed, "_group").rename(columns={"_group": "group"})
        doc_counts = documents.assign(_group=documents[column].map(group_value)).groupby("_group").size()
        table.insert(1, "documents", table["group"].map(doc_counts).astype(int))
        table.insert(0, "group_by", column)
        table = table.sort_values(
            ["share_positive", "mean_polarity", "group"], ascending=[False, False, True], kind="stable"
        )
        group_tables.append(table)
    group_columns = ["group_by", "group", "documents", "paragraphs", "words", *SHARE_COLUMNS, "mean_polarity"]
    return (
        pd.concat(group_tables, ignore_index=True) if group_tables else pd.DataFrame(columns=group_columns)
    )[group_columns]


class _BatchScorer:
    """Scores the paragraphs of many documents in batches of ``batch_size``, across document boundaries.

    ``add`` and ``finish`` return how many documents became fully scored (for the progress bar); ``rows``
    collects one record per paragraph, in document order.
    """

    def __init__(
        self, model, classes: list[str], sentiments: list[str], *, batch_size: int, neutral_band: float
    ):
        self.model, self.classes, self.sentiments = model, classes, sentiments
        self.batch_size, self.neutral_band = batch_size, neutral_band
        self.rows: list[dict[str, Any]] = []
        self.pending: list[tuple[Any, Paragraph]] = []  # paragraphs split but not yet scored
        self.waiting_docs: list[int] = []  # per document not fully scored yet: the pending rows that end it

    def add(self, doc_id: Any, paragraphs: Iterable[Paragraph]) -> int:
        self.pending.extend((doc_id, p) for p in paragraphs)
        self.waiting_docs.append(len(self.pending))
        return self._score_pending(final=False) if len(self.pending) >= self.batch_size else 0

    def finish(self) -> int:
        return self._score_pending(final=True)

    def _score_pending(self, *, final: bool) -> int:
        """Score whole batches of ``batch_size`` paragraphs (and the rest when ``final``)."""
        pending, size, done = self.pending, self.batch_size, 0
        while len(pending) - done >= size or (final and done < len(pending)):
            self._score(pending[done : done + size])
            done = min(done + size, len(pending))
        del pending[:done]
        finished = sum(1 for end in self.waiting_docs if end <= done)
        self.waiting_docs[:] = [end - done for end in self.waiting_docs[finished:]]
        return finished

    def _score(self, rows: list[tuple[Any, Paragraph]]) -> None:
        proba = _predict(self.model, [p.text for _, p in rows])
        labels, scores, polarities = label_paragraphs(proba, self.sentiments, self.neutral_band)
        for (doc_id, paragraph), label, score, value, row in zip(rows, labels, scores, polarities, proba):
            record = {
                "document": doc_id,
                "paragraph": paragraph.index,
                "start": paragraph.start,
                "end": paragraph.end,
                "words": paragraph.words,
                "label": str(label),
                "score": float(score),
                "polarity": float(value),
            }
            record.update({f"p_{c}": float(v) for c, v in zip(self.classes, row)})
            record["text"] = paragraph.text
            self.rows.append(record)


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
        Paragraphs with |polarity| below it are neutral (useful with two-class models); 0 turns it off.
    source:
        How to name the input in messages (e.g. the file name).
    progress:
        Show a progress bar over documents (``None``: only on a terminal).
    """
    started = time.perf_counter()
    frame, default_source = _as_frame(docs, text_col)
    source = source or default_source
    group_cols = [group_cols] if isinstance(group_cols, str) else list(group_cols)
    check_columns(frame, source, text_col, group_cols, id_col)
    words = check_words(words)
    neutral_band, batch_size = check_neutral_band(neutral_band), check_batch_size(batch_size)
    classes = model_classes(model)
    sentiments = class_polarities(model.classes_)
    ids = _document_ids(frame, id_col)
    titles = _titles(frame, ids, id_col, group_cols)

    from tqdm.auto import tqdm

    scorer = _BatchScorer(model, classes, sentiments, batch_size=batch_size, neutral_band=neutral_band)
    skipped_rows: list[dict[str, Any]] = []
    texts: dict[Any, str] = {}
    text_values = frame[text_col].tolist()
    with tqdm(
        total=len(frame),
        desc="scoring paragraphs",
        unit="doc",
        disable=not show_progress(progress),
    ) as bar:
        for doc_id, title, text in zip(ids, titles, text_values):
            reason = why_skipped(text, doc_id, text_col)
            if reason:
                skipped_rows.append({"document": doc_id, "title": title, "reason": reason})
                bar.update(1)
                continue
            texts[doc_id] = text
            bar.update(scorer.add(doc_id, split_paragraphs(text, words)))
        bar.update(scorer.finish())

    if not texts:
        raise DataError(
            f"all {len(frame):,} documents in {source} have empty or missing text in column {text_col!r}; "
            "nothing to analyze",
            hint="check --text-col: it must name the column that holds the documents' text",
        )
    paragraphs = pd.DataFrame(scorer.rows)
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
    groups = _group_tables(paragraphs, documents, group_cols)

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
        sentiments=sentiments,
        model_name=getattr(model, "name", "") or type(model).__name__,
        words=words,
        neutral_band=neutral_band,
        text_col=text_col,
        group_cols=group_cols,
        source=source,
        seconds=time.perf_counter() - started,
    )


def why_skipped(text: Any, doc_id: Any, text_col: str) -> str:
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
        values = zip(*(frame[c].map(group_value).tolist() for c in group_cols))
        return [" · ".join(v) for v in values]
    return [f"document {i}" for i in ids]
