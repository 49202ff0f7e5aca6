"""The columns batch scoring adds to each row, computed for a whole chunk at once.

For a model with classes ``c_1 … c_k`` and the prefix ``sentilab_`` (the default), every output row gets::

    sentilab_label       the most probable class (null for an empty text)
    sentilab_score       the probability of that class, in [0, 1]
    sentilab_polarity    P(positive) − P(negative), in [−1, 1] (null when the classes have no polarity)
    sentilab_score_c_i   each class's probability, one column per class, in ``classes_`` order

These are the fields of :mod:`sentilab.records` (``label``, ``score``, ``polarity``, ``scores``) laid out as
columns, built with array operations instead of one dict per row. An empty or whitespace-only text (or a
missing cell) is not sent to the model: its new cells are empty, and it is counted.

The input's own columns are kept as they are and never overwritten: a clash is an error before any work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sentilab.errors import DataError
from sentilab.labels import class_sentiments, polarity
from sentilab.records import is_blank

DEFAULT_PREFIX = "sentilab_"


def class_names(classes: Sequence) -> list[str]:
    """A model's classes as the strings that name its score columns."""
    return [str(c.item() if isinstance(c, np.generic) else c) for c in classes]


@dataclass(frozen=True)
class OutputColumns:
    """The names (and arrow types) of the columns a model adds: label, score, polarity, one per class."""

    classes: tuple[str, ...]
    prefix: str = DEFAULT_PREFIX

    @property
    def label(self) -> str:
        return f"{self.prefix}label"

    @property
    def score(self) -> str:
        return f"{self.prefix}score"

    @property
    def polarity(self) -> str:
        return f"{self.prefix}polarity"

    @property
    def class_scores(self) -> list[str]:
        return [f"{self.prefix}score_{name}" for name in self.classes]

    @property
    def names(self) -> list[str]:
        return [self.label, self.score, self.polarity, *self.class_scores]

    def fields(self) -> list[pa.Field]:
        return [pa.field(self.label, pa.string())] + [pa.field(n, pa.float64()) for n in self.names[1:]]

    def check_no_clash(self, input_columns: Sequence[str], source: str) -> None:
        """Refuse an input that already has a column of the same name (it would be overwritten)."""
        clashes = [name for name in self.names if name in set(map(str, input_columns))]
        if clashes:
            raise DataError(
                f"{source} already has a column named {clashes[0]!r}, which sentilab would add; "
                "sentilab never overwrites an input column",
                hint="rename that column, or give the new columns another prefix with --prefix "
                "(e.g. --prefix pred2_)",
            )


def text_cells(column: pa.ChunkedArray | pa.Array) -> list[str | None]:
    """The texts of a column as Python strings; a missing cell is None (numbers become their text)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())
    return column.to_pylist()


def score_texts(model, texts: list[str | None], columns: OutputColumns) -> tuple[list[pa.Array], int]:
    """``(arrays, n_empty)``: one arrow array per output column for ``texts``, in ``columns.names`` order.

    Texts that are None, empty or whitespace only get nulls and are not sent to the model (as in
    :func:`sentilab.records.records_for_texts`); the other cells are those of
    :func:`sentilab.records.records_from_proba`, computed for the whole column at once.
    """
    # keep[i]: row i holds something to judge; proba rows follow the kept texts, in order.
    keep = np.fromiter((isinstance(t, str) and not is_blank(t) for t in texts), dtype=bool, count=len(texts))
    proba = model.predict_proba([t for t, k in zip(texts, keep) if k])  # (n_kept, n_classes)
    n, k = len(texts), len(columns.classes)
    full = np.full((n, k), np.nan)
    full[keep] = proba
    best = np.argmax(proba, axis=1) if len(proba) else np.zeros(0, dtype=int)
    label = np.full(n, None, dtype=object)
    label[keep] = np.asarray(columns.classes, dtype=object)[best]
    score = np.full(n, np.nan)
    score[keep] = proba[np.arange(len(proba)), best]
    sentiments = class_sentiments(columns.classes)
    polar = np.full(n, np.nan)
    if sentiments is not None and len(proba):
        polar[keep] = polarity(proba, sentiments)
    empty = ~keep
    arrays = [pa.array(label, type=pa.string())]
    arrays += [pa.array(values, mask=empty, type=pa.float64()) for values in (score, polar, *full.T)]
    return arrays, int(empty.sum())


def add_predictions(table: pa.Table, model, text_column: str, columns: OutputColumns) -> tuple[pa.Table, int]:
    """``(table with the prediction columns appended, n_empty)``; the input columns are untouched."""
    arrays, n_empty = score_texts(model, text_cells(table.column(text_column)), columns)
    for field, array in zip(columns.fields(), arrays):
        table = table.append_column(field, array)
    return table, n_empty
