"""The tenancy service's edge: RPC for the gateway, the inbox, the lapse timer, the relay."""

from __future__ import annotations

import uuid
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer

from services.tenancy import policies
from services.tenancy.application import TenancyApplication
from services.tenancy.settings import TenancySettings
from services.tenancy.translations import translate
from shared.kernel.config import Settings
from shared.kernel.ids import parse_id
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.nameko_edge import EventSourcedApp, RequestCause, answers, health_of
from shared.kernel.store import Cause
from shared.kernel.timeline import timeline_of


def build_application(settings: Settings) -> TenancyApplication:
    tenancy = TenancySettings.from_env()
    return TenancyApplication(settings, seat_lease=tenancy.seat_lease,
                              invitation_lifetime=tenancy.invitation_lifetime)


def _actor(user_id: Any) -> uuid.UUID:
    return parse_id(user_id, "unauthorized")


class TenancyService:
    name = "tenancy"

    app: TenancyApplication = EventSourcedApp(build_application, translate)
    cause: Cause = RequestCause()

    @rpc
    @answers
    def business(self, tenant_id: Any, actor: Any, roles: list[str], locale: str = "fa") -> dict[str, Any]:
        return self.app.business_page(tenant_id, _actor(actor), list(roles or []), locale)

    @rpc
    @answers
    def add_organization(self, tenant_id: Any, actor: Any, name: Any, kind: Any) -> dict[str, Any]:
        return self.app.add_organization(tenant_id, _actor(actor), name, kind, self.cause)

    @rpc
    @answers
    def add_member(self, tenant_id: Any, actor: Any, mobile: Any, permissions: Any) -> dict[str, Any]:
        return self.app.add_member(tenant_id, _actor(actor), mobile, permissions, self.cause)

    @rpc
    @answers
    def set_permissions(self, tenant_id: Any, actor: Any, user_id: Any, permissions: Any) -> dict[str, Any]:
        return self.app.set_permissions(tenant_id, _actor(actor), user_id, permissions, self.cause)

    @rpc
    @answers
    def remove_member(self, tenant_id: Any, actor: Any, user_id: Any) -> dict[str, str]:
        self.app.remove_member(tenant_id, _actor(actor), user_id, self.cause)
        return {"status": "removed"}

    @rpc
    @answers
    def invite(self, tenant_id: Any, actor: Any, mobile: Any, permissions: Any) -> dict[str, Any]:
        return self.app.invitations.invite(tenant_id, _actor(actor), mobile, permissions, self.cause)

    @rpc
    @answers
    def revoke_invitation(self, tenant_id: Any, actor: Any, invitation_id: Any) -> dict[str, str]:
        self.app.invitations.revoke(tenant_id, _actor(actor), invitation_id, self.cause)
        return {"status": "revoked"}

    @rpc
    @answers
    def invitation(self, tenant_id: Any, invitation_id: Any, actor: Any, locale: str = "fa") -> dict[str, Any]:
        return self.app.invitations.for_invitee(tenant_id, invitation_id, _actor(actor), locale)

    @rpc
    @answers
    def accept_invitation(self, tenant_id: Any, invitation_id: Any, actor: Any) -> dict[str, Any]:
        return self.app.invitations.accept(tenant_id, invitation_id, _actor(actor), self.cause)

    @rpc
    @answers
    def raise_limits(self, tenant_id: Any, agent: Any, max_organizations: int | None = None,
                     max_concurrent_users: int | None = None, max_members: int | None = None) -> dict[str, int]:
        return self.app.raise_limits_by_support(tenant_id, _actor(agent), organizations=max_organizations,
                                                concurrent_users=max_concurrent_users, members=max_members,
                                                cause=self.cause)

    @rpc
    @answers
    def take_seat(self, organization_id: Any, actor: Any) -> dict[str, Any]:
        return self.app.seats.take_seat(organization_id, _actor(actor), self.cause)

    @rpc
    @answers
    def renew_seat(self, organization_id: Any, session_id: Any, actor: Any) -> dict[str, Any]:
        return self.app.seats.renew_seat(organization_id, session_id, _actor(actor), self.cause)

    @rpc
    @answers
    def release_seat(self, organization_id: Any, session_id: Any, actor: Any) -> dict[str, str]:
        self.app.seats.release_seat(organization_id, session_id, _actor(actor), self.cause)
        return {"status": "released"}

    @rpc
    def health(self) -> dict[str, Any]:
        return health_of(self.name, self.app)

    @rpc
    def business_timeline(self, tenant_ids: Any) -> list[dict[str, Any]]:
        """This service's events about these businesses, for the support desk's case view (issue #19)."""
        return timeline_of(self.app, translate, self.name, tenant_ids)

    @timer(interval=TenancySettings.from_env().lapse_check_seconds)  # read once, when nameko loads the service
    def lapse_due(self) -> None:
        self.app.subscription.lapse_due()

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, self.app.directory, self.app.subscription, inbound)


SERVICE = TenancyService
