"""Publishing straight to the broker, as another producer would, for tests that inject messages.

With publisher confirms and mandatory routing: ``publish`` returns once the broker has put the
message in every bound queue, and raises if it was nacked or unroutable. Without confirms,
frames still on their way when the test closes its connection need not reach a queue, and the
test would blame the platform for a loss that was its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kombu import Connection, Exchange, Producer

from shared.kernel.config import Settings
from shared.kernel.topology import events_exchange


@contextmanager
def confirmed_publisher(settings: Settings, exchange: Exchange | None = None) -> Iterator[Callable[..., None]]:
    with Connection(settings.amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel(), exchange=exchange if exchange is not None else events_exchange(settings))

        def publish(body: Any, routing_key: str, **properties: Any) -> None:
            producer.publish(body, routing_key=routing_key, mandatory=True,
                             **({"delivery_mode": 2} | properties))

        yield publish
