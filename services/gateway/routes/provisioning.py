"""What a purchase delivered to a business (PR-1 … PR-7): provisioning's routes."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request

from services.gateway.http_edge import call
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Body, route
from shared.http.provisioning import DepreciationScheduleRequest, PayslipPreviewRequest


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
                   "night_hours_for_shift_worker", "payroll_formulas_outdated", "service_unavailable"))
    def payslip_preview(self, request: Request, tenant_id: str, body: Body[PayslipPreviewRequest]) -> Any:
        claims = self.claims(request)
        read = body()
        record = read.model_dump(exclude={"year", "month"}, exclude_none=True)
        locale = "en" if request.args.get("locale") == "en" else "fa"
        return call(self.provisioning, "payslip_preview", tenant_id, claims["sub"], claims.get("roles", []), record,
                    read.year, read.month, locale)

    @route("POST", "/provisioning/tenants/<tenant_id>/payroll/upgrade",
           "Books seeded before payroll 1405.2: replace their payroll formulas with the current version's, the old "
           "ones kept in the books' history and the upgrade recorded; again once current changes nothing (its admin "
           "or support)", errors=("unauthorized", "forbidden", "tenant_not_found", "payroll_not_active",
                                  "service_unavailable"))
    def upgrade_payroll(self, request: Request, tenant_id: str) -> Any:
        claims = self.claims(request)
        return call(self.provisioning, "upgrade_payroll", tenant_id, claims["sub"], claims.get("roles", []))

    @route("POST", "/provisioning/tenants/<tenant_id>/assets/depreciation-schedule",
           "PR-7: an asset's depreciation schedule by month and Jalali year, by the Article 149 table (1395) and "
           "its category's method, rate and accounts, or the business's own method; provisional figures say so "
           "(nothing is saved; its admin or support)",
           body=DepreciationScheduleRequest,
           errors=("invalid_json", "invalid_request", "unauthorized", "forbidden", "tenant_not_found",
                   "fixed_assets_not_active", "unknown_asset_category", "invalid_jalali_date", "invalid_number",
                   "asset_cost_must_be_positive", "salvage_must_be_below_cost", "idle_period_ends_before_it_starts",
                   "idle_periods_overlap", "declining_balance_needs_a_rate", "straight_line_needs_years",
                   "service_unavailable"))
    def depreciation_schedule(self, request: Request, tenant_id: str,
                              body: Body[DepreciationScheduleRequest]) -> Any:
        claims = self.claims(request)
        asset = body().model_dump(exclude_none=True)
        locale = "en" if request.args.get("locale") == "en" else "fa"
        return call(self.provisioning, "depreciation_schedule", tenant_id, claims["sub"], claims.get("roles", []),
                    asset, locale)
