"""Self-contained HTML reports: figures embedded as data URIs, inline CSS, nothing fetched from anywhere.

Every report in sentilab (exploration, evaluation, documents, audit, the demo index) is built with these
helpers so that they look alike and open offline from a single file.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sentilab.paths import atomic_file

CSS = """
:root { --neg: #d9534f; --neu: #9e9e9e; --pos: #3c9d5d; --ink: #222; --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       max-width: 1100px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid var(--line); }
.subtitle { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; margin: .8rem 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .7rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; } td.num { text-align: right; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .9rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin: .8rem 0; }
.note { color: var(--muted); font-size: .9rem; }
code { background: #f4f4f4; padding: 0 .25rem; border-radius: 3px; }
.side { display: flex; flex-wrap: wrap; gap: 0 2rem; align-items: flex-start; } .side > figure { flex: 1 1 20rem; }
details > summary { cursor: pointer; }
details.more { margin: .6rem 0; } details.more > summary { color: #1a5fb4; }
.warning { border: 1px solid #d9534f; background: #fdf1f0; border-radius: 6px; padding: .6rem 1rem; margin: .8rem 0; }
"""


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def figure_data_uri(figure_or_path) -> str:
    """A ``data:image/png;base64,...`` URI from a matplotlib Figure or a PNG file."""
    if isinstance(figure_or_path, (str, Path)):
        data = Path(figure_or_path).read_bytes()
    else:
        buffer = io.BytesIO()
        figure_or_path.savefig(buffer, format="png", dpi=110)
        data = buffer.getvalue()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure_html(figure_or_path, caption: str = "", *, alt: str | None = None) -> str:
    """An embedded ``<figure>`` with its caption."""
    alt_text = escape(alt if alt is not None else caption)
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{alt_text}" src="{figure_data_uri(figure_or_path)}">{cap}</figure>'


def format_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return escape(value)


def table_html(
    rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]], header: Sequence[str] | None = None
) -> str:
    """An HTML table from dicts (keys become the header) or from sequences with an explicit header."""
    rows = list(rows)
    if rows and isinstance(rows[0], Mapping):
        header = list(header or rows[0].keys())
        rows = [[row.get(column, "") for column in header] for row in rows]
    head = "".join(f"<th>{escape(h)}</th>" for h in header or [])
    body = []
    for row in rows:
        cells = []
        for value in row:
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cells.append(
                f'<td class="num">{format_cell(value)}</td>' if numeric else f"<td>{format_cell(value)}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def details_html(summary: str, content: str, *, expanded: bool = False, css_class: str = "more") -> str:
    """A ``<details>`` block: ``summary`` (HTML) always shown, ``content`` (HTML) one click away.

    Opening it needs no script, and browsers that auto-expand details (Chromium does) open it when a
    link targets an element inside it.
    """
    return (
        f'<details class="{escape(css_class)}"{" open" if expanded else ""}><summary>{summary}</summary>'
        f"{content}</details>"
    )


def page_html(title: str, body: str | Iterable[str], *, subtitle: str = "", extra_css: str = "") -> str:
    """A complete, self-contained HTML document."""
    if not isinstance(body, str):
        body = "\n".join(body)
    sub = f'<p class="subtitle">{escape(subtitle)}</p>' if subtitle else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}{extra_css}</style></head>"
        f"<body><h1>{escape(title)}</h1>{sub}\n{body}\n</body></html>\n"
    )


def write_html(path: str | Path, title: str, body: str | Iterable[str], **kwargs) -> Path:
    """Write a self-contained report atomically and return its path."""
    path = Path(path)
    with atomic_file(path, "w") as handle:
        handle.write(page_html(title, body, **kwargs))
    return path
