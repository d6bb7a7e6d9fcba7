"""Callers as an attacker's script makes them: fresh numbers, fresh addresses, raw requests."""

from __future__ import annotations

import itertools
import random
from typing import Any

import requests

from tests.e2e.journey import Gateway, Person, expect

PASSWORD = "Str0ng!pass"  # what tests.e2e.journey.Person signs up with
ATTACKER_PASSWORD = "Att4cker!pass"
_numbers = itertools.count(random.randrange(10_000, 90_000) * 100)
_addresses = itertools.count(random.randrange(1, 200) * 10_000)


def new_mobile() -> str:
    return f"0919{next(_numbers):07d}"


def new_address() -> str:
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def call(gateway: Gateway, method: str, path: str, body: Any = None, *, address: str, token: str | None = None,
         **headers: str) -> requests.Response:
    """One request as seen from ``address``."""
    return gateway.ask(method, path, body, token=token, **{"X-Forwarded-For": address, **headers})


def log_in(gateway: Gateway, mobile: str, password: str, address: str) -> requests.Response:
    return call(gateway, "POST", "/identity/sessions", {"mobile": mobile, "password": password}, address=address)


class Account:
    """A verified person, logged in from their own address, with both tokens."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway, self.mobile, self.address = gateway, new_mobile(), new_address()
        self.person = Person(gateway, self.mobile)
        registered = expect(self.post("/identity/registrations", {"mobile": self.mobile, "password": PASSWORD}),
                            202, "signing up")
        self.person.user_id, self.person.registration_id = registered["user_id"], registered["registration_id"]
        expect(self.person.verify(self.person.code_from_sms()), 200, "verifying")
        self.tokens: dict[str, Any] = {}
        self.log_in()

    def post(self, path: str, body: Any) -> requests.Response:
        return call(self.gateway, "POST", path, body, address=self.address)

    def log_in(self, password: str = PASSWORD) -> dict[str, Any]:
        self.tokens = dict(expect(log_in(self.gateway, self.mobile, password, self.address), 200, "logging in"))
        return self.tokens

    def me(self, token: str | None = None) -> requests.Response:
        return call(self.gateway, "GET", "/me", address=self.address, token=token or self.tokens["access_token"])
