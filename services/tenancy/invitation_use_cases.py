"""Invitations (issue #19): the admin invites a mobile number with the permissions chosen,
lists and revokes pending invitations; the invitee, logged in with that number, reads and
accepts. The rules are the business's (domain.py, invitations.py); here: get → change → save.

The invitee's number is tenancy's directory entry for the user (identity's UserRegistered /
MobileVerified: a number identity verified by code), never something the request says."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from services.tenancy.directory_use_cases import DirectoryUseCases
from services.tenancy.domain import Business, permission_list
from services.tenancy.invitations import INVITATION_LIFETIME, Invitation
from services.tenancy.records import Records, retrying
from shared.kernel.errors import DomainError
from shared.kernel.i18n import when
from shared.kernel.ids import parse_id
from shared.kernel.mobile import normalize_mobile
from shared.kernel.store import Cause, ServiceApplication


def _invitation_id(value: object) -> str:
    return str(parse_id(value, "invitation_not_found"))


def invitation_view(invitation_id: str, invitation: Invitation, now: Any, locale: str | None) -> dict[str, Any]:
    return {"invitation_id": invitation_id, "mobile": invitation.mobile.reveal(),
            "permissions": list(invitation.permissions), "state": invitation.state,
            "expired": invitation.state == "pending" and not invitation.open_at(now),
            "invited_at": when(invitation.invited_at, locale), "expires_at": when(invitation.expires_at, locale)}


class InvitationUseCases:
    def __init__(self, store: ServiceApplication, records: Records, directory: DirectoryUseCases,
                 lifetime: timedelta = INVITATION_LIFETIME) -> None:
        self.store, self.records, self.directory, self.lifetime = store, records, directory, lifetime

    def invite(self, tenant_id: object, actor: uuid.UUID, mobile: object, permissions: object,
               cause: Cause) -> dict[str, Any]:
        e164 = normalize_mobile(mobile)
        wanted = permission_list(permissions)
        known_user = self.directory.user_with_mobile(e164)  # only to say "already a member"
        invitation_id = uuid.uuid4()

        def attempt() -> dict[str, Any]:
            business = self.records.business(tenant_id)
            now = self.store.clock.now()
            given = business.invite(actor, invitation_id, e164, wanted, now, self.lifetime, known_user)
            self.store.save_caused(business, cause=cause)
            return invitation_view(given, business.invitations[given], now, None)

        return retrying(attempt)

    def revoke(self, tenant_id: object, actor: uuid.UUID, invitation_id: object, cause: Cause) -> None:
        wanted = _invitation_id(invitation_id)

        def attempt() -> None:
            business = self.records.business(tenant_id)
            business.revoke_invitation(actor, wanted)
            self.store.save_caused(business, cause=cause)

        retrying(attempt)

    def pending(self, business: Business, locale: str) -> list[dict[str, Any]]:
        """What the admin's list shows: every pending invitation, the expired ones marked."""
        now = self.store.clock.now()
        return sorted((invitation_view(i, inv, now, locale) for i, inv in business.invitations.items()
                       if inv.state == "pending"), key=lambda v: v["invited_at"]["utc"])

    def for_invitee(self, tenant_id: object, invitation_id: object, user_id: uuid.UUID,
                    locale: str = "fa") -> dict[str, Any]:
        """The accept page: the business and the rights offered, to the invited number only."""
        wanted = _invitation_id(invitation_id)
        business = self.records.business(tenant_id)
        invitation = business.invitation(wanted)
        if not invitation.is_for(self._number_of(user_id)):
            raise DomainError("invitation_not_for_you")
        view = invitation_view(wanted, invitation, self.store.clock.now(), locale)
        accepted = invitation.state == "accepted" and invitation.accepted_by == str(user_id)
        return view | {"tenant_id": str(business.tenant_id), "business_name": business.name.reveal(),
                       "accepted_by_you": accepted}

    def accept(self, tenant_id: object, invitation_id: object, user_id: uuid.UUID, cause: Cause) -> dict[str, Any]:
        wanted = _invitation_id(invitation_id)
        number = self._number_of(user_id)

        def attempt() -> dict[str, Any]:
            business = self.records.business(tenant_id)
            business.accept_invitation(wanted, user_id, number, self.store.clock.now())
            self.store.save_caused(business, cause=cause)
            member = business.members[str(user_id)]
            return {"tenant_id": str(business.tenant_id), "user_id": str(user_id), "role": member.role,
                    "permissions": list(member.permissions)}

        return retrying(attempt)

    def _number_of(self, user_id: uuid.UUID) -> str | None:
        mobile = self.directory.mobile_of(user_id)
        return None if mobile is None or mobile.forgotten else mobile.value
