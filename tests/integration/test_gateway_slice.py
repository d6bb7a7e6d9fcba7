"""The first vertical slice through the gateway, as a web client sees it: real gateway,
identity and notifications processes on the real broker (ID-1, ID-2, ID-3, NO-1, X-3)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from services.gateway.openapi import ROUTES
from shared.events.catalog import SERVICES
from tests.support.broker import confirmed_publisher
from tests.support.network import free_port
from tests.support.processes import Platform, wait_until


@pytest.fixture
def gateway(platform: Platform) -> str:
    platform.start("identity")
    platform.start("notifications")
    address = f"127.0.0.1:{free_port()}"
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    return f"http://{address}"


def post(url: str, body: Any, **headers: str) -> requests.Response:
    return requests.post(url, json=body, headers=headers, timeout=30)


def test_sign_up_sends_the_code_by_sms_with_one_correlation_id(gateway: str, platform: Platform) -> None:
    answer = post(f"{gateway}/identity/registrations", {"mobile": "۰۹۱۲ ۳۴۵ ۶۷۸۹", "password": "Str0ng!pass"},
                  **{"X-Correlation-Id": "signup-test-1"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "pending_verification"
    assert answer.headers["X-Correlation-Id"] == "signup-test-1"

    def sms() -> list[dict[str, Any]]:
        return list(requests.get(f"{gateway}/notifications/messages", params={"to": "+989123456789"},
                                 timeout=10).json()["messages"])

    messages = wait_until(sms, what="the SMS")
    assert len(messages) == 1
    assert messages[0]["template"] == "verification_code.signup"
    assert "کد ثبت‌نام" in messages[0]["text"]
    assert any(ch in "۰۱۲۳۴۵۶۷۸۹" for ch in messages[0]["text"])  # Persian digits for people
    # The request's correlation id travelled gateway → identity → relay → notifications.
    assert "signup-test-1" in platform.log_text("identity")
    handled = [line for line in platform.log_text("notifications").splitlines() if '"inbox.handled"' in line]
    assert any("signup-test-1" in line and "VerificationCodeIssued" in line for line in handled)
    # The code never stands readable in a log line.
    code = "".join(ch for ch in messages[0]["text"].split("\n")[0] if ch in "۰۱۲۳۴۵۶۷۸۹")
    latin = code.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    assert latin not in platform.log_text("identity") + platform.log_text("notifications")


def test_a_second_sign_up_of_the_number_points_to_recovery(gateway: str) -> None:
    registration = register(gateway, "09121110000")
    assert verify(gateway, "09121110000", sms_code(gateway, "09121110000"), registration).status_code == 200
    again = post(f"{gateway}/identity/registrations", {"mobile": "+98 912 111 0000", "password": "Str0ng!pass"})
    assert again.status_code == 409
    body = again.json()
    assert body["error"] == "mobile_already_registered"
    assert "فراموشی رمز" in body["message"]["fa"] and "recovery" in body["message"]["en"]


BAD_REGISTRATIONS: list[tuple[Any, int, str]] = [
    ({"mobile": "02188888888", "password": "Str0ng!pass"}, 422, "invalid_mobile"),
    ({"mobile": "+14155550100", "password": "Str0ng!pass"}, 422, "invalid_mobile"),
    ({"mobile": "0912123456", "password": "Str0ng!pass"}, 422, "invalid_mobile"),
    ({"mobile": "09121234567", "password": "short"}, 422, "weak_password"),
    ({"mobile": "09121234567"}, 422, "invalid_request"),
    ({"mobile": "09121234567", "password": "Str0ng!pass", "admin": True}, 422, "invalid_request"),
    ({"mobile": ["09121234567"], "password": "Str0ng!pass"}, 422, "invalid_request"),
    ({"mobile": "09121234567", "password": "Str0ng!pass", "locale": "de"}, 422, "invalid_request"),
    ({"mobile": "0912" + "1" * 5000, "password": "Str0ng!pass"}, 422, "invalid_request"),
    ([1, 2, 3], 400, "invalid_json"),
]


def test_bad_input_gets_a_clear_error_and_changes_nothing(gateway: str) -> None:
    for body, status, code in BAD_REGISTRATIONS:
        answer = post(f"{gateway}/identity/registrations", body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["error"] == code, body
        assert answer.json()["message"]["fa"] and answer.json()["message"]["en"]
        assert "Str0ng!pass" not in answer.text
    # Nothing was registered: the same number can still sign up.
    assert post(f"{gateway}/identity/registrations", {"mobile": "09121234567", "password": "Str0ng!pass"}
                ).status_code == 202


def test_weak_password_names_every_rule_and_the_caps_lock_hint(gateway: str) -> None:
    answer = post(f"{gateway}/identity/registrations", {"mobile": "09121234567", "password": "pASSWORD"})
    body = answer.json()
    assert answer.status_code == 422
    assert {r["rule"] for r in body["rules"]} == {"needs_digit", "needs_special"}
    assert [h["hint"] for h in body["hints"]] == ["caps_lock"]
    assert "pASSWORD" not in answer.text


def test_garbage_bodies_are_refused(gateway: str) -> None:
    for raw in (b"{not json", b"\xff\xfe", b"null", b'"x"' * 1000):
        answer = requests.post(f"{gateway}/identity/registrations", data=raw, timeout=10,
                               headers={"Content-Type": "application/json"})
        assert answer.status_code in (400, 422), answer.text
        assert answer.json()["error"] in ("invalid_json", "invalid_request")


def test_clock_moves_forward_for_every_service(gateway: str) -> None:
    assert post(f"{gateway}/ops/clock", {"advance": "-P1D"}).status_code == 422
    assert post(f"{gateway}/ops/clock", {"advance": "soon"}).status_code == 422
    answer = post(f"{gateway}/ops/clock", {"advance": "P8D"})
    assert answer.status_code == 202

    def offsets() -> bool:
        services = requests.get(f"{gateway}/health", timeout=10).json()["services"]
        running = {name: s for name, s in services.items() if s.get("status") != "unreachable"}
        return {"identity", "notifications"} <= set(running) and all(
            s["clock_offset_seconds"] == 8 * 86400 for s in running.values())

    wait_until(offsets, what="every service to obey ClockAdvanced")


def test_health_and_openapi_describe_the_gateway(gateway: str) -> None:
    health = requests.get(f"{gateway}/health", timeout=10)
    # Only identity and notifications run in this slice: the others answer as unreachable.
    services = health.json()["services"]
    assert services["identity"]["service"] == "identity" and services["notifications"]["service"] == "notifications"
    assert set(services) <= {*SERVICES, "gateway"} and {"identity", "notifications"} <= set(services)
    assert services["gateway"]["status"] == "ok" and services["gateway"]["ended_sessions_remembered"] == 0
    document = requests.get(f"{gateway}/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.")
    for method, path, *_ in ROUTES:
        assert method.lower() in document["paths"][path.replace("<", "{").replace(">", "}")]
    assert "409" in document["paths"]["/identity/registrations"]["post"]["responses"]


def test_every_http_route_is_in_the_openapi_document() -> None:
    from services.gateway.service import GatewayService

    declared = set()
    for name in dir(GatewayService):
        for extension in getattr(getattr(GatewayService, name), "nameko_entrypoints", ()):
            if hasattr(extension, "url"):
                declared.add((extension.method, extension.url))
    described = {(method, path) for method, path, *_ in ROUTES}
    assert declared and declared == described


def test_fifty_simultaneous_sign_ups_of_one_number_make_one_account(gateway: str, platform: Platform) -> None:
    import eventlet

    def sign_up(_: int) -> int:
        return post(f"{gateway}/identity/registrations", {"mobile": "09357654321", "password": "Str0ng!pass"}
                    ).status_code

    # The first attempt is saved; each later one, within the minute, waits like a re-send would
    # (an unverified number reserves nothing, but its owner's phone is not flooded either).
    statuses = list(eventlet.GreenPool(50).imap(sign_up, range(50)))
    assert statuses.count(202) == 1 and statuses.count(429) == 49, statuses

    def sms() -> list[Any]:
        return list(requests.get(f"{gateway}/notifications/messages", params={"to": "09357654321"},
                                 timeout=10).json()["messages"])

    wait_until(sms, what="the one SMS")
    eventlet.sleep(1)
    assert len(sms()) == 1


def test_production_closes_the_outbox_and_the_clock_to_all_but_support(platform: Platform) -> None:
    from datetime import UTC, datetime

    from shared.kernel.tokens import development_signing_keys, issue_access_token

    platform.start("notifications")
    address = f"127.0.0.1:{free_port()}"
    platform.start("gateway", WEB_SERVER_ADDRESS=address, PLATFORM_ENV="production")
    url = f"http://{address}"
    private_key, _ = development_signing_keys(platform.settings.var_dir / "keys")
    now = datetime.now(UTC)

    def outbox(token: str | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(f"{url}/notifications/messages", params={"to": "09121234567"}, headers=headers,
                            timeout=10)

    assert outbox(None).status_code == 401
    assert outbox("not-a-token").status_code == 401
    assert outbox(issue_access_token(private_key, "u1", ["customer"], now)).status_code == 403
    support = outbox(issue_access_token(private_key, "u2", ["support"], now))
    assert support.status_code == 200 and support.json() == {"messages": []}
    from datetime import timedelta
    expired = issue_access_token(private_key, "u2", ["support"], now - timedelta(hours=1))
    assert outbox(expired).status_code == 401
    assert post(f"{url}/ops/clock", {"advance": "P1D"}).status_code == 404


def test_operators_list_and_replay_dead_letters_through_the_gateway(gateway: str, platform: Platform) -> None:
    with confirmed_publisher(platform.settings) as publish:
        publish(b"{broken", "identity.VerificationCodeIssued.v1", message_id="poison-1")
    listed = wait_until(lambda: requests.get(f"{gateway}/ops/dead-letters/notifications", timeout=10
                                             ).json()["dead_letters"], what="the dead letter")
    assert listed[0]["message_id"] == "poison-1" and listed[0]["reason"].startswith("invalid message")
    assert requests.get(f"{gateway}/ops/dead-letters/nosuch", timeout=10).status_code == 404
    assert post(f"{gateway}/ops/dead-letters/notifications/replay", {}).status_code == 422
    replayed = post(f"{gateway}/ops/dead-letters/notifications/replay", {"message_id": "poison-1"})
    assert replayed.status_code == 202 and replayed.json()["replayed"] == 1
    # Still broken, so it is dead-lettered again, not lost.
    wait_until(lambda: len(requests.get(f"{gateway}/ops/dead-letters/notifications", timeout=10
                                        ).json()["dead_letters"]) == 1, what="the replayed letter to die again")


def sms_code(gateway: str, mobile: str, count: int = 1) -> str:
    """The latest code sent to a number, read from the development SMS outbox."""
    messages = wait_until(lambda: (found := requests.get(f"{gateway}/notifications/messages", params={"to": mobile},
                                                           timeout=10).json()["messages"]) and len(found) >= count
                          and found, what=f"SMS number {count}")
    persian = "".join(ch for ch in messages[0]["text"].split("\n")[0] if ch in "۰۱۲۳۴۵۶۷۸۹")
    return persian.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))


def register(gateway: str, mobile: str) -> str:
    """Signs ``mobile`` up; the registration's id, which verifying names."""
    answer = post(f"{gateway}/identity/registrations", {"mobile": mobile, "password": "Str0ng!pass"})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["registration_id"])


def verify(gateway: str, mobile: str, code: str, registration_id: str) -> requests.Response:
    return post(f"{gateway}/identity/registrations/verify",
                {"mobile": mobile, "code": code, "registration_id": registration_id})


def test_sign_up_then_verify_with_the_code_from_the_sms(gateway: str) -> None:
    registration = register(gateway, "09121112233")
    code = sms_code(gateway, "09121112233")
    wrong = verify(gateway, "09121112233", f"{(int(code) + 1) % 10**6:06d}", registration)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_code"
    assert code not in wrong.text
    ok = verify(gateway, "۰۹۱۲۱۱۱۲۲۳۳", code, registration)
    assert ok.status_code == 200 and ok.json()["status"] == "verified"
    again = verify(gateway, "09121112233", code, registration)
    assert again.status_code == 400  # single use


def test_resend_too_soon_answers_429_with_retry_after(gateway: str) -> None:
    post(f"{gateway}/identity/registrations", {"mobile": "09121112244", "password": "Str0ng!pass"})
    answer = post(f"{gateway}/identity/verification-codes", {"mobile": "09121112244", "purpose": "signup"})
    assert answer.status_code == 429 and answer.json()["error"] == "resend_too_soon"
    assert 1 <= answer.json()["retry_after"] <= 61
    assert answer.headers["Retry-After"] == str(answer.json()["retry_after"])
    assert post(f"{gateway}/ops/clock", {"advance": "PT2M"}).status_code == 202
    wait_until(lambda: post(f"{gateway}/identity/verification-codes",
                            {"mobile": "09121112244", "purpose": "signup"}).status_code == 202,
               what="the re-send after the clock moved")
    sms_code(gateway, "09121112244", count=2)


def test_forgotten_password_is_reset_with_an_sms_code(gateway: str) -> None:
    registration = register(gateway, "09121112255")
    verify(gateway, "09121112255", sms_code(gateway, "09121112255"), registration)
    offset = requests.get(f"{gateway}/health", timeout=10).json()["services"]["identity"]["clock_offset_seconds"]
    post(f"{gateway}/ops/clock", {"advance": "PT2M"})
    # A reset answers 202 whether or not a code may go yet (no number is told apart): ask once
    # identity has taken the moved clock, past the minute since the sign-up code.
    wait_until(lambda: requests.get(f"{gateway}/health", timeout=10).json()["services"]["identity"][
        "clock_offset_seconds"] >= offset + 120, what="identity to take the moved clock")
    assert post(f"{gateway}/identity/password-resets", {"mobile": "09121112255"}).status_code == 202
    code = sms_code(gateway, "09121112255", count=2)
    weak = post(f"{gateway}/identity/password-resets/confirm",
                {"mobile": "09121112255", "code": code, "new_password": "پسورد۱۲۳"})
    assert weak.status_code == 422 and [h["hint"] for h in weak.json()["hints"]] == ["persian_keyboard"]
    done = post(f"{gateway}/identity/password-resets/confirm",
                {"mobile": "09121112255", "code": code, "new_password": "N3w!password"})
    assert done.status_code == 200 and done.json()["status"] == "password_changed"


def test_log_in_refresh_and_log_out_through_the_gateway(gateway: str) -> None:
    registration = register(gateway, "09121112266")
    early = post(f"{gateway}/identity/sessions", {"mobile": "09121112266", "password": "Str0ng!pass"})
    assert early.status_code == 403 and early.json()["error"] == "mobile_not_verified"
    verify(gateway, "09121112266", sms_code(gateway, "09121112266"), registration)
    wrong = post(f"{gateway}/identity/sessions", {"mobile": "09121112266", "password": "Wr0ng!pass"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_credentials"
    tokens = post(f"{gateway}/identity/sessions", {"mobile": "09121112266", "password": "Str0ng!pass"}).json()
    assert tokens["token_type"] == "Bearer" and tokens["access_token"].count(".") == 2
    renewed = post(f"{gateway}/identity/sessions/refresh", {"refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200
    out = requests.delete(f"{gateway}/identity/sessions", json={"refresh_token": renewed.json()["refresh_token"]},
                          timeout=10)
    assert out.status_code == 200
    gone = post(f"{gateway}/identity/sessions/refresh", {"refresh_token": renewed.json()["refresh_token"]})
    assert gone.status_code == 401


def test_the_personal_page_shows_the_businesses_tenancy_announced(gateway: str, platform: Platform) -> None:
    import uuid

    from shared.events.base import Envelope
    from shared.events.tenancy import MemberAddedV1

    assert requests.get(f"{gateway}/me", timeout=10).status_code == 401
    registration = register(gateway, "09121112277")
    verify(gateway, "09121112277", sms_code(gateway, "09121112277"), registration)
    tokens = post(f"{gateway}/identity/sessions", {"mobile": "09121112277", "password": "Str0ng!pass"}).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = requests.get(f"{gateway}/me", headers=bearer, timeout=10).json()
    assert me["user"]["mobile"] == "+989121112277" and me["businesses"] == []

    added = MemberAddedV1(tenant_id=uuid.uuid4(), business_name="شرکت نمونه", user_id=tokens["user_id"],
                          mobile="+989121112277", role="member", permissions=("sales.invoices.write",),
                          added_by_user_id=uuid.uuid4())
    envelope = Envelope(event_id=uuid.uuid4(), type=added.type, version=1, occurred_at="2026-11-28T10:00:00Z",
                        producer="tenancy", producer_position=1, correlation_id="me-test",
                        payload=added.model_dump(mode="json"))
    with confirmed_publisher(platform.settings) as publish:
        publish(envelope.to_wire(), envelope.routing_key)
    businesses = wait_until(lambda: requests.get(f"{gateway}/me", headers=bearer, timeout=10).json()["businesses"],
                            what="the membership on /me")
    assert businesses[0]["business_name"] == "شرکت نمونه" and businesses[0]["role"] == "member"
    assert businesses[0]["permissions"] == ["sales.invoices.write"]


def test_guessing_is_bounded_and_a_code_expires_after_seven_days(gateway: str) -> None:
    registration = register(gateway, "09121112288")
    code = sms_code(gateway, "09121112288")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = [verify(gateway, "09121112288", wrong, registration).json()["error"] for _ in range(6)]
    assert answers == ["invalid_code"] * 4 + ["too_many_attempts"] * 2

    registration = register(gateway, "09121112299")
    code = sms_code(gateway, "09121112299")
    assert post(f"{gateway}/ops/clock", {"advance": "P7DT1M"}).status_code == 202
    # Verifying before identity has taken the ClockAdvanced would use the code up: wait for it.
    wait_until(lambda: requests.get(f"{gateway}/health", timeout=10).json()["services"]["identity"]
               ["clock_offset_seconds"] >= 7 * 86400 + 60, what="identity to move its clock")
    expired = verify(gateway, "09121112299", code, registration)
    assert expired.status_code == 410 and expired.json()["error"] == "code_expired"
