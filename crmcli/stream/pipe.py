"""Writing a streamed table on a thread of its own.

pyarrow encodes and compresses Parquet with the GIL released, so the last batch is written
(:class:`Behind`) while the next one is read, normalized and checked. Memory: one batch more.
(Reading the next batch on a thread too was tried: on the shared 2-core machine it cost more CPU
than it saved, the batch's Python work then contending with the reader's.)
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Behind:
    """Calls run in order on one thread, at most ``depth`` behind the caller; the first error is
    raised by the next :meth:`submit` or by :meth:`wait`."""

    def __init__(self, depth: int = 1) -> None:
        self.depth = depth
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-write")
        while len(self._pending) >= self.depth:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(fn, *args))

    def wait(self) -> None:
        """Every call done (raises the first error)."""
        try:
            while self._pending:
                self._pending.pop(0).result()
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._pending = []
