"""Billing's HTTP bodies and error table (BI-1 … BI-4). Numbers may be typed as digits in
any script (the service normalizes them), so they are accepted here as int or str."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.numbers import WholeNumber
from shared.http.text import PlainLine

Count = WholeNumber  # typed in any script; never a float (shared/http/numbers.py)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class OrderChange(_Body):
    """The order as it should now be (its kind and business cannot change)."""

    business_name: PlainLine | None = Field(default=None, max_length=200)
    business_type: str | None = Field(default=None, max_length=40)
    products: list[str] = Field(default_factory=list, max_length=4)
    period_months: Count = 12
    extra_organizations: Count = 0
    extra_concurrent_users: Count = 0


class EducationalApplicationRequest(_Body):
    institution_name: PlainLine = Field(min_length=1, max_length=200)
    licence_number: PlainLine = Field(min_length=1, max_length=50)
    contact_mobile: str = Field(min_length=1, max_length=40)


class RejectionRequest(_Body):
    reason: str = Field(default="", max_length=300)


ERRORS: dict[str, tuple[int, str, str]] = {
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
    "invalid_licence_number": (422, "شمارهٔ مجوز معتبر نیست.", "The licence number is not valid."),
    "application_already_decided": (409, "دربارهٔ این درخواست پیش‌تر تصمیم گرفته شده است.",
                                    "This application has already been decided."),
}
