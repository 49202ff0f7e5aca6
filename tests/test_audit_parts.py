"""The parts of the audit: the polarity reads labels the one way sentilab does, the behaviour catalogue draws
the same cases release after release, the compute package stays free of files and charts, and the report
names its files after the group dimensions."""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sentilab.audit
from sentilab import labels
from sentilab.audit import behaviour as B
from sentilab.audit import polarity_map
from sentilab.errors import ModelError
from tests.test_audit import THREE, toy


# --------------------------------------------------------------------------- the polarity
def test_classes_that_labels_reads_get_exactly_its_polarity():
    proba = np.array([[0.1, 0.7, 0.2], [0.6, 0.1, 0.3]])
    for classes in (["neg", "neu", "pos"], ["N", "NONE", "P"], [-1, 0, 1], np.array([0, 2, 4])):
        mapping = polarity_map(classes)
        assert mapping.weights == [-1.0, 0.0, 1.0], classes
        np.testing.assert_array_equal(
            mapping.polarities(proba), labels.polarity(proba, labels.class_sentiments(classes))
        )
    assert polarity_map(["neg", "neu", "pos"]).definition == "P(pos) - P(neg) (neu count as 0)"
    assert polarity_map(["0", "4"]).definition == "P(4) - P(0)"  # Sentiment140's scheme, read by labels


def test_number_classes_labels_cannot_read_fall_back_to_the_expected_value():
    for classes, weights in (([1, 2, 3, 4, 5], [-1.0, -0.5, 0.0, 0.5, 1.0]), (["0", "2"], [-1.0, 1.0])):
        mapping = polarity_map(classes)
        assert mapping.weights == weights and mapping.definition.startswith("expected class value")
    # 0/2 alone is negative/neutral under Sentiment140's scheme: no positive class, so the numbers decide.
    assert polarity_map(["0", "2"]).definition.endswith("(0 -> -1, 2 -> +1)")


def test_explicit_labels_override_and_unknown_classes_need_them():
    with pytest.raises(ModelError, match="classes are good, bad") as info:
        polarity_map(["good", "bad"])
    assert "--negative-label" in info.value.hint
    mapping = polarity_map(
        ["negative", "positive", "mixed"], positive_label="positive", negative_label="negative"
    )
    assert mapping.weights == [-1.0, 1.0, 0.0] and mapping.definition == "P(positive) - P(negative)"
    with pytest.raises(ModelError, match="must be different"):
        polarity_map(["a", "b"], positive_label="a", negative_label="a")


# --------------------------------------------------------------------------- the behaviour catalogue
def _digest(tests) -> str:
    plain = [
        [t.name, t.capability, t.test_type, t.description,
         [[c[0], sorted(c[1])] if isinstance(c[-1], set) else list(c) for c in t.cases]]
        for t in tests
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(plain).encode()).hexdigest()


def test_default_behaviour_cases_are_the_same_as_before_the_catalogue():
    """Saved audits stay comparable: seed 0 with 200 cases per test draws exactly the cases it always drew
    (the digest was taken from the single-function generator this catalogue replaced; it changed once
    since, when "score" became "polarity" in two test names and four descriptions — the cases did not)."""
    tests = sentilab.audit.behaviour_tests(seed=0, n_per_test=200)
    assert _digest(tests) == "df3387ed603d50a94d947473e491149883b5f2eb35599430bbf23fc7eda865c1"


def test_each_catalogue_entry_is_seeded_by_its_position_alone():
    suite = sentilab.audit.behaviour_tests(seed=5, n_per_test=15)
    assert [t.name for t in suite] == [spec.name for spec in B.BEHAVIOUR_CATALOGUE]
    assert len({spec.name for spec in B.BEHAVIOUR_CATALOGUE}) == len(B.BEHAVIOUR_CATALOGUE)
    for index, spec in enumerate(B.BEHAVIOUR_CATALOGUE):
        assert spec.test_type in B.FAILURE_CHECKS
        alone = spec.build(np.random.default_rng([5, index]), 15)
        assert alone == suite[index], spec.name  # adding or removing another test cannot change this one


def test_a_custom_test_list_is_checked_by_its_type():
    custom = [
        B.BehaviourTest("plain words", "vocabulary", "MFT", "", [("The food was good.", {"positive"})]),
        B.BehaviourTest("stays", "robustness", "INV", "", [("It was good.", "It was bad.")]),
    ]
    result = sentilab.audit.audit_behaviour(toy(), tests=custom)
    assert [(t.name, t.n_failed) for t in result.tests] == [("plain words", 0), ("stays", 1)]
    assert result.tests[1].examples[0].expected.startswith("positive, as for 'It was good.'")


# --------------------------------------------------------------------------- layout
AUDIT_PACKAGE = Path(sentilab.audit.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_the_audit_package_computes_only():
    """No module of sentilab.audit reaches for charts, reports, the CLI or a file writer, even lazily."""
    forbidden = ("matplotlib", "sentilab.plots", "sentilab.reports", "sentilab.cli", "sentilab.paths")
    for path in sorted(AUDIT_PACKAGE.glob("*.py")):
        bad = [m for m in _imported_modules(path) if m.startswith(forbidden)]
        assert not bad, (path.name, bad)
    code = "import sys, sentilab.audit; print(sorted(m for m in sys.modules if m.startswith(('sentilab.', 'matplotlib'))))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "sentilab.plots" not in loaded and "matplotlib" not in loaded and "sentilab.cli" not in loaded


def test_the_audit_report_and_the_demo_do_not_import_the_cli():
    reports_audit = AUDIT_PACKAGE.parent / "reports" / "audit.py"
    demo = AUDIT_PACKAGE.parent / "demo.py"
    for path in (reports_audit, demo):
        assert not [m for m in _imported_modules(path) if m.startswith("sentilab.cli")], path.name


# --------------------------------------------------------------------------- the report's files
def test_report_files_are_named_after_each_dimension(tmp_path):
    from sentilab.reports.audit import summary_text, write_audit

    persons = [("Ebony", "female", "dark"), ("Malik", "male", "dark"), ("Amanda", "female", "light"),
               ("Adam", "male", "light")]  # fmt: skip
    rows = [
        {"text": f"{name} was {word}.", "unit": word, "Skin tone / shade": tone, "Gender": gender}
        for word in ("happy", "sad", "calm")
        for name, gender, tone in persons
    ]
    model = toy(noise=0.1)
    report = sentilab.audit.audit(
        model, behaviour=False, templates=pd.DataFrame(rows), sentence_col="text",
        group_cols=["Skin tone / shade", "Gender"], match_cols=["unit"], n_resamples=100,
    )  # fmt: skip
    written = write_audit(report, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "audit.json", "fairness-gender.png", "fairness-skin-tone-shade.png", "report.html",
    ]  # fmt: skip
    assert set(written) == {"json", "html", "fairness-gender.png", "fairness-skin-tone-shade.png"}
    assert json.loads(written["json"].read_text())["model"]["classes"] == THREE
    summary = summary_text(report)
    assert summary.startswith("model: audit-toy (audit-toy; polarity = P(positive) - P(negative)")
    assert "Skin tone / shade  dark − light" in summary


def test_an_extra_unnamed_class_counts_as_zero_beside_named_positive_and_negative():
    from sentilab.audit.scoring import polarity_map

    mapping = polarity_map(["mixed", "negative", "positive"])
    assert mapping.weights == [0.0, -1.0, 1.0]
    assert mapping.definition == "P(positive) - P(negative) (mixed count as 0)"
