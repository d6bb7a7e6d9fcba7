"""What provisioning needs from outside it, as it uses them: the business's books and the
backup vault (shared/tenant_books.py in production, in-memory fakes in the unit tests), and
the fault hook the fault tests stop a process with."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

# Told each step's name once it is saved; None in production (service.py builds it for the fault tests).
StepHook = Callable[[str], None]


class Books(Protocol):
    def exists(self, tenant_id: uuid.UUID) -> bool: ...

    def open(self, tenant_id: uuid.UUID, *, create: bool = False) -> AbstractContextManager[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        ...

    def snapshot(self, tenant_id: uuid.UUID) -> bytes: ...


class BackupVault(Protocol):
    def write(self, tenant_id: uuid.UUID, backup_id: uuid.UUID, snapshot: bytes) -> tuple[int, str]:
        """Sealed and stored (the first writer of a backup id wins); (size in bytes, sha256 hex)."""
        ...

    def location(self, tenant_id: uuid.UUID, backup_id: uuid.UUID) -> str: ...
