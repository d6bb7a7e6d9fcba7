"""StripedLocks (shared/kernel/conflicts.py): one change at a time per key in a process, other
keys in parallel, and two holders of several keys never deadlock (issue #16)."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

from shared.events.base import Envelope
from shared.events.ops import ClockAdvancedV1
from shared.kernel.conflicts import StripedLocks
from shared.kernel.inbox import Inbound, inbox


def _overlapped(locks: StripedLocks, first: list[object], second: list[object]) -> bool:
    """Whether two holders of these keys were inside at the same time."""
    inside, overlap = [0], [False]
    guard = threading.Lock()

    def hold(keys: list[object]) -> None:
        with locks.held(keys):
            with guard:
                inside[0] += 1
                overlap[0] |= inside[0] > 1
            time.sleep(0.05)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=hold, args=(keys,)) for keys in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert not any(thread.is_alive() for thread in threads), "a holder never got its locks"
    return overlap[0]


def test_one_key_is_held_by_one_holder_at_a_time() -> None:
    tenant = uuid.uuid4()
    assert not _overlapped(StripedLocks(), [tenant], [tenant])


def test_different_keys_run_in_parallel() -> None:
    locks = StripedLocks(stripes=1024)
    assert _overlapped(locks, ["a"], ["b"])  # crc32 puts these two in different stripes of 1024


def test_no_key_holds_nothing() -> None:
    assert _overlapped(StripedLocks(stripes=1), [], [])


def test_holders_of_the_same_keys_in_opposite_orders_do_not_deadlock() -> None:
    locks = StripedLocks(stripes=8)
    keys = [str(n) for n in range(8)]
    for _ in range(20):
        assert not _overlapped(locks, keys, list(reversed(keys)))


def _inbound(tenant_id: uuid.UUID | None) -> Inbound:
    envelope = Envelope(event_id=uuid.uuid4(), type="ClockAdvanced", version=1, occurred_at=datetime.now(UTC),
                        producer="ops", producer_position=0, correlation_id="c", tenant_id=tenant_id,
                        payload={"seconds": 1})
    return Inbound(envelope, ClockAdvancedV1(seconds=1), attempt=1)


def _handled_together(first: Inbound, second: Inbound) -> bool:
    inside, overlap = [0], [False]
    guard = threading.Lock()

    def handler(service: object, inbound: Inbound) -> None:
        with guard:
            inside[0] += 1
            overlap[0] |= inside[0] > 1
        time.sleep(0.05)
        with guard:
            inside[0] -= 1

    handle = inbox(handler)
    threads = [threading.Thread(target=handle, args=(None, each)) for each in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    return overlap[0]


def test_the_inbox_handles_one_business_s_events_one_at_a_time_and_others_alongside() -> None:
    tenant = uuid.uuid4()
    assert not _handled_together(_inbound(tenant), _inbound(tenant))
    assert _handled_together(_inbound(None), _inbound(None))  # no business: nothing to hold
