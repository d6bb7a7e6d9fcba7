"""Which businesses' periods end when: the index the lapse check reads (AR-1).

A few small streams (shards by tenant), each saved in the same transaction as the activation,
renewal or lapse it follows, so the index never disagrees with the businesses; sharding keeps
parallel activations from queueing on one stream. Lapses themselves are recorded on each
Business: the index only says where to look."""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from shared.kernel.shards import Shards

INDEX = Shards(uuid.UUID("3c1a9e52-7b4d-4f60-8e21-0d9c6b5a4f13"), "calendar")
SHARDS = INDEX.count
shard_of = INDEX.of
calendar_id = INDEX.id


class SubscriptionCalendar(Aggregate):
    @event("Started")
    def __init__(self, shard: int) -> None:
        self.shard = shard
        self.ends: dict[str, datetime] = {}  # tenant_id → the end of its active period

    @staticmethod
    def create_id(shard: int) -> uuid.UUID:
        return calendar_id(shard)

    def due(self, now: datetime) -> list[uuid.UUID]:
        return [uuid.UUID(tenant) for tenant, ends in sorted(self.ends.items(), key=lambda kv: _at(kv[1]))
                if _at(ends) <= now]

    def watch(self, tenant_id: uuid.UUID, ends_at: datetime) -> None:
        if self.ends.get(str(tenant_id)) != ends_at:
            self._watched(tenant_id=str(tenant_id), ends_at=ends_at)

    @event("Watched")
    def _watched(self, tenant_id: str, ends_at: datetime) -> None:
        self.ends[tenant_id] = ends_at

    def forget(self, tenant_id: uuid.UUID) -> None:
        if str(tenant_id) in self.ends:
            self._forgotten(tenant_id=str(tenant_id))

    @event("Forgotten")
    def _forgotten(self, tenant_id: str) -> None:
        self.ends.pop(tenant_id, None)


def _at(moment: datetime | str) -> datetime:
    return moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
