"""Notices for the support desk (issue #19): a customer is told that an answer waits, never the
answer itself (an SMS is read on a lock screen; the answer may carry personal detail). Its own
module rather than identity.py: the desk's notices grow with it (a licence decision is billing's)."""

from __future__ import annotations

from services.notifications.notices import NoticeTemplate, Templates
from shared.events.identity import TicketAnsweredV1

NOTICES: Templates = {
    TicketAnsweredV1: (NoticeTemplate(
        "support.ticket_answered", to="customer_user_id",
        fa="پشتیبانی به درخواست شما پاسخ داد. پاسخ را در صفحهٔ شخصی، بخش «درخواست‌های پشتیبانی» ببینید.",
        en="Support has answered your request. Read the answer on your personal page, under Support requests."),),
}
