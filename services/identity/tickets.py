"""The support desk's aggregates (issue #19, PR-4's ticket channel): a customer's ticket with
its thread, the queue support works from, and each customer's list of tickets. No I/O here;
the use cases are in support_desk.py.

A ticket is ``open`` (waiting for support), ``answered`` (waiting for the customer: a reply
opens it again) or ``closed`` (by either side; nothing changes it after that)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.kernel.errors import DomainError
from shared.kernel.subject_keys import Personal

STATES = ("open", "answered", "closed")
MAX_MESSAGES = 200  # a thread this long is a conversation for the telephone
QUEUE_ID = uuid.UUID("8d0f4c5e-6a57-4c53-9d55-2d1f0b7a5e19")
CODE_PURPOSES = ("signup", "password_reset")  # the codes support may send again (ID-2, ID-4)


def customer_tickets_id(customer_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(customer_id, "support-tickets")


class Ticket(Aggregate):
    @event("Opened")
    def __init__(self, ticket_id: uuid.UUID, customer_id: uuid.UUID, category: str, subject: Personal,
                 text: Personal, at: datetime) -> None:
        self.customer_id = customer_id
        self.category = category
        self.subject = subject
        self.state = "open"
        self.opened_at = at
        self.messages: list[dict[str, Any]] = [{"by": "customer", "text": text, "at": at}]
        self.codes_resent: list[dict[str, Any]] = []

    @staticmethod
    def create_id(ticket_id: uuid.UUID, **_: object) -> uuid.UUID:
        return ticket_id  # derived from the customer's Idempotency-Key when given: a retry finds it

    def belongs_to(self, user_id: uuid.UUID) -> bool:
        return self.customer_id == user_id

    def _check_writable(self) -> None:
        """Either side may write while it is not closed: support a second answer (a correction),
        the customer more detail before anyone answered."""
        if self.state == "closed":
            raise DomainError("ticket_closed")
        if len(self.messages) >= MAX_MESSAGES:
            raise DomainError("ticket_too_long")

    def answer(self, agent_id: uuid.UUID, text: Personal, at: datetime, link: str | None = None) -> None:
        """``link``: a portal page the answer points to (support's priced offer, issue #19)."""
        self._check_writable()
        # Whom to tell travels with the event: translations.py reads one event, not the ticket.
        self._answered(agent_id=agent_id, text=text, at=at, customer_id=self.customer_id, category=self.category,
                       link=link)

    @event("Answered")
    def _answered(self, agent_id: uuid.UUID, text: Personal, at: datetime, customer_id: uuid.UUID,
                  category: str, link: str | None = None) -> None:
        self.state = "answered"
        self.messages.append({"by": "support", "agent_id": agent_id, "text": text, "at": at}
                             | ({"link": link} if link else {}))

    def note(self, agent_id: uuid.UUID, text: Personal, at: datetime, link: str | None = None,
             about: str | None = None) -> None:
        """Support's words that answer nothing (a withdrawn offer), or follow an offer onto a ticket the
        customer closed meanwhile (issue #19): kept in the thread, the state left as it is. ``about``
        names what the link shows ("offer_withdrawn"), for the portal's words."""
        self._noted(agent_id=agent_id, text=text, at=at, link=link, about=about)

    @event("Noted")
    def _noted(self, agent_id: uuid.UUID, text: Personal, at: datetime, link: str | None = None,
               about: str | None = None) -> None:
        self.messages.append({"by": "support", "agent_id": agent_id, "text": text, "at": at}
                             | ({"link": link} if link else {}) | ({"about": about} if about else {}))

    def reply(self, text: Personal, at: datetime) -> None:
        self._check_writable()
        self._replied(text=text, at=at)

    @event("Replied")
    def _replied(self, text: Personal, at: datetime) -> None:
        self.state = "open"
        self.messages.append({"by": "customer", "text": text, "at": at})

    def record_code_resent(self, agent_id: uuid.UUID, purpose: str, outcome: str, at: datetime) -> None:
        """Support sent (or tried to send) the customer a code from this ticket: who, when, which
        code and what came of it ("sent", or the refusal's code) stay on the ticket (ID-2)."""
        if self.state == "closed":
            raise DomainError("ticket_closed")
        self._code_resent(agent_id=agent_id, purpose=purpose, outcome=outcome, at=at)

    @event("CodeResent")
    def _code_resent(self, agent_id: uuid.UUID, purpose: str, outcome: str, at: datetime) -> None:
        self.codes_resent = [*self.codes_resent, {"agent_id": agent_id, "purpose": purpose, "outcome": outcome,
                                                  "at": at}]

    def close(self, by: str, at: datetime) -> bool:
        """False when it was closed already (closing twice is not an error: a double click)."""
        if self.state == "closed":
            return False
        self._closed(by=by, at=at)
        return True

    @event("Closed")
    def _closed(self, by: str, at: datetime) -> None:
        self.state = "closed"
        self.closed_by, self.closed_at = by, at


class TicketQueue(Aggregate):
    """The tickets waiting for support (state ``open``), oldest first. One for the desk: tickets
    come in at a person's pace, and a conflict is retried (shared/kernel/conflicts.py)."""

    @event("Started")
    def __init__(self, queue_id: uuid.UUID) -> None:
        self.waiting: dict[str, dict[str, Any]] = {}

    @staticmethod
    def create_id(queue_id: uuid.UUID, **_: object) -> uuid.UUID:
        return queue_id

    def follow(self, ticket: Ticket) -> None:
        """Keep the queue in step with the ticket's state (nothing recorded when it already is)."""
        key = str(ticket.id)
        if ticket.state == "open" and key not in self.waiting:
            self._waiting(ticket_id=key, category=ticket.category, since=ticket.messages[-1]["at"])
        elif ticket.state != "open" and key in self.waiting:
            self._taken(ticket_id=key)

    @event("Waiting")
    def _waiting(self, ticket_id: str, category: str, since: datetime) -> None:
        self.waiting[ticket_id] = {"category": category, "since": since}

    @event("Taken")
    def _taken(self, ticket_id: str) -> None:
        self.waiting.pop(ticket_id, None)

    def oldest_first(self, category: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        return sorted(((tid, w) for tid, w in self.waiting.items() if category in (None, w["category"])),
                      key=lambda item: (item[1]["since"], item[0]))


class CustomerTickets(Aggregate):
    """The tickets one customer opened, newest last (what the personal page lists)."""

    @event("Started")
    def __init__(self, customer_id: uuid.UUID) -> None:
        self.ticket_ids: list[uuid.UUID] = []

    @staticmethod
    def create_id(customer_id: uuid.UUID, **_: object) -> uuid.UUID:
        return customer_tickets_id(customer_id)

    @event("Added")
    def add(self, ticket_id: uuid.UUID) -> None:
        self.ticket_ids.append(ticket_id)
