"""The notifications service's edge."""

from __future__ import annotations

import os
from typing import Any

from nameko.rpc import rpc

from services.notifications import policies
from services.notifications.application import NotificationsApplication
from services.notifications.sms import KavenegarClient
from services.notifications.translations import translate
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.nameko_edge import EventSourcedApp, answers, health_of
from shared.kernel.sealing import development_keypair


def build_application(settings: Settings) -> NotificationsApplication:
    private_key, _ = development_keypair(settings.var_dir / "keys")
    sms = KavenegarClient(base_url=os.environ.get("SMS_PROVIDER_URL", "http://127.0.0.1:8025"),
                          api_key=os.environ.get("SMS_API_KEY", "development"),
                          sender=os.environ.get("SMS_SENDER", "10004346"))
    return NotificationsApplication(settings, sealing_private_key=private_key, sms=sms)


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

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, inbound)


SERVICE = NotificationsService
