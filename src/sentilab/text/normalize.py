"""Composable text normalizers.

Each step is a plain ``str -> str`` function registered by name; a :class:`Normalizer` applies a chosen
sequence in order. The default order matters: HTML first (so ``&amp;`` and ``<br />`` never reach the later
steps), placeholders before lowercasing would not matter, punctuation last (it would break URLs).

>>> Normalizer(["html", "lowercase", "placeholders", "squeeze"])("Sooooo GOOD<br />see http://x.co @bob")
'soo good see <url> <user>'
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence

from sentilab.errors import unknown_choice

URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
USER_RE = re.compile(r"(?<![\w@])@\w{1,30}")
# A markup tag starts with a letter, after an optional "/" or "!": "<br />", "</p>", "<!DOCTYPE html>".
# Requiring the letter keeps text such as "<3 you >" (an unescaped "&lt;3 you &gt;"); the lookahead keeps
# sentilab's own placeholders ("<url>") whatever order the steps run in.
TAG_RE = re.compile(r"<(?!(?:url|user|num)>)[/!]?[A-Za-z][^<>]{0,200}>")
# Letters only: digits repeat legitimately ("$1000" must not become "$100").
REPEAT_RE = re.compile(r"([^\W\d_])\1{2,}")
PUNCT_RE = re.compile(r"[^\w\s<>']+|(?<!\w)'|'(?!\w)")
SPACE_RE = re.compile(r"\s+")

URL_TOKEN = "<url>"
USER_TOKEN = "<user>"

# A compact English stop-word list written for this project. Negations ("not", "no", "nor", "never", "n't")
# are deliberately *kept*: removing them flips sentiment ("not good" -> "good"), the classic tutorial's bug.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "o",
        "re",
        "ve",
        "y",
    ]
)


def lowercase(text: str) -> str:
    """Lower-case everything (placeholders such as ``<url>`` are already lower case)."""
    return text.lower()


def strip_html(text: str) -> str:
    """Unescape entities (``&amp;`` -> ``&``) and replace tags such as ``<br />`` with a space.

    Only real tags go (see ``TAG_RE``): tweets escape hearts as ``&lt;3``, and "I &lt;3 you &gt;.&lt;" must
    keep its words.
    """
    return TAG_RE.sub(" ", html.unescape(text))


def placeholders(text: str) -> str:
    """Replace URLs with ``<url>`` and @mentions with ``<user>``: they carry no sentiment, only sparsity."""
    return USER_RE.sub(USER_TOKEN, URL_RE.sub(URL_TOKEN, text))


def squeeze_repeats(text: str) -> str:
    """Squeeze letters repeated more than twice to two: ``soooo`` -> ``soo`` (keeps ``good``, ``too``)."""
    return REPEAT_RE.sub(r"\1\1", text)


def remove_stop_words(text: str) -> str:
    """Drop common function words (negations are kept, see ``STOP_WORDS``)."""
    return " ".join(word for word in text.split() if word.lower() not in STOP_WORDS)


def remove_punctuation(text: str) -> str:
    """Drop punctuation but keep apostrophes inside words (``don't``) and placeholders (``<url>``)."""
    return SPACE_RE.sub(" ", PUNCT_RE.sub(" ", text)).strip()


def collapse_spaces(text: str) -> str:
    """Collapse runs of whitespace to one space and strip the ends."""
    return SPACE_RE.sub(" ", text).strip()


STEPS: dict[str, Callable[[str], str]] = {
    "html": strip_html,
    "lowercase": lowercase,
    "placeholders": placeholders,
    "squeeze": squeeze_repeats,
    "stopwords": remove_stop_words,
    "punctuation": remove_punctuation,
    "spaces": collapse_spaces,
}

#: What sentilab applies unless told otherwise: safe for every model (no stop words, punctuation kept).
DEFAULT_STEPS = ("html", "lowercase", "placeholders", "squeeze", "spaces")


class Normalizer:
    """Apply named normalization steps in order; callable on one text, ``map`` for many.

    Parameters
    ----------
    steps:
        Names from :data:`STEPS` (or callables), applied left to right.
    """

    def __init__(self, steps: Sequence[str | Callable[[str], str]] = DEFAULT_STEPS):
        self.steps = list(steps)
        self._functions = []
        for step in self.steps:
            if callable(step):
                self._functions.append(step)
            elif step in STEPS:
                self._functions.append(STEPS[step])
            else:
                raise unknown_choice("normalization step", step, STEPS)

    def __call__(self, text: str) -> str:
        for function in self._functions:
            text = function(text)
        return text

    def map(self, texts: Iterable[str]) -> list[str]:
        return [self(text) for text in texts]

    def __repr__(self) -> str:
        names = [s if isinstance(s, str) else getattr(s, "__name__", repr(s)) for s in self.steps]
        return f"Normalizer({names!r})"


def normalize(text: str, steps: Sequence[str] = DEFAULT_STEPS) -> str:
    """Normalize one text with the given steps (see :class:`Normalizer`)."""
    return Normalizer(steps)(text)
