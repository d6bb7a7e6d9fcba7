"""What the gateway remembers so that an access token means what identity last said: the
sessions that ended before their tokens expired, and the platform clock that dates them.

The gateway keeps no store. Each replica reads two RabbitMQ streams (shared/kernel/topology.py):
ended sessions from 20 minutes back (an access token lives 15), so a replica that starts
late still knows every session whose token could be valid; and every ClockAdvanced from the
first, each counted once by its event id (a stream is read again after a reconnect)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from shared.events.base import Envelope
from shared.events.catalog import UnknownEvent, parse_payload
from shared.events.identity import SessionsEndedV1
from shared.events.ops import ClockAdvancedV1
from shared.kernel.clock import PlatformClock
from shared.kernel.logging import get_logger
from shared.kernel.tokens import ACCESS_TOKEN_LIFETIME

MARGIN = timedelta(minutes=1)  # clocks of identity and gateway replicas differ a little


class GatewayMemory:
    def __init__(self, clock: PlatformClock | None = None) -> None:
        self.clock = clock or PlatformClock()
        self._lock = threading.Lock()
        self._ended_until: dict[str, datetime] = {}  # session id → when its last token has expired
        self._advances: dict[str, int] = {}  # ClockAdvanced event id → seconds

    def learn(self, body: Any) -> None:
        """One message from either stream. A message it cannot read is logged and skipped:
        a stream has no dead letters, and one bad message must not stop the rest."""
        try:
            envelope = Envelope.model_validate(body)
            event = parse_payload(envelope)
        except (ValidationError, UnknownEvent, TypeError) as exc:
            get_logger().warning("gateway.memory.unreadable", reason=str(exc)[:200])
            return
        if isinstance(event, SessionsEndedV1):
            until = event.ended_at + ACCESS_TOKEN_LIFETIME + MARGIN
            with self._lock:
                for session_id in event.session_ids:
                    self._ended_until[session_id] = max(until, self._ended_until.get(session_id, until))
        elif isinstance(event, ClockAdvancedV1):
            with self._lock:
                self._advances[str(envelope.event_id)] = event.seconds
                self.clock.set_offset(sum(self._advances.values()))

    def has_ended(self, session_id: str | None) -> bool:
        if session_id is None:
            return False
        now = self.clock.now()
        with self._lock:
            if len(self._ended_until) > 1000:  # forget what no valid token can name any more
                self._ended_until = {sid: until for sid, until in self._ended_until.items() if until > now}
            return session_id in self._ended_until

    def health(self) -> dict[str, Any]:
        with self._lock:
            remembered = len(self._ended_until)
        return {"status": "ok", "clock_offset_seconds": self.clock.offset_seconds,
                "ended_sessions_remembered": remembered}
