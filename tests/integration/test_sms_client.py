"""The Kavenegar client against the development provider that speaks the same API (over real
HTTP): sends and lookups once per localid, each documented failure read as final, "later" or
"no credit", delivery reports in batches, and the provider's own documented behaviour."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest
import requests

from services.notifications.delivery import ProviderOutOfCredit
from services.notifications.kavenegar_codes import local_id_of
from services.notifications.sms import KavenegarClient, ProviderRejected, ProviderUnavailable
from tests.support.processes import Platform

E164 = "+989121234567"


@pytest.fixture
def client(platform: Platform) -> KavenegarClient:
    return KavenegarClient(platform.start_sms_provider(), api_key="test-key", sender="10004346", timeout=3)


def message_id() -> str:
    return str(uuid.uuid4())


def dev(platform: Platform, control: str, **body: Any) -> None:
    requests.post(f"{platform.sms_url}/_dev/{control}", json=body, timeout=5).raise_for_status()


def api(platform: Platform, method: str, **form: str) -> requests.Response:
    return requests.post(f"{platform.sms_url}/v1/test-key/{method}", data=form, timeout=5)


def test_a_message_is_sent_once_per_local_id(client: KavenegarClient, platform: Platform) -> None:
    first_id, other_id = message_id(), message_id()
    first = client.send(E164, "کد شما: ۱۲۳۴۵۶", first_id)
    again = client.send(E164, "کد شما: ۱۲۳۴۵۶", first_id)
    other = client.send(E164, "کد شما: ۶۵۴۳۲۱", other_id)
    assert first.provider_message_id == again.provider_message_id != other.provider_message_id
    sent = platform.sms_sent_to(E164)
    assert [m["message"] for m in sent] == ["کد شما: ۱۲۳۴۵۶", "کد شما: ۶۵۴۳۲۱"]
    assert [m["requests"] for m in sent] == [2, 1]
    assert [m["localid"] for m in sent] == [str(local_id_of(first_id)), str(local_id_of(other_id))]


def test_a_lookup_is_sent_once_per_local_id_and_rendered_as_the_phone_shows_it(
        client: KavenegarClient, platform: Platform) -> None:
    code_id = message_id()
    first = client.lookup(E164, "signup-code", "042913", code_id)
    again = client.lookup(E164, "signup-code", "042913", code_id)
    assert first.provider_message_id == again.provider_message_id
    (sent,) = platform.sms_sent_to(E164)
    assert (sent["template"], sent["tokens"], sent["type"], sent["requests"]) == (
        "signup-code", {"token": "042913"}, "sms", 2)
    assert "۰۴۲۹۱۳" in sent["message"].split("\n")[0] and "حسابداری ابری" in sent["message"]


def test_an_unknown_template_is_refused_for_good(client: KavenegarClient, platform: Platform) -> None:
    with pytest.raises(ProviderRejected, match="status 424"):
        client.lookup(E164, "never-approved", "042913", message_id())
    assert platform.sms_sent_to(E164) == []


def test_the_provider_refuses_a_localid_that_is_not_a_number(client: KavenegarClient, platform: Platform) -> None:
    answer = api(platform, "sms/send.json", receptor=E164, message="سلام", localid="msg-1")
    assert answer.status_code == 400 and answer.json()["return"]["status"] == 400  # the HTTP status mirrors it
    assert platform.sms_sent_to(E164) == []


@pytest.mark.parametrize(("status", "failure"), [
    (409, ProviderUnavailable), (451, ProviderUnavailable), (402, ProviderUnavailable), (503, ProviderUnavailable),
    (418, ProviderOutOfCredit), (412, ProviderRejected), (501, ProviderRejected),
])
def test_each_refusal_is_read_from_its_status(client: KavenegarClient, platform: Platform, status: int,
                                              failure: type[Exception]) -> None:
    dev(platform, "refuse", status=status, sends=2)
    with pytest.raises(failure, match=str(status)) as raised:
        client.send(E164, "سلام", message_id())
    assert type(raised.value) is failure
    with pytest.raises(failure):
        client.lookup(E164, "signup-code", "042913", message_id())
    assert client.send(E164, "سلام", message_id()).provider_message_id  # the refusal was for two sends only


def test_a_refusal_is_permanent_and_an_outage_is_not(client: KavenegarClient, platform: Platform) -> None:
    with pytest.raises(ProviderRejected, match="status 411"):
        client.send("not-a-number", "hello", message_id())
    with pytest.raises(ProviderRejected, match="status 413"):
        client.send(E164, " ", message_id())
    requests.post(f"{platform.sms_url}/_dev/outage", json={"seconds": 30}, timeout=5)
    retried = message_id()
    with pytest.raises(ProviderUnavailable):
        client.send(E164, "hello", retried)
    requests.post(f"{platform.sms_url}/_dev/outage", json={"seconds": 0}, timeout=5)
    assert client.send(E164, "hello", retried).provider_message_id


def test_delivery_reports_follow_each_numbers_outcome(client: KavenegarClient, platform: Platform) -> None:
    outcomes = {"+989121000001": "delivered", "+989121000002": "undelivered", "+989121000003": "blocked",
                "+989121000004": "failed", "+989121000005": "never"}
    for receptor, outcome in outcomes.items():
        dev(platform, "delivery", receptor=receptor, outcome=outcome)
    sent = {receptor: client.send(receptor, "سلام", message_id()).provider_message_id for receptor in outcomes}
    assert [platform.sms_sent_to(r)[0]["status"] for r in outcomes] == [1] * 5  # queued until asked
    reports = client.delivery_reports([*sent.values(), "999"])
    by_number = {receptor: reports[provider_id] for receptor, provider_id in sent.items()}
    assert by_number["+989121000001"].delivered and by_number["+989121000001"].final
    assert by_number["+989121000002"].reason == "undelivered: phone off or out of reach (status 11)"
    assert "(status 14)" in str(by_number["+989121000003"].reason)
    assert "(status 6)" in str(by_number["+989121000004"].reason)
    assert not by_number["+989121000005"].final  # sent to the operator, never reported
    assert reports["999"].reason == "unknown to the provider: no such message id (status 100)"


def test_more_than_500_reports_are_asked_in_batches(client: KavenegarClient, platform: Platform) -> None:
    ids = [str(n) for n in range(2_000_000, 2_000_501)]  # unknown to the provider: status 100 each
    too_many = api(platform, "sms/status.json", messageid=",".join(ids))
    assert too_many.status_code == 414  # what one call of 501 ids gets
    reports = client.delivery_reports(ids)
    assert len(reports) == 501 and all(r.final and not r.delivered for r in reports.values())


def test_status_by_local_id_knows_recent_sends_only(client: KavenegarClient, platform: Platform) -> None:
    sent_id = message_id()
    receipt = client.send(E164, "سلام", sent_id)
    local_id = str(local_id_of(sent_id))
    answer = api(platform, "sms/statuslocalmessageid.json", localid=f"{local_id},12345").json()
    known, unknown = answer["entries"]
    assert (str(known["messageid"]), known["localid"], known["status"]) == (receipt.provider_message_id, local_id, 10)
    assert (unknown["localid"], unknown["status"]) == ("12345", 100)


def test_an_unreachable_or_garbled_provider_is_an_outage(platform: Platform) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    unreachable = KavenegarClient(f"http://127.0.0.1:{closed_port}", "k", "s", timeout=1)
    with pytest.raises(ProviderUnavailable):
        unreachable.send(E164, "x", message_id())
    with pytest.raises(ProviderUnavailable):
        unreachable.delivery_reports(["1"])
    garbled = KavenegarClient(f"{platform.start_sms_provider()}/health#", "k", "s", timeout=2)
    with pytest.raises(ProviderUnavailable):
        garbled.send(E164, "x", message_id())
