"""What an SMS provider can tell notifications, in the provider's terms translated to ours:
a send was accepted (Receipt), refused for good, refused for now, or refused for want of
credit; a sent message's delivery report. Pure values: the domain and the application use
them, the adapter (sms.py) produces them. SmsSender is what the use cases ask of a provider
(KavenegarClient in production, a fake in tests)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


class ProviderUnavailable(Exception):
    """Try again later: the provider could not be reached or asked us to wait."""


class ProviderOutOfCredit(ProviderUnavailable):
    """The account has no credit left: retried like an outage (an operator can top it up in
    time), but every occurrence is an alarm for operators."""


class ProviderRejected(Exception):
    """The provider refused this message for good: no retry will change its answer."""


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str
    status_text: str


@dataclass(frozen=True)
class DeliveryReport:
    """Where a sent message stands. ``final`` reports end the wait: delivered, or failed with a
    reason support can read out to the customer."""

    final: bool
    delivered: bool = False
    reason: str | None = None

    @classmethod
    def pending(cls) -> DeliveryReport:
        return cls(final=False)

    @classmethod
    def arrived(cls) -> DeliveryReport:
        return cls(final=True, delivered=True)

    @classmethod
    def failed(cls, reason: str) -> DeliveryReport:
        return cls(final=True, delivered=False, reason=reason)


class SmsSender(Protocol):
    def send(self, receptor: str, message: str, message_id: str) -> Receipt: ...

    def lookup(self, receptor: str, template: str, token: str, message_id: str) -> Receipt: ...

    def delivery_reports(self, provider_message_ids: Iterable[str]) -> dict[str, DeliveryReport]: ...
