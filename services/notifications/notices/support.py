"""Notices for the support desk (issue #19): a customer is told that an answer waits, never the
answer itself (an SMS is read on a lock screen; the answer may carry personal detail). Its own
module rather than identity.py or billing.py: the desk's decisions, whoever keeps them, are told here."""

from __future__ import annotations

from services.notifications.notices import NoticeTemplate, Templates
from shared.events.billing import EducationalApplicationRejectedV1
from shared.events.identity import TicketAnsweredV1

NOTICES: Templates = {
    TicketAnsweredV1: (NoticeTemplate(
        "support.ticket_answered", to="customer_user_id",
        fa="پشتیبانی به درخواست شما پاسخ داد. پاسخ را در صفحهٔ شخصی، بخش «درخواست‌های پشتیبانی» ببینید.",
        en="Support has answered your request. Read the answer on your personal page, under Support requests."),),
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
