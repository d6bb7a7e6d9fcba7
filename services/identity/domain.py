"""Identity's aggregate: a user, keyed by their mobile number (ID-1 … ID-4). No I/O here:
hashing, code generation and sealing are done by the application and passed in; every
rule about codes (validity, tries, single use, purpose, re-send throttling) lives here."""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime, timedelta

from eventsourcing.domain import Aggregate, event

from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal

CODE_VALIDITY = timedelta(days=7)  # the vendor's promise (ID-2)
MAX_WRONG_TRIES = 5  # per code: with 10^6 codes, a guess succeeds with odds of 1 in 200,000
RESEND_GAP = timedelta(seconds=60)
DAILY_CODES_PER_NUMBER = 5


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
        self.wrong_tries = 0
        self.codes_issued_at: list[datetime] = []

    @staticmethod
    def create_id(user_id: uuid.UUID, **_: object) -> uuid.UUID:
        # The id is derived from the mobile number, so a second registration of the same
        # number collides in the store: the store decides, not a check-then-act (ID-1).
        return user_id

    # -- issuing codes ---------------------------------------------------------------------
    def check_can_issue_code(self, purpose: str, now: datetime) -> None:
        if purpose == "signup" and self.verified:
            raise DomainError("already_verified")
        if purpose == "password_reset" and not self.verified:
            raise DomainError("mobile_not_verified")
        recent = [t for t in self.codes_issued_at if now - t < timedelta(days=1)]
        if len(recent) >= DAILY_CODES_PER_NUMBER:
            retry = min(recent) + timedelta(days=1) - now
            raise DomainError("too_many_codes", retry_after=max(1, int(retry.total_seconds())), contact_support=True)
        if recent and now - max(recent) < RESEND_GAP:
            retry = max(recent) + RESEND_GAP - now
            raise DomainError("resend_too_soon", retry_after=max(1, int(retry.total_seconds()) + 1))

    def issue_code(self, purpose: str, code_hash: str, sealed_code: str, now: datetime) -> None:
        self.check_can_issue_code(purpose, now)
        # The event names the mobile so the relay can address the SMS from this event alone.
        # A new code replaces the old one, and its wrong-try count starts afresh.
        self._code_issued(purpose=purpose, code_hash=code_hash, sealed_code=sealed_code, issued_at=now,
                          expires_at=now + CODE_VALIDITY, mobile=self.mobile, locale=self.locale)

    @event("VerificationCodeIssued")
    def _code_issued(self, purpose: str, code_hash: str, sealed_code: str, issued_at: datetime,
                     expires_at: datetime, mobile: Personal, locale: str) -> None:
        self.code_hash = code_hash
        self.code_purpose = purpose
        self.code_expires_at = expires_at
        self.wrong_tries = 0
        self.codes_issued_at = [t for t in self.codes_issued_at if issued_at - t < timedelta(days=1)] + [issued_at]

    # -- using codes -----------------------------------------------------------------------
    def try_code(self, purpose: str, candidate_hash: str, now: datetime) -> str | None:
        """Record one attempt. Returns None when the code was right (and is now used up),
        else the error code; a wrong guess is recorded so tries stay bounded."""
        if self.code_hash is None or self.code_purpose != purpose:
            return "invalid_code"
        if self.wrong_tries >= MAX_WRONG_TRIES:
            return "too_many_attempts"
        assert self.code_expires_at is not None
        if now >= self.code_expires_at:
            return "code_expired"
        if not hmac.compare_digest(self.code_hash, candidate_hash):
            self._wrong_code_tried()
            return "too_many_attempts" if self.wrong_tries >= MAX_WRONG_TRIES else "invalid_code"
        if purpose == "signup":
            self._mobile_verified(mobile=self.mobile)
        else:
            self._code_used()
        return None

    @event("WrongCodeTried")
    def _wrong_code_tried(self) -> None:
        self.wrong_tries += 1

    @event("MobileVerified")
    def _mobile_verified(self, mobile: Personal) -> None:
        self.verified = True
        self.code_hash = self.code_purpose = None

    @event("CodeUsed")
    def _code_used(self) -> None:
        self.code_hash = self.code_purpose = None

    # -- passwords -------------------------------------------------------------------------
    def change_password(self, password_hash: str) -> None:
        self._password_changed(password_hash=password_hash)

    @event("PasswordChanged")
    def _password_changed(self, password_hash: str) -> None:
        self.password_hash = password_hash


class ClientAddress(Aggregate):
    """Code requests from one client address: a cap against SMS pumping from one place."""

    @event("Seen")
    def __init__(self, address_id: uuid.UUID) -> None:
        self.requests: list[datetime] = []

    @staticmethod
    def create_id(address_id: uuid.UUID) -> uuid.UUID:
        return address_id

    def request_code(self, now: datetime, limit: int) -> None:
        recent = [t for t in self.requests if now - t < timedelta(hours=1)]
        if len(recent) >= limit:
            retry = min(recent) + timedelta(hours=1) - now
            raise DomainError("too_many_requests", retry_after=max(1, int(retry.total_seconds())),
                              contact_support=True)
        self._code_requested(at=now)

    @event("CodeRequested")
    def _code_requested(self, at: datetime) -> None:
        self.requests = [t for t in self.requests if at - t < timedelta(hours=1)] + [at]
