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

import codecs
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
    separator: str = ","
    #: Rows holding U+FFFD, and how many bytes were not UTF-8, in the chunks read so far.
    rows_with_replacement: int = 0
    replaced_bytes: int = 0

    @property
    def undecodable_rows(self) -> int:
        """Rows that had bytes that were not UTF-8 (counted as in :func:`sentilab.data.formats.read_table`:
        once the file had any, every row holding U+FFFD)."""
        return self.rows_with_replacement if self.replaced_bytes else 0

    def chunks(self) -> Iterator[Chunk]:
        self.rows_with_replacement = self.replaced_bytes = 0
        batches = _BATCHES[self.kind](self)
        yield from _exact_chunks(batches, self.chunk_rows)


def open_table(path: str | os.PathLike, chunk_rows: int) -> TableReader:
    """Open ``path`` for chunked reading; refuses a missing file, an unknown suffix or an unreadable header."""
    path = Path(path)
    if chunk_rows < 1:
        raise DataError(f"chunk_rows must be at least 1, got {chunk_rows}")
    if path.is_dir():
        raise DataError(
            f"{path} is a directory; this reads one file",
            hint="give a file, or use --engine dask for a directory of Parquet files",
        )
    if not path.is_file():
        raise DataError(f"file {path} does not exist")
    kind = input_format(path)
    reader = TableReader(path, kind, chunk_rows)
    if kind == "parquet":
        require("pyarrow.parquet", "parquet", feature="reading Parquet files")
        reader.columns, reader.total_rows = _parquet_header(path)
    elif kind == "json":
        from sentilab.data.formats import read_table

        frame, reader.replaced_bytes = read_table(path)  # JSON cannot be streamed: one array, read whole
        table = pa.Table.from_pandas(frame, preserve_index=False)
        reader.whole = table.cast(_settled_schema(table.schema))
        reader.rows_with_replacement = reader.replaced_bytes
        reader.columns, reader.total_rows = reader.whole.column_names, reader.whole.num_rows
    else:
        _check_text_content(path, kind)
        reader.columns = _header(reader)
    return reader


# ----------------------------------------------------------------------------- per format
def _open_binary(path: Path):
    """``(raw file, handle to read)``: gzip-compressed data (by its magic bytes) is decompressed."""
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller through the wrapper
    compressed = raw.read(2) == _GZIP_MAGIC
    raw.seek(0)
    return raw, (gzip.GzipFile(fileobj=raw) if compressed else raw)


def _check_text_content(path: Path, kind: str) -> None:
    """A file named like text that holds something else (Parquet, zip, binary) is refused, as in
    :func:`sentilab.data.formats.read_table`."""
    from sentilab.data.formats import sniff_content

    raw, handle = _open_binary(path)
    with raw, handle:
        try:
            head = handle.read(4096)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path.name} is damaged gzip-compressed data ({exc})") from None
    what = sniff_content(head)
    if what in ("a Parquet file", "a zip archive", "binary data", "gzip-compressed data"):
        raise DataError(
            f"{path.name} is not text: it looks like {what}",
            hint=f"{kind.upper()} was expected from the name; rename the file to match what it holds "
            "(e.g. .parquet)",
        )
    if what == "an empty file":
        raise DataError(f"{path.name} is empty", hint="expected a header line and one row per text")


def _parquet_header(path: Path) -> tuple[list[str], int]:
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(path).metadata
    except (pa.ArrowInvalid, OSError) as exc:
        from sentilab.data.formats import sniff_content

        with open(path, "rb") as handle:
            head = handle.read(4096)
        raise DataError(
            f"{path.name} is not a Parquet file: it looks like {sniff_content(head)}"
            if not head.startswith(b"PAR1")
            else f"cannot read {path.name} as Parquet: {str(exc)[:150]}",
            hint="rename the file to match what it holds (.csv, .tsv, .jsonl), or write it with to_parquet",
        ) from None
    return list(metadata.schema.to_arrow_schema().names), metadata.num_rows


def _header(reader: TableReader) -> list[str]:
    """The column names of a CSV/TSV file, or the fields of a JSON-lines file's first record."""
    raw, handle = _open_binary(reader.path)
    with raw, handle:
        if reader.kind == "jsonl":
            for line in handle:
                if line.strip():
                    try:
                        return [
                            str(k)
                            for k in json.loads(line.decode("utf-8", errors="replace").lstrip("\ufeff"))
                        ]
                    except (ValueError, AttributeError):
                        raise DataError(f"{reader.path}: the first line is not a JSON object") from None
            raise DataError(f"{reader.path} is empty: there is nothing to score")
        first = handle.readline(1 << 20).decode("utf-8", errors="replace").lstrip("\ufeff")
        reader.separator = _separator(reader, first)
        handle.seek(0)
        try:
            frame = pd.read_csv(handle, sep=reader.separator, dtype=str, nrows=0, encoding="utf-8",
                                encoding_errors="replace")  # fmt: skip
        except pd.errors.EmptyDataError:
            raise DataError(
                f"{reader.path.name} is empty", hint="expected a header line and one row per text"
            ) from None
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(f"cannot parse {reader.path}: {str(exc).splitlines()[0]}") from None
    return [str(c) for c in frame.columns]


def _separator(reader: TableReader, header: str) -> str:
    """Tab for TSV; for a .csv, the separator its header uses (a tab- or semicolon-separated header is
    read as such, with the same note :func:`sentilab.data.formats.read_table` gives)."""
    if reader.kind == "tsv":
        return "\t"
    from sentilab.data.formats import csv_separator

    return csv_separator(reader.path.name, header)


_GZIP_MAGIC = b"\x1f\x8b"


def _count_replacement(error: UnicodeDecodeError) -> tuple[str, int]:
    """A codec error handler: replace like "replace" does, and count, so a run can report undecodable rows."""
    _REPLACED[0] += error.end - error.start
    return "\ufffd", error.end


_REPLACED = [0]
codecs.register_error("sentilab-count-replace", _count_replacement)


def _pandas_chunks(reader: TableReader) -> Iterator[tuple[pd.DataFrame, float]]:
    """``(frame, fraction of the file's bytes read)`` per pandas chunk of ``chunk_rows`` rows."""
    raw, handle = _open_binary(reader.path)
    size = max(1, os.fstat(raw.fileno()).st_size)
    options = {
        "encoding": "utf-8",
        "encoding_errors": "sentilab-count-replace",
        "chunksize": reader.chunk_rows,
    }
    with raw, handle:
        try:
            if reader.kind == "jsonl":
                frames = pd.read_json(handle, lines=True, dtype=False, **options)
            else:
                # Blank lines are rows too: in a one-column file they are empty texts, counted as such.
                frames = pd.read_csv(
                    handle,
                    sep=reader.separator,
                    dtype=str,
                    keep_default_na=False,
                    skip_blank_lines=False,
                    **options,
                )
            with frames:
                start = _REPLACED[0]
                for frame in frames:
                    reader.replaced_bytes = _REPLACED[0] - start  # decoded while parsing (this thread)
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
        reader.rows_with_replacement += _rows_with_replacement(table)
        yield table, fraction


def _rows_with_replacement(table: pa.Table) -> int:
    import pyarrow.compute as pc

    hits = None
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            found = pc.fill_null(pc.match_substring(column, "\ufffd"), False)
            hits = found if hits is None else pc.or_(hits, found)
    return 0 if hits is None else int(pc.sum(hits).as_py() or 0)


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
    # pre_buffer=False: with it, pyarrow keeps every row group it has read cached (0.5 GiB at 10M rows).
    for batch in pq.ParquetFile(reader.path, pre_buffer=False).iter_batches(batch_size=reader.chunk_rows):
        done += batch.num_rows
        yield pa.Table.from_batches([batch]), done / total


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
