"""``sentilab analyze``: paragraph-level sentiment of long documents, per document and per group."""

from __future__ import annotations

import functools
import json
import re
import time
from pathlib import Path

import click

from sentilab.errors import DataError

EPILOG = """\b
Examples:
  sentilab analyze convention-speeches --model runs/bow --out runs/speeches
  sentilab analyze speeches.csv --text-col speech --group-col speaker --group-col party --out runs/speeches
  sentilab analyze hearings.parquet --text-col transcript --id-col hearing --words 150 --neutral-band 0.2

\b
Writes DIR/report.html (self-contained: every document's paragraphs shaded by polarity, the most positive
and most negative paragraphs per group, charts), paragraphs.csv, documents.csv, groups.csv, skipped.csv
and the PNG charts.

\b
With --engine dask (a large table, CSV/TSV/Parquet, on a local or a running dask cluster): DIR holds
paragraphs/ (partitioned Parquet, one row per paragraph, indexed by the document's input row
sentilab_row), documents.csv, groups.csv and summary.json; no HTML report (a page of millions of
paragraphs is not readable; open the tables instead).
  sentilab analyze speeches.parquet --text-col speech --engine dask --workers 8 --out runs/speeches
  sentilab analyze speeches.csv --engine dask --scheduler tcp://10.0.0.5:8786 --out /shared/runs/speeches
"""

#: File endings read as one plain-text document (the whole file), not as a table.
PLAIN_TEXT_SUFFIXES = (".txt", ".text", ".md")

#: Used as group columns when --group-col is not given and the data has them (e.g. convention-speeches).
DEFAULT_GROUP_COLUMNS = ("speaker", "party")


def load_model_for_analysis(model_dir: str | None):
    """``(model, description)``: the model in ``model_dir``, or sentilab's default model."""
    from sentilab.named_models import resolve_model

    model, source = resolve_model(model_dir)
    name = getattr(model, "name", type(model).__name__)
    return model, (f"the default model ({name})" if model_dir is None else f"{source} ({name})")


def read_documents(docs: str, text_col: str | None):
    """``(frame, source name, text column, notes)`` for a local table or a registry dataset name.

    A plain-text file (.txt, .text, .md) is ONE document: the whole file, blank lines included (the
    paragraph splitter prefers to cut there); tables hold one document per row.
    """
    from sentilab.data.formats import (
        TEXT_COLUMNS,
        no_text_column,
        pick_column,
        read_table,
        read_text_document,
        undecodable_message,
    )

    path = Path(docs).expanduser()
    notes: list[str] = []
    if path.is_file():
        if path.suffix.lower() in PLAIN_TEXT_SUFFIXES:
            if text_col is not None:
                raise DataError(
                    f"--text-col {text_col!r} does not apply to {path.name}: "
                    "a plain-text file has no columns",
                    hint="leave --text-col out (the whole file is one document), or pass a table",
                )
            frame, undecodable = read_text_document(path)
            notes.append("plain text: read as one document (the whole file)")
        else:
            frame, undecodable = read_table(path)
        source = path.name
        if undecodable:
            notes.append(undecodable_message(source, undecodable).split(": ", 1)[1])
    else:
        from sentilab.data import load_dataset

        dataset = load_dataset(docs)  # a registry name; unknown names and missing files get clear errors
        frame, source = dataset.frame, dataset.name
        notes.extend(line.strip() for line in dataset.report.lines()[1:-1])
    column = pick_column(frame, text_col, "text", TEXT_COLUMNS, source)
    if column is None:
        raise no_text_column(frame, source)
    return frame, source, column, notes


def _slug(name: str) -> str:
    return (
        re.sub(r"[^A-Za-z0-9]+", "-", Path(name).stem if "." in name else name).strip("-").lower() or "docs"
    )


@click.command("analyze", epilog=EPILOG)
@click.argument("docs", metavar="DOCS")
@click.option(
    "--text-col",
    default=None,
    help="Column with each document's text  [default: the first of text, sentence, review, tweet, content, "
    "speech, document, body]",
)
@click.option(
    "--group-col",
    "group_cols",
    multiple=True,
    metavar="COL",
    help="Aggregate by this column; repeat for several (each gets its own chart and table)  "
    "[default: speaker and party, where present]",
)
@click.option(
    "--id-col",
    default=None,
    metavar="COL",
    help="Column naming each document  [default: the row number, from 0]",
)
@click.option(
    "--model",
    "-m",
    "model_dir",
    metavar="NAME|DIR",
    default=None,
    help="A named model (default, best) or a trained model directory  [default: the default model]",
)
@click.option(
    "--words",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Target words per paragraph; cuts fall at sentence ends, never above 1.5x this.",
)
@click.option(
    "--neutral-band",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    help="Also call a paragraph neutral when |polarity| is below this (useful with two-class models).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Paragraphs per model call.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=None,
    help="Paragraphs per group in the 'most positive / most negative' tables  [default: 3, or 1 with >10 groups]",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output directory  [default: runs/analyze-DOCS]",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the per-document and per-group results as JSON on stdout."
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: in memory in this process, with the HTML report; dask: a large table on a dask cluster (paragraphs as "
    "partitioned Parquet, documents.csv, groups.csv, summary.json; no HTML report).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="With --engine dask and no --scheduler: worker processes of the local cluster  [default: one per core]",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    default=None,
    help="With --engine dask: a running dask scheduler  [default: start a local cluster]",
)
def analyze(
    docs,
    text_col,
    group_cols,
    id_col,
    model_dir,
    words,
    neutral_band,
    batch_size,
    top,
    out,
    as_json,
    engine,
    workers,
    scheduler,
):
    """Paragraph-level sentiment of long documents (speeches, transcripts, reviews) in DOCS.

    DOCS is a CSV/TSV/JSONL/Parquet file with one document per row, a plain-text file (.txt, .md) that
    is one document (the whole file; its blank lines are the preferred paragraph cuts), or a dataset name
    such as convention-speeches (the 2012 and 2016 US party convention speeches, offline once fetched).

    \b
    Every document is cut into paragraphs of about --words words at sentence ends (nothing is dropped,
    not even a last sentence without a full stop), each paragraph is scored by the model, and shares
    of positive / neutral / negative paragraphs and the mean polarity are reported per document and per
    group (--group-col). polarity = P(positive) - P(negative), from -1 to +1; a paragraph's label is the
    most probable class (an exact tie counts as neutral) and its score is the probability of that label.
    Documents with empty text are skipped and listed.
    """
    if engine == "dask":
        settings = {"text_col": text_col, "group_cols": group_cols, "id_col": id_col, "words": words}
        settings.update(neutral_band=neutral_band, batch_size=batch_size, top=top, as_json=as_json)
        return _analyze_with_dask(docs, model_dir, out, workers, scheduler, **settings)
    if workers is not None or scheduler is not None:
        raise click.UsageError("--workers and --scheduler need --engine dask")
    from sentilab.documents import analyze_documents
    from sentilab.paths import check_output_dir, write_output_dir
    from sentilab.reports.documents import write_documents_report

    started = time.perf_counter()
    frame, source, text_column, notes = read_documents(docs, text_col)
    columns = [str(c) for c in frame.columns]
    if not group_cols:
        group_cols = tuple(c for c in DEFAULT_GROUP_COLUMNS if c in columns and c != text_column)
    out = out if out is not None else Path("runs") / f"analyze-{_slug(docs)}"
    check_output_dir(out, "analysis")  # before any scoring
    click.echo(
        f"{source}: {len(frame):,} document{'s' * (len(frame) != 1)} · text column '{text_column}'", err=True
    )
    for note in notes:
        click.echo(f"  {note}", err=True)
    model, model_text = load_model_for_analysis(model_dir)
    click.echo(
        f"model: {model_text} · groups: {', '.join(group_cols) if group_cols else '(none)'}",
        err=True,
    )
    analysis = analyze_documents(
        frame,
        model,
        text_col=text_column,
        group_cols=list(group_cols),
        id_col=id_col,
        words=words,
        neutral_band=neutral_band,
        batch_size=batch_size,
        source=source,
    )
    report = write_output_dir(
        out, "analysis", lambda directory: write_documents_report(analysis, directory, top=top)
    )
    if as_json:  # stdout holds only the JSON; the human summary below goes to stderr
        click.echo(json.dumps({**analysis.to_dict(paragraphs=False), "report": str(report)}, default=str))
    say = functools.partial(click.echo, err=as_json)
    n_docs, n_paragraphs = len(analysis.documents), len(analysis.paragraphs)
    say(
        f"{n_docs:,} document{'s' * (n_docs != 1)} → {n_paragraphs:,} paragraph{'s' * (n_paragraphs != 1)} "
        f"(~{words} words) → {report}"
    )
    if len(analysis.skipped):
        listed = ", ".join(
            f"{row.document} ({row.reason})" for row in analysis.skipped.head(5).itertuples(index=False)
        )
        more = f" and {len(analysis.skipped) - 5:,} more" if len(analysis.skipped) > 5 else ""
        say(f"skipped {len(analysis.skipped):,} document(s) without text: {listed}{more} (see skipped.csv)")
    for column in analysis.group_cols:
        table = analysis.group_table(column)
        if len(table) > 1:
            best, worst = table.iloc[0], table.iloc[-1]
            say(
                f"{column}: most positive {best['group']} ({best['share_positive']:.0%} positive paragraphs), "
                f"least {worst['group']} ({worst['share_positive']:.0%})"
            )
    click.echo(f"done in {time.perf_counter() - started:.1f} s", err=True)


def _analyze_with_dask(docs, model_dir, out, workers, scheduler, *, top, as_json, group_cols, **settings):
    """``analyze --engine dask``: DOCS must be a CSV/TSV/Parquet table (file or Parquet directory)."""
    import os

    from sentilab.batch.analyze_dask import analyze_with_dask
    from sentilab.batch.dask_engine import ROW_INDEX
    from sentilab.paths import check_output_dir

    started = time.perf_counter()
    if top is not None:
        raise click.UsageError("--top sets the HTML report, which --engine dask does not write")
    if workers is not None and scheduler is not None:
        raise click.UsageError("--workers sets the size of a local cluster; leave it out with --scheduler")
    path = Path(docs).expanduser()
    if not path.exists() or path.suffix.lower() in PLAIN_TEXT_SUFFIXES:
        raise DataError(
            f"--engine dask analyses a CSV, TSV or Parquet table (a file or a Parquet directory); "
            f"{docs} is {'a plain-text file' if path.exists() else 'not a file or directory here'}",
            hint="use the default engine for a dataset name or a single text document",
        )
    out = out if out is not None else Path("runs") / f"analyze-{_slug(docs)}"
    check_output_dir(out, "analysis")  # before any work
    if not group_cols:
        from sentilab.batch.dask_engine import input_columns
        from sentilab.batch.readers import input_format

        columns = input_columns(path, "parquet" if path.is_dir() else input_format(path))[0].columns
        group_cols = tuple(c for c in DEFAULT_GROUP_COLUMNS if c in columns and c != settings["text_col"])
    result = analyze_with_dask(
        path,
        out,
        model=model_dir,
        group_cols=group_cols,
        workers=workers or os.cpu_count() or 1,
        scheduler=scheduler,
        on_status=lambda line: click.echo(line, err=True),
        **settings,
    )
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "out": str(result.out)}, default=str))
    click.echo(
        f"{result.source}: {result.summary()} on {result.workers} dask worker{'s' * (result.workers != 1)} "
        f"→ {result.out} (paragraphs/ indexed by {ROW_INDEX}, documents.csv, groups.csv)",
        err=as_json,
    )
    click.echo(f"done in {time.perf_counter() - started:.1f} s", err=True)
