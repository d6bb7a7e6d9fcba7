"""What each integration event tells people by SMS: a table from event type to the notices
it produces. Each producer's notices live in their own module here (billing.py, tenancy.py,
…), so adding a message is adding one function and one line in its module's NOTICES.

A notice names the *user* to tell, not a number: notifications knows each user's mobile and
language from identity's UserRegistered (its contact directory), so other services never
carry a mobile number just to have someone told. A text that sends people to support gives
the configured support line (templates.SupportLine), passed to every producer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.notifications.templates import SupportLine
from shared.events.base import IntegrationEvent


@dataclass(frozen=True)
class Notice:
    user_id: uuid.UUID
    template: str  # a stable name, e.g. "billing.payment_succeeded"; shown in the outbox listing
    text: Callable[[str], str]  # locale ("fa" | "en") → the message, Persian digits and Jalali dates in "fa"


NoticesOf = Callable[[Any, SupportLine], list[Notice]]


def _registry() -> dict[type[IntegrationEvent], NoticesOf]:
    from services.notifications.notices import archival, billing, provisioning, tenancy

    table: dict[type[IntegrationEvent], NoticesOf] = {}
    for module in (archival, billing, provisioning, tenancy):
        clash = set(module.NOTICES) & set(table)
        assert not clash, f"events with notices in two modules: {clash}"
        table.update(module.NOTICES)
    return table


NOTICES = _registry()


def notices_for(event: IntegrationEvent, support: SupportLine | None = None) -> list[Notice]:
    produce = NOTICES.get(type(event))
    return produce(event, support or SupportLine()) if produce is not None else []
