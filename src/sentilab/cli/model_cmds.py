"""Model commands: ``train``, ``evaluate``, ``benchmark``, ``explain``, ``top-words`` and ``predict``.

A thin layer: the work happens in :mod:`sentilab.models`, :mod:`sentilab.evaluate`, :mod:`sentilab.explain`
and :mod:`sentilab.defaults`; this module parses options, prints tables and writes files.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import warnings
from pathlib import Path

import click

from sentilab.cli.score import batch_options, check_batch_options, predict_file
from sentilab.errors import SentilabError
from sentilab.records import count_empty

SPLITS = ("train", "validation", "test")


# --------------------------------------------------------------------------- shared helpers
def parse_settings(values) -> dict[str, str]:
    """``("C=3", "features=nbsvm")`` -> ``{"C": "3", "features": "nbsvm"}``; refuses anything without '='."""
    settings: dict[str, str] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep or not key.strip():
            raise SentilabError(
                f"--set {value!r} is not KEY=VALUE", hint="for example: --set C=3 --set min_df=5"
            )
        settings[key.strip()] = raw
    return settings


def split_data_spec(spec: str) -> tuple[str, str | None]:
    """``"vader-tweets:test"`` -> ``("vader-tweets", "test")``; a path with a colon stays whole."""
    name, sep, split = spec.rpartition(":")
    if sep and split in (*SPLITS, "all") and name:
        return name, None if split == "all" else split
    return spec, None


def is_registry_name(name: str) -> bool:
    from sentilab.data.registry import DATASETS

    return name in DATASETS


def load_model_arg(model: str):
    """A model directory, or a named model (``default``, ``best``: :mod:`sentilab.named_models`)."""
    from sentilab.named_models import resolve_model

    return resolve_model(model, on_status=lambda line: click.echo(line, err=True))[0]


def parse_labels(value: str | None) -> list[str] | None:
    """``"negative, positive"`` -> ``["negative", "positive"]``; None when the option was not given."""
    if value is None:
        return None
    labels = [label.strip() for label in value.split(",") if label.strip()]
    if len(labels) < 2:
        raise click.BadParameter(
            f"{value!r}: name at least two labels, e.g. negative,positive", param_hint="--labels"
        )
    return labels


def echo_table(rows: list[tuple], header: tuple, *, right: set[int] = frozenset()) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))
        ]
        click.echo("  ".join(cells).rstrip())


def shorten(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@contextlib.contextmanager
def data_notes():
    """Show the data layer's warnings (e.g. undecodable bytes) once each, as one-line notes on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen = set()
            for warning in caught:
                message = str(warning.message)
                if message not in seen and not issubclass(warning.category, DeprecationWarning):
                    seen.add(message)
                    click.echo(f"note: {message}", err=True)


def neutral_band_option(function):
    """--neutral-band: where labels are made from ratings (the VADER sets' mean rating on -4..+4)."""
    return click.option(
        "--neutral-band",
        type=click.FloatRange(min=0),
        default=0.5,
        show_default=True,
        help="For datasets labelled by a rating (the vader-* sets, -4..+4): |rating| <= band is neutral.",
    )(function)


def data_options(function):
    function = click.option(
        "--label-col", help="Label column of a local file (default: label, sentiment, ...)."
    )(function)
    function = click.option(
        "--text-col", help="Text column of a local file (default: text, review, tweet, ...)."
    )(function)
    return function


# --------------------------------------------------------------------------- train
def describe_params(model_name: str) -> list[str]:
    from sentilab.models import get_model_class

    cls = get_model_class(model_name)
    types = cls.param_types()
    lines = [f"{model_name} settings (--set KEY=VALUE), their defaults, and what they do:"]
    width = max([4, *(len(k) for k in types)])
    defaults = {k: _show_default(d) for k, (_, d) in types.items()}
    dwidth = min(12, max([7, *(len(v) for v in defaults.values())]))
    for key in types:
        help_text = cls.param_help.get(key, "")
        if len(defaults[key]) > dwidth:  # a long default gets its own line; the help goes under it
            lines.append(f"  {key:<{width}}  {defaults[key]}")
            lines.append(f"  {'':<{width}}  {'':<{dwidth}}  {help_text}".rstrip())
        else:
            lines.append(f"  {key:<{width}}  {defaults[key]:<{dwidth}}  {help_text}".rstrip())
    lines.append("")
    lines.append(f"example: sentilab train --data crowdflower-tweets --model {model_name} --set KEY=VALUE")
    if not types:
        lines.append("  (none: this model has nothing to set)")
    return lines


def _show_default(value) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value)) if value else "(empty)"
    return "none" if value is None else str(value)


@click.command()
@click.option(
    "--data",
    "data_spec",
    metavar="NAME[,NAME...]|PATH",
    help="Registry dataset(s) (see `sentilab data list`), comma-separated, or a local file; `labelled` is "
    "every labelled registry dataset. A value that is an existing file is that file, commas and all.",
)
@click.option("--model", "model_name", default="bow", show_default=True, help="Model from the registry.")
@click.option(
    "--set", "settings", multiple=True, metavar="KEY=VALUE", help="A model setting; repeat for more."
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Directory for the trained model [default: runs/MODEL]."
)
@data_options
@click.option(
    "--sample",
    type=int,
    help="Train on a stratified sample of N texts (validation: N/4, at least 200); with several "
    "datasets, N from each.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed for sampling and model randomness."
)
@click.option("--binary", is_flag=True, help="Drop neutral rows (negative/positive only).")
@click.option(
    "--labels",
    "expected_labels",
    metavar="A,B,...",
    help="The labels the data should hold (e.g. negative,positive); rows with any other label are an "
    "error. Without it, labels that mix numbers and names, or a rare one that looks like a typo, are.",
)
@neutral_band_option
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON summary on stdout (progress stays on stderr)."
)
@click.option("--help-params", is_flag=True, help="List the model's settings with defaults and exit.")
def train(
    data_spec,
    model_name,
    settings,
    out,
    text_col,
    label_col,
    sample,
    seed,
    binary,
    expected_labels,
    neutral_band,
    as_json,
    help_params,
):
    """Train a model on one or several datasets and save it (with its validation scores) to a directory.

    \b
    The data's train split trains the model and its validation split scores it; registry datasets have
    fixed splits (80/10/10, or the source's own test set), local files are split the same way.
    With several datasets (--data a,b or --data labelled: the eight labelled registry sets) their
    train splits are merged, and the model is scored on each validation split and on all of them
    pooled (metrics validation and validation:NAME in meta.json).
    Examples:
      sentilab train --data crowdflower-tweets --model bow --out runs/bow
      sentilab train --data crowdflower-tweets,vader-tweets,uci-yelp --model bow --out runs/mix
      sentilab train --data labelled --model bow --set negation=true --out runs/all
      sentilab train --data crowdflower-tweets --model bow --set features=nbsvm --set C=3 --out runs/nb
      sentilab train --data reviews.csv --text-col review --label-col stars --out runs/mine
      sentilab train --model bow --help-params        # every setting, its default and what it does
    """
    from sentilab.paths import check_output_dir
    from sentilab.training import build_model, load_training_data, train_and_save

    if help_params:
        click.echo("\n".join(describe_params(model_name)))
        return
    if not data_spec:
        raise click.UsageError("--data is required (a dataset name or a file); see `sentilab data list`")
    overrides = parse_settings(settings)
    model = build_model(model_name, overrides, random_state=seed)  # unknown keys: an error before any loading
    if "verbose" in model.get_params() and "verbose" not in overrides:
        overrides["verbose"] = "true"  # progress on the command line; a library fit stays quiet
    out = check_output_dir(out or Path("runs") / model_name, "model")  # before any work, never after

    say = functools.partial(click.echo, err=as_json)  # with --json, stdout holds only the JSON
    options = {
        "text_col": text_col,
        "label_col": label_col,
        "binary": binary,
        "neutral_band": neutral_band,
        "check_labels": True,
        "labels": parse_labels(expected_labels),
    }
    with data_notes():
        data = load_training_data(
            training_sources(data_spec),
            sample=sample,
            validation_sample=None if sample is None else max(200, sample // 4),
            seed=seed,
            **options,
        )
    describe_training_data(data, say)
    shown = ", ".join(f"{k}={v}" for k, v in overrides.items())
    say(f"model: {model_name}" + (f" ({shown})" if shown else " (defaults)"))
    click.echo(f"training on {len(data.train):,} texts (seed {seed}) ...", err=True)
    run = train_and_save(
        model_name, data.train, validation=data.validation, settings=overrides, random_state=seed, out=out
    )
    say(f"trained in {run.seconds:.1f} s")
    for line in validation_lines(run):
        say(line)
    say(f"saved → {out}")
    if as_json:
        summary = {
            "model_dir": str(out),
            "model": model_name,
            "settings": run.meta["settings"],
            "train_rows": len(run.train),
            "validation_rows": len(run.validation) if run.validation else 0,
            "dropped": run.train.dropped,
            "seconds": round(run.seconds, 3),
            "validation": run.metrics.get("validation"),
            **{key: value for key, value in run.metrics.items() if key.startswith("validation:")},
        }
        if "sources" in run.meta["data"]:
            summary["sources"] = run.meta["data"]["sources"]
        click.echo(json.dumps(summary, indent=1, default=str))


def training_sources(data_spec: str) -> list[str]:
    """The sources ``--data`` names (a file that exists wins over a comma list), each without a ``:split``
    suffix (train always trains on the train split and scores the validation split)."""
    from sentilab.training import parse_data_names

    return [split_data_spec(name)[0] for name in parse_data_names(data_spec)]


def _counts(labels: dict[str, int]) -> str:
    return " / ".join(f"{label} {count:,}" for label, count in labels.items())


def describe_training_data(data, say) -> None:
    """One line per source (rows, classes, what loading dropped), and the merged total for several."""
    for name, report in data.reports.items():
        held = data.validation.get(name)
        say(
            f"data: {name} → {report.rows:,} train / {len(held or ()):,} validation texts "
            f"({_counts(report.class_counts)})"
        )
        for line in report.dropped_lines():
            say(f"  {line}")
    if len(data.reports) > 1:
        pooled = data.pooled_validation()
        say(
            f"data: {len(data.reports)} datasets → {len(data.train):,} train / {len(pooled or ()):,} "
            f"validation texts ({_counts(data.train.class_counts())})"
        )


def validation_lines(run) -> list[str]:
    """The validation scores: one line (one source), or the pooled line and one per source."""
    result = run.evaluation
    if result is None:
        return ["validation: none (no validation rows)"]
    scores = (
        f"accuracy {result.accuracy:.3f}  macro-F1 {result.macro_f1:.3f}  "
        f"macro-recall {result.macro_recall:.3f}  ECE {result.ece:.3f}"
    )
    if not run.source_evaluations:
        return [f"validation: {scores}"]
    width = max(len(name) for name in run.source_evaluations)
    lines = [f"validation (all {len(run.source_evaluations)} pooled): {scores}"]
    for name, each in run.source_evaluations.items():
        lines.append(
            f"  {name:<{width}}  accuracy {each.accuracy:.3f}  macro-F1 {each.macro_f1:.3f}  "
            f"({each.n:,} texts)"
        )
    return lines


# --------------------------------------------------------------------------- evaluate
@click.command("evaluate")
@click.argument("model_dir", metavar="MODEL_DIR")
@click.option(
    "--data",
    "data_spec",
    required=True,
    metavar="NAME[:SPLIT]|PATH",
    help="Dataset and split (default split: test for registry data, all rows for files).",
)
@data_options
@click.option("--sample", type=int, help="Evaluate on a stratified sample of N texts.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write metrics.json, confusion.png, reliability.png, report.html.",
)
@neutral_band_option
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def evaluate_command(model_dir, data_spec, text_col, label_col, sample, seed, out, neutral_band, as_json):
    """Score a saved model (or a named one: `default`, `best`) on labelled data.

    \b
    Accuracy, macro-F1, macro-recall, per-class precision/recall/F1, the confusion matrix, ROC-AUC
    (two classes) and calibration (expected calibration error, reliability diagram). A three-class
    model on negative/positive data decides between those two only; the output says so.
    Examples:
      sentilab evaluate runs/bow --data vader-tweets            # the test split
      sentilab evaluate runs/bow --data uci-yelp:all --out runs/bow-on-yelp
      sentilab evaluate best --data vader-nyt        # after `sentilab models build best`
    A folder named like a named model is reached as ./best.
    """
    from sentilab.data import load_dataset
    from sentilab.evaluate import evaluate
    from sentilab.paths import check_output_dir, write_output_dir

    if out is not None:
        check_output_dir(out, "evaluation")  # before loading or scoring anything
    model = load_model_arg(model_dir)
    name, split = split_data_spec(data_spec)
    if split is None and is_registry_name(name) and not data_spec.endswith(":all"):
        split = "test"
    with data_notes():
        ds = load_dataset(
            name,
            split=split,
            sample=sample,
            seed=seed,
            text_col=text_col,
            label_col=label_col,
            neutral_band=neutral_band,
        )
    if not ds.labels:
        raise SentilabError(
            f"{name} has no labels to evaluate against", hint="name the label column with --label-col"
        )
    for line in ds.report.dropped_lines():
        click.echo(f"{ds.name}: {line}", err=as_json)
    where = f"{ds.name}" + (f":{split}" if split else "")
    result = evaluate(model, ds.texts, ds.labels, data=where)
    result.model = f"{model_dir} ({model.name})"
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=1))
    else:
        click.echo(str(result))
    if out is not None:
        from sentilab.reports.evaluation import write_evaluation_report

        paths = write_output_dir(
            out, "evaluation", lambda directory: write_evaluation_report(result, directory)
        )
        click.echo(f"wrote {', '.join(str(p) for p in paths.values())}", err=as_json)


# --------------------------------------------------------------------------- benchmark
@click.command()
@click.option("--models", "model_names", required=True, help="Comma-separated model names, e.g. bow,vader.")
@click.option(
    "--data", "data_names", required=True, help="Comma-separated datasets: trained on each, tested on each."
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="[MODEL.]KEY=VALUE",
    help="A setting for every model, or for one with MODEL. in front (bow.C=3).",
)
@click.option("--sample", type=int, help="Cap each training set at N texts (stratified).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/benchmark"), show_default=True)
@neutral_band_option
@click.option("--json", "as_json", is_flag=True, help="Print each model's matrix as one JSON line on stdout.")
def benchmark(model_names, data_names, settings, sample, seed, out, neutral_band, as_json):
    """Cross-domain matrix: each model trained on every dataset (rows), tested on every one (columns).

    \b
    Does a model trained on tweets work on reviews? The diagonal is the usual in-domain score.
    Writes MODEL_cross_domain.csv/.json/.png per model and benchmark.json.
    Example:
      sentilab benchmark --models bow,vader --data crowdflower-tweets,uci-yelp,uci-imdb
    """
    from sentilab.data import load_dataset
    from sentilab.models import MODELS
    from sentilab.transfer import cross_domain

    models = [m.strip() for m in model_names.split(",") if m.strip()]
    datasets = [d.strip() for d in data_names.split(",") if d.strip()]
    if not models or not datasets:
        raise click.UsageError("--models and --data each need at least one name")
    from sentilab.errors import unknown_choice

    for name in models:
        if name not in MODELS:
            raise unknown_choice("model", name, MODELS)
    per_model: dict[str, dict[str, str]] = {m: {} for m in models}
    for key, value in parse_settings(settings).items():
        target, dot, bare = key.partition(".")
        if dot and target in per_model:
            per_model[target][bare] = value
        elif dot:
            raise SentilabError(f"--set {key}=...: {target!r} is not one of the models ({', '.join(models)})")
        else:
            for model_settings in per_model.values():
                model_settings[key] = value
    from sentilab.paths import claim_output_dir
    from sentilab.reports.evaluation import write_benchmark_summary, write_cross_domain_report

    out = claim_output_dir(out, "benchmark")  # each model's files appear as soon as it is done
    written = []
    for name in models:
        with data_notes():
            result = cross_domain(
                name,
                datasets,
                params=per_model[name],
                sample=sample,
                seed=seed,
                load=functools.partial(load_dataset, neutral_band=neutral_band),
                on_step=lambda line: click.echo(line, err=True),
            )
        if as_json:
            click.echo(json.dumps(result.to_dict()))
        else:
            click.echo("\n".join(result.lines("accuracy")))
            click.echo("")
        written.append((result, write_cross_domain_report(result, out)))
    write_benchmark_summary(written, out)
    click.echo(f"wrote {out}/benchmark.json and one CSV/JSON/PNG per model", err=as_json)


# --------------------------------------------------------------------------- explain / top-words
@click.command()
@click.argument("model_dir", metavar="MODEL")
@click.argument("text")
@click.option("--target", help="Explain this label (default: the predicted one).")
@click.option("--top", type=int, help="Show only the N tokens with the largest contributions.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def explain(model_dir, text, target, top, as_json):
    """Which words pushed MODEL (a directory, or `default` / `best`) to its prediction for TEXT.

    \b
    Linear models (bow) are explained exactly: token contributions plus the intercept add up to the
    decision value. Other models are explained by occlusion (deleting each word in turn).
    Example:
      sentilab explain runs/bow "not bad at all, I loved it"
    """
    from sentilab.explain import explain as explain_text

    model = load_model_arg(model_dir)
    result = explain_text(model, text, target=target)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=1, ensure_ascii=False))
    else:
        click.echo("\n".join(result.lines(top=top)))


@click.command("top-words")
@click.argument("model_dir", metavar="MODEL")
@click.option("-n", "--n", "count", type=int, default=15, show_default=True, help="Words per class.")
@click.option(
    "--min-df",
    type=int,
    default=5,
    show_default=True,
    help="Only n-grams found in at least this many training documents.",
)
@click.option("--target", help="Only this label.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def top_words(model_dir, count, min_df, target, as_json):
    """The n-grams a linear MODEL (a bow directory, or `default`) weighs most toward each label.

    Rare n-grams (one-off usernames, typos) are left out with --min-df. Other models (`best` is the
    fine-tuned encoder) have no per-n-gram weights: `sentilab explain` works for every model.
    """
    from sentilab.explain import top_words as compute

    model = load_model_arg(model_dir)
    result = compute(model, n=count, min_df=min_df, target=target)
    if as_json:
        click.echo(json.dumps(result, indent=1, ensure_ascii=False))
        return
    for index, (title, rows) in enumerate(result.items()):
        if index:
            click.echo("")
        click.echo(f"toward {title}")
        echo_table(
            [("  " + r["feature"], f"{r['weight']:+.3f}", f"{r['doc_freq']:,}") for r in rows],
            ("  n-gram", "weight", "docs"),
            right={1, 2},
        )


# --------------------------------------------------------------------------- predict
@click.command()
@click.argument("texts", nargs=-1)
@click.option(
    "--model",
    "model_dir",
    metavar="NAME|DIR",
    help="A named model (default, best) or a trained model directory [default: sentilab's default model].",
)
@click.option(
    "--file",
    "file_path",
    type=click.Path(path_type=Path),
    help="Predict every row of a CSV/TSV/JSONL/Parquet file (--engine dask: or a directory of Parquet files).",
)
@click.option("--text-col", help="The text column of --file (default: text, review, tweet, ...).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines: {text, label, score, scores} per text.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="With --file: write the file's rows plus sentilab_label, sentilab_score, sentilab_polarity and one "
    "sentilab_score_LABEL column each (.csv, .tsv, .jsonl or .parquet), streaming.",
)
@batch_options
def predict(texts, model_dir, file_path, text_col, as_json, out, **batch):
    """Sentiment of each TEXT (use - to read lines from stdin), or of every row of --file.

    \b
    Examples:
      sentilab predict "I can't stand this phone anymore" "best concert of my life!!"
      sentilab predict --model runs/bow --file tweets.csv --text-col text --json
      cat lines.txt | sentilab predict -
      sentilab predict --model best "not bad at all"     # after `sentilab models build best`
    Without --model, sentilab's default model is used (trained on first use, then cached). A folder
    named like a named model (default, best) is reached as ./best.

    \b
    Large files (--out): read, scored and written in chunks, so memory stays flat; every input row and
    column is kept, in order:
      sentilab predict --file tweets.csv --out scored.parquet --workers 2
      sentilab predict --file tweets.csv --out scored.parquet --workers 2 --resume   # after Ctrl-C
      sentilab predict --file big.parquet --out scored.parquet --engine dask --scheduler tcp://HOST:8786
    """
    texts = list(texts)
    if texts == ["-"]:
        texts = [line.rstrip("\n") for line in sys.stdin]
    if file_path is None and out is not None:
        raise click.UsageError("--out needs --file (it writes the file's rows with predictions)")
    if file_path is not None and texts:
        raise click.UsageError("give texts or --file, not both")
    check_batch_options(out, as_json=as_json, **batch)
    if out is not None:  # streaming, resumable, on all cores: sentilab.batch
        with data_notes():
            return predict_file(file_path, out, model_dir=model_dir, text_col=text_col, **batch)
    if file_path is not None:
        with data_notes():
            _frame, texts = _read_texts_file(file_path, text_col)
    elif text_col is not None:
        raise click.UsageError("--text-col needs --file")
    if not texts:
        raise click.UsageError('nothing to predict: give texts ("I love it"), - for stdin, or --file PATH')
    model = load_model_arg(model_dir) if model_dir else load_model_arg("default")
    # A missing cell is an empty text: no label, with the reason, counted (sentilab.records).
    records = model.predict_records(["" if text is None else text for text in texts])
    if as_json:
        for text, record in zip(texts, records):
            click.echo(json.dumps({"text": text, **record}, ensure_ascii=False))
    else:
        rows = [
            (
                record["label"] or "-",
                "-" if record["score"] is None else f"{record['score']:.2f}",
                "-" if record["polarity"] is None else f"{record['polarity']:+.2f}",
                shorten(text or "") or "(empty text)",
            )
            for text, record in zip(texts, records)
        ]
        echo_table(rows, ("label", "score", "polarity", "text"), right={1, 2})
    empty = count_empty(records)
    if empty:
        click.echo(f"{empty:,} of {len(texts):,} texts were empty and got no label", err=True)


def _read_texts_file(path: Path, text_col: str | None):
    """(frame, texts) of a local table; missing texts stay None so rows keep their order."""
    import pandas as pd

    from sentilab.data.formats import TEXT_COLUMNS, no_text_column, pick_column, read_table, warn_undecodable

    if path.is_dir():
        raise SentilabError(
            f"{path} is a directory", hint="give a file (--engine dask reads a Parquet directory)"
        )
    if not path.is_file():
        raise SentilabError(f"file {path} does not exist")
    frame, undecodable = read_table(path)
    warn_undecodable(path.name, undecodable)  # the note train and evaluate print, in the same words
    column = pick_column(frame, text_col, "text", TEXT_COLUMNS, path.name)
    if column is None:
        raise no_text_column(frame, path.name)
    values = frame[column]
    # An empty cell has no text to score: it gets no prediction (and the row keeps its place).
    texts = [
        None if v is None or (isinstance(v, float) and pd.isna(v)) or not str(v).strip() else str(v)
        for v in values.tolist()
    ]
    return frame, texts
