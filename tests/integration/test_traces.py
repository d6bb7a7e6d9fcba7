"""One request's trace reaches the last consumer of an onboarding (issue #17): real gateway,
identity, billing, provisioning and notifications processes, each exporting its spans over
OTLP/HTTP to a local collector (tests/support/otlp.py). The bank sends the customer's browser
back to our callback carrying a known ``traceparent``; that one trace then holds every hop,
each the child of the one before it:

  the gateway's request → billing's RPC → billing publishing PaymentSucceeded
                                         → provisioning handling it → provisioning publishing
                                           TenantProvisioned → notifications handling it (the
                                           SMS telling the customer the business is ready)

and the processes' JSON logs carry the same trace id."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.billing import Client
from tests.support.network import free_port
from tests.support.otlp import ReceivedSpan, collector
from tests.support.processes import Platform, wait_until

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE}-00f067aa0ba902b7-01"  # the span of whoever called the gateway (not ours)
WAIT = 90  # seconds: the machine is slow and shared


def one(spans: list[ReceivedSpan], service: str, name: str) -> ReceivedSpan:
    found = [s for s in spans if s.service == service and s.name == name]
    assert len(found) == 1, f"expected one {name!r} from {service}, got {found} among {spans}"
    return found[0]


def logged_with_trace(platform: Platform, service: str, event: str, **fields: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in platform.log_text(service).splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == event and line.get("trace_id") == TRACE
            and all(line.get(key) == value for key, value in fields.items())]


# SQLite: the trace does not depend on the store, and the machine is shared.
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_one_request_is_one_trace_to_the_last_consumer_of_an_onboarding(platform: Platform) -> None:
    with collector() as received:
        exporting = {"OTEL_EXPORTER_OTLP_ENDPOINT": received.url}
        address = f"127.0.0.1:{free_port()}"
        for service in ("identity", "notifications", "provisioning"):
            platform.start(service, **exporting)
        # The reconciler waits: the callback, and so the caller's trace, is what settles the payment.
        platform.start("billing", PUBLIC_BASE_URL=f"http://{address}", PAYMENT_INQUIRY_AFTER_SECONDS="600",
                       **exporting)
        platform.start("gateway", WEB_SERVER_ADDRESS=address, **exporting)

        customer = Client(f"http://{address}", platform)
        started = customer.order_and_pay()
        at_bank = requests.post(started["redirect_url"], data={"outcome": "success"}, allow_redirects=False,
                                timeout=30)
        assert at_bank.status_code == 303, at_bank.text
        back = requests.get(at_bank.headers["Location"], allow_redirects=False, timeout=60,
                            headers={"traceparent": CALLER, "Accept": "application/json"})
        assert back.status_code == 200 and back.json()["state"] == "succeeded", back.text

        # Each process exports on its own schedule: the gateway's span may arrive after the last hop's.
        expected = {("gateway", "GET /billing/payments/<payment_id>/callback"),
                    ("billing", "rpc billing.payment_callback"), ("billing", "publish PaymentSucceeded"),
                    ("provisioning", "handle PaymentSucceeded"), ("provisioning", "publish TenantProvisioned"),
                    ("notifications", "handle TenantProvisioned")}

        def every_hop() -> list[ReceivedSpan] | None:
            spans = received.spans(TRACE)
            return spans if expected <= {(s.service, s.name) for s in spans} else None

        spans = wait_until(every_hop, timeout=WAIT, interval=0.5,
                           what="every hop, to notifications' delivery of TenantProvisioned, in the caller's trace")

    request = one(spans, "gateway", "GET /billing/payments/<payment_id>/callback")
    assert request.kind == "SPAN_KIND_SERVER" and request.parent_id == CALLER.split("-")[2]
    assert request.attributes["http.response.status_code"] == 200
    settled = one(spans, "billing", "rpc billing.payment_callback")
    assert settled.kind == "SPAN_KIND_SERVER" and settled.parent_id == request.span_id
    assert one(spans, "billing", "publish PaymentSucceeded").parent_id == settled.span_id
    provisioned = one(spans, "provisioning", "handle PaymentSucceeded")
    assert provisioned.kind == "SPAN_KIND_CONSUMER" and provisioned.parent_id == settled.span_id
    assert one(spans, "provisioning", "publish TenantProvisioned").parent_id == provisioned.span_id
    told = one(spans, "notifications", "handle TenantProvisioned")
    assert told.kind == "SPAN_KIND_CONSUMER" and told.parent_id == provisioned.span_id
    assert told.attributes["messaging.consumer.group.name"] == "notifications"
    assert not [s for s in spans if s.failed], "a hop of a successful onboarding reported a failure"

    # The logs say the same, with the trace id the caller gave.
    assert logged_with_trace(platform, "notifications", "inbox.handled", type="TenantProvisioned")
    assert logged_with_trace(platform, "provisioning", "inbox.handled", type="PaymentSucceeded")
