"""The gateway's settings: read once, in service.py, when the service is imported (nameko needs
the streams' names to declare the service); nothing else in the gateway reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.kernel.config import Settings

MAX_BODY_BYTES = 1024 * 1024


def _platform() -> Settings:
    return Settings(service="gateway")


@dataclass(frozen=True)
class GatewaySettings:
    # The kernel's settings (broker, namespace, var dir, environment); it reads its own variables.
    platform: Settings = field(default_factory=_platform)
    # Larger bodies are refused from their Content-Length, before a byte is read (413).
    max_body_bytes: int = MAX_BODY_BYTES
    # Only behind a proxy we run (the Ingress) is X-Forwarded-For ours; exposed directly, a client
    # could write it and slip past the per-address caps.
    trust_forwarded_for: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> GatewaySettings:
        return cls(platform=_platform(),
                   max_body_bytes=int(env.get("GATEWAY_MAX_BODY_BYTES", str(MAX_BODY_BYTES))),
                   trust_forwarded_for=env.get("TRUST_FORWARDED_FOR", "0") in ("1", "true", "yes"))

    @property
    def production(self) -> bool:
        return self.platform.production
