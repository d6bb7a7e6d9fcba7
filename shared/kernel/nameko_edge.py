"""nameko dependency providers: the only place the kernel meets nameko and eventlet.

``EventSourcedApp`` builds the service's application once per process (the composition
root), declares the topology, and runs the relay in a managed green thread.
``RequestCause`` gives an RPC method the cause of its change (the request's correlation id
and trace context). Each RPC is a span continuing the caller's trace (``rpc_trace``).
The application's provider also times each RPC and, when scraped, reports the service's
promise gauges (shared/kernel/metrics.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

import eventlet
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

from shared.kernel import metrics, topology
from shared.kernel.deadletters import DeadLetters
from shared.kernel.degradation import DEGRADATION
from shared.kernel.inbox import settings_from_config
from shared.kernel.logging import bind_correlation, bind_trace, configure, get_logger
from shared.kernel.relay import Relay, Translate
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.tracing import HEADER, TRACING, Span, TraceParent, parse

AppFactory = Callable[..., ServiceApplication]
# The service's promise gauges from its own state (metrics.PROMISES' names), run on each scrape.
Figures = Callable[[Any], dict[str, float]]  # given the service's own application
_RPC_SPANS: WeakKeyDictionary[Any, Span] = WeakKeyDictionary()  # by worker context, until its result


def rpc_trace(worker_ctx: Any) -> TraceParent | None:
    """The trace context a worker's changes record. An RPC gets a span continuing the caller's
    context (a malformed one is ignored: a new trace), begun by whichever provider asks first
    and ended by EventSourcedApp; its own calls carry it on. An inbox worker's context is its
    delivery's span (shared/kernel/inbox.py); a timer has none."""
    span = _RPC_SPANS.get(worker_ctx)
    if span is None and isinstance(worker_ctx.entrypoint, Rpc):
        service, method = worker_ctx.container.service_name, worker_ctx.entrypoint.method_name
        span = TRACING.start(f"rpc {service}.{method}", parse(worker_ctx.data.get(HEADER)), "server",
                             {"rpc.system": "nameko", "rpc.service": service, "rpc.method": method})
        _RPC_SPANS[worker_ctx] = span
        worker_ctx.data[HEADER] = str(span.context)
    return span.context if span is not None else parse(worker_ctx.data.get(HEADER))


class EventSourcedApp(DependencyProvider):
    def __init__(self, factory: AppFactory, translate: Translate | None = None, figures: Figures | None = None) -> None:
        self.factory = factory
        self.translate = translate
        self.figures = figures
        self._rpc_started: dict[Any, float] = {}
        self.app: ServiceApplication | None = None
        self.relay: Relay | None = None

    def setup(self) -> None:
        settings = settings_from_config(self.container.config, self.container.service_name)
        configure(settings.service)
        topology.declare(settings)
        self.app = self.factory(settings)
        self._dead_letters = DeadLetters(settings, self.container.service_name)  # read on each scrape
        if self.translate is not None and settings.relay_enabled:
            self.relay = Relay(self.app, self.translate, settings)
            self.app.relay = self.relay  # read by health_of

    def start(self) -> None:
        if self.relay is not None:
            self._relay_thread = self.container.spawn_managed_thread(self.relay.run, identifier="relay")
        metrics.watch(self.container.service_name, self._promises)

    def _promises(self) -> dict[str, float]:
        assert self.app is not None
        found = {"deadletters_waiting": float(self._dead_letters.waiting())}
        return found | (self.figures(self.app) if self.figures is not None else {})

    def worker_setup(self, worker_ctx: Any) -> None:
        if isinstance(worker_ctx.entrypoint, Rpc):
            self._rpc_started[worker_ctx] = time.perf_counter()

    def worker_teardown(self, worker_ctx: Any) -> None:
        started = self._rpc_started.pop(worker_ctx, None)
        if started is not None:
            metrics.rpc_handled(self.container.service_name, worker_ctx.entrypoint.method_name,
                                time.perf_counter() - started)

    def stop(self) -> None:
        # The relay stops after its current batch (nameko kills managed threads right after
        # this returns, so it is waited for: a batch cut between publish and checkpoint would
        # be published twice). Whatever it had not confirmed is published by the next process.
        if self.relay is not None:
            self.relay.stop()
            thread = getattr(self, "_relay_thread", None)
            if thread is not None:
                with eventlet.Timeout(10, False):
                    thread.wait()

    def kill(self) -> None:
        if self.relay is not None:
            self.relay.stop()  # no waiting when killed

    def get_dependency(self, worker_ctx: Any) -> ServiceApplication:
        data = worker_ctx.data
        bind_correlation(data.get("correlation_id"), data.get("causation_id"))
        trace = rpc_trace(worker_ctx)
        bind_trace(trace.trace_id if trace else None)
        assert self.app is not None
        return self.app

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        span = _RPC_SPANS.pop(worker_ctx, None)
        if span is not None:  # an answered refusal ({"error": …}) is the RPC working, not failing
            refused = result.get("error") if isinstance(result, dict) else None
            span.end(error=exc_info[1] if exc_info else None,
                     attributes={"platform.answer.error": refused} if isinstance(refused, str) else None)


class RequestCause(DependencyProvider):
    """The cause of an RPC's change: its correlation id, from the gateway's request."""

    def get_dependency(self, worker_ctx: Any) -> Cause:
        correlation = worker_ctx.data.get("correlation_id") or worker_ctx.call_id
        trace = rpc_trace(worker_ctx)
        return Cause(correlation_id=str(correlation), causation_id=worker_ctx.data.get("causation_id"),
                     traceparent=str(trace) if trace else None)


STORE_RETRY_AFTER_SECONDS = 5


def answers(method: Callable[..., Any]) -> Callable[..., Any]:
    """An RPC method's result as an answer the gateway can map: {"ok": …} or
    {"error": code, "details": …}. A store that cannot be reached (PostgreSQL restarting, its
    connections cut) is a temporary unavailability, answered so (503 with Retry-After at the
    gateway, issue #20); anything else is a bug and propagates."""
    from functools import wraps

    from shared.kernel.errors import DomainError
    from shared.kernel.relay import STORE_UNAVAILABLE  # the event store's, the key vault's, psycopg's own

    @wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return {"ok": method(*args, **kwargs)}
        except DomainError as error:
            return error.as_answer()
        except STORE_UNAVAILABLE as outage:
            get_logger().warning("rpc.store_unavailable", method=method.__name__, error=str(outage)[:200])
            return DomainError("service_unavailable", retry_after=STORE_RETRY_AFTER_SECONDS).as_answer()

    return wrapper


def health_of(service: str, app: ServiceApplication) -> dict[str, Any]:
    relay = getattr(app, "relay", None)
    return {
        "service": service,
        "relay_lag": relay.lag() if relay is not None else None,
        "relay_published": relay.published_total if relay is not None else None,
        "clock_offset_seconds": app.clock.offset_seconds,
        "metrics_url": metrics.url(),  # None when METRICS_PORT is 0
        # {} when all is well; else each degraded component, why and for how long.
        "degraded": DEGRADATION.figure(),
    }
