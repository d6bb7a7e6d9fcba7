"""Dead letters, for operators: list, show and replay what a service could not handle.

    python -m shared.kernel.deadletters list notifications
    python -m shared.kernel.deadletters show notifications <message-id>
    python -m shared.kernel.deadletters replay notifications <message-id>|--all
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from kombu import Connection

from shared.kernel.config import Settings
from shared.kernel.inbox import ATTEMPT_HEADER
from shared.kernel.publisher import ConfirmedPublisher, Outgoing
from shared.kernel.topology import dead_queue_name, work_queue_name


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    routing_key: str
    reason: str
    attempt: int
    body: str


class DeadLetters:
    def __init__(self, settings: Settings, service: str) -> None:
        self.settings = settings
        self.service = service
        self.queue = dead_queue_name(settings, service)

    def _letter(self, message: Any) -> DeadLetter:
        headers = message.headers or {}
        deaths = headers.get("x-death") or [{}]
        return DeadLetter(
            message_id=str(message.properties.get("message_id")),
            routing_key=str((deaths[-1].get("routing-keys") or [message.delivery_info.get("routing_key")])[0]),
            reason=str(headers.get("x-dead-reason") or f"broker: {deaths[0].get('reason', 'unknown')}"),
            attempt=int(headers.get(ATTEMPT_HEADER, 0)),
            body=message.body.decode(errors="replace") if isinstance(message.body, bytes) else str(message.body),
        )

    def _drain(self, conn: Connection) -> list[Any]:
        # Fetch without acking; closing the channel returns every unacked message.
        channel = conn.channel()
        messages = []
        while (message := channel.basic_get(self.queue, no_ack=False)) is not None:
            messages.append(message)
        return messages

    def list(self) -> list[DeadLetter]:
        with Connection(self.settings.amqp_uri) as conn:
            return [self._letter(m) for m in self._drain(conn)]

    def waiting(self) -> int:
        """How many dead letters wait (a passive declare: reads the count, takes nothing)."""
        with Connection(self.settings.amqp_uri, connect_timeout=3) as conn:
            return int(conn.default_channel.queue_declare(self.queue, passive=True).message_count)

    def replay(self, message_id: str | None) -> int:
        """Put dead letters (one, or all when message_id is None) back on the work queue,
        each with a fresh attempt count. Returns how many."""
        publisher = ConfirmedPublisher(self.settings)
        replayed = 0
        try:
            with Connection(self.settings.amqp_uri) as conn:
                for message in self._drain(conn):
                    letter = self._letter(message)
                    if message_id is not None and letter.message_id != message_id:
                        continue
                    headers = {k: v for k, v in (message.headers or {}).items()
                               if k not in ("x-death", "x-dead-reason", ATTEMPT_HEADER)}
                    publisher.publish_raw(Outgoing("", work_queue_name(self.settings, self.service), {},
                                                   message_id=letter.message_id, headers=headers),
                                          message.body, message.content_type or "application/json")
                    message.channel.basic_ack(message.delivery_tag)  # only after the copy was confirmed
                    replayed += 1
        finally:
            publisher.close()
        return replayed


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] not in ("list", "show", "replay"):
        print(__doc__)
        return 2
    command, service = argv[1], argv[2]
    letters = DeadLetters(Settings(service=service), service)
    if command == "list":
        for letter in letters.list():
            print(f"{letter.message_id}  {letter.routing_key}  attempt={letter.attempt}  {letter.reason}")
    elif command == "show":
        found = [vars(x) for x in letters.list() if x.message_id == argv[3]]
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        target = None if argv[3] == "--all" else argv[3]
        print(f"replayed {letters.replay(target)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
