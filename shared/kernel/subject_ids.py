"""Stable ids derived from personal values (a mobile number) with a keyed hash, so the store
can refuse a duplicate by id while the id itself reveals nothing once the data is purged."""

from __future__ import annotations

import hashlib
import hmac
import uuid


def stable_id(kind: str, value: str, secret: str) -> uuid.UUID:
    digest = hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).digest()
    return uuid.UUID(bytes=digest[:16], version=4)
