"""Exports through the use cases, in memory (AR-4, AR-2): xlsx, csv and json hold what the
books held, for the business's members and support only; the status page lists the latest;
a lapsed business exports free until deletion, then nothing is left."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from services.archival.application import ArchivalApplication
from services.archival.calendar import add_calendar_months
from services.archival.export_files import sheet_titles
from shared.events import archival as contracts
from shared.events import tenancy
from shared.kernel.config import Settings
from shared.kernel.errors import DomainError
from tests.support.archival import (
    NAME,
    REQUEST,
    activated,
    books_rows,
    deliver,
    exported,
    lapsed,
    later,
    of_type,
    seed_books,
)


@pytest.fixture
def business(app: ArchivalApplication, files: Settings) -> tuple[uuid.UUID, uuid.UUID]:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    seed_books(files, tenant)
    deliver(app, activated(tenant, admin, app.clock.now()), app.clock.now())
    return tenant, admin


def test_xlsx_has_a_sheet_per_table_with_what_the_books_held(app: ArchivalApplication, files: Settings,
                                                             business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    books = books_rows(files, tenant)
    status, content = exported(app, tenant, admin, "xlsx")
    total = sum(len(rows) for rows in books.values())
    assert status["status"] == "ready" and status["rows_done"] == status["rows_total"] == total
    assert status["size_bytes"] == len(content) and status["file_name"].endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    titles = sheet_titles(sorted(books))
    assert workbook.sheetnames == ["راهنما", *titles.values()]
    assert titles["accounts"] == "سرفصل حساب‌ها" and titles["invoices"] == "فاکتورها"
    for table, rows in books.items():
        header_row, *sheet_rows = list(workbook[titles[table]].iter_rows(values_only=True))
        # the books' own columns, without the Jalali dates and names added beside them for people
        own = [i for i, h in enumerate(header_row) if not str(h).endswith(("_jalali)", "_name)"))]
        assert [tuple(r[i] for i in own) for r in sheet_rows] == [tuple(r) for r in rows]
    assert next(iter(workbook["سرفصل حساب‌ها"].iter_rows(values_only=True)))[:4] == (
        "کد (code)", "کد حساب مادر (parent_code)", "سطح (level)", "نام فارسی (name_fa)")
    guide = list(workbook["راهنما"].iter_rows(values_only=True))
    assert ("سرفصل حساب‌ها", "accounts", len(books["accounts"])) in guide
    (ready,) = of_type(app, contracts.ExportReadyV1)
    assert ready.requested_by_user_id == admin and ready.format == "xlsx" and ready.size_bytes == len(content)


def test_a_ready_export_expires_after_a_week_and_its_file_goes(app: ArchivalApplication,
                                                               business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    status, _ = exported(app, tenant, admin, "json")
    later(app, timedelta(days=7))
    app.clock_work.tick()
    assert app.exports.status(status["export_id"], str(admin), [])["status"] == "expired"
    assert not (app.exports_dir / str(tenant) / f"{status['export_id']}.json").exists()
    with pytest.raises(DomainError) as gone:
        app.exports.chunk(status["export_id"], str(admin), [], 0)
    assert gone.value.code == "export_not_ready" and gone.value.details["status"] == "expired"


def test_csv_is_a_zip_of_utf8_bom_files_and_json_one_document(app: ArchivalApplication, files: Settings,
                                                              business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    books = books_rows(files, tenant)
    _, zipped = exported(app, tenant, admin, "csv")
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        assert sorted(archive.namelist()) == sorted(f"{t}.csv" for t in books)  # file names stay ASCII
        raw = archive.read("settings.csv")
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[1] == ["business_name", NAME]
        invoices = list(csv.reader(io.StringIO(archive.read("invoices.csv").decode("utf-8-sig"))))
        assert len(invoices) == 251 and invoices[0][-2:] == ["تاریخ (date)", "تاریخ – شمسی (date_jalali)"]
    _, document = exported(app, tenant, admin, "json")
    tables = json.loads(document)["tables"]
    assert {t: [tuple(r) for r in v["rows"]] for t, v in tables.items()} == books


def test_the_status_page_lists_the_latest_exports_newest_first(app: ArchivalApplication,
                                                               business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    assert app.tenant_status(tenant, str(admin), [])["exports"] == []
    ready, _ = exported(app, tenant, admin, "json")
    queued = app.exports.request(tenant, str(admin), [], "csv", REQUEST)["export_id"]
    listed = app.tenant_status(tenant, str(admin), [])["exports"]
    assert [(e["export_id"], e["format"], e["status"]) for e in listed] == [
        (queued, "csv", "queued"), (ready["export_id"], "json", "ready")]
    assert listed[1]["available_until"] == ready["available_until"] and listed[1]["file_name"].endswith(".json")
    for _ in range(5):
        app.exports.request(tenant, str(admin), [], "xlsx", REQUEST)
    assert len(app.tenant_status(tenant, str(admin), ["support"])["exports"]) == 5  # only the latest few


def test_never_for_another_business_s_users_but_for_members_and_support(
        app: ArchivalApplication, business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    outsider, accountant = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(DomainError) as refused:
        app.exports.request(tenant, str(outsider), [], "xlsx", REQUEST)
    assert refused.value.code == "forbidden"
    export_id = app.exports.request(tenant, str(admin), [], "json", REQUEST)["export_id"]
    with pytest.raises(DomainError) as peeking:
        app.exports.chunk(export_id, str(outsider), [], 0)
    assert peeking.value.code == "forbidden"
    deliver(app, tenancy.MemberAddedV1(tenant_id=tenant, business_name=NAME, user_id=accountant,
                                       mobile="+989121111111", role="member", permissions=(),
                                       added_by_user_id=admin), app.clock.now())
    assert app.exports.status(export_id, str(accountant), [])["status"] == "queued"
    deliver(app, tenancy.MemberRemovedV1(tenant_id=tenant, business_name=NAME, user_id=accountant,
                                         removed_by_user_id=admin), app.clock.now())
    with pytest.raises(DomainError) as removed:
        app.exports.status(export_id, str(accountant), [])
    assert removed.value.code == "forbidden"
    assert exported(app, tenant, uuid.uuid4(), "csv", roles=["support"])[0]["status"] == "ready"
    with pytest.raises(DomainError) as bad:
        app.exports.request(tenant, str(admin), [], "pdf", REQUEST)
    assert bad.value.code == "invalid_export_format" and bad.value.details["formats"] == ["xlsx", "csv", "json"]


def test_a_lapsed_business_exports_free_until_deletion_then_nothing_is_left(
        app: ArchivalApplication, business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    lapse = app.clock.now()
    deliver(app, lapsed(tenant, admin, lapse), lapse)
    due = add_calendar_months(lapse, 3)
    later(app, due - lapse - timedelta(days=2))
    status, _ = exported(app, tenant, admin, "xlsx")
    assert status["available_until"] == due.isoformat()  # nothing outlives the deletion
    later(app, timedelta(days=3))
    app.clock_work.tick()
    assert app.exports.status(status["export_id"], str(admin), [])["status"] == "deleted"
    assert not any((app.exports_dir / str(tenant)).glob("*"))
    with pytest.raises(DomainError) as gone:
        app.exports.request(tenant, str(admin), [], "xlsx", REQUEST)
    assert gone.value.code == "tenant_deleted"


def test_a_business_without_books_has_nothing_to_export(app: ArchivalApplication) -> None:
    tenant, admin = uuid.uuid4(), uuid.uuid4()
    deliver(app, activated(tenant, admin, app.clock.now()), app.clock.now())
    with pytest.raises(DomainError) as none:
        app.exports.request(tenant, str(admin), [], "json", REQUEST)
    assert none.value.code == "no_books"


def test_an_export_whose_books_went_before_it_was_built_fails_as_no_books(
        app: ArchivalApplication, business: tuple[uuid.UUID, uuid.UUID]) -> None:
    tenant, admin = business
    export_id = app.exports.request(tenant, str(admin), [], "json", REQUEST)["export_id"]
    app.books.drop(tenant)
    app.exports.build(uuid.UUID(export_id))
    status = app.exports.status(export_id, str(admin), [])
    assert status["status"] == "failed" and status["reason"] == "no_books"
    assert uuid.UUID(export_id) not in app.clock_work.tick()  # settled: no longer on the agenda


def test_an_unknown_export_is_not_found(app: ArchivalApplication) -> None:
    for export_id in (uuid.uuid4(), "not-an-id"):
        with pytest.raises(DomainError) as missing:
            app.exports.status(export_id, "u", ["support"])
        assert missing.value.code == "not_found"
