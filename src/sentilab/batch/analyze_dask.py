"""``sentilab analyze --engine dask``: paragraph sentiment of a large table of documents on a dask cluster.

The table (CSV, TSV, Parquet file or directory) is cut into partitions on record boundaries exactly as
``predict --engine dask`` cuts it (:mod:`sentilab.batch.dask_engine`); a document is one row, so it never
spans two partitions. Each worker loads the model once from its saved directory
(:mod:`sentilab.batch.model_source`), splits its documents into paragraphs and scores them with the very
functions of the in-memory path (:func:`sentilab.text.paragraphs.split_paragraphs`,
:func:`sentilab.documents.score_paragraphs`: same labels, ties and neutral band), and the paragraph rows are
written as a partitioned Parquet dataset ``paragraphs/`` indexed by the document's input row
(``sentilab_row``). The per-document and per-group sums (paragraphs, words, label counts, polarity sum) are
then reduced on the cluster with dask groupby; only those sums come back, and the driver turns them into
shares and means, written as ``documents.csv`` and ``groups.csv`` with the columns and numbers of the
in-memory ``analyze`` (:class:`sentilab.documents.DocumentAnalysis`). ``summary.json`` says what was done.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sentilab.batch.dask_engine import (
    PARTITION_BYTES,
    PARTITION_ROWS,
    ROW_INDEX,
    cluster_client,
    input_columns,
    local_model_source,
    plan_partitions,
    read_piece,
)
from sentilab.batch.model_source import ModelSource, model_source
from sentilab.batch.parts import part_name
from sentilab.batch.readers import input_format
from sentilab.batch.runner import no_rows, pick_text_column
from sentilab.batch.splits import Piece
from sentilab.documents import (
    SHARE_COLUMNS,
    check_batch_size,
    check_columns,
    check_neutral_band,
    group_value,
    model_classes,
    score_paragraphs,
    why_skipped,
)
from sentilab.errors import DataError, require
from sentilab.labels import POLARITY_DEFINITION, SENTIMENTS
from sentilab.text.paragraphs import check_words, split_paragraphs

OUTPUT_KIND = "analysis"
PARAGRAPHS_DIR = "paragraphs"
GROUP_COLUMNS = ["group_by", "group", "documents", "paragraphs", "words", *SHARE_COLUMNS, "mean_polarity"]
#: The per-paragraph counts summed on the cluster (``_<label>``: 1 when the paragraph has that label).
_SUMS = ["_paragraphs", "words", "polarity", *(f"_{label}" for label in SENTIMENTS)]


@dataclass(frozen=True)
class _Settings:
    """What every partition needs to split and score its documents (sent to the workers)."""

    text_col: str
    group_cols: tuple[str, ...]
    id_col: str | None
    words: int
    neutral_band: float
    batch_size: int


@dataclass
class DaskAnalysis:
    """What :func:`analyze_with_dask` did (also written as ``summary.json``)."""

    out: Path
    source: str
    model: str
    classes: list[str]
    rows: int = 0
    documents: int = 0
    skipped: int = 0
    paragraphs: int = 0
    partitions: int = 0
    workers: int = 0
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line, as the in-memory analysis says it."""
        line = (
            f"{self.documents:,} document{'s' * (self.documents != 1)} → {self.paragraphs:,} "
            f"paragraph{'s' * (self.paragraphs != 1)} (~{self.settings.get('words')} words)"
        )
        if self.skipped:
            line += f"; {self.skipped:,} empty document{'s' * (self.skipped != 1)} skipped"
        return line

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(out.pop("settings"))
        return {
            "summary": self.summary(),
            **{k: v for k, v in out.items() if k != "out"},
            "engine": "dask",
            "polarity": POLARITY_DEFINITION,
            "seconds": round(self.seconds, 3),
            "files": [f"{PARAGRAPHS_DIR}/", "documents.csv", "groups.csv", "summary.json"],
        }


# ============================================================================ on the workers
def paragraph_rows(frame: pd.DataFrame, rows: np.ndarray, model, settings: _Settings) -> pd.DataFrame:
    """The paragraph rows of the documents in ``frame`` (input row numbers ``rows``), columns as the
    in-memory ``paragraphs.csv``, indexed by ``sentilab_row``. Also builds the (empty) dask meta."""
    texts = frame[settings.text_col].tolist()
    ids = frame[settings.id_col].to_numpy() if settings.id_col else rows
    paragraphs, owners = [], []  # owners[k]: the position in ``frame`` of paragraph k's document
    for position, text in enumerate(texts):
        if why_skipped(text, ids[position], settings.text_col):
            continue
        for paragraph in split_paragraphs(text, settings.words):
            paragraphs.append(paragraph)
            owners.append(position)
    scored = list(
        score_paragraphs(
            paragraphs, model, batch_size=settings.batch_size, neutral_band=settings.neutral_band
        )
    )
    owners = np.asarray(owners, dtype=np.int64)
    data = {
        "document": ids[owners],
        "paragraph": np.array([s.paragraph.index for s in scored], dtype=np.int64),
        "start": np.array([s.paragraph.start for s in scored], dtype=np.int64),
        "end": np.array([s.paragraph.end for s in scored], dtype=np.int64),
        "words": np.array([s.paragraph.words for s in scored], dtype=np.int64),
        "label": np.array([s.label for s in scored], dtype=object),
        "score": np.array([s.score for s in scored], dtype=float),
        "polarity": np.array([s.polarity for s in scored], dtype=float),
    }
    for name in model_classes(model):
        data[f"p_{name}"] = np.array([s.probabilities[name] for s in scored], dtype=float)
    for column in settings.group_cols:
        data[column] = frame[column].to_numpy()[owners]
    data["text"] = np.array([s.paragraph.text for s in scored], dtype=object)
    return pd.DataFrame(data, index=pd.Index(rows[owners], name=ROW_INDEX))


def _analyze_piece(
    piece: Piece, *, header: bytes, source: ModelSource, shipped: bool, settings: _Settings, columns=None
) -> pd.DataFrame:
    """One partition: read, split, score (runs on a dask worker; the model is loaded once per worker)."""
    model = local_model_source(source, shipped).load()
    frame = read_piece(piece, header).to_pandas()
    rows = np.arange(piece.first_row, piece.first_row + piece.rows, dtype=np.int64)
    out = paragraph_rows(frame, rows, model, settings)
    return out if columns is None else out[list(columns)]


# ============================================================================ reduced on the cluster
def _reduce(client, paragraphs, group_cols: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``(per-document sums, first paragraph rows, {column: per-group sums})``, summed by the cluster.

    Every analysed document has exactly one paragraph 0, so ``_documents`` (summed per group) counts them.
    """
    counted = paragraphs.assign(
        _paragraphs=1,
        _documents=(paragraphs["paragraph"] == 0).astype("int64"),
        **{f"_{label}": (paragraphs["label"] == label).astype("int64") for label in SENTIMENTS},
    ).reset_index()
    per_document = counted.groupby(ROW_INDEX)[_SUMS].sum()
    firsts = counted[counted["paragraph"] == 0][[ROW_INDEX, "document", *group_cols]]
    per_group = [
        counted.assign(_group=counted[column].map(group_value, meta=(column, object)))
        .groupby("_group")[[*_SUMS, "_documents"]]
        .sum()
        for column in group_cols
    ]
    computed = client.gather(client.compute([per_document, firsts, *per_group]))
    return computed[0], computed[1], dict(zip(group_cols, computed[2:]))


def _shares_and_mean(sums: pd.DataFrame) -> pd.DataFrame:
    """Paragraph counts, words, shares and mean polarity from summed counts (as ``documents._shares``)."""
    counts = sums["_paragraphs"].to_numpy()
    out = pd.DataFrame({"paragraphs": counts, "words": sums["words"].to_numpy()}, index=sums.index)
    for label in ("positive", "neutral", "negative"):
        out[f"share_{label}"] = sums[f"_{label}"].to_numpy() / counts
    out["mean_polarity"] = sums["polarity"].to_numpy() / counts
    return out


def _documents_table(per_document, firsts, settings: _Settings) -> pd.DataFrame:
    """``documents.csv``: document, title, group columns, paragraphs, words, shares, mean polarity."""
    documents = firsts.set_index(ROW_INDEX).sort_index()
    ids = documents["document"].tolist()
    if len(set(map(str, ids))) != len(ids):
        repeated = pd.Series(ids)[pd.Series(ids).astype(str).duplicated()].astype(str).unique()[:5]
        raise DataError(
            f"document ids must be unique, but {', '.join(repeated)} appear more than once in column "
            f"{settings.id_col!r}",
            hint="pass a column of unique names with --id-col, or leave it out to number the rows",
        )
    if settings.id_col is not None:
        titles = [str(i) for i in ids]
    elif settings.group_cols:
        values = zip(*(documents[c].map(group_value).tolist() for c in settings.group_cols))
        titles = [" · ".join(v) for v in values]
    else:
        titles = [f"document {i}" for i in ids]
    documents.insert(1, "title", titles)
    documents = documents.join(_shares_and_mean(per_document))
    return documents.reset_index(drop=True)


def _groups_table(per_group: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``groups.csv``: per grouping column, its groups with the most positive share first."""
    tables = []
    for column, sums in per_group.items():
        table = _shares_and_mean(sums).rename_axis("group").reset_index()
        table.insert(1, "documents", sums["_documents"].to_numpy().astype(int))
        table.insert(0, "group_by", column)
        tables.append(
            table.sort_values(
                ["share_positive", "mean_polarity", "group"], ascending=[False, False, True], kind="stable"
            )
        )
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=GROUP_COLUMNS))[
        GROUP_COLUMNS
    ]


# ============================================================================ the whole run
def analyze_with_dask(
    input_path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    model: str | os.PathLike | None = None,
    text_col: str | None = None,
    group_cols=(),
    id_col: str | None = None,
    words: int = 100,
    neutral_band: float = 0.0,
    batch_size: int = 64,
    workers: int = 2,
    scheduler: str | None = None,
    ship_model: bool | None = None,
    partition_rows: int = PARTITION_ROWS,
    partition_bytes: int = PARTITION_BYTES,
    on_status=None,
) -> DaskAnalysis:
    """Analyse every document of ``input_path`` on a dask cluster; publish the ``analysis`` directory ``out``
    (``paragraphs/``, ``documents.csv``, ``groups.csv``, ``summary.json``). Options as ``analyze_documents``
    and ``score_with_dask``; everything that can be checked is checked before the cluster starts."""
    from sentilab.paths import check_output_dir, output_dir

    require("dask.dataframe", "dask", feature="--engine dask")
    out, path = check_output_dir(out, OUTPUT_KIND), Path(input_path).absolute()
    if not path.exists():
        raise DataError(f"file {path} does not exist")
    kind = "parquet" if path.is_dir() else input_format(path)
    reader, _ = input_columns(path, kind)
    text_col = pick_text_column(reader, text_col)
    group_cols = (group_cols,) if isinstance(group_cols, str) else tuple(group_cols)
    stub = pd.DataFrame([[""] * len(reader.columns)], columns=reader.columns)  # names only; rows: below
    check_columns(stub, path.name, text_col, list(group_cols), id_col)
    settings = _Settings(
        text_col,
        group_cols,
        id_col,
        check_words(words),
        check_neutral_band(neutral_band),
        check_batch_size(batch_size),
    )
    source, loaded = model_source(model, on_status=on_status)
    header, pieces = plan_partitions(path, kind, partition_rows, partition_bytes)
    if not pieces:
        raise no_rows(path.name, reader.columns)
    shipped = bool(scheduler) if ship_model is None else ship_model
    result = DaskAnalysis(
        out=out, source=path.name, model=getattr(loaded, "name", "") or type(loaded).__name__,
        classes=model_classes(loaded), rows=sum(p.rows for p in pieces), partitions=len(pieces),
        settings={"text_col": text_col, "group_cols": list(group_cols), "id_col": id_col,
                  "words": settings.words, "neutral_band": settings.neutral_band},
    )  # fmt: skip
    start = time.perf_counter()
    with cluster_client(scheduler, workers, source, shipped) as client:
        result.workers = len(client.scheduler_info().get("workers", {})) or workers
        options = {"header": header, "source": source, "shipped": shipped, "settings": settings}
        with output_dir(out, OUTPUT_KIND) as tmp:
            _run(client, pieces, options, loaded, tmp, result)
            result.seconds = time.perf_counter() - start
            (tmp / "summary.json").write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    return result


def _run(client, pieces: list[Piece], options: dict, model, tmp: Path, result: DaskAnalysis) -> None:
    """Score into ``tmp/paragraphs``, reduce from what was written, write the two tables into ``tmp``."""
    import dask.dataframe as dd

    settings: _Settings = options["settings"]
    empty = pd.DataFrame(
        {
            c: pd.Series([], dtype=object)
            for c in {settings.text_col, *settings.group_cols, settings.id_col}
            if c
        }
    )
    meta = paragraph_rows(empty, np.arange(0, dtype=np.int64), model, settings)
    frame = dd.from_map(
        _analyze_piece, pieces, meta=meta, enforce_metadata=False, label="sentilab-analyze",
        divisions=[p.first_row for p in pieces] + [pieces[-1].first_row + pieces[-1].rows - 1], **options,
    )  # fmt: skip
    target = tmp / PARAGRAPHS_DIR
    write = frame.to_parquet(
        str(target), write_index=True, compute=False, name_function=lambda i: part_name(i, ".parquet")
    )
    client.compute(write).result()  # raises a worker's error, if any
    # Reduce from the written parts: scoring is not repeated and nothing is held in the cluster's memory.
    written = dd.read_parquet(str(target), index=ROW_INDEX)
    per_document, firsts, per_group = _reduce(client, written, settings.group_cols)
    if len(firsts) == 0:
        raise DataError(
            f"all {result.rows:,} documents in {result.source} have empty or missing text in column "
            f"{settings.text_col!r}; nothing to analyze",
            hint="check --text-col: it must name the column that holds the documents' text",
        )
    documents = _documents_table(per_document, firsts, settings)
    documents.to_csv(tmp / "documents.csv", index=False)
    _groups_table(per_group).to_csv(tmp / "groups.csv", index=False)
    result.documents, result.paragraphs = len(documents), int(documents["paragraphs"].sum())
    result.skipped = result.rows - result.documents
