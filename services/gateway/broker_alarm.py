"""Whether RabbitMQ blocks publishers now (its memory or disk alarm), so the gateway answers
503 at once instead of letting each request wait out its RPC timeout (issue #20).

RabbitMQ tells a publishing connection `connection.blocked` when an alarm goes off and
`connection.unblocked` when it clears. The gateway's RPC connections are nameko's, out of
reach; so one connection of its own publishes a small unroutable probe every second (dropped
by the broker) to stay a publisher, and listens for those two notices."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.extensions import DependencyProvider

from shared.kernel.config import Settings
from shared.kernel.degradation import DEGRADATION
from shared.kernel.logging import get_logger

PROBE_SECONDS = 1.0
PROBE_ROUTING_KEY = "gateway.alarm-probe"  # no queue is bound to it on the default exchange


class BrokerAlarm:
    def __init__(self) -> None:
        self._blocked: str | None = None
        self._lock = threading.Lock()

    @property
    def blocked(self) -> str | None:
        """The broker's reason while it blocks publishers (e.g. "low on memory"), else None."""
        return self._blocked

    def on_blocked(self, reason: str = "") -> None:
        with self._lock:
            self._blocked = reason or "blocked"
        DEGRADATION.degraded("broker", f"publishers blocked: {self._blocked}")

    def on_unblocked(self) -> None:
        with self._lock:
            self._blocked = None
        DEGRADATION.recovered("broker")

    def watch(self, settings: Settings, stopping: threading.Event) -> None:
        """Until ``stopping``: stay a publisher and listen for the broker's notices; reconnect
        after a broker restart (a restarted broker starts unblocked)."""
        while not stopping.is_set():
            try:
                with Connection(settings.amqp_uri, heartbeat=0, transport_options={
                        "on_blocked": self.on_blocked, "on_unblocked": self.on_unblocked}) as connection:
                    connection.ensure_connection(max_retries=1)
                    producer = connection.Producer()
                    while not stopping.is_set():
                        if self._blocked is None:  # a blocked connection's writes would pile up
                            producer.publish(b"", routing_key=PROBE_ROUTING_KEY, exchange="", retry=False)
                        with contextlib.suppress(TimeoutError):
                            connection.drain_events(timeout=PROBE_SECONDS)
            except (OSError, KombuOperationalError, ConnectionError, AMQPError):
                # A broker shutting down closes it with CONNECTION_FORCED (an AMQPError): an escape
                # here would end the thread and nameko would kill the gateway with it.
                self.on_unblocked()  # the connection is gone; its state with it
                stopping.wait(PROBE_SECONDS)
            except Exception:  # noqa: BLE001 - a probe must never take the gateway down
                get_logger().exception("gateway.broker_alarm_failed")
                self.on_unblocked()
                stopping.wait(PROBE_SECONDS)


# One per gateway process: the watcher sets it, every RPC call reads it (http_edge.call).
BROKER_ALARM = BrokerAlarm()


class BrokerAlarmWatcher(DependencyProvider):
    """Runs BROKER_ALARM.watch beside the gateway's workers for as long as the service runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stopping = threading.Event()

    def start(self) -> None:
        self.container.spawn_managed_thread(lambda: BROKER_ALARM.watch(self.settings, self._stopping))

    def stop(self) -> None:
        self._stopping.set()

    def kill(self) -> None:
        self._stopping.set()

    def get_dependency(self, worker_ctx: Any) -> BrokerAlarm:
        return BROKER_ALARM
