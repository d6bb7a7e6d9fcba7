"""The gateway: the one HTTP origin. Each route validates its body, makes one RPC to the
owning service and maps the answer; it holds no domain rules and no state.

Routes live by owning service in services/gateway/routes/; this module is the composition
root: it reads the settings (once, at import: nameko needs the streams' names to declare the
service), binds what every route uses, and feeds the gateway's memory from two streams."""

from __future__ import annotations

from typing import Any

from nameko.messaging import consume

from services.gateway.broker_alarm import BrokerAlarmWatcher
from services.gateway.http_edge import Authenticator, Correlation, RequestTrace
from services.gateway.missed_callbacks import MissedCallbacksProvider
from services.gateway.routes.archival import ArchivalRoutes
from services.gateway.routes.billing import BillingRoutes
from services.gateway.routes.identity import IdentityRoutes
from services.gateway.routes.notifications import NotificationsRoutes
from services.gateway.routes.ops import OpsRoutes
from services.gateway.routes.portal import PortalRoutes
from services.gateway.routes.provisioning import ProvisioningRoutes
from services.gateway.routes.support import SupportRoutes
from services.gateway.routes.tenancy import TenancyRoutes
from services.gateway.routing import routes_of
from services.gateway.settings import GatewaySettings
from shared.kernel.tokens import signing_keys
from shared.kernel.topology import gateway_streams

SETTINGS = GatewaySettings.from_env()
SESSIONS_STREAM, CLOCK_STREAM = gateway_streams(SETTINGS.platform)


def _public_key() -> str:
    return signing_keys(SETTINGS.platform)[1]


class GatewayService(IdentityRoutes, BillingRoutes, ProvisioningRoutes, TenancyRoutes, ArchivalRoutes,
                     NotificationsRoutes, SupportRoutes, OpsRoutes, PortalRoutes):
    name = "gateway"
    settings = SETTINGS
    correlation_id = Correlation()
    trace = RequestTrace()  # the request's span; its context travels on every RPC
    claims = Authenticator(_public_key)
    missed_callbacks = MissedCallbacksProvider()
    broker_alarm = BrokerAlarmWatcher(SETTINGS.platform)  # 503 at once while RabbitMQ blocks publishers

    # The gateway's memory (services/gateway/memory.py), fed from two streams; a message it
    # cannot read is logged and acked inside learn, never redelivered in a loop.
    @consume(SESSIONS_STREAM)
    def learn_ended_sessions(self, body: Any) -> None:
        self.claims.memory.learn(body)

    @consume(CLOCK_STREAM)
    def learn_clock(self, body: Any) -> None:
        self.claims.memory.learn(body)


SERVICE = GatewayService
ROUTES = routes_of(GatewayService)  # every route served, in the order the routes modules declare them
