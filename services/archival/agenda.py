"""The agenda: which businesses the clock next has work for, and which exports are still
to be built. Saved in the same transaction as the change that moves a deadline, so the
clock never misses a business and a restart resumes every unfinished export. Split in
shards by tenant, so concurrent changes of different businesses rarely meet on one stream."""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from shared.kernel.shards import Shards

INDEX = Shards(uuid.UUID("0c3f4b7a-91d2-4e58-8a6b-5d2e7f1a9c30"), "agenda")
SHARDS = INDEX.count
shard_of = INDEX.of
agenda_id = INDEX.id


class Agenda(Aggregate):
    @event("Started")
    def __init__(self, shard: int) -> None:
        self.shard = shard
        self.due: dict[str, datetime] = {}  # tenant id → when the clock next has work there
        self.exports: dict[str, str] = {}  # export id → tenant id, until built or failed

    @staticmethod
    def create_id(shard: int) -> uuid.UUID:
        return agenda_id(shard)

    def set_due(self, tenant_id: uuid.UUID, at: datetime | None) -> None:
        if self.due.get(str(tenant_id)) != at:
            self._due_set(tenant_id=str(tenant_id), at=at)

    @event("DueSet")
    def _due_set(self, tenant_id: str, at: datetime | None) -> None:
        if at is None:
            self.due.pop(tenant_id, None)
        else:
            self.due[tenant_id] = at

    def due_by(self, now: datetime) -> list[uuid.UUID]:
        return [uuid.UUID(t) for t, at in sorted(self.due.items(), key=lambda item: item[1]) if at <= now]

    @event("ExportQueued")
    def export_queued(self, export_id: str, tenant_id: str) -> None:
        self.exports[export_id] = tenant_id

    def export_settled(self, export_id: str) -> None:
        if export_id in self.exports:
            self._export_settled(export_id=export_id)

    @event("ExportSettled")
    def _export_settled(self, export_id: str) -> None:
        self.exports.pop(export_id, None)
