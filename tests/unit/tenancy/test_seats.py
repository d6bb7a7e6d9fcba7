"""An organization's concurrent-use seats without a store (TE-2): leases by the times passed
in, and snapshots taken while leases were dicts still load."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic

from services.tenancy.seats import LEASE, Lease, LeaseTranscoding, OrganizationSeats
from shared.kernel.errors import DomainError

T0 = datetime(2026, 3, 21, 6, 30, tzinfo=UTC)
USER, OTHER = uuid.uuid4(), uuid.uuid4()


def seats() -> OrganizationSeats:
    return OrganizationSeats(uuid.uuid4(), uuid.uuid4())


def code_of(action: Callable[[], object]) -> str:
    with pytest.raises(DomainError) as caught:
        action()
    return caught.value.code


def test_ten_concurrent_users_then_the_limit() -> None:
    org = seats()
    for _ in range(10):
        org.take(uuid.uuid4(), USER, T0, limit=10)
    with pytest.raises(DomainError) as caught:
        org.take(uuid.uuid4(), USER, T0, limit=10)
    assert caught.value.code == "concurrent_user_limit" and caught.value.details["limit"] == 10
    assert len(org.active(T0)) == 10


def test_a_lease_lasts_two_minutes_unless_told_otherwise() -> None:
    org, session = seats(), uuid.uuid4()
    assert org.take(session, USER, T0, limit=1) == T0 + LEASE
    assert org.leases[str(session)] == Lease(str(USER), T0 + LEASE)
    assert org.take(uuid.uuid4(), USER, T0, limit=2, lease=timedelta(seconds=30)) == T0 + timedelta(seconds=30)


def test_a_lease_frees_its_seat_when_it_runs_out() -> None:
    org, first = seats(), uuid.uuid4()
    org.take(first, USER, T0, limit=1)
    assert code_of(lambda: org.take(uuid.uuid4(), USER, T0 + timedelta(seconds=119), limit=1)) == \
        "concurrent_user_limit"
    org.take(uuid.uuid4(), USER, T0 + timedelta(seconds=120), limit=1)
    assert str(first) not in org.leases  # dropped with the take that needed its seat


def test_a_heartbeat_extends_the_lease_from_now() -> None:
    org, session = seats(), uuid.uuid4()
    org.take(session, USER, T0, limit=1)
    assert org.renew(session, USER, T0 + timedelta(seconds=90)) == T0 + timedelta(seconds=210)
    assert list(org.active(T0 + timedelta(seconds=200))) == [str(session)]


def test_an_expired_lease_is_not_renewed() -> None:
    org, session = seats(), uuid.uuid4()
    org.take(session, USER, T0, limit=1)
    assert code_of(lambda: org.renew(session, USER, T0 + LEASE)) == "session_expired"


def test_only_the_holder_renews_and_releases_a_seat_the_admin_may_free_any() -> None:
    org, session = seats(), uuid.uuid4()
    org.take(session, USER, T0, limit=1)
    assert code_of(lambda: org.renew(session, OTHER, T0)) == "forbidden"
    assert code_of(lambda: org.release(session, OTHER, by_admin=False)) == "forbidden"
    org.release(session, OTHER, by_admin=True)
    assert org.leases == {}


def test_an_unknown_session_is_not_found() -> None:
    org = seats()
    assert code_of(lambda: org.renew(uuid.uuid4(), USER, T0)) == "session_not_found"
    assert code_of(lambda: org.release(uuid.uuid4(), USER, by_admin=True)) == "session_not_found"


def test_a_released_seat_is_free_at_once() -> None:
    org, session = seats(), uuid.uuid4()
    org.take(session, USER, T0, limit=1)
    org.release(session, USER, by_admin=False)
    org.take(uuid.uuid4(), USER, T0, limit=1)
    assert len(org.active(T0)) == 1


def test_a_snapshot_taken_while_leases_were_dicts_loads_as_leases() -> None:
    org_id, tenant = uuid.uuid4(), uuid.uuid4()
    old = Snapshot(originator_id=org_id, originator_version=7, timestamp=T0, topic=get_topic(OrganizationSeats),
                   state={"organization_id": org_id, "tenant_id": tenant,
                          "leases": {"s1": {"user_id": str(USER), "expires_at": T0 + LEASE},
                                     "s2": {"user_id": str(OTHER), "expires_at": (T0 + LEASE).isoformat()}}})
    org = old.mutate(None)
    assert isinstance(org, OrganizationSeats) and org.version == 7 and org.tenant_id == tenant
    assert org.leases == {"s1": Lease(str(USER), T0 + LEASE), "s2": Lease(str(OTHER), T0 + LEASE)}
    assert Snapshot.take(org).state["class_version"] == 2


def test_a_lease_is_transcoded_as_its_holder_and_end() -> None:
    lease = Lease(str(USER), T0)
    transcoding = LeaseTranscoding()
    assert transcoding.decode(transcoding.encode(lease)) == lease
    assert transcoding.decode({"user_id": str(USER), "expires_at": T0.isoformat()}) == lease
