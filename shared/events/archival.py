"""Integration events published by archival (AR-1 … AR-4): deletion after lapse, exports,
purges and restores."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from shared.events.base import IntegrationEvent
from shared.events.billing import (
    BusinessName,
    BusinessType,
    EventPart,
    Products,
    Rials,
    distinct,
    ordered,
)

ExportFormat = Literal["xlsx", "csv", "json"]  # AR-4: Excel or other formats


class _Archival(IntegrationEvent):
    producer: ClassVar[str] = "archival"
    tenant_field: ClassVar[str | None] = "tenant_id"


class ArchivalScheduledV1(_Archival):
    """The lapsed business's data will be deleted at ``deletion_due_at``, three months after the lapse (AR-1, AR-2)."""

    type: ClassVar[str] = "ArchivalScheduled"
    tenant_id: uuid.UUID
    business_name: BusinessName
    admin_user_id: uuid.UUID
    lapsed_at: AwareDatetime
    deletion_due_at: AwareDatetime

    @model_validator(mode="after")
    def _after_lapse(self) -> Self:
        ordered(self.lapsed_at, self.deletion_due_at, "the grace period")
        return self


class ArchivalCancelledV1(_Archival):
    """Scheduled deletion is off: the business came back or an operator stopped it (AR-1)."""

    type: ClassVar[str] = "ArchivalCancelled"
    tenant_id: uuid.UUID
    reason: Literal["reactivated", "operator"]
    deletion_was_due_at: AwareDatetime
    cancelled_at: AwareDatetime


class DeletionReminderV1(_Archival):
    """The business's data will be deleted in ``days_before`` days, at ``deletion_due_at``;
    reports can still be taken until then (AR-1, AR-2, NO-1). One event per reminder, each once."""

    type: ClassVar[str] = "DeletionReminder"
    tenant_id: uuid.UUID
    business_name: BusinessName
    admin_user_id: uuid.UUID
    days_before: Literal[30, 7, 1]
    deletion_due_at: AwareDatetime


class ExportReadyV1(_Archival):
    """A requested export of the business's data can be downloaded until ``available_until`` (AR-4, AR-2)."""

    type: ClassVar[str] = "ExportReady"
    export_id: uuid.UUID
    tenant_id: uuid.UUID
    requested_by_user_id: uuid.UUID
    format: ExportFormat
    size_bytes: int = Field(ge=0, strict=True)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", max_length=64)
    available_until: AwareDatetime


class PurgedDataset(EventPart):
    """One kind of data deleted for a business, and how many records it held."""

    kind: Literal["ledgers", "documents", "organizations", "members", "exports", "read_models",
                  "personal_data_keys"]
    records: int = Field(ge=0, strict=True)


class TenantDataPurgedV1(_Archival):
    """The business's data was deleted from the servers; only past backups may still hold it (AR-1, AR-3)."""

    # No personal data here (not even the business name): its subject key was destroyed with it.
    type: ClassVar[str] = "TenantDataPurged"
    tenant_id: uuid.UUID
    lapsed_at: AwareDatetime
    purged_at: AwareDatetime
    datasets: tuple[PurgedDataset, ...] = Field(min_length=1, max_length=7)
    backups_retained_until: AwareDatetime | None  # AR-3: restorable, for a fee, until then

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        distinct(tuple(d.kind for d in self.datasets), "datasets")
        ordered(self.lapsed_at, self.purged_at, "the grace period")
        return self


class RestoreRequestedV1(_Archival):
    """A customer asked to restore a deleted business from its latest retained backup (AR-3).
    Billing turns it into an order of kind "restore" with id ``order_id`` at the restore price;
    the order's PaymentSucceeded tells archival to restore."""

    type: ClassVar[str] = "RestoreRequested"
    restore_id: uuid.UUID
    order_id: uuid.UUID  # chosen here so the customer can pay at once: uuid5 of the restore id
    tenant_id: uuid.UUID
    requested_by_user_id: uuid.UUID
    backup_id: uuid.UUID
    backup_taken_at: AwareDatetime
    business_name: BusinessName
    business_type: BusinessType


class RestoreCompletedV1(_Archival):
    """A purged business's data was restored from a past backup, a separately priced service (AR-3)."""

    type: ClassVar[str] = "RestoreCompleted"
    restore_id: uuid.UUID
    tenant_id: uuid.UUID
    backup_id: uuid.UUID
    backup_taken_at: AwareDatetime
    requested_by_user_id: uuid.UUID
    business_name: BusinessName
    business_type: BusinessType
    admin_user_id: uuid.UUID
    products: Products  # what the restored books used, for provisioning to reopen
    fee_rials: Rials
    restored_at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        distinct(self.products, "products")
        ordered(self.backup_taken_at, self.restored_at, "the restore")
        return self
