"""Billing's use cases: the catalog, orders and their invoices (BI-1), starting a payment,
and restore orders from archival (AR-3). Settling payments and refunds is in settlement.py,
educational licences in educational.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError

from services.billing.catalog import Catalog
from services.billing.domain import BusinessAccount, Order, Payment, business_subject, keyed_id, sealed_name, storable
from services.billing.educational import EducationalUseCases
from services.billing.purchases import Conflict, as_uuid, fingerprint, idempotency_key, purchase_from, tenant_named
from services.billing.settlement import SettlementUseCases
from services.billing.views import order_view, payment_view
from services.billing.zarinpal import GATEWAY_NAME, GatewayUnavailable
from shared.events.archival import RestoreRequestedV1, TenantDataPurgedV1
from shared.kernel.errors import DomainError
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal

CONFLICT_RETRIES = 30
T = TypeVar("T")


class BillingApplication(SettlementUseCases, EducationalUseCases, ServiceApplication):
    name = "billing"  # type: ignore[misc]

    def __init__(self, *args: Any, catalog: Catalog, gateway: Any, public_base_url: str,
                 inquiry_after: timedelta = timedelta(minutes=10), give_up_after: timedelta = timedelta(hours=1),
                 refund_retry_base: timedelta = timedelta(seconds=30), **kwargs: Any) -> None:
        self.catalog = catalog
        self.gateway = gateway  # services.billing.zarinpal.ZarinpalClient or anything speaking like it
        self.public_base_url = public_base_url.rstrip("/")
        self.inquiry_after, self.give_up_after = inquiry_after, give_up_after
        self.refund_retry_base = refund_retry_base
        super().__init__(*args, **kwargs)
        self._open_payments: set[uuid.UUID] = set()
        self._log_position: int = 0
        self._last_inquiry: dict[uuid.UUID, datetime] = {}  # the reconciler's pace per unknown payment
        self.blocked_refunds: list[uuid.UUID] = []  # blocked in this process, for the edge to dead-letter

    # -- shared helpers ----------------------------------------------------------------------
    def _get(self, aggregate_id: uuid.UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _order_of(self, user_id: object, order_id: object) -> Order:
        order: Order | None = self._get(as_uuid(order_id))
        if not isinstance(order, Order):
            raise DomainError("not_found")
        order.check_customer(as_uuid(user_id))
        return order

    def _retrying(self, change: Callable[[], T]) -> T:
        """get → mutate → save again when another request changed the aggregate first."""
        for _ in range(CONFLICT_RETRIES):
            try:
                return change()
            except Conflict:
                continue
        raise DomainError("busy_try_again")

    def _created_once(self, aggregate_id: uuid.UUID, print_: str, create: Callable[[], T],
                      answer: Callable[[Any], T]) -> T:
        """Create what an Idempotency-Key names once: a repeat with the same body gets the same
        answer, with another body 422. The store decides (the id collides), not a read."""
        existing = self._get(aggregate_id)
        if existing is None:
            try:
                return create()
            except Conflict:
                existing = self._get(aggregate_id)
                if existing is None:
                    raise
        if getattr(existing, "fingerprint", None) != print_:
            raise DomainError("idempotency_key_reused")
        return answer(existing)

    # -- catalog and orders (BI-1) -----------------------------------------------------------
    def catalog_view(self) -> dict[str, Any]:
        return self.catalog.public()

    def place_order(self, user_id: object, body: Mapping[str, Any], key: object, cause: Cause) -> dict[str, Any]:
        customer = as_uuid(user_id)
        purchase = self._purchase_for(customer, body)
        tenant_id = uuid.uuid4() if purchase["kind"] == "new" else tenant_named(body)
        purchase = sealed_name(purchase, tenant_id)
        key = idempotency_key(key)
        order_id = keyed_id("order", customer, key) if key else uuid.uuid4()
        print_ = fingerprint(dict(body))

        def create() -> dict[str, Any]:
            order = Order(order_id=order_id, customer_user_id=customer, tenant_id=tenant_id, purchase=purchase,
                          fingerprint=print_)
            order.issue_invoice(uuid.uuid4(), self.catalog.invoice_for(purchase))
            self.save_caused(order, cause=cause)
            return order_view(order)

        return self._created_once(order_id, print_, create, order_view)

    def _purchase_for(self, customer: uuid.UUID, body: Mapping[str, Any], kind: str | None = None) -> dict[str, Any]:
        purchase = purchase_from(body, self.catalog, kind)
        if purchase["kind"] != "new":
            account: BusinessAccount | None = self._get(tenant_named(body))
            if not isinstance(account, BusinessAccount) or account.owner_user_id != customer:
                raise DomainError("business_not_found")
            if isinstance(account.business_name, Personal) and account.business_name.forgotten:
                raise DomainError("business_purged")  # deleted (AR-1): a restore order comes first (AR-3)
            purchase |= {"business_name": account.business_name, "business_type": account.business_type}
        return purchase

    def change_order(self, user_id: object, order_id: object, body: Mapping[str, Any], cause: Cause
                     ) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            order = self._order_of(user_id, order_id)
            if order.kind == "restore":
                raise DomainError("order_kind_fixed")
            merged = {"tenant_id": str(order.tenant_id)} | dict(body)
            order.change(sealed_name(self._purchase_for(order.customer_user_id, merged, kind=order.kind),
                                     order.tenant_id))
            self.save_caused(order, cause=cause)
            return order_view(order)

        return self._retrying(attempt)

    def calculate_invoice(self, user_id: object, order_id: object, cause: Cause) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            order = self._order_of(user_id, order_id)
            order.check_open()
            order.issue_invoice(uuid.uuid4(), self.catalog.invoice_for(order.purchase))
            self.save_caused(order, cause=cause)
            return order_view(order)

        return self._retrying(attempt)

    def order(self, user_id: object, order_id: object) -> dict[str, Any]:
        return order_view(self._order_of(user_id, order_id))

    def forget_business(self, purged: TenantDataPurgedV1, cause: Cause) -> None:
        """AR-1: the business's name in billing's events becomes unreadable with its data. The
        amounts, dates and gateway references stay: they are the vendor's own accounting."""
        # The key goes first: a crash after the save would leave it for good (the redelivery is skipped).
        self.keys.forget(business_subject(purged.tenant_id))
        self.save_caused(cause=cause)

    def open_restore_order(self, event: RestoreRequestedV1, cause: Cause) -> None:
        """Archival asked for a paid restore (AR-3): an order with the id it chose, priced now."""
        if self._get(event.order_id) is not None:
            self.save_caused(cause=cause)  # made before (a second request): only mark the event handled
            return
        purchase = sealed_name({"kind": "restore", "products": [], "period_months": 1, "extra_organizations": 0,
                                "extra_concurrent_users": 0, "business_name": event.business_name,
                                "business_type": event.business_type}, event.tenant_id)
        order = Order(order_id=event.order_id, customer_user_id=event.requested_by_user_id, tenant_id=event.tenant_id,
                      purchase=purchase, fingerprint=f"restore:{event.restore_id}")
        order.issue_invoice(uuid.uuid4(), self.catalog.invoice_for(purchase))
        account = self._get(event.tenant_id)
        if isinstance(account, BusinessAccount):
            account.restored_as(purchase["business_name"])
        self.save_caused(order, *([account] if isinstance(account, BusinessAccount) else []), cause=cause)

    # -- paying (BI-1: only the current invoice) ---------------------------------------------
    def start_payment(self, user_id: object, order_id: object, key: object, cause: Cause) -> dict[str, Any]:
        order = self._order_of(user_id, order_id)
        invoice = order.check_payable()
        if storable(order.purchase) is not order.purchase:
            raise DomainError("business_purged")  # its name went with its data (AR-1): nothing to pay for
        key = idempotency_key(key)
        payment_id = keyed_id("payment", order.customer_user_id, key) if key else uuid.uuid4()
        print_ = fingerprint(str(order.id), invoice["invoice_id"])

        def create() -> dict[str, Any]:
            callback = f"{self.public_base_url}/billing/payments/{payment_id}/callback"
            try:
                authority, redirect = self.gateway.request(invoice["total_rials"], callback,
                                                           f"Order {order.id} invoice {invoice['invoice_id']}",
                                                           str(order.id))
            except GatewayUnavailable:
                raise DomainError("gateway_unavailable") from None
            payment = Payment(payment_id=payment_id, order_id=order.id, invoice_id=uuid.UUID(invoice["invoice_id"]),
                              customer_user_id=order.customer_user_id, tenant_id=order.tenant_id,
                              purchase=order.purchase, amount_rials=invoice["total_rials"],
                              vat_rials=invoice["vat_rials"], gateway=GATEWAY_NAME, authority=authority,
                              redirect_url=redirect, fingerprint=print_, started_at=self.clock.now())
            self.save_caused(payment, cause=cause)
            self._open_payments.add(payment_id)
            return self._started(payment)

        return self._created_once(payment_id, print_, create, self._started)

    def _started(self, payment: Payment) -> dict[str, Any]:
        return {"payment_id": str(payment.id), "redirect_url": payment.redirect_url,
                "amount_rials": payment.amount_rials, "state": payment.state}

    def payment(self, user_id: object | None, payment_id: object) -> dict[str, Any]:
        payment: Payment | None = self._get(as_uuid(payment_id))
        if not isinstance(payment, Payment) or (user_id is not None and payment.customer_user_id != as_uuid(user_id)):
            raise DomainError("not_found")
        return payment_view(payment, self.clock.now())
