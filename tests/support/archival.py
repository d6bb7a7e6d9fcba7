"""Test helpers for archival: the application in memory, other services' events delivered to
it, books and backups made as provisioning makes them."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from services.archival import policies
from services.archival.application import ArchivalApplication
from services.archival.backups import BackupFiles
from services.archival.translations import translate
from shared.events import billing, provisioning, tenancy
from shared.events.base import Envelope, IntegrationEvent
from shared.kernel.config import Settings
from shared.kernel.inbox import Inbound
from shared.kernel.store import Cause
from shared.tenant_books import TenantBooks
from tests.support.memory import in_memory

NAME = "فروشگاه آفتاب تهران"
ADMIN_MOBILE = "+989121234567"


def files_of(var_dir: Path) -> Settings:
    """Where the books, backups (and their key vault) and exports of an in-memory archival
    live: files under ``var_dir``, as a deployment keeps them beside the store."""
    return Settings(service="archival", var_dir=var_dir, event_store="sqlite", backup_keys_dsn="")


def memory_archival(var_dir: Path, **collaborators: Any) -> ArchivalApplication:
    """Archival on the in-memory store and key vault, its books, backups and exports under
    ``var_dir`` (seed them with ``files_of(var_dir)``)."""
    files = files_of(var_dir)
    return in_memory(ArchivalApplication, "archival", books=TenantBooks(files), backup_files=BackupFiles(files),
                     exports_dir=var_dir / "exports", **collaborators)


def to(app: ArchivalApplication, moment: datetime) -> None:
    """Move the application's clock to just after ``moment``."""
    later(app, moment - app.clock.now() + timedelta(seconds=1))


def of_type(app: ArchivalApplication, kind: type[IntegrationEvent]) -> list[Any]:
    return [e for e in published(app) if isinstance(e, kind)]


REQUEST = Cause("test")


def exported(app: ArchivalApplication, tenant: uuid.UUID, user: uuid.UUID, fmt: str,
             roles: list[str] | None = None) -> tuple[dict[str, Any], bytes]:
    """Ask for an export, build it as the background thread would, and fetch it chunk by chunk
    as the gateway does: (its status, its bytes)."""
    export_id = app.exports.request(tenant, str(user), roles or [], fmt, REQUEST)["export_id"]
    assert uuid.UUID(export_id) in app.clock_work.tick()  # unfinished exports are found again after a restart
    app.exports.build(uuid.UUID(export_id))
    status = app.exports.status(export_id, str(user), roles or [])
    content = b""
    while True:
        chunk = app.exports.chunk(export_id, str(user), roles or [], len(content))
        content += base64.b64decode(chunk["data"])
        if chunk["eof"]:
            return status, content


def envelope_of(event: IntegrationEvent, at: datetime, event_id: uuid.UUID | None = None) -> Envelope:
    tenant = getattr(event, event.tenant_field) if event.tenant_field else None
    return Envelope(event_id=event_id or uuid.uuid4(), type=event.type, version=event.version, occurred_at=at,
                    producer=event.producer, producer_position=1, correlation_id="test", tenant_id=tenant,
                    payload=event.model_dump(mode="json"))


def deliver(app: ArchivalApplication, event: IntegrationEvent, at: datetime,
            event_id: uuid.UUID | None = None) -> None:
    policies.handle(app, app, Inbound(envelope_of(event, at, event_id), event, attempt=1))


ACCOUNTS = [("1", None, "group", "دارایی‌های جاری", "Current assets", "debit"),
            ("101", "1", "ledger", "موجودی نقد و بانک", "Cash and banks", "debit"),
            ("10101", "101", "subsidiary", "صندوق ریالی", "Cash on hand (rials)", "debit"),
            ("10102", "101", "subsidiary", "صندوق ارزی", "Cash on hand (foreign currency)", "debit"),
            ("5", None, "group", "حقوق مالکانه", "Equity", "credit"),
            ("501", "5", "ledger", "سرمایه", "Capital", "credit"),
            ("50101", "501", "subsidiary", "سرمایهٔ ثبت‌شده", "Registered capital", "credit")]


def seed_books(settings: Settings, tenant_id: uuid.UUID, name: str = NAME, mobile: str = ADMIN_MOBILE) -> None:
    with TenantBooks(settings).open(tenant_id, create=True) as books:
        # A few accounts of the trading chart, in the columns provisioning seeds (services/provisioning/books.py).
        books.execute("CREATE TABLE accounts (code TEXT PRIMARY KEY, parent_code TEXT, level TEXT NOT NULL, "
                      "name_fa TEXT NOT NULL, name_en TEXT NOT NULL, nature TEXT NOT NULL, "
                      "contra INTEGER NOT NULL DEFAULT 0, chart_version TEXT NOT NULL)")
        books.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, 0, '1405.2')", ACCOUNTS)
        books.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)")
        books.execute("INSERT INTO settings VALUES ('business_name', ?)", (name,))
        books.execute("CREATE TABLE users (user_id TEXT, mobile TEXT, role TEXT)")
        books.execute("INSERT INTO users VALUES ('u1', ?, 'admin')", (mobile,))
        books.execute("CREATE TABLE invoices (number INTEGER, customer TEXT, amount_rials INTEGER, date TEXT)")
        books.executemany("INSERT INTO invoices VALUES (?, ?, ?, ?)",
                          [(i, f"مشتری {i}", 1_000_000 * i, "1405-01-01") for i in range(1, 251)])


def books_rows(settings: Settings, tenant_id: uuid.UUID) -> dict[str, list[tuple[Any, ...]]]:
    with TenantBooks(settings).open(tenant_id) as books:
        tables = [t for (t,) in books.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: books.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}


def backup_taken(settings: Settings, tenant_id: uuid.UUID, taken_at: datetime,
                 retained: timedelta = timedelta(days=183)) -> provisioning.BackupTakenV1:
    backup_id = uuid.uuid4()
    snapshot = TenantBooks(settings).snapshot(tenant_id)
    location, sha256, size = BackupFiles(settings).write(tenant_id, backup_id, snapshot)
    return provisioning.BackupTakenV1(backup_id=backup_id, tenant_id=tenant_id, kind="scheduled", taken_at=taken_at,
                                      size_bytes=size, sha256=sha256, location=location,
                                      retained_until=taken_at + retained)


def activated(tenant_id: uuid.UUID, admin: uuid.UUID, at: datetime) -> tenancy.BusinessActivatedV1:
    return tenancy.BusinessActivatedV1(
        tenant_id=tenant_id, business_name=NAME, business_type="trading", admin_user_id=admin,
        products=("accounting",), activated_by="payment", source_id=uuid.uuid4(), subscription_starts_at=at,
        subscription_ends_at=at + timedelta(days=365), max_organizations=3, max_concurrent_users=10)


def lapsed(tenant_id: uuid.UUID, admin: uuid.UUID, at: datetime) -> tenancy.TenantLapsedV1:
    return tenancy.TenantLapsedV1(tenant_id=tenant_id, business_name=NAME, admin_user_id=admin, lapsed_at=at)


def reactivated(tenant_id: uuid.UUID, admin: uuid.UUID, lapsed_at: datetime, at: datetime
                ) -> tenancy.TenantReactivatedV1:
    return tenancy.TenantReactivatedV1(tenant_id=tenant_id, business_name=NAME, admin_user_id=admin,
                                       payment_id=uuid.uuid4(), lapsed_at=lapsed_at, reactivated_at=at,
                                       subscription_ends_at=at + timedelta(days=365))


def restore_paid(tenant_id: uuid.UUID, order_id: uuid.UUID, payer: uuid.UUID, at: datetime,
                 amount: int = 50_000_000) -> billing.PaymentSucceededV1:
    return billing.PaymentSucceededV1(
        payment_id=uuid.uuid4(), order_id=order_id, invoice_id=uuid.uuid4(), tenant_id=tenant_id,
        payer_user_id=payer, kind="restore", business_name=NAME, business_type="trading", products=(),
        period_start=at, period_end=at + timedelta(days=1), amount_rials=amount, vat_rials=amount // 11,
        gateway="sandbox", gateway_reference="RRN123")


def published(app: ArchivalApplication) -> list[IntegrationEvent]:
    """What the relay would publish from the store now, in order."""
    events = []
    for notification in app.recorder.select_notifications(start=1, limit=100_000):
        translated = translate(app.mapper.to_domain_event(notification))
        if translated is not None:
            events.append(translated)
    return events


def later(app: ArchivalApplication, delta: timedelta) -> None:
    app.clock.set_offset(app.clock.offset_seconds + int(delta.total_seconds()))


def publish(settings: Settings, event: IntegrationEvent, at: datetime | None = None) -> None:
    """Publish another service's event on the real broker, as its relay would."""
    from datetime import UTC

    from shared.kernel.publisher import ConfirmedPublisher, Outgoing
    from shared.kernel.topology import events_exchange

    envelope = envelope_of(event, at or datetime.now(UTC))
    publisher = ConfirmedPublisher(settings)
    try:
        publisher.publish_batch([Outgoing(events_exchange(settings).name, envelope.routing_key, envelope.to_wire(),
                                          message_id=str(envelope.event_id))])
    finally:
        publisher.close()


def token_for(settings: Settings, user_id: uuid.UUID | str, roles: list[str] | None = None) -> dict[str, str]:
    from datetime import UTC

    from shared.kernel.tokens import development_signing_keys, issue_access_token

    private_key = development_signing_keys(settings.var_dir / "keys")[0]
    # Valid for longer than a test moves the platform clock (the gateway dates tokens by it).
    token = issue_access_token(private_key, str(user_id), roles or ["customer"], datetime.now(UTC),
                               ttl=timedelta(days=400))
    return {"Authorization": f"Bearer {token}"}
