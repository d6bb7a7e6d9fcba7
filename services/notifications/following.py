"""Following sent messages until the provider reports on them: accepted is not delivered.
A sent message goes into a small index (pending.py) as it is recorded; `follow` (the
service's timer) asks the provider about every message there until its report is final
(MessageDelivered or MessageFailed with the reason), giving up after `give_up_after` by the
platform clock."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from services.notifications.delivery import DeliveryReport, ProviderRejected, ProviderUnavailable, SmsSender
from services.notifications.domain import Recipient
from services.notifications.pending import SHARDS, Awaited, PendingDeliveries, shard_of
from services.notifications.records import Records
from shared.kernel.conflicts import first_then_fresh
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause, ServiceApplication

# Sent this long ago without a delivery report: the ID-2 promise is broken (a gauge for operators).
UNDELIVERED_AFTER = timedelta(minutes=5)
# A delivery report still missing this long after sending will not come (the provider keeps
# statuses for a day or so; operators' reports for less): the message is recorded as failed.
DEFAULT_GIVE_UP_AFTER = timedelta(hours=24)


class DeliveryFollowing:
    def __init__(self, store: ServiceApplication, records: Records, sms: SmsSender,
                 give_up_after: timedelta = DEFAULT_GIVE_UP_AFTER) -> None:
        self.store = store
        self.records = records
        self.sms = sms
        self.give_up_after = give_up_after

    @contextlib.contextmanager
    def watching(self, awaiting: list[Awaited]) -> Iterator[list[PendingDeliveries]]:
        """The index's shards with the sent messages added, for the caller to save in the same
        transaction as their Recipients: a message is followed exactly when its sending is
        recorded. Each shard is held in this process from its read to that save, so no two saves
        of one shard meet in a group commit (the conflict would split the batch). Another
        replica's save of a shard meanwhile makes the handler's save conflict and the inbox
        deliver the event again: the provider refuses a second send of the same localid."""
        by_shard: dict[int, list[Awaited]] = {}
        for each in awaiting:
            by_shard.setdefault(shard_of(each.message_id), []).append(each)
        with self.records.shards_held(by_shard):
            shards = []
            for shard, entries in sorted(by_shard.items()):
                pending = self.records.pending(shard)
                for each in entries:
                    pending.watch(each)
                shards.append(pending)
            yield shards

    def follow(self) -> int:
        """Ask the provider about every message still waiting for its delivery report and record
        each final one; give up on those waiting longer than `give_up_after`. Returns how many
        outcomes this call recorded. Safe to run in every replica at once: the Recipient records
        one outcome per message, whoever asks."""
        now = self.store.clock.now()
        awaited = [each for shard in range(SHARDS) for each in self.records.pending(shard).awaited()]
        if not awaited:
            return 0
        try:
            reports = self.sms.delivery_reports(each.provider_message_id for each in awaited)
        except (ProviderUnavailable, ProviderRejected) as trouble:
            # No answer is no report: nobody is given up on for our provider's silence.
            log = get_logger().error if isinstance(trouble, ProviderRejected) else get_logger().warning
            log("notifications.sms_status_unavailable", awaited=len(awaited), reason=str(trouble))
            return 0
        settled = 0
        for each in awaited:
            report = reports.get(each.provider_message_id, DeliveryReport.pending())
            if report.final or now - each.sent_at >= self.give_up_after:  # else nothing can change yet
                settled += self._follow_up(each, report, now)
        return settled

    def undelivered(self) -> int:
        """Messages sent UNDELIVERED_AFTER ago or more and still without a delivery report."""
        now = self.store.clock.now()
        return sum(1 for shard in range(SHARDS) for each in self.records.pending(shard).awaited()
                   if now - each.sent_at >= UNDELIVERED_AFTER)

    def _follow_up(self, awaited: Awaited, report: DeliveryReport, now: datetime) -> int:
        cause = Cause(correlation_id=awaited.correlation_id or f"sms-report:{awaited.message_id}",
                      causation_id=awaited.causation_id)

        known = self.records.existing(awaited.recipient_id)
        current = first_then_fresh(known, lambda: self.records.existing(awaited.recipient_id))

        def attempt() -> int:
            pending = self.records.pending(shard_of(awaited.message_id))
            recipient = current()
            message = recipient.message(awaited.message_id) if recipient is not None else None
            if recipient is None or message is None:
                # Its sending was never recorded (the handler failed for good, or is still at
                # work): nothing to settle; the entry goes once it is older than any report.
                done, outcome = now - awaited.sent_at >= self.give_up_after, False
            else:
                waiting = message.status == "sent"
                done = recipient.follow_up(awaited.message_id, report, now, self.give_up_after)
                outcome = done and waiting  # False when another replica recorded it first
            if done:
                pending.settle(awaited.message_id)
            self.store.save_caused(recipient, pending, cause=cause)
            if outcome and recipient is not None:
                _log_outcome(recipient, awaited.message_id)
            return int(outcome)

        # The number's lock, as its handlers take it: a report saved meanwhile would make a
        # handler's save conflict, and its redelivery ask the provider again. Then the shard's,
        # as a send's watch takes it: two saves of one shard never meet in a group commit, where
        # the conflict would split the batch and send every save in it alone.
        with self.records.numbers_held([known.mobile.reveal()] if known is not None else []), \
                self.records.shards_held([shard_of(awaited.message_id)]):
            return self.records.retrying(attempt)


def _log_outcome(recipient: Recipient, message_id: uuid.UUID) -> None:
    message = recipient.message(message_id)
    if message is not None and message.status == "failed":
        get_logger().warning("notifications.sms_not_delivered", message_id=str(message_id),
                             template=message.template, reason=message.failure)
