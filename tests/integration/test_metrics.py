"""Every process's Prometheus metrics after one onboarding on the whole platform (issue #17):
each answers in the text format on its own port, /health names that port, and the counters
match what happened — each consumer handled each event of the onboarding once, the relays
counted what they published, the gateway counted our requests by route and status, the SMS
provider's calls that succeeded are the SMS its phone received, and the promises are kept."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from shared.events.catalog import SERVICES, spec_for
from tests.e2e.journey import PASSWORD, Person, expect, start_platform
from tests.support.billing import HTTP_ORDER
from tests.support.processes import Platform, wait_until

Samples = list[tuple[str, dict[str, str], float]]
ONBOARDING_EVENTS = ("UserRegistered", "VerificationCodeIssued", "PaymentSucceeded")


def scrape(url: str) -> Samples:
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain"), answer.text[:300]
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(answer.text)
            for s in family.samples]


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(value for found, given, value in samples
               if found == name and all(given.get(k) == v for k, v in labels.items()))


def everywhere(platform: Platform) -> dict[str, Samples]:
    return {service: scrape(url) for service, url in platform.metrics_urls.items()}


def outcomes(samples: Samples, service: str) -> set[str]:
    return {given["outcome"] for name, given, value in samples
            if name == "inbox_messages_total" and given["service"] == service and value}


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_after_an_onboarding_every_process_counts_what_happened(platform: Platform) -> None:
    gateway = start_platform(platform)
    person = Person(gateway, "09121250001")
    person.sign_up()
    person.verify(person.code_from_sms())
    refused = gateway.ask("POST", "/identity/sessions", {"mobile": person.mobile, "password": PASSWORD + "x"})
    assert refused.status_code == 401, refused.text
    person.log_in()
    placed, paid = person.order_and_pay(HTTP_ORDER)
    assert paid["state"] == "succeeded", paid
    person.wait_active(placed["tenant_id"])

    # /health names each process's metrics; each is the port the platform gave it.
    health = expect(gateway.ask("GET", "/health"), 200, "health")["services"]
    assert {name: health[name]["metrics_url"] for name in (*SERVICES, "gateway")} == platform.metrics_urls

    def consumed_once() -> dict[str, Samples] | None:
        found = everywhere(platform)
        handled = {(event, consumer): total(found[consumer], "inbox_messages_total", service=consumer,
                                            event_type=event, outcome="handled")
                   for event in ONBOARDING_EVENTS for consumer in spec_for(event).consumers}
        return found if all(count == 1 for count in handled.values()) else None

    metrics = wait_until(consumed_once, timeout=30, interval=0.5,
                         what="every consumer to count each onboarding event handled once")
    for service, samples in metrics.items():
        assert {given.get("service") for _, given, _ in samples} == {service}, f"{service} labels another service"
        assert outcomes(samples, service) <= {"handled", "duplicate"}, (service, outcomes(samples, service))
        if service != "gateway":
            assert total(samples, "deadletters_waiting", service=service) == 0, service
            assert total(samples, "rpc_seconds_count", service=service, method="health") >= 1, service

    # The relay counted what it published: its own health says the same number.
    for service in ("identity", "billing"):
        assert wait_until(lambda s=service: total(scrape(platform.metrics_urls[s]), "relay_published_total")
                          == gateway.health()[s]["relay_published"] > 0, timeout=20, what=f"{service}'s relay")

    # The gateway, by route template and status.
    requests_of = metrics["gateway"]
    assert total(requests_of, "gateway_requests_total", route="/identity/registrations", method="POST",
                 status="202") == 1
    assert total(requests_of, "gateway_requests_total", route="/identity/sessions", method="POST", status="401") == 1
    assert total(requests_of, "gateway_requests_total", route="/identity/sessions", method="POST", status="200") >= 1
    assert total(requests_of, "gateway_requests_total", route="/billing/payments/<payment_id>", method="GET",
                 status="200") >= 1
    assert not any("/billing/payments/" in given.get("route", "") and paid["payment_id"] in given["route"]
                   for _, given, _ in requests_of)  # templates, never paths
    assert total(requests_of, "gateway_request_seconds_count", route="/identity/registrations") == 1

    # The outside parties: one payment asked for; every SMS the phone got is one accepted call.
    billing = metrics["billing"]
    assert total(billing, "provider_calls_total", provider="zarinpal", operation="request", outcome="ok") == 1
    assert total(billing, "provider_calls_total", provider="zarinpal", operation="verify", outcome="ok") >= 1
    assert _failed(billing, "zarinpal") == 0
    wait_until(lambda: _sms_calls(scrape(platform.metrics_urls["notifications"])) == len(person.sms()) >= 3,
               timeout=30, interval=0.5, what="the SMS provider's accepted calls to match the SMS received")
    assert _failed(scrape(platform.metrics_urls["notifications"]), "kavenegar") == 0

    # The promises (BI-2, ID-2, AR-1) hold.
    assert total(billing, "billing_refunds_pending") == 0 and total(billing, "billing_refund_oldest_age_seconds") == 0
    assert total(metrics["notifications"], "notifications_sms_undelivered") == 0
    assert ("archival_tenants_due_for_deletion", {"service": "archival"}, 0.0) in metrics["archival"]


def _sms_calls(samples: Samples) -> float:
    return sum(total(samples, "provider_calls_total", provider="kavenegar", operation=operation, outcome="ok")
               for operation in ("sms/send", "verify/lookup"))


def _failed(samples: Samples, provider: str, outcomes: Iterable[str] = ("failed", "timeout", "rejected",
                                                                         "credit_exhausted")) -> float:
    return sum(total(samples, "provider_calls_total", provider=provider, outcome=each) for each in outcomes)
