"""Notices for the support desk (issue #19): a customer is told that an answer waits, never the
answer itself (an SMS is read on a lock screen; the answer may carry personal detail). Its own
module rather than identity.py or billing.py: the desk's decisions, whoever keeps them, are told here."""

from __future__ import annotations

from services.notifications.notices import NoticeTemplate, Templates
from shared.events.billing import EducationalApplicationRejectedV1, LimitsOfferedV1, LimitsOfferWithdrawnV1
from shared.events.identity import TicketAnsweredV1

NOTICES: Templates = {
    TicketAnsweredV1: (NoticeTemplate(
        "support.ticket_answered", to="customer_user_id",
        fa="پشتیبانی به درخواست شما پاسخ داد. پاسخ را در صفحهٔ شخصی، بخش «درخواست‌های پشتیبانی» ببینید.",
        en="Support has answered your request. Read the answer on your personal page, under Support requests."),),
    # TE-2 (issue #19): support's priced offer waits on the order page; no amount, which the SMS
    # reader could not check (the order shows the invoice, priced from the catalog).
    LimitsOfferedV1: (NoticeTemplate(
        "support.limits_offered", to="customer_user_id",
        fa="پیشنهاد پشتیبانی برای افزایش سازمان‌ها یا کاربران هم‌زمان «{business_name}» آماده است. "
           "آن را در پاسخ درخواست پشتیبانی در صفحهٔ شخصی ببینید و پرداخت کنید.",
        en="Support's offer of more organizations or concurrent users for {business_name} is waiting. "
           "Open it from the answer to your support request on your personal page and pay it there."),),
    # Its withdrawal (issue #19): the order can no longer be paid; again no amount.
    LimitsOfferWithdrawnV1: (NoticeTemplate(
        "support.limits_offer_withdrawn", to="customer_user_id",
        fa="پشتیبانی پیشنهاد افزایش سازمان‌ها یا کاربران هم‌زمان «{business_name}» را پس گرفت و پرداخت آن دیگر "
           "ممکن نیست. یادداشت پشتیبانی را در درخواست پشتیبانی خود در صفحهٔ شخصی ببینید.",
        en="Support has withdrawn its offer of more organizations or concurrent users for {business_name}; it can "
           "no longer be paid. Read support's note under your support request on your personal page."),),
    # BI-4: the reason is support's own words, written for the applicant.
    EducationalApplicationRejectedV1: (
        NoticeTemplate(
            "support.educational_rejected", to="applicant_user_id", requires=("reason",),
            fa="درخواست مجوز آموزشی شما پذیرفته نشد. دلیل: {reason} "
               "پس از رفع آن می‌توانید دوباره درخواست دهید.",
            en="Your educational licence application was not accepted. Reason: {reason} "
               "You may apply again once it is resolved."),
    ),
}
