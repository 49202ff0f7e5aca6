"""``--engine dask``: score a CSV/TSV/Parquet dataset with dask.dataframe, on a local or a remote cluster.

The input is cut into pieces that start on record boundaries (:mod:`sentilab.batch.splits`), each piece is
one partition of a dask DataFrame (``dd.from_map``): a worker reads it, scores it with the model it loaded
once from the model's saved directory (:class:`~sentilab.batch.model_source.ModelSource`; never a pickled
model object) and the partitions are written as a partitioned Parquet dataset, ``part-000000.parquet …`` in
row order, each row carrying its input row number in the index column ``sentilab_row``.

By default a :class:`distributed.LocalCluster` of ``workers`` processes (one thread each: one partition at a
time per worker) is started and stopped; ``scheduler="tcp://HOST:PORT"`` uses a running cluster instead.
Its workers must see the input and output paths (a shared filesystem, as for ``dd.read_csv``); the model
need not be there: with ``ship_model`` (the default for a remote cluster) its files travel to every worker
through a worker plugin and are written into the worker's local directory, checked and loaded from there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from sentilab.batch.columns import DEFAULT_PREFIX, OutputColumns, add_predictions, class_names
from sentilab.batch.model_source import ModelSource, materialise, model_source
from sentilab.batch.parts import part_name
from sentilab.batch.progress import Progress
from sentilab.batch.readers import input_format, open_table
from sentilab.batch.runner import ScoreSummary, no_rows, pick_text_column
from sentilab.batch.splits import Piece, csv_pieces, parquet_files, parquet_pieces
from sentilab.batch.writers import OUTPUT_KIND, check_destination, old_output_set_aside
from sentilab.errors import DataError, SentilabError, require

#: The index column that numbers the input rows from 0; the output is in this order.
ROW_INDEX = "sentilab_row"
#: About this many bytes of CSV (or rows of Parquet) per partition.
PARTITION_BYTES = 32 << 20
PARTITION_ROWS = 200_000


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # without the dask extra; score_with_dask says which package to install
    WorkerPlugin = object


class ModelPlugin(WorkerPlugin):
    """A distributed worker plugin that writes the model's files into each worker's local directory."""

    def __init__(self, source: ModelSource, files: dict[str, bytes]):
        self.source, self.files = source, files

    def setup(self, worker) -> None:
        materialise(self.source, self.files, worker.local_directory)


def local_model_source(source: ModelSource, shipped: bool) -> ModelSource:
    if not shipped:
        return source
    from distributed import get_worker

    return ModelSource(
        str(Path(get_worker().local_directory) / "sentilab-models" / source.fingerprint), source.fingerprint
    )


def read_piece(piece: Piece, header: bytes) -> pa.Table:
    if piece.kind == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(piece.path).read_row_groups(list(range(piece.start, piece.end)))
    import io

    import pandas as pd

    with open(piece.path, "rb") as handle:
        handle.seek(piece.start)
        data = handle.read(piece.end - piece.start)
    frame = pd.read_csv(
        io.BytesIO(header + data),
        sep="\t" if piece.kind == "tsv" else ",",
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        encoding="utf-8",
        encoding_errors="replace",
    )
    if len(frame) != piece.rows:
        raise DataError(
            f"{piece.path}: bytes {piece.start:,}-{piece.end:,} parsed to {len(frame):,} rows, expected "
            f"{piece.rows:,}; the file has a quote inside an unquoted cell, so it cannot be split safely",
            hint="use the default engine (--engine local), or convert the file to Parquet",
        )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.cast(pa.schema([pa.field(name, pa.string()) for name in table.column_names]))


def _score_piece(
    piece: Piece, *, header: bytes, source: ModelSource, shipped, text_column, added, columns=None
):
    """One partition: read, score, and number the rows (runs on a dask worker). ``columns``: dask's
    column projection, when a later step needs only some columns."""
    import pandas as pd

    model = local_model_source(source, shipped).load()
    table, _ = add_predictions(read_piece(piece, header), model, text_column, added)
    frame = table.to_pandas()
    frame.index = pd.RangeIndex(piece.first_row, piece.first_row + piece.rows, name=ROW_INDEX)
    return frame if columns is None else frame[list(columns)]


def plan_partitions(
    path: Path, kind: str, partition_rows: int, partition_bytes: int
) -> tuple[bytes, list[Piece]]:
    if kind == "parquet":
        return b"", parquet_pieces(path, partition_rows)
    if kind not in ("csv", "tsv"):
        raise DataError(
            f"--engine dask reads CSV, TSV and Parquet, not {path.suffix} files",
            hint="use the default engine for JSON lines, or convert the file to Parquet",
        )
    header_end, pieces = csv_pieces(path, kind, partition_bytes)
    with open(path, "rb") as handle:
        return handle.read(header_end), pieces


def input_columns(path: Path, kind: str):
    """``(reader for column names, empty input table with the input's schema)``."""
    first = parquet_files(path)[0] if kind == "parquet" else path
    reader = open_table(first, 1)
    if kind == "parquet":
        import pyarrow.parquet as pq

        return reader, pq.read_schema(first).empty_table()
    return reader, pa.schema([pa.field(c, pa.string()) for c in reader.columns]).empty_table()


def connect_cluster(scheduler: str | None, workers: int):
    """``(client, cluster or None)``: a new local cluster, or a client of the running one at ``scheduler``."""
    distributed = require("distributed", "dask", feature="--engine dask")
    if scheduler:
        try:
            return distributed.Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise SentilabError(
                f"cannot reach the dask scheduler at {scheduler} ({exc})",
                hint="start one with `dask scheduler` and workers with `dask worker ADDRESS`, or leave out "
                "--scheduler to use a local cluster",
            ) from None
    cluster = distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.CRITICAL,  # a worker's error reaches the user once, as ours
    )  # fmt: skip
    return distributed.Client(cluster), cluster


@contextlib.contextmanager
def cluster_client(scheduler: str | None, workers: int, source: ModelSource, shipped: bool):
    """A dask client (of a new local cluster, or of the scheduler given), with the model's files shipped to
    every worker when ``shipped``; client and local cluster are closed afterwards, whatever happens."""
    client, cluster = connect_cluster(scheduler, workers)
    try:
        if shipped:
            client.register_plugin(
                ModelPlugin(source, source.files()), name=f"sentilab-model-{source.fingerprint}"
            )
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def score_with_dask(
    input_path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    model: str | os.PathLike | None = None,
    text_column: str | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    ship_model: bool | None = None,
    overwrite: bool = False,
    prefix: str = DEFAULT_PREFIX,
    partition_rows: int = PARTITION_ROWS,
    partition_bytes: int = PARTITION_BYTES,
    progress: bool | None = None,
    progress_every: int = 1_000_000,
    on_status=None,
) -> ScoreSummary:
    """Score every row of ``input_path`` on a dask cluster; write a partitioned Parquet dataset to ``out``."""
    from sentilab.paths import output_dir

    require("dask.dataframe", "dask", feature="--engine dask")
    out, path = Path(out), Path(input_path).absolute()
    check_destination(out, overwrite=overwrite, directory_only=True)
    if not path.exists():
        raise DataError(f"file {path} does not exist")
    kind = "parquet" if path.is_dir() else input_format(path)
    reader, empty_input = input_columns(path, kind)
    column = pick_text_column(reader, text_column)
    source, loaded = model_source(model, on_status=on_status)
    columns = OutputColumns(tuple(class_names(loaded.classes_)), prefix)
    columns.check_no_clash(reader.columns, path.name)
    header, pieces = plan_partitions(path, kind, partition_rows, partition_bytes)
    if not pieces:
        raise no_rows(path.name, reader.columns)
    shipped = bool(scheduler) if ship_model is None else ship_model
    options = {
        "header": header,
        "source": source,
        "shipped": shipped,
        "text_column": column,
        "added": columns,
    }
    summary = ScoreSummary(out=out, workers=workers, form="directory", columns=columns.names)
    start = time.perf_counter()
    with cluster_client(scheduler, workers, source, shipped) as client:
        summary.workers = len(client.scheduler_info().get("workers", {})) or workers
        meta = _score_meta(empty_input, loaded, column, columns)
        # A Parquet file there (a previous single-file output, replaced with overwrite) is set aside first.
        out.parent.mkdir(parents=True, exist_ok=True)
        with (
            tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.", suffix=".old") as holder,
            old_output_set_aside(out, Path(holder), keep_if=out.is_dir()),
            output_dir(out, OUTPUT_KIND) as tmp,
        ):
            _write(client, pieces, options, meta, tmp, progress, progress_every)
    summary.rows = summary.rows_this_run = sum(p.rows for p in pieces)
    summary.chunks = len(pieces)
    summary.seconds = time.perf_counter() - start
    return summary


def _score_meta(empty_input: pa.Table, model, column: str, columns: OutputColumns):
    import pandas as pd

    table, _ = add_predictions(empty_input, model, column, columns)
    frame = table.to_pandas()
    frame.index = pd.RangeIndex(0, 0, name=ROW_INDEX)
    return frame


def _write(client, pieces: list[Piece], options: dict, meta, tmp: Path, progress, progress_every) -> None:
    """Build the dask DataFrame, write it as Parquet into ``tmp``, and report progress as parts appear."""
    import dask.dataframe as dd
    from distributed import wait

    frame = dd.from_map(
        _score_piece, pieces, meta=meta, enforce_metadata=False, label="sentilab-score",
        divisions=[p.first_row for p in pieces] + [pieces[-1].first_row + pieces[-1].rows - 1], **options,
    )  # fmt: skip
    write = frame.to_parquet(
        str(tmp), write_index=True, compute=False, name_function=lambda i: part_name(i, ".parquet")
    )
    future = client.compute(write)
    total = sum(p.rows for p in pieces)
    bar = Progress(total_rows=total, every_rows=progress_every, enabled=progress is None or progress)
    seen = 0
    while True:
        try:
            wait(future, timeout=0.5)
            done = True
        except TimeoutError:
            done = False
        finished = [i for i in range(len(pieces)) if (tmp / part_name(i, ".parquet")).exists()]
        rows = sum(pieces[i].rows for i in finished)
        if rows > seen:
            bar.update(rows - seen, rows / total)
            seen = rows
        if done:
            break
    bar.close()
    future.result()  # raises the worker's error, if any
