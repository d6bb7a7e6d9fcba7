"""A nameko queue consumer that drains on a graceful stop.

Stock nameko ends its consume loop — closing the AMQP connection — as soon as the last
consumer is cancelled. A worker still running then cannot ack: its message goes back to the
queue and is handed out again after the restart (an RPC run twice, an event handled twice).
This consumer keeps the connection open until every message it delivered has been acked or
requeued, so SIGTERM means: take nothing new, finish and settle what is held, then exit.

It also survives an ack or requeue on a connection that died under it (the broker restarted):
nameko catches amqp's ConnectionError there but not the socket's own errors
(ConnectionResetError, BrokenPipeError), so a worker finishing at that moment ended with an
error and nameko killed the whole service. The broker took the message back with the
connection and delivers it again after the reconnect, where the inbox finds it handled.

The same for an RPC's reply: stock nameko lets a reply it cannot publish (the broker is down
longer than its publish retries) end the worker with an error, which kills the service. Here
the reply is given up instead and the request left to the broker: it was not acked, so it is
delivered again after the reconnect and answered then (the caller has timed out meanwhile;
every RPC of the platform is safe to run again — the store decides).

Used by the inbox (shared/kernel/inbox.py) and, installed by the runner, by nameko's RPC.
"""

from __future__ import annotations

from typing import Any

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko.messaging import QueueConsumer

from shared.kernel.logging import get_logger


class DrainingQueueConsumer(QueueConsumer):
    should_stop: bool  # kombu's ConsumerMixin flag, read before each turn of the loop

    def __init__(self) -> None:
        super().__init__()
        self._held: set[int] = set()  # messages delivered and not yet settled, by identity

    def handle_message(self, provider: Any, body: Any, message: Any) -> None:
        self._held.add(id(message))
        super().handle_message(provider, body, message)

    def ack_message(self, message: Any) -> None:
        self._settle("ack", super().ack_message, message)

    def requeue_message(self, message: Any) -> None:
        self._settle("requeue", super().requeue_message, message)

    def _settle(self, how: str, settle: Any, message: Any) -> None:
        try:
            settle(message)
        except OSError as exc:
            _connection_lost(how, message, exc)
        finally:
            self._held.discard(id(message))

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        # A new connection: what the old one held cannot be acked any more (the broker has
        # already taken it back), so it is not waited for.
        self._held.clear()
        return super().get_consumers(consumer_cls, channel)

    def on_iteration(self) -> None:
        super().on_iteration()
        if self.should_stop and self._held:
            self.should_stop = False  # not yet: their acks need this connection

    def kill(self) -> None:
        self._held.clear()  # killed, not stopped: nothing is waited for
        super().kill()


def _connection_lost(what: str, message: Any, exc: OSError) -> None:
    get_logger(component="amqp").warning(
        "amqp.settle_lost", what=what, message_id=str((message.properties or {}).get("message_id")),
        error=f"{type(exc).__name__}: {exc}", note="the broker redelivers it after the reconnect")


BROKER_GONE = (KombuOperationalError, AmqpConnectionError, OSError)


def _reply_or_let_go(stock: Any) -> Any:
    def handle_result(consumer: Any, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        try:
            return tuple(stock(consumer, message, result, exc_info))
        except BROKER_GONE as exc:
            get_logger(component="amqp").warning(
                "rpc.reply_lost", error=f"{type(exc).__name__}: {exc}"[:300],
                note="the request was not acked: the broker delivers it again after the reconnect")
            consumer.queue_consumer.requeue_message(message)
            return result, exc_info

    handle_result.stock = stock  # type: ignore[attr-defined]
    return handle_result


def install_for_rpc() -> None:
    """Make nameko's RPC entrypoints drain too (call before a container is built), and
    survive a reply the broker could not take."""
    from nameko.rpc import RpcConsumer

    RpcConsumer.queue_consumer = DrainingQueueConsumer()
    if not hasattr(RpcConsumer.handle_result, "stock"):
        RpcConsumer.handle_result = _reply_or_let_go(RpcConsumer.handle_result)
