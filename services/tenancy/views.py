"""GET /tenancy/businesses/{id}: what a member (or support) sees of a business, with dates
in ISO and in the Jalali calendar (NO-1, TE-1 … TE-3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.tenancy.domain import Business, permissions_open_to
from services.tenancy.seats import OrganizationSeats
from shared.kernel.i18n import when


def business_page(business: Business, seats: dict[str, OrganizationSeats], now: datetime, locale: str,
                  *, show_mobiles: bool) -> dict[str, Any]:
    """``show_mobiles``: members' numbers are for the admin and support, not for every colleague."""
    return {
        "tenant_id": str(business.tenant_id),
        "name": business.name.reveal(),
        "business_type": business.business_type,
        "products": list(business.products),
        "state": business.state,
        "activated_by": business.activated_by,
        "subscription": {"starts_at": when(business.starts_at, locale), "ends_at": when(business.ends_at, locale),
                         "lapsed_at": when(business.lapsed_at, locale)},
        "deletion_due_at": when(business.deletion_due_at, locale),
        "limits": {"max_members": business.limits.members, "max_organizations": business.limits.organizations,
                   "max_concurrent_users": business.limits.concurrent_users},
        "seats_used": len(business.members),
        # what the admin may grant: the vocabulary of the modules bought (TE-3), in its order
        "permissions_open": list(permissions_open_to(tuple(business.products))),
        "members": sorted(({"user_id": user_id, "role": member.role, "permissions": list(member.permissions),
                            "mobile": member.mobile.reveal() if show_mobiles and member.mobile else None}
                           for user_id, member in business.members.items()),
                          key=lambda m: (m["role"] != "admin", m["user_id"])),
        "organizations": [{"organization_id": org_id, "name": org.name, "kind": org.kind,
                           "concurrent_users": len(seats[org_id].active(now)) if org_id in seats else 0}
                          for org_id, org in business.organizations.items()],
    }
