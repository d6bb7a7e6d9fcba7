"""Who applied for which educational licence, and which still wait for support (BI-4, issue #19):
a read model kept in memory and followed from billing's own event log, like the reconciler's
open payments. Built from the log, it holds every application ever submitted — also those
stored before support's list existed, which the list saved beside each application
(``PendingApplications``) only learnt of when they next changed."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.billing.records import Records

_TOPIC = ":EducationalApplication."


@dataclass
class Entry:
    applicant: uuid.UUID
    submitted_at: datetime
    decided: bool = False


class ApplicationsIndex:
    def __init__(self, records: Records) -> None:
        self.records = records
        self._entries: dict[uuid.UUID, Entry] = {}
        self._position = 0
        self._lock = threading.Lock()  # RPC workers read it at once; one follows the log at a time

    def _follow(self) -> None:
        with self._lock:
            for notification in self.records.log_after(self._position):
                if _TOPIC in notification.topic:
                    self._apply(self.records.store.mapper.to_domain_event(notification))
                self._position = notification.id

    def _apply(self, domain_event: Any) -> None:
        application_id = domain_event.originator_id
        kind = type(domain_event).__name__
        if kind == "Submitted":
            self._entries[application_id] = Entry(domain_event.applicant_user_id, domain_event.timestamp)
        elif kind in ("Approved", "Rejected") and application_id in self._entries:
            self._entries[application_id].decided = True

    def waiting(self) -> list[uuid.UUID]:
        """Applications support has not decided, oldest first."""
        self._follow()
        return sorted((key for key, entry in self._entries.items() if not entry.decided),
                      key=lambda key: (self._entries[key].submitted_at, str(key)))

    def of_applicant(self, applicant: uuid.UUID) -> list[uuid.UUID]:
        """One person's applications, newest first."""
        self._follow()
        return sorted((key for key, entry in self._entries.items() if entry.applicant == applicant),
                      key=lambda key: (self._entries[key].submitted_at, str(key)), reverse=True)
