"""Run one service in its own process: ``python -m shared.kernel.runner services.identity.service``.

Declares the topology before anything starts, runs the nameko container, and on SIGTERM
stops gracefully: consumers stop taking messages, in-flight workers finish and ack (the
inbox keeps its connection until they have: shared/kernel/inbox.py), the relay finishes its
batch; proven by tests/fault/test_graceful_shutdown.py. Kubernetes' grace period for it is
terminationGracePeriodSeconds in deploy/k8s.

A heartbeat file (shared/kernel/health_file.py: running | stopping) is rewritten every few
seconds for the exec probe `python -m shared.kernel.probe <service>`.

With METRICS_PORT set, the process serves its Prometheus metrics (shared/kernel/metrics.py) at
http://<host>:<port>/metrics from a green thread of its own, apart from nameko's web server.
"""

from __future__ import annotations

import warnings

# eventlet announces its maintenance mode on import; the stack is pinned on purpose (docs/decisions.md).
warnings.filterwarnings("ignore", message="Eventlet is deprecated")

from shared.kernel import green  # noqa: E402

green.monkey_patch()  # before anything imports socket or threading

import importlib  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import eventlet  # noqa: E402
import eventlet.wsgi  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402

from shared.kernel import draining, health_file, metrics, topology  # noqa: E402
from shared.kernel.config import Settings  # noqa: E402
from shared.kernel.logging import configure, get_logger  # noqa: E402
from shared.kernel.tracing import TRACING  # noqa: E402


def nameko_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    return {
        "AMQP_URI": settings.amqp_uri,
        "rpc_exchange": f"{settings.namespace}.rpc",
        "max_workers": settings.prefetch,
        "serializer": "json",
        "PLATFORM_SETTINGS": settings,
        **extra,
    }


def serve_metrics(settings: Settings) -> None:
    """Listen first (a port taken fails the start, not a scrape later), then serve green."""
    if not settings.metrics_port:
        metrics.identify(settings.service)
        return
    listener = eventlet.listen((settings.metrics_host, settings.metrics_port))
    host = settings.metrics_host if settings.metrics_host not in ("", "0.0.0.0", "::") else socket.gethostname()  # noqa: S104
    metrics.identify(settings.service, f"http://{host}:{listener.getsockname()[1]}/metrics")
    eventlet.spawn_n(eventlet.wsgi.server, listener, metrics.wsgi_app(), log_output=False)


def find_service_class(module_name: str) -> Any:
    module = importlib.import_module(module_name)
    service_cls: Any = module.SERVICE
    return service_cls


def main(argv: list[str]) -> int:
    module_name = argv[1]
    service_cls = find_service_class(module_name)
    settings = Settings(service=service_cls.name)
    configure(settings.service, settings.log_level)
    TRACING.configure(settings)  # spans exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set
    log = get_logger()
    topology.declare(settings)
    serve_metrics(settings)
    extra = {}
    if settings.web_server_address:
        extra["WEB_SERVER_ADDRESS"] = settings.web_server_address
    draining.install_for_rpc()  # a graceful stop answers and acks the calls in flight
    container = ServiceContainer(service_cls, nameko_config(settings, **extra))
    health = health_file.health_path(settings)
    state = {"now": "starting"}

    def heartbeat() -> None:
        # For the Kubernetes probes: proof that the event loop turns, and in which state.
        while True:
            health_file.write(health, state["now"])
            eventlet.sleep(health_file.INTERVAL_SECONDS)

    def shutdown(signum: int, _frame: Any) -> None:
        if state["now"] == "stopping":
            return  # a second signal changes nothing: the drain is already under way
        state["now"] = "stopping"
        health_file.write(health, "stopping")  # readiness fails at once: no new traffic
        log.info("service.stopping", signal=signum)
        eventlet.spawn_n(container.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGUSR1, lambda _signum, _frame: green.dump_stacks(sys.stderr))
    beat = eventlet.spawn(heartbeat)
    container.start()
    if state["now"] == "starting":
        state["now"] = "running"
        health_file.write(health, "running")
    log.info("service.started", namespace=settings.namespace, store=settings.event_store, metrics_url=metrics.url())
    try:
        container.wait()
    finally:
        beat.kill()
        TRACING.shutdown()  # the last spans, for a few seconds at most
        health_file.write(health, "stopped")
        log.info("service.stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
