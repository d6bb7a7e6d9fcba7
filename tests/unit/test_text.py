"""Text that lies (issue #13, item 6): what a plain line keeps and what it refuses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.http.billing import OrderRequest
from shared.kernel.text import hidden_characters, plain_line


@pytest.mark.parametrize("name", ["کافه‌ی کتاب", "فروشگاه می‌شود", "Acme Ltd.", "۱۲۳ بازرگانی", "👨‍👩‍👧 toys"])
def test_persian_half_spaces_and_joiners_are_kept(name: str) -> None:
    assert plain_line(name) == name


@pytest.mark.parametrize("character", ["\u202e", "\u202a", "\u2066", "\u200b", "\ufeff", "\x00", "\x1b", "\x85",
                                       "\u2028", "\u2029", "\ue000", "\u0378", "\u061c", "\u200e"])
def test_controls_bidi_and_format_characters_are_refused(character: str) -> None:
    assert plain_line(f"شرکت{character}نمونه") is None
    assert hidden_characters(f"a{character}b") == [f"U+{ord(character):04X}"]


def test_text_is_normalised_to_nfc_and_trimmed() -> None:
    decomposed = "cafe\u0301"  # e + combining acute
    assert plain_line(f"  {decomposed} ") == "caf\u00e9"
    assert plain_line("   ") is None and plain_line(None) is None and plain_line("x" * 201) is None


def test_a_request_body_refuses_the_override_and_names_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        OrderRequest.model_validate({"business_name": "cod.exe\u202egnp", "business_type": "retail"})
    (error,) = refused.value.errors()
    assert error["loc"] == ("business_name",) and error["type"] == "hidden_characters"
    assert OrderRequest.model_validate({"business_name": " نیم‌فاصله "}).business_name == "نیم‌فاصله"
