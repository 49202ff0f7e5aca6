"""``sentilab predict --file IN --out OUT``: the streaming batch scorer behind the predict command.

A thin layer over :mod:`sentilab.batch`: the options that only make sense with ``--out`` (``--workers``,
``--engine``, ``--scheduler``, ``--resume``, ``--overwrite``, ``--prefix``, ``--chunk-rows``), their checks
(:func:`check_batch_options`), and the one call :func:`predict_file` that ``predict`` makes for ``--out``.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

#: Options of :func:`batch_options` and their defaults: given without --out, they are a usage error.
BATCH_DEFAULTS = {
    "workers": None,
    "engine": "local",
    "scheduler": None,
    "resume": False,
    "overwrite": False,
    "prefix": "sentilab_",
    "chunk_rows": 100_000,
}


def batch_options(function):
    """The ``--out`` options of ``predict``, as one decorator."""
    options = [
        click.option(
            "--workers", type=click.IntRange(min=1),
            help="With --out: score in N processes, each loading the model once [default: 1; with --engine "
            "dask and no --scheduler: a local cluster of one worker per core].",
        ),
        click.option(
            "--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
            help="With --out: local processes, or dask.dataframe on a cluster (writes partitioned Parquet).",
        ),
        click.option(
            "--scheduler", metavar="tcp://HOST:PORT",
            help="With --engine dask: a running dask scheduler [default: start a local cluster].",
        ),
        click.option(
            "--resume", is_flag=True,
            help="With --out: continue an interrupted run from its last completed chunk.",
        ),
        click.option("--overwrite", is_flag=True, help="With --out: replace an existing output."),
        click.option(
            "--prefix", default="sentilab_", show_default=True,
            help="With --out: the prefix of the added columns (an input column is never overwritten).",
        ),
        click.option(
            "--chunk-rows", type=click.IntRange(min=1), default=100_000, show_default=True,
            help="With --out: rows read, scored and written at a time (and the unit of --resume).",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


def check_batch_options(out: Path | None, *, as_json: bool = False, **given) -> None:
    """Refuse, before any work, options that do not fit together: ``--workers``, ``--resume``, ... without
    ``--out``; ``--json`` with it; ``--scheduler`` without the dask engine; ``--resume`` with it."""
    if out is None:
        changed = [name for name, value in given.items() if value != BATCH_DEFAULTS[name]]
        if changed:
            option = "--" + changed[0].replace("_", "-")
            raise click.UsageError(
                f"{option} needs --file and --out (it shapes how the output file is written)"
            )
        return
    if as_json:
        raise click.UsageError(
            "--json prints the predictions; with --out they go to the file: give one of them"
        )
    if given.get("scheduler") and given.get("engine") != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    if given.get("engine") == "dask" and given.get("resume"):
        raise click.UsageError("--resume works with the local engine; a dask run is restarted whole")


def predict_file(file_path: Path, out: Path, *, model_dir: str | None, text_col: str | None, **batch) -> None:
    """Score every row of ``file_path`` into ``out`` (streaming, resumable); prints the summary line."""
    from sentilab.batch import score_file, score_with_dask

    status = lambda line: click.echo(line, err=True)  # noqa: E731
    common = {"model": model_dir, "text_column": text_col, "overwrite": batch["overwrite"]}
    common.update(prefix=batch["prefix"], on_status=status)
    if batch["engine"] == "dask":
        workers = batch["workers"] or os.cpu_count() or 1
        summary = score_with_dask(file_path, out, workers=workers, scheduler=batch["scheduler"], **common)
    else:
        summary = score_file(
            file_path,
            out,
            workers=batch["workers"] or 1,
            resume=batch["resume"],
            chunk_rows=batch["chunk_rows"],
            **common,
        )
    click.echo(summary.line(), err=True)
