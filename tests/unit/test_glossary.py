"""Every customer-facing text follows docs/glossary.md: none of the variants its "Variants
refused" table lists appears in the portal's words, the SMS texts, the error tables or the
texts approved with the SMS provider."""

from __future__ import annotations

import re

import pytest

from shared.kernel.config import REPO_ROOT

GLOSSARY = REPO_ROOT / "docs" / "glossary.md"
TEXTS = [*sorted((REPO_ROOT / "services" / "gateway" / "portal").glob("*.js")),
         *sorted((REPO_ROOT / "services" / "notifications" / "notices").glob("*.py")),
         REPO_ROOT / "services" / "notifications" / "templates.py",
         *sorted((REPO_ROOT / "shared" / "http").glob("*.py")),
         # the approved SMS templates (tools/dev_sms_provider.py repeats them beside Kavenegar's own words)
         REPO_ROOT / "docs" / "providers.md"]


def refused_variants() -> list[tuple[str, str]]:
    section = GLOSSARY.read_text(encoding="utf-8").split("## Variants refused", 1)[1]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", section, re.MULTILINE)
    return [(refused, use) for refused, use in rows if refused not in ("refused", "---")]


def test_the_glossary_lists_what_it_refuses() -> None:
    variants = dict(refused_variants())
    assert variants["نویسه"] == "کاراکتر" and variants["بازیابی رمز"] == "فراموشی رمز"
    assert variants["بازیابی از پشتیبان"] == "بازگردانی از پشتیبان"


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_customer_texts_use_the_settled_words(path: object) -> None:
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    found = [(refused, use) for refused, use in refused_variants() if refused in text]
    assert found == [], f"{path}: write the glossary's word instead: {found}"
