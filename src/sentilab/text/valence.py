"""Lexicon valence of a whole batch of tokens at once, with VADER's rules for negation, intensifiers and "but".

VADER (Hutto & Gilbert 2014) scores one text at a time in Python (about 25k short texts/s). Here the same
kind of score is computed for a flat token list of many texts with NumPy, so it can be a feature of a model
that predicts 100k texts/s. For token ``i`` of a text, with lexicon valence ``L`` (0 for unknown words)::

    boost_i = b(t_{i-1}) + 0.95 · b(t_{i-2})               b: intensifier table ("very" +0.293, "slightly" -0.293)
    v_i     = (L_i + sign(L_i) · boost_i) · n_i · m_i
    n_i     = -0.74 when t_i is inside a negation scope (marked by sentilab.text.tokenize.mark_negation), else 1
    m_i     = 0.5 before a "but" of the same text, 1.5 after it, 1 in a text without "but" (but_weights);
              a word an elliptical cue negates takes m of the cue's position ("..., but it was not": 1.5)

The constants are VADER's (``N_SCALAR``, ``B_INCR``, its "but" weights); the scope of a negation is
sentilab's, read from the marks of :func:`sentilab.text.tokenize.mark_negation` (the one definition, which
bow's n-grams see too): up to the next punctuation, not VADER's three words, so "not bad at all" and "I don't
think it was bad" both flip "bad"; and an elliptical cue that ends its clause ("I feared it would be bad. It
wasn't."; "they said it was great, but it was not") flips what came before it. Unmarked tokens (a pipeline
without ``negation``) are never flipped. A text's valence is split into its positive part
``P = Σ max(v_i, 0)`` and its negative part ``N = Σ max(-v_i, 0)``, each squashed like VADER's compound: ``P / sqrt(P² + 15)`` in [0, 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sentilab.text.tokenize import NEGATED, closes_scope, is_negation_cue

#: VADER's scale for a negated word's valence ("not good" = -0.74 × good).
NEGATION_SCALE = -0.74
#: VADER's weights of the words before and after "but" ("good food but awful service" leans negative).
BEFORE_BUT, AFTER_BUT = 0.5, 1.5
#: VADER's normaliser of its compound score ``S / sqrt(S² + α)``.
ALPHA = 15.0
#: Weight of the intensifier two tokens back ("really very good"), as in VADER.
SECOND_BOOST = 0.95


def token_valence(
    flat: Sequence[str], lexicon: Mapping[str, float], boosters: Mapping[str, float], separator: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(v, text_of, is_word)``, each (n_tokens,): the valence of every token of a flat batch, the text it
    belongs to, and whether it is a word that counts towards a text's length (not punctuation, not the
    separator, not an intensifier: "very good" is no more diluted than "good").

    ``flat`` is every text's tokens, each text followed by ``separator`` (as ``TokenPipeline.flat`` gives
    them, with negation marks); ``lexicon`` maps lower-case words to valences (VADER: -4..+4) and
    ``boosters`` maps intensifiers to increments. Each distinct token is looked up once.
    """
    import pandas as pd

    n = len(flat)
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    codes, uniques = pd.factorize(np.asarray(flat, dtype=object))  # (n,), distinct tokens
    words = [u.removeprefix(NEGATED) for u in uniques.tolist()]
    negated = np.fromiter((u.startswith(NEGATED) for u in uniques.tolist()), dtype=bool, count=len(uniques))
    # Negation cues carry no valence of their own here: their effect is the flip of the words they scope.
    base = np.fromiter(
        (0.0 if is_negation_cue(w) else lexicon.get(w, 0.0) for w in words),
        dtype=np.float64,
        count=len(words),
    )
    boost = np.fromiter((boosters.get(w, 0.0) for w in words), dtype=np.float64, count=len(words))
    is_sep = np.fromiter((u == separator for u in uniques.tolist()), dtype=bool, count=len(uniques))
    is_but = np.fromiter((w == "but" for w in words), dtype=bool, count=len(words))
    is_word = np.fromiter((len(w) > 1 or w.isalnum() for w in words), dtype=bool, count=len(words))
    is_word &= ~is_sep

    sep = is_sep[codes]  # (n,)
    text_of = np.cumsum(sep) - sep  # (n,) separators before each position = its text
    level = base[codes]  # (n,) L_i
    b = boost[codes]
    shifted = np.zeros(n)  # boost_i from the two tokens before i, never across a separator
    shifted[1:] += np.where(text_of[1:] == text_of[:-1], b[:-1], 0.0)
    shifted[2:] += SECOND_BOOST * np.where(text_of[2:] == text_of[:-2], b[:-2], 0.0)
    v = (level + np.sign(level) * shifted) * np.where(negated[codes], NEGATION_SCALE, 1.0)

    weight = but_weights(is_but[codes], text_of)
    weight = _weigh_ellipses(weight, codes, words, negated, sep, text_of)
    return v * weight, text_of, is_word[codes] & (boost[codes] == 0)


def but_weights(is_but: np.ndarray, text_of: np.ndarray) -> np.ndarray:
    """VADER's "but" rule, the one definition (the lexicon valence and bow's ``but_weights`` use it):
    (n,) weight of each position of a flat batch, :data:`BEFORE_BUT` before a "but" of its own text,
    :data:`AFTER_BUT` after one, 1 in a text without "but". ``is_but`` and ``text_of`` are (n,), ``text_of``
    non-decreasing (each position's text)."""
    if len(is_but) == 0:
        return np.zeros(0)
    n_texts = int(text_of[-1]) + 1
    buts_before = np.cumsum(is_but) - is_but  # "but"s before each position, over the whole batch
    first_of_text = np.searchsorted(text_of, np.arange(n_texts))  # (n_texts,) first position of each text
    first_of_text = np.minimum(first_of_text, len(text_of) - 1)  # a text with no position is never read
    buts_before = buts_before - buts_before[first_of_text][text_of]  # ... within its own text
    has_but = np.bincount(text_of, weights=is_but, minlength=n_texts) > 0
    return np.where(buts_before > 0, AFTER_BUT, np.where(has_but[text_of], BEFORE_BUT, 1.0))


def _weigh_ellipses(weight, codes, words, negated, sep, text_of) -> np.ndarray:
    """A word negated by an elliptical cue takes the "but" weight of that cue's clause: "they said it would
    be bad, but it was not" means "but it was not bad", so "bad" is weighed as said after the "but".

    A marked word with no cue before it in its own clause was marked by an elliptical cue (see
    :func:`sentilab.text.tokenize.mark_negation`, whose two predicates are reused here): the next
    elliptical cue of its text."""
    is_cue = np.fromiter((is_negation_cue(w) for w in words), dtype=bool, count=len(words)) & ~negated
    ends = np.fromiter((closes_scope(w) for w in words), dtype=bool, count=len(words))
    cue, end = is_cue[codes], ends[codes] | sep  # (n,)
    elliptical = np.flatnonzero(cue & np.append(end[1:], True))  # positions of the elliptical cues
    if elliptical.size == 0:
        return weight
    clause = np.cumsum(end) - end  # (n,) clause of each position (an end token starts the next count)
    cues_upto = np.cumsum(cue)
    clause_first = np.searchsorted(clause, clause)  # first position of each position's clause
    cue_before = cues_upto - cue - (cues_upto[clause_first] - cue[clause_first]) > 0  # in a forward scope
    nxt = np.minimum(np.searchsorted(elliptical, np.arange(len(codes))), elliptical.size - 1)
    target = elliptical[nxt]  # (n,) the next elliptical cue (or the last one)
    by_ellipsis = negated[codes] & ~cue_before & (target >= np.arange(len(codes)))
    by_ellipsis &= text_of[target] == text_of
    return np.where(by_ellipsis, weight[target], weight)


def squash(total: np.ndarray) -> np.ndarray:
    """``x / sqrt(x² + α)``: a sum of valences (>= 0) mapped into [0, 1), as VADER's compound."""
    return total / np.sqrt(total * total + ALPHA)


def valence_features(v: np.ndarray, text_of: np.ndarray, is_word: np.ndarray, n_texts: int) -> np.ndarray:
    """The four lexicon features of each text, (n_texts, 4): ``squash(P)``, ``squash(N)``, and VADER's "pos"
    and "neg" shares ``P / (P + N + Z)``, ``N / (P + N + Z)`` with ``Z`` the number of words without valence
    (``P = Σ max(v, 0)``, ``N = Σ max(-v, 0)`` over the text's tokens). The shares tell a long factual
    sentence with one charged word from a short charged one."""
    positive = np.bincount(text_of, weights=np.maximum(v, 0.0), minlength=n_texts)  # (n_texts,)
    negative = np.bincount(text_of, weights=np.maximum(-v, 0.0), minlength=n_texts)
    plain_words = np.bincount(text_of, weights=is_word & (v == 0), minlength=n_texts)
    total = np.maximum(positive + negative + plain_words, 1.0)  # an empty text: 0 / 1
    return np.column_stack([squash(positive), squash(negative), positive / total, negative / total])
