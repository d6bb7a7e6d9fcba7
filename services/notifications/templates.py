"""SMS texts in Persian (default) and English, with Jalali dates and Persian digits (NO-1).

Persian texts hold no English words and no raw identifiers (gateway references such as
`reverse-A000…` mean nothing to a customer and read as a scam); a number a person may need
(an amount, a bank's tracking number) is written in Persian digits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.notifications.render import render
from shared.events.tenancy import MemberInvitedV1, permission_words
from shared.kernel.i18n import persian_digits

PRODUCT_NAME = {"fa": "حسابداری ابری", "en": "Cloud Accounting"}  # as the portal names itself


@dataclass(frozen=True)
class SupportLine:
    """Where texts send people who need help: from configuration (SUPPORT_PHONE,
    SUPPORT_PHONE_EN); the defaults are the number the FAQ gives."""

    phone_fa: str = "021-86034665 داخلی 101"
    phone_en: str = "021-86034665 ext. 101"

    def phone(self, locale: str) -> str:
        return self.phone_en if locale == "en" else persian_digits(self.phone_fa)


# The code on the first line, with nothing else numeric there (people and tests read it from
# that line); the product's name, so a code is not taken for another service's; and the
# warning that whoever asks for the code is not us.
CODE_TEXTS = {
    "fa": "کد {what} شما در {product}: {code:digits}\n"
          "این کد را به هیچ‌کس ندهید؛ ما هرگز آن را از شما نمی‌خواهیم.\n"
          "معتبر تا {expires_at}",
    "en": "{product} {what} code: {code}\n"
          "Do not share this code with anyone; we never ask for it.\n"
          "Valid until {expires_at}.",
}
PURPOSES = {"signup": {"fa": "ثبت‌نام", "en": "sign-up"},
            "password_reset": {"fa": "فراموشی رمز", "en": "password reset"}}


def verification_code(code: str, purpose: str, expires_at: datetime, locale: str) -> str:
    language = "en" if locale == "en" else "fa"
    what = PURPOSES["signup" if purpose == "signup" else "password_reset"][language]
    return render(CODE_TEXTS[language], {"what": what, "product": PRODUCT_NAME[language], "code": code,
                                         "expires_at": expires_at}, language)


# An invitation goes to a number that may have no account yet (issue #19): the business, the
# rights offered in words (shared/events/tenancy.py PERMISSION_LABELS), the deadline, and the
# link on a line of its own. Sent in Persian: nobody has told us the invitee's language.
INVITATION_TEXTS = {
    "fa": "«{business_name}» شما را با این دسترسی‌ها به {product} دعوت کرده است: {permissions}.\n"
          "برای پذیرش تا {expires_at:datetime} با همین شماره ثبت‌نام کنید یا وارد شوید:\n{link}",
    "en": "{business_name} invited you to {product} with these permissions: {permissions}.\n"
          "To accept by {expires_at:datetime}, sign up or log in with this number:\n{link}",
}


def invitation(event: MemberInvitedV1, portal_url: str, locale: str = "fa") -> str:
    language = "en" if locale == "en" else "fa"
    link = f"{portal_url.rstrip('/')}/#/invitations/{event.tenant_id}/{event.invitation_id}"
    return render(INVITATION_TEXTS[language], {
        "business_name": event.business_name, "product": PRODUCT_NAME[language], "expires_at": event.expires_at,
        "permissions": permission_words(event.permissions, language), "link": link}, language)


def latin_digits(text: str) -> str:
    """The code as Kavenegar's lookup token: Latin digits, whatever digits it was written in."""
    return text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789"))
