"""Access tokens: EdDSA (Ed25519) JWTs signed by identity, verified by the gateway with the
public key alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.kernel.config import Settings
from shared.kernel.dev_keys import create_once

ISSUER = "identity"
AUDIENCE = "platform"
ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)  # a revocation is remembered at least this long


class InvalidToken(Exception):
    pass


def issue_access_token(private_pem: str, user_id: str, roles: list[str], now: datetime,
                       ttl: timedelta = ACCESS_TOKEN_LIFETIME, sid: str | None = None) -> str:
    claims = {"sub": user_id, "roles": roles, "iss": ISSUER, "aud": AUDIENCE, "sid": sid,
              "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp())}
    return jwt.encode(claims, private_pem, algorithm="EdDSA")


def verify_access_token(public_pem: str, token: str, now: datetime) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, public_pem, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["exp", "sub", "iat"], "verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    # Expiry is checked against the platform clock, which may have been moved forward.
    if claims["exp"] <= now.timestamp():
        raise InvalidToken("token expired")
    return claims


def signing_keys(settings: Settings) -> tuple[str, str]:
    """(private PEM, public PEM): from JWT_PRIVATE_KEY / JWT_PUBLIC_KEY in production, else the
    development pair under var/keys/."""
    if settings.jwt_public_key:
        return settings.jwt_private_key, settings.jwt_public_key
    return development_signing_keys(settings.var_dir / "keys")


def development_signing_keys(directory: Path) -> tuple[str, str]:
    """(private PEM, public PEM), created once in ``directory``."""
    private_pem = create_once(directory / "jwt-ed25519.pem", lambda: Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())).decode()
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem
