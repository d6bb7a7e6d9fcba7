"""Integration events in → notifications' use cases (pure mapping)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.notifications.notices import tells_anyone
from shared.events.archival import TenantDataPurgedV1
from shared.events.base import IntegrationEvent
from shared.events.identity import UserRegisteredV1, VerificationCodeIssuedV1
from shared.events.ops import ClockAdvancedV1
from shared.events.tenancy import MemberInvitedV1
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled
from shared.kernel.store import Cause, ServiceApplication

# The events with a use case of their own; every other event only ever produces notices.
OWN_USE_CASES = (VerificationCodeIssuedV1, MemberInvitedV1, UserRegisteredV1, TenantDataPurgedV1, ClockAdvancedV1)


class UseCases(Protocol):
    """What the inbox asks of notifications (application.py's NotificationsApplication)."""

    def send_verification_code(self, event: VerificationCodeIssuedV1, cause: Cause, last_attempt: bool) -> None: ...

    def remember_contact(self, event: UserRegisteredV1, cause: Cause) -> None: ...

    def send_invitation(self, event: MemberInvitedV1, occurred_at: datetime, cause: Cause,
                        last_attempt: bool) -> None: ...

    def forget_business(self, purged: TenantDataPurgedV1, cause: Cause) -> None: ...

    def send_notices(self, event: IntegrationEvent, occurred_at: datetime, cause: Cause,
                     last_attempt: bool) -> None: ...


def handle(store: ServiceApplication, use_cases: UseCases, inbound: Inbound) -> None:
    """``store`` answers what every service does (duplicates, the platform's events);
    ``use_cases`` the rest — the same application in production."""
    if not isinstance(inbound.event, OWN_USE_CASES) and not tells_anyone(inbound.event):
        # Nobody to tell (an admin seated at activation hears of the payment instead): nothing
        # sent, nothing recorded, so a duplicate does nothing either — settled before any read.
        return
    skip_if_handled(store, inbound)
    if handle_platform_event(store, inbound):
        return
    if isinstance(inbound.event, VerificationCodeIssuedV1):
        use_cases.send_verification_code(inbound.event, inbound.cause, inbound.last_attempt)
    elif isinstance(inbound.event, MemberInvitedV1):
        use_cases.send_invitation(inbound.event, inbound.envelope.occurred_at, inbound.cause, inbound.last_attempt)
    elif isinstance(inbound.event, UserRegisteredV1):
        use_cases.remember_contact(inbound.event, inbound.cause)
    elif isinstance(inbound.event, TenantDataPurgedV1):
        use_cases.forget_business(inbound.event, inbound.cause)
    else:
        # Every other event: the notices its producer's module lists (none is fine).
        use_cases.send_notices(inbound.event, inbound.envelope.occurred_at, inbound.cause, inbound.last_attempt)
