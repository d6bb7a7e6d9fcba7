"""Tenancy's business aggregate (PR-3, TE-1 … TE-3, AR-1): who works in a business and with
which rights, its organizations, its limits and its subscription period. No I/O: the
application passes in the clock's time, ids and what it knows of people.

Every rule is checked here before an event is emitted, so an event always satisfies the
integration contract it is translated into (the relay can never be handed an invalid one).
Personal data (the business's name, members' numbers) is held as ``Personal``: sealed in the
store under its subject's key, so a purge can shred it (AR-1)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from eventsourcing.domain import Aggregate, event

from services.tenancy.invitations import MAX_PENDING_INVITATIONS, Invitation
from shared.events.tenancy import (
    BASE_CONCURRENT_USERS,
    BASE_ORGANIZATIONS,
    CONCURRENT_USERS_CEILING,
    MODULES_OF_PRODUCT,
    ORGANIZATIONS_CEILING,
    PERMISSION_VOCABULARY,
)
from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal
from shared.kernel.text import plain_line

BASE_MEMBERS = 3  # PR-3: the admin and two more users
LIMIT_CEILINGS = {"organizations": ORGANIZATIONS_CEILING, "concurrent_users": CONCURRENT_USERS_CEILING,
                  "members": 10_000}  # the contract's bounds
ORGANIZATION_KINDS = ("office", "branch", "warehouse")  # TE-1
ALL_PERMISSIONS = tuple(p for perms in PERMISSION_VOCABULARY.values() for p in perms)


def permissions_open_to(products: tuple[str, ...]) -> tuple[str, ...]:
    modules = {m for product in products for m in MODULES_OF_PRODUCT.get(product, ())}
    return tuple(p for p in ALL_PERMISSIONS if p.split(".")[0] in modules)


def permission_list(permissions: object) -> tuple[str, ...]:
    """Permissions as a request gave them: a list of strings, or a refusal (checked later by name)."""
    if not isinstance(permissions, list | tuple) or not all(isinstance(p, str) for p in permissions):
        raise DomainError("unknown_permission", permissions=[])
    return tuple(permissions)


@dataclass(frozen=True)
class Member:
    role: str  # admin | member
    permissions: tuple[str, ...]
    mobile: Personal | None  # None for the admin until identity told us, and after a purge


@dataclass(frozen=True)
class Organization:
    name: str
    kind: str


@dataclass(frozen=True)
class Limits:
    organizations: int = BASE_ORGANIZATIONS
    concurrent_users: int = BASE_CONCURRENT_USERS  # per organization
    members: int = BASE_MEMBERS

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Business(Aggregate):
    """One business (tenant): active from payment or licence until its period ends."""

    @event("Activated")
    def __init__(self, tenant_id: uuid.UUID, name: Personal, business_type: str, products: tuple[str, ...],
                 admin_user_id: uuid.UUID, activated_by: str, source_id: uuid.UUID, starts_at: datetime,
                 ends_at: datetime) -> None:
        self.tenant_id = tenant_id
        self.name = name
        self.business_type = business_type
        self.products = list(products)
        self.admin_user_id = str(admin_user_id)
        self.activated_by = activated_by
        self.source_id = str(source_id)
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.state = "active"  # active | lapsed | purged
        self.lapsed_at: datetime | None = None
        self.deletion_due_at: datetime | None = None
        self.limits = Limits()
        # user_id → member; the admin holds every permission open to the business.
        self.members: dict[str, Member] = {}
        self.organizations: dict[str, Organization] = {}  # by organization_id
        self.invitations: dict[str, Invitation] = {}  # by invitation_id, every state (invitations.py)
        self.sources_seen: list[str] = [str(source_id)]  # payments and orders applied: each once

    @staticmethod
    def create_id(tenant_id: uuid.UUID, **_: object) -> uuid.UUID:
        return tenant_id  # one stream per tenant: a second activation collides in the store

    @classmethod
    def activate(cls, *, tenant_id: uuid.UUID, name: Personal, business_type: str, products: tuple[str, ...],
                 admin_user_id: uuid.UUID, admin_mobile: Personal | None, activated_by: str, source_id: uuid.UUID,
                 starts_at: datetime, ends_at: datetime) -> Business:
        if ends_at <= starts_at:
            raise DomainError("invalid_period")
        business = cls(tenant_id=tenant_id, name=name, business_type=business_type, products=tuple(products),
                       admin_user_id=admin_user_id, activated_by=activated_by,
                       source_id=source_id, starts_at=starts_at, ends_at=ends_at)
        # PR-3: the payer is seated as admin; a second event so it is announced as a MemberAdded.
        business._admin_seated(user_id=str(admin_user_id), mobile=admin_mobile,
                               permissions=permissions_open_to(tuple(products)), business_name=name)
        return business

    @event("AdminSeated")
    def _admin_seated(self, user_id: str, mobile: Personal | None, permissions: tuple[str, ...],
                      business_name: Personal) -> None:
        self.members[user_id] = Member("admin", tuple(permissions), mobile)

    # -- guards ------------------------------------------------------------------------------
    def is_admin(self, user_id: uuid.UUID) -> bool:
        member = self.members.get(str(user_id))
        return member is not None and member.role == "admin"

    def check_admin(self, user_id: uuid.UUID) -> None:
        if not self.is_admin(user_id):
            raise DomainError("forbidden")

    def check_changeable(self) -> None:
        if self.state == "purged":
            raise DomainError("business_purged")
        if self.state == "lapsed":
            raise DomainError("subscription_lapsed", ended_at=self.ends_at.isoformat())

    def is_member(self, user_id: uuid.UUID) -> bool:
        return str(user_id) in self.members

    def seen(self, source_id: uuid.UUID) -> bool:
        return str(source_id) in self.sources_seen

    def _checked_permissions(self, permissions: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(permissions) - set(ALL_PERMISSIONS))
        if unknown:
            raise DomainError("unknown_permission", permissions=unknown, allowed=list(ALL_PERMISSIONS))
        closed = sorted(set(permissions) - set(permissions_open_to(tuple(self.products))))
        if closed:
            raise DomainError("permission_not_purchased", permissions=closed)
        return tuple(p for p in ALL_PERMISSIONS if p in permissions)  # distinct, in a stable order

    # -- members (PR-3, TE-3) ----------------------------------------------------------------
    def _check_seat_for(self, user_id: uuid.UUID) -> None:
        """A new member needs a free seat (the business's member limit, TE-2)."""
        if self.is_member(user_id):
            raise DomainError("already_a_member")
        if len(self.members) >= self.limits.members:
            raise DomainError("seat_limit_reached", limit=self.limits.members)

    def add_member(self, actor: uuid.UUID, user_id: uuid.UUID, mobile: Personal, permissions: tuple[str, ...]) -> None:
        self.check_admin(actor)
        self.check_changeable()
        self._check_seat_for(user_id)
        self._member_added(user_id=str(user_id), mobile=mobile, permissions=self._checked_permissions(permissions),
                           added_by=str(actor), business_name=self.name)

    @event("MemberAdded")
    def _member_added(self, user_id: str, mobile: Personal, permissions: tuple[str, ...], added_by: str,
                      business_name: Personal) -> None:
        self.members[user_id] = Member("member", tuple(permissions), mobile)

    def set_permissions(self, actor: uuid.UUID, user_id: uuid.UUID, permissions: tuple[str, ...]) -> None:
        self.check_admin(actor)
        self.check_changeable()
        member = self._member(user_id)
        checked = self._checked_permissions(permissions)
        if member.permissions != checked:
            # MemberAdded again with the new rights: identity's page takes the newest entry (TE-3).
            self._permissions_set(user_id=str(user_id), permissions=checked, set_by=str(actor),
                                  mobile=member.mobile, business_name=self.name)

    @event("PermissionsSet")
    def _permissions_set(self, user_id: str, permissions: tuple[str, ...], set_by: str, mobile: Personal | None,
                         business_name: Personal) -> None:
        self.members[user_id] = replace(self.members[user_id], permissions=tuple(permissions))

    def remove_member(self, actor: uuid.UUID, user_id: uuid.UUID) -> None:
        self.check_admin(actor)
        self.check_changeable()
        self._member(user_id)
        self._member_removed(user_id=str(user_id), removed_by=str(actor), business_name=self.name)

    @event("MemberRemoved")
    def _member_removed(self, user_id: str, removed_by: str, business_name: Personal) -> None:
        del self.members[user_id]

    def _member(self, user_id: uuid.UUID) -> Member:
        member = self.members.get(str(user_id))
        if member is None:
            raise DomainError("member_not_found")
        if member.role == "admin":
            raise DomainError("cannot_change_admin")
        return member

    # -- invitations (issue #19; the rules in invitations.py) ----------------------------------
    def invite(self, actor: uuid.UUID, invitation_id: uuid.UUID, e164: str, permissions: tuple[str, ...],
               now: datetime, lifetime: timedelta, member_with_number: uuid.UUID | None) -> str:
        """The invitation's id: a new one, or the pending one with the same number and rights."""
        self.check_admin(actor)
        self.check_changeable()
        if member_with_number is not None and self.is_member(member_with_number):
            raise DomainError("already_a_member")
        checked = self._checked_permissions(permissions)
        pending = next((i for i, inv in self.invitations.items() if inv.open_at(now) and inv.is_for(e164)), None)
        if pending is not None and self.invitations[pending].permissions == checked:
            return pending  # the same invitation again (a double click): no second SMS
        if pending is None and sum(inv.open_at(now) for inv in self.invitations.values()) >= MAX_PENDING_INVITATIONS:
            raise DomainError("too_many_invitations", limit=MAX_PENDING_INVITATIONS)
        self._invited(invitation_id=str(invitation_id), mobile=Personal(self.name.subject, e164),
                      permissions=checked, invited_by=str(actor), invited_at=now, expires_at=now + lifetime,
                      replaces=pending, business_name=self.name)
        return str(invitation_id)

    @event("Invited")
    def _invited(self, invitation_id: str, mobile: Personal, permissions: tuple[str, ...], invited_by: str,
                 invited_at: datetime, expires_at: datetime, replaces: str | None, business_name: Personal) -> None:
        if replaces is not None:
            self.invitations[replaces] = replace(self.invitations[replaces], state="replaced")
        self.invitations[invitation_id] = Invitation(mobile, tuple(permissions), invited_by, invited_at, expires_at)

    def invitation(self, invitation_id: str) -> Invitation:
        found = self.invitations.get(invitation_id)
        if found is None:
            raise DomainError("invitation_not_found")
        return found

    def revoke_invitation(self, actor: uuid.UUID, invitation_id: str) -> None:
        self.check_admin(actor)
        self.check_changeable()
        if self.invitation(invitation_id).state != "pending":
            raise DomainError("invitation_not_pending", state=self.invitations[invitation_id].state)
        self._invitation_revoked(invitation_id=invitation_id, revoked_by=str(actor))

    @event("InvitationRevoked")
    def _invitation_revoked(self, invitation_id: str, revoked_by: str) -> None:
        self.invitations[invitation_id] = replace(self.invitations[invitation_id], state="revoked")

    def accept_invitation(self, invitation_id: str, user_id: uuid.UUID, e164: str | None, now: datetime) -> None:
        """By the invitee: their verified number must be the invited one (checked first, so a
        stranger holding the link learns nothing of the invitation's state)."""
        self.check_changeable()
        invitation = self.invitation(invitation_id)
        if not invitation.is_for(e164):
            raise DomainError("invitation_not_for_you")
        if not invitation.check_acceptable(str(user_id), now):
            return  # accepted by this user already: nothing more to do
        self._check_seat_for(user_id)  # the seat is taken now, not at the invitation
        self._invitation_accepted(invitation_id=invitation_id, user_id=str(user_id),
                                  mobile=Personal(f"user:{user_id}", invitation.mobile.reveal()),
                                  permissions=invitation.permissions, added_by=invitation.invited_by,
                                  business_name=self.name)

    @event("InvitationAccepted")
    def _invitation_accepted(self, invitation_id: str, user_id: str, mobile: Personal, permissions: tuple[str, ...],
                             added_by: str, business_name: Personal) -> None:
        self.invitations[invitation_id] = replace(self.invitations[invitation_id], state="accepted",
                                                  accepted_by=user_id)
        self.members[user_id] = Member("member", tuple(permissions), mobile)

    # -- organizations (TE-1, TE-2) ---------------------------------------------------------
    def add_organization(self, actor: uuid.UUID, organization_id: uuid.UUID, name: object, kind: object) -> None:
        """``name`` and ``kind`` as the request gave them: checked here."""
        self.check_admin(actor)
        self.check_changeable()
        plain = plain_line(name, max_length=200)
        if plain is None:
            raise DomainError("invalid_organization_name")
        if not isinstance(kind, str) or kind not in ORGANIZATION_KINDS:
            raise DomainError("invalid_organization_kind", allowed=list(ORGANIZATION_KINDS))
        if any(org.name == plain for org in self.organizations.values()):
            raise DomainError("organization_name_taken")  # a double click does not spend a second slot
        if len(self.organizations) >= self.limits.organizations:
            raise DomainError("organization_limit_reached", limit=self.limits.organizations)
        self._organization_added(organization_id=str(organization_id), name=plain, kind=kind, added_by=str(actor),
                                 count=len(self.organizations) + 1, limit=self.limits.organizations)

    @event("OrganizationAdded")
    def _organization_added(self, organization_id: str, name: str, kind: str, added_by: str, count: int,
                            limit: int) -> None:
        self.organizations[organization_id] = Organization(name, kind)

    # -- limits (TE-2, PR-3) ----------------------------------------------------------------
    def raise_limits(self, *, organizations: int | None, concurrent_users: int | None, members: int | None,
                     source: str, order_id: uuid.UUID | None, agent: uuid.UUID | None) -> None:
        if self.state == "purged":
            raise DomainError("business_purged")
        given = {"organizations": organizations, "concurrent_users": concurrent_users, "members": members}
        bad = sorted(k for k, v in given.items()
                     if v is not None and (type(v) is not int or not 1 <= v <= LIMIT_CEILINGS[k]))
        if bad:
            raise DomainError("invalid_limits", fields=bad, ceilings=LIMIT_CEILINGS)
        current = self.limits.as_dict()
        new = {k: given[k] or v for k, v in current.items()}
        lowered = sorted(k for k, v in new.items() if v < current[k])
        if lowered or new == current:
            raise DomainError("limits_not_raised", lowered=lowered, current=current)
        # The event keeps plain dicts: that is how stored LimitsRaised events hold them.
        self._limits_raised(limits=new, previous=current, source=source,
                            order_id=str(order_id) if order_id else None, agent=str(agent) if agent else None,
                            business_name=self.name, admin_user_id=self.admin_user_id)

    def raise_paid_limits(self, *, order_id: uuid.UUID, payment_id: uuid.UUID, extra_organizations: int,
                          extra_concurrent_users: int) -> None:
        """A paid limits order (TE-2): its extras on top of today's limits, up to the hard caps. Billing
        checks the caps before it verifies the payment; a raise it had not heard of yet (a race) must not
        make the paid order fail here after the money was taken: what fits is granted and the rest is
        told (LimitsCapped), for support to settle with the customer (issue #19)."""
        today = self.limits
        wanted = (today.organizations + extra_organizations, today.concurrent_users + extra_concurrent_users)
        granted = (min(wanted[0], ORGANIZATIONS_CEILING), min(wanted[1], CONCURRENT_USERS_CEILING))
        if granted != (self.limits.organizations, self.limits.concurrent_users):
            self.raise_limits(organizations=granted[0], concurrent_users=granted[1], members=None, source="purchase",
                              order_id=order_id, agent=None)
        if granted != wanted:
            self._limits_capped(order_id=str(order_id), payment_id=str(payment_id),
                                short={"organizations": wanted[0] - granted[0],
                                       "concurrent_users": wanted[1] - granted[1]},
                                limits=self.limits.as_dict(), admin_user_id=self.admin_user_id,
                                business_name=self.name)

    @event("LimitsCapped")
    def _limits_capped(self, order_id: str, payment_id: str, short: dict[str, int], limits: dict[str, int],
                       admin_user_id: str, business_name: Personal) -> None:
        if order_id not in self.sources_seen:  # nothing was raised: the order is still applied once
            self.sources_seen.append(order_id)

    @event("LimitsRaised")
    def _limits_raised(self, limits: dict[str, int], previous: dict[str, int], source: str, order_id: str | None,
                       agent: str | None, business_name: Personal, admin_user_id: str) -> None:
        self.limits = Limits(**limits)
        if order_id:
            self.sources_seen.append(order_id)

    # -- the subscription (BI-3, AR-1) ------------------------------------------------------
    def renew(self, payment_id: uuid.UUID, products: tuple[str, ...], ends_at: datetime, now: datetime) -> None:
        """A paid renewal: extends an active period, or reactivates a lapsed business."""
        if self.state == "purged":
            raise DomainError("business_purged")
        merged = tuple(dict.fromkeys([*self.products, *products]))
        if self.state == "lapsed" and self.lapsed_at is not None:
            reactivated_at = max(now, self.lapsed_at + timedelta(seconds=1))
            if ends_at > reactivated_at:
                self._reactivated(payment_id=str(payment_id), products=merged, lapsed_at=self.lapsed_at,
                                  reactivated_at=reactivated_at, ends_at=ends_at, business_name=self.name,
                                  admin_user_id=self.admin_user_id)
                return
        elif ends_at > self.ends_at:
            self._extended(payment_id=str(payment_id), products=merged, previous_ends_at=self.ends_at,
                           ends_at=ends_at, business_name=self.name, admin_user_id=self.admin_user_id)
            return
        self._payment_noted(payment_id=str(payment_id))  # nothing to extend: remembered, not re-applied

    @event("SubscriptionExtended")
    def _extended(self, payment_id: str, products: tuple[str, ...], previous_ends_at: datetime, ends_at: datetime,
                  business_name: Personal, admin_user_id: str) -> None:
        self.products, self.ends_at = list(products), ends_at
        self.sources_seen.append(payment_id)

    @event("Reactivated")
    def _reactivated(self, payment_id: str, products: tuple[str, ...], lapsed_at: datetime,
                     reactivated_at: datetime, ends_at: datetime, business_name: Personal, admin_user_id: str) -> None:
        self.products, self.ends_at, self.state = list(products), ends_at, "active"
        self.lapsed_at = None
        self.sources_seen.append(payment_id)

    @event("PaymentNoted")
    def _payment_noted(self, payment_id: str) -> None:
        self.sources_seen.append(payment_id)

    def add_products(self, payment_id: uuid.UUID, products: tuple[str, ...]) -> None:
        if self.state == "purged":
            raise DomainError("business_purged")
        added = tuple(p for p in products if p not in self.products)
        self._products_added(payment_id=str(payment_id), products=added)

    @event("ProductsAdded")
    def _products_added(self, payment_id: str, products: tuple[str, ...]) -> None:
        self.products = [*self.products, *products]
        admin = self.members[self.admin_user_id]
        self.members[self.admin_user_id] = replace(admin, permissions=permissions_open_to(tuple(self.products)))
        self.sources_seen.append(payment_id)

    def lapse_if_due(self, now: datetime) -> bool:
        """Lapse once when the period has ended; the recorded state makes a second call a no-op."""
        if self.state != "active" or now < self.ends_at:
            return False
        self._lapsed(lapsed_at=self.ends_at, detected_at=now, business_name=self.name,
                     admin_user_id=self.admin_user_id)
        return True

    @event("Lapsed")
    def _lapsed(self, lapsed_at: datetime, detected_at: datetime, business_name: Personal,
                admin_user_id: str) -> None:
        self.state, self.lapsed_at = "lapsed", lapsed_at

    # -- archival's facts (AR-1, AR-3) ------------------------------------------------------
    @event("DeletionScheduled")
    def deletion_scheduled(self, due_at: datetime | None) -> None:
        self.deletion_due_at = due_at

    @event("Purged")
    def purged(self, purged_at: datetime) -> None:
        self.state = "purged"
        self.deletion_due_at = None
        # The members' numbers went with the data; who the admin was is kept for a restore.
        self.members = {self.admin_user_id: Member("admin", (), None)}
        self.organizations = {}
        self.invitations = {}

    @event("Restored")
    def restored(self, name: Personal, admin_user_id: uuid.UUID, products: tuple[str, ...],
                 restored_at: datetime) -> None:
        # The data is back, the subscription is not: lapsed until a renewal reactivates it (AR-3).
        self.name, self.state, self.products = name, "lapsed", list(products)
        self.admin_user_id = str(admin_user_id)
        self.lapsed_at = self.lapsed_at or restored_at
        self.members = {self.admin_user_id: Member("admin", permissions_open_to(tuple(products)), None)}
        self.invitations = {}
