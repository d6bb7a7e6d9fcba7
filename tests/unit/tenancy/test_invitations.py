"""Invitations through tenancy's application in memory (issue #19): an admin invites a number
with permissions; only that number, logged in, accepts, before the invitation expires by the
platform clock and while a seat is free; revoked, replaced, expired and replayed invitations
are refused, and a refusal changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.tenancy.application import TenancyApplication
from services.tenancy.invitations import MAX_PENDING_INVITATIONS
from shared.events import archival, tenancy
from shared.kernel.clock import PlatformClock
from tests.support.rules import refused
from tests.support.tenancy import CAUSE, deliver, memory_app, payment, published, register

INVITEE = "+989120000021"


@pytest.fixture
def clock() -> PlatformClock:
    return PlatformClock()


@pytest.fixture
def app(clock: PlatformClock) -> TenancyApplication:
    return memory_app(clock)


@pytest.fixture
def shop(app: TenancyApplication) -> tuple[uuid.UUID, uuid.UUID]:
    admin = register(app, 1)
    tenant = uuid.uuid4()
    deliver(app, payment(tenant, admin))
    return tenant, admin


def events(app: TenancyApplication, kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in published(app) if isinstance(e, kind)]


def test_the_invited_number_signs_up_accepts_and_lands_with_the_chosen_permissions(
        app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    invited = app.invitations.invite(tenant, admin, "۰۹۱۲ ۰۰۰ ۰۰۲۱", ["sales.write", "sales.read"], CAUSE)
    assert invited["mobile"] == INVITEE and invited["permissions"] == ["sales.read", "sales.write"]
    assert invited["state"] == "pending" and not invited["expired"]
    page = app.business_page(tenant, admin, [])
    assert [i["invitation_id"] for i in page["invitations"]] == [invited["invitation_id"]]
    assert page["seats_used"] == 1  # a pending invitation takes no seat
    [sent] = events(app, tenancy.MemberInvitedV1)
    assert (sent.mobile, sent.permissions, sent.invited_by_user_id) == (INVITEE, ("sales.read", "sales.write"), admin)
    assert sent.expires_at - sent.invited_at == timedelta(days=7)

    colleague = register(app, 21)  # signs up afterwards with the invited number
    shown = app.invitations.for_invitee(tenant, invited["invitation_id"], colleague)
    assert shown["business_name"] == "فروشگاه آفتاب" and shown["permissions"] == ["sales.read", "sales.write"]
    accepted = app.invitations.accept(tenant, invited["invitation_id"], colleague, CAUSE)
    assert accepted["permissions"] == ["sales.read", "sales.write"] and accepted["role"] == "member"
    # A second press (a reload, a double click) is no error and adds nothing.
    assert app.invitations.accept(tenant, invited["invitation_id"], colleague, CAUSE) == accepted
    page = app.business_page(tenant, colleague, [])
    assert page["seats_used"] == 2 and page["invitations"] == []  # the colleague sees no numbers
    added = [e for e in events(app, tenancy.MemberAddedV1) if e.user_id == colleague]
    assert len(added) == 1 and added[0].added_by_user_id == admin and added[0].mobile == INVITEE
    assert app.business_page(tenant, admin, [])["invitations"] == []


def test_only_the_invited_number_can_accept_a_stranger_with_the_link_learns_nothing(
        app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    invitation = app.invitations.invite(tenant, admin, INVITEE, ["sales.read"], CAUSE)["invitation_id"]
    stranger, unknown = register(app, 22), uuid.uuid4()  # unknown: no number in the directory
    for who in (stranger, unknown, admin):
        refused("invitation_not_for_you", lambda w=who: app.invitations.accept(tenant, invitation, w, CAUSE))
        refused("invitation_not_for_you", lambda w=who: app.invitations.for_invitee(tenant, invitation, w))
    app.invitations.revoke(tenant, admin, invitation, CAUSE)
    refused("invitation_not_for_you", lambda: app.invitations.accept(tenant, invitation, stranger, CAUSE))
    assert app.business_page(tenant, admin, [])["seats_used"] == 1


def test_an_invitation_expires_by_the_platform_clock(app: TenancyApplication, clock: PlatformClock,
                                                     shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    invitation = app.invitations.invite(tenant, admin, INVITEE, [], CAUSE)["invitation_id"]
    colleague = register(app, 21)
    clock.set_offset(int(timedelta(days=6, hours=23).total_seconds()))
    assert not app.business_page(tenant, admin, [])["invitations"][0]["expired"]
    clock.set_offset(int(timedelta(days=7).total_seconds()))
    assert app.business_page(tenant, admin, [])["invitations"][0]["expired"]  # listed, marked, revocable
    refused("invitation_expired", lambda: app.invitations.accept(tenant, invitation, colleague, CAUSE))
    # Invited again: a fresh invitation replaces the expired one and can be accepted.
    again = app.invitations.invite(tenant, admin, INVITEE, [], CAUSE)["invitation_id"]
    assert again != invitation
    app.invitations.accept(tenant, again, colleague, CAUSE)
    assert app.business_page(tenant, admin, [])["seats_used"] == 2


def test_revoked_and_replaced_invitations_stop_working(app: TenancyApplication,
                                                       shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    colleague = register(app, 21)
    first = app.invitations.invite(tenant, admin, INVITEE, ["sales.read"], CAUSE)["invitation_id"]
    # The same number and rights again (a double click): the same invitation, one SMS.
    assert app.invitations.invite(tenant, admin, "09120000021", ["sales.read"], CAUSE)["invitation_id"] == first
    assert len(events(app, tenancy.MemberInvitedV1)) == 1
    second = app.invitations.invite(tenant, admin, INVITEE, ["sales.write"], CAUSE)["invitation_id"]
    assert events(app, tenancy.MemberInvitedV1)[-1].replaces_invitation_id == uuid.UUID(first)
    refused("invitation_replaced", lambda: app.invitations.accept(tenant, first, colleague, CAUSE))
    assert [i["invitation_id"] for i in app.business_page(tenant, admin, [])["invitations"]] == [second]
    refused("forbidden", lambda: app.invitations.revoke(tenant, colleague, second, CAUSE))  # only the admin
    app.invitations.revoke(tenant, admin, second, CAUSE)
    refused("invitation_not_pending", lambda: app.invitations.revoke(tenant, admin, second, CAUSE))
    refused("invitation_revoked", lambda: app.invitations.accept(tenant, second, colleague, CAUSE))
    assert app.business_page(tenant, admin, [])["invitations"] == []
    assert app.business_page(tenant, admin, [])["seats_used"] == 1


def test_the_seat_is_checked_when_the_invitation_is_accepted(app: TenancyApplication,
                                                             shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    numbers = ["09120000031", "09120000032", "09120000033"]
    invitations = [app.invitations.invite(tenant, admin, n, [], CAUSE)["invitation_id"] for n in numbers]
    people = [register(app, 31), register(app, 32), register(app, 33)]  # three invited, two seats free
    app.invitations.accept(tenant, invitations[0], people[0], CAUSE)
    app.invitations.accept(tenant, invitations[1], people[1], CAUSE)
    full = refused("seat_limit_reached", lambda: app.invitations.accept(tenant, invitations[2], people[2], CAUSE))
    assert full.details["limit"] == 3
    app.raise_limits_by_support(tenant, uuid.uuid4(), organizations=None, concurrent_users=None, members=4,
                                cause=CAUSE)
    app.invitations.accept(tenant, invitations[2], people[2], CAUSE)  # still pending: a seat now
    assert app.business_page(tenant, admin, [])["seats_used"] == 4


def test_hostile_and_mistaken_invitations_change_nothing(app: TenancyApplication,
                                                         shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    before = len(published(app))
    member = register(app, 41)
    app.add_member(tenant, admin, "09120000041", [], CAUSE)
    before = len(published(app))
    for bad in ("0212345", "۰۹۱۲", "+1 555 0100", "", "0912000004١x", None, 9120000021, "<script>"):
        refused("invalid_mobile", lambda b=bad: app.invitations.invite(tenant, admin, b, [], CAUSE))
    refused("unknown_permission", lambda: app.invitations.invite(tenant, admin, INVITEE, ["root.all"], CAUSE))
    refused("unknown_permission", lambda: app.invitations.invite(tenant, admin, INVITEE, "sales.read", CAUSE))
    refused("unknown_permission", lambda: app.invitations.invite(tenant, admin, INVITEE, [{"a": 1}], CAUSE))
    refused("permission_not_purchased", lambda: app.invitations.invite(tenant, admin, INVITEE, ["payroll.read"],
                                                                       CAUSE))
    refused("already_a_member", lambda: app.invitations.invite(tenant, admin, "09120000041", [], CAUSE))
    refused("forbidden", lambda: app.invitations.invite(tenant, member, INVITEE, [], CAUSE))
    refused("business_not_found", lambda: app.invitations.invite(uuid.uuid4(), admin, INVITEE, [], CAUSE))
    refused("business_not_found", lambda: app.invitations.invite("../../etc", admin, INVITEE, [], CAUSE))
    for bad_id in ("not-a-uuid", str(uuid.uuid4()), None, "' OR 1=1 --"):
        refused("invitation_not_found", lambda b=bad_id: app.invitations.accept(tenant, b, member, CAUSE))
        refused("invitation_not_found", lambda b=bad_id: app.invitations.revoke(tenant, admin, b, CAUSE))
    assert len(published(app)) == before and app.business_page(tenant, admin, [])["invitations"] == []


def test_pending_invitations_are_capped(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    for i in range(MAX_PENDING_INVITATIONS):
        app.invitations.invite(tenant, admin, f"0912100{i:04d}", [], CAUSE)
    refused("too_many_invitations", lambda: app.invitations.invite(tenant, admin, "09122222222", [], CAUSE))
    first = app.business_page(tenant, admin, [])["invitations"][0]["invitation_id"]
    app.invitations.revoke(tenant, admin, first, CAUSE)
    app.invitations.invite(tenant, admin, "09122222222", [], CAUSE)  # a revoked one frees its place


def test_a_purge_drops_pending_invitations(app: TenancyApplication, shop: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = shop
    invitation = app.invitations.invite(tenant, admin, INVITEE, [], CAUSE)["invitation_id"]
    colleague, now = register(app, 21), datetime.now(UTC)
    deliver(app, archival.TenantDataPurgedV1(tenant_id=tenant, lapsed_at=now, purged_at=now + timedelta(days=90),
                                             datasets=({"kind": "ledgers", "records": 3},),  # type: ignore[arg-type]
                                             backups_retained_until=None))
    refused("business_purged", lambda: app.invitations.accept(tenant, invitation, colleague, CAUSE))
    refused("business_purged", lambda: app.invitations.invite(tenant, admin, INVITEE, [], CAUSE))
