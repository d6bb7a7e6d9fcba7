"""Billing's application: the catalog, orders and their invoices (BI-1), starting a payment,
and restore orders from archival (AR-3) are its own methods; settling payments and refunds
(``self.settlement``, settlement.py) and educational licences (``self.educational``,
educational.py) are use-case groups it builds, sharing its store through ``Records``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from services.billing.catalog import Catalog
from services.billing.domain import BusinessAccount, Order, Payment, business_subject, keyed_id, sealed_name, storable
from services.billing.educational import Educational
from services.billing.einvoicing import EInvoicing
from services.billing.gateway import GatewayUnavailable, PaymentGateway
from services.billing.licence_documents import DocumentFiles
from services.billing.limits import Limits
from services.billing.moadian import TaxSystem
from services.billing.offers import LimitsOffers
from services.billing.purchases import (
    changed_order,
    fingerprint,
    idempotency_key,
    parsed,
    purchase_from,
    tenant_named,
)
from services.billing.records import Records
from services.billing.settlement import Settlement
from services.billing.tax_invoices import Vendor
from services.billing.views import order_view, payment_view
from services.billing.virus_scan import VirusScanner
from services.billing.zarinpal import GATEWAY_NAME
from shared.events.archival import RestoreRequestedV1, TenantDataPurgedV1
from shared.http.billing import OrderRequest
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal


class BillingApplication(ServiceApplication):
    name = "billing"

    def __init__(self, *args: Any, catalog: Catalog, gateway: PaymentGateway, public_base_url: str,
                 inquiry_after: timedelta = timedelta(minutes=10), give_up_after: timedelta = timedelta(hours=1),
                 refund_retry_base: timedelta = timedelta(seconds=30), tax_system: TaxSystem,
                 vendor: Vendor, einvoice_retry_base: timedelta = timedelta(seconds=10),
                 einvoice_ask_after: timedelta = timedelta(seconds=5), documents_dir: Path | None = None,
                 virus_scanner: VirusScanner | None = None, **kwargs: Any) -> None:
        self.catalog = catalog
        self.gateway = gateway
        self.public_base_url = public_base_url.rstrip("/")
        super().__init__(*args, **kwargs)
        self.records = Records(self)
        self.limits = Limits(self.records)
        self.settlement = Settlement(self.records, gateway, self.limits, inquiry_after=inquiry_after,
                                     give_up_after=give_up_after, refund_retry_base=refund_retry_base)
        self.educational = Educational(self.records, catalog, DocumentFiles(
            documents_dir or self.settings.var_dir / "licence-documents"), virus_scanner)
        self.offers = LimitsOffers(self.records, catalog, self.limits)
        self.einvoicing = EInvoicing(self.records, tax_system, vendor, retry_base=einvoice_retry_base,
                                     ask_after=einvoice_ask_after)

    # -- catalog and orders (BI-1) -----------------------------------------------------------
    def catalog_view(self) -> dict[str, Any]:
        return self.catalog.public()

    def place_order(self, user_id: object, body: Mapping[str, Any], key: object, cause: Cause) -> dict[str, Any]:
        customer = parse_id(user_id)
        request = parsed(OrderRequest, body)
        purchase = self._purchase_for(customer, request)
        tenant_id = uuid.uuid4() if purchase["kind"] == "new" else tenant_named(request)
        self.limits.check(purchase, tenant_id)  # TE-2's hard caps, before anyone pays (issue #19)
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

        return self.records.created_once(order_id, print_, create, order_view)

    def _purchase_for(self, customer: uuid.UUID, request: OrderRequest) -> dict[str, Any]:
        purchase = purchase_from(request, self.catalog)
        if purchase.get("data_conversion") and request.returning_tenant_id:
            purchase["conversion_free_for"] = str(self._earlier_business(customer, request.returning_tenant_id))
        if purchase["kind"] != "new":
            account = self.records.get(tenant_named(request))
            if not isinstance(account, BusinessAccount) or account.owner_user_id != customer:
                raise DomainError("business_not_found")
            if isinstance(account.business_name, Personal) and account.business_name.forgotten:
                raise DomainError("business_purged")  # deleted (AR-1): a restore order comes first (AR-3)
            purchase |= {"business_name": account.business_name, "business_type": account.business_type}
        return purchase

    def _earlier_business(self, customer: uuid.UUID, tenant_id: str) -> uuid.UUID:
        """AR-5 and the FAQ («رایگان برای مشتریان قدیم»): a returning customer is one billing sold a
        business before — a BusinessAccount they own, opened by a succeeded payment (deleted
        since or not). A free educational licence does not make one: nothing was bought."""
        try:
            earlier = uuid.UUID(tenant_id)
        except ValueError:
            raise DomainError("not_a_returning_customer", field="returning_tenant_id") from None
        account = self.records.get(earlier)
        if not isinstance(account, BusinessAccount) or account.owner_user_id != customer \
                or account.business_type == "educational":
            raise DomainError("not_a_returning_customer", field="returning_tenant_id")
        return earlier

    def change_order(self, user_id: object, order_id: object, body: Mapping[str, Any], cause: Cause
                     ) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            order = self.records.order_of(user_id, order_id)
            if order.kind == "restore":
                raise DomainError("order_kind_fixed")
            if order.offer is not None:
                raise DomainError("offer_fixed")  # support's offer is paid as offered (issue #19)
            request = changed_order(order.kind, order.tenant_id, body)
            purchase = self._purchase_for(order.customer_user_id, request)
            self.limits.check(purchase, order.tenant_id)
            order.change(sealed_name(purchase, order.tenant_id))
            self.save_caused(order, cause=cause)
            return order_view(order)

        return self.records.retrying(attempt)

    def calculate_invoice(self, user_id: object, order_id: object, cause: Cause) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            order = self.records.order_of(user_id, order_id)
            order.check_open()
            order.issue_invoice(uuid.uuid4(), self.catalog.invoice_for(order.purchase))
            self.save_caused(order, cause=cause)
            return order_view(order)

        return self.records.retrying(attempt)

    def order(self, user_id: object, order_id: object) -> dict[str, Any]:
        return order_view(self.records.order_of(user_id, order_id))

    def forget_business(self, purged: TenantDataPurgedV1, cause: Cause) -> None:
        """AR-1: the business's name in billing's events becomes unreadable with its data. The
        amounts, dates and gateway references stay: they are the vendor's own accounting."""
        # The key goes first: a crash after the save would leave it for good (the redelivery is skipped).
        self.keys.forget(business_subject(purged.tenant_id))
        self.save_caused(cause=cause)

    def open_restore_order(self, event: RestoreRequestedV1, cause: Cause) -> None:
        """Archival asked for a paid restore (AR-3): an order with the id it chose, priced now."""
        if self.records.get(event.order_id) is not None:
            self.save_caused(cause=cause)  # made before (a second request): only mark the event handled
            return
        purchase = sealed_name({"kind": "restore", "products": [], "period_months": 1, "extra_organizations": 0,
                                "extra_concurrent_users": 0, "business_name": event.business_name,
                                "business_type": event.business_type}, event.tenant_id)
        order = Order(order_id=event.order_id, customer_user_id=event.requested_by_user_id, tenant_id=event.tenant_id,
                      purchase=purchase, fingerprint=f"restore:{event.restore_id}")
        order.issue_invoice(uuid.uuid4(), self.catalog.invoice_for(purchase))
        account = self.records.get(event.tenant_id)
        if isinstance(account, BusinessAccount):
            account.restored_as(purchase["business_name"])
        self.save_caused(order, *([account] if isinstance(account, BusinessAccount) else []), cause=cause)

    # -- paying (BI-1: only the current invoice) ---------------------------------------------
    def start_payment(self, user_id: object, order_id: object, key: object, cause: Cause) -> dict[str, Any]:
        order = self.records.order_of(user_id, order_id)
        invoice = order.check_payable()
        if storable(order.purchase) is not order.purchase:
            raise DomainError("business_purged")  # its name went with its data (AR-1): nothing to pay for
        self.limits.check(order.purchase, order.tenant_id)  # raised another way since it was placed?
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
            self.settlement.watch(payment_id)
            return self._started(payment)

        return self.records.created_once(payment_id, print_, create, self._started)

    def _started(self, payment: Payment) -> dict[str, Any]:
        return {"payment_id": str(payment.id), "redirect_url": payment.redirect_url,
                "amount_rials": payment.amount_rials, "state": payment.state}

    def payment(self, user_id: object | None, payment_id: object) -> dict[str, Any]:
        payment = self.records.payment(payment_id)
        if user_id is not None and payment.customer_user_id != parse_id(user_id):
            raise DomainError("not_found")
        return payment_view(payment, self.clock.now()) | {"official_invoice": self.einvoicing.view_of(payment.id)}
