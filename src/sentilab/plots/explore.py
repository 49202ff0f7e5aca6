"""Figures for :mod:`sentilab.explore`: each takes the plain data it returns, an optional ``ax``, and returns
the matplotlib Figure.

>>> from sentilab.explore import explore
>>> stats = explore(["good fun", "bad movie", "good", "bad"], ["positive", "negative"] * 2, min_count=1)
>>> figures = exploration_figures(stats)      # {"zipf": Figure, "lengths": ..., "labels": ..., "words": ...}
>>> sorted(figures)
['labels', 'lengths', 'words', 'zipf']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sentilab.plots import color_for, new_axes, pyplot

if TYPE_CHECKING:  # plain data in, Figure out: the figures need the result types only for annotations
    from sentilab.explore import Exploration, LengthHistogram, LengthStats, WordScore, ZipfFit


def plot_zipf(zipf: ZipfFit, ax=None, *, title: str = "Rank–frequency (Zipf)"):
    """The rank–frequency curve on log–log axes with the fitted power law over its fit range."""
    figure, ax = new_axes(ax)
    ax.loglog(zipf.ranks, zipf.frequencies, ".", color="#4c72b0", markersize=4, label="observed")
    if zipf.exponent is not None:
        ranks = np.geomspace(zipf.fit_min_rank, max(zipf.fit_max_rank, zipf.fit_min_rank + 1), 50)
        fitted = 10**zipf.intercept * ranks ** (-zipf.exponent)  # f(r) = C r^(-s)
        ax.loglog(
            ranks,
            fitted,
            "-",
            color="#dd8452",
            linewidth=2,
            label=f"fit: f ∝ r^(−{zipf.exponent:.2f}), R² {zipf.r_squared:.3f}\n"
            f"(ranks {zipf.fit_min_rank:,}–{zipf.fit_max_rank:,}, frequency ≥ {zipf.min_count})",
        )
    ax.set_xlabel("rank of the token type")
    ax.set_ylabel("occurrences")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return figure


def plot_length_histogram(
    histogram: LengthHistogram,
    stats: dict[str, LengthStats] | None = None,
    ax=None,
    *,
    title: str = "Length in tokens",
):
    """One outline histogram per class, as the share of that class's texts (so class sizes do not matter)."""
    figure, ax = new_axes(ax)
    edges = np.asarray(histogram.edges)
    overflow = 0
    for index, (label, counts) in enumerate(histogram.counts.items()):
        counts = np.asarray(counts, dtype=float)
        extra = histogram.overflow.get(label, 0)
        overflow += extra
        total = counts.sum() + extra
        share = counts / total if total else counts
        name = label if not stats or label not in stats else f"{label} (median {stats[label].median:g})"
        ax.stairs(share, edges, color=color_for(label, index), linewidth=1.6, label=name)
    xlabel = "tokens per text"
    if overflow:
        xlabel += f" ({overflow:,} longer texts, ≥ {edges[-1]:,} tokens, not shown)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share of texts")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_title(title)
    if len(histogram.counts) > 1 or stats:
        ax.legend(fontsize=8)
    return figure


def plot_label_distribution(labels: dict[str, int], ax=None, *, title: str = "Labels"):
    """Texts per label, each bar annotated with its count and share."""
    figure, ax = new_axes(ax, figsize=(5.0, 3.4))
    names = list(labels)
    counts = [labels[name] for name in names]
    total = sum(counts) or 1
    bars = ax.bar(names, counts, color=[color_for(name, i) for i, name in enumerate(names)])
    for bar, count in zip(bars, counts):
        ax.annotate(
            f"{count:,}\n{count / total:.1%}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_ylabel("texts")
    ax.set_ylim(0, max(counts, default=1) * 1.25)
    ax.set_title(title)
    return figure


def plot_top_words(words_by_class: dict[str, list[WordScore]], *, n: int = 15, axes=None):
    """For each class, its top ``n`` words by weighted log-odds z-score (class against the rest)."""
    classes = list(words_by_class)
    if axes is None:
        plt = pyplot()
        figure, axes = plt.subplots(
            1,
            max(1, len(classes)),
            figsize=(3.6 * max(1, len(classes)), 0.28 * n + 1.4),
            layout="constrained",
            squeeze=False,
        )
        axes = axes[0]
    else:
        axes = np.atleast_1d(axes)
        figure = axes[0].figure
    for index, (ax, label) in enumerate(zip(axes, classes)):
        words = words_by_class[label][:n][::-1]  # best at the top
        ax.barh([w.token for w in words], [w.z for w in words], color=color_for(label, index))
        ax.set_title(label)
        ax.set_xlabel("z-score (log-odds vs rest)")
        ax.tick_params(axis="y", labelsize=8)
        if not words:
            ax.text(
                0.5, 0.5, "no word above\nthe minimum count", ha="center", va="center", transform=ax.transAxes
            )
    figure.suptitle("Words that go with each class")
    return figure


def exploration_figures(exploration: Exploration, *, words: int = 15) -> dict[str, object]:
    """Every figure that applies: ``zipf`` and ``lengths`` always; ``labels`` and ``words`` when labelled."""
    figures = {
        "zipf": plot_zipf(exploration.zipf),
        "lengths": plot_length_histogram(exploration.length_histogram, exploration.lengths_by_class or None),
    }
    if exploration.labels:
        figures["labels"] = plot_label_distribution(exploration.labels)
    if exploration.words_by_class:
        figures["words"] = plot_top_words(exploration.words_by_class, n=words)
    return figures
