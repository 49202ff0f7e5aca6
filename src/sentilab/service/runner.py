"""One model behind the service: used by one job at a time, with concurrent predictions merged into one batch.

Why: models are not promised to be thread-safe (a from-scratch LSTM may keep forward caches on ``self``), and
batching is where their speed is (the bag-of-words model vectorizes a whole batch; the encoder runs one
matrix product per batch). So each model gets an :class:`asyncio.Lock`; a request that finds the lock busy
queues its texts, and whoever takes the lock next runs every queued text in one ``predict_proba`` call, up to
``max_batch_texts``. Under load, 50 clients sending one text each cost a handful of model calls, not 50.

Fairness: ``asyncio.Lock`` wakes waiters first-in first-out, and each lock holder takes the oldest queued jobs
first, so every job is in the batch of its own lock turn or an earlier one. One bad request cannot fail its
neighbours: if a merged batch raises, its jobs are re-run one by one and only the culprit gets the error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import numpy as np


@dataclass
class _Job:
    texts: list[str]
    future: asyncio.Future = field(repr=False)


class ModelRunner:
    """Serialized, batching access to one fitted :class:`~sentilab.models.base.SentimentModel`."""

    def __init__(self, model, *, max_batch_texts: int = 256):
        self.model = model
        self.max_batch_texts = max_batch_texts
        self._lock = asyncio.Lock()
        self._queue: deque[_Job] = deque()
        #: Model calls made and texts scored (the benchmark reports texts per call).
        self.calls = 0
        self.texts = 0

    async def predict_proba(self, texts: list[str]) -> np.ndarray:
        """``model.predict_proba(texts)``, possibly computed together with other requests' texts."""
        job = _Job(list(texts), asyncio.get_running_loop().create_future())
        self._queue.append(job)
        try:
            async with self._lock:
                # Usually an earlier lock holder already ran this job in its batch; if not, run the oldest
                # queued jobs (this one among them, or in a following batch).
                while not job.future.done():
                    await self._run_batch(self._take_batch())
        finally:
            if not job.future.done():  # cancelled while waiting: nobody will run it
                self._discard(job)
        return job.future.result()

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function(*args)`` in a worker thread with exclusive use of the model (e.g. an explanation)."""
        async with self._lock:
            return await anyio.to_thread.run_sync(function, *args)

    # ----------------------------------------------------------------- internals
    def _take_batch(self) -> list[_Job]:
        """The oldest queued jobs, at least one, up to ``max_batch_texts`` texts in all."""
        batch = [self._queue.popleft()]
        size = len(batch[0].texts)
        while self._queue and size + len(self._queue[0].texts) <= self.max_batch_texts:
            job = self._queue.popleft()
            batch.append(job)
            size += len(job.texts)
        return batch

    def _discard(self, job: _Job) -> None:
        with contextlib.suppress(ValueError):  # already taken by a batch
            self._queue.remove(job)
        job.future.cancel()

    async def _call(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return await anyio.to_thread.run_sync(self.model.predict_proba, texts)

    async def _run_batch(self, batch: list[_Job]) -> None:
        try:
            if len(batch) == 1:
                await self._settle(batch[0])
                return
            try:
                proba = await self._call([text for job in batch for text in job.texts])
            except Exception:  # one job's texts may be at fault: find out which, alone
                for job in batch:
                    await self._settle(job)
                return
            start = 0
            for job in batch:
                stop = start + len(job.texts)
                _resolve(job.future, result=proba[start:stop])
                start = stop
        finally:
            for job in batch:  # never leave a waiter hanging, whatever happened above
                _resolve(job.future, error=RuntimeError("the model call was interrupted"))

    async def _settle(self, job: _Job) -> None:
        try:
            _resolve(job.future, result=await self._call(job.texts))
        except Exception as exc:
            _resolve(job.future, error=exc)


def _resolve(future: asyncio.Future, *, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


__all__ = ["ModelRunner"]
