"""The identity service's edge: RPC for the gateway, the inbox, the relay."""

from __future__ import annotations

from typing import Any

import eventlet.tpool
from nameko.rpc import rpc

from services.identity import policies
from services.identity.application import IdentityApplication
from services.identity.settings import IdentitySettings
from services.identity.translations import translate
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound, inbox
from shared.kernel.logging import get_logger
from shared.kernel.nameko_edge import EventSourcedApp, RequestCause, answers, health_of
from shared.kernel.sealing import sealing_keypair
from shared.kernel.store import Cause
from shared.kernel.tokens import signing_keys


def build_application(settings: Settings) -> IdentityApplication:
    """The composition root: the only place identity's settings and keys are read."""
    identity = IdentitySettings.from_env()
    _, public_key = sealing_keypair(settings)
    signing_key, _ = signing_keys(settings)
    # argon2 in eventlet's OS-thread pool: the C call releases the GIL, so hashing runs on the
    # other core while this process's hub serves other requests.
    return IdentityApplication(settings, sealing_public_key=public_key, signing_key=signing_key,
                               codes_per_address_hour=identity.codes_per_client_address_per_hour,
                               hashing=eventlet.tpool.execute, support_mobiles=identity.support_mobiles)


class IdentityService:
    name = "identity"

    app: IdentityApplication = EventSourcedApp(build_application, translate)
    cause: Cause = RequestCause()

    @rpc
    @answers
    def register(self, mobile: Any, password: Any, locale: str = "fa", client_address: str | None = None
                 ) -> dict[str, str]:
        registration = self.app.register(mobile, password, self.cause, locale=locale, client_address=client_address)
        get_logger().info("identity.registered", user_id=str(registration.user_id),
                          correlation_id=self.cause.correlation_id)
        return {"user_id": str(registration.user_id), "registration_id": registration.registration_id,
                "status": "pending_verification"}

    @rpc
    @answers
    def verify(self, mobile: Any, code: Any, registration_id: str | None = None) -> dict[str, str]:
        user_id = self.app.verify(mobile, code, self.cause, registration_id=registration_id)
        return {"user_id": str(user_id), "status": "verified"}

    @rpc
    @answers
    def send_code(self, mobile: Any, purpose: Any, client_address: str | None = None) -> dict[str, str]:
        self.app.send_code(mobile, purpose, client_address, self.cause)
        return {"status": "sent"}

    @rpc
    @answers
    def reset_password(self, mobile: Any, code: Any, new_password: Any) -> dict[str, str]:
        user_id = self.app.reset_password(mobile, code, new_password, self.cause)
        return {"user_id": str(user_id), "status": "password_changed"}

    @rpc
    @answers
    def login(self, mobile: Any, password: Any, client_address: str | None = None) -> dict[str, Any]:
        return self.app.sessions.login(mobile, password, client_address, self.cause)

    @rpc
    @answers
    def refresh(self, refresh_token: Any) -> dict[str, Any]:
        return self.app.sessions.refresh(refresh_token, self.cause)

    @rpc
    @answers
    def logout(self, refresh_token: Any) -> dict[str, str]:
        self.app.sessions.logout(refresh_token, self.cause)
        return {"status": "logged_out"}

    @rpc
    def health(self) -> dict[str, Any]:
        return health_of(self.name, self.app)

    @rpc
    @answers
    def personal_page(self, user_id: Any) -> dict[str, Any]:
        return self.app.businesses.personal_page(user_id)

    # -- the support desk (issue #19): support_desk.py ------------------------------------------
    @rpc
    @answers
    def open_ticket(self, customer_id: Any, body: Any, key: str | None = None) -> dict[str, Any]:
        return self.app.desk.open(customer_id, body, key, self.cause)

    @rpc
    @answers
    def my_tickets(self, customer_id: Any) -> list[dict[str, Any]]:
        return self.app.desk.mine(customer_id)

    @rpc
    @answers
    def ticket(self, user_id: Any, ticket_id: Any, support: bool = False) -> dict[str, Any]:
        return self.app.desk.ticket(user_id, ticket_id, bool(support))

    @rpc
    @answers
    def reply_to_ticket(self, customer_id: Any, ticket_id: Any, body: Any) -> dict[str, Any]:
        return self.app.desk.reply(customer_id, ticket_id, body, self.cause)

    @rpc
    @answers
    def close_ticket(self, user_id: Any, ticket_id: Any, support: bool = False) -> dict[str, Any]:
        return self.app.desk.close(user_id, ticket_id, bool(support), self.cause)

    @rpc
    @answers
    def ticket_queue(self, category: str | None = None) -> list[dict[str, Any]]:
        return self.app.desk.queue(category)

    @rpc
    @answers
    def ticket_case(self, ticket_id: Any) -> dict[str, Any]:
        return self.app.desk.case(ticket_id)

    @rpc
    @answers
    def answer_ticket(self, agent_id: Any, ticket_id: Any, body: Any) -> dict[str, Any]:
        return self.app.desk.answer(agent_id, ticket_id, body, self.cause)

    @rpc
    @answers
    def resend_code_for_ticket(self, agent_id: Any, ticket_id: Any, purpose: Any) -> dict[str, Any]:
        return self.app.desk.resend_code(agent_id, ticket_id, purpose, self.cause)

    @inbox
    def handle(self, inbound: Inbound) -> None:
        policies.handle(self.app, self.app.businesses, self.app.desk, inbound)


SERVICE = IdentityService
