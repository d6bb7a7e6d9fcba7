"""The support desk's use cases (issue #19, PR-4): a customer opens a ticket from the personal
page, reads the answer and replies; support works the queue oldest first, opens a ticket
with the customer's page beside it, answers (notifications tells the customer by SMS:
TicketAnswered) and closes. The application builds one ``SupportDesk`` as ``app.desk``.

A customer sees only their own tickets: another's is ``not_found``, as if it did not exist."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from pydantic import BaseModel, ValidationError

from services.identity.businesses import Businesses
from services.identity.offer_notes import OfferNotes
from services.identity.tickets import CODE_PURPOSES, QUEUE_ID, CustomerTickets, Ticket, TicketQueue, customer_tickets_id
from shared.http.support import TicketMessage, TicketRequest
from shared.http.text import HIDDEN_TEXT
from shared.kernel.conflicts import retry_on_conflict
from shared.kernel.errors import DomainError
from shared.kernel.i18n import when
from shared.kernel.ids import parse_id
from shared.kernel.store import Cause, ServiceApplication
from shared.kernel.subject_keys import Personal

A = TypeVar("A", bound=Aggregate)
M = TypeVar("M", bound=BaseModel)


def parsed(model: type[M], body: object) -> M:
    """The body as the gateway's model reads it, so a caller that skips the gateway gets the
    same answers (a hidden character: invalid_text; an unknown category: invalid_category)."""
    if not isinstance(body, Mapping):
        raise DomainError("invalid_request", fields=[{"field": "", "problem": "dict_type"}])
    try:
        return model.model_validate(dict(body))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        if first["type"] == HIDDEN_TEXT:
            raise DomainError("invalid_text", field=field) from None
        if field == "category":
            raise DomainError("invalid_category") from None
        raise DomainError("invalid_request", fields=[{"field": ".".join(str(p) for p in e["loc"]),
                                                      "problem": e["type"]} for e in exc.errors()]) from None


class CodeSender(Protocol):
    """Sends a user's code with the number's own throttles (IdentityApplication.send_code_to)."""

    def __call__(self, user_id: uuid.UUID, purpose: str, cause: Cause) -> None: ...


def ticket_view(ticket: Ticket, for_support: bool) -> dict[str, Any]:
    """What either side reads. The customer sees "support" answered, never which agent."""
    def message(m: dict[str, Any]) -> dict[str, Any]:
        shown = {"by": m["by"], "text": m["text"].reveal(), "at": when(m["at"])} | (
            {k: m[k] for k in ("link", "about") if m.get(k)})
        if for_support and m["by"] == "support":
            shown["agent_id"] = str(m["agent_id"])
        return shown

    shown = {"ticket_id": str(ticket.id), "category": ticket.category, "subject": ticket.subject.reveal(),
             "state": ticket.state, "opened_at": when(ticket.opened_at),
             "messages": [message(m) for m in ticket.messages]}
    if for_support:  # the desk's own record (ID-2); the customer reads the SMS itself
        shown["codes_resent"] = [{"agent_id": str(c["agent_id"]), "purpose": c["purpose"], "outcome": c["outcome"],
                                  "at": when(c["at"])} for c in getattr(ticket, "codes_resent", [])]
    return shown


class SupportDesk(OfferNotes):
    def __init__(self, store: ServiceApplication, businesses: Businesses, send_code: CodeSender) -> None:
        self.store, self.businesses, self.send_code = store, businesses, send_code

    def _get(self, aggregate_id: uuid.UUID, start: Callable[[], A] | None = None) -> A:
        try:
            found: A = self.store.repository.get(aggregate_id)
        except AggregateNotFoundError:
            if start is None:
                raise DomainError("not_found") from None
            found = start()
        return found

    def _ticket(self, ticket_id: object, reader: uuid.UUID | None) -> Ticket:
        """The ticket; ``reader`` is the customer asking (None: support), who finds only their own."""
        ticket: Ticket = self._get(parse_id(ticket_id, error="not_found"))
        if not isinstance(ticket, Ticket) or (reader is not None and not ticket.belongs_to(reader)):
            raise DomainError("not_found")
        return ticket

    def _queue(self) -> TicketQueue:
        return self._get(QUEUE_ID, lambda: TicketQueue(queue_id=QUEUE_ID))

    # -- the customer ---------------------------------------------------------------------------
    def open(self, customer_id: object, body: object, key: str | None, cause: Cause) -> dict[str, Any]:
        customer = parse_id(customer_id, error="unauthorized")
        given = parsed(TicketRequest, body)
        if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 100 or not key.isprintable()):
            raise DomainError("invalid_idempotency_key")
        subject = f"user:{customer}"  # forgotten with the customer (AR-1)
        # A retried request (the same Idempotency-Key) finds the ticket it opened.
        ticket_id = uuid.uuid5(customer, f"ticket:{key}") if key else uuid.uuid4()

        def attempt() -> dict[str, Any]:
            try:
                return ticket_view(self._ticket(ticket_id, customer), for_support=False)
            except DomainError:
                pass
            now = self.store.clock.now()
            ticket = Ticket(ticket_id=ticket_id, customer_id=customer, category=given.category,
                            subject=Personal(subject, given.subject), text=Personal(subject, given.text), at=now)
            mine: CustomerTickets = self._get(customer_tickets_id(customer),
                                              lambda: CustomerTickets(customer_id=customer))
            mine.add(ticket.id)
            queue = self._queue()
            queue.follow(ticket)
            self.store.save_caused(ticket, mine, queue, cause=cause)
            return ticket_view(ticket, for_support=False)

        return retry_on_conflict(attempt)

    def mine(self, customer_id: object) -> list[dict[str, Any]]:
        customer = parse_id(customer_id, error="unauthorized")
        try:
            mine: CustomerTickets = self.store.repository.get(customer_tickets_id(customer))
        except AggregateNotFoundError:
            return []
        tickets = [self._ticket(tid, customer) for tid in reversed(mine.ticket_ids)]
        return [{k: v for k, v in ticket_view(t, for_support=False).items() if k != "messages"}
                | {"last_message_at": when(t.messages[-1]["at"])} for t in tickets]

    def ticket(self, user_id: object, ticket_id: object, support: bool) -> dict[str, Any]:
        reader = None if support else parse_id(user_id, error="unauthorized")
        return ticket_view(self._ticket(ticket_id, reader), for_support=support)

    def reply(self, customer_id: object, ticket_id: object, body: object, cause: Cause) -> dict[str, Any]:
        customer = parse_id(customer_id, error="unauthorized")
        text = parsed(TicketMessage, body).text

        def attempt() -> dict[str, Any]:
            ticket = self._ticket(ticket_id, customer)
            ticket.reply(Personal(f"user:{customer}", text), self.store.clock.now())
            queue = self._queue()
            queue.follow(ticket)
            self.store.save_caused(ticket, queue, cause=cause)
            return ticket_view(ticket, for_support=False)

        return retry_on_conflict(attempt)

    def close(self, user_id: object, ticket_id: object, support: bool, cause: Cause) -> dict[str, Any]:
        reader = None if support else parse_id(user_id, error="unauthorized")

        def attempt() -> dict[str, Any]:
            ticket = self._ticket(ticket_id, reader)
            if ticket.close("support" if support else "customer", self.store.clock.now()):
                queue = self._queue()
                queue.follow(ticket)
                self.store.save_caused(ticket, queue, cause=cause)
            return ticket_view(ticket, for_support=support)

        return retry_on_conflict(attempt)

    # -- support ---------------------------------------------------------------------------------
    def queue(self, category: str | None = None) -> list[dict[str, Any]]:
        """The tickets waiting for support, oldest first (of one category when asked)."""
        waiting = self._queue().oldest_first(category or None)
        return [{"ticket_id": tid, "category": w["category"], "waiting_since": when(w["since"]),
                 "subject": self._ticket(tid, None).subject.reveal()} for tid, w in waiting]

    def case(self, ticket_id: object) -> dict[str, Any]:
        """A ticket with its customer as the personal page shows them (number, businesses)."""
        ticket = self._ticket(ticket_id, None)
        try:
            page = self.businesses.personal_page(ticket.customer_id)
        except DomainError:
            page = {"user": None, "businesses": []}  # a customer forgotten since (AR-1)
        return ticket_view(ticket, for_support=True) | {"customer": page["user"],
                                                       "businesses": page["businesses"]}

    def answer(self, agent_id: object, ticket_id: object, body: object, cause: Cause) -> dict[str, Any]:
        agent = parse_id(agent_id, error="unauthorized")
        text = parsed(TicketMessage, body).text

        def attempt() -> dict[str, Any]:
            ticket = self._ticket(ticket_id, None)
            # The answer is the customer's personal data as much as the question is.
            ticket.answer(agent, Personal(f"user:{ticket.customer_id}", text), self.store.clock.now())
            queue = self._queue()
            queue.follow(ticket)
            self.store.save_caused(ticket, queue, cause=cause)
            return ticket_view(ticket, for_support=True)

        return retry_on_conflict(attempt)

    def resend_code(self, agent_id: object, ticket_id: object, purpose: object, cause: Cause) -> dict[str, Any]:
        """ID-2 from the desk: the ticket's customer gets a new code (of the kind support chose).
        The attempt is recorded on the ticket, sent or refused by the number's throttles; the
        refusal is then told to support as before."""
        agent = parse_id(agent_id, error="unauthorized")
        if purpose not in CODE_PURPOSES:
            raise DomainError("invalid_purpose")
        ticket = self._ticket(ticket_id, None)
        if ticket.state == "closed":
            raise DomainError("ticket_closed")
        try:
            self.send_code(ticket.customer_id, str(purpose), cause)
        except DomainError as refusal:
            self._record_code(agent, ticket_id, str(purpose), refusal.code, cause)
            raise
        self._record_code(agent, ticket_id, str(purpose), "sent", cause)
        return {"status": "sent", "purpose": purpose}

    def _record_code(self, agent: uuid.UUID, ticket_id: object, purpose: str, outcome: str, cause: Cause) -> None:
        def attempt() -> None:
            ticket = self._ticket(ticket_id, None)
            ticket.record_code_resent(agent, purpose, outcome, self.store.clock.now())
            self.store.save_caused(ticket, cause=cause)

        retry_on_conflict(attempt)
