"""The customer lifecycle end to end (issue #8): every service in its own process on
PostgreSQL and the real broker, driven only through the gateway, the development SMS
provider (people's phones) and the payment sandbox (their bank).

The happy path goes from sign-up to a paid restore after deletion; the unhappy paths share
one platform per module and each buys its own business."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.journey import (
    PASSWORD,
    Gateway,
    Person,
    expect,
    moment,
    readable_traces,
    refused,
    start_platform,
    workbook_rows,
)
from tests.support.processes import Platform, wait_until

ORDER: dict[str, Any] = {"business_name": "تولیدی فولاد سپاهان", "business_type": "manufacturing",
                         "products": ["accounting"], "period_months": 6}
SUITE = {"accounting", "treasury", "inventory", "sales"}  # what an accounting purchase opens (PR-1)


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_a_business_from_sign_up_to_a_paid_restore(platform: Platform) -> None:
    gateway = start_platform(platform)

    # Sign-up (ID-1, ID-2): the code comes by SMS; then the person can log in.
    admin = Person(gateway, "09121230001")
    admin.sign_up()
    early = gateway.ask("POST", "/identity/sessions", {"mobile": admin.mobile, "password": PASSWORD})
    refused(early, 403, "mobile_not_verified", "logging in before verifying")
    expect(admin.verify(admin.code_from_sms()), 200, "verifying with the code from the SMS")
    admin.log_in()
    assert admin.me()["user"] == {"user_id": admin.user_id, "mobile": admin.e164, "verified": True, "locale": "fa"}
    member = gateway.sign_up("09121230002")

    # Order → invoice → payment at the bank (BI-1, BI-3).
    catalog = expect(gateway.ask("GET", "/billing/catalog"), 200, "the catalog")
    price = next(p for p in catalog["products"] if p["product"] == "accounting")["prices_rials"]["6"]
    placed = admin.place_order(ORDER)
    tenant = placed["tenant_id"]
    assert placed["invoice_current"] and placed["invoice"]["subtotal_rials"] == price, placed
    invoice = expect(admin.ask("POST", f"/billing/orders/{placed['order_id']}/invoice"), 200, "calculating the invoice")
    vat = (price * catalog["vat_percent"] + 50) // 100
    assert invoice["invoice_current"] and invoice["invoice"]["total_rials"] == price + vat, invoice
    started = admin.start_payment(placed["order_id"])
    assert started["amount_rials"] == invoice["invoice"]["total_rials"], started
    landed = admin.pay_at_bank(started["redirect_url"], "success")
    assert landed.history[-1].headers["Location"] == f"/#/payments/{started['payment_id']}"
    paid = admin.payment(started["payment_id"])
    assert paid["state"] == "succeeded" and paid["money_taken"] and paid["tenant_id"] == tenant, paid
    admin.wait_for_sms("پرداخت", what="the payment SMS")

    # Provisioned with no manual step (PR-1 … PR-5).
    def provisioned() -> Any:
        answer = admin.ask("GET", f"/provisioning/tenants/{tenant}")
        assert answer.status_code in (200, 404), f"provisioning: {answer.status_code} {answer.text}"
        return answer.status_code == 200 and answer.json()["state"] == "active" and answer.json()

    view = wait_until(provisioned, timeout=60, interval=0.5, what="the business to be provisioned")
    assert view["chart"]["type"] == "manufacturing" and view["chart"]["version"] == "1405.2", view["chart"]
    assert view["chart"]["accounts"] >= 100, view["chart"]
    assert {m["module"] for m in view["modules"]} == SUITE, view["modules"]
    assert view["admin_user_id"] == admin.user_id and view["seats"] == 3, view
    assert view["backups"]["last"]["kind"] == "initial", view["backups"]
    admin.wait_for_sms("آماده است", what="the 'business is ready' SMS")

    # The personal page shows the business, its admin, active (ID-5, TE-3).
    mine = admin.wait_on_me(tenant, "the new business", role="admin", subscription_state="active")
    assert mine["business_name"] == ORDER["business_name"] and mine["business_type"] == "manufacturing", mine
    assert mine["reports_available"], mine

    # An organization, a member, a concurrent-use seat (TE-1 … TE-3).
    business = admin.wait_active(tenant)
    assert [m["role"] for m in business["members"]] == ["admin"], business["members"]
    org = expect(admin.ask("POST", f"/tenancy/businesses/{tenant}/organizations",
                           {"name": "انبار اصفهان", "kind": "warehouse"}), 201, "adding an organization")
    organization = org["organization_id"]
    added = admin.add_member(tenant, member.mobile, ["sales.read", "accounting.reports.read"])
    expect(added, 201, "adding a member")
    theirs = member.wait_on_me(tenant, "the business they were added to", role="member")
    assert sorted(theirs["permissions"]) == ["accounting.reports.read", "sales.read"], theirs
    member.wait_for_sms(ORDER["business_name"], what="the member's SMS")
    seat = expect(member.ask("POST", f"/tenancy/organizations/{organization}/sessions"), 201, "taking a seat")
    assert seat["session_id"], seat
    business = admin.business(tenant)
    assert business["seats_used"] == 2 and business["organizations"][0]["concurrent_users"] == 1, business

    # Past the period's end: lapsed, still on /me with its reports (AR-1, AR-2).
    gateway.advance_past(moment(business["subscription"]["ends_at"]))
    lapsed = admin.wait_on_me(tenant, "the lapse", subscription_state="lapsed")
    assert lapsed["reports_available"] and lapsed["lapsed_at"], lapsed
    admin.wait_for_sms("به پایان رسید", what="the lapse SMS")
    status = admin.wait_archival(tenant, "scheduled")
    assert status["reports_downloadable"] and status["deletion_due_at"], status
    admin.wait_on_me(tenant, "the deletion date", deletion_due_at={
        k: v for k, v in status["deletion_due_at"].items() if k in ("utc", "jalali")})
    refused(admin.ask("POST", f"/tenancy/businesses/{tenant}/organizations", {"name": "شعبه", "kind": "branch"}),
            409, "subscription_lapsed", "adding an organization after the lapse")

    # The daily schedule takes one last backup of the final state (PR-5); it outlives the deletion.
    def final_backup() -> Any:
        last = admin.ask("GET", f"/provisioning/tenants/{tenant}").json()["backups"]["last"]
        return last if last["kind"] == "scheduled" else None
    backup = wait_until(final_backup, timeout=60, interval=0.5, what="the scheduled backup after the lapse")
    assert moment(backup["retained_until"]) > moment(status["deletion_due_at"]), backup

    # The data, free, as Excel (AR-2, AR-4).
    export_path, exported = admin.export(tenant)
    sheets = workbook_rows(exported)
    assert len(sheets["سرفصل حساب‌ها"]) == 1 + view["chart"]["accounts"], {n: len(rows) for n, rows in sheets.items()}
    admin.wait_for_sms("خروجی", "آماده است", what="the export-ready SMS")

    # Past the deletion date: purged (AR-1); nothing left to download.
    gateway.advance_past(moment(status["deletion_due_at"]))
    purged = admin.wait_archival(tenant, "purged")
    assert not purged["reports_downloadable"] and purged["restorable"], purged
    gone = admin.wait_on_me(tenant, "the deletion", subscription_state="deleted")
    assert not gone["reports_available"], gone
    # AR-1: no store, log, book or export of any service still reads as the business's name.
    traces: dict[str, list[str]] = {}

    def nothing_readable() -> bool:
        traces.clear()
        traces.update(readable_traces(platform, [ORDER["business_name"]]))
        return not traces
    try:
        wait_until(nothing_readable, timeout=30, interval=1, what="every service to forget the business")
    except AssertionError:
        raise AssertionError(f"the business's name is still readable in {traces}") from None
    # ... nor through the services: the SMS sent about it are still listed, their texts erased.
    def outbox_forgot() -> bool:
        texts = [m["text"] for m in admin.outbox()]
        return "[erased]" in texts and not [t for t in texts if ORDER["business_name"] in t]
    wait_until(outbox_forgot, timeout=30, interval=1, what="notifications to erase the texts naming the business")
    assert expect(admin.ask("GET", export_path), 200, "the deleted export")["status"] == "deleted"

    # A paid restore brings the data back (AR-3).
    restore = expect(admin.ask("POST", f"/archival/tenants/{tenant}/restore-requests", {}), 202, "asking to restore")
    order_id = restore["order_id"]
    order = wait_until(lambda: (a := admin.ask("GET", f"/billing/orders/{order_id}")).status_code == 200 and a.json(),
                       timeout=60, interval=0.5, what="billing to open the restore order")
    assert order["kind"] == "restore" and order["invoice"]["total_rials"] > 0, order
    started = admin.start_payment(order_id)
    admin.pay_at_bank(started["redirect_url"], "success")
    assert admin.payment(started["payment_id"])["state"] == "succeeded"
    restored = admin.wait_archival(tenant, "restored")
    assert restored["reports_downloadable"] and not restored["restore_pending"], restored
    _, again = admin.export(tenant)
    back = workbook_rows(again)
    # Every table as it was; provisioning reopened the modules for the restore (a new source), and
    # the guide sheet names the moment of each export.
    modules, changed = "ماژول‌ها", {"ماژول‌ها", "راهنما"}

    def kept(book: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in book.items() if k not in changed}

    assert kept(back) == kept(sheets), "the restored books differ from the books exported before deletion"
    assert [row[:2] for row in back[modules]] == [row[:2] for row in sheets[modules]], back[modules]
    assert admin.business(tenant)["state"] == "lapsed"  # the data is back; the subscription is not (AR-3)
    back_on_me = admin.wait_on_me(tenant, "the restored business", subscription_state="lapsed")
    assert back_on_me["role"] == "admin" and back_on_me["reports_available"], back_on_me
    assert back_on_me["business_name"] == ORDER["business_name"] and not back_on_me["deletion_due_at"], back_on_me


# -- unhappy paths, on one platform shared by this module's remaining tests --------------------------

def test_an_outdated_invoice_is_refused_until_calculated_again(shared_gateway: Gateway) -> None:
    buyer = shared_gateway.sign_up("09121240001")
    placed = buyer.place_order(ORDER | {"period_months": 12})
    changed = expect(buyer.ask("PUT", f"/billing/orders/{placed['order_id']}", ORDER), 200, "changing the order")
    assert not changed["invoice_current"], changed
    refused(buyer.ask("POST", f"/billing/orders/{placed['order_id']}/payments"), 409, "invoice_outdated",
            "paying an outdated invoice")
    again = expect(buyer.ask("POST", f"/billing/orders/{placed['order_id']}/invoice"), 200, "recalculating")
    assert again["invoice_current"] and again["invoice"]["total_rials"] < placed["invoice"]["total_rials"], again
    started = buyer.start_payment(placed["order_id"])
    assert started["amount_rials"] == again["invoice"]["total_rials"], started
    buyer.pay_at_bank(started["redirect_url"], "success")
    assert buyer.payment(started["payment_id"])["state"] == "succeeded"


def test_money_taken_by_a_failed_payment_is_refunded_within_72_hours(shared_gateway: Gateway) -> None:
    buyer = shared_gateway.sign_up("09121240002")
    _, payment = buyer.order_and_pay(ORDER, outcome="captured_then_fail")
    assert payment["state"] in ("refund_scheduled", "refunded") and payment["money_taken"], payment
    refund = payment["refund"]
    deadline, captured = moment(refund["deadline"]), moment(payment["captured_at"])
    assert timedelta(0) < deadline - captured <= timedelta(hours=72), refund
    done = wait_until(lambda: (p := buyer.payment(payment["payment_id"]))["state"] == "refunded" and p,
                      timeout=60, interval=0.5, what="the refund")
    assert moment(done["refund"]["refunded_at"]) <= deadline and done["refund"]["refund_reference"], done["refund"]
    buyer.wait_for_sms("بازگردانده می‌شود", what="the SMS that a refund is scheduled")
    buyer.wait_for_sms("بازگردانده شد", what="the SMS that the money was refunded")
    order = expect(buyer.ask("GET", f"/billing/orders/{payment['order_id']}"), 200, "the order")
    assert not order["paid"], order  # nothing was granted (BI-3 only on success)


def test_organizations_seats_and_members_stop_at_their_limits(shared_gateway: Gateway) -> None:
    owner = shared_gateway.sign_up("09121240003")
    others = [Person(shared_gateway, f"0912124001{i}") for i in range(3)]
    for person in others:
        person.sign_up()  # registered is enough to be added (tenancy learns it from identity's event)
    placed, payment = owner.order_and_pay(ORDER)
    assert payment["state"] == "succeeded", payment
    tenant = placed["tenant_id"]
    business = owner.wait_active(tenant)
    limits = business["limits"]
    assert limits == {"max_members": 3, "max_organizations": 3, "max_concurrent_users": 10}, limits

    # TE-2: three organizations, then 409.
    orgs = [expect(owner.ask("POST", f"/tenancy/businesses/{tenant}/organizations",
                             {"name": f"شعبه {i}", "kind": "branch"}), 201, f"organization {i}")["organization_id"]
            for i in (1, 2, 3)]
    refused(owner.ask("POST", f"/tenancy/businesses/{tenant}/organizations", {"name": "شعبه ۴", "kind": "branch"}),
            409, "organization_limit_reached", "a fourth organization")

    # TE-2: ten concurrent users in an organization, the eleventh refused; a release frees a seat.
    sessions = f"/tenancy/organizations/{orgs[0]}/sessions"
    leases = [expect(owner.ask("POST", sessions), 201, f"seat {i}")["session_id"] for i in range(1, 11)]
    refused(owner.ask("POST", sessions), 409, "concurrent_user_limit", "an eleventh concurrent seat")
    expect(owner.ask("DELETE", f"{sessions}/{leases[0]}"), 200, "releasing a seat")
    expect(owner.ask("POST", sessions), 201, "a seat after one was released")
    expect(owner.ask("POST", f"/tenancy/organizations/{orgs[1]}/sessions"), 201, "a seat in another organization")

    # PR-3: the admin and two more users; a third is refused.
    for person in others[:2]:
        expect(owner.add_member(tenant, person.mobile, ["sales.read"]), 201, f"adding {person.mobile}")
    refused(owner.add_member(tenant, others[2].mobile, ["sales.read"]), 409, "seat_limit_reached",
            "a fourth user in the business")
    assert owner.business(tenant)["seats_used"] == 3


def test_a_verification_code_expires_after_seven_days(shared_gateway: Gateway) -> None:
    # Last in the module: it moves the shared platform's clock by a week.
    late = Person(shared_gateway, "09121240004")
    late.sign_up()
    code = late.code_from_sms()
    shared_gateway.advance_clock(7 * 86400 + 60)
    refused(late.verify(code), 410, "code_expired", "verifying with a code older than seven days")
    expect(shared_gateway.ask("POST", "/identity/verification-codes", {"mobile": late.mobile, "purpose": "signup"}),
           202, "asking for a new code")
    expect(late.verify(late.code_from_sms(count=2)), 200, "verifying with the new code")
    late.log_in()
