"""The metrics (shared/kernel/metrics.py) move on the right outcomes: the inbox's real settle
paths (handled, duplicate, retried, dead-lettered, invalid, and nothing when the settle itself
failed), the relay's publishing, the gateway's routes by template and status, the providers'
documented failures, and the promise gauges computed on scrape."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.billing.zarinpal import GatewayUnavailable, ZarinpalClient
from services.gateway.http_edge import HttpError
from services.gateway.routing import route
from services.identity.translations import translate as identity_translate
from services.notifications.delivery import ProviderOutOfCredit, ProviderRejected, ProviderUnavailable
from services.notifications.sms import KavenegarClient
from shared.events.base import Envelope
from shared.events.ops import ClockAdvancedV1
from shared.kernel import metrics
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbox
from shared.kernel.logging import get_logger
from shared.kernel.publisher import Outgoing, PublishFailed
from shared.kernel.relay import Relay
from shared.kernel.store import AlreadyHandled, Cause
from tests.support.identity import identity_in_memory
from tests.support.relay import MemoryCheckpoint


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


# -- the inbox, through its real settle paths -------------------------------------------------------
class FakeQueueConsumer:
    def __init__(self) -> None:
        self.acked: list[Any] = []
        self.requeued: list[Any] = []

    def ack_message(self, message: Any) -> None:
        self.acked.append(message)

    def requeue_message(self, message: Any) -> None:
        self.requeued.append(message)


class FakePublisher:
    """The broker's side of a retry or dead-letter copy (outside our boundary)."""

    def __init__(self) -> None:
        self.published: list[Outgoing] = []
        self.refuse = False

    def publish_raw(self, target: Outgoing, body: Any, content_type: str) -> None:
        if self.refuse:
            raise PublishFailed("broker gone")
        self.published.append(target)

    def publish_batch(self, outgoing: list[Outgoing]) -> None:
        if self.refuse:
            raise PublishFailed("broker gone")
        self.published.extend(outgoing)


class Worker:
    """nameko's spawn_worker: runs the handler outcome a test chose, then the inbox's settle."""

    def __init__(self) -> None:
        self.raises: BaseException | None = None

    def spawn_worker(self, _provider: Any, args: tuple[Any, ...], _kwargs: Any, context_data: Any,
                     handle_result: Any) -> None:
        exc_info = None if self.raises is None else (type(self.raises), self.raises, None)
        handle_result(None, None, exc_info)


@pytest.fixture
def inbox() -> Inbox:
    found = Inbox()
    worker = Worker()
    found.container = SimpleNamespace(service_name="billing", spawn_worker=worker.spawn_worker,  # type: ignore[assignment]
                                      worker=worker)
    found.settings = Settings(service="billing", retry_delays_ms=(10, 20))
    found._publisher = FakePublisher()  # type: ignore[assignment]
    found.queue_consumer = FakeQueueConsumer()  # type: ignore[assignment]
    found._log = get_logger(component="inbox")
    return found


def delivery(attempt: int = 1, occurred_seconds_ago: float = 2.0, body: Any = None) -> tuple[Any, Any]:
    event = ClockAdvancedV1(seconds=60)
    envelope = Envelope(event_id=uuid.uuid4(), type=event.type, version=event.version,
                        occurred_at=datetime.now(UTC) - timedelta(seconds=occurred_seconds_ago),
                        producer=event.producer, producer_position=1, correlation_id="c-1",
                        payload=event.model_dump(mode="json"))
    message = SimpleNamespace(headers={"x-attempt": attempt}, properties={"message_id": str(envelope.event_id)},
                              body=b"{}", content_type="application/json", delivery_info={"routing_key": event.type})
    return (envelope.to_wire() if body is None else body), message


def outcome(outcome: str, event_type: str = ClockAdvancedV1.type) -> float:
    return value("inbox_messages_total", service="billing", event_type=event_type, outcome=outcome)


def test_a_handled_delivery_counts_as_handled_with_its_time_and_its_lag(inbox: Inbox) -> None:
    handled, timed = outcome("handled"), value("inbox_handling_seconds_count", service="billing",
                                               event_type=ClockAdvancedV1.type)
    lag_over_one = value("inbox_lag_seconds_count", service="billing", event_type=ClockAdvancedV1.type)
    lag_fast = value("inbox_lag_seconds_bucket", service="billing", event_type=ClockAdvancedV1.type, le="1.0")
    inbox.handle_message(*delivery(occurred_seconds_ago=2.0))
    assert outcome("handled") == handled + 1
    assert value("inbox_handling_seconds_count", service="billing", event_type=ClockAdvancedV1.type) == timed + 1
    assert value("inbox_lag_seconds_count", service="billing", event_type=ClockAdvancedV1.type) == lag_over_one + 1
    # appended two seconds ago: not in the one-second bucket
    assert value("inbox_lag_seconds_bucket", service="billing", event_type=ClockAdvancedV1.type, le="1.0") == lag_fast


def test_a_duplicate_counts_as_duplicate_not_handled(inbox: Inbox) -> None:
    handled, duplicate = outcome("handled"), outcome("duplicate")
    inbox.container.worker.raises = AlreadyHandled()  # type: ignore[attr-defined]
    inbox.handle_message(*delivery())
    assert (outcome("handled"), outcome("duplicate")) == (handled, duplicate + 1)


def test_a_failing_handler_is_retried_then_dead_lettered(inbox: Inbox) -> None:
    retried, dead = outcome("retried"), outcome("dead_lettered")
    inbox.container.worker.raises = RuntimeError("bug")  # type: ignore[attr-defined]
    inbox.handle_message(*delivery(attempt=1))
    inbox.handle_message(*delivery(attempt=2))
    assert (outcome("retried"), outcome("dead_lettered")) == (retried + 2, dead)
    inbox.handle_message(*delivery(attempt=3))  # two retry delays configured: the third failure is the last
    assert (outcome("retried"), outcome("dead_lettered")) == (retried + 2, dead + 1)


@pytest.mark.parametrize("body", [b"not json", {"type": "billing.unknown.v1"}, ["a", "list"], {}])
def test_an_invalid_message_counts_as_invalid_and_is_dead_lettered(inbox: Inbox, body: Any) -> None:
    invalid, dead = outcome("invalid", "unknown"), outcome("dead_lettered", "unknown")
    inbox.handle_message(*delivery(body=body))
    assert (outcome("invalid", "unknown"), outcome("dead_lettered", "unknown")) == (invalid + 1, dead)
    assert inbox._publisher.published[-1].exchange.endswith(".dead")  # type: ignore[union-attr]


def test_a_failure_that_could_not_be_settled_counts_nothing(inbox: Inbox) -> None:
    before = [outcome(each) for each in metrics.INBOX_OUTCOMES]
    inbox.container.worker.raises = RuntimeError("bug")  # type: ignore[attr-defined]
    inbox._publisher.refuse = True  # type: ignore[union-attr]
    inbox.handle_message(*delivery())
    assert [outcome(each) for each in metrics.INBOX_OUTCOMES] == before
    assert len(inbox.queue_consumer.requeued) == 1  # type: ignore[attr-defined]


# -- the relay ------------------------------------------------------------------------------------
def test_the_relay_counts_what_the_broker_confirmed_and_its_lag() -> None:
    app = identity_in_memory()
    publisher = FakePublisher()
    relay = Relay(app, identity_translate, app.settings, checkpoint=MemoryCheckpoint(),
                  publisher=publisher)  # type: ignore[arg-type]
    app.register("09121234567", "Str0ng!pass", Cause.new_request())
    published, lagged = value("relay_published_total", service="identity"), value("relay_lag_seconds_count",
                                                                                   service="identity")
    publisher.refuse = True
    with pytest.raises(PublishFailed):
        relay.publish_next_batch()
    assert value("relay_published_total", service="identity") == published  # not confirmed: not counted
    publisher.refuse = False
    relay.publish_next_batch()
    assert publisher.published
    assert value("relay_published_total", service="identity") == published + len(publisher.published)
    assert value("relay_lag_seconds_count", service="identity") == lagged + len(publisher.published)
    relay._report_lag()
    assert value("relay_backlog_events", service="identity") == 0


# -- the gateway ----------------------------------------------------------------------------------
class Routes:
    correlation_id = "c-1"
    settings = SimpleNamespace(max_body_bytes=1000)

    @route("GET", "/things/<thing_id>", "A thing", errors=("not_found",))
    def thing(self, request: Request, thing_id: str) -> Any:
        if thing_id == "missing":
            raise HttpError("not_found")
        return {"thing": thing_id}


def test_the_gateway_counts_requests_by_route_template_and_status() -> None:
    def count(status: str) -> float:
        return value("gateway_requests_total", service="gateway", route="/things/<thing_id>", method="GET",
                     status=status)

    ok, missing = count("200"), count("404")
    timed = value("gateway_request_seconds_count", service="gateway", route="/things/<thing_id>", method="GET")
    request = Request(EnvironBuilder(method="GET", path="/things/x").get_environ())
    for thing in ("a", "b", "missing"):
        Routes.thing(Routes(), request, thing_id=thing)
    assert (count("200"), count("404")) == (ok + 2, missing + 1)
    assert value("gateway_request_seconds_count", service="gateway", route="/things/<thing_id>",
                 method="GET") == timed + 3


# -- the providers --------------------------------------------------------------------------------
class Answers:
    """A requests.Session whose next answers a test sets: a body, or an exception."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)

    def post(self, url: str, **_: Any) -> Any:
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return SimpleNamespace(status_code=200, json=lambda: answer)


def kavenegar(outcome: str, operation: str = "sms/send") -> float:
    return value("provider_calls_total", service="unknown", provider="kavenegar", operation=operation,
                 outcome=outcome)


@pytest.mark.parametrize(("answer", "raised", "expected"), [
    ({"return": {"status": 418, "message": "اعتبار کافی نیست"}}, ProviderOutOfCredit, "credit_exhausted"),
    ({"return": {"status": 401, "message": "bad key"}}, ProviderRejected, "rejected"),
    ({"return": {"status": 409, "message": "later"}}, ProviderUnavailable, "failed"),
    ({"unexpected": True}, ProviderUnavailable, "failed"),
    (requests.ReadTimeout("slow"), ProviderUnavailable, "timeout"),
    (requests.ConnectionError("refused"), ProviderUnavailable, "failed"),
])
def test_kavenegar_calls_count_by_the_documented_failure(answer: Any, raised: type[Exception], expected: str) -> None:
    client = KavenegarClient("http://sms.invalid", "key", "1000", session=Answers(answer))  # type: ignore[arg-type]
    before = {each: kavenegar(each) for each in metrics.PROVIDER_OUTCOMES}
    with pytest.raises(raised):
        client.send("+989121234567", "سلام", str(uuid.uuid4()))
    assert {each: kavenegar(each) - before[each] for each in metrics.PROVIDER_OUTCOMES} == {
        each: 1.0 if each == expected else 0.0 for each in metrics.PROVIDER_OUTCOMES}


def test_a_kavenegar_call_that_was_accepted_is_ok() -> None:
    client = KavenegarClient("http://sms.invalid", "key", "1000", session=Answers(  # type: ignore[arg-type]
        {"return": {"status": 200}, "entries": [{"messageid": 7, "statustext": "queued"}]}))
    ok = kavenegar("ok")
    assert client.send("+989121234567", "سلام", str(uuid.uuid4())).provider_message_id == "7"
    assert kavenegar("ok") == ok + 1


def zarinpal(outcome: str, operation: str) -> float:
    return value("provider_calls_total", service="unknown", provider="zarinpal", operation=operation,
                 outcome=outcome)


def test_zarinpal_calls_count_ok_refused_and_timed_out() -> None:
    client = ZarinpalClient("http://pay.invalid", "merchant", retries=0)
    client.session = Answers({"data": {"code": 100, "ref_id": 5}, "errors": []},  # type: ignore[assignment]
                             {"data": [], "errors": {"code": -51, "message": "not paid"}},
                             requests.ConnectTimeout("slow"))
    before = {each: zarinpal(each, "verify") for each in metrics.PROVIDER_OUTCOMES}
    assert client.verify("A1", 10_000).code == 100
    assert client.verify("A2", 10_000).code == -51
    with pytest.raises(GatewayUnavailable):
        client.verify("A3", 10_000)
    assert {each: zarinpal(each, "verify") - before[each] for each in metrics.PROVIDER_OUTCOMES} == {
        "ok": 1, "rejected": 1, "timeout": 1, "failed": 0, "credit_exhausted": 0, "infected": 0}


# -- the promises, on scrape --------------------------------------------------------------------
def test_the_promise_gauges_are_computed_on_scrape_and_an_outage_skips_only_its_service() -> None:
    figures = {"billing_refunds_pending": 2.0, "billing_refund_oldest_age_seconds": 7200.0}
    metrics.watch("billing", lambda: dict(figures))

    def broken() -> dict[str, float]:
        raise ConnectionError("broker down")

    metrics.watch("notifications", broken)
    try:
        assert value("billing_refunds_pending", service="billing") == 2
        figures["billing_refunds_pending"] = 0.0  # read again on the next scrape
        assert value("billing_refunds_pending", service="billing") == 0
        assert value("billing_refund_oldest_age_seconds", service="billing") == 7200
        assert "notifications" not in metrics.exposition().split("billing_refunds_pending")[-1]
        metrics.watch("notifications", lambda: {"not_a_promise": 1.0})
        with pytest.raises(ValueError, match="not_a_promise"):
            metrics.exposition()
    finally:
        metrics.watch("billing", dict)
        metrics.watch("notifications", dict)


def test_the_text_format_names_what_the_alerts_use() -> None:
    text = metrics.exposition()
    for name in ("inbox_messages_total", "inbox_handling_seconds_bucket", "relay_published_total",
                 "rpc_seconds", "gateway_requests_total", "provider_calls_total"):
        assert f"# TYPE {name.removesuffix('_total').removesuffix('_bucket')}" in text, name
    assert "_created" not in text
