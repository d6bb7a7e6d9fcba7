"""What every group of gateway routes shares: the correlation id and the caller's claims.
Each routes module is a mixin over this base; services/gateway/service.py composes them."""

from __future__ import annotations

from pydantic import BaseModel

from services.gateway.http_edge import Authenticator, Correlation
from shared.kernel.config import Settings
from shared.kernel.tokens import development_signing_keys

SETTINGS = Settings(service="gateway")

# (method, path, summary, request model, success status, error codes): the OpenAPI table
Route = tuple[str, str, str, type[BaseModel] | None, int, tuple[str, ...]]


def _public_key() -> str:
    return development_signing_keys(SETTINGS.var_dir / "keys")[1]


class GatewayBase:
    correlation_id: str = Correlation()
    claims = Authenticator(_public_key)
