"""The in-memory gateway the unit tests pay through answers as ZarinpalClient reads the
sandbox (tests/integration/test_zarinpal_conformance.py asks the same of the real client)."""

from __future__ import annotations

import pytest

from services.billing.gateway import GatewayUnavailable, PaymentGateway, RefundRefused
from services.billing.zarinpal import ZarinpalClient
from tests.support.billing import FakeGateway


def paid(bank: FakeGateway, amount: int = 150_000) -> str:
    authority, redirect = bank.request(amount, "http://portal.test/cb", "a test", "order-1")
    assert bank.pay(redirect, "success") == (authority, "OK")
    return authority


def test_both_speak_the_protocol() -> None:
    gateways: list[PaymentGateway] = [FakeGateway(), ZarinpalClient("http://127.0.0.1:9", "m" * 36)]
    assert all(callable(g.refund) for g in gateways)


def test_verify_reads_every_documented_answer() -> None:
    bank = FakeGateway()
    authority, redirect = bank.request(150_000, "http://portal.test/cb", "a test", "order-2")
    assert bank.inquiry(authority) == "IN_BANK"
    assert bank.verify(authority, 150_000).code == -51 and not bank.verify(authority, 150_000).captured
    bank.pay(redirect, "success")
    assert bank.inquiry(authority) == "PAID"
    assert bank.verify(authority, 100_000).code == -50  # an amount that is not the one paid
    first = bank.verify(authority, 150_000)
    assert first.code == 100 and first.paid and first.card_pan == "502229******5995" and first.fee
    assert bank.verify(authority, 150_000).code == 101 and bank.inquiry(authority) == "VERIFIED"
    bank.verify_code = -12
    with pytest.raises(GatewayUnavailable):
        bank.verify(authority, 150_000)
    with pytest.raises(GatewayUnavailable):
        bank.inquiry("A-unknown")


def test_cancel_and_a_failed_verification() -> None:
    bank = FakeGateway()
    cancelled, redirect = bank.request(150_000, "http://portal.test/cb", "a", "o")
    assert bank.pay(redirect, "cancel") == (cancelled, "NOK") and bank.inquiry(cancelled) == "FAILED"
    failing, redirect = bank.request(150_000, "http://portal.test/cb", "b", "o")
    bank.pay(redirect, "captured_then_fail")
    verdict = bank.verify(failing, 150_000)
    assert verdict.code == -52 and verdict.captured and not verdict.paid


def test_a_reverse_within_its_window_then_nothing_more_to_give() -> None:
    bank = FakeGateway()
    authority = paid(bank)
    assert bank.refund(authority, None, 150_000, "x") == "reversed" and bank.inquiry(authority) == "REVERSED"
    assert bank.refund(authority, None, 150_000, "again") == "reversed" and bank.asked("reverse", authority) == 1


def test_past_the_window_the_refund_api_by_reference_never_twice() -> None:
    bank = FakeGateway()
    authority = paid(bank)
    ref_id = bank.verify(authority, 150_000).ref_id
    bank.reverse_window_open = False
    with pytest.raises(RefundRefused, match="no transaction number"):
        bank.refund(authority, None, 150_000, "never verified")
    with pytest.raises(RefundRefused, match="20000"):
        bank.refund(authority, ref_id, 15_000, "too small")
    with pytest.raises(RefundRefused, match="no transaction"):
        bank.refund(authority, "999", 150_000, "a reference the bank never gave")
    first = bank.refund(authority, ref_id, 150_000, "first")
    assert first.startswith("refund-38") and bank.refund(authority, ref_id, 150_000, "lost answer") == first
    assert bank.asked("add_refund", authority) == 1 and bank.inquiry(authority) == "VERIFIED"


def test_an_outage_says_nothing_and_a_refusal_is_for_good() -> None:
    bank = FakeGateway()
    authority = paid(bank)
    ref_id = bank.verify(authority, 150_000).ref_id
    bank.refund_outage = True
    with pytest.raises(GatewayUnavailable):
        bank.refund(authority, ref_id, 150_000, "x")
    bank.refund_outage, bank.reverse_ip_registered, bank.refund_refused = False, False, True
    with pytest.raises(RefundRefused, match="AddRefund refused"):
        bank.refund(authority, ref_id, 150_000, "x")
    bank.unavailable = True
    with pytest.raises(GatewayUnavailable):
        bank.request(150_000, "http://portal.test/cb", "a", "o")
