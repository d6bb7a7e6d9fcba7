"""The platform clock: an offset that only grows (never back); a fixed clock for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import eventlet.patcher

from shared.kernel.clock import FixedClock, PlatformClock

SLACK = timedelta(seconds=5)


def _close(actual: datetime, expected: datetime) -> bool:
    return abs(actual - expected) < SLACK


def test_platform_clock_starts_at_wall_time() -> None:
    clock = PlatformClock()
    assert clock.offset_seconds == 0
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert _close(now, datetime.now(UTC))


def test_initial_offset_applies() -> None:
    clock = PlatformClock(offset_seconds=86_400)
    assert clock.offset_seconds == 86_400
    assert _close(clock.now(), datetime.now(UTC) + timedelta(days=1))


def test_offset_grows_and_now_moves_with_it() -> None:
    clock = PlatformClock()
    clock.set_offset(3600)
    assert clock.offset_seconds == 3600
    assert _close(clock.now(), datetime.now(UTC) + timedelta(hours=1))
    clock.set_offset(90 * 86_400)
    assert clock.offset_seconds == 90 * 86_400
    assert _close(clock.now(), datetime.now(UTC) + timedelta(days=90))


def test_lower_or_equal_offset_is_ignored() -> None:
    clock = PlatformClock()
    clock.set_offset(7200)
    for lower in (7200, 3600, 0, -3600):
        clock.set_offset(lower)
        assert clock.offset_seconds == 7200
        assert _close(clock.now(), datetime.now(UTC) + timedelta(hours=2))


def test_time_never_goes_back() -> None:
    clock = PlatformClock()
    seen = clock.now()
    for offset in (10, 5, 1000, 0, 999, 2000):
        clock.set_offset(offset)
        now = clock.now()
        assert now >= seen
        seen = now
    assert clock.offset_seconds == 2000


def test_concurrent_offsets_keep_the_largest() -> None:
    real_threading = eventlet.patcher.original("threading")
    clock = PlatformClock()
    offsets = list(range(0, 20_000, 7))
    barrier = real_threading.Barrier(8)

    def work(share: list[int]) -> None:
        barrier.wait()
        for offset in share:
            clock.set_offset(offset)

    threads = [real_threading.Thread(target=work, args=(offsets[i::8][::-1] if i % 2 else offsets[i::8],))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.offset_seconds == max(offsets)


def test_fixed_clock_stands_still_until_advanced() -> None:
    start = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    clock = FixedClock(start)
    assert clock.now() == start
    assert clock.now() == start
    clock.advance(timedelta(minutes=5))
    assert clock.now() == start + timedelta(minutes=5)
    clock.advance(timedelta(days=7))
    assert clock.now() == start + timedelta(days=7, minutes=5)
