"""Businesses, members, organizations, limits and concurrent-use seats (PR-3, TE-1 … TE-3):
tenancy's routes. Who may do what is tenancy's rule; the gateway passes the caller on."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Request

from services.gateway.http_edge import call, endpoint, parse_body
from services.gateway.routes.base import GatewayBase, Route
from shared.http.tenancy import LimitsRequest, MemberRequest, OrganizationRequest, PermissionsRequest

_AUTH = ("unauthorized", "forbidden", "service_unavailable")
_CHANGE = ("business_not_found", "subscription_lapsed", "business_purged", "busy_try_again", *_AUTH)
_BODY = ("invalid_json", "invalid_request")

ROUTES: list[Route] = [
    ("GET", "/tenancy/businesses/<tenant_id>", "A business as its members (or support) see it: products, "
     "subscription (ISO and Jalali), state, organizations, members with permissions, limits, seats used",
     None, 200, ("business_not_found", *_AUTH)),
    ("POST", "/tenancy/businesses/<tenant_id>/organizations", "Add a branch, office or warehouse (admin; TE-1, TE-2)",
     OrganizationRequest, 201, (*_BODY, "organization_limit_reached", "organization_name_taken",
                                "invalid_organization_name", "invalid_organization_kind", *_CHANGE)),
    ("POST", "/tenancy/businesses/<tenant_id>/members", "Add a registered user by mobile with permissions "
     "(admin; PR-3, TE-3)", MemberRequest, 201,
     (*_BODY, "invalid_mobile", "user_not_registered", "already_a_member", "seat_limit_reached",
      "unknown_permission", "permission_not_purchased", *_CHANGE)),
    ("PUT", "/tenancy/businesses/<tenant_id>/members/<user_id>", "Set a member's permissions (admin; TE-3)",
     PermissionsRequest, 200, (*_BODY, "member_not_found", "cannot_change_admin", "unknown_permission",
                               "permission_not_purchased", *_CHANGE)),
    ("DELETE", "/tenancy/businesses/<tenant_id>/members/<user_id>", "Remove a member (admin; TE-3)",
     None, 200, ("member_not_found", "cannot_change_admin", *_CHANGE)),
    ("POST", "/tenancy/businesses/<tenant_id>/limits", "Raise the organization, concurrent-user or seat limit "
     "of one business (support; TE-2, PR-3)", LimitsRequest, 200,
     (*_BODY, "invalid_limits", "limits_not_raised", "business_not_found", "business_purged", *_AUTH)),
    ("POST", "/tenancy/organizations/<organization_id>/sessions", "Take a concurrent-use seat: a lease renewed "
     "by heartbeat (members; TE-2)", None, 201, ("organization_not_found", "concurrent_user_limit", *_CHANGE)),
    ("PUT", "/tenancy/organizations/<organization_id>/sessions/<session_id>", "Heartbeat: renew the seat's lease",
     None, 200, ("organization_not_found", "session_not_found", "session_expired", *_AUTH)),
    ("DELETE", "/tenancy/organizations/<organization_id>/sessions/<session_id>", "Release the seat",
     None, 200, ("organization_not_found", "session_not_found", *_AUTH)),
]


class TenancyRoutes(GatewayBase):
    tenancy = RpcProxy("tenancy")

    def _caller(self, request: Request) -> tuple[str, list[str]]:
        claims = self.claims(request)
        return str(claims["sub"]), list(claims.get("roles", []))

    @http("GET", "/tenancy/businesses/<tenant_id>")
    @endpoint
    def business(self, request: Request, tenant_id: str) -> tuple[int, Any]:
        actor, roles = self._caller(request)
        locale = "en" if request.args.get("locale") == "en" else "fa"
        return 200, call(self.tenancy, "business", tenant_id, actor, roles, locale)

    @http("POST", "/tenancy/businesses/<tenant_id>/organizations")
    @endpoint
    def add_organization(self, request: Request, tenant_id: str) -> tuple[int, Any]:
        actor, _ = self._caller(request)
        body = parse_body(request, OrganizationRequest)
        return 201, call(self.tenancy, "add_organization", tenant_id, actor, body.name, body.kind)

    @http("POST", "/tenancy/businesses/<tenant_id>/members")
    @endpoint
    def add_member(self, request: Request, tenant_id: str) -> tuple[int, Any]:
        actor, _ = self._caller(request)
        body = parse_body(request, MemberRequest)
        return 201, call(self.tenancy, "add_member", tenant_id, actor, body.mobile, list(body.permissions))

    @http("PUT", "/tenancy/businesses/<tenant_id>/members/<user_id>")
    @endpoint
    def set_permissions(self, request: Request, tenant_id: str, user_id: str) -> tuple[int, Any]:
        actor, _ = self._caller(request)
        body = parse_body(request, PermissionsRequest)
        return 200, call(self.tenancy, "set_permissions", tenant_id, actor, user_id, list(body.permissions))

    @http("DELETE", "/tenancy/businesses/<tenant_id>/members/<user_id>")
    @endpoint
    def remove_member(self, request: Request, tenant_id: str, user_id: str) -> tuple[int, Any]:
        actor, _ = self._caller(request)
        return 200, call(self.tenancy, "remove_member", tenant_id, actor, user_id)

    @http("POST", "/tenancy/businesses/<tenant_id>/limits")
    @endpoint
    def raise_limits(self, request: Request, tenant_id: str) -> tuple[int, Any]:
        agent = self.claims(request, role="support")["sub"]
        body = parse_body(request, LimitsRequest)
        return 200, call(self.tenancy, "raise_limits", tenant_id, agent, max_organizations=body.max_organizations,
                         max_concurrent_users=body.max_concurrent_users, max_members=body.max_members)

    @http("POST", "/tenancy/organizations/<organization_id>/sessions")
    @endpoint
    def take_seat(self, request: Request, organization_id: str) -> tuple[int, Any]:
        actor, _ = self._caller(request)
        return 201, call(self.tenancy, "take_seat", organization_id, actor)

    @http("PUT", "/tenancy/organizations/<organization_id>/sessions/<session_id>")
    @endpoint
    def renew_seat(self, request: Request, organization_id: str, session_id: str) -> tuple[int, Any]:
        actor, _ = self._caller(request)
        return 200, call(self.tenancy, "renew_seat", organization_id, session_id, actor)

    @http("DELETE", "/tenancy/organizations/<organization_id>/sessions/<session_id>")
    @endpoint
    def release_seat(self, request: Request, organization_id: str, session_id: str) -> tuple[int, Any]:
        actor, _ = self._caller(request)
        return 200, call(self.tenancy, "release_seat", organization_id, session_id, actor)
