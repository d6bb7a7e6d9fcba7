"""What the gateway shares with provisioning: the payslip preview's body (PR-6), a depreciation
schedule's (PR-7), and their error table."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.numbers import WholeNumber


class PayslipPreviewRequest(BaseModel):
    """PR-6: an employee record and a Jalali month; every number may be typed in Persian digits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: WholeNumber = Field(description="Jalali year, e.g. 1405")
    month: WholeNumber = Field(description="Jalali month, 1–12")
    daily_wage: WholeNumber = Field(description="rials a day (base wage, with earlier years' seniority base)")
    years_of_service: WholeNumber = 0
    married: WholeNumber = 0
    children: WholeNumber = 0
    absent_days: WholeNumber = 0
    unpaid_leave_days: WholeNumber = 0
    overtime_hours: WholeNumber = 0
    night_hours: WholeNumber = 0
    shift: Literal["none", "morning_evening", "three", "with_night"] = "none"
    friday_days: WholeNumber = 0
    holiday_hours: WholeNumber = 0
    loan_installment_amount: WholeNumber = 0
    advance_amount: WholeNumber = 0
    other_deductions_amount: WholeNumber = 0
    pay_eydi: WholeNumber = 0
    days_in_year: WholeNumber | None = None


class IdleMonths(BaseModel):
    """A run of months the asset stood unused (بلااستفاده), first and last included."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first: str = Field(min_length=1, max_length=20, description="Jalali month, e.g. 1404/03 or ۱۴۰۴/۰۳")
    last: str = Field(min_length=1, max_length=20, description="Jalali month, e.g. 1404/10")


class DepreciationScheduleRequest(BaseModel):
    """PR-7: an asset of one of the seeded categories; dates Jalali, numbers in any digits.
    Method, rate or life given here are the business's own book policy in place of the table's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(min_length=1, max_length=60, pattern=r"^[a-z_]+$",
                          description="asset category code, e.g. computers (data/asset_categories.json)")
    cost: WholeNumber = Field(description="rials")
    in_service: str = Field(min_length=1, max_length=20, description="ready for use, Jalali: 1404/03/15")
    salvage: WholeNumber = 0
    idle: list[IdleMonths] = Field(default_factory=list, max_length=20)
    method: Literal["straight_line", "declining_balance"] | None = None
    rate_percent: str | None = Field(default=None, max_length=10, description="declining balance, e.g. 25 or 7.5")
    useful_life_years: WholeNumber | None = None
    through_year: WholeNumber | None = Field(default=None, description="stop at the end of this Jalali year")


# code → (HTTP status, Persian, English), merged into shared/http/errors.py
ERRORS: dict[str, tuple[int, str, str]] = {
    "payroll_not_active": (
        409, "حقوق و دستمزد برای این کسب‌وکار فعال یا آماده نشده است.",
        "Payroll is not active or not yet set up for this business."),
    "invalid_payroll_month": (422, "سال و ماه شمسی معتبر نیست (ماه ۱ تا ۱۲).",
                              "The Jalali year and month are not valid (month 1 to 12)."),
    "invalid_payroll_input": (422, "یکی از اقلام حکم کارگزینی یا کارکرد معتبر نیست.",
                              "One of the employee record's or the month's figures is not valid."),
    "night_hours_for_shift_worker": (
        422, "فوق‌العادهٔ شب‌کاری فقط به کارگر غیرنوبتی تعلق می‌گیرد (مادهٔ ۵۸ قانون کار).",
        "The night-work premium is for non-shift workers only (Labour Law art. 58)."),
    "tenant_not_found": (
        404, "کسب‌وکاری با این شناسه آماده‌سازی نشده است؛ اگر تازه پرداخت کرده‌اید چند لحظهٔ دیگر دوباره ببینید.",
        "No business with this id has been provisioned; if you have just paid, look again in a moment."),
    "fixed_assets_not_active": (409, "ماژول اموال برای این کسب‌وکار فعال یا آماده نشده است.",
                                "Fixed assets are not active or not yet set up for this business."),
    "unknown_asset_category": (422, "این ماهیت دارایی در فهرست ماهیت‌های اموال نیست.",
                               "There is no such asset category."),
    "invalid_jalali_date": (422, "تاریخ شمسی معتبر نیست؛ مانند ۱۴۰۴/۰۳/۱۵ (و ماه مانند ۱۴۰۴/۰۳) بنویسید.",
                            "The Jalali date is not valid; write it like 1404/03/15 (a month like 1404/03)."),
    "asset_cost_must_be_positive": (422, "بهای تمام‌شدهٔ دارایی باید بیشتر از صفر باشد.",
                                    "The asset's cost must be more than zero."),
    "salvage_must_be_below_cost": (422, "ارزش اسقاط باید کمتر از بهای تمام‌شده باشد.",
                                   "The salvage value must be below the cost."),
    "idle_period_ends_before_it_starts": (422, "پایان دورهٔ بلااستفاده پیش از آغاز آن است.",
                                          "The idle period ends before it starts."),
    "idle_periods_overlap": (422, "دوره‌های بلااستفاده روی هم افتاده‌اند.", "The idle periods overlap."),
    "declining_balance_needs_a_rate": (422, "روش نزولی نرخ می‌خواهد (بیش از صفر تا ۱۰۰ درصد).",
                                       "The declining-balance method needs a rate (above 0, up to 100%)."),
    "straight_line_needs_years": (422, "روش مستقیم عمر مفید می‌خواهد (۱ تا ۱۰۰ سال).",
                                  "The straight-line method needs a useful life (1 to 100 years)."),
    "payroll_formulas_outdated": (
        409, "فرمول‌های حقوق دفاتر این کسب‌وکار از نسخهٔ پیشین است (مزایای ثابت با ۳۰ روز، بی عیدی و نوبت‌کاری)؛ "
             "نخست «به‌روزرسانی فرمول‌ها» را بزنید. فرمول‌های پیشین در سابقهٔ دفاتر می‌ماند.",
        "This business's payroll formulas are of an earlier version (fixed allowances by 30 days, no eydi or "
        "shifts); upgrade the formulas first. The old ones stay in the books' history."),
}
