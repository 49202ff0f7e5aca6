"""Shared fixtures. Every test runs with $SENTILAB_HOME in a temporary directory: nothing touches ~/.cache."""

from __future__ import annotations

import os

import numpy as np
import pytest

# Six short, unambiguous sentences: every model must be able to overfit them (spaCy's test_overfitting_IO).
SIX_TEXTS = [
    "I love this, it is wonderful and great",
    "what a great happy day, excellent",
    "best thing ever, I really like it",
    "I hate this, it is terrible and awful",
    "what a horrible sad day, disgusting",
    "worst thing ever, I really dislike it",
]
SIX_LABELS = ["positive", "positive", "positive", "negative", "negative", "negative"]

# Twelve sentences, three classes: enough for a bow model that gets them right (service and browser tests).
TRAIN_TEXTS = [
    *SIX_TEXTS,
    "the meeting is on monday at noon",
    "this is a table and a chair",
    "the report has three pages",
    "the bus leaves at nine",
    "it is a phone with a screen",
    "we read the list of items",
]
TRAIN_LABELS = [*SIX_LABELS, *["neutral"] * 6]

# A short "speech": two opinionated paragraphs and a neutral one.
SPEECH = (
    "I love this city, it is wonderful and great. What a happy day, excellent people everywhere. "
    "Best thing ever, I really like it here and I love you all.\n\n"
    "But I hate what happened, it is terrible and awful. What a horrible sad day for the workers, "
    "the worst thing ever, I really dislike it and it is disgusting.\n\n"
    "The meeting is on monday at noon. The report has three pages and the bus leaves at nine."
)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("sentilab_home")
    monkeypatch.setenv("SENTILAB_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    yield home


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def six():
    return list(SIX_TEXTS), list(SIX_LABELS)


def pytest_configure(config):
    os.environ.setdefault("MPLBACKEND", "Agg")
