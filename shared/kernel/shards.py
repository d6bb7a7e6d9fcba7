"""A small index split over a few streams: the agenda (archival), the subscription calendar
(tenancy) and the deliveries awaiting a report (notifications) are each an aggregate per
shard, so concurrent changes of different businesses or messages rarely meet on one stream,
while a timer still reads the whole index in a few reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Shards:
    """Which shard a key falls in, and each shard's aggregate id (stable: stored streams are
    found by it, so ``namespace``, ``label`` and ``count`` never change for an index)."""

    namespace: uuid.UUID
    label: str
    count: int = 16

    def of(self, key: uuid.UUID) -> int:
        return key.int % self.count

    def id(self, shard: int) -> uuid.UUID:
        return uuid.uuid5(self.namespace, f"{self.label}:{shard}")

    def all(self) -> range:
        return range(self.count)
