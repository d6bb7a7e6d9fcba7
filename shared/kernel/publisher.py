"""Publishing with publisher confirms, many messages in flight.

One confirm in flight caps a publisher at about 2k messages/s; a batch published and then
awaited as a whole runs ten times faster with the same guarantee: ``publish_batch`` returns
only once the broker confirmed every message, and raises if any was nacked, returned or not
confirmed in time. Callers advance their checkpoints only after it returns.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import amqp

from shared.kernel.config import Settings


class PublishFailed(Exception):
    pass


@dataclass(frozen=True)
class Outgoing:
    exchange: str
    routing_key: str
    body: dict[str, Any]
    message_id: str
    headers: dict[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None


class ConfirmedPublisher:
    def __init__(self, settings: Settings, confirm_timeout: float = 15.0) -> None:
        self._settings = settings
        self._timeout = confirm_timeout
        self._conn: amqp.Connection | None = None
        self._channel: Any = None
        self._next_tag = 1
        self._acked_up_to = 0
        self._acked: set[int] = set()
        self._failed: list[str] = []

    def _open(self) -> Any:
        if self._channel is not None:
            return self._channel
        parts = self._settings.amqp_parts()
        conn = amqp.Connection(host=f"{parts['host']}:{parts['port']}", userid=parts["userid"],
                               password=parts["password"], virtual_host=parts["virtual_host"],
                               connect_timeout=10, heartbeat=0)
        conn.connect()
        channel = conn.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        channel.events["basic_return"].add(self._on_return)
        self._conn, self._channel = conn, channel
        self._next_tag, self._acked_up_to, self._acked = 1, 0, set()
        return channel

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._acked_up_to = max(self._acked_up_to, delivery_tag)
        else:
            self._acked.add(delivery_tag)
        while self._acked_up_to + 1 in self._acked:
            self._acked_up_to += 1
            self._acked.discard(self._acked_up_to)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._failed.append(f"broker nacked delivery {delivery_tag}")
        self._on_ack(delivery_tag, multiple)

    def _on_return(self, exc: Exception, exchange: str, routing_key: str, message: Any) -> None:
        self._failed.append(f"unroutable: {exchange} {routing_key}: {exc}")

    def publish_batch(self, messages: list[Outgoing]) -> None:
        self._publish([(out, json.dumps(out.body, ensure_ascii=False).encode(), "application/json")
                       for out in messages])

    def publish_raw(self, out: Outgoing, body: bytes | str, content_type: str) -> None:
        """Publish a body as received (a retry or a dead letter keeps the original bytes)."""
        self._publish([(out, body.encode() if isinstance(body, str) else body, content_type)])

    def _publish(self, messages: list[tuple[Outgoing, bytes, str]]) -> None:
        if not messages:
            return
        try:
            channel = self._open()
            self._failed = []
            for out, body, content_type in messages:
                msg = amqp.Message(
                    body, content_type=content_type, content_encoding="utf-8",
                    delivery_mode=2, message_id=out.message_id,
                    correlation_id=out.correlation_id, application_headers=out.headers,
                )
                channel.basic_publish(msg, exchange=out.exchange, routing_key=out.routing_key, mandatory=True)
                self._next_tag += 1
            last = self._next_tag - 1
            assert self._conn is not None
            while self._acked_up_to < last:
                self._conn.drain_events(timeout=self._timeout)
        except (TimeoutError, OSError, amqp.exceptions.AMQPError) as exc:
            self.close()
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        if self._failed:
            failures = "; ".join(self._failed[:3])
            self.close()
            raise PublishFailed(failures)

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):  # the socket is being discarded anyway
                conn.collect()
