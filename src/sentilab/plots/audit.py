"""Audit figures: group polarity gaps with confidence intervals, and behaviour-test failure rates.

Both take the plain data of :mod:`sentilab.audit` — dataclasses or the dicts of ``audit.json`` — so a chart
can be redrawn from a saved audit without the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sentilab.plots import SENTIMENT_COLORS, new_axes

FLAGGED_COLOR = SENTIMENT_COLORS["negative"]
UNFLAGGED_COLOR = "#4c72b0"
CAPABILITY_COLORS = {
    "vocabulary": "#4c72b0",
    "negation": "#dd8452",
    "intensity": "#8172b3",
    "robustness": "#937860",
    "fairness": "#da8bc3",
}


def _get(item: Any, key: str) -> Any:
    return item[key] if isinstance(item, Mapping) else getattr(item, key)


def plot_group_differences(
    comparisons: Sequence[Any], *, confidence: float = 0.95, title: str | None = None, ax=None
):
    """Polarity gap (mean polarity of group a − of group b) per pair and subset, with CI error bars and a zero line.

    ``comparisons`` are the :class:`~sentilab.audit.GroupComparison` rows of one dimension. A row whose
    interval excludes 0 is drawn in red and marked with an asterisk. With a single pair the pair goes in
    the title and rows are labelled by subset; with several, each row names its pair.
    """
    rows = list(comparisons)
    if not rows:
        raise ValueError("no comparisons to plot")
    pairs = list(dict.fromkeys(f"{_get(row, 'group_a')} − {_get(row, 'group_b')}" for row in rows))
    figure, ax = new_axes(ax, figsize=(7.5, 1.2 + 0.38 * len(rows)))
    labels, y = [], []
    for index, row in enumerate(rows):
        pair = f"{_get(row, 'group_a')} − {_get(row, 'group_b')}"
        subset = _get(row, "subset")
        if len(pairs) == 1:
            labels.append(subset)
        else:
            labels.append(pair if subset == "all" else f"{pair} · {subset}")
        y.append(len(rows) - 1 - index)  # first row on top
        difference, low, high = _get(row, "polarity_gap"), _get(row, "ci_low"), _get(row, "ci_high")
        flagged = bool(_get(row, "significant"))
        color = FLAGGED_COLOR if flagged else UNFLAGGED_COLOR
        if low is not None and high is not None:
            ax.errorbar(
                difference,
                y[-1],
                xerr=[[max(difference - low, 0.0)], [max(high - difference, 0.0)]],
                fmt="o",
                color=color,
                ecolor=color,
                capsize=3,
                markersize=5,
            )
        else:
            ax.plot(difference, y[-1], "o", color=color)
        if flagged:
            ax.annotate(
                "*", (difference, y[-1]), textcoords="offset points", xytext=(0, 4), ha="center", color=color
            )
    ax.axvline(0.0, color="#222222", linewidth=1)
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    values = [_get(row, key) for row in rows for key in ("ci_low", "ci_high", "polarity_gap")]
    span = max([abs(v) for v in values if v is not None] + [1e-3])
    ax.set_xlim(-1.15 * span, 1.15 * span)
    ax.set_xlabel(f"polarity gap (group a − group b), {100 * confidence:g} % CI")
    dimension = _get(rows[0], "dimension")
    heading = f"{dimension}: {pairs[0]}" if len(pairs) == 1 else f"{dimension}: pairs of groups"
    ax.set_title(title or f"{heading}\n(* = the interval excludes 0)", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return figure


def plot_behaviour_failures(tests: Sequence[Any], *, title: str | None = None, ax=None):
    """Failure rate per behaviour test (a horizontal bar each), annotated with failed/total cases."""
    tests = list(tests)
    if not tests:
        raise ValueError("no behaviour tests to plot")
    figure, ax = new_axes(ax, figsize=(8.0, 0.9 + 0.36 * len(tests)))
    y = list(range(len(tests) - 1, -1, -1))
    rates = [100.0 * _get(t, "failure_rate") for t in tests]
    colors = [CAPABILITY_COLORS.get(_get(t, "capability"), UNFLAGGED_COLOR) for t in tests]
    ax.barh(y, rates, color=colors)
    for position, rate, test in zip(y, rates, tests):
        ax.annotate(
            f"{_get(test, 'n_failed')}/{_get(test, 'n_cases')}",
            (rate, position),
            textcoords="offset points",
            xytext=(4, 0),
            va="center",
            fontsize=8,
        )
    ax.set_yticks(y, [f"{_get(t, 'name')} [{_get(t, 'test_type')}]" for t in tests])
    ax.set_xlim(0, 110)
    ax.set_xlabel("failure rate (%)")
    ax.set_title(title or "behaviour tests: failure rate")
    from matplotlib.patches import Patch

    legend: dict[str, str] = {}
    for test, color in zip(tests, colors):
        legend.setdefault(_get(test, "capability"), color)
    handles = [Patch(color=color, label=capability) for capability, color in legend.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return figure


__all__ = ["plot_behaviour_failures", "plot_group_differences"]
