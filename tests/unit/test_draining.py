"""The draining consumer settles a message on a connection that died under it (a broker
restart) without raising, and an RPC reply the broker cannot take ends its worker well:
nameko would otherwise kill the whole service for either."""

from __future__ import annotations

from typing import Any

import pytest

from shared.kernel.draining import DrainingQueueConsumer


class Channel:
    connection = object()  # looks alive: the socket only fails when written to


class DeadSocketMessage:
    def __init__(self, error: OSError) -> None:
        self.error = error
        self.properties: dict[str, Any] = {"message_id": "m-1"}
        self.channel = Channel()

    def ack(self) -> None:
        raise self.error

    def requeue(self) -> None:
        raise self.error


@pytest.mark.parametrize("error", [ConnectionResetError(104, "Connection reset by peer"),
                                   BrokenPipeError(32, "Broken pipe")])
@pytest.mark.parametrize("settle", ["ack_message", "requeue_message"])
def test_a_message_settled_on_a_dead_connection_is_let_go(error: OSError, settle: str) -> None:
    consumer = DrainingQueueConsumer()
    message = DeadSocketMessage(error)
    consumer._held.add(id(message))
    getattr(consumer, settle)(message)  # does not raise
    assert consumer._held == set()  # and a draining stop does not wait for it


def test_an_rpc_reply_the_broker_cannot_take_leaves_the_request_to_be_delivered_again() -> None:
    from kombu.exceptions import OperationalError

    from shared.kernel.draining import _reply_or_let_go

    requeued = []

    def stock(consumer: Any, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        raise OperationalError("[Errno 111] ECONNREFUSED")  # nameko's Responder, the broker down

    class Consumer:
        class queue_consumer:  # the attribute nameko's RpcConsumer has
            @staticmethod
            def requeue_message(message: Any) -> None:
                requeued.append(message)

    handle_result = _reply_or_let_go(stock)
    assert handle_result(Consumer(), "the request", {"ok": 1}, None) == ({"ok": 1}, None)  # the worker ends well
    assert requeued == ["the request"]
