"""Archival through real processes and the gateway (AR-1 … AR-4, NO-1): a lapsed business
exports its data, is reminded and deleted as the platform clock moves, leaves nothing
readable behind in archival's store, logs or books, and is restored once the restore is paid."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from openpyxl import load_workbook

from services.archival.calendar import add_calendar_months
from shared.events.identity import UserRegisteredV1
from tests.support.archival import (
    ADMIN_MOBILE,
    NAME,
    activated,
    backup_taken,
    books_rows,
    lapsed,
    publish,
    restore_paid,
    seed_books,
    token_for,
)
from tests.support.network import free_port
from tests.support.processes import Platform, wait_until


def test_a_lapsed_business_exports_is_reminded_deleted_and_restored(platform: Platform) -> None:
    settings = platform.settings
    platform.start("archival", ARCHIVAL_TICK_SECONDS="1")
    platform.start("notifications")
    address = f"127.0.0.1:{free_port()}"
    platform.start("gateway", WEB_SERVER_ADDRESS=address)
    gateway = f"http://{address}"
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(settings, tenant)
    before = books_rows(settings, tenant)
    now = datetime.now(UTC)
    publish(settings, UserRegisteredV1(user_id=admin, mobile=ADMIN_MOBILE, locale="fa"))
    publish(settings, activated(tenant, admin, now - timedelta(days=400)))
    publish(settings, backup_taken(settings, tenant, now - timedelta(days=1)))
    publish(settings, lapsed(tenant, admin, now))
    auth = token_for(settings, admin)

    def status() -> dict[str, Any]:
        return dict(requests.get(f"{gateway}/archival/tenants/{tenant}", headers=auth, timeout=10).json())

    wait_until(lambda: status().get("state") == "scheduled", timeout=30, what="the schedule")
    due = add_calendar_months(now, 3)
    assert status()["deletion_due_at"]["utc"] == due.isoformat() and status()["reports_downloadable"]
    outsider = requests.get(f"{gateway}/archival/tenants/{tenant}", headers=token_for(settings, uuid.uuid4()),
                            timeout=10)
    assert outsider.status_code == 403 and outsider.json()["message"]["fa"]

    asked = requests.post(f"{gateway}/archival/tenants/{tenant}/exports", json={"format": "xlsx"}, headers=auth,
                          timeout=10)
    assert asked.status_code == 202
    export_url = f"{gateway}/archival/exports/{asked.json()['export_id']}"
    download = wait_until(lambda: (r := requests.get(export_url, headers=auth, timeout=30)).headers.get(
        "Content-Disposition") and r, timeout=30, what="the export")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    workbook = load_workbook(io.BytesIO(download.content), read_only=True)
    assert len(list(workbook["فاکتورها"].iter_rows(values_only=True))) == len(before["invoices"]) + 1  # invoices

    template = requests.get(f"{gateway}/archival/opening-balances/template", timeout=10)
    assert template.headers["Content-Disposition"].endswith('.xlsx"')
    preview = requests.post(f"{gateway}/archival/tenants/{tenant}/opening-balances/preview",
                            files={"file": ("ob.xlsx", template.content)}, headers=auth, timeout=10)
    assert preview.status_code == 200 and preview.json()["importable"], preview.text
    assert [r["account_name"] for r in preview.json()["rows"]] == ["صندوق ریالی", "سرمایهٔ ثبت‌شده"]
    imported = requests.post(f"{gateway}/archival/tenants/{tenant}/opening-balances", data=template.content,
                             headers=auth, timeout=10)  # the template's example rows balance
    assert imported.status_code == 201 and imported.json()["imported_rows"] == 2
    twice = requests.post(f"{gateway}/archival/tenants/{tenant}/opening-balances",
                          files={"file": ("ob.xlsx", template.content)}, headers=auth, timeout=10)
    assert twice.status_code == 409 and twice.json()["error"] == "opening_balances_exist"

    def sms() -> list[str]:
        return [m["message"] for m in platform.sms_sent_to(ADMIN_MOBILE)]

    wait_until(lambda: any("خروجی" in text for text in sms()), timeout=30, what="the export SMS")

    def advance_to(moment: datetime) -> None:
        seconds = int((moment - datetime.now(UTC)).total_seconds()) + 5
        assert requests.post(f"{gateway}/ops/clock", json={"advance": f"PT{seconds}S"}, timeout=10).status_code == 202

    advance_to(due - timedelta(days=30))
    wait_until(lambda: status().get("reminders_sent") == [30], timeout=30, what="the 30-day reminder")
    wait_until(lambda: any("یادآوری" in text and "۳۰ روز" in text for text in sms()), timeout=30,
               what="the reminder SMS")
    advance_to(due)
    wait_until(lambda: status().get("state") == "purged", timeout=30, what="the purge")
    assert not (settings.var_dir / "tenants" / f"{tenant}.sqlite").exists()
    scanned = b"".join(p.read_bytes() for p in platform.logs.glob("archival.*.log"))
    scanned += b"".join(p.read_bytes() for p in (settings.var_dir / "tenants").glob("*"))
    scanned += b"".join(p.read_bytes() for p in (settings.var_dir / "exports").rglob("*") if p.is_file())
    if settings.event_store == "sqlite":
        scanned += b"".join(p.read_bytes() for p in settings.var_dir.glob("archival.sqlite*"))
    assert str(tenant).encode() in scanned  # a control: the scan reads what archival wrote
    assert NAME.encode() not in scanned and ADMIN_MOBILE.encode() not in scanned
    assert requests.get(export_url, headers=auth, timeout=10).json()["status"] == "deleted"

    restore = requests.post(f"{gateway}/archival/tenants/{tenant}/restore-requests", json={}, headers=auth,
                            timeout=10)
    assert restore.status_code == 202, restore.text
    publish(settings, restore_paid(tenant, uuid.UUID(restore.json()["order_id"]), admin, datetime.now(UTC)))
    wait_until(lambda: status().get("state") == "restored", timeout=30, what="the restore")
    assert books_rows(settings, tenant) == before
    again = requests.post(f"{gateway}/archival/tenants/{tenant}/restore-requests", json={}, headers=auth, timeout=10)
    assert again.status_code == 409 and again.json()["error"] == "not_deleted"
