"""What billing asks of a payment gateway (BI-2, BI-3), and the answers it understands. The
adapter is services/billing/zarinpal.py; unit tests give the application an in-memory fake
(tests/support/billing.py) that answers as the provider documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

PAID, ALREADY_VERIFIED = 100, 101  # verify's two successes: 101 = verified before (counts as success)
AMOUNT_MISMATCH, NOT_PAID = -50, -51
CAPTURED = ("PAID", "VERIFIED")  # inquiry: the customer's money was taken
NOT_CAPTURED = ("FAILED", "REVERSED")


class GatewayUnavailable(Exception):
    """No usable answer (network, timeout, 5xx, rate limit): nothing is known; ask again later."""


class RefundRefused(Exception):
    """The gateway will not give this money back by API whatever we retry: an operator must act."""


@dataclass(frozen=True)
class Verdict:
    """verify's answer: ``code`` 100/101 success, negative a refusal; on success what the
    bank returns for the receipt (the card masked, its hash, the fee)."""

    code: int
    ref_id: str | None = None
    message: str = ""
    card_pan: str | None = None
    card_hash: str | None = None
    fee: int | None = None
    fee_type: str | None = None

    @property
    def paid(self) -> bool:
        return self.code in (PAID, ALREADY_VERIFIED)

    @property
    def captured(self) -> bool:
        """Whether the customer's money stays taken after this verdict (then it goes back)."""
        return self.code != NOT_PAID

    def receipt(self) -> dict[str, Any]:
        return {"ref_id": self.ref_id, "card_pan": self.card_pan, "card_hash": self.card_hash, "fee": self.fee,
                "fee_type": self.fee_type}


class PaymentGateway(Protocol):
    """Every call raises GatewayUnavailable when nothing is known (ask again later)."""

    def request(self, amount_rials: int, callback_url: str, description: str, order_id: str) -> tuple[str, str]:
        """Start a payment: (authority, the URL to send the customer to)."""

    def inquiry(self, authority: str) -> str:
        """PAID (captured, not verified) | VERIFIED | IN_BANK (still at the bank) | FAILED | REVERSED."""

    def verify(self, authority: str, amount_rials: int) -> Verdict:
        """Confirm the capture of ``amount_rials``; a refusal is a Verdict with a negative code."""

    def refund(self, authority: str, ref_id: str | None, amount_rials: int, description: str) -> str:
        """Give the money back (never twice): a reference, or RefundRefused when only a person can."""
