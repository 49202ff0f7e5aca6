"""Exploratory statistics of a labelled text corpus, returned as plain, JSON-serialisable data.

>>> stats = explore(["good fun", "bad movie"], ["positive", "negative"], min_count=1)
>>> stats.vocabulary_size, stats.tokens, stats.labels
(4, 4, {'negative': 1, 'positive': 1})

One pass over the texts normalizes and tokenizes each text once and keeps only per-class token counters and
an array of lengths (never the token lists), so 1.6M tweets fit in memory; everything after that pass is
Counter and NumPy work over the vocabulary.

What is measured
----------------
- vocabulary size, top-N tokens, and the number (and share) of token types that together cover 80 % of all
  token occurrences;
- Zipf's law ``f(r) ≈ C · r^(-s)``: ``s`` is fitted by least squares of ``log10 f`` on ``log10 r`` over
  log-spaced ranks from 1 to the last rank whose frequency is at least ``zipf_min_count`` (5). Log spacing
  gives each decade of ranks equal weight (otherwise the long tail dominates), and the frequency floor drops
  the staircase of words seen once or twice, whose ranks among equal counts are arbitrary;
- lengths in tokens (min, max, mean, median, 99th percentile) overall and per class, with a histogram;
- the label distribution;
- which words go with which class: weighted log-odds ratios with an informative Dirichlet prior
  (Monroe, Colaresi & Quinn 2008, "Fightin' Words"), each class against all the others (see
  :func:`log_odds_dirichlet`).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from sentilab.errors import DataError
from sentilab.progress import show_progress
from sentilab.text.normalize import Normalizer
from sentilab.text.tokenize import get_tokenizer

#: Label order in tables and figures: the sentiment scale first, any other label after, alphabetically.
LABEL_ORDER = ("negative", "neutral", "positive")


# ============================================================================ plain-data results
@dataclass
class TokenCount:
    token: str
    count: int
    share: float  # of all token occurrences


@dataclass
class Coverage:
    target: float  # e.g. 0.8: the share of token occurrences to cover
    types_needed: int  # the fewest (most frequent) types whose occurrences reach ``target``
    share_of_types: float  # types_needed / vocabulary size


@dataclass
class ZipfFit:
    """``log10 f = intercept - exponent * log10 r`` fitted on ranks ``fit_min_rank..fit_max_rank``."""

    exponent: float | None  # None when fewer than 3 distinct ranks reach the frequency floor
    intercept: float | None
    r_squared: float | None
    fit_min_rank: int
    fit_max_rank: int
    fit_points: int  # log-spaced ranks used in the least-squares fit
    min_count: int  # the frequency floor that sets fit_max_rank
    ranks: list[int]  # rank-frequency curve, log-spaced, for plotting
    frequencies: list[int]


@dataclass
class LengthStats:
    """Text lengths in tokens."""

    texts: int
    min: int
    max: int
    mean: float
    median: float
    p99: float


@dataclass
class LengthHistogram:
    edges: list[int]  # bin i holds lengths in [edges[i], edges[i+1])
    counts: dict[str, list[int]]  # per class ("all" when the texts have no labels)
    overflow: dict[str, int]  # per class: texts of edges[-1] tokens or more (not in any bin)


@dataclass
class WordScore:
    token: str
    count: int  # occurrences in this class
    total: int  # occurrences in the whole corpus
    delta: float  # log-odds ratio of this class against the rest, shrunk by the prior
    z: float  # delta / sqrt(variance): how sure we are that the word leans to this class


@dataclass
class Exploration:
    """Everything :func:`explore` measures. ``to_dict``/``from_dict`` round-trip through JSON exactly."""

    texts: int
    tokens: int
    vocabulary_size: int
    hapax_legomena: int  # types seen exactly once
    empty_texts: int  # texts with no token after normalization
    top_tokens: list[TokenCount]
    coverage: Coverage
    zipf: ZipfFit
    lengths: LengthStats
    lengths_by_class: dict[str, LengthStats]
    length_histogram: LengthHistogram
    labels: dict[str, int]  # label -> texts, in LABEL_ORDER
    words_by_class: dict[str, list[WordScore]]  # label -> top words by z (only z > 0), best first
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def labelled(self) -> bool:
        return bool(self.labels)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The JSON text (:func:`sentilab.reports.exploration.write_exploration_json` writes it to a file)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exploration:
        try:
            return cls(
                **{
                    **data,
                    "top_tokens": [TokenCount(**t) for t in data["top_tokens"]],
                    "coverage": Coverage(**data["coverage"]),
                    "zipf": ZipfFit(**data["zipf"]),
                    "lengths": LengthStats(**data["lengths"]),
                    "lengths_by_class": {k: LengthStats(**v) for k, v in data["lengths_by_class"].items()},
                    "length_histogram": LengthHistogram(**data["length_histogram"]),
                    "words_by_class": {
                        k: [WordScore(**w) for w in v] for k, v in data["words_by_class"].items()
                    },
                }
            )
        except (KeyError, TypeError) as exc:
            expected = ", ".join(f.name for f in fields(cls))
            raise DataError(
                f"not an exploration result ({exc}); expected the keys: {expected}",
                hint="write one with sentilab.reports.exploration.write_exploration_json(exploration, path)",
            ) from None

    @classmethod
    def load(cls, path: str | Path) -> Exploration:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise DataError(f"{path} does not exist") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path} is not valid UTF-8 JSON: {exc}") from None

    def summary_lines(self, *, words: int = 8) -> list[str]:
        """A few human-readable lines (what the CLI prints)."""
        lines = [
            f"{self.texts:,} texts, {self.tokens:,} tokens, vocabulary {self.vocabulary_size:,} types "
            f"({self.hapax_legomena:,} seen once)",
            f"{self.coverage.types_needed:,} types ({self.coverage.share_of_types:.1%} of the vocabulary) "
            f"cover {self.coverage.target:.0%} of all token occurrences",
        ]
        if self.zipf.exponent is not None:
            lines.append(
                f"Zipf exponent {self.zipf.exponent:.3f} (R² {self.zipf.r_squared:.3f}, "
                f"ranks {self.zipf.fit_min_rank:,}-{self.zipf.fit_max_rank:,})"
            )
        length = self.lengths
        lines.append(
            f"length in tokens: median {length.median:g}, mean {length.mean:.1f}, "
            f"99th percentile {length.p99:g}, max {length.max:,}"
        )
        if self.labels:
            total = sum(self.labels.values())
            lines.append(
                "labels: " + ", ".join(f"{k} {v:,} ({v / total:.1%})" for k, v in self.labels.items())
            )
        for label, scores in self.words_by_class.items():
            top = ", ".join(f"{w.token} ({w.z:.1f})" for w in scores[:words])
            lines.append(f"{label} words (z): {top or '(none above the minimum count)'}")
        return lines


# ============================================================================ the maths, on arrays
def log_odds_dirichlet(
    class_counts: np.ndarray,
    prior: np.ndarray,
    *,
    class_totals: np.ndarray | None = None,
    prior_total: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted log-odds of every word for each class against all other classes (Monroe et al. 2008).

    ``class_counts`` has shape (C, V): occurrences of word w in class i, ``y[i, w]``. ``prior`` has shape
    (V,): the Dirichlet pseudo-counts ``a[w]`` (informative: proportional to the corpus frequencies).
    With ``n_i = sum_w y[i, w]``, ``a0 = sum_w a[w]`` and "rest" = all classes but i (``y_r = y - y_i``)::

        delta[i, w] = log((y_i + a) / (n_i + a0 - y_i - a)) - log((y_r + a) / (n_r + a0 - y_r - a))
        var[i, w]   = 1 / (y_i + a) + 1 / (y_r + a)
        z[i, w]     = delta / sqrt(var)

    Returns ``(delta, z)``, both of shape (C, V). Words with ``a[w] == 0`` must be removed first. When only
    some words are passed (e.g. those above a minimum count), pass the corpus-wide ``class_totals`` (C,)
    ``n_i`` and ``prior_total`` ``a0``; they default to the sums over the words given.
    """
    y = np.asarray(class_counts, dtype=np.float64)  # (C, V)
    a = np.asarray(prior, dtype=np.float64)[None, :]  # (1, V)
    a0 = float(a.sum() if prior_total is None else prior_total)
    n = (y.sum(axis=1) if class_totals is None else np.asarray(class_totals, dtype=np.float64))[
        :, None
    ]  # (C, 1)
    y_rest = y.sum(axis=0, keepdims=True) - y  # (C, V)
    n_rest = n.sum() - n  # (C, 1)
    delta = np.log((y + a) / (n + a0 - y - a)) - np.log((y_rest + a) / (n_rest + a0 - y_rest - a))
    variance = 1.0 / (y + a) + 1.0 / (y_rest + a)
    return delta, delta / np.sqrt(variance)


def fit_zipf(
    frequencies: np.ndarray, *, min_count: int = 5, points_per_decade: int = 20, plot_points: int = 200
) -> ZipfFit:
    """Fit ``log10 f = c - s log10 r`` on frequencies sorted in decreasing order (rank 1 first).

    The fit uses log-spaced ranks from 1 to the last rank with frequency >= ``min_count`` (see the module
    docstring for why); the returned curve is downsampled to about ``plot_points`` log-spaced ranks.
    """
    freqs = np.asarray(frequencies, dtype=np.int64)
    n_types = len(freqs)
    plot_ranks = _log_spaced_ranks(n_types, plot_points)
    curve = {
        "ranks": [int(r) for r in plot_ranks],
        "frequencies": [int(freqs[r - 1]) for r in plot_ranks],
    }
    max_rank = int(np.searchsorted(-freqs, -min_count, side="right"))  # freqs is non-increasing
    decades = math.log10(max_rank) if max_rank > 1 else 0.0
    fit_ranks = _log_spaced_ranks(max_rank, max(2, math.ceil(decades * points_per_decade) + 1))
    if len(fit_ranks) < 3:
        return ZipfFit(None, None, None, 1, max_rank, len(fit_ranks), min_count, **curve)
    x = np.log10(fit_ranks)
    y = np.log10(freqs[fit_ranks - 1])
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    total = ((y - y.mean()) ** 2).sum()
    r_squared = 1.0 - (residual**2).sum() / total if total > 0 else 1.0
    return ZipfFit(
        exponent=float(-slope),
        intercept=float(intercept),
        r_squared=float(r_squared),
        fit_min_rank=1,
        fit_max_rank=max_rank,
        fit_points=len(fit_ranks),
        min_count=min_count,
        **curve,
    )


def _log_spaced_ranks(n: int, points: int) -> np.ndarray:
    """Distinct integer ranks 1..n, roughly evenly spaced on a log axis, always including 1 and n."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n <= points:
        return np.arange(1, n + 1)
    return np.unique(np.round(np.geomspace(1, n, points)).astype(np.int64))


def length_stats(lengths: np.ndarray) -> LengthStats:
    lengths = np.asarray(lengths)
    return LengthStats(
        texts=int(len(lengths)),
        min=int(lengths.min()),
        max=int(lengths.max()),
        mean=float(lengths.mean()),
        median=float(np.median(lengths)),
        p99=float(np.percentile(lengths, 99)),
    )


def length_histogram(
    lengths: np.ndarray, groups: dict[str, np.ndarray], max_bins: int = 50, quantile: float = 99.5
) -> LengthHistogram:
    """Integer-aligned bins shared by every group, up to the ``quantile`` percentile of all lengths.

    Bins are 1 token wide for short texts and wider for long ones; the few longer texts are counted in
    ``overflow`` rather than stretching the axis (one 2,000-token outlier would squash everything else).
    """
    upper = int(math.ceil(np.percentile(lengths, quantile)))  # bins cover 0..upper inclusive
    width = max(1, math.ceil((upper + 1) / max_bins))
    edges = np.arange(0, upper + width + 1, width)  # the last edge is > upper
    counts = {name: np.histogram(group, bins=edges)[0].astype(int).tolist() for name, group in groups.items()}
    overflow = {name: int((group >= edges[-1]).sum()) for name, group in groups.items()}
    return LengthHistogram(edges=edges.astype(int).tolist(), counts=counts, overflow=overflow)


# ============================================================================ the one pass
def _as_normalizer(normalizer) -> tuple[Callable[[str], str] | None, Any]:
    """(function or None, a JSON description) from "default", None, step names, a Normalizer or a callable."""
    if normalizer is None or normalizer == "none":
        return None, None
    if isinstance(normalizer, str):
        if normalizer == "default":
            normalizer = Normalizer()
        else:
            normalizer = Normalizer([s.strip() for s in normalizer.split(",") if s.strip()])
    elif isinstance(normalizer, Sequence):
        normalizer = Normalizer(list(normalizer))
    if isinstance(normalizer, Normalizer):
        names = [s if isinstance(s, str) else getattr(s, "__name__", repr(s)) for s in normalizer.steps]
        return normalizer, names
    if callable(normalizer):
        return normalizer, getattr(normalizer, "__name__", repr(normalizer))
    raise DataError(
        f"normalizer must be 'default', None, a list of step names or a callable, got {normalizer!r}"
    )


def _check_inputs(texts, labels) -> tuple[list[str], list[str] | None]:
    if isinstance(texts, (str, bytes)):
        raise DataError("texts must be a list of strings, not a single string", hint="wrap it: [text]")
    texts = list(texts)
    if not texts:
        raise DataError("there are no texts to explore")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataError(f"text {index} is {type(text).__name__} ({text!r:.40}), not a string")
    if labels is None:
        return texts, None
    if isinstance(labels, (str, bytes)):
        raise DataError("labels must be a list (one label per text), not a single string")
    labels = list(labels)
    if not labels:
        return texts, None
    if len(labels) != len(texts):
        raise DataError(f"got {len(texts):,} texts but {len(labels):,} labels; give one label per text")
    out = []
    for index, label in enumerate(labels):
        if label is None or (isinstance(label, float) and math.isnan(label)) or str(label).strip() == "":
            raise DataError(
                f"label {index} is missing (text: {texts[index]!r:.60})", hint="drop unlabelled rows"
            )
        out.append(str(label))
    return texts, out


def order_labels(labels) -> list[str]:
    """Sentiment order first (negative, neutral, positive), then any other label alphabetically."""
    labels = set(labels)
    return [x for x in LABEL_ORDER if x in labels] + sorted(labels - set(LABEL_ORDER))


def _count_tokens(texts, labels, classes, tokenize, normalize, progress):
    """The single pass: ``(label_ids (n,), one token Counter per class, lengths (n,))``.

    Counter.update runs at C speed; only the counters and one length per text are kept, never the tokens.
    """
    class_index = {label: i for i, label in enumerate(classes)}
    label_ids = (
        np.fromiter((class_index[x] for x in labels), dtype=np.int32, count=len(texts))
        if labels is not None
        else np.zeros(len(texts), dtype=np.int32)
    )
    counters = [Counter() for _ in classes]
    lengths = np.empty(len(texts), dtype=np.int64)
    from tqdm.auto import tqdm

    bar = tqdm(
        texts,
        desc="tokenizing",
        unit=" texts",
        unit_scale=True,
        disable=not show_progress(progress),
        leave=False,
    )
    for row, text in enumerate(bar):
        tokens = tokenize(normalize(text) if normalize is not None else text)
        lengths[row] = len(tokens)
        counters[label_ids[row]].update(tokens)
    return label_ids, counters, lengths


def _words_by_class(
    classes: list[str],
    counters: list[Counter],
    vocab: list[str],
    totals: np.ndarray,
    *,
    min_count: int,
    top_n: int,
    prior_scale: float,
) -> dict[str, list[WordScore]]:
    """The top ``top_n`` words of each class by log-odds z (only z > 0), from the ranked vocabulary.

    ``vocab`` (V,) is in rank order and ``totals`` (V,) holds each word's corpus count.
    """
    words_by_class: dict[str, list[WordScore]] = {label: [] for label in classes}
    keep = np.flatnonzero(totals >= min_count)  # (K,) indices into the ranked vocabulary
    # With a single type in the whole corpus there is nothing to contrast (and a zero denominator).
    if not len(keep) or len(vocab) < 2:
        return words_by_class
    kept_tokens = [vocab[i] for i in keep]
    class_counts = np.stack(
        [np.fromiter((c.get(t, 0) for t in kept_tokens), dtype=np.int64, count=len(keep)) for c in counters]
    )  # (C, K)
    # Informative prior from the whole corpus, all words included (a0 = prior_scale * N).
    prior = prior_scale * totals[keep].astype(np.float64)
    class_totals = np.array([sum(c.values()) for c in counters], dtype=np.float64)  # (C,) n_i
    delta, z = log_odds_dirichlet(
        class_counts, prior, class_totals=class_totals, prior_total=prior_scale * float(totals.sum())
    )
    for i, label in enumerate(classes):
        order = np.lexsort((np.arange(len(keep)), -z[i]))  # z descending, then corpus rank
        best = [j for j in order[:top_n] if z[i, j] > 0]
        words_by_class[label] = [
            WordScore(
                kept_tokens[j],
                int(class_counts[i, j]),
                int(totals[keep[j]]),
                float(delta[i, j]),
                float(z[i, j]),
            )
            for j in best
        ]
    return words_by_class


def explore(
    texts: Sequence[str],
    labels: Sequence[str] | None = None,
    *,
    tokenizer: str | Callable[[str], list[str]] = "tweet",
    normalizer: Any = "default",
    top_n: int = 20,
    min_count: int = 5,
    coverage: float = 0.8,
    prior_scale: float = 1.0,
    zipf_min_count: int = 5,
    progress: bool | None = None,
) -> Exploration:
    """Measure a corpus (see the module docstring). Texts are normalized and tokenized exactly once.

    Parameters
    ----------
    labels:
        One label per text, or None/empty for unlabelled documents (then no per-class statistics).
    tokenizer:
        A name from :func:`sentilab.text.list_tokenizers` or a ``str -> list[str]`` callable.
    normalizer:
        ``"default"`` (:data:`sentilab.text.normalize.DEFAULT_STEPS`), ``None`` for raw text, step names
        (a list or a comma-separated string), a :class:`~sentilab.text.Normalizer` or any callable.
    top_n:
        How many top tokens, and top words per class, to keep.
    min_count:
        A word needs at least this many occurrences in the corpus to be ranked by log-odds (rare words get
        extreme ratios from one or two uses).
    coverage:
        The share of token occurrences for the coverage statistic (0.8 = 80 %).
    prior_scale:
        Strength of the informative Dirichlet prior: ``a_w = prior_scale * corpus count of w``
        (1.0 = the corpus counts themselves, the usual "Fightin' Words" choice).
    zipf_min_count:
        The frequency floor of the Zipf fit range.
    progress:
        Show a progress bar (None: only on a terminal).
    """
    if top_n < 1:
        raise DataError(f"top_n must be >= 1, got {top_n}")
    if min_count < 1:
        raise DataError(f"min_count must be >= 1, got {min_count}")
    if not 0 < coverage <= 1:
        raise DataError(f"coverage must be in (0, 1], got {coverage}")
    if prior_scale <= 0:
        raise DataError(f"prior_scale must be > 0, got {prior_scale}")
    texts, labels = _check_inputs(texts, labels)
    tokenize = get_tokenizer(tokenizer)
    normalize, normalizer_description = _as_normalizer(normalizer)

    classes = order_labels(labels) if labels is not None else ["all"]
    label_ids, counters, lengths = _count_tokens(texts, labels, classes, tokenize, normalize, progress)
    total_counter = counters[0].copy()
    for counter in counters[1:]:
        total_counter.update(counter)
    if not total_counter:
        raise DataError(f"none of the {len(texts):,} texts has a token after normalization and tokenization")

    # ---- vocabulary in rank order: count descending, ties alphabetical (deterministic)
    ranked = sorted(total_counter.items(), key=lambda kv: (-kv[1], kv[0]))
    vocab = [token for token, _ in ranked]
    totals = np.fromiter((count for _, count in ranked), dtype=np.int64, count=len(ranked))  # (V,)
    n_tokens = int(totals.sum())

    cumulative = np.cumsum(totals)
    types_needed = int(np.searchsorted(cumulative, coverage * n_tokens - 1e-9 * n_tokens) + 1)
    coverage_result = Coverage(coverage, types_needed, types_needed / len(vocab))

    top_tokens = [
        TokenCount(vocab[i], int(totals[i]), int(totals[i]) / n_tokens) for i in range(min(top_n, len(vocab)))
    ]

    # ---- lengths
    by_class = {label: lengths[label_ids == i] for i, label in enumerate(classes)}
    lengths_by_class = {label: length_stats(v) for label, v in by_class.items()} if labels is not None else {}
    histogram = length_histogram(lengths, by_class)

    # ---- labels and the words that go with each
    label_counts = {label: int((label_ids == i).sum()) for i, label in enumerate(classes)} if labels else {}
    words_by_class: dict[str, list[WordScore]] = {}
    if labels is not None and len(classes) >= 2:
        words_by_class = _words_by_class(
            classes, counters, vocab, totals, min_count=min_count, top_n=top_n, prior_scale=prior_scale
        )

    tokenizer_name = (
        tokenizer if isinstance(tokenizer, str) else getattr(tokenizer, "__name__", repr(tokenizer))
    )
    return Exploration(
        texts=len(texts),
        tokens=n_tokens,
        vocabulary_size=len(vocab),
        hapax_legomena=int((totals == 1).sum()),
        empty_texts=int((lengths == 0).sum()),
        top_tokens=top_tokens,
        coverage=coverage_result,
        zipf=fit_zipf(totals, min_count=zipf_min_count),
        lengths=length_stats(lengths),
        lengths_by_class=lengths_by_class,
        length_histogram=histogram,
        labels=label_counts,
        words_by_class=words_by_class,
        settings={
            "tokenizer": tokenizer_name,
            "normalizer": normalizer_description,
            "top_n": top_n,
            "min_count": min_count,
            "coverage": coverage,
            "prior_scale": prior_scale,
            "zipf_min_count": zipf_min_count,
        },
    )


# ============================================================================ a dataset, a file or texts
def explore_corpus(
    dataset_or_texts: Any,
    *,
    labels: Sequence[str] | None = None,
    sample: int | None = None,
    seed: int = 0,
    text_col: str | None = None,
    label_col: str | None = None,
    **explore_options: Any,
) -> tuple[Exploration, list[str]]:
    """``(exploration, load_lines)``: :func:`explore` on a dataset, a file or a list of texts.

    ``dataset_or_texts`` is a :class:`sentilab.data.Dataset`, a registry name or local file (loaded with
    :func:`sentilab.data.load_dataset` and ``sample``/``seed``/``text_col``/``label_col``), or a list of
    texts (with ``labels``). Other keywords go to :func:`explore`. ``settings["source"]`` names the corpus;
    ``load_lines`` is the loader's report on how the rows were read (empty for a list of texts).
    """
    texts, labels, source, load_lines = _resolve_corpus(
        dataset_or_texts, labels, sample=sample, seed=seed, text_col=text_col, label_col=label_col
    )
    exploration = explore(texts, labels, **explore_options)
    exploration.settings["source"] = source
    if sample is not None:
        exploration.settings.update(sample=sample, seed=seed)
    return exploration, list(load_lines)


def _resolve_corpus(obj, labels, *, sample, seed, text_col, label_col):
    """(texts, labels, source name, load-report lines) from a Dataset, a name/path, or a list of texts."""
    if isinstance(obj, (str, Path)):
        from sentilab.data import load_dataset

        obj = load_dataset(obj, sample=sample, seed=seed, text_col=text_col, label_col=label_col)
    elif sample is not None:
        raise DataError("sample= applies to a dataset name or file; sample a list of texts yourself")
    if hasattr(obj, "frame") and hasattr(obj, "texts"):  # a sentilab.data.Dataset
        if labels is not None:
            raise DataError("labels= is only for a list of texts; a dataset brings its own labels")
        report = getattr(obj, "report", None)
        lines = report.lines() if report is not None and hasattr(report, "lines") else []
        return obj.texts, obj.labels or None, str(obj.name), lines
    return obj, labels, "texts", []
