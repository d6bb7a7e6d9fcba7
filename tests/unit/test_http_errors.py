"""X-3 / ID-3: every error code has a status and a Persian and an English message; a weak
password's refusal explains each failed rule and hint in both languages."""

from __future__ import annotations

import re

import pytest

from services.identity.passwords import check_password, password_problems
from shared.http.errors import ERRORS, PASSWORD_HINTS, PASSWORD_RULES, error_body
from shared.kernel.errors import DomainError
from shared.kernel.mobile import normalize_mobile

PERSIAN_LETTERS = re.compile(r"[\u0600-\u06FF]")

# Inputs crafted to make password_problems produce every rule and hint it knows.
CRAFTED_PASSWORDS = [
    "", "a", "Passw0rd!é", "Passw0rd!\t", "Pa1!xyz", "Aa1!" + "x" * 125, "PASSWORD1!", "password1!",
    "Password!!", "Password12", "رمزعبورقوی", "Passw0rd!ب", "pASSWORD1!", "pASSWORD!", "é" * 200, "Str0ng!pass",
]


def _produced() -> tuple[set[str], set[str]]:
    rules: set[str] = set()
    hints: set[str] = set()
    for password in CRAFTED_PASSWORDS:
        found_rules, found_hints = password_problems(password)
        rules.update(found_rules)
        hints.update(found_hints)
    for value in (None, 42, b"x"):
        with pytest.raises(DomainError) as caught:
            check_password(value)
        rules.update(caught.value.details["rules"])
        hints.update(caught.value.details["hints"])
    return rules, hints


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_every_error_has_a_status_and_both_messages(code: str) -> None:
    status, fa, en = ERRORS[code]
    assert 400 <= status < 600
    assert fa.strip() and en.strip()
    assert PERSIAN_LETTERS.search(fa), "the Persian message is not in Persian"
    assert not PERSIAN_LETTERS.search(en), "the English message contains Persian"
    got_status, body = error_body(code)
    assert got_status == status
    assert body["error"] == code
    if "{" not in fa:  # a message that names a field is checked below
        assert body["message"] == {"fa": fa, "en": en}


def test_invalid_text_names_the_field_in_both_languages() -> None:
    status, body = error_body("invalid_text", {"field": "business_name", "characters": ["U+202E"]})
    assert status == 422 and body["field"] == "business_name" and body["characters"] == ["U+202E"]
    assert "نام کسب‌وکار" in body["message"]["fa"] and "business name" in body["message"]["en"]
    _, unknown = error_body("invalid_text", {"field": "x"})
    assert "{" not in unknown["message"]["fa"] + unknown["message"]["en"]


def test_the_statuses_are_the_expected_ones() -> None:
    assert error_body("invalid_mobile")[0] == 422
    assert error_body("weak_password")[0] == 422
    assert error_body("mobile_already_registered")[0] == 409
    assert error_body("unauthorized")[0] == 401
    assert error_body("forbidden")[0] == 403
    assert error_body("internal_error")[0] == 500


def test_duplicate_mobile_message_points_to_recovery() -> None:
    _, body = error_body("mobile_already_registered")
    assert "recovery" in body["message"]["en"]
    assert "فراموشی رمز" in body["message"]["fa"]


@pytest.mark.parametrize("code", ["no_such_code", "", "Invalid_Mobile", "weak_password "])
def test_unknown_code_answers_as_internal_error(code: str) -> None:
    status, body = error_body(code)
    _, fa, en = ERRORS["internal_error"]
    assert status == 500
    assert body["message"] == {"fa": fa, "en": en}


def test_unknown_code_is_reported_as_internal_error() -> None:
    _, body = error_body("no_such_code")
    assert body["error"] == "internal_error"


def test_details_are_passed_through() -> None:
    with pytest.raises(DomainError) as caught:
        normalize_mobile("02112345678")
    status, body = error_body(caught.value.code, caught.value.details)
    assert status == 422
    assert body["error"] == "invalid_mobile"
    assert body["expected"] == "09121234567"


def test_error_body_does_not_change_the_details_given() -> None:
    details = {"rules": ["needs_digit"], "hints": ["caps_lock"]}
    error_body("weak_password", details)
    assert details == {"rules": ["needs_digit"], "hints": ["caps_lock"]}


def test_weak_password_expands_rules_and_hints() -> None:
    with pytest.raises(DomainError) as caught:
        check_password("pASSWORD")
    status, body = error_body(caught.value.code, caught.value.details)
    assert status == 422
    assert body["error"] == "weak_password"
    assert [r["rule"] for r in body["rules"]] == ["needs_digit", "needs_special"]
    assert [h["hint"] for h in body["hints"]] == ["caps_lock"]
    for entry in body["rules"]:
        assert entry["message"] == dict(zip(("fa", "en"), PASSWORD_RULES[entry["rule"]], strict=True))
    for entry in body["hints"]:
        assert entry["message"] == dict(zip(("fa", "en"), PASSWORD_HINTS[entry["hint"]], strict=True))
    assert "pASSWORD" not in repr(body)


def test_weak_password_without_details_has_empty_lists() -> None:
    status, body = error_body("weak_password")
    assert status == 422
    assert body["rules"] == [] and body["hints"] == []


def test_every_rule_and_hint_has_both_messages() -> None:
    for table in (PASSWORD_RULES, PASSWORD_HINTS):
        for code, (fa, en) in table.items():
            assert fa.strip() and en.strip(), code
            assert PERSIAN_LETTERS.search(fa), code
            assert not PERSIAN_LETTERS.search(en), code


def test_every_rule_and_hint_the_policy_produces_is_translated() -> None:
    rules, hints = _produced()
    # The crafted inputs reach every rule and hint (so the check below is not vacuous)…
    assert rules == {"ascii_only", "min_length_8", "max_length_128", "needs_lowercase", "needs_uppercase",
                     "needs_digit", "needs_special"}
    assert hints == {"persian_keyboard", "caps_lock"}
    # …and each has an entry in the gateway's table.
    assert rules <= set(PASSWORD_RULES)
    assert hints <= set(PASSWORD_HINTS)


@pytest.mark.parametrize("password", [p for p in CRAFTED_PASSWORDS if password_problems(p)[0]])
def test_every_weak_password_refusal_renders(password: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_password(password)
    status, body = error_body(caught.value.code, caught.value.details)
    assert status == 422
    assert len(body["rules"]) == len(caught.value.details["rules"]) > 0
    for entry in body["rules"] + body["hints"]:
        assert entry["message"]["fa"] and entry["message"]["en"]
