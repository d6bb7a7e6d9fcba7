"""Exports on SQLite and PostgreSQL (AR-4, AR-2): xlsx, csv and json hold what the books
held, for the business's members and support only, with progress, ExportReady, and gone
with the purge. Opening balances from the Excel template (AR-5): all rows or none."""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from services.archival.application import ArchivalApplication
from services.archival.calendar import add_calendar_months
from services.archival.export_job import Export
from shared.events import archival as contracts
from shared.events import tenancy
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from shared.kernel.store import Cause
from tests.support.archival import NAME, activated, books_rows, deliver, lapsed, later, published, seed_books

SettingsFor = Callable[..., Settings]


@pytest.fixture
def app(settings_for: SettingsFor) -> ArchivalApplication:
    return ArchivalApplication(settings_for("archival"))


@pytest.fixture
def business(app: ArchivalApplication) -> tuple[uuid.UUID, uuid.UUID]:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(app.settings, tenant)
    deliver(app, activated(tenant, admin, app.clock.now()), app.clock.now())
    return tenant, admin


def exported(app: ArchivalApplication, tenant: uuid.UUID, user: uuid.UUID, fmt: str,
             roles: list[str] | None = None) -> tuple[dict[str, Any], bytes]:
    export_id = app.request_export(tenant, str(user), roles or [], fmt, Cause("t"))["export_id"]
    assert uuid.UUID(export_id) in app.tick()  # unfinished exports are found again after a restart
    app.build_export(uuid.UUID(export_id))
    status = app.export_status(export_id, str(user), roles or [])
    content, offset = b"", 0
    while True:
        chunk = app.export_chunk(export_id, str(user), roles or [], offset)
        content += base64.b64decode(chunk["data"])
        offset = len(content)
        if chunk["eof"]:
            return status, content


def test_xlsx_has_a_sheet_per_table_with_what_the_books_held(app: ArchivalApplication, business: Any) -> None:
    tenant, admin = business
    books = books_rows(app.settings, tenant)
    status, content = exported(app, tenant, admin, "xlsx")
    total = sum(len(rows) for rows in books.values())
    assert status["status"] == "ready" and status["rows_done"] == status["rows_total"] == total
    assert status["size_bytes"] == len(content) and status["file_name"].endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    assert sorted(workbook.sheetnames) == sorted(books)
    for table, rows in books.items():
        sheet_rows = list(workbook[table].iter_rows(values_only=True))
        assert [tuple(r) for r in sheet_rows[1:]] == [tuple(r) for r in rows]
    assert next(iter(workbook["accounts"].iter_rows(values_only=True))) == ("کد (code)", "نام (name)")
    (ready,) = [e for e in published(app) if isinstance(e, contracts.ExportReadyV1)]
    assert ready.requested_by_user_id == admin and ready.format == "xlsx" and ready.size_bytes == len(content)
    later(app, timedelta(days=7))
    app.tick()  # a week later the file is gone
    assert app.export_status(status["export_id"], str(admin), [])["status"] == "expired"
    assert not (app.exports_dir / str(tenant) / f"{status['export_id']}.xlsx").exists()
    progress = [e for e in app.repository.event_store.get(uuid.UUID(status["export_id"]))
                if isinstance(e, Export.Progressed)]  # type: ignore[attr-defined]
    assert 2 <= len(progress) <= 12 and progress[-1].rows_done < total


def test_csv_is_a_zip_of_utf8_bom_files_and_json_one_document(app: ArchivalApplication, business: Any) -> None:
    tenant, admin = business
    books = books_rows(app.settings, tenant)
    _, zipped = exported(app, tenant, admin, "csv")
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        assert sorted(archive.namelist()) == sorted(f"{t}.csv" for t in books)
        raw = archive.read("settings.csv")
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[1] == ["business_name", NAME]
        assert len(list(csv.reader(io.StringIO(archive.read("invoices.csv").decode("utf-8-sig"))))) == 251
    _, document = exported(app, tenant, admin, "json")
    tables = json.loads(document)["tables"]
    assert {t: [tuple(r) for r in v["rows"]] for t, v in tables.items()} == books


def test_the_status_page_lists_the_latest_exports_newest_first(app: ArchivalApplication, business: Any) -> None:
    tenant, admin = business
    assert app.tenant_status(tenant, str(admin), [])["exports"] == []
    ready, _ = exported(app, tenant, admin, "json")
    queued = app.request_export(tenant, str(admin), [], "csv", Cause("t"))["export_id"]
    listed = app.tenant_status(tenant, str(admin), [])["exports"]
    assert [(e["export_id"], e["format"], e["status"]) for e in listed] == [
        (queued, "csv", "queued"), (ready["export_id"], "json", "ready")]
    assert listed[1]["available_until"] == ready["available_until"] and listed[1]["file_name"].endswith(".json")
    for _ in range(5):
        app.request_export(tenant, str(admin), [], "xlsx", Cause("t"))
    assert len(app.tenant_status(tenant, str(admin), ["support"])["exports"]) == 5  # only the latest few


def test_never_for_another_business_s_users_but_for_members_and_support(app: ArchivalApplication,
                                                                        business: Any) -> None:
    tenant, admin = business
    outsider, accountant = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(DomainError) as refused:
        app.request_export(tenant, str(outsider), [], "xlsx", Cause("t"))
    assert refused.value.code == "forbidden"
    export_id = app.request_export(tenant, str(admin), [], "json", Cause("t"))["export_id"]
    with pytest.raises(DomainError) as peeking:
        app.export_chunk(export_id, str(outsider), [], 0)
    assert peeking.value.code == "forbidden"
    deliver(app, tenancy.MemberAddedV1(tenant_id=tenant, business_name=NAME, user_id=accountant,
                                       mobile="+989121111111", role="member", permissions=(),
                                       added_by_user_id=admin), app.clock.now())
    assert app.export_status(export_id, str(accountant), [])["status"] == "queued"
    deliver(app, tenancy.MemberRemovedV1(tenant_id=tenant, business_name=NAME, user_id=accountant,
                                         removed_by_user_id=admin), app.clock.now())
    with pytest.raises(DomainError) as removed:
        app.export_status(export_id, str(accountant), [])
    assert removed.value.code == "forbidden"
    assert exported(app, tenant, uuid.uuid4(), "csv", roles=["support"])[0]["status"] == "ready"
    with pytest.raises(DomainError) as bad:
        app.request_export(tenant, str(admin), [], "pdf", Cause("t"))
    assert bad.value.code == "invalid_export_format"


def test_a_lapsed_business_exports_free_until_deletion_then_nothing_is_left(app: ArchivalApplication,
                                                                            business: Any) -> None:
    tenant, admin = business
    lapse = app.clock.now()
    deliver(app, lapsed(tenant, admin, lapse), lapse)
    due = add_calendar_months(lapse, 3)
    later(app, due - lapse - timedelta(days=2))
    status, _ = exported(app, tenant, admin, "xlsx")
    assert status["available_until"] == due.isoformat()  # nothing outlives the deletion
    later(app, timedelta(days=3))
    app.tick()
    assert app.export_status(status["export_id"], str(admin), [])["status"] == "deleted"
    assert not any((app.exports_dir / str(tenant)).glob("*"))
    with pytest.raises(DomainError) as gone:
        app.request_export(tenant, str(admin), [], "xlsx", Cause("t"))
    assert gone.value.code == "tenant_deleted"


# -- arriving mid-year (AR-5) --------------------------------------------------------------------

def workbook_of(rows: list[tuple[Any, ...]]) -> str:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(("account code", "debit", "credit"))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return base64.b64encode(out.getvalue()).decode()


def test_the_template_and_an_import_of_balanced_rows_in_persian_digits(app: ArchivalApplication,
                                                                       business: Any) -> None:
    tenant, admin = business
    template = load_workbook(io.BytesIO(base64.b64decode(app.opening_balances_template())))
    headers = next(template.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert "کد حساب" in headers[0] and "debit" in headers[1] and "credit" in headers[2]
    upload = workbook_of([("۱۱۰۱", "۱٬۵۰۰٬۰۰۰", None), (1102, 500000, 0), ("3101", 0, 2_000_000.0)])
    answer = app.import_opening_balances(tenant, str(admin), [], upload)
    assert answer == {"imported_rows": 3, "total_debit": 2_000_000, "total_credit": 2_000_000}
    assert [r[:3] for r in books_rows(app.settings, tenant)["opening_balances"]] == [
        ("1101", 1_500_000, 0), ("1102", 500_000, 0), ("3101", 0, 2_000_000)]
    with pytest.raises(DomainError) as twice:
        app.import_opening_balances(tenant, str(admin), [], upload)
    assert twice.value.code == "opening_balances_exist"


def test_every_bad_row_is_named_in_both_languages_and_nothing_is_imported(app: ArchivalApplication,
                                                                          business: Any) -> None:
    tenant, admin = business
    upload = workbook_of([("9999", 100, 0), ("1101", -5, 0), ("1102", 10.5, 0), ("3101", 100, 100),
                          ("1101", "abc", 0)])
    with pytest.raises(DomainError) as refused:
        app.import_opening_balances(tenant, str(admin), [], upload)
    assert refused.value.code == "invalid_opening_balances"
    problems = {(p["row"], p["problem"]) for p in refused.value.details["problems"]}
    assert problems == {(2, "unknown_account"), (3, "negative_amount"), (4, "not_whole_rials"),
                        (5, "both_sides"), (6, "duplicate_account"), (6, "not_a_number")}
    assert all(p["message"]["fa"] and p["message"]["en"] for p in refused.value.details["problems"])
    with pytest.raises(DomainError) as unbalanced:
        app.import_opening_balances(tenant, str(admin), [], workbook_of([("1101", 100, 0), ("3101", 0, 90)]))
    assert unbalanced.value.details["problems"][0]["problem"] == "not_balanced"
    assert "opening_balances" not in books_rows(app.settings, tenant)
    with pytest.raises(DomainError) as garbage:
        app.import_opening_balances(tenant, str(admin), [], base64.b64encode(b"not a workbook").decode())
    assert garbage.value.code == "invalid_workbook"
