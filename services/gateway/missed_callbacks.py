"""Bank callbacks the gateway could not hand to billing (a broker restart, billing down):
remembered in memory and handed over again every few seconds, so a customer who came back
from the bank has the payment settled within seconds of billing's return, not at the
reconciler's next inquiry (issue #20). Billing's callback is idempotent; a gateway restart
forgets these, and billing's reconciler still asks the bank about every pending payment."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider

LONGEST_KEPT_SECONDS = 3600  # the reconciler's 10-minute inquiry has settled it long before
MOST_KEPT = 10_000


class MissedCallbacks:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._missed: dict[str, tuple[str, str, float]] = {}  # payment id → (authority, status, since)

    def remember(self, payment_id: str, authority: str, status: str) -> None:
        with self._lock:
            if len(self._missed) < MOST_KEPT or payment_id in self._missed:
                self._missed[payment_id] = (authority, status, time.monotonic())

    def hand_over(self, deliver: Callable[[str, str, str], bool]) -> int:
        """Try each remembered callback once (``deliver`` answers whether billing took it);
        returns how many are still waiting."""
        with self._lock:
            waiting = list(self._missed.items())
        now = time.monotonic()
        for payment_id, (authority, status, since) in waiting:
            if now - since > LONGEST_KEPT_SECONDS or deliver(payment_id, authority, status):
                with self._lock:
                    self._missed.pop(payment_id, None)
        with self._lock:
            return len(self._missed)

    def __len__(self) -> int:
        with self._lock:
            return len(self._missed)


class MissedCallbacksProvider(DependencyProvider):
    """One MissedCallbacks per gateway process, shared by its workers."""

    def __init__(self) -> None:
        self.missed = MissedCallbacks()

    def get_dependency(self, worker_ctx: Any) -> MissedCallbacks:
        return self.missed
