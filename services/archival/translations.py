"""Archival's domain events → integration events (pure). An event whose personal data was
shredded (AR-1) announces nothing when the relay meets it again."""

from __future__ import annotations

import uuid
from typing import Any

from services.archival.domain import Business
from services.archival.export_job import Export
from shared.events import archival as contracts
from shared.events.base import IntegrationEvent

B: Any = Business  # aggregate events are made by eventsourcing's decorators, invisible to mypy
E: Any = Export


def translate(domain_event: Any) -> IntegrationEvent | None:
    name = getattr(domain_event, "name", None)
    if name is not None and name.forgotten:
        return None
    e = domain_event
    if isinstance(e, B.ArchivalScheduled):
        return contracts.ArchivalScheduledV1(tenant_id=_tenant(e), business_name=e.name.value,
                                             admin_user_id=e.admin_user_id, lapsed_at=e.lapsed_at,
                                             deletion_due_at=e.deletion_due_at)
    if isinstance(e, B.ArchivalCancelled):
        return contracts.ArchivalCancelledV1(tenant_id=_tenant(e), reason="reactivated",
                                             deletion_was_due_at=e.deletion_was_due_at, cancelled_at=e.cancelled_at)
    if isinstance(e, B.DeletionReminderDue):
        return contracts.DeletionReminderV1(tenant_id=_tenant(e), business_name=e.name.value,
                                            admin_user_id=e.admin_user_id, days_before=e.days_before,
                                            deletion_due_at=e.deletion_due_at)
    if isinstance(e, B.Purged):
        datasets = [contracts.PurgedDataset(kind=kind, records=records) for kind, records in e.datasets.items()]
        return contracts.TenantDataPurgedV1(tenant_id=_tenant(e), lapsed_at=e.lapsed_at, purged_at=e.purged_at,
                                            datasets=tuple(datasets), backups_retained_until=e.backups_retained_until)
    if isinstance(e, B.RestoreRequested):
        return contracts.RestoreRequestedV1(restore_id=e.restore_id, order_id=e.order_id, tenant_id=_tenant(e),
                                            requested_by_user_id=e.requested_by, backup_id=e.backup_id,
                                            backup_taken_at=e.backup_taken_at, business_name=e.name.value,
                                            business_type=e.business_type)
    if isinstance(e, B.RestoreCompleted):
        return contracts.RestoreCompletedV1(restore_id=e.restore_id, tenant_id=_tenant(e), backup_id=e.backup_id,
                                            backup_taken_at=e.backup_taken_at, requested_by_user_id=e.requested_by,
                                            business_name=e.name.value, business_type=e.business_type,
                                            admin_user_id=e.admin_user_id, products=tuple(e.products),
                                            fee_rials=e.fee_rials, restored_at=e.restored_at)
    if isinstance(e, E.Completed):
        return contracts.ExportReadyV1(export_id=e.originator_id, tenant_id=e.tenant_id,
                                       requested_by_user_id=e.requested_by, format=e.format,
                                       size_bytes=e.size_bytes, sha256=e.sha256, available_until=e.available_until)
    return None


def _tenant(domain_event: Any) -> uuid.UUID:
    return uuid.UUID(str(domain_event.originator_id))  # a Business's stream is named by its tenant id
