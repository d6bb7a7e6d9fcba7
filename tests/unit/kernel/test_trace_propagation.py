"""The trace context's way through the platform (issue #17), hop by hop without a broker: the
gateway's request → the RPC's worker context → the events a change records → the relay's
envelope → the inbox's delivery → the events its handler records (after it too). A context
that cannot be read is never handed on nor logged: a new trace begins in its place."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from services.gateway.http_edge import RequestTrace
from services.identity.translations import translate as identity_events
from services.provisioning import policies as provisioning
from services.provisioning.translations import translate as provisioning_events
from shared.kernel import nameko_edge
from shared.kernel.inbox import Inbound
from shared.kernel.nameko_edge import EventSourcedApp, RequestCause, rpc_trace
from shared.kernel.relay import envelope_for
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.tracing import HEADER, Span, TraceParent, Tracing, parse
from tests.support.identity import identity_in_memory
from tests.support.provisioning import provisioning_app
from tests.support.provisioning_orders import envelope, payment

CALLER = TraceParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
HOSTILE = [
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n{"level": "error", "event": "forged"}',
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", "'; DROP TABLE events; --", "x" * 5000,
]


class Worker:
    """What a provider reads of nameko's WorkerContext (weakly referable, as that is)."""

    def __init__(self, entrypoint: Any, data: dict[str, Any] | None = None, args: tuple[Any, ...] = ()) -> None:
        self.entrypoint, self.data, self.args = entrypoint, data if data is not None else {}, args
        self.container = type("Container", (), {"service_name": "billing"})()
        self.call_id = "billing.payment_callback.1"


def rpc(method: str = "payment_callback") -> Rpc:
    entry = Rpc()
    entry.method_name = method
    return entry


def http_request(traceparent: str | None = None) -> Request:
    environ = EnvironBuilder(method="GET", path=f"/billing/payments/{uuid.uuid4()}/callback").get_environ()
    if traceparent is not None:  # as the server hands it over, newlines and all
        environ["HTTP_TRACEPARENT"] = traceparent
    return Request(environ)


@pytest.fixture(autouse=True)
def fresh_log_context() -> Iterator[None]:
    structlog.contextvars.clear_contextvars()
    yield
    structlog.contextvars.clear_contextvars()


@pytest.fixture
def exported(exported: tuple[Tracing, InMemorySpanExporter],
             monkeypatch: pytest.MonkeyPatch) -> tuple[Tracing, InMemorySpanExporter]:
    """Spans exported by the edge's providers, into memory (the kernel's fixture, at the edge)."""
    monkeypatch.setattr(nameko_edge, "TRACING", exported[0])
    return exported


def logged_trace_id() -> Any:
    return structlog.contextvars.get_contextvars().get("trace_id")


# -- the gateway ----------------------------------------------------------------------------------


def test_the_gateway_continues_the_callers_trace_and_hands_it_to_every_rpc() -> None:
    worker = Worker(HttpRequestHandler("GET", "/billing/payments/<payment_id>/callback"),
                    args=(http_request(traceparent=str(CALLER)),))
    assert RequestTrace().get_dependency(worker) == CALLER  # nothing exported: handed on as it came
    assert worker.data[HEADER] == str(CALLER) and logged_trace_id() == CALLER.trace_id


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_traceparent_header_starts_a_new_trace_and_never_reaches_a_log(hostile: str) -> None:
    worker = Worker(HttpRequestHandler("GET", "/billing/payments/<payment_id>/callback"),
                    args=(http_request(traceparent=hostile),))
    begun = RequestTrace().get_dependency(worker)
    assert begun is not None and begun.trace_id != CALLER.trace_id
    assert parse(worker.data[HEADER]) == begun and logged_trace_id() == begun.trace_id
    assert all(hostile not in str(value) for value in structlog.contextvars.get_contextvars().values())


def test_a_request_without_a_trace_begins_one_and_a_timer_has_none() -> None:
    worker = Worker(HttpRequestHandler("GET", "/health"), args=(http_request(),))
    assert parse(worker.data.get(HEADER)) is None
    assert RequestTrace().get_dependency(worker) == parse(worker.data[HEADER])
    timer = Worker(Timer(interval=3))
    assert RequestTrace().get_dependency(timer) is None and HEADER not in timer.data


def test_the_gateway_reports_its_request_with_the_answers_status(exported: tuple[Tracing, InMemorySpanExporter],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    tracing, spans = exported
    from services.gateway import http_edge

    monkeypatch.setattr(http_edge, "TRACING", tracing)
    provider = RequestTrace()
    worker = Worker(HttpRequestHandler("GET", "/billing/payments/<payment_id>/callback"),
                    args=(http_request(traceparent=str(CALLER)),))
    handed_on = provider.get_dependency(worker)
    provider.worker_result(worker, Response("", 503))
    tracing.flush()
    (span,) = spans.get_finished_spans()
    assert span.name == "GET /billing/payments/<payment_id>/callback"  # the route, not the ids in the path
    assert f"{span.parent.span_id:016x}" == CALLER.parent_id and handed_on == TraceParent(
        CALLER.trace_id, f"{span.context.span_id:016x}")
    assert span.attributes["http.response.status_code"] == 503 and not span.status.is_ok


# -- an RPC ---------------------------------------------------------------------------------------


def test_an_rpc_continues_its_callers_trace_in_the_cause_of_its_change() -> None:
    worker = Worker(rpc(), {"correlation_id": "req-1", HEADER: str(CALLER)})
    cause = RequestCause().get_dependency(worker)
    assert cause == Cause("req-1", traceparent=str(CALLER))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_an_rpc_with_a_hostile_context_begins_a_trace_of_its_own(hostile: str) -> None:
    worker = Worker(rpc(), {"correlation_id": "req-1", HEADER: hostile})
    provider = EventSourcedApp(lambda settings: None)
    provider.app = ServiceApplication.__new__(ServiceApplication)  # never used: only the binding is
    provider.get_dependency(worker)
    cause = RequestCause().get_dependency(worker)
    begun = parse(cause.traceparent)
    assert begun is not None and begun.trace_id != CALLER.trace_id
    assert worker.data[HEADER] == cause.traceparent  # its own calls carry it on
    assert logged_trace_id() == begun.trace_id
    assert all(hostile not in str(value) for value in structlog.contextvars.get_contextvars().values())


def test_one_span_per_rpc_whichever_provider_asks_first(exported: tuple[Tracing, InMemorySpanExporter]) -> None:
    tracing, spans = exported
    worker = Worker(rpc("place_order"), {HEADER: str(CALLER)})
    provider = EventSourcedApp(lambda settings: None)
    cause = RequestCause().get_dependency(worker)
    assert rpc_trace(worker) == parse(cause.traceparent)  # the same span, asked again
    provider.worker_result(worker, {"error": "invoice_outdated"})
    provider.worker_result(worker, {"ok": "twice"})  # ended once
    tracing.flush()
    (span,) = spans.get_finished_spans()
    assert span.name == "rpc billing.place_order" and f"{span.parent.span_id:016x}" == CALLER.parent_id
    assert cause.traceparent == str(TraceParent(CALLER.trace_id, f"{span.context.span_id:016x}"))
    assert span.attributes["platform.answer.error"] == "invoice_outdated" and span.status.is_ok


def test_an_inbox_worker_keeps_its_deliverys_context_and_a_timer_has_none() -> None:
    delivered = Worker(object(), {HEADER: str(CALLER)})
    assert rpc_trace(delivered) == CALLER and delivered.data[HEADER] == str(CALLER)
    assert rpc_trace(Worker(Timer(interval=1))) is None


# -- recorded events, the relay's envelope, the inbox ----------------------------------------------


def test_the_events_a_change_records_carry_its_trace_into_their_envelopes() -> None:
    app = identity_in_memory()
    app.register("09121234567", "Str0ng!pass", Cause("req-1", traceparent=str(CALLER)))
    app.register("09127654321", "Str0ng!pass", Cause("req-2"))  # work with no trace (a timer's)
    envelopes = [envelope_for(app, identity_events, "identity", n) for n in app.recorder.select_notifications(1, 10)]
    published = [e for e in envelopes if e is not None]
    assert {e.correlation_id for e in published} == {"req-1", "req-2"}
    assert {e.traceparent for e in published if e.correlation_id == "req-1"} == {str(CALLER)}
    untraced = [e for e in published if e.correlation_id == "req-2"]
    assert untraced and all(e.traceparent is None and "traceparent" not in e.to_wire() for e in untraced)


def test_a_handlers_events_continue_from_its_delivery_even_after_the_handling() -> None:
    """Provisioning's steps run after the payment's handling was recorded (their own
    transactions): TenantProvisioned still carries the delivery's context to its consumers."""
    app = provisioning_app()
    paid = payment()
    sent = envelope(paid).model_copy(update={"traceparent": str(CALLER)})
    delivery = Span(TraceParent(CALLER.trace_id, "1111111111111111"))  # the inbox's span for it
    provisioning.handle(app, Inbound(sent, paid, attempt=1, span=delivery))
    envelopes = [envelope_for(app, provisioning_events, "provisioning", n)
                 for n in app.recorder.select_notifications(1, 100)]
    published = {e.type: e for e in envelopes if e is not None}
    assert "TenantProvisioned" in published
    assert {e.traceparent for e in published.values()} == {str(delivery.context)}


def test_an_inbound_without_a_span_hands_on_its_envelopes_context() -> None:
    paid = payment()
    sent = envelope(paid).model_copy(update={"traceparent": str(CALLER)})
    assert Inbound(sent, paid, attempt=1).cause.traceparent == str(CALLER)
    cause = Inbound(sent, paid, attempt=1, span=Span(TraceParent(CALLER.trace_id, "2222222222222222"))).cause
    assert cause.inbox_event_id == sent.event_id
    follow_on = cause.untracked()
    assert follow_on.inbox_event_id is None and follow_on.traceparent == cause.traceparent
    assert follow_on.correlation_id == cause.correlation_id and follow_on.causation_id == cause.causation_id
