"""Support's priced offers on the ticket they answer (TE-2, issue #19): billing's LimitsOffered
answers the ticket with the order's link, LimitsOfferWithdrawn notes the withdrawal, each in the
customer's language and without amounts (the order shows them). Neither is told as TicketAnswered:
notifications texts the customer from billing's events, one SMS each.

A ticket closed after the offer was made still gets the answer or the note, as a note that does
not reopen it: the SMS points the customer to it (docs/decisions.md). Support cannot make an offer
on a closed ticket in the first place (the gateway answers ticket_closed)."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.identity.tickets import Ticket, TicketQueue
from shared.events.billing import LimitsOfferedV1, LimitsOfferWithdrawnV1
from shared.kernel.conflicts import retry_on_conflict
from shared.kernel.errors import DomainError
from shared.kernel.i18n import persian_digits
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal


def offer_text(offered: LimitsOfferedV1, locale: str) -> str:
    """The answer an offer writes on its ticket: what is offered, never an amount (the order shows it)."""
    orgs, users = offered.extra_organizations, offered.extra_concurrent_users
    if locale == "en":
        parts = [f"{orgs} more organization(s)" if orgs else "", f"{users} more concurrent user(s) per organization"
                 if users else ""]
        return (f"Support has made you an offer for {offered.business_name}: {' and '.join(p for p in parts if p)}. "
                "Open the order to see its invoice and pay it online.")
    parts = [f"{orgs} سازمان اضافه" if orgs else "", f"{users} کاربر هم‌زمان اضافه در هر سازمان" if users else ""]
    return persian_digits(f"پشتیبانی برای کسب‌وکار «{offered.business_name}» پیشنهادی آماده کرده است: "
                          f"{' و '.join(p for p in parts if p)}. "
                          "فاکتور آن را در صفحهٔ سفارش ببینید و آنلاین پرداخت کنید.")


def withdrawal_text(withdrawn: LimitsOfferWithdrawnV1, locale: str) -> str:
    if locale == "en":
        return (f"Support has withdrawn its offer for {withdrawn.business_name}; the order can no longer be paid. "
                "Write here if you still need more organizations or users.")
    return (f"پشتیبانی پیشنهاد خود برای کسب‌وکار «{withdrawn.business_name}» را پس گرفت؛ پرداخت آن سفارش دیگر ممکن "
            "نیست. اگر هنوز به سازمان یا کاربر بیشتری نیاز دارید، همین‌جا بنویسید.")


class OfferNotes:
    """The support desk's part that follows billing's offers (SupportDesk is one)."""

    store: ServiceApplication

    def _ticket(self, ticket_id: object, reader: uuid.UUID | None) -> Ticket:
        raise NotImplementedError

    def _queue(self) -> TicketQueue:
        raise NotImplementedError

    def answer_offer(self, offered: LimitsOfferedV1, cause: Cause) -> None:
        self._write(offered.ticket_id, offered.customer_user_id, offered.offered_by_user_id,
                    lambda locale: offer_text(offered, locale), f"#/orders/{offered.order_id}", cause, about="offer")

    def note_withdrawal(self, withdrawn: LimitsOfferWithdrawnV1, cause: Cause) -> None:
        self._write(withdrawn.ticket_id, withdrawn.customer_user_id, withdrawn.withdrawn_by_user_id,
                    lambda locale: withdrawal_text(withdrawn, locale), f"#/orders/{withdrawn.order_id}", cause,
                    about="offer_withdrawn")

    def _write(self, ticket_id: uuid.UUID, customer: uuid.UUID, agent: uuid.UUID, text: Any, link: str,
               cause: Cause, *, about: str) -> None:
        """An offer answers an open ticket (it waits for the customer); a withdrawal, and anything on
        a closed ticket, is noted in the thread without changing its state."""
        def attempt() -> None:
            try:
                ticket = self._ticket(ticket_id, customer)
            except DomainError:
                self.store.save_caused(cause=cause)  # not this customer's ticket: nothing to write
                return
            words = Personal(f"user:{ticket.customer_id}", text(self._locale_of(ticket.customer_id)))
            if about == "offer" and ticket.state != "closed":
                ticket.answer(agent, words, self.store.clock.now(), link=link)
                queue = self._queue()
                queue.follow(ticket)
                self.store.save_caused(ticket, queue, cause=cause)
                return
            ticket.note(agent, words, self.store.clock.now(), link=link, about=about)
            self.store.save_caused(ticket, cause=cause)

        retry_on_conflict(attempt)

    def _locale_of(self, user_id: uuid.UUID) -> str:
        try:
            return str(getattr(self.store.repository.get(user_id), "locale", "fa"))
        except AggregateNotFoundError:
            return "fa"
