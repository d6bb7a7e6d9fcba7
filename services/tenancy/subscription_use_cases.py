"""A business's subscription from other services' facts: activation and renewal from billing
(BI-3, BI-4, PR-3, TE-2), lapse by the clock (AR-1), deletion dates, purge and restore from
archival (AR-1, AR-3)."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.tenancy.calendar import SHARDS, SubscriptionCalendar, shard_of
from services.tenancy.directory_use_cases import DirectoryUseCases
from services.tenancy.domain import Business
from services.tenancy.records import Records, retrying
from shared.events import billing
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal, business_subject


class SubscriptionUseCases:
    def __init__(self, store: ServiceApplication, records: Records, directory: DirectoryUseCases) -> None:
        self.store, self.records, self.directory = store, records, directory

    # -- billing's events (BI-3, BI-4, PR-3, TE-2) ------------------------------------------
    def activate(self, *, tenant_id: uuid.UUID, name: str, business_type: str,
                 products: tuple[str, ...], admin_user_id: uuid.UUID, activated_by: str, source_id: uuid.UUID,
                 starts_at: datetime, ends_at: datetime, cause: Cause) -> None:
        def attempt() -> None:
            if self.records.exists(tenant_id):
                get_logger().info("tenancy.activation_ignored", tenant_id=str(tenant_id), source_id=str(source_id),
                                  seen_before=self.records.business(tenant_id).seen(source_id))
                self.store.save_caused(cause=cause)
                return
            business = Business.activate(
                tenant_id=tenant_id, name=Personal(business_subject(tenant_id), name), business_type=business_type,
                products=products, admin_user_id=admin_user_id, admin_mobile=self.directory.mobile_of(admin_user_id),
                activated_by=activated_by, source_id=source_id, starts_at=starts_at, ends_at=ends_at)
            calendar = self.records.calendar(shard_of(tenant_id))
            calendar.watch(tenant_id, ends_at)
            self.store.save_caused(business, calendar, cause=cause)

        # A calendar shard is shared by many businesses: one writer at a time in this process.
        with self.records.calendar_held(shard_of(tenant_id)):
            retrying(attempt)

    def apply_payment(self, paid: billing.PaymentSucceededV1, cause: Cause) -> None:
        if paid.kind == "new":
            self.activate(tenant_id=paid.tenant_id, name=paid.business_name, business_type=paid.business_type,
                          products=tuple(paid.products), admin_user_id=paid.payer_user_id, activated_by="payment",
                          source_id=paid.payment_id, starts_at=paid.period_start, ends_at=paid.period_end,
                          cause=cause)
            return
        if paid.kind == "restore":  # archival restores; RestoreCompleted tells us
            self.store.save_caused(cause=cause)
            return

        def attempt() -> None:
            # An unknown business raises: the inbox retries with back-off (its activation may
            # still be on its way), then dead-letters for an operator.
            business = self.records.business(paid.tenant_id)
            calendar: SubscriptionCalendar | None = None
            if business.seen(paid.payment_id) or business.seen(paid.order_id):
                self.store.save_caused(cause=cause)
                return
            if paid.kind == "renewal":
                business.renew(paid.payment_id, tuple(paid.products), paid.period_end, self.store.clock.now())
                calendar = self.records.calendar(shard_of(business.tenant_id))
                calendar.watch(business.tenant_id, business.ends_at)
            elif paid.kind == "add_on":
                business.add_products(paid.payment_id, tuple(paid.products))
            else:  # limits bought (TE-2): extra organizations and concurrent users on top of today's, capped
                business.raise_paid_limits(order_id=paid.order_id, payment_id=paid.payment_id,
                                           extra_organizations=paid.extra_organizations,
                                           extra_concurrent_users=paid.extra_concurrent_users)
            self.store.save_caused(business, calendar, cause=cause)

        retrying(attempt)

    def grant_licence(self, granted: billing.EducationalLicenceGrantedV1, cause: Cause) -> None:
        self.activate(tenant_id=granted.tenant_id, name=granted.institution_name, business_type="educational",
                      products=tuple(granted.products), admin_user_id=granted.applicant_user_id,
                      activated_by="educational_licence", source_id=granted.application_id,
                      starts_at=granted.period_start, ends_at=granted.period_end, cause=cause)

    # -- lapse by the clock (AR-1) ----------------------------------------------------------
    def lapse_due(self, cause: Cause | None = None) -> int:
        """Lapse every business whose period has ended; each exactly once (the business records it)."""
        now = self.store.clock.now()
        lapsed = 0
        due = [tenant for shard in range(SHARDS) for tenant in self.records.calendar(shard).due(now)]
        for tenant_id in due:
            def attempt(tenant_id: uuid.UUID = tenant_id) -> bool:
                calendar, business = self.records.calendar(shard_of(tenant_id)), self.records.business(tenant_id)
                done = business.lapse_if_due(now)
                if business.state == "active":
                    calendar.watch(tenant_id, business.ends_at)  # renewed meanwhile
                else:
                    calendar.forget(tenant_id)
                self.store.save_caused(business, calendar, cause=cause or Cause.new_request())
                return done

            lapsed += retrying(attempt)
        return lapsed

    # -- archival's facts (AR-1, AR-3) ------------------------------------------------------
    def note_deletion(self, tenant_id: uuid.UUID, due_at: datetime | None, cause: Cause) -> None:
        def attempt() -> None:
            business = self.records.business(tenant_id)
            business.deletion_scheduled(due_at)
            self.store.save_caused(business, cause=cause)

        retrying(attempt)

    def note_purge(self, tenant_id: uuid.UUID, purged_at: datetime, cause: Cause) -> None:
        def attempt() -> str:
            business, calendar = self.records.business(tenant_id), self.records.calendar(shard_of(tenant_id))
            business.purged(purged_at)
            calendar.forget(tenant_id)
            self.store.save_caused(business, calendar, cause=cause)
            return business.name.subject

        self.store.keys.forget(retrying(attempt))  # the name is shredded in every copy of the store

    def note_restore(self, tenant_id: uuid.UUID, restore_id: uuid.UUID, name: str,
                     admin_user_id: uuid.UUID, products: tuple[str, ...], restored_at: datetime, cause: Cause) -> None:
        def attempt() -> None:
            business = self.records.business(tenant_id)
            # A fresh subject: a shredded key is never re-created (old events must stay unreadable).
            name_now = Personal(f"business:{tenant_id}:{restore_id}", name)
            business.restored(name_now, admin_user_id, products, restored_at)
            self.store.save_caused(business, cause=cause)

        retrying(attempt)
