"""Every Python snippet in the README runs as written (they fetch registry data: marked network)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_readme_has_python_snippets_and_the_python_section_opens_with_the_one_liner():
    assert len(SNIPPETS) >= 4
    python_section = README.read_text(encoding="utf-8").split("## Python\n", 1)[1]
    first_code = python_section.split("```python\n", 1)[1]
    assert first_code.startswith('import sentilab\n\nsentilab.predict("I love it")')


@pytest.mark.network
@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_each_snippet_runs_as_written(snippet, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets that write (runs/...) write here
    exec(compile(snippet, str(README), "exec"), {"__name__": "readme"})
