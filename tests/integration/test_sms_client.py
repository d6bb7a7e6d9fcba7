"""The Kavenegar client against the local provider that speaks the same API (over real HTTP)."""

from __future__ import annotations

import socket

import pytest
import requests

from services.notifications.sms import KavenegarClient, ProviderRejected, ProviderUnavailable
from tests.support.processes import Platform


@pytest.fixture
def client(platform: Platform) -> KavenegarClient:
    return KavenegarClient(platform.start_sms_provider(), api_key="test-key", sender="10004346", timeout=3)


def test_a_message_is_sent_once_per_local_id(client: KavenegarClient, platform: Platform) -> None:
    first = client.send("+989121234567", "کد شما: ۱۲۳۴۵۶", "msg-1")
    again = client.send("+989121234567", "کد شما: ۱۲۳۴۵۶", "msg-1")
    other = client.send("+989121234567", "کد شما: ۶۵۴۳۲۱", "msg-2")
    assert first.provider_message_id == again.provider_message_id != other.provider_message_id
    sent = platform.sms_sent_to("+989121234567")
    assert [m["message"] for m in sent] == ["کد شما: ۱۲۳۴۵۶", "کد شما: ۶۵۴۳۲۱"]


def test_a_refusal_is_permanent_and_an_outage_is_not(client: KavenegarClient, platform: Platform) -> None:
    with pytest.raises(ProviderRejected):
        client.send("not-a-number", "hello", "msg-3")
    requests.post(f"{platform.sms_url}/_dev/outage", json={"seconds": 30}, timeout=5)
    with pytest.raises(ProviderUnavailable):
        client.send("+989121234567", "hello", "msg-4")
    requests.post(f"{platform.sms_url}/_dev/outage", json={"seconds": 0}, timeout=5)
    assert client.send("+989121234567", "hello", "msg-4").provider_message_id


def test_an_unreachable_or_garbled_provider_is_an_outage(platform: Platform) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with pytest.raises(ProviderUnavailable):
        KavenegarClient(f"http://127.0.0.1:{closed_port}", "k", "s", timeout=1).send("+989121234567", "x", "m")
    garbled = KavenegarClient(f"{platform.start_sms_provider()}/health#", "k", "s", timeout=2)
    with pytest.raises(ProviderUnavailable):
        garbled.send("+989121234567", "x", "m")
