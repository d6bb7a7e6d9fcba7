"""Identity's domain events → integration events (pure)."""

from __future__ import annotations

from typing import Any

# Aggregate events are made by eventsourcing's decorators, invisible to mypy.
from services.identity.domain import User
from services.identity.tickets import Ticket
from shared.events import identity as contracts
from shared.events.base import IntegrationEvent


def translate(domain_event: Any) -> IntegrationEvent | None:
    if isinstance(domain_event, User.PasswordChanged):  # type: ignore[attr-defined]
        return contracts.PasswordChangedV1(user_id=domain_event.originator_id)
    if isinstance(domain_event, User.SessionsEnded):  # type: ignore[attr-defined]
        return contracts.SessionsEndedV1(user_id=domain_event.originator_id, session_ids=domain_event.session_ids,
                                         reason=domain_event.reason, ended_at=domain_event.at)
    if isinstance(domain_event, Ticket.Answered):  # type: ignore[attr-defined]
        if getattr(domain_event, "link", None):
            return None  # answered with support's offer: notifications tells of the offer (LimitsOffered)
        ticket = domain_event.originator_id
        return contracts.TicketAnsweredV1(ticket_id=ticket, customer_user_id=domain_event.customer_id,
                                          category=domain_event.category)
    mobile = getattr(domain_event, "mobile", None)
    if mobile is None or mobile.forgotten:
        return None  # nothing to announce, or the subject was purged (AR-1): nobody left to tell
    if isinstance(domain_event, User.Registered):  # type: ignore[attr-defined]
        return contracts.UserRegisteredV1(user_id=domain_event.user_id, mobile=mobile.value,
                                          locale=domain_event.locale)
    if isinstance(domain_event, User.VerificationCodeIssued):  # type: ignore[attr-defined]
        return contracts.VerificationCodeIssuedV1(
            user_id=domain_event.originator_id, mobile=mobile.value,
            purpose=domain_event.purpose, sealed_code=domain_event.sealed_code,
            expires_at=domain_event.expires_at, locale=domain_event.locale)
    if isinstance(domain_event, User.MobileVerified):  # type: ignore[attr-defined]
        return contracts.MobileVerifiedV1(user_id=domain_event.originator_id, mobile=mobile.value)
    return None

