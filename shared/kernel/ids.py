"""Ids as they arrive from outside (an RPC argument, a path segment, an event field)."""

from __future__ import annotations

import uuid

from shared.kernel.errors import DomainError


def parse_id(value: object, error: str = "not_found") -> uuid.UUID:
    """A UUID, or the DomainError ``error``: an id that cannot exist names nothing (404),
    never a 500."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError(error) from None
