"""One export of a business's data (AR-4, AR-2): requested, built in the background with
recorded progress, then downloadable until ``available_until`` or until the purge."""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event


class Export(Aggregate):
    @event("Requested")
    def __init__(self, export_id: uuid.UUID, tenant_id: uuid.UUID, requested_by: str, format: str,
                 requested_at: datetime) -> None:
        self.tenant_id, self.requested_by, self.format = tenant_id, requested_by, format
        self.requested_at = requested_at
        self.status = "queued"  # queued | building | ready | failed | deleted
        self.rows_done = self.rows_total = 0
        self.file_name: str | None = None
        self.size_bytes = 0
        self.sha256: str | None = None
        self.available_until: datetime | None = None
        self.failure: str | None = None

    @staticmethod
    def create_id(export_id: uuid.UUID, **_: object) -> uuid.UUID:
        return export_id

    @event("Progressed")
    def progressed(self, rows_done: int, rows_total: int) -> None:
        self.status, self.rows_done, self.rows_total = "building", rows_done, rows_total

    @event("Completed")
    def completed(self, file_name: str, size_bytes: int, sha256: str, rows_total: int,
                  available_until: datetime, tenant_id: uuid.UUID, requested_by: str, format: str) -> None:
        # tenant, requester and format repeat the request's so ExportReady is made from this event alone
        self.status, self.file_name, self.size_bytes, self.sha256 = "ready", file_name, size_bytes, sha256
        self.rows_done = self.rows_total = rows_total
        self.available_until = available_until

    @event("Failed")
    def failed(self, reason: str) -> None:
        self.status, self.failure = "failed", reason

    @event("Deleted")
    def deleted(self, at: datetime) -> None:
        self.status = "deleted"

    def settled(self) -> bool:
        return self.status in ("ready", "failed", "deleted")
