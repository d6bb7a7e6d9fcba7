"""What was sent to a number (support; open in development): notifications' routes."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Request

from services.gateway.http_edge import HttpError, call, endpoint
from services.gateway.routes.base import SETTINGS, GatewayBase, Route

ROUTES: list[Route] = [
    ("GET", "/notifications/messages", "Messages sent to a number (support; open in development)",
     None, 200, ("invalid_request", "invalid_mobile", "unauthorized", "forbidden", "service_unavailable")),
]


class NotificationsRoutes(GatewayBase):
    notifications = RpcProxy("notifications")

    @http("GET", "/notifications/messages")
    @endpoint
    def messages(self, request: Request) -> tuple[int, Any]:
        # The development SMS outbox is open outside production; in production, support only.
        if SETTINGS.production:
            self.claims(request, role="support")
        mobile = request.args.get("to")
        if not mobile:
            raise HttpError("invalid_request", fields=[{"field": "to", "problem": "missing"}])
        return 200, {"messages": call(self.notifications, "messages_to", mobile)}
