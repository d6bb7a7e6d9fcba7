"""What ``@route`` does with a request: the declared model read where the handler asks for it
and within the configured size, the declared status on success, the error table's answer on a
refusal or a bug, and a handler's own Response left alone."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from werkzeug.wrappers import Request, Response

from services.gateway.http_edge import HttpError
from services.gateway.routes.base import GatewayBase
from services.gateway.routing import Body, route
from tests.support.gateway import answered, request, settings


class Thing(BaseModel):
    name: str


class Probe(GatewayBase):
    @route("POST", "/probe/<thing_id>", "Create", body=Thing, answers=201,
           errors=("invalid_json", "invalid_request", "unauthorized"))
    def create(self, request: Request, thing_id: str, body: Body[Thing]) -> Any:
        if request.headers.get("Authorization") != "Bearer ok":  # the token before the body
            raise HttpError("unauthorized")
        return {"thing_id": thing_id, "name": body().name}

    @route("GET", "/probe/bug", "Fails")
    def bug(self, request: Request) -> Any:
        raise KeyError("a bug")

    @route("GET", "/probe/busy", "Busy", errors=("service_unavailable",))
    def busy(self, request: Request) -> Any:
        raise HttpError("service_unavailable", retry_after=5)

    @route("GET", "/probe/file", "Its own answer", own_response=True)
    def file(self, request: Request) -> Response:
        return Response("plain", status=299, mimetype="text/plain")


def _probe(max_body_bytes: int = 1024) -> Probe:
    probe = Probe()
    probe.settings = settings(max_body_bytes=max_body_bytes)
    probe.correlation_id = "corr-1"
    return probe


SIGNED = {"Authorization": "Bearer ok"}


def test_a_success_answers_the_declared_status_with_the_api_headers() -> None:
    response = _probe().create(request(body={"name": "x"}, headers=SIGNED), thing_id="t-1")
    assert answered(response) == (201, {"thing_id": "t-1", "name": "x"})
    assert response.headers["X-Correlation-Id"] == "corr-1"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_handler_decides_when_the_body_is_read() -> None:
    # An unsigned request with a broken body is refused for its token: the body was never read.
    status, body = answered(_probe().create(request(raw=b"{broken"), thing_id="t"))
    assert status == 401 and body["error"] == "unauthorized"


def test_the_body_is_read_as_the_declared_model() -> None:
    status, body = answered(_probe().create(request(body={"nom": "x"}, headers=SIGNED), thing_id="t"))
    assert status == 422 and body["error"] == "invalid_request"
    assert body["fields"] == [{"field": "name", "problem": "missing"}]


def test_the_body_limit_is_the_configured_one() -> None:
    big = {"name": "x" * 200}
    assert answered(_probe(max_body_bytes=1024).create(request(body=big, headers=SIGNED), thing_id="t"))[0] == 201
    response = _probe(max_body_bytes=100).create(request(body=big, headers=SIGNED), thing_id="t")
    status, body = answered(response)
    assert status == 413 and body["error"] == "payload_too_large" and body["max_bytes"] == 100
    assert response.headers["Connection"] == "close"


def test_a_refusal_answers_from_the_error_table_with_its_headers() -> None:
    response = _probe().busy(request("GET"))
    status, body = answered(response)
    assert status == 503 and body["error"] == "service_unavailable" and body["message"]["fa"]
    assert response.headers["Retry-After"] == "5"


def test_a_bug_answers_a_clean_500_without_its_trace() -> None:
    status, body = answered(_probe().bug(request("GET")))
    assert status == 500 and body["error"] == "internal_error" and "a bug" not in str(body)


def test_a_handler_with_its_own_response_is_answered_as_it_is() -> None:
    response = _probe().file(request("GET"))
    assert response.status_code == 299 and response.get_data() == b"plain"
    assert "X-Correlation-Id" not in response.headers
