"""One chunk in, one part file out: the unit of work that a run completes, resumes from and spreads.

A completed chunk ``i`` leaves two files in the run's work directory: ``count-i.json`` (its rows and empty
texts, written first) and the part ``part-i.SUFFIX`` (written atomically, last). A part that exists is
complete; anything else there (a temporary file of a killed run, a count without its part) is redone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from sentilab.batch.columns import OutputColumns, add_predictions
from sentilab.batch.writers import OutputFormat
from sentilab.paths import atomic_file


def part_name(index: int, suffix: str) -> str:
    """Zero-padded so that sorting the names sorts the rows."""
    return f"part-{index:06d}{suffix}"


def count_name(index: int) -> str:
    return f"count-{index:06d}.json"


@dataclass(frozen=True)
class PartJob:
    """What every chunk of one run shares: where parts go, how they are written, what is added."""

    work: str
    text_column: str
    columns: OutputColumns
    fmt: OutputFormat
    schema: pa.Schema | None = None  # the output schema every part is cast to (fixed by the first chunk)

    def part_path(self, index: int) -> Path:
        return Path(self.work) / part_name(index, self.fmt.part_suffix)

    def run(self, model, index: int, table: pa.Table) -> tuple[int, int]:
        """Score chunk ``index`` and write its part; returns ``(rows, empty texts)``."""
        scored, empty = add_predictions(table, model, self.text_column, self.columns)
        if self.schema is not None:
            scored = scored.cast(self.schema)
        counts = {"rows": scored.num_rows, "empty": empty}
        with atomic_file(Path(self.work) / count_name(index), "w") as handle:
            json.dump(counts, handle)
        self.fmt.write_part(scored, self.part_path(index))
        return scored.num_rows, empty


def completed_parts(work: Path, fmt: OutputFormat) -> dict[int, dict[str, int]]:
    """``{chunk index: {"rows", "empty"}}`` for every part a previous run completed in ``work``."""
    done = {}
    for part in work.glob(part_name(0, fmt.part_suffix).replace("000000", "[0-9]" * 6)):
        index = int(part.name[5:11])
        try:
            counts = json.loads((work / count_name(index)).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # its count is missing: redo the chunk
        done[index] = counts
    return done


def remove_leftovers(work: Path) -> None:
    """Delete the temporary files of an interrupted write (hidden names) in the work directory."""
    for entry in work.iterdir():
        if entry.name.startswith(".") and entry.is_file():
            entry.unlink()
