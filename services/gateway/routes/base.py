"""What every group of gateway routes shares: the correlation id and the caller's claims.
Each routes module is a mixin over this base; services/gateway/service.py composes them."""

from __future__ import annotations

from typing import Any

from nameko.messaging import consume
from pydantic import BaseModel

from services.gateway.http_edge import Authenticator, Correlation
from services.gateway.missed_callbacks import MissedCallbacksProvider
from shared.kernel.config import Settings
from shared.kernel.tokens import development_signing_keys
from shared.kernel.topology import gateway_streams

SETTINGS = Settings(service="gateway")
SESSIONS_STREAM, CLOCK_STREAM = gateway_streams(SETTINGS)

# (method, path, summary, request model, success status, error codes): the OpenAPI table
Route = tuple[str, str, str, type[BaseModel] | None, int, tuple[str, ...]]


def _public_key() -> str:
    return development_signing_keys(SETTINGS.var_dir / "keys")[1]


class GatewayBase:
    correlation_id: str = Correlation()
    claims = Authenticator(_public_key)
    missed_callbacks = MissedCallbacksProvider()  # bank callbacks billing could not take yet

    # The gateway's memory (services/gateway/memory.py), fed from two streams; a message it
    # cannot read is logged and acked inside learn, never redelivered in a loop.
    @consume(SESSIONS_STREAM)
    def learn_ended_sessions(self, body: Any) -> None:
        self.claims.memory.learn(body)

    @consume(CLOCK_STREAM)
    def learn_clock(self, body: Any) -> None:
        self.claims.memory.learn(body)
