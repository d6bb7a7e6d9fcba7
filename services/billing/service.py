"""The billing service's edge: RPC for the gateway, the inbox, the relay and the reconciler."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer

from services.billing import policies
from services.billing.application import BillingApplication
from services.billing.catalog import Catalog
from services.billing.translations import translate
from services.billing.zarinpal import DEFAULT_GRAPHQL_URL, ZarinpalClient
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.logging import get_logger
from shared.kernel.nameko_edge import EventSourcedApp, RequestCause, answers, health_of
from shared.kernel.publisher import ConfirmedPublisher, Outgoing, PublishFailed
from shared.kernel.store import Cause
from shared.kernel.topology import dead_exchange

RECONCILE_SECONDS = float(os.environ.get("BILLING_RECONCILE_SECONDS", "10"))


def _seconds(name: str, default: str) -> timedelta:
    return timedelta(seconds=float(os.environ.get(name, default)))


def build_application(settings: Settings) -> BillingApplication:
    gateway = ZarinpalClient(base_url=os.environ.get("PAYMENT_GATEWAY_URL", "http://127.0.0.1:8030"),
                             merchant_id=os.environ.get("PAYMENT_MERCHANT_ID", "00000000-0000-0000-0000-000000000000"),
                             access_token=os.environ.get("PAYMENT_ACCESS_TOKEN", "development"),
                             timeout=float(os.environ.get("PAYMENT_GATEWAY_TIMEOUT_SECONDS", "10")),
                             graphql_url=os.environ.get("PAYMENT_GRAPHQL_URL", DEFAULT_GRAPHQL_URL),
                             terminal_id=os.environ.get("PAYMENT_TERMINAL_ID", ""))
    return BillingApplication(settings, catalog=Catalog.from_env(), gateway=gateway,
                              public_base_url=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
                              inquiry_after=_seconds("PAYMENT_INQUIRY_AFTER_SECONDS", "600"),
                              give_up_after=_seconds("PAYMENT_GIVE_UP_SECONDS", "3600"),
                              refund_retry_base=_seconds("REFUND_RETRY_BASE_SECONDS", "30"))


class BillingService:
    name = "billing"

    app: BillingApplication = EventSourcedApp(build_application, translate)
    cause: Cause = RequestCause()

    @rpc
    @answers
    def catalog(self) -> dict[str, Any]:
        return self.app.catalog_view()

    @rpc
    @answers
    def place_order(self, user_id: Any, body: Any, idempotency_key: Any = None) -> dict[str, Any]:
        return self.app.place_order(user_id, body, idempotency_key, self.cause)

    @rpc
    @answers
    def change_order(self, user_id: Any, order_id: Any, body: Any) -> dict[str, Any]:
        return self.app.change_order(user_id, order_id, body, self.cause)

    @rpc
    @answers
    def calculate_invoice(self, user_id: Any, order_id: Any) -> dict[str, Any]:
        return self.app.calculate_invoice(user_id, order_id, self.cause)

    @rpc
    @answers
    def order(self, user_id: Any, order_id: Any) -> dict[str, Any]:
        return self.app.order(user_id, order_id)

    @rpc
    @answers
    def start_payment(self, user_id: Any, order_id: Any, idempotency_key: Any = None) -> dict[str, Any]:
        return self.app.start_payment(user_id, order_id, idempotency_key, self.cause)

    @rpc
    @answers
    def payment_callback(self, payment_id: Any, authority: Any, status: Any) -> dict[str, Any]:
        return self.app.payment_callback(payment_id, authority, status, self.cause)

    @rpc
    @answers
    def payment(self, user_id: Any, payment_id: Any) -> dict[str, Any]:
        return self.app.payment(user_id, payment_id)

    @rpc
    @answers
    def apply_for_educational(self, user_id: Any, body: Any, idempotency_key: Any = None) -> dict[str, Any]:
        return self.app.apply_for_educational(user_id, body, idempotency_key, self.cause)

    @rpc
    @answers
    def educational_application(self, user_id: Any, application_id: Any, support: bool = False) -> dict[str, Any]:
        return self.app.educational_application(user_id, application_id, support)

    @rpc
    @answers
    def approve_educational(self, support_user_id: Any, application_id: Any) -> dict[str, Any]:
        return self.app.approve_educational(support_user_id, application_id, self.cause)

    @rpc
    @answers
    def reject_educational(self, support_user_id: Any, application_id: Any, reason: Any = "") -> dict[str, Any]:
        return self.app.reject_educational(support_user_id, application_id, reason, self.cause)

    @rpc
    def health(self) -> dict[str, Any]:
        return health_of(self.name, self.app) | self.app.refund_health()

    @timer(interval=RECONCILE_SECONDS)
    def reconcile(self) -> None:
        done = self.app.reconcile(Cause.new_request())
        if any(done.values()):
            get_logger().info("billing.reconciled", **done)
        self._dead_letter_blocked_refunds()

    def _dead_letter_blocked_refunds(self) -> None:
        """Each refund the gateway refused for good goes to billing's dead letters, where
        operators list and replay them (docs/operations.md). A crash before this publish leaves
        the log line, the RefundBlocked event on the audit queue and the health figure."""
        while self.app.blocked_refunds:
            letter = self.app.blocked_refund_letter(self.app.blocked_refunds[0])
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
            self.app.blocked_refunds.pop(0)

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, inbound)


SERVICE = BillingService
