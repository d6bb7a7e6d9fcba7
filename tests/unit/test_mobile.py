"""ID-1 / X-3: whatever form people type a mobile number in, it is stored as +989xxxxxxxxx;
anything else is refused with invalid_mobile and the expected form."""

from __future__ import annotations

import pytest

from shared.kernel.errors import DomainError
from shared.kernel.mobile import EXPECTED_FORM, normalize_mobile

CANONICAL = "+989121234567"


@pytest.mark.parametrize(
    "typed",
    [
        "09121234567",
        "+989121234567",
        "00989121234567",
        "9121234567",
        "989121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",  # Persian digits
        "+۹۸۹۱۲۱۲۳۴۵۶۷",
        "۰۰۹۸۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",  # Arabic-Indic digits
        "09١٢۱۲34567",  # mixed Latin / Arabic-Indic / Persian
        "0912 123 4567",
        "0912-123-4567",
        "(0912) 123-4567",
        "+98 (912) 123 45 67",
        "0912\u200c123\u200c4567",  # zero-width non-joiner, as a Persian keyboard inserts
        "  09121234567  ",
        "\t09121234567\n",
        "0912.123.4567",
    ],
)
def test_accepted_forms_normalize_to_e164(typed: str) -> None:
    assert normalize_mobile(typed) == CANONICAL


def test_other_operators_keep_their_digits() -> None:
    assert normalize_mobile("09351234567") == "+989351234567"
    assert normalize_mobile("۰۹۹۰۱۲۳۴۵۶۷") == "+989901234567"


def test_the_result_is_plain_ascii_e164() -> None:
    result = normalize_mobile("۰۹۱۲ ۱۲۳ ۴۵۶۷")
    assert result.isascii()
    assert result.startswith("+98") and len(result) == 13 and result[1:].isdigit()


REFUSED = [
    pytest.param("02112345678", id="tehran-landline"),
    pytest.param("+982112345678", id="landline-e164"),
    pytest.param("00982112345678", id="landline-0098"),
    pytest.param("2112345678", id="landline-bare"),
    pytest.param("0912123", id="short"),
    pytest.param("912", id="very-short"),
    pytest.param("0", id="zero"),
    pytest.param("+14155550100", id="us"),
    pytest.param("+447911123456", id="uk"),
    pytest.param("00447911123456", id="uk-00"),
    pytest.param("+9609121234567", id="maldives-prefix"),
    pytest.param("0912abc4567", id="letters-inside"),
    pytest.param("mobile", id="letters"),
    pytest.param("O9121234567", id="letter-O-for-zero"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("\u200c", id="only-zwnj"),
    pytest.param("0912123456", id="9-digits-after-0"),
    pytest.param("091212345678", id="11-digits-after-0"),
    pytest.param("+98912123456", id="9-digits-after-+98"),
    pytest.param("+9891212345678", id="11-digits-after-+98"),
    pytest.param("0098912123456", id="9-digits-after-0098"),
    pytest.param("912123456", id="9-digits-bare"),
    pytest.param("91212345678", id="11-digits-bare"),
    pytest.param("0912'; DROP TABLE", id="sql-injection"),
    pytest.param("09121234567'; DROP TABLE users;--", id="valid-then-sql"),
    pytest.param("\x00", id="nul"),
    pytest.param("0912123\x004567", id="nul-inside"),
    pytest.param("09121234567\x00", id="nul-after"),
    pytest.param("<script>alert(1)</script>", id="html"),
    pytest.param("۰" * 10_000, id="very-long-persian-zeros"),
    pytest.param("🙂" * 1_000, id="very-long-emoji"),
    pytest.param("0" * 41, id="41-chars"),
    pytest.param("0912" + " " * 30 + "1234567", id="41-chars-with-spaces"),
    pytest.param("+98+9121234567", id="double-plus"),
    pytest.param("09121234567+", id="trailing-plus"),
]


@pytest.mark.parametrize("typed", REFUSED)
def test_refused_forms_raise_invalid_mobile(typed: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_mobile(typed)
    assert caught.value.code == "invalid_mobile"
    assert caught.value.details == {"expected": "09121234567"}


@pytest.mark.parametrize(
    "value",
    [None, 9121234567, 989121234567, 9.121234567e9, b"09121234567", ["09121234567"], {"m": "09121234567"}, True],
    ids=repr,
)
def test_non_strings_raise_invalid_mobile(value: object) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_mobile(value)
    assert caught.value.code == "invalid_mobile"
    assert caught.value.details == {"expected": "09121234567"}


def test_the_expected_form_is_a_national_number() -> None:
    assert EXPECTED_FORM == "09121234567"
    assert normalize_mobile(EXPECTED_FORM) == CANONICAL


def test_forty_characters_is_still_considered() -> None:
    typed = "0912" + " " * 29 + "1234567"
    assert len(typed) == 40
    assert normalize_mobile(typed) == CANONICAL


@pytest.mark.parametrize("typed", ["091212345６７", "0912123456७"], ids=["fullwidth", "devanagari"])
def test_other_unicode_digits_are_translated_or_refused(typed: str) -> None:
    try:
        result = normalize_mobile(typed)
    except DomainError as error:
        assert error.code == "invalid_mobile"
    else:
        assert result.isascii(), f"non-ASCII digits in normalized number: {result!r}"
