"""The notifications service's edge: RPC for the gateway, the inbox, the delivery-report
timer, the relay. The composition root: settings are read here and nowhere below."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer

from services.notifications import policies
from services.notifications.application import NotificationsApplication
from services.notifications.settings import NotificationsSettings
from services.notifications.sms import KavenegarClient
from services.notifications.translations import translate
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.nameko_edge import EventSourcedApp, answers, health_of
from shared.kernel.sealing import sealing_keypair

# The timer's interval is fixed when the class is defined: read at import, the edge.
STATUS_CHECK_SECONDS = NotificationsSettings.from_env().status_check_seconds


def build_application(settings: Settings) -> NotificationsApplication:
    own = NotificationsSettings.from_env()
    private_key, _ = sealing_keypair(settings)
    sms = KavenegarClient(base_url=own.sms_provider_url, api_key=own.sms_api_key, sender=own.sms_sender)
    return NotificationsApplication(settings, sealing_private_key=private_key, sms=sms,
                                    code_templates=own.code_templates, support=own.support,
                                    give_up_after=own.delivery_report_wait, portal_url=own.portal_url)


class NotificationsService:
    name = "notifications"

    app: NotificationsApplication = EventSourcedApp(
        build_application, translate,
        figures=lambda app: {"notifications_sms_undelivered": app.deliveries.undelivered()})

    @rpc
    @answers
    def messages_to(self, mobile: Any) -> list[dict[str, Any]]:
        return self.app.messages_to(mobile)

    @rpc
    def health(self) -> dict[str, Any]:
        return health_of(self.name, self.app)

    @timer(interval=STATUS_CHECK_SECONDS)
    def follow_deliveries(self) -> None:
        self.app.deliveries.follow()

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, self.app, inbound)


SERVICE = NotificationsService
