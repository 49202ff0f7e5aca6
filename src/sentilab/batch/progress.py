"""Progress of a long scoring run: a bar with rows/s and an ETA on a terminal, plain lines elsewhere.

On a terminal (the stream is a TTY) a tqdm bar counts rows; when the number of rows is not known up front
(CSV, JSON lines), the bar's total is estimated from how much of the file has been read. Elsewhere (a log
file, CI), one line every ``every_rows`` rows::

    scored 2,000,000 rows (41,300 rows/s, 38% of the input, about 1m20s left)
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    """Call :meth:`update` after each chunk with the rows it held and how far through the input it ends."""

    def __init__(
        self,
        *,
        total_rows: int | None = None,
        done_rows: int = 0,
        stream: TextIO | None = None,
        every_rows: int = 1_000_000,
        enabled: bool = True,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.total_rows = total_rows
        self.rows = done_rows
        self.every_rows = max(1, every_rows)
        self.enabled = enabled
        self._start = time.perf_counter()
        self._start_rows = done_rows
        self._next_line = (done_rows // self.every_rows + 1) * self.every_rows
        self._bar = None
        if enabled and _is_terminal(self.stream):
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total_rows, initial=done_rows, unit=" rows", unit_scale=True, file=self.stream,
                desc="scoring", dynamic_ncols=True, leave=True,
            )  # fmt: skip

    def update(self, rows: int, fraction: float) -> None:
        """``rows`` more are done; the input has been read up to ``fraction`` (0..1) of its size."""
        self.rows += rows
        if not self.enabled:
            return
        if self._bar is not None:
            if self.total_rows is None and fraction > 0:
                self._bar.total = max(self.rows, int(self.rows / fraction))
            self._bar.update(rows)
            return
        if self.rows >= self._next_line:
            self._next_line = (self.rows // self.every_rows + 1) * self.every_rows
            print(self.line(fraction), file=self.stream, flush=True)

    def line(self, fraction: float) -> str:
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        rate = (self.rows - self._start_rows) / elapsed
        if self.total_rows:
            fraction = self.rows / self.total_rows
        text = f"scored {self.rows:,} rows ({rate:,.0f} rows/s"
        if 0 < fraction < 1:
            left = elapsed / fraction * (1 - fraction) if self._start_rows == 0 else None
            if left is None and rate > 0:  # resumed: only this run's rows tell the speed
                left = (self.rows / fraction - self.rows) / rate
            text += f", {fraction:.0%} of the input, about {_duration(left)} left"
        return text + ")"

    def close(self) -> None:
        if self._bar is not None:
            if self.total_rows is None:  # the estimate from bytes read becomes the count
                self._bar.total = self.rows
                self._bar.refresh()
            self._bar.close()
            self._bar = None


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
