"""What a purchase delivered to a business (PR-1 … PR-5): provisioning's route."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request

from services.gateway.http_edge import call
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import route


class ProvisioningRoutes(GatewayBase):
    provisioning = RpcProxy("provisioning")

    @route("GET", "/provisioning/tenants/<tenant_id>", "A business's modules, chart of accounts (type, version, "
           "accounts), admin and seats, support until, training offer and last backup, with Jalali dates (its admin "
           "or support)", errors=("unauthorized", "forbidden", "tenant_not_found", "service_unavailable"))
    def provisioned_tenant(self, request: Request, tenant_id: str) -> Any:
        claims = self.claims(request)
        locale = "en" if request.args.get("locale") == "en" else "fa"
        return call(self.provisioning, "tenant", tenant_id, claims["sub"], claims.get("roles", []), locale)
