"""One clock for every deadline. Outside production it can be moved forward (never back)
for the whole platform with a ClockAdvanced event, so a lifecycle of months runs in seconds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class PlatformClock:
    """Wall-clock time plus an offset that only grows."""

    def __init__(self, offset_seconds: int = 0) -> None:
        self._offset = timedelta(seconds=offset_seconds)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    @property
    def offset_seconds(self) -> int:
        return int(self._offset.total_seconds())

    def set_offset(self, seconds: int) -> None:
        with self._lock:
            if seconds > self.offset_seconds:
                self._offset = timedelta(seconds=seconds)


class FixedClock:
    """For tests: time stands still until the test moves it."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta
