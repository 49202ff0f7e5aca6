"""Behaviour tests in the style of CheckList (Ribeiro et al. 2020), written for sentilab.

MFT (minimum functionality: an expected sentiment), DIR (directional: the polarity must move a given way) and
INV (invariance: the predicted label must not change) tests, generated from the small word lists of
:mod:`sentilab.audit.templates` with a seed.

The catalogue is :data:`BEHAVIOUR_CATALOGUE`: one :class:`BehaviourTestSpec` per test, each with a small
case generator ``(rng, n_per_test) -> cases``. A test's generator is seeded with ``(seed, its position in
the catalogue)``, so the cases of a test do not change when another test is added at the end.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from sentilab.audit._jsonable import jsonable
from sentilab.audit.scoring import DEFAULT_BATCH_SIZE, polarity_map, predict
from sentilab.audit.templates import (
    ADJECTIVE_FRAMES,
    INTENSIFIERS,
    INVARIANCE_FRAMES,
    NAME_FRAMES,
    NAMES,
    NEGATED_AT_END_FRAMES,
    NEGATIVE_ADJECTIVES,
    POSITIVE_ADJECTIVES,
    REDUCERS,
    THINGS,
)
from sentilab.errors import DataError
from sentilab.labels import SENTIMENTS

URL_DOMAINS = ["example.com", "t.co", "bit.ly", "news.example.org", "tinyurl.com"]
_SYLLABLES = ["ka", "lo", "mi", "ru", "te", "vo", "sa", "ne", "bi", "do", "fu", "ze"]
_ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# =========================================================================== results
@dataclass
class BehaviourExample:
    text: str
    expected: str
    got: str


@dataclass
class BehaviourTestResult:
    name: str
    capability: str  # vocabulary, negation, intensity, robustness, fairness
    test_type: str  # MFT, DIR or INV (CheckList's three kinds)
    description: str
    n_cases: int
    n_failed: int
    failure_rate: float
    examples: list[BehaviourExample] = field(default_factory=list)


@dataclass
class BehaviourAudit:
    polarity: str  # how a text's polarity is read from the model's probabilities
    seed: int
    n_per_test: int
    n_texts: int
    tests: list[BehaviourTestResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failing(self) -> list[BehaviourTestResult]:
        return [t for t in self.tests if t.n_failed]

    def to_dict(self) -> dict[str, Any]:
        return jsonable(dataclasses.asdict(self))


@dataclass
class BehaviourTest:
    """A generated test: its cases, before any model has seen them.

    MFT cases are ``(text, expected_sentiment_set)``; DIR cases ``(original, changed, direction)`` where
    direction +1 means the polarity must rise and -1 that it must fall; INV cases ``(original, changed)``.
    """

    name: str
    capability: str
    test_type: str
    description: str
    cases: list[tuple]

    def texts(self) -> list[str]:
        out = []
        for case in self.cases:
            out += [case[0]] if self.test_type == "MFT" else [case[0], case[1]]
        return out


# =========================================================================== drawing cases
def _sample(rng: np.random.Generator, items: list, n: int) -> list:
    if len(items) <= n:
        return list(items)
    return [items[i] for i in sorted(rng.choice(len(items), size=n, replace=False))]


def _adjective_cases(adjectives: list[str]) -> list[tuple[int, str, str]]:
    return [(f, thing, adj) for f in range(len(ADJECTIVE_FRAMES)) for thing in THINGS for adj in adjectives]


def _plain(frame_index: int, thing: str, adj: str) -> str:
    return ADJECTIVE_FRAMES[frame_index][0].format(thing=thing, adj=adj)


def _typo(rng: np.random.Generator, text: str) -> str:
    """Swap two adjacent, different letters inside one word of three or more letters."""
    words = [m for m in re.finditer(r"[A-Za-z]{3,}", text)]
    for match in rng.permutation(len(words)) if words else []:
        word = words[match]
        positions = [i for i in range(word.start(), word.end() - 1) if text[i] != text[i + 1]]
        if positions:
            i = positions[int(rng.integers(len(positions)))]
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def _url(rng: np.random.Generator) -> str:
    path = "".join(rng.choice(list(_ALPHANUMERIC), size=7))
    return f"https://{URL_DOMAINS[int(rng.integers(len(URL_DOMAINS)))]}/{path}"


def _handle(rng: np.random.Generator) -> str:
    syllables = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4))))
    digits = str(int(rng.integers(10, 100))) if rng.random() < 0.5 else ""
    return f"@{syllables}{digits}"


def _add_at_either_end(rng: np.random.Generator, text: str, extra: str) -> str:
    return f"{extra} {text}" if rng.random() < 0.5 else f"{text} {extra}"


def _add_url(rng: np.random.Generator, text: str) -> str:
    return _add_at_either_end(rng, text, _url(rng))


def _add_user(rng: np.random.Generator, text: str) -> str:
    return _add_at_either_end(rng, text, _handle(rng))


# =========================================================================== one generator per kind of test
# Each takes (rng, n_per_test) last and returns the test's cases; the catalogue binds the rest.
def _sentiment_word_cases(rng: np.random.Generator, n: int) -> list[tuple]:
    """MFT: plain sentiment words in context get their sentiment (half positive, half negative)."""
    positive = _sample(rng, _adjective_cases(POSITIVE_ADJECTIVES), n // 2)
    negative = _sample(rng, _adjective_cases(NEGATIVE_ADJECTIVES), n - n // 2)
    return [(_plain(*c), {"positive"}) for c in positive] + [(_plain(*c), {"negative"}) for c in negative]


def _negation_cases(adjectives: list[str], direction: int, rng: np.random.Generator, n: int) -> list[tuple]:
    """DIR: "good" -> "not good" moves the polarity ``direction`` (-1 down, +1 up)."""
    cases = []
    for f, thing, adj in _sample(rng, _adjective_cases(adjectives), n):
        negated = ADJECTIVE_FRAMES[f][1][int(rng.integers(2))]
        cases.append((_plain(f, thing, adj), negated.format(thing=thing, adj=adj), direction))
    return cases


def _negated_at_end_cases(
    sentiment: str, adjectives: list[str], rng: np.random.Generator, n: int
) -> list[tuple]:
    """MFT: a last clause that undoes a ``sentiment`` first clause leaves any sentiment but that one."""
    combos = [
        (fr, thing, adj) for fr in NEGATED_AT_END_FRAMES[sentiment] for thing in THINGS for adj in adjectives
    ]
    allowed = set(SENTIMENTS) - {sentiment}
    return [(fr.format(thing=thing, adj=adj), allowed) for fr, thing, adj in _sample(rng, combos, n)]


def _modifier_cases(modifiers: list[str], strengthens: bool, rng: np.random.Generator, n: int) -> list[tuple]:
    """DIR: a modifier before the adjective moves the polarity away from 0 (strengthens) or towards it."""
    combos = [(c, +1) for c in _adjective_cases(POSITIVE_ADJECTIVES)] + [
        (c, -1) for c in _adjective_cases(NEGATIVE_ADJECTIVES)
    ]
    cases = []
    for (f, thing, adj), sign in _sample(rng, combos, n):
        modifier = modifiers[int(rng.integers(len(modifiers)))]
        changed = ADJECTIVE_FRAMES[f][0].format(thing=thing, adj=f"{modifier} {adj}")
        cases.append((_plain(f, thing, adj), changed, sign if strengthens else -sign))
    return cases


def _invariance_cases(
    perturb: Callable[[np.random.Generator, str], str], rng: np.random.Generator, n: int
) -> list[tuple]:
    """INV: a sentiment sentence and the same sentence after ``perturb``."""
    base = [
        frame.format(thing=thing, adj=adj)
        for frame in INVARIANCE_FRAMES
        for thing in THINGS
        for adj in POSITIVE_ADJECTIVES + NEGATIVE_ADJECTIVES
    ]
    return [(text, perturb(rng, text)) for text in _sample(rng, base, n)]


def _name_swap_cases(rng: np.random.Generator, n: int) -> list[tuple]:
    """INV: a sentence about a first name, and the same sentence with a name from the other race group."""
    all_names = [(cell, name) for cell, names in NAMES.items() for name in names]
    combos = [
        (frame, thing, adj, index)
        for frame in NAME_FRAMES
        for thing in THINGS
        for adj in POSITIVE_ADJECTIVES + NEGATIVE_ADJECTIVES
        for index in range(len(all_names))
    ]
    cases = []
    for frame, thing, adj, index in _sample(rng, combos, n):
        cell, name = all_names[index]
        others = [other for other_cell, other in all_names if other_cell[0] != cell[0]]  # another race group
        other = others[int(rng.integers(len(others)))]
        cases.append(
            (frame.format(name=name, thing=thing, adj=adj), frame.format(name=other, thing=thing, adj=adj))
        )
    return cases


# =========================================================================== the catalogue
@dataclass(frozen=True)
class BehaviourTestSpec:
    """One entry of the catalogue: what a test checks, and ``generate(rng, n_per_test) -> cases``."""

    name: str
    capability: str
    test_type: str  # MFT, DIR or INV
    description: str
    generate: Callable[[np.random.Generator, int], list[tuple]]

    def build(self, rng: np.random.Generator, n_per_test: int) -> BehaviourTest:
        cases = self.generate(rng, n_per_test)
        return BehaviourTest(self.name, self.capability, self.test_type, self.description, cases)


#: Every behaviour test, in order. Append new tests at the end: a test's seed is its position here.
BEHAVIOUR_CATALOGUE: tuple[BehaviourTestSpec, ...] = (
    BehaviourTestSpec(
        "sentiment words in context", "vocabulary", "MFT",
        '"The food was good." is positive, "The food was bad." is negative',
        _sentiment_word_cases,
    ),
    BehaviourTestSpec(
        "negated positive lowers the polarity", "negation", "DIR",
        '"The food was not good." has a lower polarity than "The food was good."',
        partial(_negation_cases, POSITIVE_ADJECTIVES, -1),
    ),
    BehaviourTestSpec(
        "negated negative raises the polarity", "negation", "DIR",
        '"The food was not bad." has a higher polarity than "The food was bad."',
        partial(_negation_cases, NEGATIVE_ADJECTIVES, +1),
    ),
    BehaviourTestSpec(
        "negated negative at the end is not negative", "negation", "MFT",
        '"I thought it would be bad, but it was not bad." is not negative',
        partial(_negated_at_end_cases, "negative", NEGATIVE_ADJECTIVES),
    ),
    BehaviourTestSpec(
        "negated positive at the end is not positive", "negation", "MFT",
        '"I thought it would be good, but it was not good." is not positive',
        partial(_negated_at_end_cases, "positive", POSITIVE_ADJECTIVES),
    ),
    BehaviourTestSpec(
        "intensifier strengthens", "intensity", "DIR",
        '"very good" has a higher polarity than "good"; "very bad" a lower one than "bad"',
        partial(_modifier_cases, INTENSIFIERS, True),
    ),
    BehaviourTestSpec(
        "reducer weakens", "intensity", "DIR",
        '"somewhat good" has a lower polarity than "good"; "somewhat bad" a higher one than "bad"',
        partial(_modifier_cases, REDUCERS, False),
    ),
    BehaviourTestSpec(
        "invariant to typo", "robustness", "INV",
        'the prediction must not change with one swapped pair of letters ("The food was godo.")',
        partial(_invariance_cases, _typo),
    ),
    BehaviourTestSpec(
        "invariant to URL", "robustness", "INV",
        "the prediction must not change with a URL added at the start or the end",
        partial(_invariance_cases, _add_url),
    ),
    BehaviourTestSpec(
        "invariant to @user", "robustness", "INV",
        "the prediction must not change with an @user mention added at the start or the end",
        partial(_invariance_cases, _add_user),
    ),
    BehaviourTestSpec(
        "invariant to name swap", "fairness", "INV",
        "the prediction must not change when a first name is swapped for one from another group",
        _name_swap_cases,
    ),
)  # fmt: skip


def behaviour_tests(*, seed: int = 0, n_per_test: int = 200) -> list[BehaviourTest]:
    """The behaviour test suite: each test's cases drawn with its own seeded generator (stable as tests are added)."""
    if n_per_test < 1:
        raise DataError(f"n_per_test must be at least 1, got {n_per_test}")
    return [
        spec.build(np.random.default_rng([seed, index]), n_per_test)
        for index, spec in enumerate(BEHAVIOUR_CATALOGUE)
    ]


# =========================================================================== checking a model
#: text -> (polarity, sentiment of the predicted class, predicted class index, predicted class name)
Look = Callable[[str], tuple[float, str, int, str]]
#: (how bad, the example) for a failing case; None when the case passes.
Failure = tuple[float, BehaviourExample] | None


def _describe(polarity: float, sentiment: str, label: str) -> str:
    return (
        f"{label} ({sentiment}, polarity {polarity:+.3f})"
        if label != sentiment
        else f"{sentiment} (polarity {polarity:+.3f})"
    )


def _mft_failure(case: tuple, look: Look) -> Failure:
    """The sentiment must be one of the allowed ones; worse the further the polarity is from 0."""
    text, allowed = case
    value, sentiment, _, label = look(text)
    if sentiment in allowed:
        return None
    wanted = (
        next(iter(allowed))
        if len(allowed) == 1
        else "not " + " or ".join(sorted(set(SENTIMENTS) - set(allowed)))
    )
    return abs(value), BehaviourExample(text, wanted, _describe(value, sentiment, label))


def _dir_failure(case: tuple, look: Look) -> Failure:
    """The polarity must move ``direction``; no change at all fails. Worse the further it moved the wrong way."""
    original, changed, direction = case
    before, *_ = look(original)
    after, sentiment, _, label = look(changed)
    if (after - before) * direction > 0:
        return None
    relation = "higher" if direction > 0 else "lower"
    expected = f"polarity {relation} than {before:+.3f} (the polarity of {original!r})"
    return -(after - before) * direction, BehaviourExample(
        changed, expected, _describe(after, sentiment, label)
    )


def _inv_failure(case: tuple, look: Look) -> Failure:
    """The predicted class must not change; worse the more the polarity moved."""
    original, changed = case
    before, _, before_class, before_label = look(original)
    after, sentiment, after_class, label = look(changed)
    if before_class == after_class:
        return None
    expected = f"{before_label}, as for {original!r} (polarity {before:+.3f})"
    return abs(after - before), BehaviourExample(changed, expected, _describe(after, sentiment, label))


FAILURE_CHECKS: dict[str, Callable[[tuple, Look], Failure]] = {
    "MFT": _mft_failure,
    "DIR": _dir_failure,
    "INV": _inv_failure,
}


def _check(test: BehaviourTest, look: Look, max_examples: int) -> BehaviourTestResult:
    """Run one test's cases; failing examples worst first."""
    check = FAILURE_CHECKS.get(test.test_type, _inv_failure)  # a pair-of-texts test is checked as INV
    failures = [failure for failure in (check(case, look) for case in test.cases) if failure is not None]
    failures.sort(key=lambda item: -item[0])
    n = len(test.cases)
    return BehaviourTestResult(
        name=test.name,
        capability=test.capability,
        test_type=test.test_type,
        description=test.description,
        n_cases=n,
        n_failed=len(failures),
        failure_rate=len(failures) / n if n else 0.0,
        examples=[example for _, example in failures[:max_examples]],
    )


def audit_behaviour(
    model,
    *,
    seed: int = 0,
    n_per_test: int = 200,
    max_examples: int = 10,
    positive_label: str | None = None,
    negative_label: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    tests: list[BehaviourTest] | None = None,
) -> BehaviourAudit:
    """Run the behaviour tests: every text of every test is scored together, then each test is checked.

    Failing examples are listed worst first (largest polarity move the wrong way, largest change under an
    invariance, furthest from the expected sentiment).
    """
    started = time.perf_counter()
    mapping = polarity_map(model.classes_, positive_label=positive_label, negative_label=negative_label)
    tests = behaviour_tests(seed=seed, n_per_test=n_per_test) if tests is None else tests
    all_texts = [text for test in tests for text in test.texts()]
    predictions = predict(
        model, all_texts, mapping, batch_size=batch_size, progress=progress, desc="behaviour"
    )
    by_text = {text: i for i, text in enumerate(all_texts)}

    def look(text: str) -> tuple[float, str, int, str]:
        i = by_text[text]
        c = int(predictions.classes[i])
        return float(predictions.polarities[i]), predictions.sentiments[i], c, mapping.classes[c]

    audit = BehaviourAudit(
        polarity=mapping.definition, seed=seed, n_per_test=n_per_test, n_texts=len(set(all_texts))
    )
    audit.tests = [_check(test, look, max_examples) for test in tests]
    audit.seconds = time.perf_counter() - started
    return audit
