"""What every group of gateway routes may use. Each routes module is a mixin over this base;
services/gateway/service.py composes them and binds each of these (settings.py, http_edge.py,
missed_callbacks.py), so no routes module reads the environment or builds a provider."""

from __future__ import annotations

from typing import Any

from services.gateway.http_edge import Claims
from services.gateway.missed_callbacks import MissedCallbacks
from services.gateway.routing import routes_of
from services.gateway.settings import GatewaySettings


class GatewayBase:
    settings: GatewaySettings
    correlation_id: str
    claims: Claims  # the caller's verified token (Authenticator)
    missed_callbacks: MissedCallbacks  # bank callbacks billing could not take yet

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        routes_of(cls)  # a route without a declaration, or one declared twice, cannot be defined
