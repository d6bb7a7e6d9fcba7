"""Integration events published by provisioning (PR-1 … PR-7): what a purchase delivers."""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from shared.events.base import IntegrationEvent
from shared.events.billing import ONE_LINE_TEXT, BusinessName, BusinessType, distinct

# PR-1: an accounting purchase opens accounting, treasury, inventory and sales at once;
# PR-6 payroll; PR-7 fixed assets; BI-4 the educational accounting system.
Module = Literal["accounting", "treasury", "inventory", "sales", "payroll", "fixed_assets",
                 "educational_accounting"]
SupportChannel = Literal["ticket", "phone", "in_person"]  # PR-4
# What a provisioning answers to: a payment (BI-3), a licence (BI-4) or a restore (AR-3).
ProvisioningSource = Literal["payment", "educational_licence", "restore"]
CatalogueEntry = Annotated[str, Field(min_length=1, max_length=100, pattern=ONE_LINE_TEXT)]


class _Provisioning(IntegrationEvent):
    producer: ClassVar[str] = "provisioning"
    tenant_field: ClassVar[str | None] = "tenant_id"


class TenantProvisionedV1(_Provisioning):
    """The business's books exist: default chart of accounts by type, admin seat, support, training (PR-2…PR-5)."""

    type: ClassVar[str] = "TenantProvisioned"
    tenant_id: uuid.UUID
    source: ProvisioningSource
    source_id: uuid.UUID  # payment_id, application_id or restore_id
    business_name: BusinessName
    business_type: BusinessType
    chart_of_accounts: BusinessType  # the default chart seeded (PR-2)
    chart_version: str | None = Field(default=None, max_length=20, pattern=r"^[0-9A-Za-z.-]+$")
    chart_account_count: int | None = Field(default=None, ge=1, le=100_000, strict=True)
    admin_user_id: uuid.UUID  # the paying user (PR-3)
    seats: int = Field(ge=1, le=10_000, strict=True)  # admin + 2 by default (PR-3)
    support_until: AwareDatetime  # end of the purchased period (PR-4)
    support_channels: tuple[SupportChannel, ...] = Field(min_length=1, max_length=3)
    initial_training_offered: bool  # PR-5

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        distinct(self.support_channels, "support_channels")
        return self


class ModulesActivatedV1(_Provisioning):
    """Modules opened for a business until ``active_until``, with payroll formulas and asset
    categories (PR-1, PR-6, PR-7)."""

    type: ClassVar[str] = "ModulesActivated"
    tenant_id: uuid.UUID
    source: ProvisioningSource
    source_id: uuid.UUID
    modules: tuple[Module, ...] = Field(min_length=1, max_length=7)
    active_until: AwareDatetime
    payroll_formulas: tuple[CatalogueEntry, ...] = Field(max_length=100)  # PR-6
    asset_categories: tuple[CatalogueEntry, ...] = Field(max_length=100)  # PR-7 (ماهیت اموال)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        distinct(self.modules, "modules")
        distinct(self.payroll_formulas, "payroll_formulas")
        distinct(self.asset_categories, "asset_categories")
        if self.payroll_formulas and "payroll" not in self.modules:
            raise ValueError("payroll formulas come only with the payroll module (PR-6)")
        if self.asset_categories and "fixed_assets" not in self.modules:
            raise ValueError("asset categories come only with the fixed-assets module (PR-7)")
        return self


class BackupTakenV1(_Provisioning):
    """A backup of the business's data was taken and is kept until ``retained_until`` (PR-5, AR-3)."""

    type: ClassVar[str] = "BackupTaken"
    backup_id: uuid.UUID
    tenant_id: uuid.UUID
    kind: Literal["initial", "scheduled", "before_purge", "on_request"]
    taken_at: AwareDatetime
    size_bytes: int = Field(ge=0, strict=True)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", max_length=64)
    location: str = Field(min_length=1, max_length=500, pattern=r"^[a-z][a-z0-9+.-]*://[^\s]+$")
    retained_until: AwareDatetime
