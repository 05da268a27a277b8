"""``prefetched``: a generator run one step ahead in a worker thread, with its failures and early
exits handled as a plain ``for`` loop would handle them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from kpigov.ingest.prefetch import prefetched


def test_items_arrive_in_order_and_at_most_depth_ahead() -> None:
    produced: list[int] = []

    def numbers() -> Iterator[int]:
        for n in range(50):
            produced.append(n)
            yield n

    seen = []
    with prefetched(numbers(), depth=2) as items:
        for n in items:
            time.sleep(0.001 if n % 7 else 0.02)  # a slow consumer now and then
            # consumed n; queued at most 2; the worker may hold one more it cannot hand over yet
            assert len(produced) <= n + 1 + 2 + 1
            seen.append(n)
    assert seen == list(range(50))


def test_a_failure_in_the_generator_is_raised_in_the_consumer_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise LookupError("row 3 is broken")

    seen = []
    with pytest.raises(LookupError, match="row 3 is broken") as raised, prefetched(failing()) as items:
        for n in items:
            seen.append(n)
    assert seen == [1, 2]
    assert any(frame.name == "failing" for frame in raised.traceback)  # the generator's own traceback


@pytest.mark.parametrize("how", ["break", "raise"])
def test_leaving_early_closes_the_generator_in_its_own_thread_before_the_block_ends(how: str) -> None:
    closed_in: list[str] = []
    produced: list[int] = []

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                produced.append(n)
                yield n
                n += 1
        finally:
            closed_in.append(threading.current_thread().name)

    with pytest.raises(RuntimeError) if how == "raise" else nullcontext():
        with prefetched(endless(), depth=3) as items:
            for n in items:
                if n == 5:
                    if how == "raise":
                        raise RuntimeError("the consumer failed")
                    break
    assert closed_in == ["kpigov-prefetch"]  # closed, exactly once, by the worker, before the with ended
    count = len(produced)
    time.sleep(0.1)
    assert len(produced) == count  # and nothing is produced any more


def test_an_empty_generator_and_a_bad_depth() -> None:
    with prefetched(iter(())) as items:
        assert list(items) == []
    with pytest.raises(ValueError, match="depth"), prefetched(iter(()), depth=0):
        pass

