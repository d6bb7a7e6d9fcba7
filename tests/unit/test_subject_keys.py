"""Crypto-shredding (AR-1): personal values are sealed under their subject's key; forgetting the
key makes them unreadable, and a sealed value cannot be moved to another subject."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from shared.kernel.subject_keys import Personal, PersonalTranscoding, SubjectKeys

MOBILE = "+989121234567"


@pytest.fixture
def keys(tmp_path: Path) -> SubjectKeys:
    return SubjectKeys(sqlite_path=tmp_path / "k.sqlite")


@pytest.fixture
def transcoding(keys: SubjectKeys) -> PersonalTranscoding:
    return PersonalTranscoding(keys)


def test_key_for_without_create_finds_nothing(keys: SubjectKeys) -> None:
    assert keys.key_for("user:1", create=False) is None
    assert keys.key_for("user:1", create=False) is None  # and asking did not create one


def test_key_for_with_create_makes_one_stable_key(keys: SubjectKeys) -> None:
    key = keys.key_for("user:1", create=True)
    assert isinstance(key, bytes) and len(key) == 32
    assert keys.key_for("user:1", create=True) == key
    assert keys.key_for("user:1", create=False) == key
    assert keys.key_for("user:2", create=True) != key


def test_keys_persist_in_the_database(tmp_path: Path) -> None:
    key = SubjectKeys(sqlite_path=tmp_path / "k.sqlite").key_for("user:1", create=True)
    reopened = SubjectKeys(sqlite_path=tmp_path / "k.sqlite")
    assert reopened.key_for("user:1", create=False) == key
    assert reopened.key_for("user:1", create=True) == key  # create never replaces an existing key


def test_forget_removes_the_key(keys: SubjectKeys, tmp_path: Path) -> None:
    keys.key_for("user:1", create=True)
    kept = keys.key_for("user:2", create=True)
    keys.forget("user:1")
    assert keys.key_for("user:1", create=False) is None
    assert SubjectKeys(sqlite_path=tmp_path / "k.sqlite").key_for("user:1", create=False) is None
    assert keys.key_for("user:2", create=False) == kept
    keys.forget("user:never-existed")  # forgetting an unknown subject is harmless


@pytest.mark.parametrize("value", [MOBILE, "علی رضایی", "", "x" * 5000])
def test_round_trip(transcoding: PersonalTranscoding, value: str) -> None:
    encoded = transcoding.encode(Personal("user:1", value))
    decoded = transcoding.decode(encoded)
    assert decoded == Personal("user:1", value)
    assert not decoded.forgotten
    assert decoded.reveal() == value


def test_round_trip_through_json(transcoding: PersonalTranscoding) -> None:
    encoded = json.loads(json.dumps(transcoding.encode(Personal("user:1", MOBILE))))
    assert transcoding.decode(encoded).reveal() == MOBILE


def test_encoded_form_does_not_contain_the_plaintext(transcoding: PersonalTranscoding) -> None:
    encoded = transcoding.encode(Personal("user:1", MOBILE))
    assert set(encoded) == {"s", "c", "k"}
    assert encoded["s"] == "user:1"
    as_text = json.dumps(encoded, ensure_ascii=False)
    for fragment in (MOBILE, "9121234567", "1234567"):
        assert fragment not in as_text
        assert fragment.encode() not in base64.b64decode(encoded["c"])


def test_two_encodings_of_one_value_differ(transcoding: PersonalTranscoding) -> None:
    first = transcoding.encode(Personal("user:1", MOBILE))
    second = transcoding.encode(Personal("user:1", MOBILE))
    assert first["c"] != second["c"]


def test_decode_after_forget_is_erased(keys: SubjectKeys, transcoding: PersonalTranscoding, tmp_path: Path) -> None:
    encoded = transcoding.encode(Personal("user:1", MOBILE))
    other = transcoding.encode(Personal("user:2", "+989351234567"))
    keys.forget("user:1")
    decoded = transcoding.decode(encoded)
    assert decoded == Personal("user:1", None)
    assert decoded.forgotten
    assert decoded.reveal() == "[erased]"
    assert transcoding.decode(other).reveal() == "+989351234567"
    # A fresh process reading the same key vault sees the same.
    fresh = PersonalTranscoding(SubjectKeys(sqlite_path=tmp_path / "k.sqlite"))
    assert fresh.decode(encoded).reveal() == "[erased]"


def test_a_forgotten_value_cannot_be_stored_again(transcoding: PersonalTranscoding) -> None:
    with pytest.raises(AssertionError):
        transcoding.encode(Personal("user:1", None))


def test_value_moved_to_another_subject_does_not_decrypt(transcoding: PersonalTranscoding) -> None:
    encoded = transcoding.encode(Personal("user:1", MOBILE))
    transcoding.encode(Personal("user:2", "anything"))  # user:2 has a key of its own
    assert transcoding.decode(dict(encoded, s="user:2")).forgotten  # another key sealed it
    user2_key = transcoding.encode(Personal("user:2", "x"))["k"]
    with pytest.raises(InvalidTag):  # the key id forged too: the subject, bound in, still refuses
        transcoding.decode(dict(encoded, s="user:2", k=user2_key))


def test_a_subject_back_with_a_new_key_opens_only_what_it_sealed(transcoding: PersonalTranscoding) -> None:
    old = transcoding.encode(Personal("business:1", "فروشگاه آفتاب"))
    transcoding.keys.forget("business:1")
    new = transcoding.encode(Personal("business:1", "فروشگاه آفتاب"))  # the business restored, say
    assert transcoding.decode(old).forgotten and transcoding.decode(new).value == "فروشگاه آفتاب"


def test_value_moved_to_a_subject_without_key_reveals_nothing(transcoding: PersonalTranscoding) -> None:
    encoded = transcoding.encode(Personal("user:1", MOBILE))
    decoded = transcoding.decode(dict(encoded, s="user:3"))
    assert decoded.forgotten
    assert decoded.reveal() == "[erased]"


def test_tampered_ciphertext_does_not_decrypt(transcoding: PersonalTranscoding) -> None:
    encoded = transcoding.encode(Personal("user:1", MOBILE))
    raw = bytearray(base64.b64decode(encoded["c"]))
    for index in range(len(raw)):
        changed = bytearray(raw)
        changed[index] ^= 0x01
        with pytest.raises(InvalidTag):
            transcoding.decode(dict(encoded, c=base64.b64encode(bytes(changed)).decode()))


def test_personal_value_object() -> None:
    assert Personal("business:1", "Acme").reveal() == "Acme"
    assert not Personal("business:1", "").forgotten
    assert Personal("business:1", "").reveal() == ""
    assert Personal("business:1", None).forgotten


def test_a_key_another_process_destroyed_is_dropped_from_this_ones_cache(tmp_path: Path) -> None:
    here = SubjectKeys(sqlite_path=tmp_path / "k.sqlite", recheck_seconds=3600)
    elsewhere = SubjectKeys(sqlite_path=tmp_path / "k.sqlite")
    told: list[str] = []
    here.on_forget.append(told.append)
    assert here.key_for("business:1", create=True) is not None and here.key_for("business:2", create=True)
    elsewhere.forget("business:1")
    here.catch_up()  # not due yet: at most one look every recheck_seconds
    assert told == []
    here.catch_up(now=True)
    assert told == ["business:1"] and here.key_for("business:1", create=False) is None
    assert here.key_for("business:2", create=False) is not None  # the others stay
    here.catch_up(now=True)
    assert told == ["business:1"]  # each tombstone is read once


def test_tombstones_from_before_a_process_started_are_not_replayed(tmp_path: Path) -> None:
    SubjectKeys(sqlite_path=tmp_path / "k.sqlite").forget("business:1")
    later = SubjectKeys(sqlite_path=tmp_path / "k.sqlite")
    told: list[str] = []
    later.on_forget.append(told.append)
    later.catch_up(now=True)
    assert told == []
