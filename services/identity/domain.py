"""Identity's aggregate: a user, keyed by their mobile number (ID-1 … ID-4). No I/O here:
hashing, code generation and sealing are done by the application and passed in."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from eventsourcing.domain import Aggregate, event

from shared.kernel.subject_keys import Personal

CODE_VALIDITY = timedelta(days=7)  # the vendor's promise (ID-2)


class User(Aggregate):
    @event("Registered")
    def __init__(self, user_id: uuid.UUID, mobile: Personal, password_hash: str, locale: str) -> None:
        self.user_id = user_id
        self.mobile = mobile
        self.password_hash = password_hash
        self.locale = locale
        self.verified = False
        self.code_hash: str | None = None
        self.code_purpose: str | None = None
        self.code_expires_at: datetime | None = None

    @staticmethod
    def create_id(user_id: uuid.UUID, **_: object) -> uuid.UUID:
        # The id is derived from the mobile number, so a second registration of the same
        # number collides in the store: the store decides, not a check-then-act (ID-1).
        return user_id

    def issue_code(self, purpose: str, code_hash: str, sealed_code: str, now: datetime) -> None:
        # The event names the mobile so the relay can address the SMS from this event alone.
        self._code_issued(purpose=purpose, code_hash=code_hash, sealed_code=sealed_code,
                          expires_at=now + CODE_VALIDITY, mobile=self.mobile, locale=self.locale)

    @event("VerificationCodeIssued")
    def _code_issued(self, purpose: str, code_hash: str, sealed_code: str, expires_at: datetime,
                     mobile: Personal, locale: str) -> None:
        self.code_hash = code_hash
        self.code_purpose = purpose
        self.code_expires_at = expires_at
