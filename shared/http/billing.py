"""Billing's HTTP bodies and error table (BI-1 … BI-4). Numbers may be typed as digits in
any script (the service normalizes them), so they are accepted here as int or str."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared.http.iran_ids import digits_of, legal_id_valid, national_code_valid, postal_code_valid
from shared.http.numbers import WholeNumber
from shared.http.text import PlainLine

Count = WholeNumber  # typed in any script; never a float (shared/http/numbers.py)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BuyerIdentity(_Body):
    """Who the official invoice names as buyer (issue #19): a person (``national_code``, کد ملی)
    or a legal entity (``legal_id``, شناسه ملی, and ``economic_code``, کد اقتصادی, which for a
    legal entity is its 11-digit national id again, or the older 12-digit code); a postal code
    (required for a legal entity). Digits in any script; check digits verified. An order with
    no buyer is a person buying for themselves: its invoice is a type-2 invoice without a buyer."""

    kind: Literal["person", "legal"]
    national_code: str | None = Field(default=None, max_length=20)
    legal_id: str | None = Field(default=None, max_length=20)
    economic_code: str | None = Field(default=None, max_length=20)
    postal_code: str | None = Field(default=None, max_length=20)

    @field_validator("national_code")
    @classmethod
    def _national_code(cls, value: str | None) -> str | None:
        return _checked(value, 10, national_code_valid, "invalid_national_code")

    @field_validator("legal_id")
    @classmethod
    def _legal_id(cls, value: str | None) -> str | None:
        return _checked(value, 11, legal_id_valid, "invalid_legal_id")

    @field_validator("economic_code")
    @classmethod
    def _economic_code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = digits_of(value, (11, 12, 14))
        if code is None or (len(code) == 11 and not legal_id_valid(code)):
            raise PydanticCustomError("invalid_economic_code", "an economic code is 11, 12 or 14 digits")
        return code

    @field_validator("postal_code")
    @classmethod
    def _postal_code(cls, value: str | None) -> str | None:
        return _checked(value, 10, postal_code_valid, "invalid_postal_code")

    @model_validator(mode="after")
    def _complete(self) -> BuyerIdentity:
        if self.kind == "person" and (self.national_code is None or self.legal_id is not None):
            raise PydanticCustomError("invalid_national_code", "a person is named by a national code")
        if self.kind == "legal" and (self.legal_id is None or self.national_code is not None):
            raise PydanticCustomError("invalid_legal_id", "a legal entity is named by its national id")
        if self.kind == "legal" and (self.economic_code is None or self.postal_code is None):
            raise PydanticCustomError("invalid_economic_code", "a legal entity gives its economic code and postal code")
        return self


def _checked(value: str | None, length: int, valid: Callable[[str], bool], code: str) -> str | None:
    """The value as Latin digits; refused with ``code`` (an error code of ERRORS below, which
    the gateway and billing answer as such) when its length or check digit is wrong."""
    if value is None:
        return None
    digits = digits_of(value, length)
    if digits is None or not valid(digits):
        raise PydanticCustomError(code, "the number or its check digit is wrong")
    return digits


# AR-5, on a new order and on its change alike.
DataConversion = Annotated[bool, Field(description="AR-5: support converts the data of other software (a new "
                                       "business arriving mid-year): an order line, free for a returning customer")]
ReturningTenant = Annotated[str | None, Field(max_length=40, description="an earlier business billing sold this "
                                              "customer: the conversion is then free")]


class OrderRequest(_Body):
    """A new business (kind "new": name and type), or for an existing one (tenant_id):
    "renewal", "add_on" (payroll, fixed_assets) or "limits" (extra organizations or users, TE-2)."""

    kind: Literal["new", "renewal", "add_on", "limits"] = "new"
    tenant_id: str | None = Field(default=None, max_length=40)
    business_name: PlainLine | None = Field(default=None, max_length=200)
    business_type: str | None = Field(default=None, max_length=40)
    products: list[str] = Field(default_factory=list, max_length=4)
    period_months: Count = Field(default=12, description="6 or 12")
    extra_organizations: Count = 0
    extra_concurrent_users: Count = 0
    buyer: BuyerIdentity | None = None
    data_conversion: DataConversion = False
    returning_tenant_id: ReturningTenant = None


class OrderChange(_Body):
    """The order as it should now be (its kind and business cannot change)."""

    business_name: PlainLine | None = Field(default=None, max_length=200)
    business_type: str | None = Field(default=None, max_length=40)
    products: list[str] = Field(default_factory=list, max_length=4)
    period_months: Count = 12
    extra_organizations: Count = 0
    extra_concurrent_users: Count = 0
    buyer: BuyerIdentity | None = None
    data_conversion: DataConversion = False
    returning_tenant_id: ReturningTenant = None


class BuyerCorrection(_Body):
    """Support puts a rejected official invoice right (issue #19): the buyer as the system knows
    it, checked as on the order; a new invoice is issued with it."""

    buyer: BuyerIdentity


class EducationalApplicationRequest(_Body):
    institution_name: PlainLine = Field(min_length=1, max_length=200)
    licence_number: PlainLine = Field(min_length=1, max_length=50)
    contact_mobile: str = Field(min_length=1, max_length=40)


# The educational licence's document (issue #19): what the gateway reads of an upload at most.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


class RejectionRequest(_Body):
    # The applicant is told it by SMS (issue #19): billing answers an empty one reason_required
    # (a person forgot it, which deserves its own message), a hidden character invalid_text.
    reason: str = Field(default="", max_length=300)


class LimitsOfferRequest(_Body):
    """Support's priced offer on a ticket (TE-2, issue #19): which of the customer's businesses,
    and how many organizations and concurrent users (per organization) on top of today's limits."""

    tenant_id: str = Field(min_length=1, max_length=40)
    extra_organizations: Count = 0
    extra_concurrent_users: Count = 0


ERRORS: dict[str, tuple[int, str, str]] = {
    "nothing_offered": (422, "دست‌کم یک سازمان یا یک کاربر هم‌زمان اضافه پیشنهاد دهید.",
                        "Offer at least one extra organization or concurrent user."),
    "limits_ceiling": (422, "با این سفارش سقف کسب‌وکار از بیشترین حد مجاز سامانه (۱۰۰۰ سازمان، ۱۰۰۰۰ کاربر "
                            "هم‌زمان در هر سازمان) بیشتر می‌شود؛ عدد کوچک‌تری وارد کنید.",
                       "This order would take the business past the platform's hard cap (1000 organizations, "
                       "10000 concurrent users per organization); enter a smaller number."),
    "offer_withdrawn": (409, "پشتیبانی این پیشنهاد را پس گرفته است؛ برای پیشنهاد تازه با پشتیبانی تماس بگیرید.",
                        "Support has withdrawn this offer; contact support for a new one."),
    "offer_fixed": (409, "این سفارش پیشنهاد پشتیبانی است و قابل تغییر نیست؛ برای تغییر با پشتیبانی تماس بگیرید.",
                    "This order is support's offer and cannot be changed; contact support to change it."),
    "not_an_offer": (409, "این سفارش پیشنهاد پشتیبانی نیست.", "This order is not an offer from support."),

    "not_a_returning_customer": (
        422, "کسب‌وکار پیشینی که نام بردید از خریدهای شما در سامانه نیست؛ تبدیل اطلاعات برای مشتریان قدیم رایگان "
             "و برای دیگران طبق تعرفه است.",
        "The earlier business you named is not one you bought here; data conversion is free for returning "
        "customers and priced for others."),
    "invoice_outdated": (409, "سفارش پس از صدور فاکتور تغییر کرده است؛ "
                              "فاکتور را دوباره محاسبه کنید و سپس پرداخت کنید.",
                         "The order changed after its invoice was issued; calculate the invoice again, then pay."),
    "order_already_paid": (409, "این سفارش قبلاً پرداخت شده است.", "This order has already been paid."),
    "order_kind_fixed": (409, "نوع سفارش و کسب‌وکار آن قابل تغییر نیست؛ سفارش تازه ثبت کنید.",
                         "An order's kind and business cannot change; place a new order."),
    "nothing_to_pay": (409, "مبلغی برای پرداخت وجود ندارد.", "There is nothing to pay."),
    "idempotency_key_reused": (422, "این کلید یکتایی (Idempotency-Key) پیش‌تر با درخواست دیگری به کار رفته است.",
                               "This Idempotency-Key was already used with a different request."),
    "invalid_idempotency_key": (422, "کلید یکتایی (Idempotency-Key) معتبر نیست.", "The Idempotency-Key is not valid."),
    "invalid_order_kind": (422, "نوع سفارش معتبر نیست.", "The kind of order is not valid."),
    "invalid_products": (422, "محصولات انتخاب‌شده برای این نوع سفارش معتبر نیست.",
                         "The products chosen are not valid for this kind of order."),
    "accounting_required": (422, "کسب‌وکار تازه باید بستهٔ حسابداری را بخرد؛ حقوق و دستمزد و اموال افزودنی آن هستند.",
                            "A new business buys the accounting suite; payroll and fixed assets are added to it."),
    "educational_requires_application": (
        422, "نسخهٔ آموزشی با درخواست مجوز آموزشی و تأیید پشتیبانی رایگان فعال می‌شود، نه با خرید.",
        "The educational edition is free through an educational licence application approved by support."),
    "invalid_number": (422, "عدد واردشده معتبر نیست.", "The number entered is not valid."),
    "invalid_business_type": (422, "نوع کسب‌وکار باید خدماتی، تولیدی یا بازرگانی باشد.",
                              "The business type must be service, manufacturing or trading."),
    "invalid_business_name": (422, "نام کسب‌وکار را در یک سطر و حداکثر ۲۰۰ کاراکتر وارد کنید.",
                              "Enter the business name on one line, at most 200 characters."),
    "gateway_unavailable": (503, "درگاه پرداخت در دسترس نیست؛ چند دقیقهٔ دیگر دوباره تلاش کنید. مبلغی کسر نشده است.",
                            "The payment gateway is unavailable; try again in a few minutes. No money was taken."),
    "invalid_licence_number": (422, "شمارهٔ مجوز معتبر نیست؛ مانند ۱۲۳/ص/۱۴۰۴ وارد کنید.",
                               "The licence number is not valid; enter it as the licence shows it, e.g. 123/S/1404."),
    "invalid_document": (422, "مدرک مجوز باید فایل PDF، JPEG یا PNG باشد (بدون اسکریپت یا فایل پیوست).",
                         "The licence document must be a PDF, JPEG or PNG file (no scripts or attachments)."),
    "infected_document": (422, "در فایل بارگذاری‌شده ویروس یافت شد و ذخیره نشد؛ فایل سالم دیگری بفرستید.",
                          "A virus was found in the uploaded file and it was not kept; send another, clean file."),
    "scanner_unavailable": (503, "بررسی ویروس فایل‌ها اکنون ممکن نیست و فایل ذخیره نشد؛ "
                                 "چند دقیقهٔ دیگر دوباره تلاش کنید.",
                            "Files cannot be checked for viruses right now and yours was not kept; try again "
                            "in a few minutes."),
    "reason_required": (422, "دلیل رد درخواست را بنویسید؛ برای متقاضی پیامک می‌شود.",
                        "Write the reason for the rejection; the applicant is told it by SMS."),
    "invalid_national_code": (422, "کد ملی خریدار باید ۱۰ رقم با رقم کنترل درست باشد.",
                              "The buyer's national code must be 10 digits with a correct check digit."),
    "invalid_legal_id": (422, "شناسهٔ ملی خریدار حقوقی باید ۱۱ رقم با رقم کنترل درست باشد.",
                         "A legal buyer's national id must be 11 digits with a correct check digit."),
    "invalid_economic_code": (422, "کد اقتصادی خریدار حقوقی را وارد کنید (۱۱، ۱۲ یا ۱۴ رقم).",
                              "Enter the legal buyer's economic code (11, 12 or 14 digits)."),
    "invalid_postal_code": (422, "کد پستی باید ۱۰ رقم باشد.", "The postal code must be 10 digits."),
    "invalid_buyer": (422, "نوع خریدار باید «حقیقی» یا «حقوقی» باشد.", "The buyer must be a person or a legal entity."),
    "official_invoice_not_correctable": (
        409, "فقط صورت‌حساب الکترونیکی ردشده‌ای که هنوز اصلاح نشده و پرداختش بازپرداخت نشده اصلاح می‌شود.",
        "Only a rejected e-invoice not yet corrected, of a payment not refunded, can be corrected."),
    "refund_not_possible": (409, "این پرداخت قابل بازپرداخت نیست.", "This payment cannot be refunded."),
    "application_already_decided": (409, "دربارهٔ این درخواست پیش‌تر تصمیم گرفته شده است.",
                                    "This application has already been decided."),
}
