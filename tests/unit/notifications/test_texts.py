"""The SMS texts (NO-1, ID-2): a code names the product and warns against sharing it, with the
code alone in Persian digits on its first line; Persian texts hold no English words and no raw
identifiers; texts that send people to support give the configured support number."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.notifications.notices import NOTICES, notices_for
from services.notifications.templates import SupportLine, latin_digits, verification_code
from shared.events import billing
from shared.events.base import IntegrationEvent
from shared.events.billing import LimitsOfferedV1, LimitsOfferWithdrawnV1

GOLDEN = Path(__file__).parents[2] / "contract" / "golden"
LATIN_LETTERS = re.compile(r"[A-Za-z]")
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
EXPIRES = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def sample(model: type[IntegrationEvent]) -> IntegrationEvent:
    return model.model_validate(json.loads((GOLDEN / f"{model.type}.v1.json").read_text())["payload"])


@pytest.mark.parametrize("purpose", ["signup", "password_reset"])
def test_the_persian_code_sms_names_the_product_and_warns_against_sharing(purpose: str) -> None:
    text = verification_code("042913", purpose, EXPIRES, "fa")
    first_line = text.split("\n")[0]
    assert "".join(ch for ch in first_line if ch in PERSIAN_DIGITS) == "۰۴۲۹۱۳"  # the code alone, as people read it
    assert "حسابداری ابری" in first_line and "به هیچ‌کس ندهید" in text
    assert ("ثبت‌نام" if purpose == "signup" else "فراموشی رمز") in first_line
    assert not LATIN_LETTERS.search(text) and not re.search(r"[0-9]", text)


def test_the_english_code_sms_says_the_same() -> None:
    text = verification_code("042913", "signup", EXPIRES, "en")
    assert text.split("\n")[0] == "Cloud Accounting sign-up code: 042913"
    assert "Do not share this code" in text and "1405/09/14" in text


def test_the_lookup_token_is_the_code_in_latin_digits() -> None:
    assert latin_digits("۰۴۲۹۱۳") == "042913" == latin_digits("042913")


@pytest.mark.parametrize("model", sorted(NOTICES, key=lambda m: m.type), ids=lambda m: m.type)
def test_no_persian_notice_holds_latin_letters_or_latin_digits(model: type[IntegrationEvent]) -> None:
    for notice in notices_for(sample(model)):
        persian = notice.text("fa")
        assert not LATIN_LETTERS.search(persian), persian
        assert not re.search(r"[0-9]", persian), persian


def test_a_refund_is_told_without_the_gateways_reference() -> None:
    refund = billing.RefundCompletedV1.model_validate(
        sample(billing.RefundCompletedV1).model_dump() | {"refund_reference": "reverse-A0000000000000000000000000123",
                                                          "amount_rials": 1_250_000})
    (notice,) = notices_for(refund)
    fa, en = notice.text("fa"), notice.text("en")
    assert "بازپرداخت انجام شد" in fa and "۱٬۲۵۰٬۰۰۰ ریال" in fa
    assert "1,250,000 rials were refunded" in en
    assert "reverse" not in fa + en and "A000" not in fa + en and "123" not in fa + en


def test_a_payment_names_the_banks_tracking_number_but_not_another_reference() -> None:
    paid = sample(billing.PaymentSucceededV1)
    (numeric,) = notices_for(paid.model_copy(update={"gateway_reference": "218439517726"}))
    assert "کد پیگیری ۲۱۸۴۳۹۵۱۷۷۲۶" in numeric.text("fa") and "(ref 218439517726)" in numeric.text("en")
    (opaque,) = notices_for(paid.model_copy(update={"gateway_reference": "A00000000000000000000000000000000042"}))
    assert "پیگیری" not in opaque.text("fa") and "ref" not in opaque.text("en")


def test_a_refund_promise_gives_the_configured_support_number() -> None:
    scheduled = billing.RefundScheduledV1(
        payment_id=uuid.uuid4(), order_id=uuid.uuid4(), tenant_id=uuid.uuid4(), payer_user_id=uuid.uuid4(),
        amount_rials=148_500_000, gateway="zarinpal", refund_id=uuid.uuid4(), gateway_reference="A1",
        captured_at=EXPIRES, refund_deadline=EXPIRES + timedelta(hours=72))
    (default,) = notices_for(scheduled)
    assert "پشتیبانی" in default.text("fa") and "۰۲۱-۸۶۰۳۴۶۶۵ داخلی ۱۰۱" in default.text("fa")
    assert "call support: 021-86034665 ext. 101" in default.text("en")
    (configured,) = notices_for(scheduled, SupportLine(phone_fa="021-12345678", phone_en="+98 21 1234 5678"))
    assert "۰۲۱-۱۲۳۴۵۶۷۸" in configured.text("fa") and "+98 21 1234 5678" in configured.text("en")


def test_supports_limits_offer_is_told_to_the_admin_without_an_amount() -> None:
    offered = sample(LimitsOfferedV1)
    [notice] = notices_for(offered)
    assert notice.template == "support.limits_offered" and notice.user_id == offered.customer_user_id
    persian, english = notice.text("fa"), notice.text("en")
    assert "پیشنهاد پشتیبانی" in persian and "کاربران هم‌زمان" in persian and "شرکت بازرگانی آفتاب پارس" in persian
    assert "offer" in english and "concurrent users" in english
    assert not re.search(r"ریال|[0-9۰-۹]", persian) and "rial" not in english.lower()  # nothing they could not check


def test_a_withdrawn_offer_is_told_to_the_admin_without_an_amount() -> None:
    withdrawn = sample(LimitsOfferWithdrawnV1)
    [notice] = notices_for(withdrawn)
    assert notice.template == "support.limits_offer_withdrawn" and notice.user_id == withdrawn.customer_user_id
    persian, english = notice.text("fa"), notice.text("en")
    assert "پس گرفت" in persian and "شرکت بازرگانی آفتاب پارس" in persian and "withdrawn" in english
    assert not re.search(r"ریال|[0-9۰-۹]", persian) and "rial" not in english.lower()
