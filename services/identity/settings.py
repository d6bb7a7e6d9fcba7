"""Identity's own settings, read from the environment once, in service.build_application; the
keys (JWT_*, SEALING_*) and the store are the kernel's Settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.kernel.errors import DomainError
from shared.kernel.mobile import normalize_mobile


@dataclass(frozen=True)
class IdentitySettings:
    # Codes (sign-up and reset) one client address may ask for in one clock hour, across every
    # number: a cap against SMS pumping. The load benches raise it (many users, one address).
    codes_per_client_address_per_hour: int = 30
    # The vendor's support staff (issue #19): their logins carry the "support" role. Numbers as
    # E.164; a number that is not one stops the start rather than leave a person out.
    support_mobiles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> IdentitySettings:
        listed = [each.strip() for each in env.get("SUPPORT_MOBILES", "").split(",") if each.strip()]
        return cls(codes_per_client_address_per_hour=int(
            env.get("CODES_PER_CLIENT_ADDRESS_PER_HOUR", str(cls.codes_per_client_address_per_hour))),
            support_mobiles=frozenset(_mobile(each) for each in listed))


def _mobile(value: str) -> str:
    try:
        return normalize_mobile(value)
    except DomainError:
        raise ValueError(f"SUPPORT_MOBILES: not a mobile number: {value!r}") from None
