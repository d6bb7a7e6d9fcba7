"""The broker-alarm watcher (issue #20) must outlive every way a broker closes its connection:
an exception escaping it ends its thread, and nameko then kills the whole gateway (seen in CI:
a broker shutdown's CONNECTION_FORCED answered a customer's callback with a 500)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from amqp.exceptions import ConnectionForced

from services.gateway import broker_alarm
from services.gateway.broker_alarm import BrokerAlarm
from shared.kernel.config import Settings


class ClosingBroker:
    """A connection that the broker closes on each of the first ``closings`` drains; then it asks
    the watcher to stop."""

    opened = 0

    def __init__(self, failures: list[BaseException], stopping: threading.Event) -> None:
        self.failures, self.stopping = failures, stopping

    def __call__(self, *args: Any, **kwargs: Any) -> ClosingBroker:
        ClosingBroker.opened += 1
        return self

    def __enter__(self) -> ClosingBroker:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def ensure_connection(self, **kwargs: Any) -> None:
        return None

    def Producer(self) -> Any:
        return type("P", (), {"publish": lambda *a, **k: None})()

    def drain_events(self, timeout: float) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.stopping.set()
        raise TimeoutError


@pytest.mark.parametrize("closing", [
    ConnectionForced("broker forced connection closure with reason 'shutdown'"),
    ConnectionResetError(104, "Connection reset by peer"),
    RuntimeError("something no one foresaw"),
])
def test_the_watcher_outlives_a_broker_closing_its_connection(monkeypatch: pytest.MonkeyPatch,
                                                              closing: BaseException) -> None:
    stopping = threading.Event()
    broker = ClosingBroker([closing], stopping)
    monkeypatch.setattr(broker_alarm, "Connection", broker)
    monkeypatch.setattr(broker_alarm, "PROBE_SECONDS", 0.01)
    ClosingBroker.opened = 0
    alarm = BrokerAlarm()
    alarm.on_blocked("low on memory")
    alarm.watch(Settings(service="gateway"), stopping)  # returns only because it was asked to stop
    assert ClosingBroker.opened == 2  # it connected again after the closing
    assert alarm.blocked is None  # a closed connection's alarm went with it
