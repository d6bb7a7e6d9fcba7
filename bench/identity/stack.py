"""The real platform for the bench: identity, notifications (with the development SMS provider)
and the gateway as their own processes, started by the tests' Platform, driven over HTTP."""

from __future__ import annotations

import re
import time
from typing import Any

import requests

from bench.identity.env import BenchEnv
from tests.support.network import free_port
from tests.support.processes import Platform

PASSWORD = "Str0ng!pass-bench"
PERSIAN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
# Every bench request comes from 127.0.0.1: identity's per-address cap on codes must not apply.
IDENTITY_ENV = {"CODES_PER_CLIENT_ADDRESS_PER_HOUR": "1000000"}



def start(env: BenchEnv) -> tuple[Platform, str]:
    platform = Platform(env.settings())
    try:
        platform.start("identity", **IDENTITY_ENV)
        platform.start("notifications")  # starts the development SMS provider too
        address = f"127.0.0.1:{free_port()}"
        # The fresh-address diagnostic labels clients with X-Forwarded-For, as an Ingress would.
        platform.start("gateway", WEB_SERVER_ADDRESS=address, TRUST_FORWARDED_FOR="1")
    except BaseException:
        platform.stop_all()
        raise
    return platform, f"http://{address}"


def pids(platform: Platform) -> dict[str, int]:
    found = {name: proc.pid for name, proc in platform.procs.items()}
    if platform.sms_provider is not None:
        found["sms_provider"] = platform.sms_provider.pid
    return found


def mobile(i: int) -> str:
    return f"0935{i:07d}"


REGISTRATIONS: dict[str, str] = {}  # number → the registration id its verification names


def sign_up(session: requests.Session, gateway: str, number: str) -> requests.Response:
    answer = session.post(f"{gateway}/identity/registrations", json={"mobile": number, "password": PASSWORD},
                          timeout=30)
    if answer.status_code == 202:
        REGISTRATIONS[number] = answer.json()["registration_id"]
    return answer


def log_in(session: requests.Session, gateway: str, number: str, client: str | None = None) -> requests.Response:
    """``client``: the address the gateway is to see (X-Forwarded-For; the traffic stays on loopback)."""
    headers = {"X-Forwarded-For": client} if client else {}
    return session.post(f"{gateway}/identity/sessions", json={"mobile": number, "password": PASSWORD},
                        headers=headers, timeout=30)


def code_from(text: str) -> str | None:
    """The code is the run of (Persian) digits in the SMS's first line."""
    runs = re.findall(r"[0-9]+", text.split("\n", 1)[0].translate(PERSIAN_DIGITS))
    return next((run for run in runs if len(run) == 6), None)


def signup_code(session: requests.Session, gateway: str, number: str, timeout: float = 60) -> str:
    """The sign-up code from the SMS, read through GET /notifications/messages, once it was sent."""
    deadline = time.monotonic() + timeout
    while True:
        answer = session.get(f"{gateway}/notifications/messages", params={"to": number}, timeout=30)
        messages: list[dict[str, Any]] = answer.json().get("messages", []) if answer.ok else []
        for message in messages:
            if message.get("template") == "verification_code.signup" and (code := code_from(message["text"])):
                return code
        if time.monotonic() > deadline:
            raise RuntimeError(f"no sign-up SMS for {number} after {timeout:.0f} s: {answer.status_code} "
                               f"{answer.text[:300]}")
        time.sleep(0.2)


def verify(session: requests.Session, gateway: str, number: str) -> None:
    code = signup_code(session, gateway, number)
    answer = session.post(f"{gateway}/identity/registrations/verify", timeout=30,
                          json={"mobile": number, "code": code, "registration_id": REGISTRATIONS[number]})
    if answer.status_code != 200:
        raise RuntimeError(f"verifying {number}: {answer.status_code} {answer.text[:300]}")
