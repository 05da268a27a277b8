"""``prefetched``: run a generator one step ahead in a worker thread.

An ingest alternates between Python-side work on a batch (parsing, row flags, text normalisation:
Arrow kernels and Parquet reads that release the GIL) and the database's work on the previous one
(DuckDB's execution releases the GIL too). Done one after the other, one of the two cores of a small
machine sits idle most of the time; with the next batch prepared while the database loads the
current one, both are busy (``bench/bench_ingest.py``).

The contract a caller can rely on:

- items arrive in order, at most ``depth`` of them prepared ahead (memory stays bounded);
- an exception raised by the generator is raised in the consumer, at the item where it happened,
  with its traceback;
- leaving the ``with`` block early (the consumer failed, or stopped) stops the worker and closes
  the generator *in the worker thread* (a generator may only be closed by the thread running it),
  and joins the worker before the block's exception propagates: nothing keeps reading a file whose
  ingest was rolled back.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.05  # how often a blocked worker looks whether the consumer has gone


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


class _Worker(Generic[T]):
    def __init__(self, items: Iterable[T], depth: int) -> None:
        self.items = items
        self.queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="kpigov-prefetch", daemon=True)

    def _run(self) -> None:
        iterator = iter(self.items)
        try:
            for item in iterator:
                if not self._put(item):
                    return
            self._put(_DONE)
        except BaseException as error:  # noqa: BLE001  (handed to the consumer, which re-raises it)
            self._put(_Failed(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def _put(self, item: object) -> bool:
        """Hand ``item`` over; False when the consumer has gone (the worker then stops)."""
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def consume(self) -> Iterator[T]:
        while True:
            item = self.queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]

    def shut_down(self) -> None:
        self.stop.set()
        while self.thread.is_alive():
            try:  # unblock a worker waiting to put, then wait for it to close its generator
                self.queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                pass
        self.thread.join()


@contextmanager
def prefetched(items: Iterable[T], depth: int = 1) -> Iterator[Iterator[T]]:
    """``items``, produced in a worker thread up to ``depth`` items ahead of the consumer."""
    if depth < 1:
        raise ValueError("depth must be at least 1")
    worker = _Worker(items, depth)
    worker.thread.start()
    try:
        yield worker.consume()
    finally:
        worker.shut_down()


__all__ = ["prefetched"]
