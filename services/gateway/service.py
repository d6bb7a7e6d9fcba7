"""The gateway: the one HTTP origin. Each route validates its body, makes one RPC to the
owning service and maps the answer; it holds no domain rules and no state.

Routes live by owning service in services/gateway/routes/; this class only composes them."""

from __future__ import annotations

from services.gateway.routes.archival import ArchivalRoutes
from services.gateway.routes.billing import BillingRoutes
from services.gateway.routes.identity import IdentityRoutes
from services.gateway.routes.notifications import NotificationsRoutes
from services.gateway.routes.ops import OpsRoutes
from services.gateway.routes.portal import PortalRoutes
from services.gateway.routes.provisioning import ProvisioningRoutes
from services.gateway.routes.tenancy import TenancyRoutes


class GatewayService(IdentityRoutes, BillingRoutes, ProvisioningRoutes, TenancyRoutes, ArchivalRoutes,
                     NotificationsRoutes, OpsRoutes, PortalRoutes):
    name = "gateway"


SERVICE = GatewayService
