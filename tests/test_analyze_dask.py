"""``analyze --engine dask``: a distributed.LocalCluster with 2 worker processes analyses 300 documents and
writes the paragraphs, documents and groups of the in-memory ``analyze_documents``: same rows, same labels,
scores to 1e-12, same shares."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sentilab.documents import analyze_documents
from sentilab.models import load_model
from tests.conftest import SPEECH
from tests.test_batch import model_dir  # noqa: F401 - a fixture: a saved bow model, loadable in any process

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

#: The sentences of a short speech (positive, negative, neutral), and one without a full stop.
SENTENCES = [*re.split(r"(?<=\.)\s+", SPEECH), "Nothing much to say about it"]


def corpus(n: int = 300, seed: int = 3) -> pd.DataFrame:
    """``n`` documents of 0-40 sentences by 3 speakers (and some blank speakers and blank texts)."""
    rng = np.random.default_rng(seed)
    speeches = [
        "\n\n".join(
            " ".join(rng.choice(SENTENCES, size=rng.integers(1, 6))) for _ in range(rng.integers(0, 8))
        )
        for _ in range(n)
    ]
    return pd.DataFrame(
        {
            "speaker": rng.choice(["Ann", "Bob", "Cy", ""], size=n, p=[0.4, 0.3, 0.25, 0.05]),
            "party": rng.choice(["P", "Q"], size=n),
            "speech": speeches,
        }
    )


def assert_same_table(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same columns and rows; floats to 1e-12, everything else equal as text (CSV/Parquet round trips)."""
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    for column in want.columns:
        if want[column].dtype.kind == "f":
            np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float), atol=1e-12)
        else:
            as_text = lambda s: s.fillna("").astype(str).tolist()  # noqa: E731
            assert as_text(got[column]) == as_text(want[column]), column


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


@pytest.mark.parametrize("form", ["csv", "parquet"])
def test_two_dask_workers_give_the_in_memory_analysis(tmp_path, model_dir, cluster, form):  # noqa: F811
    from sentilab.batch.analyze_dask import analyze_with_dask

    frame = corpus()
    if form == "csv":
        path = tmp_path / "speeches.csv"
        frame.to_csv(path, index=False)
        cut = {"partition_bytes": 4_000}
    else:
        path = tmp_path / "speeches.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=37)
        cut = {"partition_rows": 37}
    want = analyze_documents(
        frame, load_model(model_dir), text_col="speech", group_cols=["speaker", "party"], words=20,
        neutral_band=0.05, batch_size=16,
    )  # fmt: skip
    out = tmp_path / "analysis"
    result = analyze_with_dask(
        path, out, model=model_dir, text_col="speech", group_cols=["speaker", "party"], words=20,
        neutral_band=0.05, batch_size=16, scheduler=cluster.scheduler_address, **cut,
    )  # fmt: skip
    assert result.partitions > 4 and result.workers == 2
    assert sorted(p.name for p in out.iterdir()) == [
        ".sentilab-output.json", "documents.csv", "groups.csv", "paragraphs", "summary.json",
    ]  # fmt: skip
    paragraphs = pd.read_parquet(out / "paragraphs")
    assert paragraphs.index.name == "sentilab_row"
    assert paragraphs.index.tolist() == want.paragraphs["document"].tolist()
    assert_same_table(paragraphs.reset_index(drop=True), want.paragraphs)
    assert (paragraphs["label"] == "neutral").any() and paragraphs["label"].nunique() == 3
    documents = pd.read_csv(out / "documents.csv", keep_default_na=False, na_values=[""])
    assert_same_table(documents, want.documents)
    groups = pd.read_csv(out / "groups.csv", keep_default_na=False)
    assert_same_table(groups, want.groups)
    assert "(missing)" in groups["group"].tolist()
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["documents"], summary["paragraphs"], summary["skipped"]) == (
        len(want.documents), len(want.paragraphs), len(want.skipped),
    )  # fmt: skip
    assert summary["summary"] == want.summary() and summary["engine"] == "dask"
    assert summary["polarity"].startswith("polarity = P(positive)") and "score" not in summary
    assert "mean_polarity" in documents.columns and {"score", "polarity"} <= set(paragraphs.columns)


def test_analyze_engine_dask_from_the_command_line(tmp_path, model_dir):  # noqa: F811
    from click.testing import CliRunner

    from sentilab.cli import main

    path = tmp_path / "speeches.csv"
    corpus(n=40, seed=5).to_csv(path, index=False)
    common = ["analyze", str(path), "--model", str(model_dir), "--text-col", "speech", "--words", "20"]
    memory = CliRunner().invoke(main, [*common, "--out", str(tmp_path / "memory")])
    assert memory.exit_code == 0, memory.output
    dask_out = tmp_path / "dask"
    result = CliRunner().invoke(main, [*common, "--out", str(dask_out), "--engine", "dask", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "on 1 dask worker → " in result.stdout and not (dask_out / "report.html").exists()
    for table in ("documents.csv", "groups.csv"):  # speaker and party grouped by default in both
        got, want = (pd.read_csv(d / table, keep_default_na=False) for d in (dask_out, tmp_path / "memory"))
        assert_same_table(got, want)
    refused = CliRunner().invoke(main, [*common, "--out", str(tmp_path / "x"), "--workers", "2"])
    assert refused.exit_code == 2 and "--workers and --scheduler need --engine dask" in refused.stderr
    text = tmp_path / "one.txt"
    text.write_text("One long speech.")
    plain = CliRunner().invoke(main, ["analyze", str(text), "--engine", "dask", "--out", str(tmp_path / "y")])
    assert plain.exit_code == 2 and "a plain-text file" in plain.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dask", "memory", "one.txt", "speeches.csv"]
