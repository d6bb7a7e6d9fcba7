"""Identity's application: registration (ID-1, ID-3), verification codes and their re-sending
(ID-2), and password recovery (ID-4) as its own methods; logging in (sessions.py) and the
personal page (businesses.py) composed beside them. Nothing in the service imports this
module but service.py."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import JSONTranscoder, Transcoder, Transcoding

from services.identity.businesses import Businesses
from services.identity.domain import ClientAddress, LoginThrottle, Session, User
from services.identity.passwords import PASSWORD_HASHER, check_password
from services.identity.records import Hashing, Records, in_this_thread
from services.identity.sessions import Sessions
from services.identity.settings import IdentitySettings
from services.identity.support_desk import SupportDesk
from services.identity.tickets import CODE_PURPOSES
from shared.kernel.clock import PlatformClock
from shared.kernel.config import Settings
from shared.kernel.conflicts import retry_on_conflict
from shared.kernel.errors import DomainError
from shared.kernel.mobile import normalize_mobile, to_latin_digits
from shared.kernel.sealing import seal
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal, SubjectKeys


@dataclass(frozen=True)
class Registration:
    user_id: uuid.UUID
    registration_id: str  # the attempt: verifying with it accepts only this attempt's code


class IdentityApplication(ServiceApplication):
    """Registration, codes and recovery are its own methods; logging in is ``self.sessions``
    (sessions.py), the personal page ``self.businesses`` (businesses.py). Both, and these
    methods, find their aggregates through ``self.records`` (records.py)."""

    name = "identity"

    # A user's events pile up (codes, sessions, refreshes); a snapshot every so often keeps
    # loading one cheap, which matters on every login.
    # A busy user (sessions) and a busy address (every sign-up from one office) load from a snapshot.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {User: 20, ClientAddress: 50, LoginThrottle: 50}

    def __init__(self, settings: Settings, *, sealing_public_key: str, signing_key: str = "",
                 codes_per_address_hour: int = IdentitySettings.codes_per_client_address_per_hour,
                 hashing: Hashing = in_this_thread, support_mobiles: frozenset[str] = frozenset(),
                 keys: SubjectKeys | None = None,
                 clock: PlatformClock | None = None, env: dict[str, str] | None = None) -> None:
        self.sealing_public_key = sealing_public_key
        self.codes_per_address_hour = codes_per_address_hour
        self.hashing = hashing
        super().__init__(settings, keys=keys, clock=clock, env=env)
        self.records = Records(self)
        self.sessions = Sessions(self, self.records, signing_key=signing_key, hashing=hashing,
                                 support_mobiles=support_mobiles)
        self.businesses = Businesses(self)
        self.desk = SupportDesk(self, self.businesses, self.send_code_to)

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)
        if isinstance(transcoder, JSONTranscoder):  # always, as eventsourcing builds it
            transcoder.register(SessionTranscoding())  # snapshots hold sessions

    def user_id_for(self, mobile_e164: str) -> uuid.UUID:
        return self.records.user_id_for(mobile_e164)

    def register(self, mobile: object, password: object, cause: Cause, locale: str = "fa",
                 client_address: str | None = None) -> Registration:
        """A registration attempt: its own password and its own code. An unverified number
        reserves nothing, so a later attempt supersedes an earlier one; only the attempt
        whose code is entered gets its password (issue #13)."""
        e164 = normalize_mobile(mobile)
        checked = check_password(password)
        user_id = self.user_id_for(e164)
        known = self.records.user(e164)
        if known is not None:
            known.check_can_register()  # a fast answer; the store still decides below
        password_hash = self.hashing(PASSWORD_HASHER.hash, checked)
        attempt_id = uuid.uuid4().hex
        code = f"{secrets.randbelow(10**6):06d}"
        chosen_locale = locale if locale in ("fa", "en") else "fa"

        def attempt() -> Registration:
            now = self.clock.now()
            code_hash = self.records.code_hash(user_id, "signup", code)
            sealed = seal(self.sealing_public_key, code)
            user = self.records.user(e164)
            if user is None:
                user = User(user_id=user_id, mobile=Personal(f"user:{user_id}", e164), password_hash=password_hash,
                            locale=chosen_locale, attempt_id=attempt_id)
                user.issue_code("signup", code_hash, sealed, now)
            else:
                user.register_again(attempt_id, password_hash, chosen_locale, code_hash, sealed, now)
            # The user and the client address's count are saved together: a refused sign-up
            # counts nothing, and a counted one always exists.
            client = self._client_counting_a_code(client_address)
            self.save_caused(user, client, cause=cause)
            return Registration(user_id, attempt_id)

        return retry_on_conflict(attempt)

    def verify(self, mobile: object, code: object, cause: Cause, purpose: str = "signup",
               registration_id: str | None = None) -> uuid.UUID:
        """``registration_id`` (what registering answered) ties the code to that attempt: a
        code sent for somebody else's later attempt does not verify this one."""
        e164 = normalize_mobile(mobile)
        candidate = normalize_code(code)

        def attempt() -> uuid.UUID:
            user = self.records.user(e164)
            if user is None:
                raise DomainError("invalid_code")  # the same answer as a wrong code: no enumeration
            outcome = user.try_code(purpose, self.records.code_hash(user.id, purpose, candidate), self.clock.now(),
                                    attempt_id=registration_id)
            self.save_caused(user, cause=cause)  # a wrong try is recorded before it is refused
            if outcome is not None:
                raise DomainError(outcome)
            return user.id

        return retry_on_conflict(attempt)

    def send_code(self, mobile: object, purpose: object, client_address: str | None, cause: Cause) -> None:
        """Re-send a sign-up code, or send a password-reset code (ID-2, ID-4). Throttled per
        number (a minimum gap, a daily cap) and per client address."""
        e164 = normalize_mobile(mobile)
        if purpose not in CODE_PURPOSES:
            raise DomainError("invalid_purpose")
        code = f"{secrets.randbelow(10**6):06d}"

        def attempt() -> None:
            client = self._client_counting_a_code(client_address)
            user = self.records.user(e164)
            if user is None or (purpose == "password_reset" and not _may_send_reset(user, self.clock.now())):
                # Answered like a success: a reset tells nothing of the number (registered,
                # verified, or sent a code a moment ago), and sends nothing it may not.
                self.save_caused(client, cause=cause)
                return
            user.issue_code(str(purpose), self.records.code_hash(user.id, str(purpose), code),
                            seal(self.sealing_public_key, code), self.clock.now())
            self.save_caused(user, client, cause=cause)

        retry_on_conflict(attempt)

    def send_code_to(self, user_id: uuid.UUID, purpose: str, cause: Cause) -> None:
        """Support sends a customer's code again from a ticket (ID-2, issue #19). The number's own
        throttles apply (a gap, a daily cap); unlike a stranger asking, support is told a refusal."""
        if purpose not in CODE_PURPOSES:
            raise DomainError("invalid_purpose")
        code = f"{secrets.randbelow(10**6):06d}"

        def attempt() -> None:
            try:
                user: User = self.repository.get(user_id)
            except AggregateNotFoundError:
                raise DomainError("not_found") from None
            if not isinstance(user, User):
                raise DomainError("not_found")
            user.issue_code(purpose, self.records.code_hash(user.id, purpose, code),
                            seal(self.sealing_public_key, code), self.clock.now())
            self.save_caused(user, cause=cause)

        retry_on_conflict(attempt)

    def _client_counting_a_code(self, client_address: str | None) -> ClientAddress | None:
        """The client address's aggregate with one more code request on it, to be saved with
        the change that sends the code; None for internal callers (no address)."""
        client = self.records.client(client_address)
        if client is not None:
            client.request_code(self.clock.now(), limit=self.codes_per_address_hour)
        return client

    def reset_password(self, mobile: object, code: object, new_password: object, cause: Cause) -> uuid.UUID:
        checked = check_password(new_password)  # refused before the code is spent
        e164 = normalize_mobile(mobile)
        candidate = normalize_code(code)
        new_hash = self.hashing(PASSWORD_HASHER.hash, checked)

        def attempt() -> uuid.UUID:
            user = self.records.user(e164)
            if user is None:
                raise DomainError("invalid_code")
            outcome = user.try_code("password_reset", self.records.code_hash(user.id, "password_reset", candidate),
                                    self.clock.now())
            if outcome is None:
                user.change_password(new_hash, self.clock.now())
            self.save_caused(user, cause=cause)
            if outcome is not None:
                raise DomainError(outcome)
            return user.id

        return retry_on_conflict(attempt)


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


def _may_send_reset(user: User, now: datetime) -> bool:
    """Whether a reset code may go to this user now (verified, outside the re-send gap and the
    daily cap). A reset that may not is answered like one that went: the answer would
    otherwise tell a stranger that the number is registered."""
    try:
        user.check_can_issue_code("password_reset", now)
    except DomainError:
        return False
    return True
