"""The support desk's rules in memory (issue #19): a ticket's states, the queue oldest first
and by category, who may read and write what (a customer never finds another's ticket),
hostile and duplicated input, and the event that tells the customer an answer waits."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.identity.application import IdentityApplication
from services.identity.tickets import Ticket
from services.identity.translations import translate
from shared.events.billing import LimitsOfferedV1, LimitsOfferWithdrawnV1
from shared.events.identity import TicketAnsweredV1
from tests.support.identity import CAUSE, T0, activated, deliver, identity_in_memory, later, member, verified_user
from tests.support.rules import refused

QUESTION = "کد تأیید به دستم نرسید.\nلطفاً بررسی کنید."


def body(category: str = "code_not_received", subject: str = "کد نرسید", text: str = QUESTION) -> dict[str, str]:
    return {"category": category, "subject": subject, "text": text}


@pytest.fixture
def app() -> IdentityApplication:
    return identity_in_memory()


@pytest.fixture
def customer(app: IdentityApplication) -> uuid.UUID:
    return verified_user(app)


def test_a_ticket_goes_open_answered_open_closed(app: IdentityApplication, customer: uuid.UUID) -> None:
    agent = uuid.uuid4()
    opened = app.desk.open(customer, body(), None, CAUSE)
    assert opened["state"] == "open" and opened["messages"][0]["text"] == QUESTION
    tid = opened["ticket_id"]
    answered = app.desk.answer(agent, tid, {"text": "کد دوباره فرستاده شد."}, CAUSE)
    assert answered["state"] == "answered" and answered["messages"][-1]["agent_id"] == str(agent)
    seen = app.desk.ticket(customer, tid, support=False)
    assert seen["messages"][-1] == {"by": "support", "text": "کد دوباره فرستاده شد.",
                                    "at": seen["messages"][-1]["at"]}  # never which agent
    assert app.desk.reply(customer, tid, {"text": "رسید، ممنون"}, CAUSE)["state"] == "open"
    assert app.desk.close(customer, tid, False, CAUSE)["state"] == "closed"
    refused("ticket_closed", lambda: app.desk.answer(agent, tid, {"text": "?"}, CAUSE))
    refused("ticket_closed", lambda: app.desk.reply(customer, tid, {"text": "?"}, CAUSE))
    assert app.desk.close(customer, tid, False, CAUSE)["state"] == "closed"  # a double click is no error


def test_the_queue_is_oldest_first_by_category_and_holds_only_waiting_tickets(
        app: IdentityApplication, customer: uuid.UUID) -> None:
    first = app.desk.open(customer, body("restore_backup", "بازگردانی"), None, CAUSE)["ticket_id"]
    later(app, timedelta(minutes=5))
    second = app.desk.open(customer, body("educational_licence", "مجوز"), None, CAUSE)["ticket_id"]
    later(app, timedelta(minutes=5))
    third = app.desk.open(customer, body("restore_backup", "باز هم"), None, CAUSE)["ticket_id"]
    assert [t["ticket_id"] for t in app.desk.queue()] == [first, second, third]
    assert [t["ticket_id"] for t in app.desk.queue("restore_backup")] == [first, third]
    app.desk.answer(uuid.uuid4(), first, {"text": "انجام شد"}, CAUSE)
    assert [t["ticket_id"] for t in app.desk.queue()] == [second, third]
    later(app, timedelta(minutes=5))
    app.desk.reply(customer, first, {"text": "هنوز نه"}, CAUSE)  # back in the queue, waiting since the reply
    assert [t["ticket_id"] for t in app.desk.queue()] == [second, third, first]
    app.desk.close(uuid.uuid4(), second, True, CAUSE)
    assert [t["ticket_id"] for t in app.desk.queue()] == [third, first]


def test_a_customer_never_finds_another_customers_ticket(app: IdentityApplication, customer: uuid.UUID) -> None:
    stranger = verified_user(app, "09351112233")
    tid = app.desk.open(customer, body(), None, CAUSE)["ticket_id"]
    refused("not_found", lambda: app.desk.ticket(stranger, tid, support=False))
    refused("not_found", lambda: app.desk.reply(stranger, tid, {"text": "سلام"}, CAUSE))
    refused("not_found", lambda: app.desk.close(stranger, tid, False, CAUSE))
    assert app.desk.mine(stranger) == []
    assert [t["ticket_id"] for t in app.desk.mine(customer)] == [tid]
    assert app.desk.ticket(uuid.uuid4(), tid, support=True)["ticket_id"] == tid  # support reads any
    refused("not_found", lambda: app.desk.ticket(customer, "not-an-id", support=False))
    refused("not_found", lambda: app.desk.ticket(customer, str(uuid.uuid4()), support=True))
    # An id of something else in identity's store (the customer's own user) is no ticket.
    refused("not_found", lambda: app.desk.ticket(customer, customer, support=True))


@pytest.mark.parametrize(("given", "code"), [
    (body(category="hack"), "invalid_category"),
    (body(subject="\u202eکد نرسید"), "invalid_text"),  # a direction override
    (body(text="سلام\x00"), "invalid_text"),
    (body(subject=""), "invalid_request"),
    (body(subject="x" * 121), "invalid_request"),
    (body(text="   \n \n"), "invalid_request"),
    (body(text="x" * 4001), "invalid_request"),
    ({**body(), "state": "closed"}, "invalid_request"),  # no field of the ticket is set from outside
    (["not", "a", "dict"], "invalid_request"),
])
def test_hostile_input_is_refused_and_changes_nothing(app: IdentityApplication, customer: uuid.UUID,
                                                      given: object, code: str) -> None:
    refused(code, lambda: app.desk.open(customer, given, None, CAUSE))
    assert app.desk.mine(customer) == [] and app.desk.queue() == []


def test_a_retried_open_with_the_same_key_opens_one_ticket(app: IdentityApplication, customer: uuid.UUID) -> None:
    one = app.desk.open(customer, body(), "key-1", CAUSE)
    again = app.desk.open(customer, body(), "key-1", CAUSE)
    assert one["ticket_id"] == again["ticket_id"] and len(app.desk.mine(customer)) == 1
    refused("invalid_idempotency_key", lambda: app.desk.open(customer, body(), "\n", CAUSE))


def test_text_keeps_its_lines_and_drops_runs_of_blank_ones(app: IdentityApplication, customer: uuid.UUID) -> None:
    opened = app.desk.open(customer, body(text="  سطر اول  \r\n\r\n\r\n\r\nسطر دوم‌ها "), None, CAUSE)
    assert opened["messages"][0]["text"] == "سطر اول\n\nسطر دوم‌ها"  # ZWNJ kept


def test_answering_tells_the_customer_without_the_answer(app: IdentityApplication, customer: uuid.UUID) -> None:
    tid = app.desk.open(customer, body("data_conversion", "تبدیل داده"), None, CAUSE)["ticket_id"]
    app.desk.answer(uuid.uuid4(), tid, {"text": "پاسخ محرمانه"}, CAUSE)
    published = [translate(e) for e in app.repository.event_store.get(uuid.UUID(tid))]
    told = [e for e in published if isinstance(e, TicketAnsweredV1)]
    assert len(told) == 1 and told[0].customer_user_id == customer and told[0].category == "data_conversion"
    assert "پاسخ محرمانه" not in told[0].model_dump_json()
    assert [type(e) for e in app.repository.event_store.get(uuid.UUID(tid))].count(Ticket.Answered) == 1  # type: ignore[attr-defined]


def test_support_opens_a_case_with_the_customers_page(app: IdentityApplication, customer: uuid.UUID) -> None:
    shop = uuid.uuid4()
    deliver(app, activated(shop, customer, "فروشگاه آفتاب", T0), T0)
    deliver(app, member(shop, customer, "فروشگاه آفتاب", "admin", ()), T0)
    tid = app.desk.open(customer, body("more_organizations", "سازمان بیشتر"), None, CAUSE)["ticket_id"]
    case = app.desk.case(tid)
    assert case["customer"]["mobile"] == "+989121234567" and case["customer"]["user_id"] == str(customer)
    assert [b["tenant_id"] for b in case["businesses"]] == [str(shop)]
    assert case["subject"] == "سازمان بیشتر"


def test_only_listed_support_staff_log_in_with_the_support_role() -> None:
    from shared.kernel.tokens import verify_access_token
    from tests.support.identity import PASSWORD, SIGNING_PUBLIC

    app = identity_in_memory(support_mobiles=frozenset({"+989351112233"}))
    verified_user(app)
    verified_user(app, "09351112233")

    def roles(mobile: str) -> list[str]:
        token = app.sessions.login(mobile, PASSWORD, None, CAUSE)["access_token"]
        return list(verify_access_token(SIGNING_PUBLIC, token, app.clock.now())["roles"])

    assert roles("09351112233") == ["customer", "support"]
    assert roles("09121234567") == ["customer"]


def test_support_resends_a_code_from_the_ticket_within_the_numbers_throttles(
        app: IdentityApplication, customer: uuid.UUID) -> None:
    from services.identity.domain import User
    from tests.support.identity import last_code

    agent = uuid.uuid4()
    tid = app.desk.open(customer, body(), None, CAUSE)["ticket_id"]
    later(app, timedelta(minutes=2))
    refused("already_verified", lambda: app.desk.resend_code(agent, tid, "signup", CAUSE))  # a logged-in customer
    refused("invalid_purpose", lambda: app.desk.resend_code(agent, tid, "anything", CAUSE))
    assert app.desk.resend_code(agent, tid, "password_reset", CAUSE) == {"status": "sent", "purpose": "password_reset"}
    issued = [e for e in app.repository.event_store.get(customer) if isinstance(e, User.VerificationCodeIssued)]  # type: ignore[attr-defined]
    assert issued[-1].purpose == "password_reset" and len(last_code(app)) == 6
    refused("resend_too_soon", lambda: app.desk.resend_code(agent, tid, "password_reset", CAUSE))  # the gap holds
    app.desk.close(customer, tid, False, CAUSE)
    later(app, timedelta(minutes=2))
    refused("ticket_closed", lambda: app.desk.resend_code(agent, tid, "password_reset", CAUSE))
    refused("not_found", lambda: app.desk.resend_code(agent, str(uuid.uuid4()), "password_reset", CAUSE))


def test_each_code_support_resends_is_recorded_on_the_ticket(app: IdentityApplication, customer: uuid.UUID) -> None:
    """Who, when, which code and its outcome stay on the ticket for the case view: a refusal by
    the number's throttles too; bad input and a closed ticket change nothing."""
    agent = uuid.uuid4()
    tid = app.desk.open(customer, body(), None, CAUSE)["ticket_id"]
    later(app, timedelta(minutes=2))
    app.desk.resend_code(agent, tid, "password_reset", CAUSE)
    refused("resend_too_soon", lambda: app.desk.resend_code(agent, tid, "password_reset", CAUSE))
    refused("already_verified", lambda: app.desk.resend_code(agent, tid, "signup", CAUSE))
    refused("invalid_purpose", lambda: app.desk.resend_code(agent, tid, "anything", CAUSE))
    refused("unauthorized", lambda: app.desk.resend_code("not-an-id", tid, "password_reset", CAUSE))
    recorded = app.desk.case(tid)["codes_resent"]
    assert [(c["agent_id"], c["purpose"], c["outcome"]) for c in recorded] == [
        (str(agent), "password_reset", "sent"), (str(agent), "password_reset", "resend_too_soon"),
        (str(agent), "signup", "already_verified")]
    assert recorded[0]["at"]["jalali"] and recorded[0]["at"]["utc"][:10] == app.clock.now().date().isoformat()
    assert "codes_resent" not in app.desk.ticket(customer, tid, False)  # the customer's view has no desk records
    app.desk.close(customer, tid, False, CAUSE)
    refused("ticket_closed", lambda: app.desk.resend_code(agent, tid, "password_reset", CAUSE))
    assert len(app.desk.case(tid)["codes_resent"]) == 3


def offered(ticket: str, customer: uuid.UUID, **extra: int) -> LimitsOfferedV1:
    return LimitsOfferedV1(order_id=uuid.uuid4(), tenant_id=uuid.uuid4(), customer_user_id=customer,
                           ticket_id=uuid.UUID(ticket), offered_by_user_id=uuid.uuid4(), business_name="کافه نارنج",
                           **({"extra_organizations": 2} | extra))


def test_supports_offer_answers_its_ticket_with_the_orders_link_and_no_second_sms(
        app: IdentityApplication, customer: uuid.UUID) -> None:
    tid = app.desk.open(customer, body("more_organizations", "سازمان چهارم"), None, CAUSE)["ticket_id"]
    offer = offered(tid, customer, extra_concurrent_users=5)
    deliver(app, offer, T0)
    seen = app.desk.ticket(customer, tid, support=False)
    last = seen["messages"][-1]
    assert seen["state"] == "answered" and last["by"] == "support" and last["link"] == f"#/orders/{offer.order_id}"
    assert "کافه نارنج" in last["text"] and "۲ سازمان" in last["text"] and "۵ کاربر هم‌زمان" in last["text"]
    assert "ریال" not in last["text"]  # the amount is on the order, where it can be checked
    assert app.desk.queue() == []
    # Notifications tells of the offer (LimitsOffered); the answer itself is not told a second time.
    published = [translate(e) for e in app.repository.event_store.get(uuid.UUID(tid))]
    assert not [e for e in published if isinstance(e, TicketAnsweredV1)]


def test_an_offer_never_answers_another_customers_ticket(app: IdentityApplication, customer: uuid.UUID) -> None:
    tid = app.desk.open(customer, body("more_organizations", "سازمان چهارم"), None, CAUSE)["ticket_id"]
    deliver(app, offered(tid, uuid.uuid4()), T0)  # names someone else as the customer
    deliver(app, withdrawn_offer(offered(tid, uuid.uuid4())), T0)
    seen = app.desk.ticket(customer, tid, support=False)
    assert seen["state"] == "open" and len(seen["messages"]) == 1


def withdrawn_offer(offer: LimitsOfferedV1) -> LimitsOfferWithdrawnV1:
    return LimitsOfferWithdrawnV1(order_id=offer.order_id, tenant_id=offer.tenant_id,
                                  customer_user_id=offer.customer_user_id, ticket_id=offer.ticket_id,
                                  withdrawn_by_user_id=offer.offered_by_user_id, business_name=offer.business_name)


def test_a_withdrawal_is_noted_on_the_offers_ticket_without_a_second_answer(
        app: IdentityApplication, customer: uuid.UUID) -> None:
    tid = app.desk.open(customer, body("more_organizations", "سازمان چهارم"), None, CAUSE)["ticket_id"]
    offer = offered(tid, customer)
    deliver(app, offer, T0)
    app.desk.reply(customer, tid, {"text": "ممنون، بررسی می‌کنم"}, CAUSE)
    withdrawal = withdrawn_offer(offer)
    deliver(app, withdrawal, T0)
    deliver(app, withdrawal, T0, event_id=uuid.uuid4())  # a second copy: the inbox skips only its own id
    seen = app.desk.ticket(customer, tid, support=False)
    notes = [m for m in seen["messages"] if "پس گرفت" in m["text"]]
    assert notes and notes[0]["by"] == "support" and notes[0]["link"] == f"#/orders/{offer.order_id}"
    assert notes[0]["about"] == "offer_withdrawn"  # the portal's link says what it shows
    assert "کافه نارنج" in notes[0]["text"] and "ریال" not in notes[0]["text"]
    assert seen["state"] == "open"  # the customer's reply still waits for support: a note answers nothing
    published = [translate(e) for e in app.repository.event_store.get(uuid.UUID(tid))]
    assert not [e for e in published if isinstance(e, TicketAnsweredV1)]  # notifications tells of it, once


def test_an_offer_and_its_withdrawal_still_land_on_a_ticket_closed_meanwhile(
        app: IdentityApplication, customer: uuid.UUID) -> None:
    tid = app.desk.open(customer, body("more_organizations", "سازمان چهارم"), None, CAUSE)["ticket_id"]
    app.desk.close(customer, tid, False, CAUSE)
    offer = offered(tid, customer)
    deliver(app, offer, T0)  # the SMS points to this answer: it is there, the ticket stays closed
    deliver(app, withdrawn_offer(offer), T0)
    seen = app.desk.ticket(customer, tid, support=False)
    assert seen["state"] == "closed" and [m["link"] for m in seen["messages"][1:]] == [f"#/orders/{offer.order_id}"] * 2
    refused("ticket_closed", lambda: app.desk.reply(customer, tid, {"text": "باز هم"}, CAUSE))
