"""Batch scoring of large tables: streaming, resumable, on all cores or on a dask cluster.

``score_file(input, out, ...)`` (:mod:`sentilab.batch.runner`) reads CSV/TSV/JSONL/Parquet in chunks, scores
them (in ``workers`` processes if asked) and publishes the rows with ``sentilab_label``, ``sentilab_score``,
``sentilab_polarity`` and one ``sentilab_score_CLASS`` column per class added; ``score_with_dask``
(:mod:`sentilab.batch.dask_engine`) does the same with dask.dataframe on a local or remote cluster.

Modules, one concept each: ``readers`` (chunked input), ``columns`` (the added columns), ``parts`` (one chunk
into one part file), ``writers`` (output formats, publishing), ``progress``, ``model_source`` (a model
travels as its directory), ``pool`` (worker processes), ``runner`` (the resumable loop), ``dask_engine``.
"""

from __future__ import annotations

from sentilab.errors import require

# Without pyarrow: a one-line error naming the extra to install, not a traceback.
require("pyarrow", "parquet", feature="batch scoring (predict --file --out)")

from sentilab.batch.columns import DEFAULT_PREFIX, OutputColumns  # noqa: E402
from sentilab.batch.runner import DEFAULT_CHUNK_ROWS, ScoreSummary, score_file, work_dir_for  # noqa: E402


def score_with_dask(*args, **kwargs):
    """See :func:`sentilab.batch.dask_engine.score_with_dask` (imported only when used)."""
    from sentilab.batch.dask_engine import score_with_dask as run

    return run(*args, **kwargs)


__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_PREFIX",
    "OutputColumns",
    "ScoreSummary",
    "score_file",
    "score_with_dask",
    "work_dir_for",
]
