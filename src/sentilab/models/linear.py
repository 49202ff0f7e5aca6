"""Bag-of-words linear models (``bow``): binary, count, TF-IDF or NBSVM features + logistic regression.

The whole batch goes through NumPy/pandas/SciPy at once; no Python loop runs per text except the text
normalization steps that cannot be applied to a batch (see :class:`TokenPipeline`). Shapes::

    texts ─ normalize, tokenize ─▶ flat tokens, each text followed by SEP          (n_tokens,)
          ─ token ids (0 = SEP, -1 = unknown) ─▶                                    (n_tokens,) int64
          ─ n-gram nodes of order k: key = prefix_node << 32 | token_id ─▶ (text, column) pairs
          ─ counts ─▶ X, CSR (n_texts, n_features): binary 1 | count | tf-idf | binary (nbsvm)
    decision D = X @ W.T + b                                                        (n_texts, K')
    with lexicon=true:  D += L @ V.T, L = the text's lexicon valence features        (n_texts, 4)


``K' = 1`` for two classes (``p(classes_[1]) = sigmoid(D)``); otherwise ``K' = K`` with a softmax
(multinomial logistic regression) or, for NBSVM, one-vs-rest sigmoids normalised to sum to 1.

Every prediction is therefore a sum over features: ``D[i, c] = b[c] + Σ_j X[i, j] · W[c, j]``, and
:meth:`BowModel.contributions` returns those terms exactly (what :mod:`sentilab.explain` shows).

``lexicon=true`` adds four columns ``L = lexicon_weight · (P / sqrt(P² + 15), N / sqrt(N² + 15), P / T, N / T)``:
the positive and negative VADER valence of the text after negation, intensifiers and "but", squashed and as
shares of ``T = P + N + words without valence`` (:mod:`sentilab.text.valence`), with their own weights ``V``
(``lexicon_coef_``, shape (K', 4)). They carry
what the n-grams cannot learn from the training data: "not bad" flips a valence VADER's raters gave "bad",
whether or not "¬bad" was ever seen. Intensifiers ("very", "slightly") then act through the lexicon alone:
they are left out of the n-grams, so "very bad" counts as "bad" there and only its valence grows. With
``negation=true`` both sides read the same negation marks (:func:`sentilab.text.tokenize.mark_negation`);
``negation_cue_ngrams=false`` also leaves the cues ("not", "wasn't") out of the n-grams, so a negation acts
through the words it marks, as in the lexicon, rather than as a word that goes with complaints.

Nothing is pickled: ``vocab.json`` holds the n-grams (token lists, in column order) and, with the lexicon, its
words and intensifiers; the weights file holds ``coef``, ``intercept``, ``doc_freq`` and, when used, ``idf``,
``ratios``, ``lexicon_coef``, ``lexicon_doc_freq`` and the lexicon's valences.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np

from sentilab.errors import ModelError
from sentilab.models.base import STEP_LIST, TOKENIZER, Interval, Options, Satisfies, SentimentModel
from sentilab.progress import show_progress
from sentilab.text.normalize import DEFAULT_STEPS, Normalizer
from sentilab.text.tokenize import NEGATED, get_tokenizer, is_negation_cue, mark_negation
from sentilab.text.valence import token_valence, valence_features

#: Reserved document separator (a control character no keyboard produces); inside a text it counts as a space.
SEP = "\x01"
_JOIN = " \x01 "
#: Names of the four lexicon features (``lexicon=true``) in explanations and feature tables.
LEXICON_FEATURES = (
    "[lexicon: positive valence]",
    "[lexicon: negative valence]",
    "[lexicon: positive share]",
    "[lexicon: negative share]",
)
#: Texts per chunk: bounds the memory of the flat token arrays (about 20 tokens per tweet).
CHUNK = 20_000

# --------------------------------------------------------------------------- batch tokenization
# Why a batch path is exact. Texts are joined as "t1 \x01 t2 \x01 ... \x01 " and the steps below run once
# over the joined string. A step is *join-safe* when no match can cross " \x01 " and no match depends on
# whether the text ends at a space or at the string's end:
#   lowercase    str.lower is per character except Greek final sigma, whose rule treats a space like the end
#   placeholders URL "\S+" stops at the space; the @user look-behind sees a space like the start of a string
#   squeeze      runs of one repeated letter never include a space or \x01
#   stopwords    splits on whitespace and re-joins with single spaces; "\x01" is not a stop word
#   spaces       only changes whitespace, which none of the joinable tokenizers below can see: skipped
# "html" is not join-safe (a tag "<a ... >" may span texts) and "punctuation" deletes \x01; they, and any
# callable, run per text, before the join. The joinable tokenizers never put whitespace inside a token and
# their look-aheads treat a space like the string's end, so tokens never cross " \x01 " and \x01 itself comes
# out as one token: the separator. tests/test_linear.py checks the whole path against the per-text reference
# with hypothesis. If the regexes in sentilab.text change, the fingerprint below no longer matches and the
# reference path is used until someone re-reads this argument.
_JOIN_SAFE_STEPS = {"lowercase", "placeholders", "squeeze", "stopwords", "spaces"}
_JOINABLE_TOKENIZERS = {"tweet", "basic_english", "whitespace"}
_ANALYZED = {
    "URL_RE": (r"(?:https?://|www\.)\S+", re.IGNORECASE | re.UNICODE),
    "USER_RE": (r"(?<![\w@])@\w{1,30}", re.UNICODE),
    "REPEAT_RE": (r"([^\W\d_])\1{2,}", re.UNICODE),
    "SPACE_RE": (r"\s+", re.UNICODE),
    "TAG_RE": (r"<(?!(?:url|user|num)>)[/!]?[A-Za-z][^<>]{0,200}>", re.UNICODE),
}
# Faster equivalents of URL_RE and USER_RE (same matches). IGNORECASE is slow to scan for; the explicit classes
# list every character re.IGNORECASE folds onto h/t/p/s/w (checked over all of Unicode: only "ſ" U+017F folds
# onto "s"). After a lowercase step no upper-case letter is left, so the shorter pattern suffices.
_URL_ANY_CASE = re.compile(r"(?:[hH][tT][tT][pP][sS\u017f]?://|[wW][wW][wW]\.)\S+")
_URL_LOWER = re.compile(r"(?:http[s\u017f]?://|www\.)\S+")
# "@" first, then look behind it: one fast literal scan instead of a look-behind at every position.
_USER_FAST = re.compile(r"@(?<![\w@]@)\w{1,30}")


def _normalize_module():
    import sentilab.text.normalize  # noqa: F401  (the package re-exports a function under the same name)

    return sys.modules["sentilab.text.normalize"]


def _fast_path_available() -> bool:
    """True when sentilab.text still has the regexes the join-safety argument above was made for."""
    normalize = _normalize_module()
    from sentilab.text import tokenize

    for name, (pattern, flags) in _ANALYZED.items():
        compiled = getattr(normalize, name, None)
        if compiled is None or compiled.pattern != pattern or compiled.flags != flags:
            return False
    steps = normalize.STEPS
    return (
        steps.get("placeholders") is normalize.placeholders
        and steps.get("squeeze") is normalize.squeeze_repeats
        and steps.get("lowercase") is normalize.lowercase
        and steps.get("stopwords") is normalize.remove_stop_words
        and steps.get("spaces") is normalize.collapse_spaces
        and steps.get("html") is normalize.strip_html
        and tokenize._TWEET_RE.pattern == _TWEET_PATTERN
        and tokenize.get_tokenizer("tweet") is tokenize.tweet
    )


_TWEET_PATTERN = (
    r"(?:https?://|www\.)\S+|<(?:url|user|num)>|"
    r"""(?:[<>]?[:;=8xX][\-o\*']?(?:[\)\]\(\[/\\\|@]+|[dDpP3]+(?!\w))"""
    r"""|[\)\]\(\[dDpP/\\\|@3]+[\-o\*']?[:;=8][<>]?(?!\w)"""
    r"""|<3+|</3)|@\w+|#\w+|\w+(?:['’]\w+)*|[^\w\s]"""
)


class _Without:
    """A token pipeline whose flat tokens leave ``drop`` out (what bow's n-grams are learned from)."""

    def __init__(self, pipeline: TokenPipeline, drop: _Dropped):
        self.pipeline, self.drop = pipeline, drop

    def flat(self, texts: Sequence[str]) -> list[str]:
        return [t for t in self.pipeline.flat(texts) if t not in self.drop]


class _Dropped:
    """The tokens bow's n-grams leave out: ``token in dropped`` for the ``words`` and, with ``cues``, every
    negation cue (:func:`sentilab.text.tokenize.is_negation_cue`, decided once per distinct token)."""

    def __init__(self, words: frozenset, cues: bool):
        self.words, self.cues = words, cues
        self._seen: dict[str, bool] = {}

    def __contains__(self, token: str) -> bool:
        found = self._seen.get(token)
        if found is None:
            found = token in self.words or (self.cues and is_negation_cue(token.lower()))
            if len(self._seen) < 1_000_000:  # bounded: a stream of distinct tokens must not grow it forever
                self._seen[token] = found
        return found


class TokenPipeline:
    """Normalization steps + a tokenizer, for one text (the reference) or a whole batch (fast, same tokens).

    >>> TokenPipeline().flat(["I don't LOVE it", "soooo good"])
    ['i', "don't", 'love', 'it', '\\x01', 'soo', 'good', '\\x01']
    """

    def __init__(
        self, steps: Sequence[str] = DEFAULT_STEPS, tokenizer: str = "tweet", negation: bool = False
    ):
        self.steps = list(steps)
        self.negation = negation  # mark tokens inside a negation scope (sentilab.text.tokenize.mark_negation)
        self.normalizer = Normalizer(self.steps)  # raises a clear error for an unknown step
        self.tokenizer_name = tokenizer
        self.tokenize = get_tokenizer(tokenizer)  # raises a clear error for an unknown tokenizer
        self.batched = (
            isinstance(tokenizer, str) and tokenizer in _JOINABLE_TOKENIZERS and _fast_path_available()
        )
        # Steps up to the last join-unsafe one run per text; the rest run once over the joined batch.
        unsafe = [i for i, s in enumerate(self.steps) if not (isinstance(s, str) and s in _JOIN_SAFE_STEPS)]
        cut = unsafe[-1] + 1 if unsafe else 0
        self.per_text = Normalizer(self.steps[:cut]) if cut else None
        self.joined_steps = [s for s in self.steps[cut:] if s != "spaces"]
        # Does the text reach the placeholders step already lower-cased (enables the shorter URL pattern)?
        self._lower_before = []
        lowered = "lowercase" in self.steps[:cut] and all(
            s in {"lowercase", "placeholders", "squeeze", "stopwords", "spaces", "punctuation"}
            for s in self.steps[self.steps.index("lowercase") :]
        )
        for step in self.joined_steps:
            lowered = lowered or step == "lowercase"
            self._lower_before.append(lowered)

    def __call__(self, text: str) -> list[str]:
        """Tokens of one text: the definition the batch path must reproduce."""
        tokens = self.tokenize(self.normalizer(text.replace(SEP, " ")))
        return mark_negation(tokens) if self.negation else tokens

    def flat(self, texts: Sequence[str]) -> list[str]:
        """Tokens of every text in one list, each text's tokens followed by :data:`SEP`."""
        tokens = self._flat(texts)
        return mark_negation(tokens, separator=SEP) if self.negation else tokens

    def _flat(self, texts: Sequence[str]) -> list[str]:
        if not texts:
            return []
        if SEP in "".join(texts):
            texts = [t.replace(SEP, " ") for t in texts]
        if not self.batched:
            out: list[str] = []
            for text in texts:
                out.extend(self.tokenize(self.normalizer(text)))
                out.append(SEP)
            return out
        if self.per_text is not None and self.per_text.steps == ["html"]:
            # strip_html only changes a text with "&" (an entity) or "<" (a tag): skip the others.
            strip_html = _normalize_module().strip_html
            texts = [strip_html(t) if ("&" in t or "<" in t) else t for t in texts]
        elif self.per_text is not None:
            texts = self.per_text.map(texts)
        joined = _JOIN.join(texts) + _JOIN
        for step, lowered in zip(self.joined_steps, self._lower_before):
            joined = self._joined_step(step, joined, lowered)
        return self.tokenize(joined)

    @staticmethod
    def _joined_step(step: str, joined: str, lowered: bool) -> str:
        normalize = _normalize_module()
        if step == "lowercase":
            return joined.lower()
        if step == "placeholders":
            url = _URL_LOWER if lowered else _URL_ANY_CASE
            return _USER_FAST.sub(normalize.USER_TOKEN, url.sub(normalize.URL_TOKEN, joined))
        if step == "squeeze":
            return _squeeze_joined(joined, normalize.squeeze_repeats)
        if step == "stopwords":
            return normalize.remove_stop_words(joined)
        raise AssertionError(step)  # pragma: no cover - only join-safe steps get here


def _squeeze_joined(joined: str, squeeze) -> str:
    """Apply ``squeeze`` only to the texts that have three equal characters in a row (the rest cannot change).

    Finding candidates with NumPy on the UTF-32 code points is ~10x faster than running the regex everywhere.
    """
    try:
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # lone surrogates (undecodable input): the regex handles them
        return squeeze(joined)
    triple = np.flatnonzero((points[2:] == points[1:-1]) & (points[1:-1] == points[:-2]))
    if triple.size:  # only letters squeeze: drop "!!!" and "..." (alphanumerics are a superset of letters)
        repeated = np.unique(points[triple])
        letters = repeated[[chr(p).isalnum() for p in repeated.tolist()]]
        triple = triple[np.isin(points[triple], letters)]
    if triple.size == 0:
        return joined
    separators = np.flatnonzero(points == 1)
    parts = joined.split(SEP)
    for index in np.unique(np.searchsorted(separators, triple)):
        parts[index] = squeeze(parts[index])
    return SEP.join(parts)


# --------------------------------------------------------------------------- n-gram tables
_SHIFT = np.int64(32)
_LOW = np.int64(0xFFFFFFFF)


def _node_keys(prev: np.ndarray, nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys of order-k nodes from order-(k-1) nodes ``prev`` and the next token ids ``nxt`` (same length).

    A position is valid when its prefix exists (>= 0) and the next token is a real, known token (> 0):
    separators (0) and unknown tokens (-1) end every n-gram, so n-grams never cross texts.
    """
    ok = (prev >= 0) & (nxt > 0)
    return ok, (prev[ok] << _SHIFT) | nxt[ok].astype(np.int64)


class _Lookup(dict):
    """A dict that answers -1 for a missing key (unknown token)."""

    __slots__ = ()

    def __missing__(self, key: str) -> int:
        return -1


class NgramIndex:
    """Exact lookup of n-grams (up to order ``hi``) to feature columns, on integer keys only.

    ``tokens[i - 1]`` has id ``i`` (0 is SEP). An order-k node is a distinct k-gram that is a feature or the
    prefix of a longer feature; ``keys[k]`` (pandas Index, int64) holds ``prefix_node << 32 | token_id``
    per node and ``columns[k]`` the node's feature column or -1.
    """

    def __init__(self, ngrams: Sequence[Sequence[str]]):
        import pandas as pd

        n_features = len(ngrams)
        lengths = np.fromiter(map(len, ngrams), dtype=np.int64, count=n_features)  # (F,)
        self.orders = int(lengths.max(initial=1))
        flat = [token for gram in ngrams for token in gram]
        codes, uniques = pd.factorize(np.asarray(flat, dtype=object))
        starts = np.cumsum(lengths) - lengths
        # grams[f, k] = id of the k-th token of feature f (ids from 1; 0 pads shorter n-grams)  (F, orders)
        grams = np.zeros((n_features, self.orders), dtype=np.int64)
        for k in range(self.orders):
            longer = lengths > k
            grams[longer, k] = codes[starts[longer] + k] + 1
        self.tokens = list(uniques)
        self._token_ids = _Lookup(zip(self.tokens, range(1, len(self.tokens) + 1)))
        self._token_ids[SEP] = 0
        unigram_columns = np.full(len(self.tokens) + 1, -1, dtype=np.int64)  # index 0 is SEP
        single = np.flatnonzero(lengths == 1)
        unigram_columns[grams[single, 0]] = single
        self.columns = [unigram_columns]
        self.keys = [None]
        node = grams[:, 0]  # order-1 node of every feature's prefix = its first token id
        for k in range(1, self.orders):
            longer = lengths > k
            node_codes, node_keys = pd.factorize((node[longer] << _SHIFT) | grams[longer, k])
            node = np.full(n_features, -1, dtype=np.int64)
            node[longer] = node_codes
            columns = np.full(len(node_keys), -1, dtype=np.int64)
            ending = np.flatnonzero(lengths == k + 1)
            columns[node[ending]] = ending
            self.keys.append(pd.Index(np.asarray(node_keys, dtype=np.int64)))
            self.columns.append(columns)

    def token_ids(self, flat: list[str]) -> np.ndarray:
        """Ids of a flat token list: 0 for SEP, -1 for tokens that are in no feature."""
        # map() over dict.__getitem__ runs in C; only unknown tokens reach _Lookup.__missing__.
        return np.fromiter(map(self._token_ids.__getitem__, flat), dtype=np.int64, count=len(flat))

    def pairs(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every feature occurrence in ``ids``: (text index, column, start position, order) arrays."""
        text_of = np.cumsum(ids == 0) - (ids == 0)  # separators before each position = its text
        texts, columns, starts, orders = [], [], [], []
        node = np.where(ids > 0, ids, -1)
        for k in range(self.orders):
            if k > 0:
                ok, keys = _node_keys(node[:-1], ids[k:])
                node = np.full(len(ok), -1, dtype=np.int64)
                node[ok] = self.keys[k].get_indexer(keys)
            hit = np.flatnonzero(node >= 0)
            col = self.columns[k][node[hit]]
            found = col >= 0
            starts.append(hit[found])
            texts.append(text_of[hit[found]])
            columns.append(col[found])
            orders.append(np.full(int(found.sum()), k + 1, dtype=np.int64))
        return (
            np.concatenate(texts),
            np.concatenate(columns),
            np.concatenate(starts),
            np.concatenate(orders),
        )


def _count_matrix(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int):
    """CSR (n_rows, n_cols) of occurrence counts (int32) from (row, col) pairs sorted by row."""
    from scipy import sparse

    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    matrix = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.int32), cols.astype(np.int32, copy=False), indptr),
        shape=(n_rows, n_cols),
    )
    matrix.sum_duplicates()  # sorts each row's columns and adds repeated n-grams up
    return matrix


def _row_index(matrix) -> np.ndarray:
    """The row of every stored value of a CSR matrix."""
    return np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))


# --------------------------------------------------------------------------- the model
Features = Literal["binary", "count", "tfidf", "nbsvm"]


def _is_ngram_range(value: Any) -> bool:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return False
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in value):
        return False
    return 1 <= value[0] <= value[1] <= 6


class BowModel(SentimentModel):
    """Bag of n-grams + logistic regression; NBSVM (Wang & Manning 2012) with ``features="nbsvm"``.

    Features (``X[i, j]`` for text i and n-gram j):

    * ``binary``: 1 if the n-gram occurs, else 0.
    * ``count``: how often it occurs.
    * ``tfidf``: ``tf · idf_j`` with ``tf = 1 + ln(count)`` (``sublinear_tf``) or the count, ``idf_j =
      ln((1 + n) / (1 + df_j)) + 1``, each row scaled to unit L2 norm (scikit-learn's TfidfVectorizer).
    * ``nbsvm``: binary features scaled by the log-count ratio ``r = ln((p / |p|₁) / (q / |q|₁))`` with
      ``p = α + Σ_{y = c} x``, ``q = α + Σ_{y ≠ c} x`` (``α = nb_alpha``), then a logistic regression per class
      (one-vs-rest for more than two classes). ``nb_beta < 1`` interpolates the weights as in the paper,
      ``w' = (1 - β) · mean|w| + β · w``.

    Text goes through the normalization ``normalize`` (step names from :mod:`sentilab.text.normalize`; the
    default keeps negations and stop words) and the tokenizer ``tokenizer``: ``"don't"`` stays one token and
    ``"not good"`` a bigram, so negation reaches the model.
    """

    name: ClassVar[str] = "bow"
    param_help: ClassVar[dict[str, str]] = {
        "features": "binary | count | tfidf | nbsvm: how n-grams become numbers (tfidf: sublinear tf, L2 rows)",
        "ngram_range": "smallest,largest n-gram length; 1,2 adds bigrams such as 'not good'",
        "min_df": "drop n-grams found in fewer documents (2 drops one-off usernames and typos)",
        "max_df": "drop n-grams found in more than this fraction of documents (1.0 keeps all)",
        "max_features": "keep only the most frequent n-grams (by total count); none keeps all",
        "tokenizer": "tokenizer name from sentilab.text (tweet keeps emoticons, #tags and don't whole)",
        "normalize": "normalization steps, comma separated (default: html,lowercase,placeholders,squeeze,spaces)",
        "sublinear_tf": "tfidf only: use 1 + ln(count) instead of the raw count",
        "C": "inverse L2 regularisation strength of the logistic regression (larger = less regularised)",
        "class_weight": "balanced reweights classes inversely to their frequency; none weighs texts equally",
        "max_iter": "maximum Newton-CG iterations of the logistic regression (it usually needs under 10)",
        "nb_alpha": "nbsvm only: add-alpha smoothing of the log-count ratios",
        "nb_beta": "nbsvm only: weight interpolation of Wang & Manning (1.0 = plain logistic regression)",
        "negation": "mark words after not/never/n't up to the next punctuation ('not bad' -> not ¬bad)",
        "lexicon": "add the VADER lexicon's positive and negative valence (negation, intensifiers, 'but') as "
        "four features; intensifiers then act through it alone (needs the lexicon extra to fit; saved with the model)",
        "lexicon_weight": "lexicon only: scale of the four valence features (larger = less regularised)",
        "negation_cue_ngrams": "negation only: keep the cues themselves ('not', \"wasn't\") as n-grams; false: a "
        "negation acts through the words it marks alone, as it does in the lexicon",
    }
    _parameter_constraints: ClassVar[dict[str, list]] = {
        "features": [Options(("binary", "count", "tfidf", "nbsvm"))],
        "ngram_range": [
            Satisfies(_is_ngram_range, "two integers with 1 <= smallest <= largest <= 6, e.g. (1, 2)")
        ],
        "min_df": [Interval(int, 1, None)],
        "max_df": [Interval(float, 0, 1, closed="right")],
        "max_features": [Interval(int, 1, None), None],
        "tokenizer": TOKENIZER,
        "normalize": [STEP_LIST],
        "sublinear_tf": [bool],
        "C": [Interval(float, 0, None, closed="neither")],
        "class_weight": [Options(("balanced",)), None],
        "max_iter": [Interval(int, 1, None)],
        "nb_alpha": [Interval(float, 0, None, closed="neither")],
        "nb_beta": [Interval(float, 0, 1)],
        "negation": [bool],
        "lexicon": [bool],
        "lexicon_weight": [Interval(float, 0, None, closed="neither")],
        "negation_cue_ngrams": [bool],
    }

    def __init__(
        self,
        *,
        features: Features = "tfidf",
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        max_df: float = 1.0,
        max_features: int | None = None,
        tokenizer: str = "tweet",
        normalize: tuple[str, ...] = DEFAULT_STEPS,
        sublinear_tf: bool = True,
        C: float = 1.0,
        class_weight: str | None = None,
        max_iter: int = 1000,
        nb_alpha: float = 1.0,
        nb_beta: float = 1.0,
        negation: bool = False,
        lexicon: bool = False,
        lexicon_weight: float = 1.0,
        negation_cue_ngrams: bool = True,
    ):
        self.features = features
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.tokenizer = tokenizer
        self.normalize = normalize
        self.sublinear_tf = sublinear_tf
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.nb_alpha = nb_alpha
        self.nb_beta = nb_beta
        self.negation = negation
        self.lexicon = lexicon
        self.lexicon_weight = lexicon_weight
        self.negation_cue_ngrams = negation_cue_ngrams

    @classmethod
    def contract_params(cls) -> dict[str, Any]:
        return {"min_df": 1, "C": 10.0}

    def _pipeline(self) -> TokenPipeline:
        pipeline = getattr(self, "_pipeline_cache", None)
        key = (tuple(self.normalize), self.tokenizer, bool(self.negation))
        if pipeline is None or pipeline[0] != key:
            pipeline = (key, TokenPipeline(tuple(self.normalize), self.tokenizer, bool(self.negation)))
            self._pipeline_cache = pipeline
        return pipeline[1]

    # ----------------------------------------------------------------- fitting
    def _fit(self, texts, y, validation) -> None:
        lo, hi = (int(n) for n in self.ngram_range)
        pipeline = self._pipeline()
        self._learn_lexicon()
        drop = self._not_ngram_tokens()
        counts, ngrams, doc_freq = _learn_vocabulary(
            texts,
            pipeline if drop is None else _Without(pipeline, drop),
            lo,
            hi,
            min_df=int(self.min_df),
            max_df=float(self.max_df),
            max_features=None if self.max_features is None else int(self.max_features),
        )
        self.ngrams_ = ngrams
        self.doc_freq_ = doc_freq
        self.n_documents_ = len(texts)
        if self.features == "tfidf":
            # scikit-learn's smooth idf: as if one extra document contained every n-gram once.
            self.idf_ = np.log((1.0 + len(texts)) / (1.0 + doc_freq)) + 1.0
        else:
            self.idf_ = None
        X = self._weigh(counts)
        n_classes = len(self.classes_)
        if self.features == "nbsvm":
            if self.lexicon:
                raise ModelError(
                    "lexicon=true works with features binary, count or tfidf, not nbsvm",
                    hint="drop --set lexicon=true or choose another --set features=...",
                )
            self._fit_nbsvm(X, y, n_classes)
        else:
            if self.lexicon:
                from scipy import sparse

                L = self._lexicon_columns(pipeline.flat(texts), len(texts))[0]  # (n, 4)
                self.lexicon_doc_freq_ = (L != 0).sum(axis=0).astype(np.int64)
                X = sparse.hstack([X, sparse.csr_matrix(L)], format="csr")
            lr = self._logistic_regression().fit(X, y)
            coef = lr.coef_.astype(np.float64)  # (1, F [+ 2]) for two classes, else (K, F [+ 2])
            self.coef_ = coef[:, : len(self.ngrams_)]
            self.lexicon_coef_ = coef[:, len(self.ngrams_) :] if self.lexicon else None
            self.intercept_ = lr.intercept_.astype(np.float64)
            self.ratios_ = None
            self.link_ = "sigmoid" if n_classes == 2 else "softmax"
        self._index = NgramIndex(self.ngrams_)
        self._effective = self._effective_weights()

    def _learn_lexicon(self) -> None:
        """Take VADER's tables now (they are saved with the model, so predicting never needs the package)."""
        self.lexicon_coef_ = self.lexicon_doc_freq_ = None
        self.lexicon_words_ = self.lexicon_valence_ = self.booster_words_ = self.booster_values_ = None
        if self.lexicon:
            from sentilab.models.lexicon import vader_lexicon

            valences, boosters = vader_lexicon()
            self.lexicon_words_, self.lexicon_valence_ = list(valences), np.fromiter(valences.values(), float)
            self.booster_words_, self.booster_values_ = list(boosters), np.fromiter(boosters.values(), float)
        self._lexicon_tables = None

    def _tables(self) -> tuple[dict, dict, frozenset]:
        """The lexicon as dicts (word -> valence, intensifier -> increment) and the intensifier tokens."""
        tables = getattr(self, "_lexicon_tables", None)
        if tables is None:
            boosters = dict(zip(self.booster_words_, self.booster_values_.tolist()))
            tables = (
                dict(zip(self.lexicon_words_, self.lexicon_valence_.tolist())),
                boosters,
                frozenset([*boosters, *(NEGATED + word for word in boosters)]),
            )
            self._lexicon_tables = tables
        return tables

    def _not_ngram_tokens(self) -> _Dropped | None:
        """Tokens the n-grams leave out: with the lexicon, intensifiers ("very", "slightly") act through it
        alone, so to the n-grams "very bad" is "bad" — neither diluted by "very" nor pulled toward the class
        "very" goes with in the training data — while its valence grows. With ``negation_cue_ngrams=false``
        the negation cues ("not", "wasn't") too: a negation then acts through the words it marks alone. None:
        every token counts."""
        words = self._tables()[2] if self.lexicon else frozenset()
        cues = self.negation and not self.negation_cue_ngrams
        return _Dropped(words, cues) if words or cues else None

    def _lexicon_columns(self, flat: list[str], n_texts: int):
        """``(L, v, text_of)``: the lexicon features (n_texts, 4), each token's valence and its text."""
        valences, boosters, _ = self._tables()
        v, text_of, is_word = token_valence(flat, valences, boosters, SEP)
        L = float(self.lexicon_weight) * valence_features(v, text_of, is_word, n_texts)  # (n_texts, 4)
        return L, v, text_of

    def _logistic_regression(self):
        from sklearn.linear_model import LogisticRegression

        # Newton-CG (Hessian-free, sparse mat-vecs only) converges in ~5-10 iterations on text; L-BFGS needs
        # 40-80 and its bookkeeping over ~10^5-10^6 weights then costs more than the mat-vecs (3x slower here).
        return LogisticRegression(
            C=float(self.C), class_weight=self.class_weight, max_iter=int(self.max_iter), solver="newton-cg"
        )

    def _fit_nbsvm(self, X, y: np.ndarray, n_classes: int) -> None:
        """One logistic regression per class on binary features scaled by that class's log-count ratios."""
        targets = [1] if n_classes == 2 else list(range(n_classes))
        alpha = float(self.nb_alpha)
        coefs, intercepts, ratios = [], [], []
        for target in targets:
            is_target = (y == target).astype(np.int64)
            p = alpha + np.asarray(X[is_target == 1].sum(axis=0)).ravel()  # (F,) smoothed counts in class
            q = alpha + np.asarray(X[is_target == 0].sum(axis=0)).ravel()  # (F,) ... outside it
            r = np.log((p / p.sum()) / (q / q.sum()))  # (F,) log-count ratio
            lr = self._logistic_regression().fit(X.multiply(r).tocsr(), is_target)
            w = lr.coef_.ravel().astype(np.float64)
            beta = float(self.nb_beta)
            if beta < 1.0:
                w = (1.0 - beta) * np.abs(w).mean() + beta * w
            coefs.append(w)
            intercepts.append(float(lr.intercept_[0]))
            ratios.append(r)
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.asarray(intercepts, dtype=np.float64)
        self.ratios_ = np.vstack(ratios)
        self.link_ = "sigmoid" if n_classes == 2 else "ovr"

    def _effective_weights(self) -> np.ndarray:
        """W (K', F) applied to the feature matrix: for NBSVM ``r ⊙ w`` folds the ratios in."""
        return self.coef_ * self.ratios_ if self.ratios_ is not None else self.coef_

    # ----------------------------------------------------------------- features
    def _weigh(self, counts):
        """Counts (CSR int) -> the feature matrix the coefficients apply to (CSR float64)."""
        X = counts.astype(np.float64)
        if self.features in ("binary", "nbsvm"):
            X.data[:] = 1.0
        elif self.features == "tfidf":
            if self.sublinear_tf:
                np.log(X.data, out=X.data)
                X.data += 1.0
            X.data *= self.idf_[X.indices]
            norms = np.sqrt(np.bincount(_row_index(X), weights=X.data**2, minlength=X.shape[0]))
            norms[norms == 0] = 1.0  # a text with no known n-gram keeps an all-zero row
            X.data /= np.repeat(norms, np.diff(X.indptr))
        return X

    def transform(self, texts) -> Any:
        """The feature matrix X (CSR float64, shape (n_texts, n_features)) the coefficients apply to."""
        from sentilab.models.base import check_texts

        self._check_fitted()
        texts = check_texts(texts)
        counts, _ = self._counts(texts)
        return self._weigh(counts)

    def _counts(self, texts: list[str]):
        """``(counts, (ids, text_of, columns, starts, orders, flat))``: ``flat`` has every token; ``ids`` and
        the n-gram positions skip those of :meth:`_not_ngram_tokens`."""
        flat = self._pipeline().flat(texts)
        drop = self._not_ngram_tokens()
        ids = self._index.token_ids(flat if drop is None else [t for t in flat if t not in drop])
        text_of, columns, starts, orders = self._index.pairs(ids)
        order = np.argsort(text_of, kind="stable")
        counts = _count_matrix(text_of[order], columns[order], len(texts), len(self.ngrams_))
        return counts, (ids, text_of, columns, starts, orders, flat)

    # ----------------------------------------------------------------- prediction
    def decision_function(self, texts) -> np.ndarray:
        """``D = X @ W.T + b`` (+ ``L @ V.T``): shape (n,) for two classes (log-odds of ``classes_[1]``), else
        (n, K)."""
        from sentilab.models.base import check_texts

        self._check_fitted()
        texts = check_texts(texts)
        starts = range(0, max(len(texts), 1), CHUNK)  # one (empty) chunk for no texts: shape (0, K')
        return np.concatenate([self._chunk_decision(texts[s : s + CHUNK]) for s in starts])

    def _chunk_decision(self, texts: list[str]) -> np.ndarray:
        counts, (_, _, _, _, _, flat) = self._counts(texts)
        scores = np.asarray(self._weigh(counts) @ self._effective.T) + self.intercept_  # (n, K')
        if self.lexicon_coef_ is not None:
            scores += self._lexicon_columns(flat, len(texts))[0] @ self.lexicon_coef_.T  # (n, 4) @ (4, K')
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.classes_)))
        out = []
        for start in range(0, len(texts), CHUNK):
            out.append(_link(self._chunk_decision(texts[start : start + CHUNK]), self.link_))
        return np.vstack(out)

    # ----------------------------------------------------------------- explanation
    def contributions(self, text: str, target=None) -> dict[str, Any]:
        """Exact additive explanation of one text for class ``target`` (default: the predicted class).

        Returns ``{"target", "decision", "intercept", "features", "tokens"}`` where ``features`` lists every
        n-gram present with its value ``x``, weight ``w`` and contribution ``x · w``, and ``tokens`` spreads
        each n-gram's contribution evenly over its occurrences and their tokens. Both sums plus the intercept
        equal ``decision``: the log-odds (two classes), the class logit (softmax) or the class's one-vs-rest
        decision value (NBSVM), as returned by :meth:`decision_function`.
        """
        from sentilab.models.base import check_texts

        self._check_fitted()
        if not isinstance(text, str):
            raise ModelError(f"contributions() explains one text (a string), got {type(text).__name__}")
        [text] = check_texts([text])
        labels = [str(c) for c in self.classes_]
        if target is None:
            target = labels[int(np.argmax(self.predict_proba([text])[0]))]
        if str(target) not in labels:
            raise ModelError(f"target {target!r} is not a class of this model ({', '.join(labels)})")
        klass = labels.index(str(target))
        counts, (ids, _, columns, starts, orders, flat) = self._counts([text])
        X = self._weigh(counts)
        flat = flat[:-1]  # drop the trailing separator
        drop = self._not_ngram_tokens() or frozenset()
        kept = np.asarray(
            [i for i, t in enumerate(flat) if t not in drop], dtype=np.int64
        )  # n-gram positions
        if self._effective.shape[0] == 1:  # two classes: one weight row for classes_[1]; flip for classes_[0]
            sign = 1.0 if klass == 1 else -1.0
            row = 0
        else:
            sign, row = 1.0, klass
        weights, intercept = sign * self._effective[row], sign * float(self.intercept_[row])
        present = X.indices  # one row: its columns
        values = X.data
        contrib = values * weights[present]
        features = [
            {
                "feature": " ".join(self.ngrams_[j]),
                "value": float(v),
                "weight": float(weights[j]),
                "contribution": float(c),
            }
            for j, v, c in zip(present, values, contrib)
        ]
        # Spread each feature's contribution over its occurrences (count) and each occurrence's tokens (order).
        per_column = dict(zip(present.tolist(), contrib.tolist()))
        occurrences = np.bincount(columns, minlength=len(self.ngrams_))
        token_scores = np.zeros(len(flat))
        for column, start, order in zip(columns.tolist(), starts.tolist(), orders.tolist()):
            share = per_column[column] / occurrences[column] / order
            token_scores[kept[start : start + order]] += share
        decision = intercept + float(contrib.sum())
        if self.lexicon_coef_ is not None:
            lexicon_features, lexicon_tokens = self._lexicon_contributions(
                flat, sign * self.lexicon_coef_[row]
            )
            features += lexicon_features
            token_scores += lexicon_tokens
            decision += sum(f["contribution"] for f in lexicon_features)
        return {
            "target": str(target),
            "decision": decision,
            "intercept": intercept,
            "features": sorted(features, key=lambda f: -abs(f["contribution"])),
            # A negated token is shown as written ("bad", not "¬bad"): its weight already says it was negated.
            "tokens": [
                {"token": t.removeprefix(NEGATED), "contribution": float(s)}
                for t, s in zip(flat, token_scores)
            ],
        }

    def _lexicon_contributions(self, flat: list[str], weights: np.ndarray) -> tuple[list[dict], np.ndarray]:
        """The four lexicon features of one text (tokens ``flat``) with ``weights`` (4,), and each token's share:
        a feature's contribution is spread over the tokens in proportion to their valence (exact: they sum)."""
        L, v, _ = self._lexicon_columns([*flat, SEP], 1)
        v = v[:-1]
        features, token_scores = [], np.zeros(len(flat))
        positive, negative = np.maximum(v, 0.0), np.maximum(-v, 0.0)
        for j, part in enumerate([positive, negative, positive, negative]):  # the terms of each feature
            value, weight = float(L[0, j]), float(weights[j])
            features.append(
                {
                    "feature": LEXICON_FEATURES[j],
                    "value": value,
                    "weight": weight,
                    "contribution": value * weight,
                }
            )
            if part.sum() > 0:  # the value is 0 when no token has valence of that sign: nothing to spread
                token_scores += value * weight * part / part.sum()
        return features, token_scores

    def feature_table(self, target=None):
        """``(names, weights (F,), doc_freq (F,))`` toward class ``target`` (default: ``classes_[-1]``)."""
        self._check_fitted()
        labels = [str(c) for c in self.classes_]
        target = labels[-1] if target is None else str(target)
        if target not in labels:
            raise ModelError(f"target {target!r} is not a class of this model ({', '.join(labels)})")
        klass = labels.index(target)
        sign, row = (1.0 if klass == 1 else -1.0, 0) if self._effective.shape[0] == 1 else (1.0, klass)
        names, weights, doc_freq = (
            [" ".join(g) for g in self.ngrams_],
            sign * self._effective[row],
            self.doc_freq_,
        )
        if self.lexicon_coef_ is not None:  # the four valence features, with the texts that have each
            names += list(LEXICON_FEATURES)
            weights = np.concatenate([weights, sign * self.lexicon_coef_[row]])
            doc_freq = np.concatenate([doc_freq, self.lexicon_doc_freq_])
        return names, weights, doc_freq

    # ----------------------------------------------------------------- persistence
    def _get_state(self):
        arrays = {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "doc_freq": self.doc_freq_.astype(np.int64),
        }
        if self.idf_ is not None:
            arrays["idf"] = self.idf_
        if self.ratios_ is not None:
            arrays["ratios"] = self.ratios_
        data = {
            "ngrams": [list(g) for g in self.ngrams_],
            "n_documents": self.n_documents_,
            "link": self.link_,
        }
        if self.lexicon_coef_ is not None:
            arrays.update(
                lexicon_coef=self.lexicon_coef_,
                lexicon_doc_freq=self.lexicon_doc_freq_,
                lexicon_valence=self.lexicon_valence_,
                booster_values=self.booster_values_,
            )
            data.update(lexicon_words=self.lexicon_words_, booster_words=self.booster_words_)
        return arrays, data

    def _set_state(self, arrays, data) -> None:
        try:
            self.ngrams_ = list(map(tuple, data["ngrams"]))
            self.n_documents_ = int(data["n_documents"])
            self.link_ = data["link"]
            self.coef_ = arrays["coef"]
            self.intercept_ = arrays["intercept"]
            self.doc_freq_ = arrays["doc_freq"]
        except (KeyError, TypeError) as exc:
            raise ModelError(f"this bow model directory is incomplete (missing {exc})") from None
        self.idf_ = arrays.get("idf")
        self.ratios_ = arrays.get("ratios")
        self._set_lexicon_state(arrays, data)
        n_features = len(self.ngrams_)
        if self.coef_.ndim != 2 or self.coef_.shape[1] != n_features or len(self.doc_freq_) != n_features:
            raise ModelError(
                f"this bow model is inconsistent: {n_features} n-grams in vocab.json but weights of shape "
                f"{self.coef_.shape}; re-save or retrain it"
            )
        if self.link_ not in ("sigmoid", "softmax", "ovr"):
            raise ModelError(f"unknown link {self.link_!r} in vocab.json")
        self._index = NgramIndex(self.ngrams_)
        self._effective = self._effective_weights()

    def _set_lexicon_state(self, arrays, data) -> None:
        self._lexicon_tables = None
        self.lexicon_coef_ = arrays.get("lexicon_coef")
        self.lexicon_doc_freq_ = arrays.get("lexicon_doc_freq")
        self.lexicon_valence_ = arrays.get("lexicon_valence")
        self.booster_values_ = arrays.get("booster_values")
        self.lexicon_words_ = data.get("lexicon_words")
        self.booster_words_ = data.get("booster_words")
        parts = [self.lexicon_coef_, self.lexicon_doc_freq_, self.lexicon_valence_, self.booster_values_]
        if bool(self.lexicon) != (self.lexicon_coef_ is not None) or (
            self.lexicon_coef_ is not None
            and (
                any(part is None for part in parts)
                or self.lexicon_words_ is None
                or self.booster_words_ is None
                or len(self.lexicon_words_) != len(self.lexicon_valence_)
                or len(self.booster_words_) != len(self.booster_values_)
                or self.lexicon_coef_.shape != (self.coef_.shape[0], len(LEXICON_FEATURES))
            )
        ):
            raise ModelError(
                f"this bow model's lexicon is incomplete or does not match lexicon={self.lexicon}; "
                "re-save or retrain it"
            )


def _link(scores: np.ndarray, link: str) -> np.ndarray:
    """Decision values -> probabilities (n, K)."""
    from scipy.special import expit, softmax

    if link == "sigmoid":
        p1 = expit(scores)
        return np.column_stack([1.0 - p1, p1])
    if link == "softmax":
        return softmax(scores, axis=1)
    p = expit(scores)  # one-vs-rest: normalise the K sigmoids (scikit-learn's OneVsRestClassifier)
    total = p.sum(axis=1, keepdims=True)
    return np.divide(p, total, out=np.full_like(p, 1.0 / p.shape[1]), where=total > 0)


# --------------------------------------------------------------------------- vocabulary learning
def _learn_vocabulary(texts, pipeline: TokenPipeline, lo: int, hi: int, *, min_df, max_df, max_features):
    """Count every n-gram of order lo..hi, keep the frequent ones; return (counts CSR, n-grams, doc_freq).

    Tokens become ids chunk by chunk (a dict sees each distinct token once per chunk); n-grams are found on
    integer keys with ``pandas.factorize`` over the whole corpus, so nothing loops per token in Python.
    """
    import pandas as pd
    from scipy import sparse
    from tqdm.auto import tqdm

    n_docs = len(texts)
    vocabulary: dict[str, int] = {SEP: 0}
    chunks = []
    progress = tqdm(
        total=n_docs,
        unit="texts",
        desc="tokenizing",
        disable=n_docs < 200_000 or not show_progress(),
        leave=False,
    )
    for start in range(0, n_docs, CHUNK * 5):
        flat = pipeline.flat(texts[start : start + CHUNK * 5])
        codes, uniques = pd.factorize(np.asarray(flat, dtype=object))
        setdefault = vocabulary.setdefault
        to_global = np.fromiter(
            (setdefault(u, len(vocabulary)) for u in uniques), dtype=np.int32, count=len(uniques)
        )
        chunks.append(to_global[codes])
        progress.update(min(CHUNK * 5, n_docs - start))
    progress.close()
    tokens = list(vocabulary)  # id -> token
    ids = np.concatenate(chunks)  # (n_tokens,) int32, 0 = separator
    del chunks
    is_sep = ids == 0
    text_of = (np.cumsum(is_sep, dtype=np.int32) - is_sep).astype(
        np.int32
    )  # (n_tokens,) text of each position
    del is_sep

    # Order-k nodes: every distinct k-gram; decode[k] maps a node to (prefix node, last token id). Each order's
    # count matrix is filtered by document frequency at once, so the many n-grams seen once never pile up.
    node = np.where(ids > 0, ids, -1).astype(np.int64)
    blocks, decode = [], []
    for k in range(hi):
        if k > 0:
            ok, keys = _node_keys(node[:-1], ids[k:])
            codes, uniques = pd.factorize(keys)
            del keys
            node = np.full(len(ok), -1, dtype=np.int64)
            node[ok] = codes
            del ok, codes
            decode.append(uniques)
            size = len(uniques)
        else:
            decode.append(None)
            size = len(tokens)
        if k + 1 < lo:
            continue
        hit = np.flatnonzero(node >= 0)
        matrix = _count_matrix(text_of[hit], node[hit], n_docs, size)
        del hit
        df = np.bincount(matrix.indices, minlength=size)  # documents containing each node
        mask = (df >= min_df) & (df <= max_df * n_docs)
        if k == 0:
            mask[0] = False  # the separator is no feature
        candidates = np.flatnonzero(mask)
        remap = np.full(size, -1, dtype=np.int64)
        remap[candidates] = np.arange(len(candidates))
        matrix = _select_columns(matrix, remap, len(candidates))
        tf = np.bincount(matrix.indices, weights=matrix.data, minlength=len(candidates))  # total count
        blocks.append((k, matrix, candidates, df[candidates], tf))
    del ids, node, text_of

    if max_features is not None and sum(len(b[2]) for b in blocks) > max_features:
        # Most frequent first; ties keep the lower order, then first appearance (stable sort): deterministic.
        all_tf = np.concatenate([b[4] for b in blocks])
        chosen = np.zeros(len(all_tf), dtype=bool)
        chosen[np.argsort(-all_tf, kind="stable")[:max_features]] = True
        offsets = np.cumsum([0, *(len(b[2]) for b in blocks)])
        trimmed = []
        for i, (k, matrix, candidates, df, tf) in enumerate(blocks):
            keep = np.flatnonzero(chosen[offsets[i] : offsets[i + 1]])
            remap = np.full(len(candidates), -1, dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            trimmed.append(
                (k, _select_columns(matrix, remap, len(keep)), candidates[keep], df[keep], tf[keep])
            )
        blocks = trimmed
    if sum(len(b[2]) for b in blocks) == 0:
        raise ModelError(
            f"no n-gram occurs in at least min_df={min_df} of the {n_docs:,} training texts",
            hint="lower min_df (e.g. --set min_df=1) or train on more texts",
        )

    # Columns: by order, then first appearance; the blocks sit side by side.
    ngrams: list[tuple[str, ...]] = []
    for k, _, nodes, _, _ in blocks:
        ngrams.extend(_decode_ngrams(nodes, k, decode, tokens))
    counts = sparse.hstack([b[1] for b in blocks], format="csr")
    return counts, ngrams, np.concatenate([b[3] for b in blocks]).astype(np.int64)


def _select_columns(matrix, remap: np.ndarray, n_cols: int):
    """Keep the columns with ``remap >= 0`` (renumbered to ``remap``), without SciPy's slower fancy indexing."""
    from scipy import sparse

    new = remap[matrix.indices]
    keep = new >= 0
    rows = _row_index(matrix)[keep]
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=matrix.shape[0]), out=indptr[1:])
    return sparse.csr_matrix(
        (matrix.data[keep], new[keep].astype(np.int32), indptr), shape=(matrix.shape[0], n_cols)
    )


def _decode_ngrams(nodes: np.ndarray, k: int, decode: list, tokens: list[str]) -> list[tuple[str, ...]]:
    """Token tuples of order-(k+1) nodes, following prefix links down to the token ids."""
    columns = []
    current = nodes.astype(np.int64)
    for level in range(k, 0, -1):
        keys = decode[level][current]
        columns.append(keys & _LOW)
        current = keys >> _SHIFT
    columns.append(current)
    token_ids = np.column_stack(columns[::-1])  # (n, k + 1)
    strings = np.asarray(tokens, dtype=object)[token_ids]
    return list(map(tuple, strings.tolist()))
