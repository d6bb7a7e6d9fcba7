"""What a purchase delivered to a business (PR-1 … PR-5): provisioning's route."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request

from services.gateway.http_edge import call
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Body, route
from shared.http.provisioning import PayslipPreviewRequest


class ProvisioningRoutes(GatewayBase):
    provisioning = RpcProxy("provisioning")

    @route("GET", "/provisioning/tenants/<tenant_id>", "A business's modules, chart of accounts (type, version, "
           "accounts), admin and seats, support until, training offer and last backup, with Jalali dates (its admin "
           "or support)", errors=("unauthorized", "forbidden", "tenant_not_found", "service_unavailable"))
    def provisioned_tenant(self, request: Request, tenant_id: str) -> Any:
        claims = self.claims(request)
        locale = "en" if request.args.get("locale") == "en" else "fa"
        return call(self.provisioning, "tenant", tenant_id, claims["sub"], claims.get("roles", []), locale)

    @route("POST", "/provisioning/tenants/<tenant_id>/payroll/payslip-preview",
           "PR-6: a payslip for one employee record and Jalali month, computed with the formulas and yearly "
           "tables in the business's own books (nothing is saved); a provisional year says so (its admin or support)",
           body=PayslipPreviewRequest,
           errors=("invalid_json", "invalid_request", "unauthorized", "forbidden", "tenant_not_found",
                   "payroll_not_active", "invalid_payroll_month", "invalid_payroll_input",
                   "night_hours_for_shift_worker", "service_unavailable"))
    def payslip_preview(self, request: Request, tenant_id: str, body: Body[PayslipPreviewRequest]) -> Any:
        claims = self.claims(request)
        read = body()
        record = read.model_dump(exclude={"year", "month"}, exclude_none=True)
        locale = "en" if request.args.get("locale") == "en" else "fa"
        return call(self.provisioning, "payslip_preview", tenant_id, claims["sub"], claims.get("roles", []), record,
                    read.year, read.month, locale)
