"""Identity's login use cases: a short-lived access token (EdDSA JWT, verified by the
gateway with the public key) and a rotating, revocable refresh token. The application
builds one ``Sessions`` and exposes it as ``app.sessions``."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.application import AggregateNotFoundError

from services.identity.domain import User
from services.identity.passwords import PASSWORD_HASHER, UNKNOWN_USER_HASH
from services.identity.records import Hashing, Records
from shared.kernel.conflicts import retry_on_conflict
from shared.kernel.errors import DomainError
from shared.kernel.mobile import normalize_mobile
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.tokens import ACCESS_TOKEN_LIFETIME, issue_access_token

LOGIN_FAILURES_PER_ADDRESS = 30  # in 15 minutes, across every account


class Sessions:
    def __init__(self, store: ServiceApplication, records: Records, *, signing_key: str, hashing: Hashing,
                 support_mobiles: frozenset[str] = frozenset()) -> None:
        self.store, self.records = store, records
        self.support_mobiles = support_mobiles  # whose tokens carry the "support" role (issue #19)
        self.signing_key = signing_key
        self.hashing = hashing

    def login(self, mobile: object, password: object, client_address: str | None, cause: Cause) -> dict[str, Any]:
        e164 = normalize_mobile(mobile)
        client = self.records.client(client_address)
        now = self.store.clock.now()
        if client is not None:
            client.check_logins_allowed(now, LOGIN_FAILURES_PER_ADDRESS)
        user = self.records.user(e164)
        # Known and unknown numbers pass the same throttle, so a lock tells nothing either.
        throttle = self.records.throttle(e164, client_address)
        changed_at = user.password_changed_at if user is not None else None
        throttle.check(now, changed_at)
        # An unknown number costs the same hash verification as a known one: the answer
        # does not tell, by its time, whether a number is registered. An unverified number
        # is checked against its latest attempt's password only to say "verify first".
        stored = None if user is None else user.password_hash or user.attempt_password_hash
        try:
            self.hashing(PASSWORD_HASHER.verify, stored or UNKNOWN_USER_HASH,
                         password if isinstance(password, str) else "")
            correct = stored is not None
        except (VerificationError, InvalidHashError):
            correct = False
        if not correct:
            def record_failure() -> None:
                # Re-read on every try: parallel guesses each count, none is lost to a conflict.
                failed, from_address = self.records.throttle(e164, client_address), self.records.client(client_address)
                failed.record_failure(now, changed_at)
                if from_address is not None:
                    from_address.record_login_failure(now)
                self.store.save_caused(failed, from_address, cause=cause)

            retry_on_conflict(record_failure)
            raise DomainError("invalid_credentials")
        assert user is not None
        session_id = uuid.uuid4().hex
        secret = secrets.token_urlsafe(32)
        user.start_session(session_id, self.records.refresh_hash(secret), now)  # refuses an unverified number
        had_failures = not throttle.clear
        throttle.succeed()
        self.store.save_caused(user, *([throttle] if had_failures else []), cause=cause)  # no write for a clean pair
        return self._tokens(user, session_id, secret)

    def refresh(self, refresh_token: object, cause: Cause) -> dict[str, Any]:
        user, session_id, secret = self._parse_refresh_token(refresh_token)
        new_secret = secrets.token_urlsafe(32)
        try:
            user.refresh_session(session_id, self.records.refresh_hash(secret), self.records.refresh_hash(new_secret),
                                 self.store.clock.now())
        finally:
            self.store.save_caused(user, cause=cause)  # a detected reuse revokes the session for good
        return self._tokens(user, session_id, new_secret)

    def logout(self, refresh_token: object, cause: Cause) -> None:
        user, session_id, _ = self._parse_refresh_token(refresh_token)
        user.end_session(session_id, self.store.clock.now())
        self.store.save_caused(user, cause=cause)

    def _parse_refresh_token(self, token: object) -> tuple[User, str, str]:
        parts = token.split(".") if isinstance(token, str) and len(token) < 300 else []
        if len(parts) != 3:
            raise DomainError("unauthorized")
        try:
            user: User = self.store.repository.get(uuid.UUID(parts[0]))
        except (ValueError, AggregateNotFoundError):
            raise DomainError("unauthorized") from None
        return user, parts[1], parts[2]

    def _tokens(self, user: User, session_id: str, secret: str) -> dict[str, Any]:
        now = self.store.clock.now()
        # An access token never outlives its session (a lapsed session ends everywhere).
        ttl = min(ACCESS_TOKEN_LIFETIME, user.sessions[session_id].expires_at - now)
        return {
            "access_token": issue_access_token(self.signing_key, str(user.id), self._roles(user), now, ttl=ttl,
                                               sid=session_id),
            "token_type": "Bearer", "expires_in": int(ttl.total_seconds()),
            "refresh_token": f"{user.id}.{session_id}.{secret}",
            "user_id": str(user.id),
        }

    def _roles(self, user: User) -> list[str]:
        # Read at every login and refresh: a number taken off the list loses the role within
        # an access token's lifetime (15 minutes).
        return ["customer", "support"] if user.mobile.value in self.support_mobiles else ["customer"]
