"""A local OpenTelemetry collector for the trace tests: it takes OTLP over HTTP as a collector
does (POST /v1/traces, protobuf, gzip or not; answers an ExportTraceServiceResponse) and
keeps every span it received, decoded with opentelemetry-proto."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class ReceivedSpan:
    service: str  # the resource's service.name
    name: str
    kind: str  # SPAN_KIND_SERVER, SPAN_KIND_CONSUMER, …
    trace_id: str
    span_id: str
    parent_id: str  # "" for a trace's first span
    attributes: dict[str, Any]
    failed: bool


class Collector:
    def __init__(self) -> None:
        self.url = ""
        self.requests = 0
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()

    def spans(self, trace_id: str | None = None) -> list[ReceivedSpan]:
        with self._lock:
            return [s for s in self._spans if trace_id is None or s.trace_id == trace_id]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._answer(Request(environ))(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if request.path != "/v1/traces" or request.method != "POST":
            return Response("not found", 404)
        if request.mimetype != PROTOBUF:
            return Response(f"expected {PROTOBUF}", 415)
        body = request.get_data()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        received = ExportTraceServiceRequest.FromString(body)
        with self._lock:
            self.requests += 1
            self._spans.extend(_decoded(received))
        return Response(ExportTraceServiceResponse().SerializeToString(), 200, mimetype=PROTOBUF)


def _decoded(received: ExportTraceServiceRequest) -> Iterator[ReceivedSpan]:
    for resource_spans in received.resource_spans:
        service = str(_attributes(resource_spans.resource.attributes).get("service.name", ""))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield ReceivedSpan(service=service, name=span.name, kind=Span.SpanKind.Name(span.kind),
                                   trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                                   parent_id=span.parent_span_id.hex(), attributes=_attributes(span.attributes),
                                   failed=span.status.code == Status.STATUS_CODE_ERROR)


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind in ("string_value", "int_value", "bool_value", "double_value") else None


@contextmanager
def collector() -> Iterator[Collector]:
    """A collector on a free loopback port; ``url`` is what OTEL_EXPORTER_OTLP_ENDPOINT names."""
    received = Collector()
    server = make_server("127.0.0.1", 0, received, threaded=True)
    received.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
