"""Safe outputs: sentilab never deletes or alters a file it did not write, and never leaves half an output."""

from __future__ import annotations

import json
import os

import pytest

from sentilab.paths import (
    OUTPUT_MARKER,
    OutputPathError,
    atomic_file,
    check_output_dir,
    check_output_file,
    output_dir,
    read_output_marker,
)


def snapshot(directory):
    """Every file below ``directory`` with its bytes and mtime: what 'unchanged' means."""
    out = {}
    for root, _dirs, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, directory)] = (handle.read(), os.stat(path).st_mtime_ns)
    return out


def publish(path, kind="report", files=None):
    with output_dir(path, kind) as tmp:
        for name, text in (files or {"report.html": "<p>new</p>"}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text)
    return path


def test_a_new_path_gets_the_output_and_a_marker_listing_every_file(tmp_path):
    out = publish(tmp_path / "a" / "b", files={"report.html": "x", "figures/one.png": "y"})
    assert (out / "report.html").read_text() == "x"
    marker = read_output_marker(out)
    assert marker["kind"] == "report"
    assert marker["files"] == ["figures/", "figures/one.png", "report.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # no hidden sibling left behind


def test_an_empty_directory_is_used(tmp_path):
    (tmp_path / "out").mkdir()
    publish(tmp_path / "out")
    assert (tmp_path / "out" / "report.html").is_file()


def test_a_directory_with_user_files_is_refused_and_left_untouched(tmp_path):
    user = tmp_path / "d"
    user.mkdir()
    (user / "data.csv").write_text("text,label\nok,positive\n")
    (user / "thesis.txt").write_text("three years of work")
    before = snapshot(user)
    with pytest.raises(
        OutputPathError, match=r"already holds files sentilab did not write \(data.csv, thesis.txt\)"
    ):
        publish(user)
    assert snapshot(user) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_the_refusal_comes_before_any_work(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep.txt").write_text("mine")
    worked = []
    with pytest.raises(OutputPathError), output_dir(tmp_path / "d", "report"):
        worked.append(True)
    assert worked == []


def test_a_file_is_never_turned_into_a_directory(tmp_path):
    target = tmp_path / "somefile.txt"
    target.write_text("notes")
    with pytest.raises(OutputPathError, match="is a file, not a directory"):
        publish(target)
    assert target.read_text() == "notes"


def test_the_current_directory_is_refused_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputPathError, match="is the current directory") as caught:
        check_output_dir(".", "model")
    assert "./model" in caught.value.hint
    with pytest.raises(OutputPathError, match="current directory"):
        check_output_dir("..", "model")
    assert list(tmp_path.iterdir()) == []


def test_a_previous_output_of_the_same_kind_is_replaced_whole(tmp_path):
    out = publish(tmp_path / "r", files={"old.csv": "1", "report.html": "old"})
    publish(out, files={"report.html": "new"})
    assert sorted(p.name for p in out.iterdir()) == [OUTPUT_MARKER, "report.html"]
    assert (out / "report.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # the swapped-out copy is gone


def test_another_kind_of_output_is_refused(tmp_path):
    out = publish(tmp_path / "r", kind="analysis")
    before = snapshot(out)
    with pytest.raises(OutputPathError, match="holds a sentilab analysis output, not a model"):
        publish(out, kind="model")
    assert snapshot(out) == before


def test_a_file_added_to_an_old_output_is_never_deleted(tmp_path):
    out = publish(tmp_path / "r")
    (out / "my-notes.txt").write_text("notes on the run")
    before = snapshot(out)
    with pytest.raises(OutputPathError, match=r"holds files added after sentilab wrote it \(my-notes.txt\)"):
        publish(out)
    assert snapshot(out) == before


def test_an_interrupted_run_leaves_the_previous_output_intact(tmp_path):
    out = publish(tmp_path / "r", files={"a.csv": "old", "report.html": "old"})
    before = snapshot(out)
    with pytest.raises(KeyboardInterrupt), output_dir(out, "report") as tmp:
        (tmp / "a.csv").write_text("new rows")
        raise KeyboardInterrupt
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_damaged_marker_counts_as_no_marker(tmp_path):
    out = publish(tmp_path / "r")
    (out / OUTPUT_MARKER).write_text("{not json")
    with pytest.raises(OutputPathError, match="did not write"):
        check_output_dir(out, "report")
    (out / OUTPUT_MARKER).write_text(json.dumps({"kind": "report"}))  # no file list: not ours to judge
    with pytest.raises(OutputPathError, match="did not write"):
        check_output_dir(out, "report")


def test_file_outputs_need_overwrite_to_replace_a_file(tmp_path):
    target = tmp_path / "predictions.csv"
    assert check_output_file(target) == target
    target.write_text("user,data\n")
    with pytest.raises(OutputPathError, match="already exists") as caught:
        check_output_file(target)
    assert "--overwrite" in caught.value.hint
    assert check_output_file(target, overwrite=True) == target
    with pytest.raises(OutputPathError, match="is a directory"):
        check_output_file(tmp_path)
    assert target.read_text() == "user,data\n"


def test_atomic_file_leaves_nothing_when_the_block_fails(tmp_path):
    target = tmp_path / "x.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target, "w") as handle:
        handle.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]


def test_a_claimed_folder_keeps_added_files_and_is_never_replaced_whole(tmp_path):
    from sentilab.paths import claim_output_dir

    demo = claim_output_dir(tmp_path / "demo", "demo")
    (demo / "notes.txt").write_text("mine")
    assert claim_output_dir(demo, "demo") == demo  # a later run may fill it again
    with pytest.raises(OutputPathError, match="filled part by part"), output_dir(demo, "demo") as tmp:
        (tmp / "index.html").write_text("whole")
    assert (demo / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
