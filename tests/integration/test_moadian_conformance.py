"""Billing's client of the taxpayer system against the local sandbox over HTTP, as the system
documents itself (issue #19, docs/providers.md "Taxpayer system"): a signed nonce as the
token, invoices signed and encrypted, decided late, accepted or rejected with the documented
codes, the same uid never registered twice, a cancelling invoice only for an accepted
original, and billing's whole path (paid → accepted → refunded → cancelled) through it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from services.billing import jose
from services.billing import tax_invoice_rules as rules
from services.billing.moadian import MoadianClient, Status, TaxSystemRefused, TaxSystemUnavailable, VendorKey
from services.billing.vendor_key import system_key
from tests.support.billing import (
    CAUSE,
    NEW_ORDER,
    VENDOR,
    FakeGateway,
    FakeTaxSystem,
    callback,
    memory_app,
    start,
    tax_client,
    tax_sandbox_server,
)
from tools import tax_sandbox

LINES = [{"item": "accounting", "description": "Accounting suite", "quantity": 1, "unit_price_rials": 100_000_000,
          "amount_rials": 100_000_000}]


@pytest.fixture
def sandbox() -> Iterator[str]:
    with tax_sandbox_server() as url:
        yield url


def faults(base_url: str, **chosen: Any) -> None:
    root = base_url.split("/requestsmanager/")[0]
    requests.post(f"{root}/_dev/faults", json=chosen, timeout=5).raise_for_status()


def an_invoice(serial: int, memory_id: str = VENDOR.memory_id, **options: Any) -> tuple[str, dict[str, Any]]:
    issued = datetime.now(UTC) - timedelta(seconds=5)
    return str(uuid.uuid4()), rules.payload(memory_id=memory_id, seller_tin=VENDOR.seller_tin, serial=serial,
                                            issued_at=issued, buyer=None, lines=LINES, **options)


def decided(client: MoadianClient, reference: str) -> Status:
    deadline = time.monotonic() + 10
    while True:
        (status,) = client.by_reference([reference])
        if status.final or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def unique_memory_id() -> str:
    return "T" + uuid.uuid4().hex[:5].upper()  # the sandbox outlives a test: each its own vendor


def test_an_invoice_is_pending_then_accepted(sandbox: str) -> None:
    faults(sandbox, decide_after_seconds=0.5)
    client = tax_client(sandbox, unique_memory_id())
    uid, invoice = an_invoice(1, client.memory_id)
    (receipt,) = client.send([(uid, invoice)])
    assert receipt.uid == uid and receipt.reference and receipt.errors == []
    (early,) = client.by_reference([receipt.reference])
    assert early.status == "PENDING" and not early.final
    status = decided(client, receipt.reference)
    assert status.accepted and status.errors == [] and status.uid == uid
    (by_uid,) = client.by_uid([uid])
    assert by_uid.reference == receipt.reference and by_uid.accepted


def test_the_same_uid_sent_again_is_the_same_invoice(sandbox: str) -> None:
    client = tax_client(sandbox, unique_memory_id())
    uid, invoice = an_invoice(1, client.memory_id)
    (first,) = client.send([(uid, invoice)])
    (again,) = client.send([(uid, invoice)])
    assert again.reference == first.reference


@pytest.mark.parametrize(("change", "code"), [
    (lambda i: i["header"].update(taxid=i["header"]["taxid"][:-1] + str((int(i["header"]["taxid"][-1]) + 1) % 10)),
     "0301"),
    (lambda i: i["header"].update(inno="12"), "0100504"),
    (lambda i: i["body"][0].update(sstid="123"), "0303301"),
    (lambda i: i["header"].update(indatim=i["header"]["indatim"] + 3_600_000), "0202"),
])
def test_a_wrong_invoice_is_rejected_with_its_documented_code(sandbox: str, change: Any, code: str) -> None:
    faults(sandbox, decide_after_seconds=0)
    client = tax_client(sandbox, unique_memory_id())
    uid, invoice = an_invoice(1, client.memory_id)
    change(invoice)
    (receipt,) = client.send([(uid, invoice)])
    assert receipt.reference is not None
    status = decided(client, receipt.reference)
    assert status.status == "FAILED" and code in [e["code"] for e in status.errors]


def test_a_tax_id_used_twice_is_rejected(sandbox: str) -> None:
    faults(sandbox, decide_after_seconds=0)
    client = tax_client(sandbox, unique_memory_id())
    _, invoice = an_invoice(1, client.memory_id)
    (first,) = client.send([(str(uuid.uuid4()), invoice)])
    (second,) = client.send([(str(uuid.uuid4()), invoice)])
    assert decided(client, first.reference or "").accepted
    assert [e["code"] for e in decided(client, second.reference or "").errors] == ["0301"]


def test_a_cancelling_invoice_needs_an_accepted_original(sandbox: str) -> None:
    faults(sandbox, decide_after_seconds=0.3)
    client = tax_client(sandbox, unique_memory_id())
    uid, original = an_invoice(1, client.memory_id)
    (sent,) = client.send([(uid, original)])
    taxid = original["header"]["taxid"]
    (too_early,) = client.send([an_invoice(2, client.memory_id, subject=rules.CANCELLING, refers_to=taxid)])
    assert [e["code"] for e in decided(client, too_early.reference or "").errors] == ["0306"]
    assert decided(client, sent.reference or "").accepted
    (cancel,) = client.send([an_invoice(3, client.memory_id, subject=rules.CANCELLING, refers_to=taxid)])
    assert decided(client, cancel.reference or "").accepted
    (twice,) = client.send([an_invoice(4, client.memory_id, subject=rules.CANCELLING, refers_to=taxid)])
    assert [e["code"] for e in decided(client, twice.reference or "").errors] == ["0306"]


def test_a_signature_that_does_not_verify_gets_no_token(sandbox: str) -> None:
    private = jose.new_key()
    other = jose.self_signed(jose.new_key(), "someone else", datetime.now(UTC))  # x5c not of the signing key
    client = MoadianClient(sandbox, unique_memory_id(), VendorKey(private, other), timeout=5)
    with pytest.raises(TaxSystemRefused, match="401"):
        client.by_uid([str(uuid.uuid4())])


def test_request_level_refusals_and_an_outage_are_not_an_answer(sandbox: str) -> None:
    client = tax_client(sandbox, unique_memory_id())
    token = client._token()  # a request the client never makes, sent by hand
    headers = {"Authorization": f"Bearer {token}"}
    for body, code in (([], "4144"), ([{"header": {"requestTraceId": "x", "fiscalId": "A"}, "payload": "p"}], "4162"),
                       ([{"header": {"fiscalId": "A"}, "payload": "p"}], "4145")):
        answer = requests.post(sandbox + "invoice", json=body, headers=headers, timeout=5)
        assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == code
    faults(sandbox, outage=True)
    with pytest.raises(TaxSystemUnavailable):
        client.send([an_invoice(1, client.memory_id)])
    faults(sandbox)
    with pytest.raises(TaxSystemUnavailable):
        MoadianClient("http://127.0.0.1:9/requestsmanager/api/v2/", "A1B2C3", client.key, timeout=1).by_uid(["u"])


def test_billing_registers_then_cancels_a_refunded_payments_invoice_through_the_sandbox(sandbox: str) -> None:
    faults(sandbox, decide_after_seconds=0.2)
    client = tax_client(sandbox, VENDOR.memory_id)
    # Asked again at once (no waiting): the platform clock stays real, as the system reads dates by it.
    app = memory_app(FakeGateway(), tax_system=client, einvoice_retry_base=timedelta(0),
                     einvoice_ask_after=timedelta(0))
    _, _, started = start(app, body=NEW_ORDER | {"buyer": {"kind": "person", "national_code": "0499370899"}})
    callback(app, started["payment_id"], started["redirect_url"], "success")

    def until(state: str, of: str = "official_invoice") -> dict[str, Any]:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            app.einvoicing.follow(CAUSE)
            view = app.payment(None, started["payment_id"])["official_invoice"]
            found = view if of == "official_invoice" else view and view["cancellation"]
            if found and found["state"] == state:
                return dict(view)
            time.sleep(0.1)
        raise AssertionError(f"never {state}: {app.payment(None, started['payment_id'])}")

    accepted = until("accepted")
    app.settlement.refund_paid(started["payment_id"], CAUSE)
    cancelled = until("accepted", of="cancellation")
    assert cancelled["cancellation"]["tax_id"] != accepted["tax_id"]
    root = sandbox.split("/requestsmanager/")[0]
    listed = {i["taxid"]: i for i in requests.get(f"{root}/_dev/invoices", timeout=5).json()}
    assert listed[accepted["tax_id"]]["cancelled"] is True
    assert listed[cancelled["cancellation"]["tax_id"]]["irtaxid"] == accepted["tax_id"]


def _observed(system: Any, memory_id: str, settle: Any) -> tuple[Any, ...]:
    """What a system answers in the story billing depends on (both fakes must tell it alike)."""
    def final(reference: str | None) -> Status:
        for _ in range(100):
            (status,) = system.by_reference([reference])
            if status.final:
                return status
            settle()
        raise AssertionError("never decided")

    uid, original = an_invoice(1, memory_id)
    (receipt,) = system.send([(uid, original)])
    (again,) = system.send([(uid, original)])
    (first,) = system.by_reference([receipt.reference])
    taxid = original["header"]["taxid"]
    (early,) = system.send([an_invoice(2, memory_id, subject=rules.CANCELLING, refers_to=taxid)])
    accepted = final(receipt.reference)
    (cancel,) = system.send([an_invoice(3, memory_id, subject=rules.CANCELLING, refers_to=taxid)])
    return (again.reference == receipt.reference, first.status, accepted.accepted,
            [e["code"] for e in final(early.reference).errors], final(cancel.reference).accepted,
            system.by_uid([uid])[0].reference == receipt.reference)


def test_the_in_memory_fake_answers_as_the_sandbox(sandbox: str) -> None:
    faults(sandbox, decide_after_seconds=0.3)
    client = tax_client(sandbox, unique_memory_id())
    over_http = _observed(client, client.memory_id, lambda: time.sleep(0.1))
    in_memory = _observed(FakeTaxSystem(late=1), client.memory_id, lambda: None)
    assert over_http == in_memory == (True, "PENDING", True, ["0306"], True, True)



def test_a_configured_system_key_is_the_only_one_invoices_are_encrypted_for(sandbox: str, tmp_path: Path) -> None:
    """MOADIAN_SYSTEM_KEY_FILE (deploy/k8s mounts it from platform-moadian): the key the system
    announces must be it; another one (a man in the middle, a wrong file) refuses the request."""
    right, wrong = tmp_path / "system.pem", tmp_path / "other.pem"
    right.write_bytes(tax_sandbox._KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo))
    wrong.write_bytes(jose.new_key().public_key().public_bytes(serialization.Encoding.PEM,
                                                               serialization.PublicFormat.SubjectPublicKeyInfo))
    faults(sandbox, decide_after_seconds=0)
    pinned = tax_client(sandbox, unique_memory_id())
    pinned.system_key = system_key(str(right))
    (receipt,) = pinned.send([an_invoice(1, pinned.memory_id)])
    assert receipt.reference and decided(pinned, receipt.reference).accepted
    other = tax_client(sandbox, unique_memory_id())
    other.system_key = system_key(str(wrong))
    with pytest.raises(TaxSystemRefused):
        other.send([an_invoice(1, other.memory_id)])
    assert system_key("") is None
