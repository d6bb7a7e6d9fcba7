"""Identity's aggregate: a user, keyed by their mobile number (ID-1 … ID-4). No I/O here:
hashing, code generation and sealing are done by the application and passed in; every
rule about codes (validity, tries, single use, purpose, re-send throttling) lives here."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from eventsourcing.domain import Aggregate, event

from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal


@dataclass(frozen=True)
class Session:
    refresh_hash: str
    expires_at: datetime


CODE_VALIDITY = timedelta(days=7)  # the vendor's promise (ID-2)
MAX_WRONG_TRIES = 5  # per code: with 10^6 codes, a guess succeeds with odds of 1 in 200,000
RESEND_GAP = timedelta(seconds=60)
SESSION_LIFETIME = timedelta(days=30)
LOGIN_FAILURES_BEFORE_LOCK = 5  # per (number, client address)
FIRST_LOCK = timedelta(minutes=1)  # then doubled for every further lock, up to a day
LONGEST_LOCK = timedelta(days=1)
ADDRESS_FAILURE_WINDOW = timedelta(minutes=15)
DAILY_CODES_PER_NUMBER = 5


class User(Aggregate):
    """A mobile number and, once it is verified, the password of the registration attempt
    whose code verified it. Until then nothing is reserved: each attempt brings its own
    password and code, and a later attempt supersedes the earlier one (issue #13)."""

    # Defaults for what users restored from snapshots taken before issue #13 do not carry.
    attempt_id: str = ""
    attempt_password_hash: str | None = None
    code_attempt_id: str | None = None
    password_changed_at: datetime | None = None
    SESSIONS_PER_EVENT: ClassVar[int] = 1000  # SessionsEndedV1's bound

    @event("Registered")
    def __init__(self, user_id: uuid.UUID, mobile: Personal, password_hash: str, locale: str,
                 attempt_id: str = "") -> None:
        self.user_id = user_id
        self.mobile = mobile
        self.password_hash: str | None = None  # set only by verification
        self.attempt_id = attempt_id
        self.attempt_password_hash: str | None = password_hash
        self.locale = locale
        self.verified = False
        self.code_hash: str | None = None
        self.code_purpose: str | None = None
        self.code_attempt_id: str | None = None
        self.code_expires_at: datetime | None = None
        self.wrong_tries = 0
        self.codes_issued_at: list[datetime] = []
        self.password_changed_at: datetime | None = None
        self.sessions: dict[str, Session] = {}

    @staticmethod
    def create_id(user_id: uuid.UUID, **_: object) -> uuid.UUID:
        # The id is derived from the mobile number, so a second registration of the same
        # number collides in the store: the store decides, not a check-then-act (ID-1).
        return user_id

    # -- registering again -------------------------------------------------------------------
    def check_can_register(self) -> None:
        if self.verified:
            raise DomainError("mobile_already_registered")  # only a verified number is taken (ID-1)

    def register_again(self, attempt_id: str, password_hash: str, locale: str, code_hash: str,
                       sealed_code: str, now: datetime) -> None:
        """A new attempt for a number nobody verified: its password and code replace the
        earlier attempt's, whose code can no longer verify anything."""
        self.check_can_register()
        self.check_can_issue_code("signup", now)
        self._registration_attempted(attempt_id=attempt_id, password_hash=password_hash, locale=locale)
        self.issue_code("signup", code_hash, sealed_code, now)

    @event("RegistrationAttempted")
    def _registration_attempted(self, attempt_id: str, password_hash: str, locale: str) -> None:
        self.attempt_id, self.attempt_password_hash, self.locale = attempt_id, password_hash, locale

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
        # A new code replaces the old one, and its wrong-try count starts afresh; a sign-up
        # code belongs to the current registration attempt.
        self._code_issued(purpose=purpose, code_hash=code_hash, sealed_code=sealed_code, issued_at=now,
                          expires_at=now + CODE_VALIDITY, mobile=self.mobile, locale=self.locale,
                          attempt_id=self.attempt_id if purpose == "signup" else "")

    @event("VerificationCodeIssued")
    def _code_issued(self, purpose: str, code_hash: str, sealed_code: str, issued_at: datetime,
                     expires_at: datetime, mobile: Personal, locale: str, attempt_id: str = "") -> None:
        self.code_hash = code_hash
        self.code_purpose = purpose
        self.code_attempt_id = attempt_id
        self.code_expires_at = expires_at
        self.wrong_tries = 0
        self.codes_issued_at = [t for t in self.codes_issued_at if issued_at - t < timedelta(days=1)] + [issued_at]

    # -- using codes -----------------------------------------------------------------------
    def try_code(self, purpose: str, candidate_hash: str, now: datetime, attempt_id: str | None = None) -> str | None:
        """Record one attempt. Returns None when the code was right (and is now used up),
        else the error code; a wrong guess is recorded so tries stay bounded. A sign-up
        code verifies only the attempt it was sent for, when the caller names one."""
        if self.code_hash is None or self.code_purpose != purpose:
            return "invalid_code"
        if self.wrong_tries >= MAX_WRONG_TRIES:
            return "too_many_attempts"
        assert self.code_expires_at is not None
        if now >= self.code_expires_at:
            return "code_expired"
        right_attempt = attempt_id is None or hmac.compare_digest(attempt_id, self.code_attempt_id or "")
        if not hmac.compare_digest(self.code_hash, candidate_hash) or not right_attempt:
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
        self.password_hash = self.attempt_password_hash  # the attempt this code was sent for
        self.attempt_password_hash = None
        self.code_hash = self.code_purpose = self.code_attempt_id = None

    @event("CodeUsed")
    def _code_used(self) -> None:
        self.code_hash = self.code_purpose = None

    # -- passwords -------------------------------------------------------------------------
    def change_password(self, password_hash: str, now: datetime) -> None:
        # Every session ends with the old password (ID-4); the gateway is told of those whose
        # tokens could still be valid, in events of at most SESSIONS_PER_EVENT.
        live = sorted(sid for sid, session in self.sessions.items() if session.expires_at > now)
        for start in range(0, len(live), self.SESSIONS_PER_EVENT):
            self._sessions_ended(session_ids=live[start:start + self.SESSIONS_PER_EVENT], reason="password_changed",
                                 at=now)
        self._password_changed(password_hash=password_hash, at=now)

    @event("PasswordChanged")
    def _password_changed(self, password_hash: str, at: datetime | None = None) -> None:
        self.password_hash = password_hash
        self.password_changed_at = at
        self.sessions = {}  # also for PasswordChanged written before SessionsEnded existed

    # -- sessions --------------------------------------------------------------------------
    def start_session(self, session_id: str, refresh_hash: str, now: datetime) -> None:
        if not self.verified:
            raise DomainError("mobile_not_verified")
        self._session_started(session_id=session_id, refresh_hash=refresh_hash, expires_at=now + SESSION_LIFETIME)

    @event("SessionStarted")
    def _session_started(self, session_id: str, refresh_hash: str, expires_at: datetime) -> None:
        self.sessions[session_id] = Session(refresh_hash, expires_at)

    def refresh_session(self, session_id: str, presented_hash: str, new_hash: str, now: datetime) -> None:
        """Rotate a refresh token. A token that was already rotated away is a stolen copy:
        the session ends, and the thief and the owner both have to log in again."""
        session = self.sessions.get(session_id)
        if session is None or now >= session.expires_at:
            raise DomainError("unauthorized")
        if not hmac.compare_digest(session.refresh_hash, presented_hash):
            self._sessions_ended(session_ids=[session_id], reason="refresh_token_reused", at=now)
            raise DomainError("unauthorized")
        self._session_refreshed(session_id=session_id, refresh_hash=new_hash)

    @event("SessionRefreshed")
    def _session_refreshed(self, session_id: str, refresh_hash: str) -> None:
        self.sessions[session_id] = Session(refresh_hash, self.sessions[session_id].expires_at)

    def end_session(self, session_id: str, now: datetime) -> None:
        if session_id in self.sessions:
            self._sessions_ended(session_ids=[session_id], reason="logout", at=now)

    # Written before issue #13: kept so that users who logged out or mistyped then still load.
    @event("SessionRevoked")
    def _session_revoked(self, session_id: str, reason: str) -> None:
        self.sessions.pop(session_id, None)

    @event("LoginFailed")
    def _login_failed(self, failures: int, locked_until: datetime | None) -> None:
        """Failed logins now live in LoginThrottle (per number and address)."""

    @event("SessionsEnded")
    def _sessions_ended(self, session_ids: list[str], reason: str, at: datetime) -> None:
        for session_id in session_ids:
            self.sessions.pop(session_id, None)


class LoginThrottle(Aggregate):
    """Failed logins for one mobile number from one client address, known or unknown number
    alike (the answer tells nothing). Five failures lock this pair only, for a minute, then
    each further lock lasts twice as long, up to a day; a stranger's failures never lock the
    owner out at his own address. A success clears it; a password change outdates it."""

    @event("Started")
    def __init__(self, throttle_id: uuid.UUID) -> None:
        self.failures = 0
        self.locks = 0
        self.locked_until: datetime | None = None
        self.last_failure_at: datetime | None = None

    @staticmethod
    def create_id(throttle_id: uuid.UUID, **_: object) -> uuid.UUID:
        return throttle_id

    def _outdated_by(self, password_changed_at: datetime | None) -> bool:
        return (password_changed_at is not None and self.last_failure_at is not None
                and password_changed_at >= self.last_failure_at)

    def check(self, now: datetime, password_changed_at: datetime | None) -> None:
        if self._outdated_by(password_changed_at) or self.locked_until is None or now >= self.locked_until:
            return
        raise DomainError("account_locked", retry_after=max(1, int((self.locked_until - now).total_seconds()) + 1))

    def record_failure(self, now: datetime, password_changed_at: datetime | None) -> None:
        outdated = self._outdated_by(password_changed_at)
        failures, locks = (0, 0) if outdated else (self.failures, self.locks)
        failures += 1
        # A guess that passed the check just before a parallel one locked the pair keeps the lock.
        in_force = not outdated and self.locked_until is not None and now < self.locked_until
        locked_until = self.locked_until if in_force else None
        if failures >= LOGIN_FAILURES_BEFORE_LOCK:
            locked_until = now + min(FIRST_LOCK * 2 ** locks, LONGEST_LOCK)
            failures, locks = 0, locks + 1
        self._failed(failures=failures, locks=locks, locked_until=locked_until, at=now)

    @event("Failed")
    def _failed(self, failures: int, locks: int, locked_until: datetime | None, at: datetime) -> None:
        self.failures, self.locks, self.locked_until, self.last_failure_at = failures, locks, locked_until, at

    @property
    def clear(self) -> bool:
        return self.failures == 0 and self.locks == 0 and self.locked_until is None

    def succeed(self) -> None:
        if not self.clear:
            self._cleared()

    @event("Cleared")
    def _cleared(self) -> None:
        self.failures, self.locks, self.locked_until = 0, 0, None


def address_window(now: datetime) -> tuple[str, datetime]:
    """The clock hour a client address's record covers, and when it ends. One record per
    address and hour keeps each record small (it is read on every login and code request)."""
    start = now.replace(minute=0, second=0, microsecond=0)
    return start.strftime("%Y-%m-%dT%H"), start + timedelta(hours=1)


class ClientAddress(Aggregate):
    """What one client address did in one clock hour: code requests (a cap against SMS
    pumping) and failed logins (a brake on password guessing across many accounts)."""

    @event("Seen")
    def __init__(self, address_id: uuid.UUID, window_ends_at: datetime) -> None:
        self.window_ends_at = window_ends_at
        self.requests: list[datetime] = []
        self.login_failures: list[datetime] = []

    @staticmethod
    def create_id(address_id: uuid.UUID, **_: object) -> uuid.UUID:
        return address_id

    def request_code(self, now: datetime, limit: int) -> None:
        if len(self.requests) >= limit:
            retry = self.window_ends_at - now
            raise DomainError("too_many_requests", retry_after=max(1, int(retry.total_seconds()) + 1),
                              contact_support=True)
        self._code_requested(at=now)

    @event("CodeRequested")
    def _code_requested(self, at: datetime) -> None:
        self.requests.append(at)

    def check_logins_allowed(self, now: datetime, limit: int) -> None:
        recent = [t for t in self.login_failures if now - t < ADDRESS_FAILURE_WINDOW]
        if len(recent) >= limit:
            retry = min(recent) + ADDRESS_FAILURE_WINDOW - now
            raise DomainError("too_many_requests", retry_after=max(1, int(retry.total_seconds()) + 1))

    def record_login_failure(self, now: datetime) -> None:
        self._login_failure_seen(at=now)

    @event("LoginFailureSeen")
    def _login_failure_seen(self, at: datetime) -> None:
        self.login_failures.append(at)
