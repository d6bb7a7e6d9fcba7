"""Prometheus metrics: the one registry, every metric the platform exports, and the one short
call each hook point makes. The names and labels are agreed with the alerts and the dashboard
in deploy/k8s (docs/operations.md); docs/decisions.md "Metrics" says why and what it costs.

Every series carries a ``service`` label (the process's service). The promise gauges are not
kept here: each service hands ``watch`` a function computing them from its own state, run when
Prometheus scrapes (the runner serves ``wsgi_app`` on METRICS_PORT; nothing here starts a server).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import prometheus_client
import requests
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from shared.kernel.logging import get_logger

prometheus_client.disable_created_metrics()  # a *_created series per counter doubles the scrape for nothing
REGISTRY = CollectorRegistry()

# Handling, RPC, HTTP and provider latency: milliseconds to the 10-30 s timeouts.
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Append -> handled or published: normally well under a second, minutes while a consumer is down.
LAG_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

INBOX_OUTCOMES = ("handled", "duplicate", "retried", "dead_lettered", "invalid")
# "infected": clamd answered, and found a virus (an answer, not a failure of the scanner).
PROVIDER_OUTCOMES = ("ok", "failed", "timeout", "credit_exhausted", "rejected", "infected")

INBOX_MESSAGES = Counter("inbox_messages", "Deliveries settled by the inbox, by outcome",
                         ("service", "event_type", "outcome"), registry=REGISTRY)
INBOX_HANDLING = Histogram("inbox_handling_seconds", "Handler time for one delivery (from its receipt)",
                           ("service", "event_type"), buckets=SECONDS, registry=REGISTRY)
INBOX_LAG = Histogram("inbox_lag_seconds", "From the producer's append to handled here",
                      ("service", "event_type"), buckets=LAG_SECONDS, registry=REGISTRY)
RELAY_PUBLISHED = Counter("relay_published", "Events the relay published (confirmed by the broker)",
                          ("service",), registry=REGISTRY)
RELAY_LAG = Histogram("relay_lag_seconds", "From the append to published", ("service",),
                      buckets=LAG_SECONDS, registry=REGISTRY)
RELAY_BACKLOG = Gauge("relay_backlog_events", "Recorded events not yet published", ("service",), registry=REGISTRY)
STORE_COMMITS = Counter("store_commits", "Event-store transactions written for saves (PostgreSQL's group commit): "
                        "alone, together (several saves in one), split (a group that failed, each save then alone)",
                        ("service", "kind"), registry=REGISTRY)
STORE_SAVES = Counter("store_saves", "Saves those transactions carried", ("service",), registry=REGISTRY)
RPC_SECONDS = Histogram("rpc_seconds", "RPC handling time (its _count is the call count)", ("service", "method"),
                        buckets=SECONDS, registry=REGISTRY)
GATEWAY_REQUESTS = Counter("gateway_requests", "HTTP requests by route template and status",
                           ("service", "route", "method", "status"), registry=REGISTRY)
GATEWAY_SECONDS = Histogram("gateway_request_seconds", "HTTP latency", ("service", "route", "method"),
                            buckets=SECONDS, registry=REGISTRY)
PROVIDER_CALLS = Counter("provider_calls", "Calls to outside parties, by outcome",
                         ("service", "provider", "operation", "outcome"), registry=REGISTRY)
PROVIDER_SECONDS = Histogram("provider_call_seconds", "Latency of calls to outside parties",
                             ("service", "provider", "operation"), buckets=SECONDS, registry=REGISTRY)

# Computed on scrape by the owning service (``watch``): name -> help.
PROMISES = {
    "billing_refunds_pending": "Captured-and-failed payments not yet refunded (BI-2)",
    "billing_refund_oldest_age_seconds": "Age of the oldest of them; the deadline is 72 h = 259200 s (BI-2)",
    "notifications_sms_undelivered": "SMS without a delivery report 5 minutes after sending (ID-2)",
    "archival_tenants_due_for_deletion": "Lapsed tenants past the 3-month grace not yet deleted (AR-1)",
    "deadletters_waiting": "Messages in the service's dead-letter queue",
}

_process = {"service": "unknown", "url": ""}


def identify(service: str, url: str = "") -> None:
    """The process's service (the label of what it counts without knowing it, e.g. provider
    calls) and where its metrics are served ("" when off). The runner calls it first thing."""
    _process.update(service=service, url=url)


def url() -> str | None:
    return _process["url"] or None


def service() -> str:
    return _process["service"]


def wsgi_app() -> Callable[..., Any]:
    return prometheus_client.make_wsgi_app(REGISTRY)


def exposition() -> str:
    return prometheus_client.generate_latest(REGISTRY).decode()


# -- the hooks ----------------------------------------------------------------------------------
def inbox_handling(service: str, event_type: str, seconds: float) -> None:
    INBOX_HANDLING.labels(service, event_type).observe(seconds)


def inbox_settled(service: str, event_type: str, outcome: str, lag_seconds: float | None = None) -> None:
    """A delivery settled; a handled one's lag (the producer's append → handled here) too."""
    INBOX_MESSAGES.labels(service, event_type, outcome).inc()
    if lag_seconds is not None:
        INBOX_LAG.labels(service, event_type).observe(max(0.0, lag_seconds))


def store_committed(kind: str, saves: int) -> None:
    """A transaction for ``saves`` saves: kind alone, together, or split (and then alone once for each)."""
    STORE_COMMITS.labels(_process["service"], kind).inc()
    if kind != "split":  # a split group's saves are counted as each is then committed alone
        STORE_SAVES.labels(_process["service"]).inc(saves)


def relay_published(service: str, appended_at: list[datetime]) -> None:
    now = datetime.now(UTC)
    RELAY_PUBLISHED.labels(service).inc(len(appended_at))
    lag = RELAY_LAG.labels(service)
    for moment in appended_at:
        lag.observe(max(0.0, (now - moment).total_seconds()))


def relay_backlog(service: str, events: int) -> None:
    RELAY_BACKLOG.labels(service).set(events)


def rpc_handled(service: str, method: str, seconds: float) -> None:
    RPC_SECONDS.labels(service, method).observe(seconds)


def gateway_request(route: str, method: str, status: int, seconds: float) -> None:
    GATEWAY_REQUESTS.labels("gateway", route, method, str(status)).inc()
    GATEWAY_SECONDS.labels("gateway", route, method).observe(seconds)


class ProviderCall:
    outcome = "ok"  # a call that answered; the caller sets "rejected" for a refusal it reads


@contextmanager
def provider_call(provider: str, operation: str,
                  failures: tuple[tuple[type[BaseException], str], ...] = ()) -> Iterator[ProviderCall]:
    """Times one call to an outside party and counts it by outcome. An exception is the first
    matching outcome of ``failures``, else "timeout" when a requests timeout caused it, else
    "failed"."""
    call, started = ProviderCall(), time.perf_counter()
    try:
        yield call
    except BaseException as exc:
        call.outcome = next((outcome for kind, outcome in failures if isinstance(exc, kind)), None) or (
            "timeout" if _timed_out(exc) else "failed")
        raise
    finally:
        service = _process["service"]
        PROVIDER_CALLS.labels(service, provider, operation, call.outcome).inc()
        PROVIDER_SECONDS.labels(service, provider, operation).observe(time.perf_counter() - started)


def provider_series(provider: str, operation: str, outcomes: Iterable[str]) -> None:
    """Creates these series at zero for the process's service. A labelled counter otherwise
    appears only at its first increment, which ``increase()`` in an alert cannot see: for a
    party called rarely (clamd, per upload) the first failure after a start would go unalerted."""
    for outcome in outcomes:
        PROVIDER_CALLS.labels(_process["service"], provider, operation, outcome)


def _timed_out(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (requests.Timeout, TimeoutError)):  # TimeoutError: a plain socket's
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


# -- the promises, on scrape --------------------------------------------------------------------
Figures = Callable[[], dict[str, float]]


class _Promises(Collector):
    def __init__(self) -> None:
        self.watched: dict[str, Figures] = {}

    def describe(self) -> Iterable[Any]:
        return ()  # computed on scrape; nothing to check at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        values: dict[str, list[tuple[str, float]]] = {}
        for service, figures in list(self.watched.items()):
            try:
                found = figures()
            except Exception as exc:  # noqa: BLE001 - a store or broker outage must not fail the whole scrape
                get_logger().warning("metrics.figures_failed", service=service, error=str(exc)[:200])
                continue
            for name, value in found.items():
                if name not in PROMISES:
                    raise ValueError(f"{name} is not one of the promise gauges")
                values.setdefault(name, []).append((service, float(value)))
        for name, series in values.items():
            family = GaugeMetricFamily(name, PROMISES[name], labels=("service",))
            for service, value in series:
                family.add_metric((service,), value)
            yield family


_PROMISES = _Promises()
REGISTRY.register(_PROMISES)


def watch(service: str, figures: Figures) -> None:
    """``figures`` (cheap: it runs on every scrape) gives some of PROMISES' gauges their values."""
    _PROMISES.watched[service] = figures
