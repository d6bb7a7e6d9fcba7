"""The one way a use case runs get → change → save again when another process saved the
same aggregate first (optimistic concurrency, X-3).

The store refuses the second writer of a version. SQLite says so with an IntegrityError;
PostgreSQL pipelines the insert and may say it as an aborted pipeline (OperationalError).
A duplicate inbound event is not a conflict: the store raises AlreadyHandled for it, which
goes straight to the caller. Losers pause for a short random time that grows with each try,
so they do not collide again in lockstep."""

from __future__ import annotations

import contextlib
import random
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from eventsourcing.persistence import IntegrityError, OperationalError

from shared.kernel.errors import DomainError
from shared.kernel.logging import get_logger

T = TypeVar("T")

CONFLICTS = (IntegrityError, OperationalError)
DEFAULT_TRIES = 30
# The longest pause grows to MAX_PAUSE_SECONDS after ten tries: thirty tries wait at most ~1.2 s.
BASE_PAUSE_SECONDS = 0.002
MAX_PAUSE_SECONDS = 0.05


def pause_before(attempt: int) -> float:
    """A random pause before try number ``attempt`` (1 = the first retry): full jitter under a
    ceiling that doubles with each try up to MAX_PAUSE_SECONDS."""
    ceiling = min(MAX_PAUSE_SECONDS, BASE_PAUSE_SECONDS * 2 ** min(attempt - 1, 10))
    return random.uniform(0, ceiling)


def retry_on_conflict(change: Callable[[], T], *, tries: int = DEFAULT_TRIES,
                      sleep: Callable[[float], None] = time.sleep, give_up: Callable[[], T] | None = None) -> T:
    """``change()`` until the store takes it. After ``tries`` conflicts: ``give_up()`` when given
    (a consumer lets the last conflict reach its inbox, which retries later), else the caller
    is told ``busy_try_again`` (HTTP 503)."""
    for attempt in range(tries):
        if attempt:
            sleep(pause_before(attempt))
        try:
            return change()
        except CONFLICTS as exc:
            # Each one is a whole read-change-save thrown away: the bench counts them (issue #16).
            get_logger().info("store.conflict", attempt=attempt + 1, error=type(exc).__name__)
            continue
    if give_up is not None:
        return give_up()
    raise DomainError("busy_try_again")


def first_then_fresh(first: T, read: Callable[[], T]) -> Callable[[], T]:
    """For a change that ``retry_on_conflict`` runs: its first try starts from ``first`` (what the
    caller has just read), each retry after a lost race from a fresh ``read()`` (issue #16)."""
    unused = [first]
    return lambda: unused.pop() if unused else read()


class StripedLocks:
    """One change at a time per key in this process, so the workers of one process stop losing
    races to each other (the store still decides between replicas). Four events of one new
    business arrive within milliseconds and went to four workers at once: in the lifecycle bench
    a quarter of all saves were thrown away as conflicts (issue #16). A fixed set of locks
    (no dict that grows with keys); stripes are taken in order, so two holders never deadlock.
    Under the services' monkey-patching the locks are green."""

    def __init__(self, stripes: int = 64) -> None:
        self._locks = [threading.Lock() for _ in range(stripes)]

    @contextlib.contextmanager
    def held(self, keys: Iterable[object]) -> Iterator[None]:
        stripes = sorted({zlib.crc32(str(key).encode()) % len(self._locks) for key in keys})
        with contextlib.ExitStack() as holding:
            for stripe in stripes:
                holding.enter_context(self._locks[stripe])
            yield
