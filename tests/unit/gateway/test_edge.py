"""What the gateway asks of every request before a service sees it (issue #13): a JSON body
within the configured size and depth, validated without echoing a value; the caller's address,
from X-Forwarded-For only when the setting says a proxy of ours wrote it."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel
from werkzeug.wrappers import Request

from services.gateway.http_edge import MAX_JSON_DEPTH, HttpError, client_address, parse_body
from shared.http.models import RegistrationRequest
from tests.support.gateway import chunked, request


class Thing(BaseModel):
    name: str = "default"


def _refused(built: Request, model: type[BaseModel] = Thing, max_bytes: int = 1024) -> HttpError:
    with pytest.raises(HttpError) as refused:
        parse_body(built, model, max_bytes)
    return refused.value


def test_a_json_body_becomes_the_model() -> None:
    assert parse_body(request(body={"name": "x"}), Thing, 1024) == Thing(name="x")


def test_an_empty_body_is_an_empty_object() -> None:
    assert parse_body(request(raw=b""), Thing, 1024) == Thing()


def test_a_form_or_plain_text_is_refused() -> None:
    for content_type in ("application/x-www-form-urlencoded", "text/plain"):
        refused = _refused(request(raw=b'{"name": "x"}', content_type=content_type))
        assert refused.code == "unsupported_media_type" and refused.details == {"expected": "application/json"}


def test_a_body_too_large_is_refused_from_its_content_length() -> None:
    refused = _refused(request(body={"name": "x" * 50}), max_bytes=20)
    assert refused.code == "payload_too_large" and refused.details == {"max_bytes": 20}


def test_a_chunked_body_too_large_is_refused_once_read_past_the_limit() -> None:
    assert parse_body(chunked(b'{"name": "x"}'), Thing, 20) == Thing(name="x")
    refused = _refused(chunked(json.dumps({"name": "x" * 50}).encode()), max_bytes=20)
    assert refused.code == "payload_too_large"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_what_is_not_a_json_object_is_invalid_json(raw: bytes) -> None:
    assert _refused(request(raw=raw)).code == "invalid_json"


def test_a_body_nested_too_deep_is_refused() -> None:
    deep = b'{"a": ' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)
    refused = _refused(request(raw=deep), max_bytes=10_000)
    assert refused.code == "json_too_deep" and refused.details == {"max_depth": MAX_JSON_DEPTH}
    shallow = b'{"a": ' * (MAX_JSON_DEPTH - 1) + b"1" + b"}" * (MAX_JSON_DEPTH - 1)
    assert parse_body(request(raw=shallow), Thing, 10_000) == Thing()


def test_an_invalid_body_names_its_fields_and_never_echoes_a_value() -> None:
    refused = _refused(request(body={"mobile": 12, "password": ["SecretPassw0rd!"]}), RegistrationRequest)
    assert refused.code == "invalid_request"
    assert {problem["field"] for problem in refused.details["fields"]} >= {"mobile", "password"}
    assert "SecretPassw0rd!" not in json.dumps(refused.details)


def test_the_forwarded_address_is_ignored_unless_trusted() -> None:
    sent = request(headers={"X-Forwarded-For": "198.51.100.1"}, remote_addr="10.0.0.5")
    assert client_address(sent, trust_forwarded_for=False) == "10.0.0.5"


def test_behind_our_proxy_the_last_hop_is_the_caller() -> None:
    # The client may write the first hops; the last is what the Ingress itself saw.
    sent = request(headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.1 "}, remote_addr="10.0.0.5")
    assert client_address(sent, trust_forwarded_for=True) == "198.51.100.1"
    assert client_address(request(remote_addr="10.0.0.5"), trust_forwarded_for=True) == "10.0.0.5"


def test_an_address_is_bounded_and_never_missing() -> None:
    assert client_address(request(headers={"X-Forwarded-For": "x" * 500}), trust_forwarded_for=True) == "x" * 100
    assert client_address(request(remote_addr=None), trust_forwarded_for=False) == "unknown"
