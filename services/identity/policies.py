"""Integration events in → identity's use cases (pure mapping)."""

from __future__ import annotations

from typing import Protocol

from services.identity.businesses import Businesses
from shared.events import archival, billing, tenancy
from shared.kernel.inbox import Inbound
from shared.kernel.policies import handle_platform_event, skip_if_handled
from shared.kernel.store import Cause, ServiceApplication

# What the personal page needs to know about businesses (ID-5, TE-3, AR-1, AR-2, AR-3).
BUSINESS_EVENTS = (
    tenancy.BusinessActivatedV1, tenancy.MemberAddedV1, tenancy.MemberRemovedV1, tenancy.SubscriptionExtendedV1,
    tenancy.TenantLapsedV1, tenancy.TenantReactivatedV1, archival.ArchivalScheduledV1, archival.ArchivalCancelledV1,
    archival.TenantDataPurgedV1, archival.RestoreCompletedV1,
)


class OfferAnswers(Protocol):
    """The desk's answer to a ticket support made a priced offer on, and its note of the offer's
    withdrawal (SupportDesk, offer_notes.py)."""

    def answer_offer(self, offered: billing.LimitsOfferedV1, cause: Cause) -> None: ...

    def note_withdrawal(self, withdrawn: billing.LimitsOfferWithdrawnV1, cause: Cause) -> None: ...


def handle(store: ServiceApplication, businesses: Businesses, desk: OfferAnswers, inbound: Inbound) -> None:
    skip_if_handled(store, inbound)
    if handle_platform_event(store, inbound):
        return
    if isinstance(inbound.event, billing.LimitsOfferedV1):
        desk.answer_offer(inbound.event, inbound.cause)
        return
    if isinstance(inbound.event, billing.LimitsOfferWithdrawnV1):
        desk.note_withdrawal(inbound.event, inbound.cause)
        return
    if isinstance(inbound.event, BUSINESS_EVENTS):
        businesses.record_business_event(inbound.event, inbound.envelope.occurred_at, inbound.cause)
