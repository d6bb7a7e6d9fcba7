"""Identity's own settings, read from the environment once, in service.build_application; the
keys (JWT_*, SEALING_*) and the store are the kernel's Settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class IdentitySettings:
    # Codes (sign-up and reset) one client address may ask for in one clock hour, across every
    # number: a cap against SMS pumping. The load benches raise it (many users, one address).
    codes_per_client_address_per_hour: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> IdentitySettings:
        return cls(codes_per_client_address_per_hour=int(
            env.get("CODES_PER_CLIENT_ADDRESS_PER_HOUR", str(cls.codes_per_client_address_per_hour))))
