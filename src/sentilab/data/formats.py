"""One parser per file format. Each returns a :class:`RawTable`: the rows as read, before any cleaning.

Columns of ``RawTable.frame``: ``text``, ``label`` (raw values, normalised later), optionally ``split``
(the source's own train/test) and metadata columns. ``undecodable_rows`` counts rows whose bytes were not
valid in the file's encoding (they are kept, with U+FFFD replacement characters, and reported).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tarfile
import warnings
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

#: How much of a user's content an error message may quote (the rest is cut with "…").
PREVIEW_CHARS = 60
#: The file-name endings read as tables, and what each format is called in messages.
TABLE_FORMATS = {
    ".csv": "CSV",
    ".tsv": "TSV",
    ".tab": "TSV",
    ".txt": "TSV",
    ".jsonl": "JSON lines",
    ".ndjson": "JSON lines",
    ".json": "JSON",
    ".parquet": "Parquet",
}
_GZIP_MAGIC = b"\x1f\x8b"


def looks_like_sentiment140(path: Path) -> bool:
    with open(path, "rb") as handle:
        first = handle.readline(4096).decode("latin-1")
    return bool(_S140_FIRST_LINE.match(first))


def preview(value, limit: int = PREVIEW_CHARS) -> str:
    """``value`` as one line of at most ``limit`` characters, for quoting user content in a message."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_columns(columns, limit: int = 200) -> str:
    """``"a, b, c"``: column names for a message, each and all together cut to stay short."""
    names = [preview(c, 40) for c in columns]
    shown, used = [], 0
    for name in names:
        if used + len(name) > limit and shown:
            return ", ".join(shown) + f", … ({len(names)} columns)"
        shown.append(name)
        used += len(name) + 2
    return ", ".join(shown)


def undecodable_message(source: str, rows: int) -> str:
    """The one wording of the note every command prints when a file had bytes that are not UTF-8."""
    return (
        f"{source}: {rows:,} rows had bytes that are not valid UTF-8; they were replaced with U+FFFD and kept"
    )


class DataWarning(UserWarning):
    """Something about the data a user should know (e.g. bytes that were not valid UTF-8)."""


def warn_undecodable(source: str, rows: int) -> None:
    """Warn (as a :class:`DataWarning`) that ``rows`` rows of ``source`` had bytes that are not UTF-8."""
    if rows:
        warnings.warn(undecodable_message(source, rows), DataWarning, stacklevel=3)


def sniff_content(head: bytes) -> str:
    """What the first bytes of a file look like, in words ("CSV text (first line 'a,b')", "a zip archive")."""
    if head.startswith(b"PAR1"):
        return "a Parquet file"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    if head.startswith(_GZIP_MAGIC):
        return "gzip-compressed data"
    if b"\x00" in head[:4096]:
        return "binary data"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.split("\n", 1)[0].strip()
    if not first:
        return "an empty file" if not text.strip() else "text that starts with a blank line"
    if first.startswith(("{", "[")):
        kind = "JSON lines" if first.startswith("{") and first.endswith("}") else "JSON"
    else:
        separator = _header_separator(first)
        kind = {"\t": "tab-separated text", ";": "semicolon-separated text", ",": "CSV text"}.get(
            separator, "plain text"
        )
    return f"{kind} (first line {preview(first)!r})"


def _header_separator(header: str) -> str | None:
    """The separator a header line uses: ',', tab or ';' outside double quotes; None when it has none."""
    counts = {",": 0, "\t": 0, ";": 0}
    quoted = False
    for char in header[:65536]:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def _table_suffix(path: Path) -> str:
    suffix = "".join(s for s in path.suffixes[-2:] if s != ".gz").lower() or path.suffix.lower()
    return suffix if suffix in TABLE_FORMATS else path.suffix.lower()


def _read_parquet(path: Path) -> pd.DataFrame:
    from sentilab.errors import require

    require("pyarrow", "parquet", feature="reading Parquet files")
    with open(path, "rb") as handle:
        head = handle.read(4096)
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 4))
        tail = handle.read(4)
    if not (head.startswith(b"PAR1") and tail == b"PAR1"):
        raise DataError(
            f"{path.name} is not a Parquet file: it looks like {sniff_content(head)}",
            hint="Parquet was expected because the name ends in .parquet; rename the file to match what "
            "it holds (.csv, .tsv, .jsonl), or write it with DataFrame.to_parquet",
        )
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises its own classes (ArrowInvalid, ...) for damaged files
        raise DataError(f"cannot read {path.name} as Parquet: {preview(exc, 150)}") from None


def _read_jsonl(text: str, name: str) -> pd.DataFrame:
    """One JSON object per line (blank lines skipped); a bad line is named by its number."""
    records = []
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines: U+2028 may sit inside a string
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"line {number} of {name} is not valid JSON: {exc.msg} (column {exc.colno})",
                hint="fix or remove that line: each line of a JSON-lines file must be one JSON object",
            ) from None
        if not isinstance(record, dict):
            raise DataError(
                f"line {number} of {name} is a JSON {type(record).__name__}, not an object",
                hint='each line of a JSON-lines file must be one object, e.g. {"text": "...", "label": "x"}',
            )
        records.append(record)
    return pd.DataFrame.from_records(records)


def _read_json(text: str, name: str) -> pd.DataFrame:
    try:
        return pd.read_json(io.StringIO(text), dtype=False)
    except ValueError as exc:
        try:
            json.loads(text)
        except json.JSONDecodeError as bad:
            more = " (it holds several JSON values: name it .jsonl)" if bad.msg == "Extra data" else ""
            raise DataError(
                f"{name} is not valid JSON: {bad.msg} at line {bad.lineno}, column {bad.colno}{more}"
            ) from None
        raise DataError(
            f"cannot read {name} as a table: {preview(str(exc).splitlines()[0], 150)}",
            hint='expected a list of objects, e.g. [{"text": "...", "label": "..."}]',
        ) from None


_FIELDS_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def csv_separator(name: str, header: str, *, stacklevel: int = 3) -> str:
    """The separator of a file named .csv: a comma, unless its header line is tab- or semicolon-separated
    (then that one, with a one-line note saying so)."""
    found = _header_separator(header.rstrip("\r\n"))
    if found not in ("\t", ";"):
        return ","
    word = "tab" if found == "\t" else "semicolon"
    warnings.warn(
        f"{name}: the header is {word}-separated although the name ends in .csv; read as {word}-separated",
        DataWarning,
        stacklevel=stacklevel,
    )
    return found


def _read_delimited(text: str, name: str, suffix: str) -> pd.DataFrame:
    separator = "\t" if suffix in (".tsv", ".tab", ".txt") else ","
    if suffix == ".csv":
        separator = csv_separator(name, text[:65536].split("\n", 1)[0], stacklevel=4)
    try:
        if separator == "\t":
            return pd.read_csv(
                io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_MINIMAL
            )
        # Blank lines are rows too: in a one-column file they are empty texts, counted and dropped later.
        return pd.read_csv(
            io.StringIO(text), sep=separator, dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{name} is empty") from None
    except (ValueError, pd.errors.ParserError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        fields = _FIELDS_ERROR.search(message)
        shown = {"\t": "tab", ",": "comma", ";": "semicolon"}[separator]
        if fields:
            header, line, saw = fields.groups()
            message = f"line {line} has {saw} fields but the header has {header} ({shown}-separated)"
        raise DataError(
            f"cannot parse {name}: {preview(message, 150)}",
            hint="a text that contains the separator must be in double quotes; if the file uses another "
            "separator, name it to match (.tsv for tabs)",
        ) from None


def read_table(path: Path) -> tuple[pd.DataFrame, int]:
    """Read a CSV/TSV/JSONL/JSON/Parquet file (optionally gzip-compressed) into a DataFrame.

    Returns ``(frame, undecodable_rows)``. Every failure is a one-line :class:`DataError` that names the
    file, the line where that is known, and quotes at most a short preview of its content: a file whose
    content does not match its name (text named .parquet, a zip named .csv), malformed JSON lines, a
    CSV whose rows have more fields than its header, an empty file, or a header without rows. A .csv
    whose header is tab- or semicolon-separated is read with that separator (and a :class:`DataWarning`
    says so).
    """
    suffix = _table_suffix(path)
    if suffix not in TABLE_FORMATS:
        raise DataError(
            f"don't know how to read {path.name!r} (suffix {path.suffix or 'none'})",
            hint="use a .csv, .tsv, .jsonl, .json or .parquet file",
        )
    try:
        if suffix == ".parquet":
            frame, bad = _read_parquet(path), False
        else:
            raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    if suffix != ".parquet":
        if raw.startswith(_GZIP_MAGIC):
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise DataError(f"{path.name} is damaged gzip-compressed data ({exc})") from None
        kind = sniff_content(raw[:4096])
        if kind in ("a Parquet file", "a zip archive", "binary data", "gzip-compressed data"):
            raise DataError(
                f"{path.name} is not text: it looks like {kind}",
                hint=f"{TABLE_FORMATS[suffix]} was expected because the name ends in {suffix}; "
                "rename the file to match what it holds (e.g. .parquet)",
            )
        text, bad = decode_bytes(raw)
        text = text.lstrip("\ufeff")
        if not text.strip():
            raise DataError(f"{path.name} is empty", hint="expected a header line and one row per text")
        if suffix in (".jsonl", ".ndjson"):
            frame = _read_jsonl(text, path.name)
        elif suffix == ".json":
            frame = _read_json(text, path.name)
        else:
            frame = _read_delimited(text, path.name, suffix)
    _require_rows(frame, path.name)
    undecodable = 0
    if bad:
        undecodable = int(
            frame.astype(str).apply(lambda col: col.str.contains(REPLACEMENT, regex=False)).any(axis=1).sum()
        )
    return frame, undecodable


def _require_rows(frame: pd.DataFrame, name: str) -> None:
    """A table with columns but no rows (or only blank ones) is an error that says so."""

    def has_content(rows: pd.DataFrame) -> bool:
        return any((~(col.isna() | (col.astype(str).str.strip() == ""))).any() for _, col in rows.items())

    # The first rows settle it for any real file; only an all-blank head needs the whole scan.
    if len(frame) and (has_content(frame.head(1000)) or has_content(frame)):
        return
    columns = describe_columns(frame.columns) or "(none)"
    raise DataError(
        f"{name} has a header ({columns}) but no rows" if len(frame.columns) else f"{name} has no rows",
        hint="add one row per text under the header (the first line is read as the column names)",
    )


#: The old name, kept for callers: same function.
read_local_table = read_table


def read_text_document(path: Path) -> tuple[pd.DataFrame, int]:
    """A plain-text file as ONE document: ``(frame with columns text and file, undecodable_rows)``.

    The whole file is the document (blank lines inside it stay: they are paragraph breaks for
    ``analyze``); ``undecodable_rows`` is 1 when it had bytes that are not UTF-8.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    kind = sniff_content(raw[:4096])
    if kind in ("a Parquet file", "a zip archive", "binary data", "gzip-compressed data"):
        raise DataError(f"{path.name} is not plain text: it looks like {kind}")
    text, bad = decode_bytes(raw)
    if not text.strip():
        raise DataError(f"{path.name} is empty")
    return pd.DataFrame({"text": [text.lstrip("\ufeff")], "file": [path.name]}), int(bad)


def pick_column(
    frame: pd.DataFrame, wanted: str | None, role: str, candidates: tuple[str, ...], source: str
) -> str | None:
    """Resolve the text/label column: the named one (must exist) or the first conventional name present."""
    columns = [str(c) for c in frame.columns]
    if wanted is not None:
        if wanted not in columns:
            shown = [preview(c, 40) for c in columns]  # a 5 MB "column name" is a first line, not a name
            raise DataError(
                f"column {preview(wanted)!r} not in {source}{did_you_mean(wanted, shown)}; "
                f"its columns are: {describe_columns(columns)}",
                hint=f"pass the {role} column with --{role}-col",
            )
        return wanted
    lowered = {c.lower(): c for c in columns}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


def no_text_column(frame: pd.DataFrame, source: str, *, hint: str = "name it with --text-col") -> DataError:
    """The error for a table without a recognisable text column (its columns listed, cut short)."""
    return DataError(
        f"no text column found in {source}; its columns are: {describe_columns(frame.columns)}", hint=hint
    )


TEXT_COLUMNS = ("text", "sentence", "review", "tweet", "content", "speech", "document", "body")
LABEL_COLUMNS = ("label", "sentiment", "polarity", "class", "target", "rating", "stars")


def local_file(path: Path, text_col: str | None = None, label_col: str | None = None, **_) -> RawTable:
    """Any local table. Sentiment140-format CSVs (no header) are recognised and read as such."""
    if path.suffix.lower() == ".csv" and text_col is None and looks_like_sentiment140(path):
        return RawTable(read_sentiment140(path))
    frame, undecodable = read_table(path)
    source = path.name
    text_name = pick_column(frame, text_col, "text", TEXT_COLUMNS, source)
    if text_name is None:
        raise no_text_column(frame, source, hint="name it with --text-col (Python: text_col=...)")
    label_name = pick_column(frame, label_col, "label", LABEL_COLUMNS, source)
    rest = [c for c in frame.columns if c not in (text_name, label_name)]
    out = pd.DataFrame({"text": frame[text_name], "label": frame[label_name] if label_name else None})
    for column in rest:
        out[str(column)] = frame[column]
    return RawTable(out, undecodable)
