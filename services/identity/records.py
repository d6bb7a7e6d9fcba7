"""Where identity's use cases find their aggregates, and the keyed hashes they compare: shared
by registration (application.py) and logging in (sessions.py), given the store they read."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from eventsourcing.application import AggregateNotFoundError

from services.identity.domain import ClientAddress, LoginThrottle, User, address_window
from shared.kernel.store import ServiceApplication
from shared.kernel.subject_ids import stable_id

T = TypeVar("T")


class Hashing(Protocol):
    """How argon2 runs: ``hashing(function, *args)`` answers ``function(*args)``, here or on
    another OS thread (the nameko edge passes eventlet's pool, so a login's 18 ms of hashing
    does not stop every other request)."""

    def __call__(self, function: Callable[..., T], /, *args: Any) -> T: ...


def in_this_thread(function: Callable[..., T], /, *args: Any) -> T:
    return function(*args)


class Records:
    """Ids are derived with the deployment's secret (SUBJECT_ID_SECRET): a number or an address
    cannot be read back from an id, and the store decides a race to create the same one."""

    def __init__(self, store: ServiceApplication) -> None:
        self.store = store
        self.secret = store.settings.subject_key_secret

    def user_id_for(self, mobile_e164: str) -> uuid.UUID:
        return stable_id("user", mobile_e164, self.secret)

    def user(self, e164: str) -> User | None:
        try:
            user: User = self.store.repository.get(self.user_id_for(e164))
        except AggregateNotFoundError:
            return None
        return user

    def client(self, client_address: str | None) -> ClientAddress | None:
        """What this client address did so far this hour (None for internal callers, who have none)."""
        if client_address is None:
            return None
        window, window_ends_at = address_window(self.store.clock.now())
        address_id = stable_id("client", f"{client_address}@{window}", self.secret)
        try:
            client: ClientAddress = self.store.repository.get(address_id)
        except AggregateNotFoundError:
            client = ClientAddress(address_id=address_id, window_ends_at=window_ends_at)
        return client

    def throttle(self, e164: str, client_address: str | None) -> LoginThrottle:
        throttle_id = stable_id("login", f"{e164}@{client_address or '-'}", self.secret)
        try:
            throttle: LoginThrottle = self.store.repository.get(throttle_id)
        except AggregateNotFoundError:
            throttle = LoginThrottle(throttle_id=throttle_id)
        return throttle

    def code_hash(self, user_id: uuid.UUID, purpose: str, code: str) -> str:
        return hmac.new(self.secret.encode(), f"{user_id}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()

    def refresh_hash(self, secret: str) -> str:
        return hmac.new(self.secret.encode(), secret.encode(), hashlib.sha256).hexdigest()
