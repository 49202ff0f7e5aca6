"""``--engine dask``: a real distributed.LocalCluster with 2 worker processes scores 50,000 rows and writes
exactly the single-process output, row for row, in input order (by the sentilab_row index column)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sentilab.batch import score_file, score_with_dask, splits
from sentilab.errors import DataError
from tests.test_batch import blank_as_none, model_dir, write_input  # noqa: F401 - model_dir is a fixture

distributed = pytest.importorskip("distributed")


def assert_same_output(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    for column in want.columns:
        if want[column].dtype.kind == "f":
            np.testing.assert_array_equal(got[column].to_numpy(float), want[column].to_numpy(float))
        else:
            assert [blank_as_none(v) for v in got[column]] == [blank_as_none(v) for v in want[column]], column


def test_local_cluster_with_two_workers_matches_the_single_process_output(tmp_path, model_dir):  # noqa: F811
    n = 50_000
    csv_input = write_input(tmp_path / "in.csv", n=n, seed=7)
    reference = tmp_path / "reference.parquet"
    score_file(csv_input, reference, model=model_dir, chunk_rows=10_000, progress=False)
    want = pd.read_parquet(reference)
    parquet_input = tmp_path / "in.parquet"
    pq.write_table(_csv_as_table(csv_input), parquet_input, row_group_size=7_000)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        # CSV cut on record boundaries (texts with \r, \n and quotes inside), the model's files shipped
        from_csv = tmp_path / "from-csv.parquet"
        summary = score_with_dask(csv_input, from_csv, model=model_dir, scheduler=cluster.scheduler_address,
                                  partition_bytes=300_000, progress=False)  # fmt: skip
        assert summary.rows == n and summary.chunks > 4 and summary.workers == 2
        # Parquet by row groups, the model loaded from its directory on the shared disk
        from_parquet = tmp_path / "from-parquet.parquet"
        score_with_dask(parquet_input, from_parquet, model=model_dir, scheduler=cluster.scheduler_address,
                        ship_model=False, partition_rows=10_000, progress=False)  # fmt: skip
    for out in (from_csv, from_parquet):
        assert out.is_dir() and (out / ".sentilab-output.json").is_file()
        got = pd.read_parquet(out)
        assert got.index.name == "sentilab_row" and got.index.tolist() == list(range(n))
        assert_same_output(got.reset_index(drop=True), want)


def _csv_as_table(path):
    import pyarrow as pa

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_dask_engine_writes_parquet_only_and_says_so_before_work(tmp_path):
    path = write_input(tmp_path / "in.csv", n=10)
    with pytest.raises(DataError, match="partitioned Parquet dataset") as caught:
        score_with_dask(path, tmp_path / "out.csv", model=tmp_path / "no-such-model")
    assert "out.parquet" in caught.value.hint and not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("target", [40, 333, 10_000])
def test_csv_pieces_start_on_record_boundaries_and_count_their_rows(tmp_path, monkeypatch, target):
    monkeypatch.setattr(splits, "_BLOCK", 64)  # tiny scan blocks: quote parity must carry across them
    path = write_input(tmp_path / "in.csv", n=120, seed=1)
    with open(path, "ab") as handle:
        handle.write(b'"x","last row, no newline","1","gold"')
    header_end, pieces = splits.csv_pieces(path, "csv", target)
    data = path.read_bytes()
    texts = []
    for number, piece in enumerate(pieces):
        frame = pd.read_csv(io.BytesIO(data[:header_end] + data[piece.start : piece.end]), dtype=str,
                            keep_default_na=False, skip_blank_lines=False)  # fmt: skip
        assert len(frame) == piece.rows and piece.first_row == len(texts), number
        texts += frame["text"].tolist()
    whole = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    assert texts == whole["text"].tolist() and len(texts) == 121


def test_predict_engine_dask_from_the_command_line(tmp_path, model_dir):  # noqa: F811
    from click.testing import CliRunner

    from sentilab.cli import main

    path = write_input(tmp_path / "in.csv", n=300, seed=2)
    reference, out = tmp_path / "reference.parquet", tmp_path / "out.parquet"
    score_file(path, reference, model=model_dir, progress=False)
    args = ["predict", "--model", str(model_dir), "--file", str(path), "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--engine", "dask", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert f"wrote 300 rows → a Parquet dataset directory {out} in" in result.stderr
    assert_same_output(pd.read_parquet(out).reset_index(drop=True), pd.read_parquet(reference))
    again = CliRunner().invoke(main, [*args, "--engine", "dask", "--resume"])
    assert again.exit_code == 2 and "--resume works with the local engine" in again.stderr
    # the single-file output becomes a dataset directory, only when told to overwrite it
    args[-1] = str(reference)
    refused = CliRunner().invoke(main, [*args, "--engine", "dask", "--workers", "1"])
    assert refused.exit_code == 2 and "already exists" in refused.stderr and reference.is_file()
    replaced = CliRunner().invoke(main, [*args, "--engine", "dask", "--workers", "1", "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    assert reference.is_dir() and pd.read_parquet(reference).equals(pd.read_parquet(out))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.parquet", "reference.parquet"]
