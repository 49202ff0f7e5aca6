"""Streaming batch scoring (sentilab.batch): same rows as the in-memory path, in order, in every format;
CSV that re-reads to the same rows; never a clobbered column or file; resumable after Ctrl-C or kill -9."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sentilab.batch import score_file, work_dir_for
from sentilab.batch import writers as batch_writers
from sentilab.data.formats import read_local_table
from sentilab.errors import DataError, SentilabError
from sentilab.models import create_model, load_model
from sentilab.paths import OutputPathError
from tests.conftest import TRAIN_LABELS, TRAIN_TEXTS

WORDS = ["love", "great", "awful", "terrible", "meeting", "monday", "bus", "happy", "worst", "table"]
# Texts that break naive CSV writers and readers: a bare \r (1,527 CrowdFlower tweets have one), \r\n,
# \n, quotes, commas, tabs, a leading quote, non-ASCII; and texts with nothing to judge.
TRICKY = [
    "first line\rsecond after a bare CR",
    "windows\r\nline break",
    "a\nnew line",
    'she said "great", then left',
    '"quoted from the start',
    "commas, commas, everywhere",
    "a\ttab inside",
    "émoji 😀 and ünïcode",
    "",
    "   ",
    "\r",
]


def make_texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    texts = []
    for i in range(n):
        if i % 5 == 0:
            texts.append(TRICKY[(i // 5) % len(TRICKY)])
        else:
            texts.append(" ".join(rng.choice(WORDS, size=3)) + f" #{i}")
    return texts


def write_input(path: Path, n: int = 230, seed: int = 0) -> Path:
    """A table with an id, the text, and columns named like the ones predict used to overwrite."""
    texts = make_texts(n, seed)
    table = pa.table(
        {
            "id": [str(i) for i in range(n)],
            "text": texts,
            "score": [f"{i % 7}" for i in range(n)],
            "predicted_label": ["gold"] * n,
        }
    )
    suffix = path.suffix
    if suffix == ".parquet":
        pq.write_table(table, path)
    elif suffix == ".jsonl":
        table.to_pandas().to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        import pyarrow.csv as pcsv

        options = pcsv.WriteOptions(delimiter="\t" if suffix == ".tsv" else ",", quoting_style="needed")
        pcsv.write_csv(table, path, options)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    model = create_model("bow", min_df=1).fit(TRAIN_TEXTS, TRAIN_LABELS)
    return model.save(tmp_path_factory.mktemp("models") / "bow")


def expected_frame(model_dir: Path, input_path: Path) -> pd.DataFrame:
    """The in-memory path: the whole file read at once, one prediction record per row."""
    model = load_model(model_dir)
    frame, _ = read_local_table(input_path)
    records = model.predict_records(["" if t is None else t for t in frame["text"].tolist()])
    names = [str(c) for c in model.classes_]
    rows = [
        [r["label"], r["score"], r["polarity"], *(r["scores"][n] for n in names)]
        if r["label"] is not None
        else [None] + [np.nan] * (2 + len(names))
        for r in records
    ]
    added = ["sentilab_label", "sentilab_score", "sentilab_polarity"] + [f"sentilab_score_{n}" for n in names]
    return pd.concat([frame.reset_index(drop=True), pd.DataFrame(rows, columns=added)], axis=1)


def read_output(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",", dtype=str, keep_default_na=False)


def blank_as_none(value):
    """A missing cell reads back as "" from CSV, None from JSON, NaN or NA from pandas: all one thing."""
    return None if value is None or value is pd.NA or value == "" or value != value else value


def assert_same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for column in want.columns:
        if column.startswith("sentilab_") and column != "sentilab_label":
            values = pd.to_numeric(got[column].replace("", np.nan)).to_numpy(dtype=float)
            np.testing.assert_allclose(values, want[column].to_numpy(dtype=float), rtol=1e-12, atol=0)
        else:
            assert [blank_as_none(v) for v in got[column]] == [blank_as_none(v) for v in want[column]], column


# ============================================================================ same rows as in memory
@pytest.mark.parametrize(
    ("source", "target"),
    [("csv", "csv"), ("csv", "parquet"), ("tsv", "tsv"), ("jsonl", "jsonl"), ("parquet", "csv")],
)
def test_streaming_output_equals_the_in_memory_path(tmp_path, model_dir, source, target):
    path = write_input(tmp_path / f"in.{source}")
    out = tmp_path / f"out.{target}"
    summary = score_file(path, out, model=model_dir, chunk_rows=17, progress=False)
    assert summary.chunks == 14 and summary.rows == 230  # 13 full chunks of 17, then 9 rows
    want = expected_frame(model_dir, path)
    assert_same_rows(read_output(out), want)
    # every blank text (empty, spaces, a lone \r) is counted, not scored
    assert summary.empty == int(want["sentilab_label"].isna().sum()) == 12
    assert not work_dir_for(out).exists() and sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name, out.name]
    )


def test_csv_output_quotes_every_text_that_needs_it_and_rereads_to_the_same_rows(tmp_path, model_dir):
    path = write_input(tmp_path / "in.csv", n=110)
    out = tmp_path / "out.csv"
    score_file(path, out, model=model_dir, chunk_rows=50, progress=False)
    raw = out.read_bytes()
    assert b'"first line\rsecond after a bare CR"' in raw and b'"she said ""great"", then left"' in raw
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 111 and [r[1] for r in rows[1:]] == make_texts(110)
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert frame["id"].tolist() == [str(i) for i in range(110)] and frame["text"].tolist() == make_texts(110)


def test_parquet_output_is_real_parquet_and_a_dataset_directory_when_large(tmp_path, model_dir, monkeypatch):
    path = write_input(tmp_path / "in.csv", n=100)
    small = tmp_path / "small.parquet"
    score_file(path, small, model=model_dir, chunk_rows=30, progress=False)
    assert pq.ParquetFile(small).metadata.num_rows == 100 and pq.ParquetFile(small).num_row_groups == 4
    monkeypatch.setattr(batch_writers, "SINGLE_FILE_ROWS", 50)
    large = tmp_path / "large.parquet"
    summary = score_file(path, large, model=model_dir, chunk_rows=30, progress=False)
    assert summary.form == "directory" and large.is_dir()
    assert sorted(p.name for p in large.glob("*.parquet")) == [f"part-{i:06d}.parquet" for i in range(4)]
    marker = json.loads((large / ".sentilab-output.json").read_text())
    assert marker["kind"] == "predictions"
    pd.testing.assert_frame_equal(pd.read_parquet(large), pd.read_parquet(small))
    # the directory is replaced by a single file (and back) only with --overwrite
    monkeypatch.setattr(batch_writers, "SINGLE_FILE_ROWS", 1_000)
    with pytest.raises(OutputPathError, match="already exists"):
        score_file(path, large, model=model_dir, chunk_rows=30, progress=False)
    score_file(path, large, model=model_dir, chunk_rows=30, progress=False, overwrite=True)
    assert large.is_dir() and pd.read_parquet(large).equals(pd.read_parquet(small))


# ============================================================================ refusals before work
def test_unsupported_output_suffix_is_refused_before_any_work(tmp_path):
    path = write_input(tmp_path / "in.csv", n=10)
    with pytest.raises(DataError, match=r"does not write \.xlsx files") as caught:
        score_file(path, tmp_path / "out.xlsx", model=tmp_path / "no-such-model")  # model never touched
    assert ".csv, .tsv, .jsonl or .parquet" in caught.value.hint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_input_columns_are_kept_and_a_clash_is_refused(tmp_path, model_dir):
    path = write_input(tmp_path / "in.csv", n=20)
    out = tmp_path / "out.csv"
    score_file(path, out, model=model_dir, progress=False)
    frame = read_output(out)
    assert frame["score"].tolist() == [f"{i % 7}" for i in range(20)]  # an input column named score
    assert frame["predicted_label"].tolist() == ["gold"] * 20
    rescored = tmp_path / "again.csv"
    with pytest.raises(DataError, match="already has a column named 'sentilab_label'") as caught:
        score_file(out, rescored, model=model_dir, progress=False)
    assert "--prefix" in caught.value.hint and not rescored.exists()
    score_file(out, rescored, model=model_dir, progress=False, prefix="second_")
    again = read_output(rescored)
    assert again["sentilab_label"].tolist() == frame["sentilab_label"].tolist()
    assert again["second_label"].tolist() == frame["sentilab_label"].tolist()


def test_an_existing_output_is_replaced_only_with_overwrite(tmp_path, model_dir):
    path = write_input(tmp_path / "in.csv", n=20)
    out = tmp_path / "out.csv"
    out.write_text("my own notes\n")
    with pytest.raises(OutputPathError, match="already exists"):
        score_file(path, out, model=model_dir, progress=False)
    assert out.read_text() == "my own notes\n"
    score_file(path, out, model=model_dir, progress=False, overwrite=True)
    assert len(read_output(out)) == 20


def test_a_header_only_file_is_refused_and_nothing_is_written(tmp_path, model_dir):
    path = tmp_path / "in.csv"
    path.write_text("id,text\n")
    with pytest.raises(DataError, match=r"in.csv has a header \(id, text\) but no rows"):
        score_file(path, tmp_path / "out.csv", model=model_dir, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_undecodable_bytes_are_replaced_kept_and_counted(tmp_path, model_dir):
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,text\n1,caf\xe9 is great\n2,I love it\n3,awful \xff\xfe day\n")
    with pytest.warns(UserWarning, match="2 rows had bytes that are not valid UTF-8"):
        summary = score_file(path, tmp_path / "out.csv", model=model_dir, chunk_rows=2, progress=False)
    assert summary.undecodable == 2
    assert read_output(tmp_path / "out.csv")["text"].tolist() == ["caf\ufffd is great", "I love it",
                                                                  "awful \ufffd\ufffd day"]  # fmt: skip


def test_a_csv_with_a_semicolon_header_is_read_as_such_and_a_parquet_named_csv_is_refused(
    tmp_path, model_dir
):
    path = tmp_path / "in.csv"
    path.write_text("id;text\n1;I love it, really\n2;awful\n")
    with pytest.warns(UserWarning, match="semicolon-separated"):
        score_file(path, tmp_path / "out.csv", model=model_dir, progress=False)
    assert read_output(tmp_path / "out.csv")["text"].tolist() == ["I love it, really", "awful"]
    fake = tmp_path / "fake.csv"
    pq.write_table(pa.table({"text": ["a"]}), fake)
    with pytest.raises(DataError, match="fake.csv is not text: it looks like a Parquet file"):
        score_file(fake, tmp_path / "out2.csv", model=model_dir, progress=False)


# ============================================================================ progress
def test_progress_is_one_plain_line_per_n_rows_when_not_on_a_terminal(tmp_path, model_dir, capsys):
    path = write_input(tmp_path / "in.parquet", n=100)
    score_file(path, tmp_path / "out.csv", model=model_dir, chunk_rows=10, progress_every=40)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("scored")]
    assert [line.split(" rows")[0] for line in lines] == ["scored 40", "scored 80"]
    assert "rows/s" in lines[0] and "% of the input, about" in lines[0]


# ============================================================================ resuming
def test_interrupted_run_resumes_to_the_same_output(tmp_path, model_dir):
    path = write_input(tmp_path / "in.csv", n=200)
    reference = tmp_path / "reference.csv"
    score_file(path, reference, model=model_dir, chunk_rows=20, progress=False)
    out = tmp_path / "out.csv"

    def interrupt_after_the_fourth_chunk(index):
        if index == 3:
            raise KeyboardInterrupt

    said = []
    with pytest.raises(KeyboardInterrupt):
        score_file(path, out, model=model_dir, chunk_rows=20, progress=False,
                   on_chunk=interrupt_after_the_fourth_chunk, on_status=said.append)  # fmt: skip
    assert not out.exists() and "--resume" in said[-1] and "4 completed chunks" in said[-1]
    with pytest.raises(SentilabError, match="unfinished run") as caught:
        score_file(path, out, model=model_dir, chunk_rows=20, progress=False)
    assert "--resume" in caught.value.hint
    with pytest.raises(SentilabError, match="chunk_rows"):
        score_file(path, out, model=model_dir, chunk_rows=25, progress=False, resume=True)
    scored = []
    summary = score_file(path, out, model=model_dir, chunk_rows=20, progress=False, resume=True,
                         on_chunk=scored.append, on_status=said.append)  # fmt: skip
    assert scored == list(range(4, 10)) and summary.resumed_chunks == 4 and summary.rows == 200
    assert out.read_bytes() == reference.read_bytes() and not work_dir_for(out).exists()


KILLABLE_RUN = """
import os, sys, time
from sentilab.batch import score_file

def stop_here(index):
    if index == 1:
        time.sleep(600)  # hold still: the test kills this process with SIGKILL now

score_file(sys.argv[1], sys.argv[2], model=sys.argv[3], chunk_rows=25, progress=False, on_chunk=stop_here,
           resume="--resume" in sys.argv)
"""


def test_run_killed_with_sigkill_resumes_to_the_same_output(tmp_path, model_dir):
    path = write_input(tmp_path / "in.csv", n=200, seed=3)
    reference = tmp_path / "reference.parquet"
    score_file(path, reference, model=model_dir, chunk_rows=25, progress=False)
    out = tmp_path / "out.parquet"
    script = tmp_path / "run.py"
    script.write_text(KILLABLE_RUN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1] / "src"), *sys.path])}
    process = subprocess.Popen([sys.executable, str(script), str(path), str(out), str(model_dir)], env=env)
    second_part = work_dir_for(out) / "part-000001.parquet"
    try:
        for _ in range(1200):  # up to 60 s for the interpreter to start and two chunks to complete
            if second_part.exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        assert second_part.exists(), "the run never completed its second chunk"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL and not out.exists()
    summary = score_file(path, out, model=model_dir, chunk_rows=25, progress=False, resume=True)
    assert summary.resumed_chunks == 2 and summary.chunks == 8
    assert pq.read_table(out).equals(pq.read_table(reference))


# ============================================================================ worker processes
def test_two_worker_processes_write_the_same_output_as_one(tmp_path, model_dir):
    path = write_input(tmp_path / "in.jsonl", n=300, seed=5)
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    score_file(path, one, model=model_dir, chunk_rows=20, progress=False)
    summary = score_file(path, two, model=model_dir, chunk_rows=20, progress=False, workers=2)
    assert summary.workers == 2 and summary.rows == 300
    assert two.read_bytes() == one.read_bytes()


def test_json_lines_whose_fields_change_type_are_a_clear_error(tmp_path, model_dir):
    path = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": i, "text": "love it"}) for i in range(5)] + ['{"id": "x7", "text": "awful"}']
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="changes type at rows 6-6"):
        score_file(path, tmp_path / "out.csv", model=model_dir, chunk_rows=5, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # nothing to resume: nothing kept


# ============================================================================ the command
def predict_cli(*args):
    from click.testing import CliRunner

    from sentilab.cli import main

    return CliRunner().invoke(main, ["predict", *map(str, args)])


def test_predict_out_refuses_a_wrong_suffix_or_misplaced_options_before_any_work(tmp_path):
    path = write_input(tmp_path / "in.csv", n=10)
    result = predict_cli("--file", path, "--out", tmp_path / "out.xlsx")  # no --model: nothing is trained
    assert result.exit_code == 2 and "training" not in result.stderr
    assert "error: --out " in result.stderr and "does not write .xlsx files" in result.stderr
    assert "--workers needs --file and --out" in predict_cli("--workers", "2", "I love it").stderr
    assert "give one of them" in predict_cli("--file", path, "--out", tmp_path / "o.csv", "--json").stderr
    assert (
        "--scheduler needs --engine dask"
        in predict_cli("--file", path, "--out", tmp_path / "o.csv", "--scheduler", "tcp://127.0.0.1:1").stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_predict_out_streams_resumes_and_names_a_clashing_column(tmp_path, model_dir):
    path = write_input(tmp_path / "in.csv", n=120)
    reference = tmp_path / "reference.parquet"
    result = predict_cli("--model", model_dir, "--file", path, "--out", reference, "--chunk-rows", "25")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1].startswith(f"wrote 120 rows → {reference} in ")
    assert "; 6 of 120 texts were empty and got no label" in result.stderr

    def stop(index):
        if index == 1:
            raise KeyboardInterrupt

    out = tmp_path / "out.parquet"
    with pytest.raises(KeyboardInterrupt):
        score_file(path, out, model=model_dir, chunk_rows=25, progress=False, on_chunk=stop, on_status=print)
    again = predict_cli("--model", model_dir, "--file", path, "--out", out, "--chunk-rows", "25")
    assert again.exit_code == 2 and "add --resume to continue it" in again.stderr
    resumed = predict_cli(
        "--model", model_dir, "--file", path, "--out", out, "--chunk-rows", "25", "--resume"
    )
    assert resumed.exit_code == 0, resumed.output
    assert "resuming: 2 completed chunks" in resumed.stderr and "2 of 5 chunks came from" in resumed.stderr
    assert pq.read_table(out).equals(pq.read_table(reference))
    clash = predict_cli("--model", model_dir, "--file", reference, "--out", tmp_path / "twice.csv")
    assert clash.exit_code == 2 and "already has a column named 'sentilab_label'" in clash.stderr
    assert "--prefix" in clash.stderr
