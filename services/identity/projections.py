"""Identity's projections (shared/kernel/projections.py): read models derived from its own
log, dropped and rebuilt with `python -m tools.opsctl rebuild identity <name>`.

The personal page's own state (Memberships, BusinessView in personal_page.py) is event-sourced
and re-derived from its streams on every read, so it has nothing to rebuild. What it cannot
answer is the other direction — who belongs to a business — which support needs; that index
across every user's Memberships is this projection."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from services.identity.personal_page import Memberships
from shared.kernel.projections import Cursor, TableProjection


class BusinessMembers(TableProjection):
    name = "business_members"
    description = "who belongs to each business, with role and permissions (from Memberships)"
    tables: ClassVar[dict[str, str]] = {
        "projection_membership_owner": "CREATE TABLE projection_membership_owner "
                                       "(memberships_id TEXT PRIMARY KEY, user_id TEXT NOT NULL)",
        "projection_business_members": "CREATE TABLE projection_business_members (tenant_id TEXT NOT NULL, "
                                       "user_id TEXT NOT NULL, role TEXT NOT NULL, permissions TEXT NOT NULL, "
                                       "member INTEGER NOT NULL, as_of TEXT NOT NULL, "
                                       "PRIMARY KEY (tenant_id, user_id))",
    }

    def apply(self, cursor: Cursor, domain_event: Any, position: int) -> bool:
        if isinstance(domain_event, Memberships.Started):  # type: ignore[attr-defined]
            cursor.execute("INSERT INTO projection_membership_owner (memberships_id, user_id) VALUES (%s, %s)",
                           (str(domain_event.originator_id), str(domain_event.user_id)))
            return True
        joined = isinstance(domain_event, Memberships.Joined)  # type: ignore[attr-defined]
        if not joined and not isinstance(domain_event, Memberships.Left):  # type: ignore[attr-defined]
            return False
        (owner,) = cursor.execute("SELECT user_id FROM projection_membership_owner WHERE memberships_id = %s",
                                  (str(domain_event.originator_id),))
        permissions = json.dumps(list(domain_event.permissions)) if joined else "[]"
        cursor.execute(
            "INSERT INTO projection_business_members (tenant_id, user_id, role, permissions, member, as_of) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (tenant_id, user_id) DO UPDATE SET "
            "role = excluded.role, permissions = excluded.permissions, member = excluded.member, "
            "as_of = excluded.as_of",
            (str(domain_event.tenant_id), owner[0], domain_event.role if joined else "member", permissions,
             1 if joined else 0, domain_event.at.isoformat()))
        return True


PROJECTIONS = {BusinessMembers.name: BusinessMembers}
