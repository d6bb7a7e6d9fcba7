"""The notifications service's edge: RPC for the gateway, the inbox, the delivery-report
timer, the relay."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer

from services.notifications import policies
from services.notifications.application import NotificationsApplication
from services.notifications.sms import KavenegarClient
from services.notifications.templates import SupportLine
from services.notifications.translations import translate
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.nameko_edge import EventSourcedApp, answers, health_of
from shared.kernel.sealing import development_keypair

# How often sent messages' delivery reports are asked for (sms/status.json).
SMS_STATUS_CHECK_SECONDS = float(os.environ.get("SMS_STATUS_CHECK_SECONDS", "30"))


def build_application(settings: Settings) -> NotificationsApplication:
    private_key, _ = development_keypair(settings.var_dir / "keys")
    sms = KavenegarClient(base_url=os.environ.get("SMS_PROVIDER_URL", "http://127.0.0.1:8025"),
                          api_key=os.environ.get("SMS_API_KEY", "development"),
                          sender=os.environ.get("SMS_SENDER", "10004346"))
    code_templates = {"signup": os.environ.get("SMS_TEMPLATE_SIGNUP", "signup-code"),
                      "password_reset": os.environ.get("SMS_TEMPLATE_PASSWORD_RESET", "password-reset-code")}
    defaults = SupportLine()
    support = SupportLine(phone_fa=os.environ.get("SUPPORT_PHONE", defaults.phone_fa),
                          phone_en=os.environ.get("SUPPORT_PHONE_EN", defaults.phone_en))
    give_up_after = timedelta(hours=float(os.environ.get("SMS_DELIVERY_REPORT_WAIT_HOURS", "24")))
    return NotificationsApplication(settings, sealing_private_key=private_key, sms=sms, code_templates=code_templates,
                                    support=support, give_up_after=give_up_after)


class NotificationsService:
    name = "notifications"

    app: NotificationsApplication = EventSourcedApp(build_application, translate)

    @rpc
    @answers
    def messages_to(self, mobile: Any) -> list[dict[str, Any]]:
        return self.app.messages_to(mobile)

    @rpc
    def health(self) -> dict[str, Any]:
        return health_of(self.name, self.app)

    @timer(interval=SMS_STATUS_CHECK_SECONDS)
    def follow_deliveries(self) -> None:
        self.app.follow_deliveries()

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, inbound)


SERVICE = NotificationsService
