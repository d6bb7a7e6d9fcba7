"""What the gateway shares with provisioning: the payslip preview's body (PR-6) and its error table."""

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
}
