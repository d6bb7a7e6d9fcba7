"""The offered load: payments completed at a fixed rate, open loop (each onboarding in a
green thread of its own, started on schedule whatever the ones before it are doing). A
payment is completed as a customer's browser does it: the sandbox's pay page with outcome
`success` (the money is captured, 303 to our callback), then the callback through the
gateway, where billing verifies the payment server to server and records `PaymentSucceeded`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import eventlet
import requests

from bench.lifecycle.stack import Customer, correlation_of

SESSIONS = 64  # keep-alive connections to the gateway, shared by the green threads


@dataclass
class Offered:
    """One onboarding as the bench drove it (time.time() throughout)."""

    customer: Customer
    correlation: str
    scheduled: float = 0.0
    started: float = 0.0  # the pay page posted
    at_bank: float = 0.0  # the sandbox answered (303 to the callback)
    verified: float = 0.0  # the callback answered 200 `succeeded`: the payment is verified
    error: str = ""


@dataclass
class LoadResult:
    rate: float
    seconds: float
    offered: list[Offered] = field(default_factory=list)
    late_starts: int = 0  # green threads that started more than 50 ms after their slot

    @property
    def first_start(self) -> float:
        return min(o.started for o in self.offered)

    @property
    def last_start(self) -> float:
        return max(o.started for o in self.offered)


def complete_payment(sessions: eventlet.queue.LightQueue, offered: Offered) -> None:
    offered.started = time.time()
    try:
        # The sandbox (werkzeug's development server) closes every connection: no session there.
        at_bank = requests.post(offered.customer.redirect_url, data={"outcome": "success"}, allow_redirects=False,
                                timeout=60)
        offered.at_bank = time.time()
        if at_bank.status_code != 303:
            offered.error = f"sandbox {at_bank.status_code}: {at_bank.text[:200]}"
            return
        session = sessions.get()
        try:
            answer = session.get(at_bank.headers["Location"], timeout=60,
                                 headers={"Accept": "application/json", "X-Correlation-Id": offered.correlation})
        finally:
            sessions.put(session)
        offered.verified = time.time()
        state = answer.json().get("state") if answer.headers.get("Content-Type", "").startswith("application/json") \
            else None
        if answer.status_code != 200 or state != "succeeded":
            offered.error = f"callback {answer.status_code}: {answer.text[:200]}"
    except requests.RequestException as exc:
        offered.error = f"{type(exc).__name__}: {exc}"[:300]


def offer(customers: list[Customer], namespace: str, phase: str, rate: float) -> LoadResult:
    """Complete one payment every 1/rate seconds, each in its own green thread; returns once
    every callback has answered (not once the onboardings are complete: the tap sees that)."""
    result = LoadResult(rate, len(customers) / rate)
    sessions: eventlet.queue.LightQueue = eventlet.queue.LightQueue()
    for _ in range(SESSIONS):
        sessions.put(requests.Session())
    pool = eventlet.GreenPool(10_000)
    begin = time.time() + 0.2
    for n, customer in enumerate(customers):
        offered = Offered(customer, correlation_of(namespace, phase, customer), scheduled=begin + n / rate)
        result.offered.append(offered)
        delay = offered.scheduled - time.time()
        if delay > 0:
            eventlet.sleep(delay)
        elif delay < -0.05:
            result.late_starts += 1
        pool.spawn_n(complete_payment, sessions, offered)
    pool.waitall()
    while not sessions.empty():
        sessions.get().close()
    return result
