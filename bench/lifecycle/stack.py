"""The whole platform as `make run` starts it, every service its own process (the tests'
`Platform`, which runs `shared.kernel.runner` like tools/run_platform.py), on PostgreSQL
stores, with the development SMS provider and the payment sandbox; and the customers the
load needs, prepared through the gateway before anything is timed."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import eventlet
import requests

from bench.lifecycle.env import SERVICES, LifecycleEnv
from shared.kernel.tokens import development_signing_keys, issue_access_token
from tests.support.network import free_port
from tests.support.processes import Platform

PASSWORD = "Str0ng!pass-bench"
BUSINESS_TYPES = ("service", "manufacturing", "trading")
# Every bench request comes from 127.0.0.1: identity's per-address cap on codes must not apply.
IDENTITY_ENV = {"CODES_PER_CLIENT_ADDRESS_PER_HOUR": "1000000"}
PREPARE_CONCURRENCY = 4
# PostgreSQL's max_connections (a server's default 100) bounds the whole platform. Each service
# keeps 4 of its store's connections open and opens up to 6 more on demand (its 20 inbox workers
# take turns beyond that), plus its relay's and its key vault's: 6 × 12 = 72 at most.
POOL_ENV = {"POSTGRES_POOL_SIZE": "4", "POSTGRES_MAX_OVERFLOW": "6"}



def start(env: LifecycleEnv, store: str = "postgres") -> tuple[Platform, str]:
    """Every service and the gateway as its own process, on PostgreSQL; the gateway's URL."""
    platform = Platform(env.settings("bench", store=store))
    address = f"127.0.0.1:{free_port()}"
    extra: dict[str, dict[str, str]] = {
        "identity": IDENTITY_ENV,
        # The callback the sandbox sends the browser to is the gateway's.
        "billing": {"PUBLIC_BASE_URL": f"http://{address}"},
        "gateway": {"WEB_SERVER_ADDRESS": address},
    }
    pool = POOL_ENV if store == "postgres" else {}
    try:
        for service in (*SERVICES, "gateway"):  # notifications and billing start their helpers
            _start(platform, service, pool | extra.get(service, {}))
    except BaseException:
        platform.stop_all()
        raise
    return platform, f"http://{address}"


def _start(platform: Platform, service: str, env: dict[str, str], attempts: int = 60) -> None:
    """Start a service; while PostgreSQL refuses connections because another run on this
    machine holds them all, try again every 10 s (at most ``attempts`` times)."""
    for attempt in range(attempts):
        try:
            platform.start(service, **env)
            return
        except AssertionError as exc:
            if "too many clients" not in str(exc) or attempt == attempts - 1:
                raise
            platform.procs.pop(service, None)
            print(f"  {service}: PostgreSQL has no connection free (another run holds them); again in 10 s",
                  file=sys.stderr, flush=True)
            time.sleep(10)


def pids(platform: Platform) -> dict[str, int]:
    found = {name: proc.pid for name, proc in platform.procs.items()}
    if platform.sms_provider is not None:
        found["sms_provider"] = platform.sms_provider.pid
    if platform.payment_sandbox is not None:
        found["payment_sandbox"] = platform.payment_sandbox.pid
    return found


@dataclass
class Customer:
    """A registered user with an order and a payment started, waiting at the bank's page."""

    index: int
    mobile: str
    user_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    order_id: str = ""
    payment_id: str = ""
    redirect_url: str = ""


def order_for(index: int) -> dict[str, Any]:
    """A new business: the accounting suite for 12 months, the three charts in turn."""
    return {"business_name": f"کسب‌وکار آزمون {index}", "business_type": BUSINESS_TYPES[index % 3],
            "products": ["accounting"], "period_months": 12}


def _expect(send: Callable[[], requests.Response], status: int, what: str) -> dict[str, Any]:
    """The answer's JSON; a 503 (a service busy or restarting) is asked again, up to 5 times."""
    for attempt in range(6):
        answer = send()
        if answer.status_code != 503 or attempt == 5:
            break
        time.sleep(2)
    if answer.status_code != status:
        raise RuntimeError(f"{what}: {answer.status_code} {answer.text[:300]}")
    return dict(answer.json())


def prepare(platform: Platform, gateway: str, indices: range) -> list[Customer]:
    """Sign each customer up (identity announces the number to notifications and tenancy), then
    place an order and start its payment through the gateway: everything before the bank."""
    private_key = development_signing_keys(platform.settings.var_dir / "keys")[0]
    sessions = eventlet.queue.LightQueue()
    for _ in range(PREPARE_CONCURRENCY):
        sessions.put(requests.Session())

    def one(index: int) -> Customer:
        session = sessions.get()
        try:
            customer = Customer(index, f"0936{index:07d}")
            signed_up = _expect(lambda: session.post(f"{gateway}/identity/registrations", timeout=60,
                                                     json={"mobile": customer.mobile, "password": PASSWORD}),
                                202, f"signing up {customer.mobile}")
            customer.user_id = signed_up["user_id"]
            token = issue_access_token(private_key, customer.user_id, [], datetime.now(UTC))
            customer.headers = {"Authorization": f"Bearer {token}"}
            placed = _expect(lambda: session.post(f"{gateway}/billing/orders", json=order_for(index), timeout=60,
                                                  headers=customer.headers | {"Idempotency-Key": f"bench-{index}"}),
                             201, "placing an order")
            customer.order_id = placed["order_id"]
            paying = {"Idempotency-Key": f"bench-pay-{index}"}
            started = _expect(lambda: session.post(f"{gateway}/billing/orders/{customer.order_id}/payments",
                                                   headers=customer.headers | paying, timeout=60),
                              201, "starting a payment")
            customer.payment_id, customer.redirect_url = started["payment_id"], started["redirect_url"]
            return customer
        finally:
            sessions.put(session)

    pool = eventlet.GreenPool(PREPARE_CONCURRENCY)
    customers = list(pool.imap(one, indices))
    while not sessions.empty():
        sessions.get().close()
    return customers


def correlation_of(namespace: str, phase: str, customer: Customer) -> str:
    """The X-Correlation-Id of a customer's callback: every event the onboarding causes carries it."""
    return f"{namespace}-{phase}-{customer.index}"
