"""Paragraph splitting: sentence-aware, exact offsets, nothing lost, bounded size, streaming = whole text."""

from __future__ import annotations

import io
import re
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentilab.errors import DataError
from sentilab.text.paragraphs import (
    LONGEST_GAP,
    LONGEST_WORD,
    count_words,
    iter_paragraphs,
    max_words,
    split_paragraphs,
    split_sentences,
)


def sentences_of(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def sentence(number: int, length: int, mark: str = ".") -> str:
    """A sentence of exactly ``length`` words whose first word names it, e.g. 'S7 w w w.'"""
    return " ".join([f"S{number}"] + ["w"] * (length - 1)) + mark


def check_invariants(text: str, paragraphs, words: int) -> None:
    """What every split must satisfy, whatever the text."""
    assert all(text[p.start : p.end] == p.text for p in paragraphs), "offsets must slice out the text"
    assert all(p.text.strip() == p.text and p.text for p in paragraphs), "no empty or space-padded paragraph"
    assert [p.index for p in paragraphs] == list(range(len(paragraphs)))
    assert all(a.end <= b.start for a, b in zip(paragraphs, paragraphs[1:])), "ordered, non-overlapping"
    # Full coverage: every non-whitespace character is in exactly one paragraph, in order.
    assert "".join(text.split()) == "".join("".join(p.text.split()) for p in paragraphs)
    bound = max_words(words)
    assert all(1 <= p.words <= bound for p in paragraphs)
    assert all(len(p.text.split()) <= p.words for p in paragraphs)


# ----------------------------------------------------------------------------- sentences
def test_exclamation_and_question_marks_end_sentences():
    assert sentences_of("We won! Did they lose? Yes. Good") == ["We won!", "Did they lose?", "Yes.", "Good"]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    text = 'He said "we will win." Then he left. (It rained.) They cheered!” Next'
    assert sentences_of(text) == [
        'He said "we will win."',
        "Then he left.",
        "(It rained.)",
        "They cheered!”",
        "Next",
    ]


def test_abbreviations_initials_acronyms_and_lowercase_continuations_do_not_end_sentences():
    text = (
        "Mr. Smith met John F. Kennedy in the U.S. Senate at 5 p.m. today. Dr. Who came, e.g. by car. Done."
    )
    assert sentences_of(text) == [
        "Mr. Smith met John F. Kennedy in the U.S. Senate at 5 p.m. today.",
        "Dr. Who came, e.g. by car.",
        "Done.",
    ]


def test_glued_sentences_from_transcripts_are_separated():
    text = "Thank you so much.Thank you. I love our country.”I’ve said so!Really"
    assert sentences_of(text) == [
        "Thank you so much.",
        "Thank you.",
        "I love our country.”",
        "I’ve said so!",
        "Really",
    ]
    assert count_words("so much.Thank you") == 4
    # ... but not decimals, acronyms or file names.
    assert sentences_of("It costs $3.50 in the U.S.A today, see notes.txt please.") == [
        "It costs $3.50 in the U.S.A today, see notes.txt please."
    ]


def test_a_blank_line_ends_a_sentence_even_without_punctuation():
    assert sentences_of("A heading\n\nThe body text.") == ["A heading", "The body text."]


# ----------------------------------------------------------------------------- paragraphs
def test_the_last_sentence_is_kept():
    # The classic tutorial dropped whatever followed the last full paragraph, and a final sentence
    # without a full stop. Here both would be lost.
    text = " ".join(sentence(i, 12) for i in range(20)) + " Thank you and God bless America"
    paragraphs = split_paragraphs(text, words=50)
    check_invariants(text, paragraphs, 50)
    assert paragraphs[-1].text.endswith("Thank you and God bless America")


def test_cuts_fall_between_sentences_and_sizes_stay_near_the_target():
    text = " ".join(sentence(i, 10 + (i * 7) % 15) for i in range(60))  # sentences of 10..24 words
    paragraphs = split_paragraphs(text, words=100)
    check_invariants(text, paragraphs, 100)
    sentence_texts = set(sentences_of(text))
    for paragraph in paragraphs:
        assert set(sentences_of(paragraph.text)) <= sentence_texts, "a sentence was cut in two"
    sizes = [p.words for p in paragraphs]
    assert all(70 <= size <= 130 for size in sizes[:-1]), sizes
    assert sum(sizes) == count_words(text)


def test_cuts_at_exclamation_and_question_marks():
    text = "We won the big game today! Did they really lose the match? Nobody knows the answer yet."
    paragraphs = split_paragraphs(text, words=5)
    assert [p.text for p in paragraphs] == [
        "We won the big game today!",
        "Did they really lose the match?",
        "Nobody knows the answer yet.",
    ]


def test_blank_line_paragraphs_are_respected_when_near_the_target_and_merged_when_small():
    long_paragraphs = [
        " ".join(sentence(10 * k + i, 10) for i in range(8)) for k in range(3)
    ]  # 80 words each
    text = "\n\n".join(long_paragraphs)
    assert [p.text for p in split_paragraphs(text, words=100)] == long_paragraphs

    small = [sentence(i, 20) for i in range(10)]  # 20-word source paragraphs are merged five at a time
    text = "\n\n".join(small)
    paragraphs = split_paragraphs(text, words=100)
    assert [p.text for p in paragraphs] == ["\n\n".join(small[:5]), "\n\n".join(small[5:])]


def test_a_blank_line_beats_a_sentence_end_slightly_closer_to_the_target():
    first = " ".join(sentence(i, 10) for i in range(7))  # 70 words, then a blank line
    second = " ".join(sentence(10 + i, 10) for i in range(10))  # sentence ends at 80, 90, 100 ... words
    text = first + "\n\n" + second
    assert split_paragraphs(text, words=100)[0].text == first


def test_a_document_shorter_than_the_bound_stays_whole_and_a_closing_line_is_not_orphaned():
    text = " ".join(sentence(i, 11) for i in range(11)) + " Thank you."  # 123 words
    assert [p.text for p in split_paragraphs(text, words=100)] == [text]


def test_a_short_closing_line_after_a_blank_line_joins_the_last_paragraph():
    # 2016 convention transcript layout: a paragraph break at 102 words, then a 7-word closing line.
    body = "\n\n".join(" ".join(sentence(10 * k + i, 17) for i in range(2)) for k in range(3))  # 102 words
    text = body + "\n\nDONALD TRUMP WILL MAKE AMERICA GREAT AGAIN!"
    assert [p.text for p in split_paragraphs(text, words=100)] == [text]


def test_a_long_sentence_without_punctuation_is_still_split_by_words():
    text = " ".join(f"w{i}" for i in range(1000))
    paragraphs = split_paragraphs(text, words=100)
    check_invariants(text, paragraphs, 100)
    assert [p.words for p in paragraphs] == [100] * 10


def test_clause_and_line_breaks_are_preferred_inside_a_long_sentence():
    text = ", ".join(" ".join(["w"] * 25) for _ in range(8))  # 200 words, commas every 25
    paragraphs = split_paragraphs(text, words=100)
    check_invariants(text, paragraphs, 100)
    assert all(p.text.endswith(",") for p in paragraphs[:-1])


def test_real_speech_layout_single_newlines_and_glued_sentences():
    text = (
        "Thank you. Thank you so much.Thank you.\nMichelle, I love you so much. \n"
        + "\n".join(sentence(i, 14) for i in range(30))
        + "\nGod bless you"
    )
    paragraphs = split_paragraphs(text, words=100)
    check_invariants(text, paragraphs, 100)
    assert paragraphs[0].text.startswith("Thank you. Thank you so much.Thank you.")
    assert paragraphs[-1].text.endswith("God bless you")
    # single newlines after a full stop are the preferred cuts in this layout
    assert all(text[p.end : p.end + 1] == "\n" for p in paragraphs[:-1])


def test_empty_and_blank_documents_give_no_paragraphs():
    assert split_paragraphs("") == []
    assert split_paragraphs(" \n\t\n ") == []


def test_tiny_targets_still_cover_everything():
    text = "One. Two three! Four five six? Seven"
    for words in (1, 2, 3):
        check_invariants(text, split_paragraphs(text, words), words)
    assert [p.text for p in split_paragraphs(text, 1)] == [
        "One.",
        "Two",
        "three!",
        "Four",
        "five",
        "six?",
        "Seven",
    ]


@pytest.mark.parametrize("words", [0, -5, 2.5, "100", True])
def test_bad_word_counts_are_refused(words):
    with pytest.raises(DataError, match="words must be a positive whole number"):
        split_paragraphs("some text", words)


def test_non_text_input_is_refused_with_a_hint():
    with pytest.raises(DataError, match="expects a string"):
        split_paragraphs(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="decode it first"):
        list(iter_paragraphs(b"bytes"))
    with pytest.raises(DataError, match="text mode"):
        list(iter_paragraphs(io.BytesIO(b"bytes in a binary file")))


# ----------------------------------------------------------------------------- safety valves
def test_a_giant_word_is_cut_into_bounded_pieces():
    blob = "x" * (2 * LONGEST_WORD + 500)
    text = f"Before it. {blob} after it."
    paragraphs = split_paragraphs(text, words=2)
    check_invariants(text, paragraphs, 2)
    assert max(len(p.text) for p in paragraphs) <= 2 * LONGEST_WORD + 1
    chunked = list(iter_paragraphs([text[i : i + 333] for i in range(0, len(text), 333)], words=2))
    assert chunked == paragraphs


def test_a_huge_whitespace_run_ends_a_paragraph():
    text = "one two" + " " * (LONGEST_GAP + 1) + "three four"
    paragraphs = split_paragraphs(text, words=100)
    assert [p.text for p in paragraphs] == ["one two", "three four"]
    assert paragraphs[1].start == len(text) - len("three four")
    chunked = list(iter_paragraphs([text[i : i + 97] for i in range(0, len(text), 97)], words=100))
    assert chunked == paragraphs


# ----------------------------------------------------------------------------- streaming
def test_streaming_from_a_file_object_gives_global_offsets():
    text = "\n\n".join(" ".join(sentence(10 * k + i, 9) for i in range(12)) for k in range(5))
    from_file = list(iter_paragraphs(io.StringIO(text), words=40))
    assert from_file == split_paragraphs(text, words=40)
    assert all(text[p.start : p.end] == p.text for p in from_file)
    assert from_file[-1].end == len(text)


SPEECH_BLOCK = (
    "My fellow citizens, tonight we gather once more! Are we ready for the work ahead? "
    "We are ready, and we will not rest until the job is done.\nThank you.\n\n"
)
LONG_SENTENCES_BLOCK = (
    "Tonight we promise to build a future where every family in this great country can find good work and a "
    "fair wage. Together we will keep that promise for our children and for their children after them\n\n"
)


def generated_document(block: str, size: int, piece: int, produced: list[int]):
    """A long document, produced piece by piece so that it never exists in memory as a whole.

    ``produced[0]`` counts the characters handed out so far.
    """
    repeated = block * (piece // len(block) + 2)
    while produced[0] < size:
        start = produced[0] % len(block)
        chunk = repeated[start : start + min(piece, size - produced[0])]
        produced[0] += len(chunk)
        yield chunk


def test_a_stream_is_read_lazily_and_holds_at_most_a_chunk_and_a_paragraph():
    size, piece, produced = 1_000_000, 8192, [0]
    text_start = SPEECH_BLOCK * 20
    previous_end = 0
    count = 0
    for paragraph in iter_paragraphs(generated_document(SPEECH_BLOCK, size, piece, produced), words=100):
        # Characters read but not yet handed back as paragraphs: bounded by one read chunk plus the
        # words still waiting for a decision (at most max_words(100) words of this text).
        assert produced[0] - paragraph.end <= piece + 2 * len(SPEECH_BLOCK) * 4
        assert paragraph.start >= previous_end
        if paragraph.end <= len(text_start):
            assert text_start[paragraph.start : paragraph.end] == paragraph.text  # offsets are global
        previous_end = paragraph.end
        count += 1
    assert produced[0] == size and count > 1000
    assert previous_end == len((SPEECH_BLOCK * (size // len(SPEECH_BLOCK) + 1))[:size].rstrip())


def test_a_multi_megabyte_document_streams_in_bounded_memory():
    size, produced = 2_000_000, [0]
    tracemalloc.start()
    try:
        count = words_seen = 0
        for paragraph in iter_paragraphs(
            generated_document(LONG_SENTENCES_BLOCK, size, 16384, produced), 100
        ):
            count += 1
            words_seen += paragraph.words
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert produced[0] == size and count > 3000 and words_seen > 350_000
    assert peak < size / 20, f"peak {peak:,} bytes while streaming a {size:,}-character document"


# ----------------------------------------------------------------------------- properties
WORDS = st.sampled_from(
    [
        "We",
        "won",
        "the",
        "vote",
        "Mr.",
        "U.S.",
        "F.",
        "e.g.",
        "so",
        "much.Thank",
        "country.”I’ve",
        "3.50",
        "—",
        "-",
        "yes,",
        "no;",
        "wait:",
        "(really)",
        "“quoted”",
        "end.",
        "end!",
        "end?",
        "end…",
        "Ünïcödé",
        "日本語。",
        "emoji🙂",
        "a",
        "I",
        "x" * 30,
    ]
)
SPACES = st.sampled_from(
    [" ", " ", " ", "  ", "\n", "\n\n", "\t", " \n \n ", "\r\n", "\r\n\r\n", "\u2029", "\xa0"]
)


@st.composite
def documents(draw):
    if draw(st.booleans()):
        return draw(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
    words = draw(st.lists(WORDS, max_size=300))
    gaps = draw(st.lists(SPACES, min_size=len(words) + 1, max_size=len(words) + 1))
    return "".join(gap + word for gap, word in zip(gaps, words)) + gaps[-1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents(), words=st.integers(1, 40))
def test_property_offsets_coverage_no_empty_bounded(text, words):
    check_invariants(text, split_paragraphs(text, words), words)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents(), words=st.integers(1, 40), cuts=st.lists(st.integers(0, 400), max_size=12))
def test_property_streaming_equals_whole_text_for_any_chunking(text, words, cuts):
    points = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    chunks = [text[a:b] for a, b in zip(points, points[1:])]
    assert list(iter_paragraphs(chunks, words)) == split_paragraphs(text, words)


@settings(max_examples=60, deadline=None)
@given(text=documents())
def test_property_sentences_cover_the_text(text):
    spans = split_sentences(text)
    assert "".join(text.split()) == "".join("".join(text[a:b].split()) for a, b in spans)
    assert all(re.match(r"\S", text[a:b]) and text[a:b] == text[a:b].strip() for a, b in spans)
