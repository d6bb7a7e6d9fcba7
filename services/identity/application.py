"""Identity's use cases: registration (ID-1, ID-3), verification codes and their re-sending
(ID-2), and password recovery (ID-4). Login and the personal page come next."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Transcoder, Transcoding

from services.identity.businesses import BusinessUseCases
from services.identity.domain import ClientAddress, Session, User
from services.identity.passwords import PASSWORD_HASHER, check_password
from services.identity.sessions import SessionUseCases
from shared.kernel.errors import DomainError
from shared.kernel.mobile import normalize_mobile, to_latin_digits
from shared.kernel.sealing import seal
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_ids import stable_id
from shared.kernel.subject_keys import Personal

CONFLICT_RETRIES = 20
T = TypeVar("T")


class IdentityApplication(SessionUseCases, BusinessUseCases, ServiceApplication):
    name = "identity"  # type: ignore[misc]

    # A user's events pile up (codes, sessions, refreshes); a snapshot every so often keeps
    # loading one cheap, which matters on every login.
    # A busy user (sessions) and a busy address (every sign-up from one office) load from a snapshot.
    snapshotting_intervals: ClassVar[dict[Any, int]] = {User: 20, ClientAddress: 50}

    def __init__(self, *args: Any, sealing_public_key: str, signing_key: str = "", codes_per_address_hour: int = 30,
                 hashing: Callable[..., Any] | None = None, **kwargs: Any) -> None:
        self.sealing_public_key = sealing_public_key
        self.signing_key = signing_key
        self.codes_per_address_hour = codes_per_address_hour
        # How to run argon2 (hash, verify): directly by default; the nameko edge passes a
        # thread pool so a login's 18 ms of hashing does not stop every other request.
        self.hashing: Callable[..., Any] = hashing or (lambda function, *args: function(*args))
        super().__init__(*args, **kwargs)

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SessionTranscoding())  # type: ignore[attr-defined]  # snapshots hold sessions

    def user_id_for(self, mobile_e164: str) -> uuid.UUID:
        return stable_id("user", mobile_e164, self.settings.subject_key_secret)

    def _code_hash(self, user_id: uuid.UUID, purpose: str, code: str) -> str:
        key = self.settings.subject_key_secret.encode()
        return hmac.new(key, f"{user_id}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()

    def register(self, mobile: object, password: object, cause: Cause, locale: str = "fa",
                 client_address: str | None = None) -> uuid.UUID:
        e164 = normalize_mobile(mobile)
        checked = check_password(password)
        user_id = self.user_id_for(e164)
        if self._exists(user_id):  # a fast answer; the store still decides below
            raise DomainError("mobile_already_registered")
        password_hash = self.hashing(PASSWORD_HASHER.hash, checked)
        code = f"{secrets.randbelow(10**6):06d}"

        def attempt() -> uuid.UUID:
            user = User(user_id=user_id, mobile=Personal(f"user:{user_id}", e164), password_hash=password_hash,
                        locale=locale if locale in ("fa", "en") else "fa")
            user.issue_code("signup", self._code_hash(user_id, "signup", code), seal(self.sealing_public_key, code),
                            self.clock.now())
            # The user and the client address's count are saved together: a refused or
            # duplicate sign-up counts nothing, and a counted one always exists.
            client = self._client_counting_a_code(client_address)
            try:
                self.save_caused(user, client, cause=cause)
            except IntegrityError:
                if self._exists(user_id):
                    raise DomainError("mobile_already_registered") from None
                raise  # the address's count moved under us: try again
            return user_id

        return self._saved_with_retry(attempt)

    def _exists(self, user_id: uuid.UUID) -> bool:
        return bool(self.recorder.select_events(user_id, limit=1))

    def _user(self, e164: str) -> User | None:
        try:
            user: User = self.repository.get(self.user_id_for(e164))
        except AggregateNotFoundError:
            return None
        return user

    def _saved_with_retry(self, change: Callable[[], T]) -> T:
        """Run get → mutate → save again when another request changed the aggregate first
        (optimistic concurrency): every attempt on a code is recorded, none is lost."""
        for _ in range(CONFLICT_RETRIES):
            try:
                return change()
            except IntegrityError:
                continue
        raise DomainError("busy_try_again")

    def verify(self, mobile: object, code: object, cause: Cause, purpose: str = "signup") -> uuid.UUID:
        e164 = normalize_mobile(mobile)
        candidate = normalize_code(code)

        def attempt() -> uuid.UUID:
            user = self._user(e164)
            if user is None:
                raise DomainError("invalid_code")  # the same answer as a wrong code: no enumeration
            outcome = user.try_code(purpose, self._code_hash(user.id, purpose, candidate), self.clock.now())
            self.save_caused(user, cause=cause)  # a wrong try is recorded before it is refused
            if outcome is not None:
                raise DomainError(outcome)
            return user.id

        return self._saved_with_retry(attempt)

    def send_code(self, mobile: object, purpose: object, client_address: str | None, cause: Cause) -> None:
        """Re-send a sign-up code, or send a password-reset code (ID-2, ID-4). Throttled per
        number (a minimum gap, a daily cap) and per client address."""
        e164 = normalize_mobile(mobile)
        if purpose not in ("signup", "password_reset"):
            raise DomainError("invalid_purpose")
        code = f"{secrets.randbelow(10**6):06d}"

        def attempt() -> None:
            client = self._client_counting_a_code(client_address)
            user = self._user(e164)
            if user is None:
                # Answered like a success: whether a number is registered is not told here.
                self.save_caused(client, cause=cause)
                return
            user.issue_code(str(purpose), self._code_hash(user.id, str(purpose), code),
                            seal(self.sealing_public_key, code), self.clock.now())
            self.save_caused(user, client, cause=cause)

        self._saved_with_retry(attempt)

    def _client_counting_a_code(self, client_address: str | None) -> ClientAddress | None:
        """The client address's aggregate with one more code request on it, to be saved with
        the change that sends the code; None for internal callers (no address)."""
        client = self._client(client_address)
        if client is not None:
            client.request_code(self.clock.now(), limit=self.codes_per_address_hour)
        return client

    def reset_password(self, mobile: object, code: object, new_password: object, cause: Cause) -> uuid.UUID:
        checked = check_password(new_password)  # refused before the code is spent
        e164 = normalize_mobile(mobile)
        candidate = normalize_code(code)
        new_hash = self.hashing(PASSWORD_HASHER.hash, checked)

        def attempt() -> uuid.UUID:
            user = self._user(e164)
            if user is None:
                raise DomainError("invalid_code")
            outcome = user.try_code("password_reset", self._code_hash(user.id, "password_reset", candidate),
                                    self.clock.now())
            if outcome is None:
                user.change_password(new_hash)
            self.save_caused(user, cause=cause)
            if outcome is not None:
                raise DomainError(outcome)
            return user.id

        return self._saved_with_retry(attempt)


def normalize_code(code: object) -> str:
    """Six digits, Persian or Arabic-Indic digits accepted; anything else is a wrong code."""
    if not isinstance(code, str) or len(code) > 20:
        raise DomainError("invalid_code")
    digits = to_latin_digits(code).strip().replace(" ", "")
    if len(digits) != 6 or not all(ch in "0123456789" for ch in digits):
        raise DomainError("invalid_code")
    return digits


class SessionTranscoding(Transcoding):
    type = Session
    name = "identity_session"

    def encode(self, obj: Session) -> dict[str, Any]:
        return {"refresh_hash": obj.refresh_hash, "expires_at": obj.expires_at}

    def decode(self, data: dict[str, Any]) -> Session:
        return Session(**data)
