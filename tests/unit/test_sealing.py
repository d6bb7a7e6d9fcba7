"""Sealed values (verification codes in events): only the recipient's private key opens them,
and any change to a token is detected."""

from __future__ import annotations

import base64
from pathlib import Path

import eventlet.patcher
import pytest
from cryptography.exceptions import InvalidTag
from eventlet.green import threading as green_threading

from shared.kernel.config import Settings
from shared.kernel.sealing import development_keypair, seal, sealing_keypair, unseal

# Opening a token that is not genuine fails in cryptography: a wrong tag, or an invalid point.
REFUSED = (InvalidTag, ValueError)


@pytest.fixture(autouse=True)
def _no_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEALING_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("SEALING_PRIVATE_KEY", raising=False)


@pytest.fixture
def keys(tmp_path: Path) -> tuple[str, str]:
    return development_keypair(tmp_path / "keys")


@pytest.mark.parametrize("text", ["123456", "Verification code: 042913", "کد تأیید شما: ۱۲۳۴۵۶",
                                  "", "x" * 10_000, "🙂\u200c\x00"], ids=["code", "ascii", "persian", "empty",
                                                                         "long", "odd"])
def test_round_trip(keys: tuple[str, str], text: str) -> None:
    private, public = keys
    token = seal(public, text)
    assert unseal(private, token) == text


def test_the_token_does_not_show_the_text(keys: tuple[str, str]) -> None:
    _, public = keys
    token = seal(public, "042913")
    assert "042913" not in token
    assert b"042913" not in base64.b64decode(token)


def test_two_seals_of_one_text_differ(keys: tuple[str, str]) -> None:
    private, public = keys
    first, second = seal(public, "123456"), seal(public, "123456")
    assert first != second
    raw_first, raw_second = base64.b64decode(first), base64.b64decode(second)
    assert raw_first[:32] != raw_second[:32]  # a fresh ephemeral key each time
    assert raw_first[32:44] != raw_second[32:44]  # and a fresh nonce
    assert unseal(private, first) == unseal(private, second) == "123456"


def test_another_private_key_cannot_open_a_token(keys: tuple[str, str], tmp_path: Path) -> None:
    _, public = keys
    other_private, other_public = development_keypair(tmp_path / "other")
    assert other_public != public
    token = seal(public, "123456")
    with pytest.raises(REFUSED):
        unseal(other_private, token)


def _flip(token: str, index: int, mask: int) -> str:
    raw = bytearray(base64.b64decode(token))
    raw[index] ^= mask
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("mask", [0x01, 0x80], ids=["low-bit", "high-bit"])
def test_tampering_with_any_byte_is_detected(keys: tuple[str, str], mask: int) -> None:
    private, public = keys
    token = seal(public, "کد ۱۲۳۴۵۶")
    size = len(base64.b64decode(token))
    assert size == 32 + 12 + len("کد ۱۲۳۴۵۶".encode()) + 16
    for index in range(size):  # ephemeral key, nonce, ciphertext and tag alike
        with pytest.raises(REFUSED):
            unseal(private, _flip(token, index, mask))


def test_truncated_or_extended_tokens_are_refused(keys: tuple[str, str]) -> None:
    private, public = keys
    raw = base64.b64decode(seal(public, "123456"))
    for broken in (raw[:-1], raw[:44], raw + b"\x00", raw[1:]):
        with pytest.raises(REFUSED):
            unseal(private, base64.b64encode(broken).decode())


def test_development_keypair_is_stable_and_makes_one_file(tmp_path: Path) -> None:
    directory = tmp_path / "var" / "keys"
    first = development_keypair(directory)
    second = development_keypair(directory)
    assert first == second
    assert sorted(p.name for p in directory.iterdir()) == ["sealing.key"]
    private, public = first
    assert len(base64.b64decode(private)) == 32
    assert len(base64.b64decode(public)) == 32
    assert unseal(private, seal(public, "ok")) == "ok"


def test_development_keypairs_differ_between_directories(tmp_path: Path) -> None:
    assert development_keypair(tmp_path / "a") != development_keypair(tmp_path / "b")


def test_environment_keys_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private, public = development_keypair(tmp_path / "made")
    monkeypatch.setenv("SEALING_PUBLIC_KEY", public)
    monkeypatch.setenv("SEALING_PRIVATE_KEY", private)
    assert sealing_keypair(Settings(service="identity", var_dir=tmp_path / "unused")) == (private, public)
    assert not (tmp_path / "unused").exists()


def test_without_them_the_development_pair_is_made_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEALING_PUBLIC_KEY", raising=False)
    settings = Settings(service="identity", var_dir=tmp_path / "var")
    assert sealing_keypair(settings) == development_keypair(tmp_path / "var" / "keys")


def _concurrent_keypairs(threading_module: object, directory: Path, count: int) -> tuple[list[tuple[str, str]],
                                                                                         list[BaseException]]:
    barrier = threading_module.Barrier(count)  # type: ignore[attr-defined]
    results: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            results.append(development_keypair(directory))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading_module.Thread(target=work) for _ in range(count)]  # type: ignore[attr-defined]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def _assert_concurrent_callers_agree(threading_module: object, tmp_path: Path) -> None:
    for attempt in range(30):
        directory = tmp_path / f"attempt{attempt}"
        results, errors = _concurrent_keypairs(threading_module, directory, 8)
        assert errors == []
        assert len(results) == 8
        assert len(set(results)) == 1, "concurrent callers were handed different keys"
        private, public = results[0]
        # …and the key file holds that same key afterwards.
        assert development_keypair(directory) == (private, public)
        assert sorted(p.name for p in directory.iterdir()) == ["sealing.key"]


def test_concurrent_green_threads_get_the_same_key(tmp_path: Path) -> None:
    # The services run on eventlet green threads (nameko).
    _assert_concurrent_callers_agree(green_threading, tmp_path)


def test_concurrent_os_threads_get_the_same_key(tmp_path: Path) -> None:
    _assert_concurrent_callers_agree(eventlet.patcher.original("threading"), tmp_path)
