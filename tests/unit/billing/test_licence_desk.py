"""Support's side of educational licences (BI-4, issue #19), in memory: the pending list (oldest
first, gone once decided), licence numbers as ministries write them, the document (kind read
from its bytes, size bounded, active PDFs refused, only its applicant uploads, applicant and
support read it), and a rejection the applicant is told with its reason."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from services.billing.application import BillingApplication
from services.billing.domain import EducationalApplication
from services.billing.educational import Educational
from services.billing.licence_documents import MAX_DOCUMENT_BYTES, inspected
from shared.events import billing as contracts
from shared.kernel.subject_keys import Personal
from tests.support.billing import CAUSE, memory_app, published
from tests.support.rules import refused

APPLICATION = {"institution_name": "هنرستان فنی شهید بهشتی", "licence_number": "۱۲۳/ص/۱۴۰۴",
               "contact_mobile": "۰۹۱۲۱۲۳۴۵۶۷"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + b"0" * 200 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


@pytest.fixture
def app(tmp_path: Path) -> BillingApplication:
    return memory_app(documents_dir=tmp_path / "documents")


@pytest.mark.parametrize(("typed", "kept"), [
    ("۱۲۳/ص/۱۴۰۴", "123/ص/1404"),
    ("123 / ص / 1404", "123/ص/1404"),
    ("١٢٣\\ك\\١٤٠٤", "123/ک/1404"),  # Arabic-Indic digits, a backslash, Arabic kaf
    ("۴۵-آ-۹۹", "45-آ-99"),
    ("AB_12", "AB_12"),
])
def test_licence_numbers_as_they_are_written(app: BillingApplication, typed: str, kept: str) -> None:
    submitted = app.educational.apply(uuid.uuid4(), APPLICATION | {"licence_number": typed}, None, CAUSE)
    assert submitted["licence_number"] == kept


@pytest.mark.parametrize("typed", ["/123", "123/<b>", "۱۲۳/ص/۱۴۰۴;DROP", "x" * 51, "١٢٣\u202e"])
def test_other_licence_numbers_are_refused(app: BillingApplication, typed: str) -> None:
    refused("invalid_licence_number",
            lambda: app.educational.apply(uuid.uuid4(), APPLICATION | {"licence_number": typed}, None, CAUSE))
    assert app.educational.pending() == []


def test_a_licence_with_persian_letters_is_granted_as_written(app: BillingApplication) -> None:
    submitted = app.educational.apply(uuid.uuid4(), APPLICATION, None, CAUSE)
    app.educational.approve(uuid.uuid4(), submitted["application_id"], CAUSE)
    (granted,) = published(app, submitted["application_id"])
    assert isinstance(granted, contracts.EducationalLicenceGrantedV1) and granted.licence_number == "123/ص/1404"


def test_support_lists_pending_applications_oldest_first(app: BillingApplication) -> None:
    first = app.educational.apply(uuid.uuid4(), APPLICATION, None, CAUSE)["application_id"]
    second = app.educational.apply(uuid.uuid4(), APPLICATION | {"licence_number": "77"}, None, CAUSE)["application_id"]
    third = app.educational.apply(uuid.uuid4(), APPLICATION | {"licence_number": "78"}, None, CAUSE)["application_id"]
    assert [a["application_id"] for a in app.educational.pending()] == [first, second, third]
    app.educational.approve(uuid.uuid4(), second, CAUSE)
    app.educational.reject(uuid.uuid4(), third, "مجوز منقضی است", CAUSE)
    assert [a["application_id"] for a in app.educational.pending()] == [first]


def test_a_rejection_says_why_and_the_applicant_is_told(app: BillingApplication) -> None:
    applicant, agent = uuid.uuid4(), uuid.uuid4()
    submitted = app.educational.apply(applicant, APPLICATION, None, CAUSE)["application_id"]
    refused("reason_required", lambda: app.educational.reject(agent, submitted, "   ", CAUSE))
    refused("invalid_text", lambda: app.educational.reject(agent, submitted, "دلیل\u202e", CAUSE))
    refused("reason_required", lambda: app.educational.reject(agent, submitted, None, CAUSE))
    assert app.educational.pending()  # nothing changed
    rejected = app.educational.reject(agent, submitted, "تصویر مجوز خوانا نیست", CAUSE)
    assert rejected["state"] == "rejected" and rejected["reason"] == "تصویر مجوز خوانا نیست"
    (told,) = published(app, submitted)
    assert isinstance(told, contracts.EducationalApplicationRejectedV1)
    assert told.applicant_user_id == applicant and told.rejected_by_user_id == agent
    assert told.reason == "تصویر مجوز خوانا نیست"


@pytest.mark.parametrize(("content", "media_type"), [(PDF, "application/pdf"), (PNG, "image/png"),
                                                     (JPEG, "image/jpeg")])
def test_the_document_kind_is_read_from_its_bytes(content: bytes, media_type: str) -> None:
    assert inspected(content).media_type == media_type


@pytest.mark.parametrize(("content", "code"), [
    (b"<html><script>alert(1)</script></html>" + b" " * 100, "invalid_document"),
    (b"GIF89a" + b"\x00" * 100, "invalid_document"),
    (b"%PDF-", "invalid_document"),  # too short to be a scan
    (PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "invalid_document"),
    (PDF.replace(b"/Catalog", b"/Catalog /Names << /EmbeddedFiles 3 0 R >>"), "invalid_document"),
    (b"%PDF-1.4\n" + b"0" * MAX_DOCUMENT_BYTES, "file_too_large"),
])
def test_other_uploads_are_refused_and_nothing_is_kept(app: BillingApplication, tmp_path: Path,
                                                       content: bytes, code: str) -> None:
    applicant = uuid.uuid4()
    submitted = app.educational.apply(applicant, APPLICATION, None, CAUSE)["application_id"]
    refused(code, lambda: app.educational.attach_document(applicant, submitted, content, CAUSE))
    assert app.educational.application(applicant, submitted, False)["document"] is None
    assert not (tmp_path / "documents").exists() or not any((tmp_path / "documents").iterdir())


def test_only_the_applicant_uploads_and_only_they_and_support_read_it(app: BillingApplication,
                                                                      tmp_path: Path) -> None:
    applicant, stranger = uuid.uuid4(), uuid.uuid4()
    submitted = app.educational.apply(applicant, APPLICATION, None, CAUSE)["application_id"]
    refused("not_found", lambda: app.educational.attach_document(stranger, submitted, PDF, CAUSE))
    assert not (tmp_path / "documents").exists()  # a stranger's bytes are never written
    shown = app.educational.attach_document(applicant, submitted, PDF, CAUSE)
    assert shown["document"] == {"media_type": "application/pdf", "size_bytes": len(PDF)}
    again = app.educational.attach_document(applicant, submitted, PDF, CAUSE)  # a retried upload
    assert again == shown
    read = app.educational.document(uuid.uuid4(), submitted, True)
    assert read["content"] == PDF and read["media_type"] == "application/pdf"
    assert read["file_name"] == f"licence-{submitted}.pdf"  # never the name the uploader chose
    assert app.educational.document(applicant, submitted, False)["content"] == PDF
    refused("not_found", lambda: app.educational.document(stranger, submitted, False))
    app.educational.attach_document(applicant, submitted, PNG, CAUSE)  # a better scan replaces it
    assert app.educational.document(applicant, submitted, False)["media_type"] == "image/png"
    app.educational.approve(uuid.uuid4(), submitted, CAUSE)
    refused("application_already_decided", lambda: app.educational.attach_document(applicant, submitted, PDF, CAUSE))


def test_no_document_yet_is_not_found(app: BillingApplication) -> None:
    applicant = uuid.uuid4()
    submitted = app.educational.apply(applicant, APPLICATION, None, CAUSE)["application_id"]
    refused("not_found", lambda: app.educational.document(applicant, submitted, False))
    refused("not_found", lambda: app.educational.document(applicant, str(uuid.uuid4()), True))


def test_applications_stored_before_the_list_existed_are_pending(app: BillingApplication) -> None:
    """The list is read from billing's log: an application saved alone (as before issue #19,
    when no list was saved beside it) waits for support like any other."""
    applicant = uuid.uuid4()
    earlier = EducationalApplication(
        application_id=uuid.uuid4(), applicant_user_id=applicant, institution_name="دانشگاه قدیم",
        licence_number="12", contact=Personal(f"user:{applicant}", "09121234567"), tenant_id=uuid.uuid4(),
        fingerprint="old")
    app.save_caused(earlier, cause=CAUSE)
    later = app.educational.apply(uuid.uuid4(), APPLICATION, None, CAUSE)["application_id"]
    restarted = Educational(app.records, app.catalog, app.educational.documents)  # a process started later
    for educational in (app.educational, restarted):
        assert [a["application_id"] for a in educational.pending()] == [str(earlier.id), later]
    app.educational.approve(uuid.uuid4(), str(earlier.id), CAUSE)
    assert [a["application_id"] for a in restarted.pending()] == [later]


def test_an_applicant_lists_only_their_own_applications(app: BillingApplication) -> None:
    applicant, stranger = uuid.uuid4(), uuid.uuid4()
    first = app.educational.apply(applicant, APPLICATION, None, CAUSE)["application_id"]
    app.educational.apply(stranger, APPLICATION, None, CAUSE)
    second = app.educational.apply(applicant, APPLICATION | {"licence_number": "77"}, None, CAUSE)["application_id"]
    app.educational.reject(uuid.uuid4(), first, "مجوز منقضی است", CAUSE)
    mine = app.educational.of_applicant(applicant)
    assert [(a["application_id"], a["state"]) for a in mine] == [(second, "submitted"), (first, "rejected")]
    assert mine[1]["reason"] == "مجوز منقضی است" and mine[0]["submitted_at"]["jalali"]
    assert app.educational.of_applicant(uuid.uuid4()) == []
