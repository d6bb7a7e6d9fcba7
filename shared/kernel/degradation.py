"""What in this process is running degraded, and since when (X-2, X-3).

A relay that cannot reach its store or the broker, an inbox whose handlers cannot reach the
store: each keeps working by itself (retrying, reconnecting), and says so once, when it
starts and when it ends, rather than in every retry's line. `GET /health` (and the runner's
health RPC) shows the same figure, so an operator sees a degraded process without reading logs."""

from __future__ import annotations

import threading
import time

from shared.kernel.logging import get_logger


class Degradation:
    """The components of one process that are degraded now: name → (reason, since)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now: dict[str, tuple[str, float]] = {}

    def degraded(self, component: str, reason: str) -> None:
        with self._lock:
            first = component not in self._now
            if first:
                self._now[component] = (reason, time.monotonic())
        if first:
            get_logger(component=component).warning("degraded", reason=reason)

    def recovered(self, component: str) -> None:
        with self._lock:
            was = self._now.pop(component, None)
        if was is not None:
            get_logger(component=component).info("recovered", reason=was[0],
                                                 degraded_seconds=round(time.monotonic() - was[1], 1))

    def figure(self) -> dict[str, dict[str, object]]:
        """For /health: each degraded component, why, and for how many seconds."""
        now = time.monotonic()
        with self._lock:
            return {name: {"reason": reason, "seconds": round(now - since, 1)}
                    for name, (reason, since) in sorted(self._now.items())}


# One per process: the relay, the inboxes and the health answer meet here.
DEGRADATION = Degradation()
