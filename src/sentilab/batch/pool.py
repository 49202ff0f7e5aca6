"""``--workers N``: score chunks in N processes, each holding the model once.

The parent reads the input and hands each chunk (an arrow table: rows, not code) to a worker; the worker
loads the model from its saved directory the first time (:class:`~sentilab.batch.model_source.ModelSource`,
never a pickled model object), scores the chunk and writes its part file itself, so parsing, scoring and
writing overlap. At most ``2 × N`` chunks are in flight, which keeps memory flat however long the input.

Workers are forked on Linux (no second interpreter start and import, which costs a 1M-row run more than a
tenth of its time) and created before any progress-bar thread; when PyTorch is loaded (its thread pools do
not survive a fork) or fork is not available, they are spawned: a fresh interpreter each.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

import pyarrow as pa

from sentilab.batch.model_source import _LOADED, ModelSource
from sentilab.batch.parts import PartJob

_SOURCE: ModelSource | None = None


def _start_worker(source: ModelSource) -> None:
    global _SOURCE
    _SOURCE = source
    # Ctrl-C is the parent's to handle: it stops queueing, lets running chunks finish and keeps them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _LOADED.clear()  # a forked worker inherits the parent's model: load the saved one, as spawn and dask do
    source.load()  # once per process, before the first chunk arrives


def _score_in_worker(job: PartJob, index: int, table: pa.Table) -> tuple[int, int]:
    rows, _empty = job.run(_SOURCE.load(), index, table)
    return index, rows


def _start_method() -> str:
    forkable = "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux"
    return "fork" if forkable and "torch" not in sys.modules else "spawn"


class ScoringPool:
    """A process pool that yields ``(chunk index, rows)`` as chunks complete."""

    def __init__(self, workers: int, source: ModelSource):
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(_start_method()),
            initializer=_start_worker,
            initargs=(source,),
        )
        self._pending: set[Future] = set()
        # The first submit starts every worker (forked now, while this is the parent's only thread).
        self._executor.submit(int).result()

    def submit(self, job: PartJob, index: int, table: pa.Table) -> Iterator[tuple[int, int]]:
        """Queue one chunk; yields the chunks that completed while waiting for room in the queue."""
        while len(self._pending) >= 2 * self.workers:
            finished, self._pending = wait(self._pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
        self._pending.add(self._executor.submit(_score_in_worker, job, index, table))

    def drain(self) -> Iterator[tuple[int, int]]:
        while self._pending:
            finished, self._pending = wait(self._pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)
