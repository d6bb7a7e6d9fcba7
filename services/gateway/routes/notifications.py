"""What was sent to a number (support; open in development): notifications' routes."""

from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request

from services.gateway.http_edge import HttpError, call
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import route


class NotificationsRoutes(GatewayBase):
    notifications = RpcProxy("notifications")

    @route("GET", "/notifications/messages", "Messages sent to a number (support; open in development)",
           errors=("invalid_request", "invalid_mobile", "unauthorized", "forbidden", "service_unavailable"))
    def messages(self, request: Request) -> Any:
        # The development SMS outbox is open outside production; in production, support only.
        if self.settings.production:
            self.claims(request, role="support")
        mobile = request.args.get("to")
        if not mobile:
            raise HttpError("invalid_request", fields=[{"field": "to", "problem": "missing"}])
        return {"messages": call(self.notifications, "messages_to", mobile)}
