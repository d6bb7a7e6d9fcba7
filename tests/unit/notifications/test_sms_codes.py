"""Kavenegar's codes as the client reads them (docs/providers-kavenegar.md): which refusals
are final, which mean "later", which raise the credit alarm; which delivery statuses settle a
message and why; and the numeric localid derived from our message id."""

from __future__ import annotations

import uuid

import pytest

from services.notifications.delivery import ProviderOutOfCredit, ProviderRejected, ProviderUnavailable
from services.notifications.kavenegar_codes import (
    PERMANENT_STATUSES,
    TEMPORARY_STATUSES,
    failure_for,
    local_id_of,
    report_for,
)

# The documented return.status table (docs/providers-research.md 2.2), less 200.
DOCUMENTED = {400, 401, 402, 403, 404, 405, 406, 407, 409, 411, 412, 413, 414, 415, 416, 417, 418, 419, 420, 422,
              424, 426, 427, 428, 429, 431, 432, 451, 501}
TEMPORARY = {402, 409, 451}
PERMANENT = {400, 401, 403, 404, 405, 406, 407, 411, 412, 413, 414, 415, 416, 417, 419, 420, 422, 424, 426, 427, 428,
             429, 431, 432, 501}


def test_every_documented_refusal_has_exactly_one_meaning() -> None:
    assert PERMANENT_STATUSES == PERMANENT
    assert TEMPORARY_STATUSES == TEMPORARY
    assert PERMANENT_STATUSES | TEMPORARY_STATUSES | {418} == DOCUMENTED
    assert not PERMANENT_STATUSES & TEMPORARY_STATUSES


@pytest.mark.parametrize("status", sorted(PERMANENT))
def test_a_permanent_refusal_is_never_retried(status: int) -> None:
    failure = failure_for(status, "refused")
    assert isinstance(failure, ProviderRejected) and f"status {status}" in str(failure)


@pytest.mark.parametrize("status", [402, 409, 451, 500, 502, 503, 504, 599, 499])
def test_try_later_an_outage_and_an_unknown_code_are_retried(status: int) -> None:
    failure = failure_for(status, "later")
    assert type(failure) is ProviderUnavailable


def test_no_credit_is_retried_and_says_so() -> None:
    failure = failure_for(418, "اعتبار حساب شما کافی نیست")
    assert isinstance(failure, ProviderOutOfCredit) and isinstance(failure, ProviderUnavailable)
    assert "credit" in str(failure) and "418" in str(failure)


def test_delivered_settles_the_message_as_delivered() -> None:
    report = report_for(10)
    assert report.final and report.delivered and report.reason is None


@pytest.mark.parametrize(("status", "words"), [
    (11, "undelivered: phone off or out of reach"), (6, "failed"), (13, "cancelled"), (14, "blocked"),
    (100, "unknown to the provider"),
])
def test_a_final_failure_carries_a_reason_support_can_read(status: int, words: str) -> None:
    report = report_for(status)
    assert report.final and not report.delivered
    assert report.reason is not None and words in report.reason and f"(status {status})" in report.reason


@pytest.mark.parametrize("status", [1, 2, 4, 5, 50, 7])
def test_on_its_way_or_unknown_keeps_waiting(status: int) -> None:
    assert not report_for(status).final


def test_the_local_id_is_a_stable_positive_int64() -> None:
    message_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "event:sms"))
    local_id = local_id_of(message_id)
    assert local_id == local_id_of(message_id)  # a retry after a crash asks with the same localid
    assert 0 < local_id < 2**63 and str(local_id).isdigit()


def test_local_ids_of_different_messages_differ() -> None:
    ids = {local_id_of(str(uuid.uuid4())) for _ in range(20_000)}
    assert len(ids) == 20_000
    assert max(ids).bit_length() > 60  # the high bits are used: the whole range, not a UUID's fixed bits
