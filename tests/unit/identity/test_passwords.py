"""ID-3: ASCII only, 8..128 characters, lower + upper + digit + special; a refusal names every
failed rule and hints at a Persian keyboard layout or Caps Lock."""

from __future__ import annotations

import json

import pytest

from services.identity.passwords import check_password, password_problems
from shared.kernel.errors import DomainError

ALL_RULES = ["ascii_only", "min_length_8", "max_length_128", "needs_lowercase", "needs_uppercase",
             "needs_digit", "needs_special"]

STRONG = "Str0ng!pass"


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Passw0rd!é", "ascii_only"),
        ("Passw0rd!\t", "ascii_only"),  # a control character is not a typeable symbol
        ("Pa1!xyz", "min_length_8"),
        ("Aa1!" + "x" * 125, "max_length_128"),
        ("PASSWORD1!", "needs_lowercase"),
        ("password1!", "needs_uppercase"),
        ("Password!!", "needs_digit"),
        ("Password12", "needs_special"),
        ("Password 12", "needs_special"),  # a space is not a special character
    ],
)
def test_each_rule_alone_fails_with_exactly_its_code(password: str, rule: str) -> None:
    rules, _ = password_problems(password)
    assert rules == [rule]
    with pytest.raises(DomainError) as caught:
        check_password(password)
    assert caught.value.code == "weak_password"
    assert caught.value.details["rules"] == [rule]


@pytest.mark.parametrize("digit", ["١", "۱", "１"], ids=["arabic-indic", "persian", "fullwidth"])
def test_a_non_ascii_digit_does_not_count_as_a_digit(digit: str) -> None:
    rules, _ = password_problems(f"Password{digit}!")
    assert rules == ["ascii_only", "needs_digit"]


def test_empty_password_lists_every_applicable_rule() -> None:
    rules, hints = password_problems("")
    assert rules == ["min_length_8", "needs_lowercase", "needs_uppercase", "needs_digit", "needs_special"]
    assert hints == []


def test_all_failed_rules_are_listed_together() -> None:
    rules, _ = password_problems("é" * 129)
    assert rules == ["ascii_only", "max_length_128", "needs_lowercase", "needs_uppercase", "needs_digit",
                     "needs_special"]
    with pytest.raises(DomainError) as caught:
        check_password("abc")
    assert caught.value.details["rules"] == ["min_length_8", "needs_uppercase", "needs_digit", "needs_special"]


def test_rules_are_listed_once_each() -> None:
    for password in ["", "a", "é" * 200, "رمز", "AAAA", "1111111111111", "!" * 300]:
        rules, hints = password_problems(password)
        assert len(rules) == len(set(rules))
        assert len(hints) == len(set(hints))
        assert set(rules) <= set(ALL_RULES)


@pytest.mark.parametrize("password", ["رمزعبورقوی", "رمز عبور ۱۲۳", "Passw0rd!ب", "Passw0rd!\u200c", "ضصثقفغعهخح"])
def test_persian_letters_hint_at_the_keyboard_layout(password: str) -> None:
    rules, hints = password_problems(password)
    assert "ascii_only" in rules
    assert "persian_keyboard" in hints
    with pytest.raises(DomainError) as caught:
        check_password(password)
    assert "persian_keyboard" in caught.value.details["hints"]
    assert "ascii_only" in caught.value.details["rules"]


def test_persian_only_password_fails_everything_but_max_length() -> None:
    rules, hints = password_problems("رمزعبورقوی")
    assert rules == ["ascii_only", "needs_lowercase", "needs_uppercase", "needs_digit", "needs_special"]
    assert hints == ["persian_keyboard"]


def test_caps_lock_shape_gets_a_hint() -> None:
    assert password_problems("pASSWORD1!") == ([], ["caps_lock"])
    rules, hints = password_problems("pASSWORD!")  # the same shape, also failing a rule
    assert rules == ["needs_digit"]
    assert hints == ["caps_lock"]
    with pytest.raises(DomainError) as caught:
        check_password("pASSWORD!")
    assert caught.value.details == {"rules": ["needs_digit"], "hints": ["caps_lock"]}


@pytest.mark.parametrize("password", ["Password1!", "PASSWORD1!", "password1!", "p1!", "Pa55w0rD!"])
def test_no_caps_lock_hint_for_ordinary_shapes(password: str) -> None:
    assert "caps_lock" not in password_problems(password)[1]


@pytest.mark.parametrize("password", [STRONG, "Aa1!aaaa", "Correct-Horse-Battery-Staple-9", "P@ssw0rd",
                                      "~Zz9" + "a" * 124])
def test_strong_password_has_no_problems(password: str) -> None:
    assert password_problems(password) == ([], [])
    assert check_password(password) == password


def test_length_boundaries() -> None:
    eight = "Aa1!aaaa"
    assert len(eight) == 8
    assert password_problems(eight)[0] == []
    assert password_problems(eight[:7])[0] == ["min_length_8"]
    longest = "Aa1!" + "a" * 124
    assert len(longest) == 128
    assert password_problems(longest)[0] == []
    assert check_password(longest) == longest
    assert password_problems(longest + "a")[0] == ["max_length_128"]


@pytest.mark.parametrize("value", [None, 12345678, 1.5, b"Str0ng!pass", ["Str0ng!pass"], {"p": 1}, True],
                         ids=repr)
def test_non_string_is_a_weak_password(value: object) -> None:
    with pytest.raises(DomainError) as caught:
        check_password(value)
    assert caught.value.code == "weak_password"
    assert caught.value.details["rules"]
    assert set(caught.value.details["rules"]) <= set(ALL_RULES)


@pytest.mark.parametrize("password", ["Secret123", "mysecretpassword!", "SECRETSECRET1!", "سکرت۱۲۳ABCx!",
                                      "Xx!" + "9" * 200, "pASSWORDxyz!"])
def test_the_error_never_carries_the_password(password: str) -> None:
    with pytest.raises(DomainError) as caught:
        check_password(password)
    error = caught.value
    exposed = [str(error), repr(error), json.dumps(error.details, ensure_ascii=False),
               json.dumps(error.as_answer(), ensure_ascii=False), repr(error.args)]
    for text in exposed:
        assert password not in text
        assert password[:6] not in text
