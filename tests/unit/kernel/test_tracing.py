"""W3C trace context (issue #17): what a ``traceparent`` is and is not, a trace begun where none
arrives, the context handed on as it came when nothing is exported, and the spans exported
when an exporter is configured — children of the context they continue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from shared.events.base import Envelope
from shared.kernel.config import Settings
from shared.kernel.tracing import MAX_LENGTH, TraceParent, Tracing, parse, traces_url

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
HEADER = f"00-{TRACE}-{PARENT}-01"


def finished(tracing: Tracing, spans: InMemorySpanExporter) -> list[Any]:
    tracing.flush()
    return list(spans.get_finished_spans())


def envelope(traceparent: str | None, type_: str = "PaymentSucceeded") -> Envelope:
    return Envelope(event_id=uuid.uuid4(), type=type_, version=1, occurred_at=datetime.now(UTC), producer="billing",
                    producer_position=7, correlation_id="req-1", traceparent=traceparent, payload={})


# -- parsing --------------------------------------------------------------------------------------


def test_a_valid_header_is_read_field_by_field() -> None:
    assert parse(HEADER) == TraceParent(TRACE, PARENT, "01")
    assert parse(f" \t{HEADER}\t ") == TraceParent(TRACE, PARENT, "01")  # optional white space around it
    assert parse(f"00-{TRACE}-{PARENT}-00") == TraceParent(TRACE, PARENT, "00")  # not sampled, still a trace
    assert str(parse(HEADER)) == HEADER


def test_a_later_version_is_read_by_its_first_four_fields_and_handed_on_as_version_00() -> None:
    found = parse(f"cc-{TRACE}-{PARENT}-01-some-future-field")
    assert found == TraceParent(TRACE, PARENT, "01") and str(found) == HEADER


@pytest.mark.parametrize("malformed", [
    "", "-", "garbage", HEADER.upper(), HEADER[:-1], HEADER + "0", HEADER.replace("-", "_"),
    f"00-{TRACE}-{PARENT}-01-extra",  # version 00 has exactly four fields
    f"ff-{TRACE}-{PARENT}-01",  # ff is no version
    f"00-{'0' * 32}-{PARENT}-01", f"00-{TRACE}-{'0' * 16}-01",  # all-zero ids
    f"00-{TRACE[:-1]}g-{PARENT}-01", f"00-{TRACE}-{PARENT}",
    f"00-۴{TRACE[1:]}-{PARENT}-01",  # a Persian digit is no hex digit
    f"{HEADER}\n{{\"level\": \"error\", \"event\": \"forged\"}}",  # a second log line smuggled in
    f"{HEADER}\r\nX-Injected: 1", f"cc-{TRACE}-{PARENT}-01-{'a' * MAX_LENGTH}",  # far too long for any version
    f"cc-{TRACE}-{PARENT}-01-\x00\x1b[31m",  # control characters in a later version's fields
])
def test_a_malformed_header_is_no_trace_context(malformed: str) -> None:
    assert parse(malformed) is None


@pytest.mark.parametrize("not_text", [None, 42, b"00-" + TRACE.encode(), [HEADER], {"traceparent": HEADER}])
def test_what_is_not_text_is_no_trace_context(not_text: object) -> None:
    assert parse(not_text) is None


def test_a_new_trace_has_random_valid_ids_and_is_sampled() -> None:
    first, second = TraceParent.start(), TraceParent.start()
    assert parse(str(first)) == first and first.flags == "01"
    assert len(first.trace_id) == 32 and len(first.parent_id) == 16
    assert first.trace_id != second.trace_id and first.parent_id != second.parent_id


# -- nothing exported -----------------------------------------------------------------------------


def test_unexported_the_context_is_handed_on_as_it_came_or_a_trace_begins() -> None:
    tracing = Tracing()
    tracing.configure(Settings(service="billing", otlp_endpoint=""))
    assert not tracing.exporting
    continued = tracing.start("rpc billing.payment_callback", TraceParent(TRACE, PARENT), "server")
    assert continued.context == TraceParent(TRACE, PARENT)
    continued.end(error=RuntimeError("nothing to report it to"))  # and nothing fails
    begun = tracing.start("handle X", None, "consumer").context
    assert parse(str(begun)) == begun and begun.trace_id != TRACE
    assert tracing.delivery(envelope(HEADER), "provisioning", 1).context == TraceParent(TRACE, PARENT)
    with tracing.publishing([envelope(HEADER)]):
        pass


def test_the_endpoint_is_a_base_url_and_anything_else_is_refused_at_start() -> None:
    assert traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert traces_url("https://collector:4318/") == "https://collector:4318/v1/traces"
    with pytest.raises(ValueError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        Tracing().configure(Settings(service="billing", otlp_endpoint="collector:4318"))


# -- exported -------------------------------------------------------------------------------------


def test_an_exported_span_is_a_child_of_the_context_it_continues(exported: tuple[Tracing, InMemorySpanExporter]
                                                                  ) -> None:
    tracing, spans = exported
    span = tracing.start("rpc billing.payment_callback", TraceParent(TRACE, PARENT), "server",
                         {"rpc.method": "payment_callback"})
    span.end()
    (reported,) = finished(tracing, spans)
    assert reported.name == "rpc billing.payment_callback" and reported.kind == SpanKind.SERVER
    assert f"{reported.context.trace_id:032x}" == TRACE and f"{reported.parent.span_id:016x}" == PARENT
    assert reported.parent.is_remote and reported.attributes["rpc.method"] == "payment_callback"
    # What it hands on is itself: the next hop is its child.
    assert span.context == TraceParent(TRACE, f"{reported.context.span_id:016x}", "01")
    assert reported.resource.attributes["service.name"] == "billing"
    assert reported.resource.attributes["service.namespace"] == "t1"


def test_without_a_context_an_exported_span_begins_a_trace(exported: tuple[Tracing, InMemorySpanExporter]) -> None:
    tracing, spans = exported
    span = tracing.start("GET /health", None, "server")
    span.end()
    (reported,) = finished(tracing, spans)
    assert reported.parent is None and span.context.trace_id == f"{reported.context.trace_id:032x}"


def test_a_caller_that_did_not_sample_is_obeyed_but_its_trace_id_still_travels(
        exported: tuple[Tracing, InMemorySpanExporter]) -> None:
    tracing, spans = exported
    span = tracing.start("rpc billing.order", TraceParent(TRACE, PARENT, "00"), "server")
    span.end()
    assert finished(tracing, spans) == [] and span.context.trace_id == TRACE and span.context.flags == "00"


def test_a_failure_is_reported_by_its_type_never_its_message(exported: tuple[Tracing, InMemorySpanExporter]) -> None:
    tracing, spans = exported
    span = tracing.start("handle UserRegistered", None, "consumer")
    span.end(error=ValueError("+989121234567 is already registered"))
    span.end()  # once only
    (reported,) = finished(tracing, spans)
    assert reported.status.status_code == StatusCode.ERROR and reported.status.description == "ValueError"


def test_a_delivery_is_a_consumer_span_under_the_envelopes_context(exported: tuple[Tracing, InMemorySpanExporter]
                                                                    ) -> None:
    tracing, spans = exported
    sent = envelope(HEADER)
    delivery = tracing.delivery(sent, "provisioning", 2)
    delivery.end()
    (reported,) = finished(tracing, spans)
    assert reported.name == "handle PaymentSucceeded" and reported.kind == SpanKind.CONSUMER
    assert f"{reported.parent.span_id:016x}" == PARENT and delivery.context.trace_id == TRACE
    assert reported.attributes["messaging.message.id"] == str(sent.event_id)
    assert reported.attributes["messaging.consumer.group.name"] == "provisioning"
    assert reported.attributes["platform.attempt"] == 2


def test_each_envelope_published_is_a_producer_span_ended_when_the_batch_is_confirmed_or_failed(
        exported: tuple[Tracing, InMemorySpanExporter]) -> None:
    tracing, spans = exported
    traced, untraced = envelope(HEADER), envelope(None, "OrderPlaced")
    with tracing.publishing([traced, untraced]):
        assert finished(tracing, spans) == []  # not before the broker confirmed
    published = {s.name: s for s in finished(tracing, spans)}
    assert set(published) == {"publish PaymentSucceeded", "publish OrderPlaced"}
    assert published["publish PaymentSucceeded"].kind == SpanKind.PRODUCER
    assert f"{published['publish PaymentSucceeded'].context.trace_id:032x}" == TRACE
    assert published["publish OrderPlaced"].parent is None  # an event from before traces: a trace of its own
    spans.clear()
    with pytest.raises(ConnectionError), tracing.publishing([traced]):
        raise ConnectionError("broker gone")
    (failed,) = finished(tracing, spans)
    assert failed.status.status_code == StatusCode.ERROR and failed.status.description == "ConnectionError"
