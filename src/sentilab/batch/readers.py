"""Read a table in chunks of exactly ``chunk_rows`` rows, whatever its format, without loading it whole.

Chunk ``i`` always holds rows ``[i * chunk_rows, (i + 1) * chunk_rows)`` of the input: the boundaries do not
depend on the machine, the run or the number of workers, which is what lets an interrupted run resume from
its last completed chunk and still produce the same file.

Formats (by suffix, ``.gz`` allowed for the text formats): CSV, TSV (``.tsv``, ``.tab``, ``.txt``), JSON
lines (``.jsonl``, ``.ndjson``), Parquet, and JSON (``.json``, one array; read whole, as it cannot be
streamed). Text formats are read as UTF-8; bytes that are not are replaced with U+FFFD, as elsewhere in
sentilab. CSV and TSV cells are read as strings exactly as written (an empty cell is an empty string), the same
way :func:`sentilab.data.formats.read_local_table` reads them.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from sentilab.errors import DataError, require

SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
}


def input_format(path: Path) -> str:
    """The format of ``path`` from its suffix (``.gz`` looked through), or a clear error."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    kind = SUFFIXES.get(suffixes[-1] if suffixes else "")
    if kind is None:
        raise DataError(
            f"don't know how to read {path.name!r} (suffix {path.suffix or 'none'})",
            hint="use a .csv, .tsv, .jsonl, .json or .parquet file",
        )
    return kind


@dataclass
class Chunk:
    """Rows ``[index * chunk_rows, index * chunk_rows + len(table))`` of the input."""

    index: int
    table: pa.Table
    #: How far through the input this chunk ends, in [0, 1] (bytes read, or rows for Parquet).
    fraction: float


@dataclass
class TableReader:
    """A table on disk, opened for chunked reading. ``columns`` and ``total_rows`` are known up front
    (``total_rows`` only for Parquet and JSON); :meth:`chunks` yields :class:`Chunk` objects in order."""

    path: Path
    kind: str
    chunk_rows: int
    columns: list[str] = field(default_factory=list)
    total_rows: int | None = None
    whole: pa.Table | None = None

    def chunks(self) -> Iterator[Chunk]:
        batches = _BATCHES[self.kind](self)
        yield from _exact_chunks(batches, self.chunk_rows)


def open_table(path: str | os.PathLike, chunk_rows: int) -> TableReader:
    """Open ``path`` for chunked reading; refuses a missing file, an unknown suffix or an unreadable header."""
    path = Path(path)
    if chunk_rows < 1:
        raise DataError(f"chunk_rows must be at least 1, got {chunk_rows}")
    if not path.is_file():
        raise DataError(f"file {path} does not exist" if not path.exists() else f"{path} is not a file")
    kind = input_format(path)
    reader = TableReader(path, kind, chunk_rows)
    if kind == "parquet":
        pq = require("pyarrow.parquet", "parquet", feature="reading Parquet files")
        metadata = pq.ParquetFile(path).metadata
        reader.columns, reader.total_rows = list(metadata.schema.to_arrow_schema().names), metadata.num_rows
    elif kind == "json":
        reader.whole = _read_json_whole(path)  # JSON cannot be streamed: one array, read whole
        reader.columns, reader.total_rows = reader.whole.column_names, reader.whole.num_rows
    else:
        reader.columns = _header(reader)
    return reader


# ----------------------------------------------------------------------------- per format
def _open_binary(path: Path):
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller through the wrapper
    return raw, (gzip.GzipFile(fileobj=raw) if path.suffix.lower() == ".gz" else raw)


def _header(reader: TableReader) -> list[str]:
    """The column names of a CSV/TSV file, or the fields of a JSON-lines file's first record."""
    raw, handle = _open_binary(reader.path)
    with raw, handle:
        if reader.kind == "jsonl":
            for line in handle:
                if line.strip():
                    try:
                        return [str(k) for k in json.loads(line.decode("utf-8", errors="replace"))]
                    except (ValueError, AttributeError):
                        raise DataError(f"{reader.path}: the first line is not a JSON object") from None
            raise DataError(f"{reader.path} is empty: there is nothing to score")
        try:
            frame = pd.read_csv(
                handle,
                sep=_SEPARATOR[reader.kind],
                dtype=str,
                nrows=0,
                encoding="utf-8",
                encoding_errors="replace",
            )
        except pd.errors.EmptyDataError:
            raise DataError(f"{reader.path} is empty: there is nothing to score") from None
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(f"cannot parse {reader.path}: {str(exc).splitlines()[0]}") from None
    return [str(c) for c in frame.columns]


_SEPARATOR = {"csv": ",", "tsv": "\t"}


def _pandas_chunks(reader: TableReader) -> Iterator[tuple[pd.DataFrame, float]]:
    """``(frame, fraction of the file's bytes read)`` per pandas chunk of ``chunk_rows`` rows."""
    raw, handle = _open_binary(reader.path)
    size = max(1, os.fstat(raw.fileno()).st_size)
    options = {"encoding": "utf-8", "encoding_errors": "replace", "chunksize": reader.chunk_rows}
    with raw, handle:
        try:
            if reader.kind == "jsonl":
                frames = pd.read_json(handle, lines=True, dtype=False, **options)
            else:
                # Blank lines are rows too: in a one-column file they are empty texts, counted as such.
                frames = pd.read_csv(
                    handle,
                    sep=_SEPARATOR[reader.kind],
                    dtype=str,
                    keep_default_na=False,
                    skip_blank_lines=False,
                    **options,
                )
            with frames:
                for frame in frames:
                    yield frame, min(1.0, raw.tell() / size)
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(f"cannot parse {reader.path}: {str(exc).splitlines()[0]}") from None


def _text_batches(reader: TableReader) -> Iterator[tuple[pa.Table, float]]:
    schema = None
    start = 0
    for frame, fraction in _pandas_chunks(reader):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if reader.kind in ("csv", "tsv"):
            table = table.cast(pa.schema([pa.field(name, pa.string()) for name in table.column_names]))
        else:
            # JSON lines infer types per chunk; the first chunk fixes them (a column empty there is text),
            # so every chunk (and every output file) has one schema.
            schema = schema or _settled_schema(table.schema)
            table = _cast_or_explain(table, schema, reader.path, start)
        start += table.num_rows
        yield table, fraction


def _settled_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in schema])


def _cast_or_explain(table: pa.Table, schema: pa.Schema, path: Path, start: int) -> pa.Table:
    if table.schema.names != schema.names:
        raise DataError(
            f"{path}: the rows from {start + 1:,} on have the fields {table.schema.names}, "
            f"but the first rows have {schema.names}",
            hint="every JSON line needs the same fields; convert the file to Parquet or CSV",
        )
    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError(
            f"{path}: a field changes type at rows {start + 1:,}-{start + table.num_rows:,} ({exc})",
            hint="give every JSON line's field one type (e.g. quote ids), or convert the file to Parquet",
        ) from None


def _parquet_batches(reader: TableReader) -> Iterator[tuple[pa.Table, float]]:
    import pyarrow.parquet as pq

    done = 0
    total = max(1, reader.total_rows or 0)
    for batch in pq.ParquetFile(reader.path).iter_batches(batch_size=reader.chunk_rows):
        done += batch.num_rows
        yield pa.Table.from_batches([batch]), done / total


def _read_json_whole(path: Path) -> pa.Table:
    from sentilab.data.formats import read_local_table

    frame, _ = read_local_table(path)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.cast(_settled_schema(table.schema))


def _json_batches(reader: TableReader) -> Iterator[tuple[pa.Table, float]]:
    yield reader.whole, 1.0


_BATCHES = {
    "csv": _text_batches,
    "tsv": _text_batches,
    "jsonl": _text_batches,
    "parquet": _parquet_batches,
    "json": _json_batches,
}


def _exact_chunks(batches: Iterator[tuple[pa.Table, float]], chunk_rows: int) -> Iterator[Chunk]:
    """Regroup tables of any sizes into chunks of exactly ``chunk_rows`` rows (the last may be shorter)."""
    pending: list[pa.Table] = []
    held = 0
    index = 0
    fraction = 0.0
    for table, fraction in batches:
        pending.append(table)
        held += table.num_rows
        while held >= chunk_rows:
            joined = pa.concat_tables(pending)
            yield Chunk(index, joined.slice(0, chunk_rows).combine_chunks(), fraction)
            index += 1
            rest = joined.slice(chunk_rows)
            pending, held = ([rest] if rest.num_rows else []), rest.num_rows
    if held:
        yield Chunk(index, pa.concat_tables(pending).combine_chunks(), fraction)
