"""Cut an input into pieces that different workers can read on their own, each knowing its first row.

* CSV/TSV: byte ranges that start and end on record boundaries. A newline ends a record only outside
  double quotes, so the file is scanned once (vectorised, 16 MiB at a time): a newline preceded by an even
  number of ``"`` is a boundary (a doubled ``""`` inside a quoted text keeps the count even). Each piece
  records how many rows it holds; a worker that parses a different number stops with a clear error rather
  than shift rows (it happens only for files that put a bare ``"`` inside an unquoted cell, which CSV
  writers do not do).
* Parquet (a file, or a directory of ``*.parquet`` files read in name order): runs of whole row groups.

``Piece.first_row`` numbers rows from 0 across the whole input: the index that keeps the output in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentilab.errors import DataError

_QUOTE, _NEWLINE = ord('"'), ord("\n")
_BLOCK = 16 << 20


@dataclass(frozen=True)
class Piece:
    """Rows ``[first_row, first_row + rows)`` of the input: bytes ``[start, end)`` of a CSV/TSV file (after
    its header, which every piece re-reads), or row groups ``[start, end)`` of a Parquet file."""

    path: str
    kind: str
    start: int
    end: int
    first_row: int
    rows: int


def parquet_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.parquet") if not p.name.startswith((".", "_")))
        if not files:
            raise DataError(
                f"{path} holds no .parquet files", hint="give a Parquet file or dataset directory"
            )
        return files
    return [path]


def parquet_pieces(path: Path, target_rows: int) -> list[Piece]:
    """Runs of whole row groups of about ``target_rows`` rows, file by file, in order."""
    import pyarrow.parquet as pq

    pieces: list[Piece] = []
    first_row = 0
    for file in parquet_files(path):
        metadata = pq.ParquetFile(file).metadata
        start, rows = 0, 0
        for group in range(metadata.num_row_groups):
            rows += metadata.row_group(group).num_rows
            if rows >= target_rows or group == metadata.num_row_groups - 1:
                pieces.append(Piece(str(file), "parquet", start, group + 1, first_row, rows))
                first_row += rows
                start, rows = group + 1, 0
    return pieces


def _record_ends(path: Path) -> Iterator[np.ndarray]:
    """Byte offsets of every newline outside double quotes, block by block (each array sorted)."""
    quotes_before = 0  # parity of the quotes seen in earlier blocks
    offset = 0
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            data = np.frombuffer(block, dtype=np.uint8)
            quotes = np.flatnonzero(data == _QUOTE)
            newlines = np.flatnonzero(data == _NEWLINE)
            outside = (quotes_before + np.searchsorted(quotes, newlines)) % 2 == 0
            yield newlines[outside] + offset
            quotes_before = (quotes_before + len(quotes)) % 2
            offset += len(block)


def csv_pieces(path: Path, kind: str, target_bytes: int) -> tuple[int, list[Piece]]:
    """``(header length in bytes, pieces)`` of a CSV/TSV file, cut on record boundaries every
    ``target_bytes`` or so."""
    if path.suffix.lower() == ".gz":
        raise DataError(
            f"{path.name}: a compressed file cannot be split between workers",
            hint="decompress it, or convert it to Parquet, for --engine dask",
        )
    size = path.stat().st_size
    header_end = None
    pieces: list[Piece] = []
    start, first_row, next_cut = 0, 0, 0

    def close_piece(end: int, rows: int) -> None:
        nonlocal start, first_row
        if end > start:
            pieces.append(Piece(str(path), kind, start, end, first_row, rows))
        start, first_row = end, first_row + rows

    rows_open = 0  # records ended since the current piece started
    for ends in _record_ends(path):
        if header_end is None and len(ends):
            header_end, ends = int(ends[0]) + 1, ends[1:]
            start = next_cut = header_end
            next_cut += target_bytes
        # cut after the first record end at or beyond each multiple of target_bytes
        while len(ends) and header_end is not None and ends[-1] + 1 >= next_cut:
            at = int(np.searchsorted(ends + 1, next_cut))
            close_piece(int(ends[at]) + 1, rows_open + at + 1)
            ends, rows_open = ends[at + 1 :], 0
            next_cut = start + target_bytes
        rows_open += len(ends)
    if header_end is None:
        return size, []  # a header without a newline: no rows
    tail = 1 if size > start and _has_unterminated_record(path, start, size) else 0
    close_piece(size, rows_open + tail)
    return header_end, pieces


def _has_unterminated_record(path: Path, start: int, size: int) -> bool:
    """True when the file ends in a record with no newline after it (it is still a row)."""
    with open(path, "rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) != b"\n" and size > start
