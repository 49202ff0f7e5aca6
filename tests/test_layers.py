"""The package's layering, read from the source with ``ast`` (imports inside functions included).

Data flows one way: compute modules return plain results, ``plots`` turns data into figures, ``reports``
writes the files people read, and ``cli`` and the demo sit on top. The rules, for every file:

1. the compute modules (evaluate, explore, documents, audit: a module or a package) import neither
   ``sentilab.plots``, ``sentilab.reports``, ``matplotlib`` nor ``sentilab.cli``, and write no files
   (no atomic writer from ``sentilab.paths``, no ``open(..., "w")``, ``write_text``, ``to_csv``, ...);
2. nothing outside ``sentilab/cli`` (and ``__main__.py``, which is ``python -m sentilab``) imports
   ``sentilab.cli`` or ``sentilab.demo``;
3. ``plots`` imports no compute module, report, command or the demo (annotations under ``TYPE_CHECKING``
   aside): figures take plain values, so a compute module and its figures never import each other;
4. ``reports`` imports neither ``cli`` nor the demo;
5. no two modules import each other, directly or around a circle (imports inside functions count);
6. and the house rule that keeps every room readable: no function is longer than 120 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sentilab

PACKAGE = Path(sentilab.__file__).parent
COMPUTE = ("evaluate", "explore", "documents", "audit")
NO_PLOTS_OR_COMMANDS = ("sentilab.plots", "sentilab.reports", "matplotlib", "sentilab.cli", "sentilab.demo")
FILE_WRITERS = tuple(
    f"sentilab.paths.{name}"
    for name in ("atomic_file", "output_dir", "write_output_dir", "claim_output_dir", "make_readable")
)
WRITING_METHODS = {"write_text", "write_bytes", "to_csv", "to_parquet", "to_json", "savefig", "mkdir"}
MAX_FUNCTION_LINES = 120


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(tree: ast.AST):
    """Every node, except what sits under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every module ``path`` imports, at any depth; ``from a import b`` counts as ``a`` and ``a.b``.

    Relative imports are resolved against the file's package under ``root`` (the ``sentilab`` folder).
    """
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in _walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def file_writes_in(path: Path) -> list[str]:
    """Calls that write files: ``open`` with a w/a/x mode, and methods such as ``write_text``/``to_csv``.

    ``to_json`` counts only with an argument (pandas writes to a path then; without one it returns text).
    """
    found = []
    for node in _walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            modes = list(node.args[1:2]) + [k.value for k in node.keywords if k.arg == "mode"]
            if any(isinstance(m, ast.Constant) and set(str(m.value)) & set("wax") for m in modes):
                found.append((node.lineno, f"open(...) on line {node.lineno}"))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in WRITING_METHODS
            and (func.attr != "to_json" or node.args)
        ):
            found.append((node.lineno, f".{func.attr}(...) on line {node.lineno}"))
    return [text for _, text in sorted(found)]


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _files(*names: str) -> list[Path]:
    """The files of each named module or package under sentilab/ (missing names are skipped)."""
    out = []
    for name in names:
        if (PACKAGE / name).is_dir():
            out += sorted((PACKAGE / name).rglob("*.py"))
        elif (PACKAGE / f"{name}.py").is_file():
            out.append(PACKAGE / f"{name}.py")
    return out


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _check_imports(path: Path, forbidden: tuple[str, ...]) -> None:
    bad = sorted(name for name in imports_of(path) if _within(name, forbidden))
    assert not bad, f"sentilab/{_relative(path)} imports {', '.join(bad)}"


COMPUTE_FILES = _files(*COMPUTE)
OUTSIDE_CLI = [
    path
    for path in sorted(PACKAGE.rglob("*.py"))
    if path.relative_to(PACKAGE).parts[0] not in ("cli", "__main__.py")
]


def test_the_rules_see_every_compute_module():
    seen = {path.relative_to(PACKAGE).parts[0].removesuffix(".py") for path in COMPUTE_FILES}
    assert {"evaluate", "explore", "documents"} <= seen


@pytest.mark.parametrize("path", COMPUTE_FILES, ids=_relative)
def test_compute_modules_import_no_plotting_reports_or_commands(path):
    _check_imports(path, (*NO_PLOTS_OR_COMMANDS, *FILE_WRITERS))


@pytest.mark.parametrize("path", COMPUTE_FILES, ids=_relative)
def test_compute_modules_write_no_files(path):
    assert file_writes_in(path) == [], f"sentilab/{_relative(path)} writes files"


@pytest.mark.parametrize("path", OUTSIDE_CLI, ids=_relative)
def test_only_the_cli_imports_the_cli_and_the_demo(path):
    _check_imports(path, ("sentilab.cli", "sentilab.demo"))


@pytest.mark.parametrize("path", _files("plots"), ids=_relative)
def test_plots_take_plain_data(path):
    _check_imports(path, tuple(f"sentilab.{name}" for name in (*COMPUTE, "reports", "cli", "demo")))


@pytest.mark.parametrize("path", _files("reports"), ids=_relative)
def test_reports_do_not_call_up_to_commands(path):
    _check_imports(path, ("sentilab.cli", "sentilab.demo"))


def test_the_readers_see_hidden_imports_and_writes(tmp_path):
    """The checks can fail: imports inside functions and relative imports are seen, writes are found."""
    plots = tmp_path / "sentilab" / "plots"
    plots.mkdir(parents=True)
    probe = plots / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sentilab.explore import Exploration\n"
        "def figure(frame, path):\n"
        "    from ..reports import html\n"
        "    import matplotlib.pyplot\n"
        "    frame.to_csv(path)\n"
        "    frame.to_json()\n"
        "    with open(path, 'a') as handle, open(path) as other:\n"
        "        pass\n"
    )
    found = imports_of(probe, root=tmp_path / "sentilab")
    assert {"sentilab.reports", "sentilab.reports.html", "matplotlib.pyplot"} <= found
    assert not [name for name in found if _within(name, ("sentilab.explore",))]  # annotations only: allowed
    assert file_writes_in(probe) == [".to_csv(...) on line 7", "open(...) on line 9"]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=_relative)
def test_no_function_is_over_120_lines(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"sentilab/{_relative(path)}: split {', '.join(long)}"


# ============================================================================ no import circle


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the sentilab modules it imports (anywhere in the file), by their longest existing name.

    ``from package import submodule`` is an arrow to the submodule only: Python runs the package's
    ``__init__`` first either way, which is no arrow of this file's own.
    """
    files = {module_name(path, root): path for path in root.rglob("*.py")}
    graph = {}
    for module, path in files.items():
        targets = set()
        for name in imports_of(path, root):
            parts = name.split(".")
            while parts and ".".join(parts) not in files:
                parts.pop()
            if parts and ".".join(parts) != module:
                targets.add(".".join(parts))
        graph[module] = {t for t in targets if not any(other.startswith(t + ".") for other in targets)}
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_no_import_circle():
    found = circles(import_graph())
    assert not found, "modules that import each other: " + "; ".join(" ↔ ".join(sorted(c)) for c in found)


def test_the_circle_finder_finds_a_function_level_circle(tmp_path):
    package = tmp_path / "sentilab"
    (package / "plots").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "plots" / "__init__.py").write_text("")
    (package / "evaluate.py").write_text("def save():\n    from sentilab.plots.evaluate import plot\n")
    (package / "plots" / "evaluate.py").write_text("def plot():\n    from sentilab.evaluate import LEGEND\n")
    (package / "explore.py").write_text("from sentilab import plots\n")
    assert circles(import_graph(package)) == [{"sentilab.evaluate", "sentilab.plots.evaluate"}]
