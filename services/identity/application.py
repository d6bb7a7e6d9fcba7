"""Identity's use cases. The vertical slice of the kernel issue: registration (ID-1, ID-3)
and issuing the sign-up code (ID-2); verification, login and recovery come next."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from argon2 import PasswordHasher
from eventsourcing.persistence import IntegrityError

from services.identity.domain import User
from services.identity.passwords import check_password
from shared.kernel.errors import DomainError
from shared.kernel.mobile import normalize_mobile
from shared.kernel.sealing import seal
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_ids import stable_id
from shared.kernel.subject_keys import Personal

# OWASP's minimum for argon2id: 19 MiB, two passes, one lane (ID-3).
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class IdentityApplication(ServiceApplication):
    name = "identity"  # type: ignore[misc]

    def __init__(self, *args: Any, sealing_public_key: str, **kwargs: Any) -> None:
        self.sealing_public_key = sealing_public_key
        super().__init__(*args, **kwargs)

    def user_id_for(self, mobile_e164: str) -> uuid.UUID:
        return stable_id("user", mobile_e164, self.settings.subject_key_secret)

    def _code_hash(self, user_id: uuid.UUID, purpose: str, code: str) -> str:
        key = self.settings.subject_key_secret.encode()
        return hmac.new(key, f"{user_id}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()

    def register(self, mobile: object, password: object, cause: Cause, locale: str = "fa") -> uuid.UUID:
        e164 = normalize_mobile(mobile)
        checked = check_password(password)
        user_id = self.user_id_for(e164)
        if self._exists(user_id):  # a fast answer; the store still decides below
            raise DomainError("mobile_already_registered")
        user = User(user_id=user_id, mobile=Personal(f"user:{user_id}", e164),
                    password_hash=PASSWORD_HASHER.hash(checked), locale=locale if locale in ("fa", "en") else "fa")
        code = f"{secrets.randbelow(10**6):06d}"
        user.issue_code("signup", self._code_hash(user_id, "signup", code), seal(self.sealing_public_key, code),
                        self.clock.now())
        try:
            self.save_caused(user, cause=cause)
        except IntegrityError:
            raise DomainError("mobile_already_registered") from None
        return user_id

    def _exists(self, user_id: uuid.UUID) -> bool:
        return bool(self.recorder.select_events(user_id, limit=1))
