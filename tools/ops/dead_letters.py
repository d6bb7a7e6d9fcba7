"""opsctl dead-letters: what a service could not handle (shared/kernel/deadletters.py)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pydantic import ValidationError

from shared.events.base import Envelope
from shared.kernel.config import Settings
from shared.kernel.deadletters import DeadLetter, DeadLetters
from tools.ops.stores import service_settings, when


def _envelope(letter: DeadLetter) -> Envelope | None:
    try:
        return Envelope.model_validate_json(letter.body)
    except (ValidationError, ValueError):
        return None  # the body itself is why it is dead


def _letters(base: Settings, service: str) -> DeadLetters:
    return DeadLetters(service_settings(base, service), service)


def list_letters(base: Settings, service: str, out: TextIO) -> int:
    letters = _letters(base, service).list()
    print(f"{len(letters)} dead letter(s) for {service}", file=out)
    for letter in letters:
        envelope = _envelope(letter)
        occurred = when(envelope.occurred_at) if envelope else "(unreadable body)"
        print(f"{letter.message_id}  {letter.routing_key}  attempt={letter.attempt}  occurred {occurred}", file=out)
        print(f"    {letter.reason}", file=out)
    return 0


def show_letter(base: Settings, service: str, message_id: str, out: TextIO) -> int:
    found = [letter for letter in _letters(base, service).list() if letter.message_id == message_id]
    if not found:
        print(f"no dead letter {message_id} for {service}", file=out)
        return 1
    for letter in found:
        envelope = _envelope(letter)
        shown: dict[str, Any] = {k: v for k, v in vars(letter).items() if k != "body"}
        if envelope is not None:
            shown["occurred_at"] = when(envelope.occurred_at)
            shown["envelope"] = envelope.model_dump(mode="json")
        else:
            shown["body"] = letter.body
        print(json.dumps(shown, ensure_ascii=False, indent=2), file=out)
    return 0


def replay(base: Settings, service: str, message_id: str | None, out: TextIO) -> int:
    count = _letters(base, service).replay(message_id)
    print(f"replayed {count} dead letter(s) to {service}'s work queue", file=out)
    return 0 if count or message_id is None else 1
