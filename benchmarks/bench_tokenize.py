"""Tokenizer throughput: sentilab's ``basic_english`` against the classic twelve-regex loop, plus ``tweet``.

    python benchmarks/bench_tokenize.py            # 100,000 generated tweet-like texts, best of 3
    python benchmarks/bench_tokenize.py --texts 20000 --repeat 5

The classic approach (torchtext's ``basic_english``) lower-cases a text and then applies twelve regex
substitutions one after another, in a Python loop, per text. It is written out here from its rules (the
patterns precompiled, as torchtext did, so the comparison is fair). sentilab computes the same tokens with
two ``str.replace`` calls and one ``str.translate``; the benchmark checks that every output is identical
before it reports a speed. Goal: >= 3x.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from collections.abc import Callable

from sentilab.text.tokenize import classic_basic_english as naive_basic_english

# --------------------------------------------------------------------------- the classic approach

# --------------------------------------------------------------------------- tweet-like texts
_WORD_TEXT = (
    "i you it the a to and is in my me for of on that this so just not be have at with was but day "
    "today good love like go get now work got can lol time u all know want going one back one really "
    "need new see still well night home think some more oh off great happy sad miss tired bad sorry "
    "hate sick feel hope tomorrow morning tonight week weekend fun nice best amazing awful thanks "
    "twitter school movie phone rain sleep bed music song friends everyone haha yay ugh wish "
    "don't can't i'm it's won't didn't isn't that's you're i've i'll wasn't couldn't"
)
_WORDS = _WORD_TEXT.split()
_EMOTICONS = [":)", ":(", ":-)", ";)", ":D", ":P", ":/", "<3", "xD", ":'(", "=)"]
_ENTITIES = ["&quot;", "&amp;", "&lt;3", "&gt;"]
_PUNCT = ["!", "!!", "?", "...", ",", ".", "!?", ":", ";", "(", ")"]


def tweet_like_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` texts that look like tweets: mentions, URLs, hashtags, emoticons, entities, elongations, quotes."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts: list[str] = []
        if rng.random() < 0.3:
            parts.append(f"@user{rng.randrange(100_000)}")
        for _ in range(rng.randint(3, 22)):
            word = rng.choice(_WORDS)
            roll = rng.random()
            if roll < 0.04:
                word = word.capitalize()
            elif roll < 0.06:
                word = word.upper()
            elif roll < 0.08 and len(word) > 2:
                word = word[:-1] + word[-1] * rng.randint(3, 7)  # "sooooo"
            parts.append(word)
            roll = rng.random()
            if roll < 0.12:
                parts[-1] += rng.choice(_PUNCT)
            elif roll < 0.14:
                parts.append(rng.choice(_ENTITIES))
            elif roll < 0.15:
                parts[-1] = f'"{parts[-1]}"'
        if rng.random() < 0.15:
            parts.append(rng.choice(_EMOTICONS))
        if rng.random() < 0.1:
            parts.append(f"#{rng.choice(_WORDS).replace(chr(39), '')}{rng.randrange(100)}")
        if rng.random() < 0.1:
            parts.append(f"http://bit.ly/{rng.randrange(36**5):x}")
        if rng.random() < 0.02:
            parts.insert(rng.randrange(len(parts)), "<br />")
        texts.append(" ".join(parts))
    return texts


# --------------------------------------------------------------------------- timing
def best_time(function: Callable[[str], list[str]], texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            function(text)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=100_000, help="generated texts (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tokenizer; the best counts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from sentilab.text import Normalizer, get_tokenizer

    texts = tweet_like_texts(args.texts, args.seed)
    basic = get_tokenizer("basic_english")
    tweet = get_tokenizer("tweet")
    normalizer = Normalizer()

    mismatches = [t for t in texts if basic(t) != naive_basic_english(t)]
    if mismatches:
        raise SystemExit(
            f"basic_english differs from the classic rules on {len(mismatches)} texts, e.g. {mismatches[0]!r}"
        )

    def tweet_normalized(text: str) -> list[str]:
        return tweet(normalizer(text))

    candidates = [
        ("classic: 12 regex subs per text (naive)", naive_basic_english),
        ("sentilab basic_english", basic),
        ("sentilab tweet", tweet),
        ("sentilab default normalizer + tweet", tweet_normalized),
    ]
    tokens = sum(len(basic(t)) for t in texts)
    print(
        f"{len(texts):,} tweet-like texts (seed {args.seed}), {tokens:,} basic_english tokens; best of {args.repeat} runs"
    )
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} (one thread)"
    )
    print("basic_english output identical to the classic rules on every text: yes\n")
    header = f"{'tokenizer':<42} {'texts/s':>12} {'µs/text':>9} {'vs naive':>9}"
    print(header)
    print("-" * len(header))
    naive_seconds = None
    for name, function in candidates:
        seconds = best_time(function, texts, args.repeat)
        naive_seconds = naive_seconds or seconds
        print(
            f"{name:<42} {len(texts) / seconds:>12,.0f} {1e6 * seconds / len(texts):>9.2f} "
            f"{naive_seconds / seconds:>8.2f}x"
        )
    print("\ngoal: sentilab basic_english >= 3x the naive classic loop")


if __name__ == "__main__":
    main()
