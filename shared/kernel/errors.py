"""Domain errors: a stable code plus details. Services return them as answers over RPC;
the gateway's error table (shared/http/errors.py) turns a code into status and messages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code: str = "domain_error"

    def __init__(self, code: str | None = None, **details: Any) -> None:
        self.code = code or self.code
        self.details = details
        super().__init__(self.code)

    def as_answer(self) -> dict[str, Any]:
        return {"error": self.code, "details": self.details}
