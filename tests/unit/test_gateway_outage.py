"""The gateway's side of an outage (issue #20), without a broker: an RPC that cannot reach the
broker or the service is asked again for a few seconds and then answered 503 with
Retry-After; a bank callback billing could not take is remembered and handed over."""

from __future__ import annotations

from typing import Any

import pytest
from kombu.exceptions import OperationalError

from services.gateway import http_edge
from services.gateway.http_edge import HttpError, call
from services.gateway.missed_callbacks import MissedCallbacks


class FlakyBilling:
    """Stands in for nameko's RpcProxy: fails ``failures`` times as a restarting broker does."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def payment(self, *args: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return {"ok": {"state": "succeeded"}}


@pytest.mark.parametrize("error", [OperationalError("broker gone"), ConnectionRefusedError(111, "refused")])
def test_a_call_rides_out_a_short_broker_restart(error: Exception) -> None:
    billing = FlakyBilling(2, error)
    assert call(billing, "payment", "u", "p") == {"state": "succeeded"}  # type: ignore[arg-type]
    assert billing.calls == 3


def test_a_broker_that_stays_away_is_a_503_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_edge, "RPC_RECONNECT_SECONDS", 0.5)
    billing = FlakyBilling(1000, OperationalError("broker gone"))
    with pytest.raises(HttpError) as refused:
        call(billing, "payment", "u", "p")  # type: ignore[arg-type]
    assert refused.value.code == "service_unavailable" and refused.value.details["retry_after"] > 0
    assert 1 < billing.calls < 10  # bounded: a few tries, not a spin


def test_a_domain_refusal_is_not_retried() -> None:
    class Refusing:
        calls = 0

        def payment(self, *args: Any) -> dict[str, Any]:
            Refusing.calls += 1
            return {"error": "not_found", "details": {}}

    with pytest.raises(HttpError) as refused:
        call(Refusing(), "payment", "u", "p")  # type: ignore[arg-type]
    assert refused.value.code == "not_found" and Refusing.calls == 1


def test_missed_callbacks_are_handed_over_until_taken() -> None:
    missed = MissedCallbacks()
    missed.remember("p1", "A1", "OK")
    missed.remember("p2", "A2", "NOK")
    missed.remember("p1", "A1", "OK")  # the browser asked twice: one entry
    assert len(missed) == 2
    billing_back = {"p1"}
    handed: list[tuple[str, str, str]] = []

    def deliver(payment_id: str, authority: str, status: str) -> bool:
        handed.append((payment_id, authority, status))
        return payment_id in billing_back

    assert missed.hand_over(deliver) == 1
    billing_back.add("p2")
    assert missed.hand_over(deliver) == 0 and len(missed) == 0
    assert handed == [("p1", "A1", "OK"), ("p2", "A2", "NOK"), ("p2", "A2", "NOK")]


def test_a_store_that_cannot_be_reached_is_answered_as_unavailable_not_as_a_bug() -> None:
    from eventsourcing.persistence import OperationalError as StoreUnreachable

    from shared.kernel.nameko_edge import answers

    @answers
    def payment(payment_id: str) -> dict[str, Any]:
        raise StoreUnreachable("server closed the connection unexpectedly")

    @answers
    def buggy(payment_id: str) -> dict[str, Any]:
        raise KeyError("a bug")

    answer = payment("p")
    assert answer["error"] == "service_unavailable" and answer["details"]["retry_after"] > 0

    class Billing:
        def payment(self, *args: Any) -> dict[str, Any]:
            return answer

    with pytest.raises(HttpError) as refused:
        call(Billing(), "payment", "p")  # type: ignore[arg-type]
    assert refused.value.code == "service_unavailable" and refused.value.details["retry_after"] > 0
    with pytest.raises(KeyError):
        buggy("p")  # a bug still propagates (a 500 the log explains)


def test_a_database_shutting_down_is_unavailable_whichever_layer_noticed() -> None:
    """psycopg's own error (the key vault's connection, the pool's) reaches the RPC unwrapped
    when PostgreSQL is shutting down: seen in the database-restart burst (issue #20)."""
    import psycopg

    from shared.kernel.nameko_edge import answers

    @answers
    def payment_callback(payment_id: str) -> dict[str, Any]:
        raise psycopg.OperationalError("FATAL:  the database system is shutting down")

    assert payment_callback("p")["error"] == "service_unavailable"
