"""Tenancy's domain events → integration events (pure). Events of a business whose name was
shredded (purged, AR-1) are not announced again: there is nobody left to tell."""

from __future__ import annotations

import uuid
from typing import Any

# Aggregate events are made by eventsourcing's decorators, invisible to mypy.
from services.tenancy.domain import BASE_CONCURRENT_USERS, BASE_ORGANIZATIONS, Business
from shared.events import tenancy as contracts
from shared.events.base import IntegrationEvent


def _mobile(value: Any) -> str | None:
    return value.value if value is not None else None


def translate(e: Any) -> IntegrationEvent | None:
    tenant = e.originator_id
    if isinstance(e, Business.OrganizationAdded):  # type: ignore[attr-defined]
        return contracts.OrganizationAddedV1(
            organization_id=e.organization_id, tenant_id=e.originator_id, name=e.name, kind=e.kind,
            added_by_user_id=e.added_by, organizations_count=e.count, max_organizations=e.limit)
    name = e.name if isinstance(e, Business.Activated) else getattr(e, "business_name", None)  # type: ignore[attr-defined]
    if name is None or name.forgotten:
        return None
    if isinstance(e, Business.Activated):  # type: ignore[attr-defined]
        return contracts.BusinessActivatedV1(
            tenant_id=tenant, business_name=name.value, business_type=e.business_type, admin_user_id=e.admin_user_id,
            products=tuple(e.products), activated_by=e.activated_by, source_id=e.source_id,
            subscription_starts_at=e.starts_at, subscription_ends_at=e.ends_at,
            max_organizations=BASE_ORGANIZATIONS, max_concurrent_users=BASE_CONCURRENT_USERS)
    if isinstance(e, Business.Invited):  # type: ignore[attr-defined]
        return contracts.MemberInvitedV1(
            tenant_id=tenant, business_name=name.value, invitation_id=e.invitation_id, mobile=e.mobile.value,
            permissions=tuple(e.permissions), invited_by_user_id=e.invited_by, invited_at=e.invited_at,
            expires_at=e.expires_at, replaces_invitation_id=e.replaces)
    # An accepted invitation seats the invitee: the same MemberAdded as a direct addition.
    if isinstance(e, Business.AdminSeated | Business.MemberAdded | Business.PermissionsSet  # type: ignore[attr-defined]
                  | Business.InvitationAccepted):  # type: ignore[attr-defined]
        added_by = getattr(e, "added_by", None) or getattr(e, "set_by", None)
        return contracts.MemberAddedV1(
            tenant_id=tenant, business_name=name.value, user_id=uuid.UUID(e.user_id), mobile=_mobile(e.mobile),
            role="admin" if isinstance(e, Business.AdminSeated) else "member",  # type: ignore[attr-defined]
            permissions=tuple(e.permissions), added_by_user_id=added_by,
            reason="permissions_changed" if isinstance(e, Business.PermissionsSet) else "added")  # type: ignore[attr-defined]
    if isinstance(e, Business.MemberRemoved):  # type: ignore[attr-defined]
        return contracts.MemberRemovedV1(tenant_id=tenant, business_name=name.value, user_id=e.user_id,
                                         removed_by_user_id=e.removed_by)
    if isinstance(e, Business.LimitsRaised):  # type: ignore[attr-defined]
        new, old = e.limits, e.previous
        return contracts.LimitsRaisedV1(
            tenant_id=tenant, max_organizations=new["organizations"], max_concurrent_users=new["concurrent_users"],
            max_members=new["members"], previous_max_organizations=old["organizations"],
            previous_max_concurrent_users=old["concurrent_users"], previous_max_members=old["members"],
            source=e.source, order_id=e.order_id, raised_by_user_id=e.agent, admin_user_id=e.admin_user_id,
            business_name=name.value)
    if isinstance(e, Business.LimitsCapped):  # type: ignore[attr-defined]
        return contracts.LimitsCappedV1(
            tenant_id=tenant, order_id=e.order_id, payment_id=e.payment_id, admin_user_id=e.admin_user_id,
            short_organizations=e.short["organizations"], short_concurrent_users=e.short["concurrent_users"],
            max_organizations=e.limits["organizations"], max_concurrent_users=e.limits["concurrent_users"])
    if isinstance(e, Business.SubscriptionExtended):  # type: ignore[attr-defined]
        return contracts.SubscriptionExtendedV1(
            tenant_id=tenant, business_name=name.value, payment_id=e.payment_id, products=tuple(e.products),
            previous_ends_at=e.previous_ends_at, subscription_ends_at=e.ends_at, admin_user_id=e.admin_user_id)
    if isinstance(e, Business.Lapsed):  # type: ignore[attr-defined]
        return contracts.TenantLapsedV1(tenant_id=tenant, business_name=name.value, admin_user_id=e.admin_user_id,
                                        lapsed_at=e.lapsed_at)
    if isinstance(e, Business.Reactivated):  # type: ignore[attr-defined]
        return contracts.TenantReactivatedV1(
            tenant_id=tenant, business_name=name.value, admin_user_id=e.admin_user_id, payment_id=e.payment_id,
            lapsed_at=e.lapsed_at, reactivated_at=e.reactivated_at, subscription_ends_at=e.ends_at)
    return None
