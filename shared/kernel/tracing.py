"""W3C trace context across the platform, and OpenTelemetry spans when an OTLP endpoint is set.

One onboarding is one trace. The gateway continues the caller's ``traceparent`` header (or
starts a trace); nameko carries it on every RPC in the worker's context data, like the
correlation id; a change records it on its events (``Cause.traceparent``); the relay puts it in
the envelope; the inbox continues it for the handler, whose own events carry it on. The header,
the context data and the envelope field are ours: they travel, and log lines carry ``trace_id``,
whether or not spans are exported. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set each hop is also a
span, exported over OTLP/HTTP (protobuf): the gateway's request, each RPC, each inbox delivery
(a child of the envelope's context) and each relay publish.

OpenTelemetry is imported only when spans are exported: the events' contract uses ``parse``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from shared.events.base import Envelope
    from shared.kernel.config import Settings

HEADER = "traceparent"  # the HTTP header, and the key in nameko's context data
# version-trace_id-parent_id-flags in lowercase hex (W3C Trace Context). A later version may
# append fields after a dash; version 00 may not, and ff is no version.
_FORMAT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x21-\x7e]*)?")
MAX_LENGTH = 512  # longer than any version we could read: refused before the regex sees it
WRITTEN = r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"  # the form we hand on (envelope's schema)
Kind = Literal["server", "consumer", "producer"]
BATCH_EVERY_MILLIS = 1000  # spans leave at most a second after they end: a trace shows while looked for
BATCH_SIZE, QUEUE_SIZE = 512, 4096  # beyond the queue, spans are dropped (never the work)
EXPORT_TIMEOUT_SECONDS = 10
SHUTDOWN_FLUSH_MILLIS = 5000  # a stopping process waits this long at most for its last spans


@dataclass(frozen=True)
class TraceParent:
    trace_id: str  # 32 hex digits, never all zeros
    parent_id: str  # 16 hex digits: the span that hands this on
    flags: str = "01"  # sampled

    def __str__(self) -> str:
        return f"00-{self.trace_id}-{self.parent_id}-{self.flags}"

    @classmethod
    def start(cls) -> TraceParent:
        """A new trace, marked sampled so that a process that exports records its part."""
        return cls(secrets.token_hex(16), secrets.token_hex(8))


def parse(value: object) -> TraceParent | None:
    """The trace context ``value`` holds, or None when it holds none (not a string, too long,
    malformed, a forbidden version, all-zero ids): W3C's answer to that is a new trace."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return None
    found = _FORMAT.fullmatch(value.strip(" \t"))
    if found is None:
        return None
    version, trace_id, parent_id, flags, more = found.groups()
    if version == "ff" or (version == "00" and more) or not int(trace_id, 16) or not int(parent_id, 16):
        return None
    return TraceParent(trace_id, parent_id, flags)


class Span:
    """One hop's work. ``context`` is what it hands on (in the RPC's context data, on the events
    it records); ``end`` reports it once, failed when given the error."""

    def __init__(self, context: TraceParent, exported: Any = None) -> None:
        self.context = context
        self._exported = exported

    def end(self, error: BaseException | str | None = None, attributes: dict[str, Any] | None = None) -> None:
        span, self._exported = self._exported, None
        if span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        if attributes:
            span.set_attributes(attributes)
        if error is not None:
            # The exception's type only: its message may hold what a person typed.
            span.set_status(Status(StatusCode.ERROR, error if isinstance(error, str) else type(error).__name__))
        span.end()


class Tracing:
    """The process's spans: none until ``configure`` finds an endpoint (then OTLP/HTTP)."""

    def __init__(self) -> None:
        self._tracer: Any = None
        self._provider: Any = None

    @property
    def exporting(self) -> bool:
        return self._tracer is not None

    def configure(self, settings: Settings, exporter: Any = None) -> None:
        """Export spans to ``settings.otlp_endpoint`` (``exporter``: another, for tests)."""
        if exporter is None and not settings.otlp_endpoint:
            return
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased

        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http import Compression
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint), timeout=EXPORT_TIMEOUT_SECONDS,
                                        compression=Compression.Gzip)
        resource = Resource({"service.name": settings.service, "service.namespace": settings.namespace,
                             "deployment.environment.name": settings.environment})
        # The caller's sampled flag decides; a trace begun here is sampled.
        provider = TracerProvider(resource=resource, sampler=ParentBased(ALWAYS_ON), shutdown_on_exit=False)
        provider.add_span_processor(BatchSpanProcessor(
            exporter, max_queue_size=QUEUE_SIZE, schedule_delay_millis=BATCH_EVERY_MILLIS,
            max_export_batch_size=BATCH_SIZE, export_timeout_millis=EXPORT_TIMEOUT_SECONDS * 1000))
        self._provider, self._tracer = provider, provider.get_tracer("platform")

    def start(self, name: str, parent: TraceParent | None, kind: Kind,
              attributes: dict[str, Any] | None = None) -> Span:
        """A span continuing ``parent`` (None: a new trace). When nothing is exported the context
        is handed on as it came, as W3C asks of a hop that records nothing."""
        if self._tracer is None:
            return Span(parent or TraceParent.start())
        from opentelemetry import trace
        from opentelemetry.context import Context

        context = Context()  # not the green thread's current one: a root, unless continued
        if parent is not None:
            remote = trace.SpanContext(int(parent.trace_id, 16), int(parent.parent_id, 16), is_remote=True,
                                       trace_flags=trace.TraceFlags(int(parent.flags, 16)))
            context = trace.set_span_in_context(trace.NonRecordingSpan(remote), context)
        span = self._tracer.start_span(name, context=context, kind=trace.SpanKind[kind.upper()],
                                       attributes=attributes)
        own = span.get_span_context()
        return Span(TraceParent(f"{own.trace_id:032x}", f"{own.span_id:016x}", f"{own.trace_flags:02x}"), span)

    def delivery(self, envelope: Envelope, consumer: str, attempt: int) -> Span:
        """One inbox delivery: a child of the envelope's context (a new trace without one)."""
        return self.start(f"handle {envelope.type}", parse(envelope.traceparent), "consumer", {
            "messaging.system": "rabbitmq", "messaging.operation.type": "process",
            "messaging.consumer.group.name": consumer, "messaging.message.id": str(envelope.event_id),
            "messaging.message.conversation_id": envelope.correlation_id,
            "platform.event": envelope.routing_key, "platform.attempt": attempt})

    @contextmanager
    def publishing(self, envelopes: Sequence[Envelope]) -> Iterator[None]:
        """The relay's batch: a span per envelope, continuing its context, ended once the broker
        confirmed the batch (or failed, with the error)."""
        if self._tracer is None:
            yield
            return
        spans = [self.start(f"publish {envelope.type}", parse(envelope.traceparent), "producer", {
            "messaging.system": "rabbitmq", "messaging.operation.type": "send",
            "messaging.destination.name": envelope.routing_key, "messaging.message.id": str(envelope.event_id),
            "messaging.message.conversation_id": envelope.correlation_id}) for envelope in envelopes]
        try:
            yield
        except BaseException as failure:
            for span in spans:
                span.end(error=failure)
            raise
        for span in spans:
            span.end()

    def flush(self) -> None:
        if self._provider is not None:
            self._provider.force_flush()

    def shutdown(self) -> None:
        """Export what is left, for a bounded time (the process is stopping)."""
        provider, self._provider, self._tracer = self._provider, None, None
        if provider is not None:
            provider.force_flush(SHUTDOWN_FLUSH_MILLIS)
            provider.shutdown()


def traces_url(endpoint: str) -> str:
    """OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL; traces go to /v1/traces."""
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, not {endpoint[:100]!r}")
    return endpoint.rstrip("/") + "/v1/traces"


TRACING = Tracing()  # the process's own, configured by the runner (shared/kernel/runner.py)
