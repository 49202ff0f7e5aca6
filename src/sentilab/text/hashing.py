"""Which texts a model was trained on, compactly: 64-bit hashes of normalised texts.

A saved model keeps the sorted unique hashes of its training texts (``training_text_hashes`` in its weights
file), so an evaluation can say how many of the evaluated texts the model has already seen.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence

import numpy as np


def _normalised(text: str) -> str:
    """What counts as the same text: Unicode NFC, case-folded, whitespace runs as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _hash_each(texts: Sequence[str]) -> np.ndarray:
    """(n,) uint64: the first 8 bytes of each normalised text's BLAKE2b digest, in order (duplicates kept)."""
    digests = b"".join(
        hashlib.blake2b(_normalised(text).encode("utf-8", "surrogatepass"), digest_size=8).digest()
        for text in texts
    )
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def text_hashes(texts: Sequence[str]) -> np.ndarray:
    """The sorted unique 64-bit hashes of ``texts`` (see :func:`_normalised`): a compact record of which
    texts a model was trained on, 8 bytes a text (51k texts: 400 kB). Two different texts share a hash with
    probability about n² / 2⁶⁵: never, at corpus sizes."""
    return np.unique(_hash_each(texts))


def training_overlap(training_hashes: np.ndarray, texts: Sequence[str]) -> int:
    """How many of ``texts`` (each row counted, duplicates too) are among the texts ``training_hashes``
    (from :func:`text_hashes`) were made from."""
    known = np.asarray(training_hashes, dtype=np.uint64)
    if len(texts) == 0 or known.size == 0:
        return 0
    return int(np.isin(_hash_each(texts), known).sum())
