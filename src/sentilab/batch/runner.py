"""The resumable runner: score a table file chunk by chunk into a new output, surviving interruption.

Memory stays flat: a chunk of rows is read, scored, written to a part file and dropped. A run works in a
hidden sibling of the output, ``.NAME.sentilab-work/`` (``job.json`` says what it is doing), and publishes
the output only when every chunk is done (:mod:`sentilab.batch.writers`), so an interrupted run never leaves
a partial file where the output belongs. Interrupted at any point (Ctrl-C, ``kill -9``, a full disk), the
same call with ``resume=True`` keeps every completed chunk and redoes the rest; chunk boundaries depend only
on ``chunk_rows``, so the finished output is identical to that of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from sentilab.batch.columns import DEFAULT_PREFIX, OutputColumns, class_names
from sentilab.batch.model_source import ModelSource, model_source
from sentilab.batch.parts import PartJob, completed_parts, remove_leftovers
from sentilab.batch.progress import Progress
from sentilab.batch.readers import TableReader, open_table
from sentilab.batch.writers import check_destination
from sentilab.data.formats import warn_undecodable
from sentilab.errors import DataError, SentilabError

#: Rows per chunk: the unit of memory, of progress and of resuming (~1-2 s of work for the default model).
DEFAULT_CHUNK_ROWS = 100_000


@dataclass
class ScoreSummary:
    """What a run did; :meth:`line` is the one-line report a person reads."""

    out: Path
    rows: int = 0
    empty: int = 0
    chunks: int = 0
    resumed_chunks: int = 0
    seconds: float = 0.0
    form: str = "file"
    workers: int = 1
    columns: list[str] = field(default_factory=list)
    #: Rows that had bytes that are not UTF-8 (kept, with U+FFFD; a DataWarning says so too).
    undecodable: int = 0

    #: Rows scored by this run (the others came from the interrupted run it resumed).
    rows_this_run: int = 0

    @property
    def rows_per_second(self) -> float:
        """This run's speed: the rows it scored over its time."""
        return self.rows_this_run / self.seconds if self.seconds > 0 else float("nan")

    def line(self) -> str:
        what = "a Parquet dataset directory" if self.form == "directory" else str(self.out)
        text = f"wrote {self.rows:,} rows → {what}"
        if self.form == "directory":
            text += f" {self.out}"
        text += f" in {self.seconds:.1f} s ({self.rows_per_second:,.0f} rows/s"
        text += f", {self.workers} workers)" if self.workers > 1 else ")"
        if self.resumed_chunks:
            text += f"; {self.resumed_chunks:,} of {self.chunks:,} chunks came from the interrupted run"
        if self.empty:  # worded as predict words it for texts on the command line
            text += f"; {self.empty:,} of {self.rows:,} texts were empty and got no label"
        return text


def work_dir_for(out: Path) -> Path:
    """The hidden sibling where a run into ``out`` keeps its parts until it publishes."""
    return out.parent / f".{out.name}.sentilab-work"


def pick_text_column(reader: TableReader, text_column: str | None) -> str:
    import pandas as pd

    from sentilab.data.formats import TEXT_COLUMNS, pick_column

    stub = pd.DataFrame(columns=reader.columns)
    column = pick_column(stub, text_column, "text", TEXT_COLUMNS, reader.path.name)
    if column is None:
        raise DataError(
            f"no text column found in {reader.path.name}; its columns are: {', '.join(reader.columns)}",
            hint="name it with --text-col",
        )
    return column


def score_file(
    input_path: str | os.PathLike,
    out: str | os.PathLike,
    *,
    model: str | os.PathLike | None = None,
    text_column: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    workers: int = 1,
    resume: bool = False,
    overwrite: bool = False,
    prefix: str = DEFAULT_PREFIX,
    progress: bool | None = None,
    progress_every: int = 1_000_000,
    on_status: Callable[[str], None] | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> ScoreSummary:
    """Score every row of ``input_path`` with ``model`` (a saved model directory, or None for the default
    model) and write the rows with the prediction columns added to ``out``.

    ``workers`` > 1 scores chunks in that many processes, each loading the model once from its directory.
    ``progress``: None shows it when stderr is a terminal (a bar) and as plain lines otherwise; False hides
    it. ``on_chunk(index)`` is called after each chunk's part file is complete.
    """
    say = on_status or (lambda line: print(line, file=sys.stderr, flush=True))
    out = Path(out)
    fmt = check_destination(out, overwrite=overwrite)  # before any work: a wrong --out costs nothing
    if workers < 1:
        raise SentilabError(f"--workers must be at least 1, got {workers}")
    reader = open_table(input_path, chunk_rows)
    column = pick_text_column(reader, text_column)
    source, loaded = model_source(model, on_status=say)
    columns = OutputColumns(tuple(class_names(loaded.classes_)), prefix)
    columns.check_no_clash(reader.columns, reader.path.name)
    work = work_dir_for(out)
    job = _job_description(reader, column, source, columns, fmt.kind)
    done = _prepare_work_dir(work, job, resume=resume, say=say)
    summary = ScoreSummary(out=out, workers=workers, columns=columns.names)
    start = time.perf_counter()
    pool = None
    if workers > 1:
        from sentilab.batch.pool import ScoringPool

        pool = ScoringPool(workers, source)  # before the progress bar's thread exists: see pool.py
    bar = Progress(
        total_rows=reader.total_rows,
        done_rows=sum(c["rows"] for c in done.values()),
        every_rows=progress_every,
        enabled=progress is None or progress,
    )
    part_job = PartJob(str(work), column, columns, fmt)
    try:
        schema, n_chunks = _run_chunks(reader, part_job, source, done, pool, bar, on_chunk)
    except SentilabError:
        bar.close()
        shutil.rmtree(work, ignore_errors=True)  # bad input: the same input would fail the same way
        raise
    except BaseException as exc:  # Ctrl-C, a full disk, a crash: what is done stays done
        bar.close()
        kept = len(completed_parts(work, fmt))
        what = "interrupted" if isinstance(exc, KeyboardInterrupt) else "stopped by an error"
        say(
            f"{what}: {kept:,} completed chunks of {chunk_rows:,} rows are kept in {work}; "
            "run the same command with --resume to continue from there"
        )
        raise
    bar.close()
    warn_undecodable(reader.path.name, reader.undecodable_rows)
    counts = completed_parts(work, fmt)
    parts = [part_job.part_path(i) for i in range(n_chunks)]
    summary.rows = sum(counts[i]["rows"] for i in range(n_chunks))
    summary.empty = sum(counts[i]["empty"] for i in range(n_chunks))
    summary.undecodable = reader.undecodable_rows
    summary.rows_this_run = summary.rows - sum(c["rows"] for c in done.values())
    summary.chunks, summary.resumed_chunks = n_chunks, len(done)
    summary.form = fmt.publish(parts, schema, summary.rows, out, work)
    shutil.rmtree(work)  # our own hidden sibling: only parts, counts and job.json (and a replaced output)
    summary.seconds = time.perf_counter() - start
    return summary


def _job_description(reader: TableReader, column: str, source: ModelSource, columns, kind: str) -> dict:
    """Everything that decides the output; a resumed run must match it exactly."""
    from sentilab import __version__

    stat = reader.path.stat()
    return {
        "input": str(reader.path.resolve()),
        "input_size": stat.st_size,
        "input_mtime_ns": stat.st_mtime_ns,
        "text_column": column,
        "chunk_rows": reader.chunk_rows,
        "model": source.directory,
        "model_fingerprint": source.fingerprint,
        "prefix": columns.prefix,
        "output_format": kind,
        "sentilab_version": __version__,
    }


def _prepare_work_dir(work: Path, job: dict, *, resume: bool, say) -> dict[int, dict[str, int]]:
    """Create the work directory, or check the one an interrupted run left; returns its completed chunks."""
    from sentilab.batch.writers import OutputFormat

    fmt = OutputFormat(job["output_format"])
    if work.is_dir():
        done = completed_parts(work, fmt)
        if not resume:
            raise SentilabError(
                f"an unfinished run into this output left {len(done):,} completed chunks in {work}",
                hint="add --resume to continue it, or delete that directory to start over",
            )
        try:
            previous = json.loads((work / "job.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
        changed = [key for key in job if previous.get(key) != job[key]]
        if changed:
            key = changed[0]
            raise SentilabError(
                f"cannot resume from {work}: its run had {key} = {previous.get(key)!r}, this one has "
                f"{job[key]!r}",
                hint="resume with the same input, model and options, or delete that directory to start over",
            )
        remove_leftovers(work)
        say(f"resuming: {len(done):,} completed chunks found in {work}")
        return done
    if resume:
        say("nothing to resume (no unfinished run into this output); starting from the first chunk")
    work.mkdir(parents=True)
    (work / "job.json").write_text(json.dumps(job, indent=1) + "\n", encoding="utf-8")
    return {}


def _run_chunks(reader, part_job: PartJob, source, done, pool, bar: Progress, on_chunk):
    """Score every chunk not in ``done`` (in ``pool``, or here when it is None); returns
    ``(output schema, number of chunks)``."""
    schema = None
    n_chunks = 0
    try:
        for chunk in reader.chunks():
            n_chunks = chunk.index + 1
            if schema is None:
                schema = pa.schema(list(chunk.table.schema) + part_job.columns.fields())
                schema = schema.with_metadata(chunk.table.schema.metadata)
                part_job = PartJob(
                    part_job.work, part_job.text_column, part_job.columns, part_job.fmt, schema
                )
            if chunk.index in done:
                bar.update(0, chunk.fraction)
                continue
            if pool is None:
                rows, _ = part_job.run(source.load(), chunk.index, chunk.table)
                bar.update(rows, chunk.fraction)
                if on_chunk is not None:
                    on_chunk(chunk.index)
            else:
                for index, rows in pool.submit(part_job, chunk.index, chunk.table):
                    bar.update(rows, chunk.fraction)
                    if on_chunk is not None:
                        on_chunk(index)
        if pool is not None:
            for index, rows in pool.drain():
                bar.update(rows, 1.0)
                if on_chunk is not None:
                    on_chunk(index)
    finally:
        if pool is not None:
            pool.close()
    if not n_chunks:
        raise no_rows(reader.path.name, reader.columns)
    return schema, n_chunks


def no_rows(name: str, columns: list[str]) -> DataError:
    """The error for a table with a header and nothing under it (worded as the data room words it)."""
    from sentilab.data.formats import describe_columns

    return DataError(
        f"{name} has a header ({describe_columns(columns) or '(none)'}) but no rows",
        hint="add one row per text under the header (the first line is read as the column names)",
    )
