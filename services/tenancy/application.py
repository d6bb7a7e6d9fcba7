"""Tenancy's application: the composition of its use cases, and the admin's and support's own
(members and organizations, limits raised by support, the business page; PR-3, TE-1 … TE-3).

- ``records`` (records.py): the reads every use case starts from, and ``retrying``;
- ``directory`` (directory_use_cases.py): registered users from identity;
- ``subscription`` (subscription_use_cases.py): billing's and archival's facts, the lapse;
- ``seats`` (seat_use_cases.py): taking, renewing and releasing concurrent-use seats;
- ``invitations`` (invitation_use_cases.py): inviting a number, revoking, accepting (issue #19).

Every change is get → mutate → save on one business's stream; a concurrent change makes the
save fail (optimistic concurrency) and the command runs again on fresh state, so a limit is
decided by the store, never by a count read in one place and written in another."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, ClassVar

from eventsourcing.domain import MutableOrImmutableAggregate
from eventsourcing.persistence import JSONTranscoder, Transcoder

from services.tenancy.calendar import SubscriptionCalendar
from services.tenancy.directory import MobileEntry, Person
from services.tenancy.directory_use_cases import DirectoryUseCases
from services.tenancy.domain import permission_list
from services.tenancy.invitation_use_cases import InvitationUseCases
from services.tenancy.invitations import INVITATION_LIFETIME
from services.tenancy.records import Records, retrying
from services.tenancy.seat_use_cases import SeatUseCases
from services.tenancy.seats import LEASE, LeaseTranscoding, OrganizationSeats
from services.tenancy.subscription_use_cases import SubscriptionUseCases
from services.tenancy.views import business_page
from shared.kernel.clock import PlatformClock
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.kernel.mobile import normalize_mobile
from shared.kernel.store import Cause, ServiceApplication, check_written_once
from shared.kernel.subject_keys import Personal, SubjectKeys


class TenancyApplication(ServiceApplication):
    name = "tenancy"
    # Seat streams grow with every heartbeat: save_caused snapshots them (and the calendar) this often.
    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[Any]], int]] = {
        OrganizationSeats: 100, SubscriptionCalendar: 100}
    # The directory's entries (a number's owner, a user's number) never change once registered.
    written_once = check_written_once(Person, MobileEntry)

    def __init__(self, settings: Settings, keys: SubjectKeys | None = None, clock: PlatformClock | None = None,
                 env: dict[str, str] | None = None, *, seat_lease: timedelta = LEASE,
                 invitation_lifetime: timedelta = INVITATION_LIFETIME) -> None:
        super().__init__(settings, keys=keys, clock=clock, env=env)
        self.records = Records(self)
        self.directory = DirectoryUseCases(self, self.records)
        self.subscription = SubscriptionUseCases(self, self.records, self.directory)
        self.seats = SeatUseCases(self, self.records, seat_lease)
        self.invitations = InvitationUseCases(self, self.records, self.directory, invitation_lifetime)

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)
        assert isinstance(transcoder, JSONTranscoder)  # eventsourcing registers on a JSONTranscoder only
        transcoder.register(LeaseTranscoding())  # leases in the seats' snapshots

    # -- members (PR-3, TE-3) ---------------------------------------------------------------
    def add_member(self, tenant_id: object, actor: uuid.UUID, mobile: object, permissions: object,
                   cause: Cause) -> dict[str, Any]:
        e164 = normalize_mobile(mobile)
        wanted = permission_list(permissions)
        user_id = self.directory.user_with_mobile(e164)
        if user_id is None:
            self.records.business(tenant_id).check_admin(actor)  # strangers learn nothing about numbers
            raise DomainError("user_not_registered")

        def attempt() -> dict[str, Any]:
            business = self.records.business(tenant_id)
            business.add_member(actor, user_id, Personal(f"user:{user_id}", e164), wanted)
            self.save_caused(business, cause=cause)
            return {"user_id": str(user_id), "permissions": list(business.members[str(user_id)].permissions)}

        return retrying(attempt)

    def set_permissions(self, tenant_id: object, actor: uuid.UUID, user_id: object, permissions: object,
                        cause: Cause) -> dict[str, Any]:
        member = parse_id(user_id, "member_not_found")
        wanted = permission_list(permissions)

        def attempt() -> dict[str, Any]:
            business = self.records.business(tenant_id)
            business.set_permissions(actor, member, wanted)
            self.save_caused(business, cause=cause)
            return {"user_id": str(member), "permissions": list(business.members[str(member)].permissions)}

        return retrying(attempt)

    def remove_member(self, tenant_id: object, actor: uuid.UUID, user_id: object, cause: Cause) -> None:
        member = parse_id(user_id, "member_not_found")

        def attempt() -> None:
            business = self.records.business(tenant_id)
            business.remove_member(actor, member)
            self.save_caused(business, cause=cause)

        retrying(attempt)

    # -- organizations and limits (TE-1, TE-2) ----------------------------------------------
    def add_organization(self, tenant_id: object, actor: uuid.UUID, name: object, kind: object,
                         cause: Cause) -> dict[str, Any]:
        organization_id = uuid.uuid4()

        def attempt() -> dict[str, Any]:
            business = self.records.business(tenant_id)
            business.add_organization(actor, organization_id, name, kind)
            # Its seats' stream is born with it, in the same transaction.
            self.save_caused(business, OrganizationSeats(organization_id, business.tenant_id), cause=cause)
            added = business.organizations[str(organization_id)]
            return {"organization_id": str(organization_id), "name": added.name, "kind": added.kind}

        return retrying(attempt)

    def raise_limits_by_support(self, tenant_id: object, agent: uuid.UUID, *, organizations: int | None,
                                concurrent_users: int | None, members: int | None, cause: Cause) -> dict[str, int]:
        def attempt() -> dict[str, int]:
            business = self.records.business(tenant_id)
            business.raise_limits(organizations=organizations, concurrent_users=concurrent_users, members=members,
                                  source="support", order_id=None, agent=agent)
            self.save_caused(business, cause=cause)
            return business.limits.as_dict()

        return retrying(attempt)

    # -- the business page ------------------------------------------------------------------
    def business_page(self, tenant_id: object, actor: uuid.UUID, roles: list[str], locale: str = "fa"
                      ) -> dict[str, Any]:
        business = self.records.business(tenant_id)
        if not business.is_member(actor) and "support" not in roles:
            raise DomainError("forbidden")
        seats = {org_id: self.records.seats(org_id) for org_id in business.organizations}
        manager = "support" in roles or business.is_admin(actor)
        page = business_page(business, seats, self.clock.now(), locale, show_mobiles=manager)
        # pending invitations carry numbers: for the admin and support only (issue #19)
        return page | {"invitations": self.invitations.pending(business, locale) if manager else []}
