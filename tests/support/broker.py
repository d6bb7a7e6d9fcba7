"""Publishing straight to the broker, as another producer would, for tests that inject messages:
through the kernel's ConfirmedPublisher (publisher confirms, mandatory routing), so ``publish``
returns once the broker queued the message and raises if it was nacked or unroutable. Without
confirms, frames still on their way when the test closes its connection need not reach a queue,
and the test would blame the platform for a loss that was its own."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from shared.kernel.config import Settings
from shared.kernel.publisher import ConfirmedPublisher, Outgoing
from shared.kernel.topology import events_exchange


@contextmanager
def confirmed_publisher(settings: Settings, exchange: str | None = None) -> Iterator[Callable[..., None]]:
    publisher = ConfirmedPublisher(settings)
    exchange = exchange if exchange is not None else events_exchange(settings).name

    def publish(body: Any, routing_key: str, *, message_id: str | None = None,
                headers: dict[str, Any] | None = None, content_type: str = "application/json") -> None:
        raw = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False)
        publisher.publish_raw(Outgoing(exchange, routing_key, {}, message_id=message_id or str(uuid.uuid4()),
                                       headers=headers or {}), raw, content_type)

    try:
        yield publish
    finally:
        publisher.close()
