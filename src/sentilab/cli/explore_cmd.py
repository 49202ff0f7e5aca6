"""``sentilab explore``: corpus statistics, figures and an HTML report."""

from __future__ import annotations

import re
from pathlib import Path

import click

from sentilab.text import list_tokenizers


@click.command("explore")
@click.argument("dataset")
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory for stats.json, the PNG figures and report.html  [default: runs/explore-DATASET]",
)
@click.option(
    "--text-col", default=None, help="Text column of a local file (default: text, review, tweet, ...)."
)
@click.option(
    "--label-col", default=None, help="Label column of a local file (default: label, sentiment, ...)."
)
@click.option(
    "--sample", type=click.IntRange(min=1), default=None, help="Explore a stratified sample of N rows."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option(
    "--tokenizer",
    default="tweet",
    show_default=True,
    metavar="NAME",
    help=f"One of: {', '.join(list_tokenizers())}.",
)
@click.option(
    "--normalize",
    "normalizer",
    default="default",
    show_default=True,
    metavar="STEPS",
    help="'default' (html,lowercase,placeholders,squeeze,spaces), 'none', or comma-separated steps "
    "(html, lowercase, placeholders, squeeze, stopwords, punctuation, spaces).",
)
@click.option(
    "--top-n",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Top tokens and words per class.",
)
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Occurrences a word needs before it is ranked by log-odds.",
)
def explore_command(dataset, out, text_col, label_col, sample, seed, tokenizer, normalizer, top_n, min_count):
    """Statistics of DATASET (a registry name or a local CSV/TSV/JSONL/Parquet file) and a report.

    \b
    Measures the vocabulary, the top tokens, how few token types cover 80 % of the text, Zipf's
    rank-frequency law (with its fitted exponent), lengths per class, the label distribution, and
    which words go with which sentiment (weighted log-odds with an informative Dirichlet prior,
    Monroe et al. 2008). Writes stats.json, PNG figures and a self-contained report.html.

    \b
    Examples:
      sentilab explore crowdflower-tweets --out runs/explore
      sentilab explore reviews.csv --text-col review --label-col stars --sample 20000
      sentilab explore uci-yelp --tokenizer basic_english --normalize html,lowercase,stopwords
    """
    from sentilab.data import load_dataset
    from sentilab.explore import _as_normalizer, explore
    from sentilab.paths import check_output_dir, write_output_dir
    from sentilab.reports.exploration import write_exploration_report
    from sentilab.text import get_tokenizer

    get_tokenizer(tokenizer)  # a typo fails now, not after minutes of loading
    _as_normalizer(normalizer)

    if out is None:
        stem = Path(dataset).stem if Path(dataset).suffix else dataset
        out = Path("runs") / f"explore-{re.sub(r'[^A-Za-z0-9_.-]+', '-', stem)}"
    check_output_dir(out, "exploration")  # before minutes of loading, not after

    ds = load_dataset(dataset, sample=sample, seed=seed, text_col=text_col, label_col=label_col)
    click.echo(str(ds.report), err=True)
    stats = explore(
        ds.texts,
        ds.labels or None,
        tokenizer=tokenizer,
        normalizer=normalizer,
        top_n=top_n,
        min_count=min_count,
    )
    stats.settings["source"] = ds.name
    if sample is not None:
        stats.settings.update(sample=sample, seed=seed)
    report = write_output_dir(
        out,
        "exploration",
        lambda directory: write_exploration_report(
            stats, directory, title=f"Exploring {ds.name}", load_lines=ds.report.lines()
        ),
    )
    for line in stats.summary_lines():
        click.echo(line)
    click.echo(f"report: {report}")
