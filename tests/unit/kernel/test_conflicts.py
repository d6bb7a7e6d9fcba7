"""The one conflict-retry loop (shared/kernel/conflicts.py): what counts as a conflict, how
long losers pause, and what the caller is told when the store keeps refusing."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from shared.kernel.conflicts import MAX_PAUSE_SECONDS, pause_before, retry_on_conflict
from shared.kernel.errors import DomainError
from shared.kernel.store import AlreadyHandled


class Refusals:
    """A change the store refuses ``times`` times (as SQLite or PostgreSQL would say it)."""

    def __init__(self, times: int, error: type[Exception] = IntegrityError) -> None:
        self.left, self.error, self.calls = times, error, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise self.error("version taken")
        return "saved"


def no_sleep(_seconds: float) -> None:
    pass


@pytest.mark.parametrize("error", [IntegrityError, OperationalError])
def test_a_conflict_is_tried_again_until_the_store_takes_it(error: type[Exception]) -> None:
    change = Refusals(3, error)
    assert retry_on_conflict(change, sleep=no_sleep) == "saved"
    assert change.calls == 4


def test_after_the_last_try_the_caller_is_told_busy() -> None:
    change = Refusals(100)
    with pytest.raises(DomainError) as caught:
        retry_on_conflict(change, tries=5, sleep=no_sleep)
    assert caught.value.code == "busy_try_again" and change.calls == 5


def test_a_consumer_can_let_the_last_conflict_reach_its_inbox() -> None:
    change = Refusals(100)
    with pytest.raises(IntegrityError):
        retry_on_conflict(change, tries=3, sleep=no_sleep, give_up=change)
    assert change.calls == 4


def test_a_duplicate_event_and_a_rule_are_not_conflicts() -> None:
    for error in (AlreadyHandled("event 1"), DomainError("business_not_found")):
        calls = []

        def change(error: Exception = error) -> None:
            calls.append(1)
            raise error

        with pytest.raises(type(error)):
            retry_on_conflict(change, sleep=no_sleep)
        assert len(calls) == 1


def test_losers_pause_a_random_time_that_grows_to_a_ceiling() -> None:
    pauses: list[float] = []
    retry_on_conflict(Refusals(20), tries=21, sleep=pauses.append)
    assert len(pauses) == 20 and all(0 <= p <= MAX_PAUSE_SECONDS for p in pauses)
    assert len(set(pauses)) > 1  # jitter: losers do not retry in lockstep
    first = [pause_before(1) for _ in range(200)]
    late = [pause_before(15) for _ in range(200)]
    assert max(first) <= 0.002 < max(late)
