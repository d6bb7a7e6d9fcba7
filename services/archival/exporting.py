"""Exports (AR-4, AR-2): asked for by a member of the business (or support), built in the
background from a consistent copy of the books, streamed to disk with progress recorded,
announced by ExportReady, and handed out in chunks to the gateway."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, OperationalError

from services.archival.books import read_only_copy, table_names
from services.archival.businesses import Businesses, Unit
from services.archival.domain import LIVE
from services.archival.export_files import MEDIA_TYPE, SUFFIX, count_rows, write_export
from services.archival.export_job import Export
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.kernel.logging import get_logger
from shared.kernel.store import Cause, ServiceApplication
from shared.tenant_books import TenantBooks

FORMATS = ("xlsx", "csv", "json")
EXPORT_KEPT = timedelta(days=7)  # a ready export stays downloadable this long (or until deletion)
CHUNK_BYTES = 512 * 1024
PROGRESS_STEPS = 10  # progress is recorded about every tenth of the rows


class Exporting:
    def __init__(self, store: ServiceApplication, businesses: Businesses, *, books: TenantBooks,
                 exports_dir: Path) -> None:
        self.store, self.businesses, self.books, self.exports_dir = store, businesses, books, exports_dir
        self.clock = store.clock

    def request(self, tenant_id: object, user_id: str, roles: list[str], fmt: object, cause: Cause) -> dict[str, Any]:
        if fmt not in FORMATS:
            raise DomainError("invalid_export_format", formats=list(FORMATS))
        tid, export_id = parse_id(tenant_id), uuid.uuid4()

        def mutate(unit: Unit) -> None:
            business = unit.business
            business.check_may_see(user_id, roles)
            if business.state not in LIVE or not self.books.exists(tid):
                raise DomainError("tenant_deleted" if business.state in ("purging", "purged") else "no_books")
            business.export_recorded(export_id)
            unit.agenda.export_queued(str(export_id), str(tid))
            unit.others.append(Export(export_id, tid, user_id, str(fmt), self.clock.now()))

        self.businesses.change(tid, mutate, cause)
        return {"export_id": str(export_id), "status": "queued"}

    def _export(self, export_id: object) -> Export:
        try:
            found: Export = self.store.repository.get(parse_id(export_id))
        except AggregateNotFoundError:
            raise DomainError("not_found") from None
        return found

    def build(self, export_id: uuid.UUID) -> None:
        """Build one export to the end; a second builder of the same export loses at save."""
        export = self._export(export_id)
        if export.settled():
            return
        log = get_logger(export_id=str(export_id))
        try:
            self._write_export(export)
        except FileNotFoundError:
            export.failed("no_books")
            self._settle_export(export)
        except (IntegrityError, OperationalError):
            log.info("archival.export_built_elsewhere")
        except Exception:
            log.exception("archival.export_failed")
            export.failed("internal_error")
            self._settle_export(export)

    def _write_export(self, export: Export) -> None:
        books = read_only_copy(self.books, export.tenant_id)
        try:
            tables = table_names(books)
            total = count_rows(books, tables)
            export.progressed(0, total)
            self.store.save_caused(export, cause=Cause(f"export:{export.id}"))
            step = max(1, total // PROGRESS_STEPS)

            def progress(done: int) -> None:
                if done % 200 == 0:
                    time.sleep(0)  # let other green threads run during a long export
                if done % step == 0 and done < total:
                    export.progressed(done, total)
                    self.store.save_caused(export, cause=Cause(f"export:{export.id}"))

            folder = self.exports_dir / str(export.tenant_id)
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{export.id}{SUFFIX[export.format]}"
            partial = folder / f".{uuid.uuid4()}.partial"
            about = {"tenant_id": str(export.tenant_id), "export_id": str(export.id),
                     "exported_at": self.clock.now().isoformat()}
            write_export(export.format, books, tables, partial, progress, about)
        finally:
            books.close()
        digest = hashlib.sha256()
        with open(partial, "rb") as written:
            for block in iter(lambda: written.read(1 << 20), b""):
                digest.update(block)
        partial.rename(target)
        business = self.businesses.get(export.tenant_id)
        now = self.clock.now()
        if business is None or business.state not in LIVE:  # the purge began meanwhile
            target.unlink(missing_ok=True)
            export.failed("tenant_deleted")
        else:
            until = now + EXPORT_KEPT
            if business.deletion_due_at is not None:
                until = min(until, business.deletion_due_at)  # nothing outlives the deletion (AR-1)
            export.completed(file_name=target.name, size_bytes=target.stat().st_size, sha256=digest.hexdigest(),
                             rows_total=total, available_until=until, tenant_id=export.tenant_id,
                             requested_by=export.requested_by, format=export.format)
        self._settle_export(export)

    def _settle_export(self, export: Export) -> None:
        with self.businesses.agenda_held(export.tenant_id):
            agenda = self.businesses.agenda(export.tenant_id)
            agenda.export_settled(str(export.id))
            self.store.save_caused(export, agenda, cause=Cause(f"export:{export.id}"))
        self.businesses.snapshot_agenda(agenda)

    def sweep_expired(self) -> int:
        """Delete the files of exports past their ``available_until``; returns how many."""
        now, swept = self.clock.now(), 0
        for path in self.exports_dir.glob("*/*") if self.exports_dir.exists() else ():
            try:
                export = self._export(path.stem)
            except DomainError:
                continue  # a partial file of a build in progress, or not an export
            if export.status == "ready" and export.available_until is not None and now >= export.available_until:
                path.unlink(missing_ok=True)
                export.deleted(now)
                with contextlib.suppress(IntegrityError, OperationalError):  # swept elsewhere meanwhile
                    self.store.save_caused(export, cause=Cause(f"export:{export.id}"))
                swept += 1
        return swept

    # -- handing it out ----------------------------------------------------------------------
    def status(self, export_id: object, user_id: str, roles: list[str]) -> dict[str, Any]:
        export = self._export(export_id)
        business = self.businesses.get(export.tenant_id)
        if business is None:
            raise DomainError("forbidden")
        business.check_may_see(user_id, roles)
        status = "expired" if export.status == "deleted" and business.state in LIVE else export.status
        if status == "ready" and business.state not in LIVE:
            status = "deleted"
        elif status == "ready" and export.available_until is not None and self.clock.now() >= export.available_until:
            status = "expired"
        answer: dict[str, Any] = {"export_id": str(export.id), "tenant_id": str(export.tenant_id),
                                  "format": export.format, "status": status, "rows_done": export.rows_done,
                                  "rows_total": export.rows_total}
        if status == "ready":
            answer |= {"file_name": f"export-{export.tenant_id}-{export.id}{SUFFIX[export.format]}",
                       "media_type": MEDIA_TYPE[export.format], "size_bytes": export.size_bytes,
                       "sha256": export.sha256, "available_until": export.available_until.isoformat()
                       if export.available_until else None}
        if status == "failed":
            answer["reason"] = export.failure
        return answer

    def chunk(self, export_id: object, user_id: str, roles: list[str], offset: int) -> dict[str, Any]:
        status = self.status(export_id, user_id, roles)
        if status["status"] != "ready":
            raise DomainError("export_not_ready", status=status["status"])
        export = self._export(export_id)
        assert export.file_name is not None
        with open(self.exports_dir / str(export.tenant_id) / export.file_name, "rb") as file:
            file.seek(max(0, int(offset)))
            data = file.read(CHUNK_BYTES)
        return {"data": base64.b64encode(data).decode(), "eof": int(offset) + len(data) >= export.size_bytes}
