"""The billing service's edge: RPC for the gateway, the inbox, the relay and the reconciler."""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.catalog import Catalog
from services.billing.moadian import MoadianClient
from services.billing.settings import BillingSettings
from services.billing.tax_invoices import Vendor
from services.billing.translations import translate
from services.billing.vendor_key import system_key, vendor_key
from services.billing.virus_scan import ClamdClient, NoScanning
from services.billing.zarinpal import ZarinpalClient
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.logging import get_logger
from shared.kernel.nameko_edge import EventSourcedApp, RequestCause, answers, health_of
from shared.kernel.publisher import ConfirmedPublisher, Outgoing, PublishFailed
from shared.kernel.store import Cause
from shared.kernel.timeline import timeline_of
from shared.kernel.topology import dead_exchange

RECONCILE_SECONDS = BillingSettings.from_env().reconcile_seconds  # the timer's interval is fixed at import


def build_application(settings: Settings) -> BillingApplication:
    own = BillingSettings.from_env(os.environ)
    gateway = ZarinpalClient(base_url=own.gateway_url, merchant_id=own.merchant_id, access_token=own.access_token,
                             timeout=own.gateway_timeout_seconds, graphql_url=own.graphql_url,
                             terminal_id=own.terminal_id)
    tax_system = MoadianClient(own.moadian_url, own.moadian_memory_id,
                               vendor_key(settings.var_dir, own.moadian_key_file, own.moadian_certificate_file),
                               timeout=own.moadian_timeout_seconds,
                               system_key=system_key(own.moadian_system_key_file))
    return BillingApplication(settings, catalog=Catalog.from_env(os.environ), gateway=gateway,
                              public_base_url=own.public_base_url, inquiry_after=own.inquiry_after,
                              give_up_after=own.give_up_after, refund_retry_base=own.refund_retry_base,
                              tax_system=tax_system, vendor=Vendor(own.moadian_memory_id, own.moadian_seller_tin),
                              einvoice_retry_base=timedelta(seconds=own.moadian_retry_base_seconds),
                              einvoice_ask_after=timedelta(seconds=own.moadian_ask_after_seconds),
                              virus_scanner=ClamdClient(own.clamd_host, own.clamd_port,
                                                        timeout=own.clamd_timeout_seconds)
                              if own.virus_scan else NoScanning())


class BillingService:
    """RPC parameters are what the gateway sends: ids as text, bodies as the dict of their
    shared/http model (billing validates it with the same model, services/billing/purchases.py)."""

    name = "billing"

    app: BillingApplication = EventSourcedApp(build_application, translate,
                                                 figures=lambda app: app.settlement.refund_figures())
    cause: Cause = RequestCause()

    @rpc
    @answers
    def catalog(self) -> dict[str, Any]:
        return self.app.catalog_view()

    @rpc
    @answers
    def place_order(self, user_id: str, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        return self.app.place_order(user_id, body, idempotency_key, self.cause)

    @rpc
    @answers
    def change_order(self, user_id: str, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.app.change_order(user_id, order_id, body, self.cause)

    @rpc
    @answers
    def calculate_invoice(self, user_id: str, order_id: str) -> dict[str, Any]:
        return self.app.calculate_invoice(user_id, order_id, self.cause)

    @rpc
    @answers
    def order(self, user_id: str, order_id: str) -> dict[str, Any]:
        return self.app.order(user_id, order_id)

    @rpc
    @answers
    def start_payment(self, user_id: str, order_id: str, idempotency_key: str | None = None) -> dict[str, Any]:
        return self.app.start_payment(user_id, order_id, idempotency_key, self.cause)

    @rpc
    @answers
    def payment_callback(self, payment_id: str, authority: str, status: str) -> dict[str, Any]:
        return self.app.settlement.payment_callback(payment_id, authority, status, self.cause)

    @rpc
    @answers
    def payment(self, user_id: str, payment_id: str) -> dict[str, Any]:
        return self.app.payment(user_id, payment_id)

    @rpc
    @answers
    def refund_payment(self, support_user_id: str, payment_id: str) -> dict[str, Any]:
        return self.app.settlement.refund_paid(payment_id, self.cause)

    @rpc
    @answers
    def offer_limits(self, support_user_id: str, ticket_id: str, customer_user_id: str, body: dict[str, Any],
                     current_limits: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        return self.app.offers.offer(support_user_id, ticket_id, customer_user_id, body, current_limits,
                                     idempotency_key, self.cause)

    @rpc
    @answers
    def withdraw_offer(self, support_user_id: str, order_id: str) -> dict[str, Any]:
        return self.app.offers.withdraw(support_user_id, order_id, self.cause)

    @rpc
    @answers
    def limits_offers(self, tenant_ids: Any) -> list[dict[str, Any]]:
        return self.app.offers.of_businesses(tenant_ids)

    @rpc
    @answers
    def rejected_official_invoices(self) -> list[dict[str, Any]]:
        return self.app.einvoicing.corrections.rejected()

    @rpc
    @answers
    def correct_official_invoice(self, support_user_id: str, payment_id: str, body: dict[str, Any]
                                 ) -> dict[str, Any]:
        return self.app.einvoicing.corrections.correct(payment_id, body, support_user_id, self.cause)

    @rpc
    @answers
    def apply_for_educational(self, user_id: str, body: dict[str, Any], idempotency_key: str | None = None
                              ) -> dict[str, Any]:
        return self.app.educational.apply(user_id, body, idempotency_key, self.cause)

    @rpc
    @answers
    def educational_application(self, user_id: str, application_id: str, support: bool = False) -> dict[str, Any]:
        return self.app.educational.application(user_id, application_id, support)

    @rpc
    @answers
    def approve_educational(self, support_user_id: str, application_id: str) -> dict[str, Any]:
        return self.app.educational.approve(support_user_id, application_id, self.cause)

    @rpc
    @answers
    def reject_educational(self, support_user_id: str, application_id: str, reason: str = "") -> dict[str, Any]:
        return self.app.educational.reject(support_user_id, application_id, reason, self.cause)

    @rpc
    @answers
    def pending_educational(self) -> list[dict[str, Any]]:
        return self.app.educational.pending()

    @rpc
    @answers
    def my_educational_applications(self, user_id: str) -> list[dict[str, Any]]:
        return self.app.educational.of_applicant(user_id)

    @rpc
    @answers
    def attach_licence_document(self, user_id: str, application_id: str, content_b64: str) -> dict[str, Any]:
        return self.app.educational.attach_document(user_id, application_id, _decoded(content_b64), self.cause)

    @rpc
    @answers
    def licence_document(self, user_id: str, application_id: str, support: bool = False) -> dict[str, Any]:
        found = self.app.educational.document(user_id, application_id, bool(support))
        return found | {"content": base64.b64encode(found["content"]).decode()}

    @rpc
    def health(self) -> dict[str, Any]:
        return health_of(self.name, self.app) | self.app.settlement.refund_health()

    @rpc
    def business_timeline(self, tenant_ids: Any) -> list[dict[str, Any]]:
        """This service's events about these businesses, for the support desk's case view (issue #19)."""
        return timeline_of(self.app, translate, self.name, tenant_ids)

    @timer(interval=RECONCILE_SECONDS)
    def reconcile(self) -> None:
        done = self.app.settlement.reconcile(Cause.new_request())
        if any(done.values()):
            get_logger().info("billing.reconciled", **done)
        self._dead_letter_blocked_refunds()
        invoiced = self.app.einvoicing.follow(Cause.new_request())
        if any(invoiced.values()):
            get_logger().info("billing.tax_invoices", **invoiced)

    def _dead_letter_blocked_refunds(self) -> None:
        """Each refund the gateway refused for good goes to billing's dead letters, where
        operators list and replay them (docs/operations.md). A crash before this publish leaves
        the log line, the RefundBlocked event on the audit queue and the health figure."""
        while self.app.settlement.blocked_refunds:
            letter = self.app.settlement.blocked_refund_letter(self.app.settlement.blocked_refunds[0])
            if letter is not None:
                publisher = ConfirmedPublisher(self.app.settings)
                reason = f"refund blocked: {letter.payload['error']}"
                try:
                    publisher.publish_raw(Outgoing(dead_exchange(self.app.settings).name, self.name, {},
                                                   message_id=str(letter.event_id), headers={"x-dead-reason": reason}),
                                          json.dumps(letter.to_wire()), "application/json")
                except PublishFailed:
                    get_logger().exception("billing.refund_blocked_not_dead_lettered")
                    return  # tried again after the next reconcile
                finally:
                    publisher.close()
            self.app.settlement.blocked_refunds.pop(0)

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, self.app, inbound)



def _decoded(content_b64: Any) -> bytes:
    try:
        return base64.b64decode(content_b64 if isinstance(content_b64, str) else "", validate=True)
    except ValueError:
        raise DomainError("invalid_document") from None


SERVICE = BillingService
