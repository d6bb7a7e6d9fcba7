"""Notifications takes from the broker only what it acts on: every delivery costs a read and a
write of its store, so an event it has no notice for must not be routed to it."""

from __future__ import annotations

from services.notifications.notices import NOTICES
from services.notifications.policies import OWN_USE_CASES
from shared.events.catalog import CATALOG


def test_every_event_routed_to_notifications_produces_a_notice_or_has_a_use_case() -> None:
    idle = [spec.type for spec in CATALOG.values() if "notifications" in spec.consumers
            and spec.current not in NOTICES and spec.current not in OWN_USE_CASES]
    assert idle == []


def test_every_event_with_a_notice_is_routed_to_notifications() -> None:
    routed = {spec.current for spec in CATALOG.values() if "notifications" in spec.consumers}
    assert set(NOTICES) <= routed
