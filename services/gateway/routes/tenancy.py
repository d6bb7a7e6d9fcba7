"""Businesses, members, organizations, limits and concurrent-use seats (PR-3, TE-1 … TE-3):
tenancy's routes. Who may do what is tenancy's rule; the gateway passes the caller on."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request

from services.gateway.http_edge import call
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Body, route
from shared.events.tenancy import PERMISSION_LABELS, PERMISSION_VOCABULARY
from shared.http.tenancy import (
    InvitationRequest,
    LimitsRequest,
    MemberRequest,
    OrganizationRequest,
    PermissionsRequest,
)

_AUTH = ("unauthorized", "forbidden", "service_unavailable")
_CHANGE = ("business_not_found", "subscription_lapsed", "business_purged", "busy_try_again", *_AUTH)
_BODY = ("invalid_json", "invalid_request")
_INVITATION = ("invitation_not_found", "invitation_not_for_you", "invitation_expired", "invitation_revoked",
               "invitation_replaced", "invitation_already_accepted")


class TenancyRoutes(GatewayBase):
    tenancy = RpcProxy("tenancy")

    def _caller(self, request: Request) -> tuple[str, list[str]]:
        claims = self.claims(request)
        return str(claims["sub"]), list(claims.get("roles", []))

    @route("GET", "/tenancy/businesses/<tenant_id>", "A business as its members (or support) see it: products, "
           "subscription (ISO and Jalali), state, organizations, members with permissions, limits, seats used",
           errors=("business_not_found", *_AUTH))
    def business(self, request: Request, tenant_id: str) -> Any:
        actor, roles = self._caller(request)
        locale = "en" if request.args.get("locale") == "en" else "fa"
        return call(self.tenancy, "business", tenant_id, actor, roles, locale)

    @route("POST", "/tenancy/businesses/<tenant_id>/organizations",
           "Add a branch, office or warehouse (admin; TE-1, TE-2)", body=OrganizationRequest, answers=201,
           errors=(*_BODY, "organization_limit_reached", "organization_name_taken", "invalid_organization_name",
                   "invalid_organization_kind", *_CHANGE))
    def add_organization(self, request: Request, tenant_id: str, body: Body[OrganizationRequest]) -> Any:
        actor, _ = self._caller(request)
        given = body()
        return call(self.tenancy, "add_organization", tenant_id, actor, given.name, given.kind)

    @route("POST", "/tenancy/businesses/<tenant_id>/members",
           "Add a registered user by mobile with permissions (admin; PR-3, TE-3)", body=MemberRequest, answers=201,
           errors=(*_BODY, "invalid_mobile", "user_not_registered", "already_a_member", "seat_limit_reached",
                   "unknown_permission", "permission_not_purchased", *_CHANGE))
    def add_member(self, request: Request, tenant_id: str, body: Body[MemberRequest]) -> Any:
        actor, _ = self._caller(request)
        given = body()
        return call(self.tenancy, "add_member", tenant_id, actor, given.mobile, list(given.permissions))

    @route("PUT", "/tenancy/businesses/<tenant_id>/members/<user_id>", "Set a member's permissions (admin; TE-3)",
           body=PermissionsRequest,
           errors=(*_BODY, "member_not_found", "cannot_change_admin", "unknown_permission",
                   "permission_not_purchased", *_CHANGE))
    def set_permissions(self, request: Request, tenant_id: str, user_id: str, body: Body[PermissionsRequest]) -> Any:
        actor, _ = self._caller(request)
        return call(self.tenancy, "set_permissions", tenant_id, actor, user_id, list(body().permissions))

    @route("DELETE", "/tenancy/businesses/<tenant_id>/members/<user_id>", "Remove a member (admin; TE-3)",
           errors=("member_not_found", "cannot_change_admin", *_CHANGE))
    def remove_member(self, request: Request, tenant_id: str, user_id: str) -> Any:
        actor, _ = self._caller(request)
        return call(self.tenancy, "remove_member", tenant_id, actor, user_id)

    @route("GET", "/tenancy/permissions", "Every permission an admin can grant, in Persian and English words: "
           "the one table the portal and the notices use (TE-3)")
    def permissions(self, request: Request) -> Any:
        return {"permissions": [{"code": code, "module": module, "fa": PERMISSION_LABELS[code][0],
                                 "en": PERMISSION_LABELS[code][1]}
                                for module, codes in PERMISSION_VOCABULARY.items() for code in codes]}

    @route("POST", "/tenancy/businesses/<tenant_id>/invitations",
           "Invite a mobile number with permissions (admin): an SMS with a link; a seat is taken on acceptance "
           "(issue #19)", body=InvitationRequest, answers=201,
           errors=(*_BODY, "invalid_mobile", "already_a_member", "too_many_invitations", "unknown_permission",
                   "permission_not_purchased", *_CHANGE))
    def invite(self, request: Request, tenant_id: str, body: Body[InvitationRequest]) -> Any:
        actor, _ = self._caller(request)
        given = body()
        return call(self.tenancy, "invite", tenant_id, actor, given.mobile, list(given.permissions))

    @route("DELETE", "/tenancy/businesses/<tenant_id>/invitations/<invitation_id>",
           "Revoke a pending invitation (admin)", errors=("invitation_not_found", "invitation_not_pending", *_CHANGE))
    def revoke_invitation(self, request: Request, tenant_id: str, invitation_id: str) -> Any:
        actor, _ = self._caller(request)
        return call(self.tenancy, "revoke_invitation", tenant_id, actor, invitation_id)

    @route("GET", "/tenancy/businesses/<tenant_id>/invitations/<invitation_id>",
           "An invitation as its invitee sees it: the business and the permissions offered (the invited number only)",
           errors=(*_INVITATION, "business_not_found", *_AUTH))
    def invitation(self, request: Request, tenant_id: str, invitation_id: str) -> Any:
        actor, _ = self._caller(request)
        locale = "en" if request.args.get("locale") == "en" else "fa"
        return call(self.tenancy, "invitation", tenant_id, invitation_id, actor, locale)

    @route("POST", "/tenancy/businesses/<tenant_id>/invitations/<invitation_id>/acceptance",
           "Accept an invitation: the caller's verified mobile must be the invited one; joins the business with "
           "the permissions chosen, if a seat is free", answers=201,
           errors=(*_INVITATION, "already_a_member", "seat_limit_reached", *_CHANGE))
    def accept_invitation(self, request: Request, tenant_id: str, invitation_id: str) -> Any:
        actor, _ = self._caller(request)
        return call(self.tenancy, "accept_invitation", tenant_id, invitation_id, actor)

    @route("POST", "/tenancy/businesses/<tenant_id>/limits", "Raise the organization, concurrent-user or seat "
           "limit of one business (support; TE-2, PR-3)", body=LimitsRequest,
           errors=(*_BODY, "invalid_limits", "limits_not_raised", "business_not_found", "business_purged", *_AUTH))
    def raise_limits(self, request: Request, tenant_id: str, body: Body[LimitsRequest]) -> Any:
        agent = self.claims(request, role="support")["sub"]
        given = body()
        return call(self.tenancy, "raise_limits", tenant_id, agent, max_organizations=given.max_organizations,
                    max_concurrent_users=given.max_concurrent_users, max_members=given.max_members)

    @route("POST", "/tenancy/organizations/<organization_id>/sessions", "Take a concurrent-use seat: a lease "
           "renewed by heartbeat (members; TE-2)", answers=201,
           errors=("organization_not_found", "concurrent_user_limit", *_CHANGE))
    def take_seat(self, request: Request, organization_id: str) -> Any:
        actor, _ = self._caller(request)
        return call(self.tenancy, "take_seat", organization_id, actor)

    @route("PUT", "/tenancy/organizations/<organization_id>/sessions/<session_id>",
           "Heartbeat: renew the seat's lease",
           errors=("organization_not_found", "session_not_found", "session_expired", *_AUTH))
    def renew_seat(self, request: Request, organization_id: str, session_id: str) -> Any:
        actor, _ = self._caller(request)
        return call(self.tenancy, "renew_seat", organization_id, session_id, actor)

    @route("DELETE", "/tenancy/organizations/<organization_id>/sessions/<session_id>", "Release the seat",
           errors=("organization_not_found", "session_not_found", *_AUTH))
    def release_seat(self, request: Request, organization_id: str, session_id: str) -> Any:
        actor, _ = self._caller(request)
        return call(self.tenancy, "release_seat", organization_id, session_id, actor)
