"""Items 5 and 6 of issue #13: hostile bodies refused at the edge, and text that lies refused
with a message that names the field.

Before the fix: a 100 MB Content-Length made the gateway wait for the body; 100,000 levels of
nesting answered 500 internal_error; text/plain and form posts were taken as JSON (a browser
sends those cross-site without asking); period_months 12.0 was accepted; business,
organization and applicant names kept U+202E, U+200B, U+FEFF and C0/C1 controls."""

from __future__ import annotations

import json
import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.journey import Gateway, refused
from tests.security.callers import Account, new_address, new_mobile


@pytest.fixture(scope="module")
def customer(gateway: Gateway) -> Account:
    return Account(gateway)


def _raw(gateway: Gateway, head: str, body: bytes = b"", wait: float = 10) -> tuple[int, dict[str, object], float]:
    """An HTTP/1.1 request written by hand; (status, JSON body, seconds until the answer)."""
    where = urlsplit(gateway.url)
    started = time.monotonic()
    with socket.create_connection((where.hostname, where.port), timeout=wait) as conn:
        conn.sendall(head.encode() + b"\r\n" + body)
        received = b""
        while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < _length(received):
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    took = time.monotonic() - started
    header, _, content = received.partition(b"\r\n\r\n")
    return int(header.split()[1]), json.loads(content), took


def _length(received: bytes) -> int:
    for line in received.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 1 << 30


def test_a_huge_content_length_is_refused_before_the_body_is_read(gateway: Gateway) -> None:
    head = ("POST /identity/registrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 100000000\r\n")
    status, body, took = _raw(gateway, head, b'{"mobile": "')
    assert status == 413 and body["error"] == "payload_too_large" and body["message"]["fa"], body
    assert took < 5, f"the gateway waited {took:.1f}s for a body it should have refused at once"


def test_a_body_just_over_the_limit_is_refused_and_one_under_it_is_read(gateway: Gateway) -> None:
    padding = {"mobile": new_mobile(), "password": "x" * 1024}
    over = json.dumps(padding | {"pad": "y" * (1024 * 1024)})
    answer = requests.post(f"{gateway.url}/identity/registrations", data=over, timeout=30,
                           headers={"Content-Type": "application/json", "X-Forwarded-For": new_address()})
    refused(answer, 413, "payload_too_large", "a body over 1 MiB")
    under = requests.post(f"{gateway.url}/identity/registrations", json={"mobile": "no", "password": "x"}, timeout=30,
                          headers={"X-Forwarded-For": new_address()})
    assert under.status_code == 422, under.text  # read and judged, not refused for its size


@pytest.mark.parametrize("levels", [33, 1000, 100_000])
def test_deep_nesting_is_a_clear_400(gateway: Gateway, levels: int) -> None:
    body = '{"mobile": ' + "[" * levels + "]" * levels + ', "password": "x"}'
    answer = requests.post(f"{gateway.url}/identity/registrations", data=body, timeout=30,
                           headers={"Content-Type": "application/json", "X-Forwarded-For": new_address()})
    refused(answer, 400, "json_too_deep", f"{levels} levels of nesting")


@pytest.mark.parametrize("content_type, data", [
    ("text/plain", json.dumps({"mobile": "09120000000", "password": "Str0ng!pass"})),
    ("application/x-www-form-urlencoded", "mobile=09120000000&password=Str0ng%21pass"),
    ("multipart/form-data; boundary=b", '--b\r\nContent-Disposition: form-data; name="mobile"\r\n\r\n0912\r\n--b--'),
])
def test_only_json_bodies_are_taken(gateway: Gateway, content_type: str, data: str) -> None:
    """What a hostile page can post cross-site without a preflight is refused (415)."""
    mobile = new_mobile()
    answer = requests.post(f"{gateway.url}/identity/registrations", data=data.replace("09120000000", mobile),
                           headers={"Content-Type": content_type, "X-Forwarded-For": new_address()}, timeout=30)
    refused(answer, 415, "unsupported_media_type", content_type)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("months", [12.0, 6.5, True, "12.0", "۱۲٫۰", [12]])
def test_counts_are_whole_numbers_or_refused(customer: Account, months: object) -> None:
    order = {"business_name": "فروشگاه نمونه", "business_type": "trading", "products": ["accounting"],
             "period_months": months}
    answer = customer.gateway.ask("POST", "/billing/orders", order, token=customer.tokens["access_token"])
    body = refused(answer, 422, "invalid_request", f"period_months {months!r}")
    assert [f["field"] for f in body["fields"]] == ["period_months"], body


def test_persian_digits_are_still_a_whole_number(customer: Account) -> None:
    order = {"business_name": "فروشگاه ارقام", "business_type": "trading", "products": ["accounting"],
             "period_months": "۱۲"}
    answer = customer.gateway.ask("POST", "/billing/orders", order, token=customer.tokens["access_token"])
    assert answer.status_code == 201 and answer.json()["period_months"] == 12, answer.text


HIDDEN = ["\u202e", "\u200b", "\ufeff", "\x00", "\x1b", "\x85", "\u2066"]


@pytest.mark.parametrize("character", HIDDEN)
def test_a_business_name_with_hidden_characters_is_refused_naming_the_field(customer: Account,
                                                                          character: str) -> None:
    order = {"business_name": f"شرکت{character}نمونه", "business_type": "trading", "products": ["accounting"]}
    answer = customer.gateway.ask("POST", "/billing/orders", order, token=customer.tokens["access_token"])
    body = refused(answer, 422, "invalid_text", f"a business name with U+{ord(character):04X}")
    assert body["field"] == "business_name" and body["characters"] == [f"U+{ord(character):04X}"], body
    assert "نام کسب‌وکار" in body["message"]["fa"] and "business name" in body["message"]["en"], body


def test_organization_and_applicant_names_are_refused_too(customer: Account) -> None:
    token = customer.tokens["access_token"]
    org = customer.gateway.ask("POST", f"/tenancy/businesses/{uuid.uuid4()}/organizations",
                               {"name": "شعبه\u200bمرکزی", "kind": "branch"}, token=token)
    assert refused(org, 422, "invalid_text", "an organization name with U+200B")["field"] == "name"
    application = customer.gateway.ask("POST", "/billing/educational-applications",
                                       {"institution_name": "\ufeffدانشگاه تهران", "licence_number": "123",
                                        "contact_mobile": customer.mobile}, token=token)
    body = refused(application, 422, "invalid_text", "an institution name with U+FEFF")
    assert body["field"] == "institution_name" and "مؤسسه" in body["message"]["fa"], body


def test_the_persian_half_space_is_kept(customer: Account) -> None:
    name = "کافه\u200cکتاب می\u200cشود"
    order = {"business_name": name, "business_type": "trading", "products": ["accounting"]}
    answer = customer.gateway.ask("POST", "/billing/orders", order, token=customer.tokens["access_token"])
    assert answer.status_code == 201, answer.text
    kept = customer.gateway.ask("GET", f"/billing/orders/{answer.json()['order_id']}",
                                token=customer.tokens["access_token"])
    assert kept.json()["business_name"] == name, kept.text
