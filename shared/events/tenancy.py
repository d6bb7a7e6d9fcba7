"""Integration events published by tenancy (TE-1 … TE-3, AR-1, AR-2): businesses, their
organizations, members, limits and subscription."""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from shared.events.base import IntegrationEvent
from shared.events.billing import (
    ONE_LINE_TEXT,
    BusinessName,
    BusinessType,
    Products,
    distinct,
    ordered,
)
from shared.events.identity import IRAN_MOBILE_E164

Role = Literal["admin", "member"]  # TE-3: each business's admin decides the others' permissions
# "<module>.<area>[.<action>]", e.g. accounting.vouchers.write
Permission = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")]
Permissions = Annotated[tuple[Permission, ...], Field(max_length=200)]
# TE-2's limits of a new business, and their hard caps however raised (by support, a purchase or
# support's priced offer). Billing keeps paid limits within the caps (issue #19).
BASE_ORGANIZATIONS = 3
BASE_CONCURRENT_USERS = 10  # per organization
ORGANIZATIONS_CEILING = 1000
CONCURRENT_USERS_CEILING = 10_000
MaxOrganizations = Annotated[int, Field(ge=1, le=ORGANIZATIONS_CEILING, strict=True)]  # TE-2: 3 unless raised
# TE-2: 10 per organization unless raised
MaxConcurrentUsers = Annotated[int, Field(ge=1, le=CONCURRENT_USERS_CEILING, strict=True)]
MaxMembers = Annotated[int, Field(ge=1, le=10_000, strict=True)]  # PR-3: the admin and two more unless raised

# The permissions an admin can grant (TE-3), by module; a member gets only those of modules the
# business bought (PR-1: accounting brings treasury, inventory and sales with it).
PERMISSION_VOCABULARY: dict[str, tuple[str, ...]] = {
    "accounting": ("accounting.vouchers.read", "accounting.vouchers.write", "accounting.reports.read"),
    "treasury": ("treasury.read", "treasury.write"),
    "inventory": ("inventory.read", "inventory.write"),
    "sales": ("sales.read", "sales.write"),
    "payroll": ("payroll.read", "payroll.write"),
    "fixed_assets": ("fixed_assets.read", "fixed_assets.write"),
}
# The vocabulary in words, as people read it (fa, en): the one table the portal (GET
# /tenancy/permissions) and every notice (an invitation's SMS) show permissions by.
PERMISSION_LABELS: dict[str, tuple[str, str]] = {
    "accounting.vouchers.read": ("دیدن اسناد حسابداری", "read vouchers"),
    "accounting.vouchers.write": ("ثبت اسناد حسابداری", "write vouchers"),
    "accounting.reports.read": ("گزارش‌های حسابداری", "accounting reports"),
    "treasury.read": ("دیدن خزانه‌داری", "read treasury"),
    "treasury.write": ("ثبت در خزانه‌داری", "write treasury"),
    "inventory.read": ("دیدن انبار", "read inventory"),
    "inventory.write": ("ثبت در انبار", "write inventory"),
    "sales.read": ("دیدن فروش", "read sales"),
    "sales.write": ("ثبت فروش", "write sales"),
    "payroll.read": ("دیدن حقوق و دستمزد", "read payroll"),
    "payroll.write": ("ثبت حقوق و دستمزد", "write payroll"),
    "fixed_assets.read": ("دیدن اموال", "read fixed assets"),
    "fixed_assets.write": ("ثبت اموال", "write fixed assets"),
}


def permission_words(permissions: tuple[str, ...] | list[str], language: str) -> str:
    """Permissions as a reader reads them: «دیدن فروش، ثبت فروش» / "read sales, write sales"."""
    index = 1 if language == "en" else 0
    words = [PERMISSION_LABELS[p][index] if p in PERMISSION_LABELS else p for p in permissions]
    if not words:
        return "no permissions" if language == "en" else "بدون دسترسی"
    return (", " if language == "en" else "، ").join(words)


# The modules each product opens (PR-1, PR-6, PR-7; BI-4: the educational system is the accounting one).
MODULES_OF_PRODUCT: dict[str, tuple[str, ...]] = {
    "accounting": ("accounting", "treasury", "inventory", "sales"),
    "educational": ("accounting", "treasury", "inventory", "sales"),
    "payroll": ("payroll",),
    "fixed_assets": ("fixed_assets",),
}


class _Tenancy(IntegrationEvent):
    producer: ClassVar[str] = "tenancy"
    tenant_field: ClassVar[str | None] = "tenant_id"


class BusinessActivatedV1(_Tenancy):
    """A paid (or licensed) business is active until ``subscription_ends_at``, with its TE-2
    limits (BI-3, BI-4, TE-2)."""

    type: ClassVar[str] = "BusinessActivated"
    tenant_id: uuid.UUID
    business_name: BusinessName
    business_type: BusinessType
    admin_user_id: uuid.UUID
    products: Products
    activated_by: Literal["payment", "educational_licence"]
    source_id: uuid.UUID  # payment_id or application_id
    subscription_starts_at: AwareDatetime
    subscription_ends_at: AwareDatetime
    max_organizations: MaxOrganizations
    max_concurrent_users: MaxConcurrentUsers

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        distinct(self.products, "products")
        ordered(self.subscription_starts_at, self.subscription_ends_at, "the subscription")
        return self


class OrganizationAddedV1(_Tenancy):
    """A second office, branch or warehouse with separate books under the business (TE-1, TE-2)."""

    type: ClassVar[str] = "OrganizationAdded"
    organization_id: uuid.UUID
    tenant_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200, pattern=ONE_LINE_TEXT)
    kind: Literal["office", "branch", "warehouse"]
    added_by_user_id: uuid.UUID
    organizations_count: int = Field(ge=1, le=1000, strict=True)  # including this one
    max_organizations: MaxOrganizations

    @model_validator(mode="after")
    def _within_limit(self) -> Self:
        if self.organizations_count > self.max_organizations:
            raise ValueError("organizations_count cannot exceed max_organizations (TE-2)")
        return self


class MemberAddedV1(_Tenancy):
    """A user joined a business with a role and permissions of its own (PR-3, TE-3)."""

    type: ClassVar[str] = "MemberAdded"
    tenant_id: uuid.UUID
    business_name: BusinessName
    user_id: uuid.UUID
    # None when tenancy had not yet heard of the user's number (an admin seated from a payment
    # that overtook identity's UserRegistered); consumers address people by user_id anyway.
    mobile: str | None = Field(default=None, pattern=IRAN_MOBILE_E164, max_length=13)
    role: Role
    permissions: Permissions
    added_by_user_id: uuid.UUID | None  # None: the admin seated at activation (PR-3)
    # "permissions_changed": the admin changed an existing member's rights; the newest entry wins.
    reason: Literal["added", "permissions_changed"] = "added"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        distinct(self.permissions, "permissions")
        return self


class MemberInvitedV1(_Tenancy):
    """An admin invited a mobile number to the business with these permissions (PR-3, TE-3):
    the number is texted a link; accepting it before ``expires_at`` seats the person then
    (a ``MemberAdded``). ``replaces_invitation_id``: the earlier invitation of the same number,
    which stops working."""

    type: ClassVar[str] = "MemberInvited"
    tenant_id: uuid.UUID
    business_name: BusinessName
    invitation_id: uuid.UUID
    mobile: str = Field(pattern=IRAN_MOBILE_E164, max_length=13)
    permissions: Permissions
    invited_by_user_id: uuid.UUID
    invited_at: AwareDatetime
    expires_at: AwareDatetime
    replaces_invitation_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        distinct(self.permissions, "permissions")
        ordered(self.invited_at, self.expires_at, "the invitation")
        return self


class MemberRemovedV1(_Tenancy):
    """A user lost access to one business; their other businesses are untouched (TE-3)."""

    type: ClassVar[str] = "MemberRemoved"
    tenant_id: uuid.UUID
    business_name: BusinessName
    user_id: uuid.UUID
    removed_by_user_id: uuid.UUID


class LimitsRaisedV1(_Tenancy):
    """Support or a purchase raised the business's organization or concurrent-user limit (TE-2)."""

    type: ClassVar[str] = "LimitsRaised"
    tenant_id: uuid.UUID
    max_organizations: MaxOrganizations
    max_concurrent_users: MaxConcurrentUsers  # per organization
    previous_max_organizations: MaxOrganizations
    previous_max_concurrent_users: MaxConcurrentUsers
    source: Literal["purchase", "support"]
    order_id: uuid.UUID | None  # the limits order, when bought
    raised_by_user_id: uuid.UUID | None  # the support agent, when granted by support
    # Seats (PR-3: the admin and two more) are raised by support only.
    max_members: MaxMembers = 3
    previous_max_members: MaxMembers = 3
    admin_user_id: uuid.UUID | None = None  # told by SMS (NO-1)
    business_name: BusinessName | None = None

    @model_validator(mode="after")
    def _raised(self) -> Self:
        if (self.max_organizations < self.previous_max_organizations
                or self.max_concurrent_users < self.previous_max_concurrent_users
                or self.max_members < self.previous_max_members):
            raise ValueError("limits are only raised, never lowered")
        if (self.max_organizations, self.max_concurrent_users, self.max_members) == (
                self.previous_max_organizations, self.previous_max_concurrent_users, self.previous_max_members):
            raise ValueError("at least one limit must rise")
        if self.source == "purchase" and self.order_id is None:
            raise ValueError("a purchased raise names its order")
        if self.source == "support" and self.raised_by_user_id is None:
            raise ValueError("a support raise names the agent")
        return self


class LimitsCappedV1(_Tenancy):
    """A paid limits order could not be granted in full: it would have taken the business past
    TE-2's hard caps (a race billing's checks did not see, issue #19). Tenancy raised what it could
    (a LimitsRaised, unless nothing was left) and tells what was not granted; billing flags the
    order for support, who decides the money with the customer (docs/decisions.md)."""

    type: ClassVar[str] = "LimitsCapped"
    tenant_id: uuid.UUID
    order_id: uuid.UUID
    payment_id: uuid.UUID
    admin_user_id: uuid.UUID
    short_organizations: int = Field(ge=0, le=ORGANIZATIONS_CEILING, strict=True)  # paid for, not granted
    short_concurrent_users: int = Field(ge=0, le=CONCURRENT_USERS_CEILING, strict=True)
    max_organizations: MaxOrganizations  # the limits now
    max_concurrent_users: MaxConcurrentUsers

    @model_validator(mode="after")
    def _short(self) -> Self:
        if not (self.short_organizations or self.short_concurrent_users):
            raise ValueError("a capped order lacks something")
        return self


class SubscriptionExtendedV1(_Tenancy):
    """A renewal moved the subscription's end from ``previous_ends_at`` to ``subscription_ends_at`` (BI-3)."""

    type: ClassVar[str] = "SubscriptionExtended"
    tenant_id: uuid.UUID
    business_name: BusinessName
    payment_id: uuid.UUID
    products: Products
    previous_ends_at: AwareDatetime
    subscription_ends_at: AwareDatetime
    admin_user_id: uuid.UUID | None = None  # told by SMS (NO-1)

    @model_validator(mode="after")
    def _extends(self) -> Self:
        distinct(self.products, "products")
        ordered(self.previous_ends_at, self.subscription_ends_at, "the extension")
        return self


class TenantLapsedV1(_Tenancy):
    """The subscription ended unpaid: reports stay free until deletion three months later (AR-1, AR-2, X-1)."""

    type: ClassVar[str] = "TenantLapsed"
    tenant_id: uuid.UUID
    business_name: BusinessName
    admin_user_id: uuid.UUID
    lapsed_at: AwareDatetime


class TenantReactivatedV1(_Tenancy):
    """A lapsed business paid again before deletion: full access returns, scheduled deletion
    is off (AR-1, AR-2, BI-3)."""

    type: ClassVar[str] = "TenantReactivated"
    tenant_id: uuid.UUID
    business_name: BusinessName
    admin_user_id: uuid.UUID
    payment_id: uuid.UUID
    lapsed_at: AwareDatetime
    reactivated_at: AwareDatetime
    subscription_ends_at: AwareDatetime

    @model_validator(mode="after")
    def _order(self) -> Self:
        ordered(self.lapsed_at, self.reactivated_at, "the lapse")
        ordered(self.reactivated_at, self.subscription_ends_at, "the new subscription")
        return self
