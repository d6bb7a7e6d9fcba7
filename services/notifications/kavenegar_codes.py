"""What Kavenegar's codes mean to us (docs/providers-kavenegar.md cites the sources).

Two tables: `return.status`, the answer to a call (send, lookup, status), and a message's
delivery status (`entries[].status` of sms/status.json). Pure: no HTTP here."""

from __future__ import annotations

import hashlib

from services.notifications.delivery import (
    DeliveryReport,
    ProviderOutOfCredit,
    ProviderRejected,
    ProviderUnavailable,
)

ACCEPTED = 200

# "Try later": 409 the server cannot answer now, 451 too many calls from this address. 402 is
# documented only as "operation failed", with no hint that it is final: we wait and retry.
TEMPORARY_STATUSES = frozenset({402, 409, 451})

NO_CREDIT = 418

# No retry changes these answers: bad parameters (400, 406, 411, 413, 414, 415, 417, 419, 422,
# 431), a bad key, sender, address or account (401, 403, 407, 412, 416, 429, 501), a method or
# template we may not use (404, 405, 424, 426, 427, 428, 432), links refused (420).
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 406, 407, 411, 412, 413, 414, 415, 416, 417, 419, 420,
                                422, 424, 426, 427, 428, 429, 431, 432, 501})


def failure_for(status: int, message: str) -> Exception:
    """The exception for a refused call. Anything outside the documented table (a 5xx from a
    proxy, a code added later) is taken as an outage: retried, then recorded as failed."""
    reason = f"provider status {status}: {message}"[:300]
    if status in PERMANENT_STATUSES:
        return ProviderRejected(reason)
    if status == NO_CREDIT:
        return ProviderOutOfCredit(f"no SMS credit left at the provider (status {status}): {message}"[:300])
    return ProviderUnavailable(reason)


# Delivery statuses (sms/status.json): 1 queued, 2 scheduled, 4 and 5 sent to the operator,
# all still on their way; the rest are final.
DELIVERED = 10
PENDING_DELIVERY = frozenset({1, 2, 4, 5})
UNDELIVERED_REASONS = {
    6: "failed: the operator's line refused the message (status 6)",
    11: "undelivered: phone off or out of reach (status 11)",
    13: "cancelled before delivery; the cost was refunded (status 13)",
    14: "blocked: the number refuses messages from advertising lines (status 14)",
    100: "unknown to the provider: no such message id (status 100)",
}


def report_for(delivery_status: int) -> DeliveryReport:
    if delivery_status == DELIVERED:
        return DeliveryReport.arrived()
    if delivery_status in UNDELIVERED_REASONS:
        return DeliveryReport.failed(UNDELIVERED_REASONS[delivery_status])
    # 1/2/4/5, and any code the table does not list: keep waiting (the wait has a deadline).
    return DeliveryReport.pending()


def local_id_of(message_id: str) -> int:
    """Kavenegar's `localid` for our message id. The official SDKs type it as a 64-bit integer
    (Go int64, .NET long), so a UUID string may be refused or ignored, and an ignored localid
    means a retry after a crash sends twice. A hash keeps all 63 bits of a positive int64
    random (a UUID's own bits include fixed version and variant bits)."""
    digest = hashlib.sha256(message_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1 or 1
