"""Token vocabulary with reserved PAD=0 and UNK=1, and padding/truncation to index arrays with masks."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from sentilab.errors import DataError
from sentilab.paths import atomic_file

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1


class Vocabulary:
    """A token <-> index mapping. Index 0 is padding, 1 is the unknown token, then tokens by frequency.

    Ties in frequency are broken alphabetically, so the same tokens always give the same vocabulary.
    """

    def __init__(self, tokens: Sequence[str] = ()):
        self.itos: list[str] = [PAD, UNK]
        self.stoi: dict[str, int] = {PAD: PAD_ID, UNK: UNK_ID}
        for token in tokens:
            if token not in self.stoi:
                self.stoi[token] = len(self.itos)
                self.itos.append(token)

    @classmethod
    def build(
        cls, token_lists: Iterable[Sequence[str]], *, max_size: int | None = None, min_freq: int = 1
    ) -> Vocabulary:
        """Count tokens and keep the ``max_size`` most frequent with at least ``min_freq`` occurrences.

        ``max_size`` counts real tokens only (PAD and UNK come on top).
        """
        if min_freq < 1:
            raise DataError(f"min_freq must be >= 1, got {min_freq}")
        if max_size is not None and max_size < 0:
            raise DataError(f"max_size must be >= 0 or None, got {max_size}")
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        counts.pop(PAD, None)
        counts.pop(UNK, None)
        ranked = sorted(
            (item for item in counts.items() if item[1] >= min_freq), key=lambda kv: (-kv[1], kv[0])
        )
        if max_size is not None:
            ranked = ranked[:max_size]
        vocab = cls([token for token, _ in ranked])
        vocab.counts = dict(ranked)
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        return self.stoi.get(token, UNK_ID)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} entries: {self.itos[2:7]}...)"

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Indices of ``tokens``; unknown tokens map to UNK (1)."""
        get = self.stoi.get
        return [get(token, UNK_ID) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def encode_batch(
        self,
        token_lists: Sequence[Sequence[str]],
        *,
        max_len: int | None = None,
        pad_side: str = "right",
        keep: str = "first",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Encode, truncate and pad a batch.

        Returns ``ids`` (int64, shape (batch, time)) and ``mask`` (bool, same shape, True on real tokens).
        ``time`` is ``max_len`` when given, else the longest text. Texts longer than ``max_len`` keep their
        ``first`` or ``last`` tokens; padding goes on the ``right`` or ``left``. A text with no tokens is
        all padding with an all-False mask: models must handle it (the classic code crashes there).
        """
        if pad_side not in ("right", "left"):
            raise DataError(f"pad_side must be 'right' or 'left', got {pad_side!r}")
        if keep not in ("first", "last"):
            raise DataError(f"keep must be 'first' or 'last', got {keep!r}")
        if max_len is not None and max_len < 1:
            raise DataError(f"max_len must be >= 1 or None, got {max_len}")
        encoded = [self.encode(tokens) for tokens in token_lists]
        width = max_len if max_len is not None else max((len(e) for e in encoded), default=0)
        width = max(width, 1)
        ids = np.full((len(encoded), width), PAD_ID, dtype=np.int64)
        mask = np.zeros((len(encoded), width), dtype=bool)
        for row, seq in enumerate(encoded):
            seq = seq[:width] if keep == "first" else seq[-width:] if seq else seq
            n = len(seq)
            if n == 0:
                continue
            if pad_side == "right":
                ids[row, :n] = seq
                mask[row, :n] = True
            else:
                ids[row, width - n :] = seq
                mask[row, width - n :] = True
        return ids, mask

    # ------------------------------------------------------------------ persistence (JSON, no pickle)
    def to_dict(self) -> dict:
        return {"itos": self.itos}

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        itos = data.get("itos") if isinstance(data, dict) else None
        if not isinstance(itos, list) or itos[:2] != [PAD, UNK] or not all(isinstance(t, str) for t in itos):
            raise DataError(
                'not a sentilab vocabulary: expected {"itos": ["<pad>", "<unk>", ...tokens]}',
                hint="write one with Vocabulary.save(path)",
            )
        return cls(itos[2:])

    def save(self, path: str | Path) -> None:
        with atomic_file(path, "w") as handle:
            json.dump(self.to_dict(), handle, ensure_ascii=False)

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise DataError(f"vocabulary file {path} does not exist") from None
        except IsADirectoryError:
            raise DataError(
                f"vocabulary path {path} is a directory; give the vocab.json file in it"
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"vocabulary file {path} is not valid UTF-8 JSON: {exc}") from None
