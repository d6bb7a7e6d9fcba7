"""Which sent messages still wait for a delivery report: the index the follow-up reads.

Each entry names the message, its recipient (whose aggregate says what really happened) and
the provider's message id (what to ask about). The index only says where to look: the
Recipient decides, so an entry seen twice, or left behind by a crash, settles nothing twice.
A few small streams (shards by message id), so sends to different numbers rarely meet on one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from shared.kernel.shards import Shards

INDEX = Shards(uuid.UUID("6b0e2f7c-5a41-4c93-9d1e-8f2a7c3b5e64"), "pending-deliveries")
SHARDS = INDEX.count
shard_of = INDEX.of
pending_id = INDEX.id


@dataclass(frozen=True)
class Awaited:
    message_id: uuid.UUID
    recipient_id: uuid.UUID
    provider_message_id: str
    sent_at: datetime
    # The sending's request and event: its outcome is recorded under them, so logs and the
    # published MessageDelivered/MessageFailed trace back to what caused the SMS.
    correlation_id: str = ""
    causation_id: str | None = None


class PendingDeliveries(Aggregate):
    @event("Started")
    def __init__(self, shard: int) -> None:
        self.shard = shard
        # message id → [recipient id, provider message id, sent at (ISO), correlation id,
        # causation id or ""]: plain values, so a snapshot reads back as the events built it.
        self.entries: dict[str, list[str]] = {}

    @staticmethod
    def create_id(shard: int) -> uuid.UUID:
        return pending_id(shard)

    def awaited(self) -> list[Awaited]:
        return [Awaited(uuid.UUID(message_id), uuid.UUID(recipient_id), provider_message_id,
                        datetime.fromisoformat(sent_at), correlation_id, causation_id or None)
                for message_id, (recipient_id, provider_message_id, sent_at, correlation_id, causation_id)
                in self.entries.items()]

    def watch(self, awaited: Awaited) -> None:
        if str(awaited.message_id) not in self.entries:
            self._watched(message_id=str(awaited.message_id), recipient_id=str(awaited.recipient_id),
                          provider_message_id=awaited.provider_message_id, sent_at=awaited.sent_at.isoformat(),
                          correlation_id=awaited.correlation_id, causation_id=awaited.causation_id or "")

    @event("Watched")
    def _watched(self, message_id: str, recipient_id: str, provider_message_id: str, sent_at: str,
                 correlation_id: str, causation_id: str) -> None:
        self.entries[message_id] = [recipient_id, provider_message_id, sent_at, correlation_id, causation_id]

    def settle(self, message_id: uuid.UUID) -> None:
        if str(message_id) in self.entries:
            self._settled(message_id=str(message_id))

    @event("Settled")
    def _settled(self, message_id: str) -> None:
        self.entries.pop(message_id, None)
