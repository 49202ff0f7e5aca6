"""Split long documents into paragraphs of about N words, sentence-aware, with exact character offsets.

>>> [p.text for p in split_paragraphs("We won! Did we? Yes. Thank you", words=4)]
['We won! Did we?', 'Yes. Thank you']

Every paragraph is a slice of the input: ``text[p.start:p.end] == p.text``. No word is ever lost (the
classic speeches tutorial dropped the last sentence of every speech), no paragraph is empty, and no
paragraph has more than ``max_words(words)`` = ceil(1.5 × words) words, even for a document without a single
full stop.

How a cut is chosen
-------------------
The text is read as a stream of words (runs of non-space characters). Between two words lies a *break*,
ranked by how natural a place it is to end a paragraph:

==============  ======================================================  =======
break           between two words when ...                              penalty
==============  ======================================================  =======
paragraph       the space between them holds a blank line                  0.0
line+sentence   a sentence ends and a new line starts                      0.2
sentence        a sentence ends (``.`` ``!`` ``?`` ``…``, see below)       0.35
line            a new line starts without sentence punctuation             0.7
clause          the word ends in ``,`` ``;`` ``:`` or a dash               0.8
word            anything else                                             1.2
==============  ======================================================  =======

Whenever more than ``max_words`` words are waiting, the cut goes after word ``p`` (1 <= p <= max_words) that
minimises ``|p - words| / words + penalty(break after p)``, and the rest waits for the next paragraph. So a
blank line 40 % short of the target beats a sentence end right on it, and a sentence end anywhere from 15 %
to 150 % of the target beats cutting a sentence in two. At the end of the document the end itself is a
candidate with penalty 0, and a cut there also pays for the paragraph it would leave behind, so a speech
of 120 words stays one paragraph and a closing "Thank you." is never left on its own. Small paragraphs
of the source are merged; large ones are cut at their sentences.

Sentences: ``!`` and ``?`` always end one; ``.`` and ``…`` end one unless the next word starts in lower
case or the word is an abbreviation (``Mr.``, ``Dr.``, ``St.``), an initial (``John F. Kennedy``) or a
dotted acronym (``U.S.``, ``a.m.``). Closing quotes and brackets after the mark belong to the sentence
(``he said "no." Then``). Transcripts often glue sentences together (``so much.Thank you``,
``country.”I’ve``): a word like that is read as two words with a sentence break between them.

Bounded memory
--------------
:func:`iter_paragraphs` reads a file or any iterable of string chunks and yields paragraphs as soon as they
are decided, holding at most about ``max_words`` words (plus one read chunk) in memory. Offsets stay global
character offsets into the whole stream. Two safety valves keep memory bounded on hostile input: a "word"
longer than ``LONGEST_WORD`` characters is cut into pieces of that length, and a run of more than
``LONGEST_GAP`` whitespace characters ends a paragraph like the end of a document would.
:func:`split_paragraphs` is the same code fed the whole string, so both give identical paragraphs for any
chunking.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import IO

from sentilab.errors import DataError

#: A "word" longer than this many characters (a URL gone wrong, base64) is cut into pieces this long.
LONGEST_WORD = 1000
#: A run of more whitespace characters than this between two words ends the paragraph (a hard break).
LONGEST_GAP = 1000
#: How many characters :func:`iter_paragraphs` reads from a file object at a time.
READ_CHARS = 1 << 16


class Break(IntEnum):
    """What lies between two words; higher is a more natural place to end a paragraph."""

    WORD = 0
    CLAUSE = 1
    LINE = 2
    SENTENCE = 3
    LINE_SENTENCE = 4
    PARAGRAPH = 5
    HARD = 6  # start of the document, or a whitespace run longer than LONGEST_GAP: always a cut


#: Cost of ending a paragraph at each kind of break (see the module docstring's table).
PENALTY = {
    Break.WORD: 1.2,
    Break.CLAUSE: 0.8,
    Break.LINE: 0.7,
    Break.SENTENCE: 0.35,
    Break.LINE_SENTENCE: 0.2,
    Break.PARAGRAPH: 0.0,
    Break.HARD: 0.0,
}

#: Lower-cased words that end in a full stop without ending a sentence.
ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "sen", "rep", "gov", "lt",
        "col", "capt", "cmdr", "sgt", "adm", "rev", "hon", "pres", "supt", "messrs", "mme", "mlle", "vs", "cf",
        "approx", "dept", "est", "fig", "no", "nos", "vol", "pp", "ed", "eds", "op",
    }
)  # fmt: skip

_SENTENCE_MARKS = ".!?…‽。！？"
_CLOSERS = "\"'”’»)]}"
_OPENERS = "\"'“‘«([{"
_CLAUSE_MARKS = ",;:—–"
_DASHES = frozenset({"-", "--", "—", "–", "---"})
_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # U.S, a.m, e.g, i.e (the final dot already removed)
# Sentences glued together without a space: "much.Thank", "country.”I’ve", "you!Thank" -> cut after the
# mark (and its closing quote) when a lower-case letter or digit precedes it and a capitalised word follows.
_GLUED = re.compile(
    r"(?<=[a-zà-öø-ÿ0-9][.!?])(?=[\"“]?[A-Z][a-zà-öø-ÿ’'])"
    r"|(?<=[a-zà-öø-ÿ0-9][.!?][\"”’')\]])(?=[\"“]?[A-Z][a-zà-öø-ÿ’'\s])"
)


@dataclass(frozen=True)
class Paragraph:
    """A slice of a document: ``document[start:end] == text``; ``index`` counts from 0 per document."""

    text: str
    start: int
    end: int
    index: int
    words: int  # words as the splitter counts them (whitespace-separated; glued sentences count as two)


def max_words(words: int) -> int:
    """The hard upper bound on the words in one paragraph when the target is ``words``."""
    return math.ceil(1.5 * words)


def check_words(words) -> int:
    """``words`` as an int, or a DataError saying what is allowed."""
    if isinstance(words, bool) or not isinstance(words, numbers.Integral) or words < 1:
        raise DataError(f"words must be a positive whole number of words per paragraph, got {words!r}")
    return int(words)


# ----------------------------------------------------------------------------- breaks between words
def _ends_sentence(word: str, next_word: str) -> bool:
    """Whether ``word`` (followed by ``next_word``) ends a sentence."""
    core = word.rstrip(_CLOSERS)
    if not core or core[-1] not in _SENTENCE_MARKS:
        return False
    marks = len(core) - len(core.rstrip(_SENTENCE_MARKS))
    if any(mark in "!?‽！？" for mark in core[-marks:]):
        return True  # "!" and "?" always end a sentence
    following = next_word.lstrip(_OPENERS)[:1]
    if following.islower():
        return False  # "e.g. this", "3 p.m. tomorrow", "etc. and so on"
    if marks == 1 and core[-1] == ".":
        stem = core[:-1].lstrip(_OPENERS)
        if stem.lower() in ABBREVIATIONS or _ACRONYM.fullmatch(stem):
            return False
        if len(stem) == 1 and stem.isupper():
            return False  # an initial: "John F. Kennedy"
    return True


def _classify(word: str, gap: str, next_word: str) -> Break:
    """The break between ``word`` and ``next_word`` separated by the whitespace ``gap``."""
    if gap == " ":  # the common case, decided without looking at newlines
        last = word[-1]
        if last.isalnum() and next_word not in _DASHES:
            return Break.WORD
        newlines = 0
    else:
        gap = gap.replace("\r\n", "\n").replace("\r", "\n")
        newlines = gap.count("\n") + gap.count("\u2028")
        if newlines >= 2 or "\u2029" in gap or "\x0c" in gap:
            return Break.PARAGRAPH
    if _ends_sentence(word, next_word):
        return Break.LINE_SENTENCE if newlines else Break.SENTENCE
    if newlines:
        return Break.LINE
    if word.rstrip(_CLOSERS)[-1:] in _CLAUSE_MARKS or next_word in _DASHES or word in _DASHES:
        return Break.CLAUSE
    return Break.WORD


# ----------------------------------------------------------------------------- the scanner
#: At most this many plain words are matched as one run (bounds the text held while a run may continue).
RUN_WORDS = 64
# A plain word has no sentence mark and ends in a letter or digit, so the break after it is a WORD break
# whenever a single space and another plain word follow. Runs of plain words are handled as one unit,
# which makes scanning several times faster than word by word; any other word is a unit of its own.
_PLAIN = rf"[^\s.!?]{{0,{LONGEST_WORD - 1}}}[^\W_](?!\S)"
_UNIT = re.compile(rf"({_PLAIN}(?: {_PLAIN}){{0,{RUN_WORDS - 1}}})|\S{{1,{LONGEST_WORD}}}")


@dataclass(slots=True)
class _Unit:
    """One word, or a run of plain words separated by single spaces (all WORD breaks inside)."""

    start: int  # global offset of the first character
    end: int
    text: str
    before: Break  # the break between the previous unit and this one
    gap: str  # the whitespace between the previous unit and this one ("" after a HARD break)
    words: int


def _split_glued(start: int, text: str) -> list[tuple[int, str]]:
    pieces, last = [], 0
    for match in _GLUED.finditer(text):
        if 0 < match.start() < len(text):
            pieces.append((start + last, text[last : match.start()]))
            last = match.start()
    pieces.append((start + last, text[last:]))
    return pieces


def _scan(chunks: Iterable[str]) -> Iterator[_Unit]:
    """The units of the concatenated ``chunks`` with global offsets and the break before each.

    Decisions never depend on where the chunks are cut: a unit touching the end of the buffer waits for
    the next chunk (except a full LONGEST_WORD piece of a longer word, which is final whatever follows),
    words longer than LONGEST_WORD are matched in pieces counted from their first character, and a
    whitespace run is judged by its length alone.
    """
    buffer = ""  # text from the end of the last emitted unit onward
    offset = 0  # global offset of buffer[0]
    previous = ""  # the last word emitted
    hard = True  # the next unit follows a HARD break (document start, or a whitespace run > LONGEST_GAP)

    def consume(final: bool) -> Iterator[_Unit]:
        nonlocal buffer, offset, previous, hard
        consumed = 0  # buffer[:consumed] is done with
        for match in _UNIT.finditer(buffer):
            start, end = match.span()
            gap = buffer[consumed:start]
            run = match.group(1)
            if end == len(buffer) and not final and (run is not None or end - start < LONGEST_WORD):
                if len(gap) > LONGEST_GAP:  # the unit may go on in the next chunk; its gap is decided
                    hard, consumed = True, start
                break
            text = match.group()
            if hard or len(gap) > LONGEST_GAP:
                before, gap = Break.HARD, ""
            elif not gap:
                before = Break.WORD  # the next piece of a word longer than LONGEST_WORD
            elif gap == " " and previous[-1].isalnum() and text not in _DASHES:
                before = Break.WORD  # the common case, decided fast
            else:
                before = _classify(previous, gap, text.split(" ", 1)[0] if run else text)
            if run is not None:
                yield _Unit(offset + start, offset + end, text, before, gap, text.count(" ") + 1)
                previous = text[text.rfind(" ") + 1 :]
            elif (
                end - start < LONGEST_WORD
                and (gap or before == Break.HARD)  # a whole word, not a piece of a longer one
                and ("." in text or "!" in text or "?" in text)
                and _GLUED.search(text) is not None
            ):
                for number, (piece_start, piece) in enumerate(_split_glued(offset + start, text)):
                    if number:
                        before, gap = Break.SENTENCE, ""
                    yield _Unit(piece_start, piece_start + len(piece), piece, before, gap, 1)
                    previous = piece
            else:
                yield _Unit(offset + start, offset + end, text, before, gap, 1)
                previous = text
            hard, consumed = False, end
        else:
            if len(buffer) - consumed > LONGEST_GAP:  # only whitespace is left, and too much of it
                hard, consumed = True, len(buffer)
        buffer = buffer[consumed:]
        offset += consumed

    for chunk in chunks:
        if not isinstance(chunk, str):
            raise DataError(
                f"expected text chunks (str) but got {type(chunk).__name__}",
                hint="open files in text mode: open(path, encoding='utf-8')",
            )
        if chunk:
            buffer += chunk
            yield from consume(final=False)
    yield from consume(final=True)


# ----------------------------------------------------------------------------- choosing the cuts
_PENALTY_BY_BREAK = [PENALTY[kind] for kind in sorted(Break)]


class _Packer:
    """Groups units into paragraphs (see "How a cut is chosen" in the module docstring)."""

    def __init__(self, words: int):
        self.target = words
        self.limit = max_words(words)
        self.pending: list[_Unit] = []
        self.pending_words = 0
        self.index = 0
        # cost of a paragraph of p words, before the penalty of the break that ends it: |p - target| / target
        self.distance = [abs(p - words) / words for p in range(self.limit + 1)]

    def add(self, unit: _Unit) -> Iterator[Paragraph]:
        if unit.before == Break.HARD:
            yield from self.flush()
        self.pending.append(unit)
        self.pending_words += unit.words
        # A decision needs the break after word `limit`, i.e. word limit + 1 must have arrived.
        while self.pending_words > self.limit:
            yield self.emit(self.best_cut(at_end=False))

    def flush(self) -> Iterator[Paragraph]:
        while self.pending:
            yield self.emit(self.best_cut(at_end=True))

    def best_cut(self, *, at_end: bool) -> int:
        """How many of the pending words the next paragraph takes: the p <= limit of least cost."""
        pending, distance, penalty = self.pending, self.distance, _PENALTY_BY_BREAK
        target, limit, total = self.target, self.limit, self.pending_words

        def cost(p: int, after: Break | None) -> float:
            """Cost of cutting after word p (``after`` is None for the end of the document)."""
            if after is None:
                return distance[p]  # the end of the document is a perfect break
            # At the end of the document the words after a cut become the last paragraph: count their cost
            # too, so that a closing line is not left on its own (at the end, total <= limit always holds).
            rest = distance[total - p] if at_end and total - p <= limit else 0.0
            return distance[p] + penalty[after] + rest

        best, best_cost = 0, math.inf
        done = 0  # words before the current unit
        for number, unit in enumerate(pending):
            if unit.words > 1:  # cuts inside a run: the WORD break nearest the target is its best
                low, high = done + 1, min(done + unit.words - 1, limit)
                if low <= high:
                    p = min(max(target, low), high)
                    p_cost = cost(p, Break.WORD)
                    if p_cost <= best_cost:  # ties go to the longer paragraph (fewer, fuller paragraphs)
                        best, best_cost = p, p_cost
            done += unit.words
            if done > limit:
                break
            if number + 1 < len(pending):
                p_cost = cost(done, pending[number + 1].before)
            elif at_end:
                p_cost = cost(done, None)
            else:
                break
            if p_cost <= best_cost:
                best, best_cost = done, p_cost
        return best

    def emit(self, count: int) -> Paragraph:
        pending, taken, done = self.pending, 0, 0
        while taken < len(pending) and done + pending[taken].words <= count:
            done += pending[taken].words
            taken += 1
        units, rest = pending[:taken], pending[taken:]
        if done < count:  # the cut falls inside a run: split it after its (count - done)-th word
            run, inside = rest[0], count - done
            cut = -1
            for _ in range(inside):
                cut = run.text.index(" ", cut + 1)
            units.append(_Unit(run.start, run.start + cut, run.text[:cut], run.before, run.gap, inside))
            rest[0] = _Unit(
                run.start + cut + 1, run.end, run.text[cut + 1 :], Break.WORD, " ", run.words - inside
            )
        parts = [units[0].text]
        for unit in units[1:]:
            parts.append(unit.gap)
            parts.append(unit.text)
        paragraph = Paragraph("".join(parts), units[0].start, units[-1].end, self.index, count)
        self.pending, self.pending_words = rest, self.pending_words - count
        self.index += 1
        return paragraph


# ----------------------------------------------------------------------------- public API
def _chunks_of(source) -> Iterable[str]:
    if isinstance(source, str):
        return (source,)
    if isinstance(source, (bytes, bytearray)):
        raise DataError("expected text but got bytes", hint="decode it first, e.g. data.decode('utf-8')")
    read = getattr(source, "read", None)
    if callable(read):
        return iter(lambda: read(READ_CHARS), "")
    try:
        return iter(source)
    except TypeError:
        raise DataError(
            f"expected text, a text file or an iterable of strings, got {type(source).__name__}"
        ) from None


def iter_paragraphs(source: str | IO[str] | Iterable[str], words: int = 100) -> Iterator[Paragraph]:
    """Paragraphs of about ``words`` words from a string, a text file object or an iterable of string chunks.

    Memory stays bounded by about ``max_words(words)`` words plus one chunk, whatever the document's size;
    ``start``/``end`` are character offsets into the whole stream.
    """
    packer = _Packer(check_words(words))
    for unit in _scan(_chunks_of(source)):
        if unit.before == Break.HARD or packer.pending_words + unit.words > packer.limit:
            yield from packer.add(unit)
        else:  # nothing to decide yet (the common case, kept free of generator overhead)
            packer.pending.append(unit)
            packer.pending_words += unit.words
    yield from packer.flush()


def split_paragraphs(text: str, words: int = 100) -> list[Paragraph]:
    """Split ``text`` into sentence-aware paragraphs of about ``words`` words (see the module docstring)."""
    if not isinstance(text, str):
        raise DataError(f"split_paragraphs expects a string, got {type(text).__name__}")
    return list(iter_paragraphs(text, words))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every sentence in ``text`` by the same rules the paragraph splitter uses."""
    if not isinstance(text, str):
        raise DataError(f"split_sentences expects a string, got {type(text).__name__}")
    spans: list[tuple[int, int]] = []
    start = end = None
    for unit in _scan((text,)):  # sentence breaks never fall inside a unit
        if start is not None and unit.before >= Break.SENTENCE:
            spans.append((start, end))
            start = None
        if start is None:
            start = unit.start
        end = unit.end
    if start is not None:
        spans.append((start, end))
    return spans


def count_words(text: str) -> int:
    """Words as the splitter counts them (glued sentences such as ``much.Thank`` count as two)."""
    return sum(unit.words for unit in _scan((text,)))


__all__ = [
    "Break",
    "Paragraph",
    "check_words",
    "count_words",
    "iter_paragraphs",
    "max_words",
    "split_paragraphs",
    "split_sentences",
]
