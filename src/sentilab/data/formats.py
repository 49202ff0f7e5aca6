"""One parser per file format. Each returns a :class:`RawTable`: the rows as read, before any cleaning.

Columns of ``RawTable.frame``: ``text``, ``label`` (raw values, normalised later), optionally ``split``
(the source's own train/test) and metadata columns. ``undecodable_rows`` counts rows whose bytes were not
valid in the file's encoding (they are kept, with U+FFFD replacement characters, and reported).
"""

from __future__ import annotations

import csv
import io
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sentilab.errors import DataError, did_you_mean

REPLACEMENT = "\ufffd"


@dataclass
class RawTable:
    frame: pd.DataFrame
    undecodable_rows: int = 0
    label_note: str = ""  # how raw labels were read, when that needed a rule (e.g. rating thresholds)


def decode_bytes(raw: bytes, encoding: str = "utf-8") -> tuple[str, bool]:
    """Decode strictly if possible; otherwise replace bad bytes with U+FFFD and say so."""
    try:
        return raw.decode(encoding), False
    except UnicodeDecodeError:
        return raw.decode(encoding, errors="replace"), True


def _count_replaced(texts: pd.Series, had_errors: bool) -> int:
    return int(texts.str.contains(REPLACEMENT, regex=False).sum()) if had_errors else 0


# ----------------------------------------------------------------------------- registry formats
def crowdflower_csv(files: dict[str, Path], **_) -> RawTable:
    """``sentiment,confidence,text`` with CRLF lines and some bytes that are not UTF-8."""
    text, bad = decode_bytes(next(iter(files.values())).read_bytes())
    frame = pd.read_csv(io.StringIO(text), dtype={"sentiment": str, "text": str}, keep_default_na=False)
    frame = frame.rename(columns={"sentiment": "label"})[["text", "label", "confidence"]]
    return RawTable(frame, _count_replaced(frame["text"], bad))


def vader_ground_truth(files: dict[str, Path], neutral_band: float = 0.5, **_) -> RawTable:
    """``id TAB mean-rating TAB text`` (CRLF). The label comes from the mean rating on -4..+4.

    rating > +neutral_band → positive; rating < -neutral_band → negative; otherwise neutral.
    """
    if neutral_band < 0:
        raise DataError(f"neutral_band must be >= 0, got {neutral_band}")
    text, bad = decode_bytes(next(iter(files.values())).read_bytes())
    ids, ratings, texts = [], [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3:
            raise DataError(f"line {number} of the VADER ground truth has {len(parts)} fields, expected 3")
        ids.append(parts[0])
        ratings.append(float(parts[1]))
        texts.append(parts[2].strip())
    rating = pd.Series(ratings, dtype=float)
    label = pd.Series("neutral", index=rating.index)
    label[rating > neutral_band] = "positive"
    label[rating < -neutral_band] = "negative"
    frame = pd.DataFrame({"text": texts, "label": label, "rating": rating, "id": ids})
    note = (
        f"label from the mean rating: > {neutral_band:g} positive, < -{neutral_band:g} negative, else neutral"
    )
    return RawTable(frame, _count_replaced(frame["text"], bad), note)


def uci_json(files: dict[str, Path], **_) -> RawTable:
    """A JSON list of ``{"text": ..., "class": 0|1|null}``; class 1 is positive."""
    records = json.loads(next(iter(files.values())).read_text(encoding="utf-8"))
    frame = pd.DataFrame.from_records(records).rename(columns={"class": "label"})
    frame["label"] = frame["label"].map({0: "negative", 1: "positive"})
    return RawTable(frame[["text", "label"]])


def convention_speeches(files: dict[str, Path], **_) -> RawTable:
    """2012 speeches (party, speaker, text) and 2016 Republican speeches (speaker, text, year, party)."""
    frames = []
    for name, path in files.items():
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "year" not in frame:
            frame["year"] = "2012"
        frame["source_file"] = name
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    frame["year"] = frame["year"].astype(int)
    frame["party"] = frame["party"].str.lower()
    frame["label"] = None
    return RawTable(frame[["text", "label", "speaker", "party", "year", "source_file"]])


SENTIMENT140_COLUMNS = ["polarity", "id", "date", "query", "user", "text"]


def read_sentiment140(path: Path, split: str | None = None) -> pd.DataFrame:
    """One Sentiment140 CSV: latin-1, no header, ``polarity,id,date,query,user,text``."""
    frame = pd.read_csv(
        path,
        header=None,
        names=SENTIMENT140_COLUMNS,
        usecols=["polarity", "user", "text"],
        dtype={"polarity": "int8", "user": str, "text": str},
        encoding="latin-1",
        keep_default_na=False,
        engine="c",
    )
    frame = frame.rename(columns={"polarity": "label"})
    if split is not None:
        frame["split"] = split
    return frame[["text", "label", "user", *(["split"] if split else [])]]


def sentiment140(files: dict[str, Path], **_) -> RawTable:
    frames = []
    for name, path in files.items():
        frames.append(read_sentiment140(path, "test" if name.startswith("testdata") else "train"))
    return RawTable(pd.concat(frames, ignore_index=True))


def imdb_txt(files: dict[str, Path], **_) -> RawTable:
    """Zenodo 4117827: ``label TAB review`` per line, one file per split."""
    frames = []
    for name, path in files.items():
        text, _bad = decode_bytes(path.read_bytes())
        rows = [line.split("\t", 1) for line in text.splitlines() if line.strip()]
        bad = [i for i, row in enumerate(rows, 1) if len(row) != 2]
        if bad:
            raise DataError(f"{path}: line {bad[0]} is not 'label TAB review'")
        frame = pd.DataFrame(rows, columns=["label", "text"])
        frame["split"] = "test" if "test" in name else "train"
        frames.append(frame)
    return RawTable(pd.concat(frames, ignore_index=True)[["text", "label", "split"]])


_ACL_RE = re.compile(r"^aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


def aclimdb_tar(files: dict[str, Path], **_) -> RawTable:
    """Stanford's aclImdb_v1.tar.gz: ``aclImdb/{train,test}/{pos,neg}/ID_RATING.txt``."""
    rows = []
    with tarfile.open(next(iter(files.values()))) as tar:
        for member in tar:
            match = _ACL_RE.match(member.name)
            if match and member.isfile():
                split, polarity, _id, rating = match.groups()
                text = tar.extractfile(member).read().decode("utf-8", errors="replace")
                rows.append((text, "positive" if polarity == "pos" else "negative", split, int(rating)))
    return RawTable(pd.DataFrame(rows, columns=["text", "label", "split", "rating"]))


PARSERS = {
    "crowdflower_csv": crowdflower_csv,
    "vader_ground_truth": vader_ground_truth,
    "uci_json": uci_json,
    "convention_speeches": convention_speeches,
    "sentiment140": sentiment140,
    "imdb_txt": imdb_txt,
    "aclimdb_tar": aclimdb_tar,
}


# ----------------------------------------------------------------------------- local files
_S140_FIRST_LINE = re.compile(r'^"?[024]"?,"?\d+"?,"?[A-Z][a-z]{2} ')


def looks_like_sentiment140(path: Path) -> bool:
    with open(path, "rb") as handle:
        first = handle.readline(4096).decode("latin-1")
    return bool(_S140_FIRST_LINE.match(first))


def read_local_table(path: Path) -> tuple[pd.DataFrame, int]:
    """Read a CSV/TSV/JSONL/JSON/Parquet file into a DataFrame of strings; returns (frame, undecodable_rows)."""
    suffix = "".join(s for s in path.suffixes[-2:] if s != ".gz").lower() or path.suffix.lower()
    suffix = (
        path.suffix.lower()
        if suffix not in {".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json", ".parquet", ".txt"}
        else suffix
    )
    try:
        if suffix == ".parquet":
            from sentilab.errors import require

            require("pyarrow", "parquet", feature="reading Parquet files")
            return pd.read_parquet(path), 0
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    text, bad = decode_bytes(raw)
    try:
        if suffix in (".jsonl", ".ndjson"):
            frame = pd.read_json(io.StringIO(text), lines=True, dtype=False)
        elif suffix == ".json":
            frame = pd.read_json(io.StringIO(text), dtype=False)
        elif suffix in (".tsv", ".tab", ".txt"):
            frame = pd.read_csv(
                io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL
            )
        elif suffix == ".csv":
            # Blank lines are rows too: in a one-column file they are empty texts, counted and dropped later.
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
        else:
            raise DataError(
                f"don't know how to read {path.name!r} (suffix {path.suffix or 'none'})",
                hint="use a .csv, .tsv, .jsonl, .json or .parquet file",
            )
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot parse {path}: {str(exc).splitlines()[0]}") from None
    undecodable = 0
    if bad:
        undecodable = int(
            frame.astype(str).apply(lambda col: col.str.contains(REPLACEMENT, regex=False)).any(axis=1).sum()
        )
    return frame, undecodable


def pick_column(
    frame: pd.DataFrame, wanted: str | None, role: str, candidates: tuple[str, ...], source: str
) -> str | None:
    """Resolve the text/label column: the named one (must exist) or the first conventional name present."""
    columns = [str(c) for c in frame.columns]
    if wanted is not None:
        if wanted not in columns:
            raise DataError(
                f"column {wanted!r} not in {source}{did_you_mean(wanted, columns)}; its columns are: {', '.join(columns)}",
                hint=f"pass the {role} column with --{role}-col",
            )
        return wanted
    lowered = {c.lower(): c for c in columns}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


TEXT_COLUMNS = ("text", "sentence", "review", "tweet", "content", "speech", "document", "body")
LABEL_COLUMNS = ("label", "sentiment", "polarity", "class", "target", "rating", "stars")


def local_file(path: Path, text_col: str | None = None, label_col: str | None = None, **_) -> RawTable:
    """Any local table. Sentiment140-format CSVs (no header) are recognised and read as such."""
    if path.suffix.lower() == ".csv" and text_col is None and looks_like_sentiment140(path):
        return RawTable(read_sentiment140(path))
    frame, undecodable = read_local_table(path)
    source = path.name
    text_name = pick_column(frame, text_col, "text", TEXT_COLUMNS, source)
    if text_name is None:
        raise DataError(
            f"no text column found in {source}; its columns are: {', '.join(map(str, frame.columns))}",
            hint="name it with --text-col (Python: text_col=...)",
        )
    label_name = pick_column(frame, label_col, "label", LABEL_COLUMNS, source)
    rest = [c for c in frame.columns if c not in (text_name, label_name)]
    out = pd.DataFrame({"text": frame[text_name], "label": frame[label_name] if label_name else None})
    for column in rest:
        out[str(column)] = frame[column]
    return RawTable(out, undecodable)
