"""Access tokens: EdDSA JWTs issued by identity and verified with the public key alone; anything
expired, forged, altered, unsigned or meant for someone else is an InvalidToken."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import eventlet.patcher
import jwt
import pytest

from shared.kernel.config import Settings
from shared.kernel.tokens import (
    AUDIENCE,
    ISSUER,
    InvalidToken,
    development_signing_keys,
    issue_access_token,
    signing_keys,
    verify_access_token,
)

# A moment in the past, so PyJWT's own wall-clock checks never interfere with the `now` passed in.
ISSUED = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("JWT_PRIVATE_KEY", raising=False)


@pytest.fixture
def keys(tmp_path: Path) -> tuple[str, str]:
    return development_signing_keys(tmp_path / "keys")


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**changes: object) -> dict[str, object]:
    claims: dict[str, object] = {
        "sub": "user-1", "roles": ["customer"], "iss": ISSUER, "aud": AUDIENCE,
        "iat": int(ISSUED.timestamp()), "exp": int((ISSUED + timedelta(minutes=15)).timestamp())}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_round_trip(keys: tuple[str, str]) -> None:
    private, public = keys
    token = issue_access_token(private, "user-1", ["customer", "admin"], ISSUED)
    claims = verify_access_token(public, token, ISSUED + timedelta(minutes=1))
    assert claims["sub"] == "user-1"
    assert claims["roles"] == ["customer", "admin"]
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE
    assert claims["iat"] == int(ISSUED.timestamp())
    assert claims["exp"] == int((ISSUED + timedelta(minutes=15)).timestamp())
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"


def test_round_trip_at_the_current_time(keys: tuple[str, str]) -> None:
    private, public = keys
    now = datetime.now(UTC)
    token = issue_access_token(private, "user-1", [], now)
    assert verify_access_token(public, token, now)["sub"] == "user-1"


def test_expiry_follows_the_now_passed(keys: tuple[str, str]) -> None:
    private, public = keys
    token = issue_access_token(private, "user-1", [], ISSUED, ttl=timedelta(minutes=15))
    assert verify_access_token(public, token, ISSUED + timedelta(minutes=14, seconds=59))["sub"] == "user-1"
    with pytest.raises(InvalidToken):
        verify_access_token(public, token, ISSUED + timedelta(minutes=15))
    with pytest.raises(InvalidToken):
        verify_access_token(public, token, ISSUED + timedelta(days=90))


def test_custom_ttl(keys: tuple[str, str]) -> None:
    private, public = keys
    token = issue_access_token(private, "user-1", [], ISSUED, ttl=timedelta(hours=2))
    assert verify_access_token(public, token, ISSUED + timedelta(hours=1, minutes=59))
    with pytest.raises(InvalidToken):
        verify_access_token(public, token, ISSUED + timedelta(hours=2, seconds=1))


def test_token_signed_by_another_key_is_refused(keys: tuple[str, str], tmp_path: Path) -> None:
    _, public = keys
    other_private, other_public = development_signing_keys(tmp_path / "other")
    assert other_public != public
    forged = issue_access_token(other_private, "user-1", ["admin"], ISSUED)
    with pytest.raises(InvalidToken):
        verify_access_token(public, forged, ISSUED)


@pytest.mark.parametrize("change", [{"sub": "user-2"}, {"roles": ["customer", "admin"]},
                                    {"exp": int((ISSUED + timedelta(days=365)).timestamp())}],
                         ids=["sub", "roles", "exp"])
def test_tampered_payload_is_refused(keys: tuple[str, str], change: dict[str, object]) -> None:
    private, public = keys
    header, payload, signature = issue_access_token(private, "user-1", ["customer"], ISSUED).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(change)
    tampered = f"{header}.{_b64(claims)}.{signature}"
    with pytest.raises(InvalidToken):
        verify_access_token(public, tampered, ISSUED)


def test_tampered_signature_is_refused(keys: tuple[str, str]) -> None:
    private, public = keys
    header, payload, signature = issue_access_token(private, "user-1", [], ISSUED).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    changed = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        verify_access_token(public, f"{header}.{payload}.{changed}", ISSUED)


def test_alg_none_is_refused(keys: tuple[str, str]) -> None:
    _, public = keys
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(roles=['admin']))}."
    with pytest.raises(InvalidToken):
        verify_access_token(public, unsigned, ISSUED)


def test_alg_none_header_on_a_real_token_is_refused(keys: tuple[str, str]) -> None:
    private, public = keys
    _, payload, _ = issue_access_token(private, "user-1", [], ISSUED).split(".")
    with pytest.raises(InvalidToken):
        verify_access_token(public, f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.", ISSUED)


def test_hmac_with_the_public_key_is_refused(keys: tuple[str, str]) -> None:
    # The classic algorithm-confusion forgery: HS256 "signed" with the published public key.
    _, public = keys
    header = _b64({"alg": "HS256", "typ": "JWT"})
    body = _b64(_claims(roles=["admin"]))
    mac = hmac.new(public.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        verify_access_token(public, f"{header}.{body}.{signature}", ISSUED)


@pytest.mark.parametrize(
    "claims",
    [_claims(aud="other"), _claims(aud=None), _claims(iss="somebody-else"), _claims(iss=None),
     _claims(exp=None), _claims(sub=None), _claims(iat=None)],
    ids=["wrong-audience", "no-audience", "wrong-issuer", "no-issuer", "no-exp", "no-sub", "no-iat"],
)
def test_wrong_or_missing_claims_are_refused(keys: tuple[str, str], claims: dict[str, object]) -> None:
    private, public = keys
    token = jwt.encode(claims, private, algorithm="EdDSA")
    with pytest.raises(InvalidToken):
        verify_access_token(public, token, ISSUED)


def test_the_same_claims_signed_properly_are_accepted(keys: tuple[str, str]) -> None:
    # The control for the test above: only the changed claim made the difference.
    private, public = keys
    assert verify_access_token(public, jwt.encode(_claims(), private, algorithm="EdDSA"), ISSUED)["sub"] == "user-1"


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c", "....", "Bearer x.y.z"])
def test_garbage_is_refused(keys: tuple[str, str], garbage: str) -> None:
    with pytest.raises(InvalidToken):
        verify_access_token(keys[1], garbage, ISSUED)


def test_development_signing_keys_are_stable(tmp_path: Path) -> None:
    first = development_signing_keys(tmp_path / "keys")
    assert development_signing_keys(tmp_path / "keys") == first
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["jwt-ed25519.pem"]
    assert "PRIVATE KEY" in first[0] and "PUBLIC KEY" in first[1]


def test_round_trip_with_the_platform_clock_moved_forward(keys: tuple[str, str]) -> None:
    private, public = keys
    advanced = datetime.now(UTC) + timedelta(days=30)  # PlatformClock after a ClockAdvanced of 30 days
    token = issue_access_token(private, "user-1", ["customer"], advanced)
    assert verify_access_token(public, token, advanced + timedelta(minutes=1))["sub"] == "user-1"


def test_concurrent_os_threads_get_the_same_signing_key(tmp_path: Path) -> None:
    real_threading = eventlet.patcher.original("threading")
    for attempt in range(30):
        directory = tmp_path / f"attempt{attempt}"
        barrier = real_threading.Barrier(8)
        results: list[tuple[str, str]] = []
        errors: list[BaseException] = []

        def work(directory: Path = directory, barrier: object = barrier,
                 results: list[tuple[str, str]] = results, errors: list[BaseException] = errors) -> None:
            barrier.wait()  # type: ignore[attr-defined]
            try:
                results.append(development_signing_keys(directory))
            except BaseException as exc:
                errors.append(exc)

        threads = [real_threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(set(results)) == 1
        assert development_signing_keys(directory) == results[0]


def test_production_keys_come_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private, public = development_signing_keys(tmp_path / "secret")
    monkeypatch.setenv("JWT_PRIVATE_KEY", private)
    monkeypatch.setenv("JWT_PUBLIC_KEY", public)
    assert signing_keys(Settings(service="identity", var_dir=tmp_path / "var")) == (private, public)
    assert not (tmp_path / "var").exists()  # no development pair is made beside them
