"""Identity's side of tenancy and archival: keeping the personal page's memberships and
subscriptions (ID-5, TE-3, AR-2), and answering GET /me. The application builds one
``Businesses`` and exposes it as ``app.businesses``; policies.py feeds it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from services.identity.domain import User
from services.identity.personal_page import (
    BusinessView,
    Memberships,
    Subscription,
    business_view_id,
    memberships_id,
)
from shared.events import archival, tenancy
from shared.kernel.errors import DomainError
from shared.kernel.i18n import when
from shared.kernel.ids import parse_id
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal, business_subject

A = TypeVar("A", bound=Aggregate)
# What the personal page is told of a business (ID-5, TE-3, AR-1, AR-2, AR-3).
BusinessEvent = (tenancy.BusinessActivatedV1 | tenancy.MemberAddedV1 | tenancy.MemberRemovedV1
                 | tenancy.SubscriptionExtendedV1 | tenancy.TenantLapsedV1 | tenancy.TenantReactivatedV1
                 | archival.ArchivalScheduledV1 | archival.ArchivalCancelledV1 | archival.TenantDataPurgedV1
                 | archival.RestoreCompletedV1)
# What /me calls a business whose name was deleted with its data (AR-1).
DELETED_BUSINESS_NAME = {"fa": "کسب‌وکار حذف‌شده", "en": "Deleted business"}


class Businesses:
    def __init__(self, store: ServiceApplication) -> None:
        self.store = store

    def _get_or_start(self, aggregate_id: uuid.UUID, kind: type[A], start: Callable[[], A]) -> A:
        try:
            found: A = self.store.repository.get(aggregate_id, kind=kind)
        except AggregateNotFoundError:
            found = start()
        return found

    def record_business_event(self, event: BusinessEvent, occurred_at: datetime, cause: Cause) -> None:
        view = self._get_or_start(business_view_id(event.tenant_id), BusinessView,
                                  lambda: BusinessView(event.tenant_id))
        changed: list[Aggregate] = [view]
        forget_name = False
        if isinstance(event, tenancy.BusinessActivatedV1):
            view.change(occurred_at, state="active", business_type=event.business_type,
                        products=tuple(event.products), ends_at=event.subscription_ends_at)
        elif isinstance(event, tenancy.SubscriptionExtendedV1):
            view.change(occurred_at, state="active", products=tuple(event.products),
                        ends_at=event.subscription_ends_at)
        elif isinstance(event, tenancy.TenantLapsedV1):
            view.change(occurred_at, state="lapsed", lapsed_at=event.lapsed_at)
        elif isinstance(event, tenancy.TenantReactivatedV1):
            view.change(occurred_at, state="active", lapsed_at=None, ends_at=event.subscription_ends_at)
        elif isinstance(event, archival.ArchivalScheduledV1):
            view.schedule_deletion(event.deletion_due_at, occurred_at)
        elif isinstance(event, archival.ArchivalCancelledV1):
            view.schedule_deletion(None, occurred_at)
        elif isinstance(event, archival.TenantDataPurgedV1):
            forget_name = view.purged(occurred_at)
        elif isinstance(event, archival.RestoreCompletedV1):
            # Under a subject of its own: the purged name's key is gone, and a new key under the
            # same subject would be asked to open what the old one sealed.
            view.restore(event.admin_user_id,
                         Personal(f"business:{event.tenant_id}:restore:{event.restore_id}", event.business_name),
                         event.business_type, tuple(event.products), occurred_at)
        elif isinstance(event, tenancy.MemberAddedV1 | tenancy.MemberRemovedV1):
            memberships = self._get_or_start(memberships_id(event.user_id), Memberships,
                                             lambda: Memberships(event.user_id))
            # A fact older than the business's deletion arrives late (two producers, unordered):
            # sealing the name it carries would bring the deleted name back under a new key (AR-1),
            # so a late joining is dropped and a late leaving is kept under the placeholder.
            late = view.predates_deletion(occurred_at)
            if isinstance(event, tenancy.MemberAddedV1):
                if not late:
                    memberships.join(event.tenant_id, Personal(business_subject(event.tenant_id), event.business_name),
                                     event.role, tuple(event.permissions), occurred_at)
            else:
                name = (Personal(f"business:{event.tenant_id}:deleted", DELETED_BUSINESS_NAME["en"]) if late
                        else Personal(business_subject(event.tenant_id), event.business_name))
                memberships.leave(event.tenant_id, name, occurred_at)
            changed = [memberships]
        if forget_name:
            # AR-1: the business's name in identity's events becomes unreadable with its data. The
            # keys go first: a crash after the save would leave them for good (the redelivery is skipped).
            for subject in view.name_subjects():
                self.store.keys.forget(subject)
        self.store.save_caused(*changed, cause=cause)

    def personal_page(self, user_id: object) -> dict[str, Any]:
        try:
            user: User = self.store.repository.get(parse_id(user_id, error="unauthorized"))
        except AggregateNotFoundError:
            raise DomainError("unauthorized") from None
        try:
            memberships: Memberships = self.store.repository.get(memberships_id(user.id), kind=Memberships)
            places = memberships.current()
        except AggregateNotFoundError:
            places = []
        businesses = []
        deleted_name = DELETED_BUSINESS_NAME[user.locale if user.locale in DELETED_BUSINESS_NAME else "fa"]
        for place in places:
            subscription: Subscription | None
            name = place.business_name
            try:
                view: BusinessView = self.store.repository.get(business_view_id(place.tenant_id), kind=BusinessView)
            except AggregateNotFoundError:
                subscription = None
            else:
                if not view.shows(user.id, place):
                    continue  # a member of the business before it was deleted and restored
                subscription, name = view.subscription, view.name_for(place)
            state = subscription.state if subscription else "activating"
            businesses.append({
                "tenant_id": str(place.tenant_id),
                "business_name": deleted_name if name.forgotten else name.reveal(),
                "role": place.role, "permissions": list(place.permissions),
                "business_type": subscription.business_type if subscription else None,
                "products": list(subscription.products) if subscription else [],
                "subscription_state": state,
                "subscription_ends_at": when(subscription.ends_at if subscription else None, user.locale),
                "lapsed_at": when(subscription.lapsed_at if subscription else None, user.locale),
                "deletion_due_at": when(subscription.deletion_due_at if subscription else None, user.locale),
                # AR-2: after a lapse, reports stay free to take until the data is deleted.
                "reports_available": state in ("active", "lapsed"),
            })
        return {
            "user": {"user_id": str(user.id), "mobile": user.mobile.reveal(), "verified": user.verified,
                     "locale": user.locale},
            "businesses": sorted(businesses, key=lambda b: b["business_name"]),
        }

