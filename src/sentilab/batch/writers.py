"""Write scored chunks as part files, then publish them as one output in input order.

Each chunk is written to its own part file in the run's work directory (atomically: a part that exists is
complete). When every chunk is done, the parts are published at ``--out`` in one step:

* ``.csv`` / ``.tsv``: the header, then the parts, byte for byte, into one file. Every text cell is quoted
  (so commas, quotes, ``\\n`` and a bare ``\\r`` inside a text read back as one cell) and an empty cell is
  written bare, so the file re-reads to exactly the rows that went in.
* ``.jsonl`` / ``.ndjson``: one JSON object per line, the parts concatenated.
* ``.parquet``: real Parquet. Up to :data:`SINGLE_FILE_ROWS` rows, one file (a row group per chunk); above
  that, a partitioned dataset directory ``NAME.parquet/part-000000.parquet …`` (the same schema in each,
  part names in row order) that ``pandas.read_parquet``, pyarrow and dask read as one table.

Anything else (``.xlsx``, ``.json`` …) is refused before any work starts. A file output is published with
:func:`sentilab.paths.atomic_file`, a directory with :func:`sentilab.paths.output_dir`; an existing output
is replaced only with ``overwrite``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from sentilab.errors import DataError
from sentilab.paths import OutputPathError, atomic_file, check_output_dir, check_output_file, output_dir

#: The kind written in the marker file of a partitioned predictions directory.
OUTPUT_KIND = "predictions"
#: Parquet outputs with more rows than this are a dataset directory (one file per chunk), not one file.
SINGLE_FILE_ROWS = 1_000_000


@dataclass(frozen=True)
class OutputFormat:
    """How one kind of output file is written: ``kind`` is csv, tsv, jsonl or parquet."""

    kind: str

    @property
    def part_suffix(self) -> str:
        return {"csv": ".csv", "tsv": ".tsv", "jsonl": ".jsonl", "parquet": ".parquet"}[self.kind]

    def write_part(self, table: pa.Table, path: Path) -> None:
        """Write one chunk's rows to ``path`` (atomically); CSV/TSV parts have no header."""
        with atomic_file(path, "wb") as handle:
            if self.kind == "parquet":
                import pyarrow.parquet as pq

                pq.write_table(table, handle)
            elif self.kind == "jsonl":
                # json.dumps writes the shortest repr of a float, which reads back to the same number
                # (pandas' to_json rounds to a number of decimal places); dates and the like become text.
                lines = (json.dumps(row, ensure_ascii=False, default=str) for row in table.to_pylist())
                handle.write("".join(line + "\n" for line in lines).encode("utf-8"))
            else:
                _write_csv(table, handle, self.kind, header=False)

    def publish(self, parts: Sequence[Path], schema: pa.Schema, rows: int, out: Path, work: Path) -> str:
        """Publish ``parts`` (in order) at ``out``; returns ``"file"`` or ``"directory"``."""
        as_directory = self.kind == "parquet" and (rows > SINGLE_FILE_ROWS or out.is_dir())
        with old_output_set_aside(out, work, keep_if=out.is_dir() if as_directory else out.is_file()):
            if as_directory:
                publish_directory(parts, out)
                return "directory"
            with atomic_file(out, "wb") as handle:
                if self.kind == "parquet":
                    _concat_parquet(parts, schema, handle)
                else:
                    if self.kind in ("csv", "tsv"):
                        _write_csv(schema.empty_table(), handle, self.kind, header=True)
                    for part in parts:
                        with open(part, "rb") as source:
                            shutil.copyfileobj(source, handle, 1 << 20)
            return "file"


OUTPUT_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
OUTPUT_SUFFIXES[".parquet"] = "parquet"


def output_format(out: Path) -> OutputFormat:
    """The format ``out``'s suffix asks for, or a clear error naming the ones sentilab writes."""
    kind = OUTPUT_SUFFIXES.get(out.suffix.lower())
    if kind is None:
        raise DataError(
            f"--out {out}: sentilab does not write {out.suffix or 'files without a suffix'} files",
            hint="end the name with .csv, .tsv, .jsonl or .parquet (a Parquet file opens in Excel through "
            "Power Query; a CSV opens directly)",
        )
    return OutputFormat(kind)


def check_destination(out: Path, *, overwrite: bool, directory_only: bool = False) -> OutputFormat:
    """Everything about ``out`` that can be refused before work starts: its format, and what is there now."""
    fmt = output_format(out)
    if directory_only and fmt.kind != "parquet":
        raise DataError(
            f"--out {out}: the dask engine writes a partitioned Parquet dataset",
            hint=f"name it {out.with_suffix('.parquet')}",
        )
    if out.is_dir() and fmt.kind == "parquet":
        if not overwrite:
            raise OutputPathError(
                f"--out {out} already exists; sentilab does not replace an output unless told to",
                hint="choose another path, or pass --overwrite to replace it",
            )
        check_output_dir(out, OUTPUT_KIND)  # only a previous predictions dataset may be replaced
    else:
        check_output_file(out, overwrite=overwrite)
    return fmt


def _write_csv(table: pa.Table, handle, kind: str, *, header: bool) -> None:
    import pyarrow.csv as pcsv

    # quoting_style "needed" quotes every string cell (whatever it holds: \r included) and no number;
    # a missing cell is written bare, so it reads back as empty.
    options = pcsv.WriteOptions(
        include_header=header, delimiter="\t" if kind == "tsv" else ",", quoting_style="needed"
    )
    pcsv.write_csv(table, handle, options)


def _concat_parquet(parts: Sequence[Path], schema: pa.Schema, handle) -> None:
    import pyarrow.parquet as pq

    with pq.ParquetWriter(handle, schema) as writer:
        for part in parts:
            writer.write_table(pq.read_table(part))  # one chunk in memory at a time


def publish_directory(parts: Sequence[Path], out: Path) -> None:
    """Move the part files (named in row order) into a new dataset directory and publish it at ``out``."""
    with output_dir(out, OUTPUT_KIND) as tmp:
        for part in parts:
            os.replace(part, tmp / part.name)


@contextlib.contextmanager
def old_output_set_aside(out: Path, work: Path, *, keep_if: bool):
    """Replacing a Parquet file by a dataset directory (or back) cannot be one rename: move the old output
    into the work directory first, and put it back if publishing fails. ``keep_if``: same form, nothing
    to do (the publish step replaces it in place)."""
    if keep_if or not (out.exists() or out.is_symlink()):
        yield
        return
    aside = work / "previous-output"
    os.replace(out, aside)
    try:
        yield
    except BaseException:
        if not (out.exists() or out.is_symlink()):
            os.replace(aside, out)
        raise
