"""Spread CPU-bound steps over the machine's cores.

Workers are forked after the build has read everything, so they inherit the site, the Jinja
environment and the Markdown renderer instead of receiving them pickled; only the small results
travel back. Work is shipped in a few large chunks, not item by item.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.pool
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows, where nothing is forked
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
R = TypeVar("R")

# Chunks per worker, before the last ones (see _TAIL). With 4, at 10,000 posts, the last chunk of
# pages kept one worker busy 0.6 s after the other was done, and reading took 2.3 s: the workers
# were idle while the build's process took in 1,250 documents at a time (1.2 s with 16).
_CHUNKS = 16

# Towards the end the chunks shrink, each at most what is left over _TAIL chunks a worker (and at
# least an eighth of the others), so that the workers end together: at 10,000 posts the last
# chunks of bodies and of pages, 313 and 546 items, left one worker idle 0.3 s at the end of each.
_TAIL = 4

# The size of the pipe that brings results back (Linux's default is 64 KB, its most for a user
# 1 MB). multiprocessing reads a result with a read of all its remaining bytes at a time, each
# read a new buffer of that size: for a chunk of 2.6 MB of documents, 42 reads of up to 2.6 MB
# through a 64 KB pipe, and the worker that sent it waiting. Reading 10,000 posts took 1.3 s, 1.1 s
# with a pipe of 1 MB.
_PIPE_SIZE = 1 << 20

# The task of the current parallel_map, set just before the workers are forked.
_task: tuple[Callable[[Any], Any], Sequence[Any], Callable[[], None] | None] | None = None

# The results of the current parallel_map's workers, as they come in (see ``busy``).
_results: Any = None


def workers() -> int:
    """Worker processes to use: HUBGEN_WORKERS if set, else the cores this process may run on."""
    chosen = os.environ.get("HUBGEN_WORKERS", "")
    if chosen.isdigit() and int(chosen) > 0:
        return int(chosen)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def busy() -> bool:
    """Whether the workers of the parallel_map this process runs have results still to give
    (for its ``forked``, which can do what it can spare until they are done); False if none
    runs, or it runs serially."""
    results = _results
    if results is None:
        return False
    # the iterator of Pool.imap is in its pool's cache until every result is in
    cache, job = getattr(results, "_cache", None), getattr(results, "_job", None)
    return cache is None or job in cache


def _run(bounds: tuple[int, int]) -> list[Any]:
    if _task is None:  # only ever called in a worker forked by parallel_map
        raise RuntimeError("no parallel task")
    return _chunk(*_task, bounds)


def _chunk(
    function: Callable[[Any], Any],
    items: Sequence[Any],
    ended: Callable[[], None] | None,
    bounds: tuple[int, int],
) -> list[Any]:
    results = [function(items[index]) for index in range(*bounds)]
    if ended is not None:
        ended()
    gc.collect(0)  # the chunk's garbage, when the build has paused automatic collection
    return results


def parallel_map(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    min_items: int = 200,
    progress: Callable[[int, int], None] | None = None,
    forked: Callable[[], None] | None = None,
    ended: Callable[[], None] | None = None,
    together: int = 0,
) -> list[R]:
    """``[function(item) for item in items]``, in order, over forked workers when it pays.

    ``forked`` is called once the workers are forked, if they are: what only they need of this
    process's memory can then be let go. ``ended`` is called at the end of each chunk, by the
    process that worked it, before the chunk's results are taken: what ``function`` put off
    for a batch is done then. The first ``together`` items are one chunk, worked by one process:
    items that share what each process works out once.
    """
    global _task, _results
    count = workers()
    serial = (
        count < 2 or len(items) < min_items or "fork" not in multiprocessing.get_all_start_methods()
    )
    bounds = _bounds(len(items), 1 if serial else count, together)
    # What exists now is out of the collections workers make after each chunk, and is copied on
    # write less. (Serially, a chunk's collection is of the youngest objects alone.)
    if not serial:
        gc.freeze()
    pool = None
    try:
        chunks: Iterable[list[Any]]
        if serial:
            chunks = (_chunk(function, items, ended, chunk) for chunk in bounds)
        else:
            _task = (function, items, ended)
            pool = multiprocessing.get_context("fork").Pool(count)
            _widen(pool)
            chunks = _results = pool.imap(_run, bounds)
            if forked is not None:
                forked()
        results: list[R] = []
        for chunk in chunks:
            results += chunk
            if progress is not None:
                progress(len(results), len(items))
        if pool is not None:
            # Workers told to stop, not killed: Pool.terminate races with the pool's own thread
            # starting a worker in place of one it kills, and then waits for it for ever.
            pool.close()
            pool.join()
            pool = None
        return results
    finally:
        _task = _results = None
        if pool is not None:  # an exception, or Ctrl-C
            pool.terminate()
        if not serial:
            gc.unfreeze()


def _bounds(total: int, count: int, together: int = 0) -> list[tuple[int, int]]:
    """The chunks of ``total`` items for ``count`` workers, in order: serially (one), chunks of
    100; else the first ``together`` items in one, then _CHUNKS per worker, small enough that
    results come back while the next chunks are worked on, and smaller at the end (see _TAIL)."""
    if count < 2:
        return [(start, min(start + 100, total)) for start in range(0, total, 100)]
    start = min(together, total)
    bounds = [(0, start)] if start > 0 else []
    size = max(1, -(-(total - start) // (count * _CHUNKS)))
    least = max(1, size // 8)
    while start < total:
        step = min(size, max(least, -(-(total - start) // (count * _TAIL))))
        bounds.append((start, min(start + step, total)))
        start += step
    return bounds


def _widen(pool: multiprocessing.pool.Pool) -> None:
    """Make the pipe that brings ``pool``'s results back ``_PIPE_SIZE`` if the system lets it."""
    results = getattr(getattr(pool, "_outqueue", None), "_reader", None)
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)
    if results is not None and setting is not None:
        with contextlib.suppress(OSError):  # more than the system allows a user
            fcntl.fcntl(results.fileno(), setting, _PIPE_SIZE)
