"""Notifications takes from the broker only what it acts on: every delivery costs a read and a
write of its store, so an event it has no notice for must not be routed to it."""

from __future__ import annotations

from services.notifications.notices import NOTICES
from shared.events.catalog import CATALOG
from shared.events.identity import UserRegisteredV1, VerificationCodeIssuedV1
from shared.events.ops import ClockAdvancedV1
from shared.events.tenancy import MemberInvitedV1

# Events with a use case of their own in services/notifications/policies.py. The archival purge is
# routed here for the purge of notifications' own copies of a business's name (AR-1), which no use
# case does yet: sent texts naming the business are sealed under the recipient's key, not the
# business's, and outlive the purge (a known gap).
OWN_USE_CASES = {UserRegisteredV1, VerificationCodeIssuedV1, ClockAdvancedV1, MemberInvitedV1}
TAKEN_FOR_THE_PURGE = {"TenantDataPurged"}


def test_every_event_routed_to_notifications_produces_a_notice_or_has_a_use_case() -> None:
    idle = [spec.type for spec in CATALOG.values() if "notifications" in spec.consumers
            and spec.current not in NOTICES and spec.current not in OWN_USE_CASES
            and spec.type not in TAKEN_FOR_THE_PURGE]
    assert idle == []


def test_every_event_with_a_notice_is_routed_to_notifications() -> None:
    routed = {spec.current for spec in CATALOG.values() if "notifications" in spec.consumers}
    assert set(NOTICES) <= routed
