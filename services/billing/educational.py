"""Educational licences (BI-4): an institution applies; support approves (a zero-price
invoice and EducationalLicenceGranted, which provisioning treats like an accounting
purchase of the educational edition) or rejects."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from services.billing.catalog import DESCRIPTIONS, Catalog
from services.billing.domain import (
    BusinessAccount,
    EducationalApplication,
    business_subject,
    keyed_id,
    name_of,
    sealed_name,
)
from services.billing.educational_index import ApplicationsIndex
from services.billing.licence_documents import DocumentFiles, inspected
from services.billing.purchases import fingerprint, idempotency_key, parsed
from services.billing.records import Records
from services.billing.virus_scan import NoScanning, ScannerUnavailable, VirusScanner
from shared.http.billing import EducationalApplicationRequest
from shared.kernel.errors import DomainError
from shared.kernel.i18n import when
from shared.kernel.ids import parse_id
from shared.kernel.logging import get_logger
from shared.kernel.mobile import normalize_mobile, to_latin_digits
from shared.kernel.store import Cause
from shared.kernel.subject_keys import Personal
from shared.kernel.text import hidden_characters, plain_line

LICENCE_MONTHS = 12
# A licence number as ministries write it: digits, Latin or Persian letters, parts joined by /, - or _
# (e.g. ۱۲۳/ص/۱۴۰۴ → 123/ص/1404). Persian letters only, no Arabic variants (normalized first).
_LICENCE = re.compile(r"^[0-9A-Za-z\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]"
                      r"[0-9A-Za-z\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc/_-]{0,49}$")
_SEPARATORS = str.maketrans({"\\": "/", "\uff0f": "/", "\u2215": "/", "\u2010": "-", "\u2011": "-",
                             "\u2012": "-", "\u2013": "-", "\u2212": "-", "\u064a": "\u06cc", "\u0643": "\u06a9",
                             "\u0649": "\u06cc"})


def licence_number(typed: str) -> str:
    """The number as kept: Latin digits, Persian ی and ک, no spaces, one kind of slash."""
    text = to_latin_digits(typed).translate(_SEPARATORS)
    text = re.sub(r"\s*([/_-])\s*", r"\1", text.strip())
    if not _LICENCE.fullmatch(text):
        raise DomainError("invalid_licence_number")
    return text


def application_view(app: EducationalApplication) -> dict[str, Any]:
    document = app.document
    return {"application_id": str(app.id), "tenant_id": str(app.tenant_id), "state": app.state,
            "institution_name": name_of(app.institution_name), "licence_number": app.licence_number,
            "invoice": app.invoice, "reason": app.reason or None, "submitted_at": when(app.created_on),
            "licence_until": when(app.period[1]) if app.period else None,
            "document": None if document is None else {k: document[k] for k in ("media_type", "size_bytes")}}


class Educational:
    def __init__(self, records: Records, catalog: Catalog, documents: DocumentFiles,
                 scanner: VirusScanner | None = None) -> None:
        self.records, self.catalog, self.documents = records, catalog, documents
        self.index = ApplicationsIndex(records)
        self.scanner = scanner or NoScanning()

    def apply(self, user_id: object, body: Mapping[str, Any], key: object, cause: Cause) -> dict[str, Any]:
        applicant = parse_id(user_id)
        request = parsed(EducationalApplicationRequest, body)
        institution = request.institution_name
        licence = licence_number(request.licence_number)
        contact = normalize_mobile(request.contact_mobile)
        key = idempotency_key(key)
        application_id = keyed_id("educational", applicant, key) if key else uuid.uuid4()
        print_ = fingerprint(dict(body))

        def create() -> dict[str, Any]:
            tenant_id = uuid.uuid4()
            application = EducationalApplication(
                application_id=application_id, applicant_user_id=applicant,
                institution_name=Personal(business_subject(tenant_id), institution), licence_number=licence,
                contact=Personal(f"user:{applicant}", contact), tenant_id=tenant_id, fingerprint=print_)
            self.records.save(application, cause=cause)
            return application_view(application)

        return self.records.created_once(application_id, print_, create, application_view)

    def application(self, user_id: object, application_id: object, support: bool) -> dict[str, Any]:
        found = self.records.application(application_id)
        if not support and found.applicant_user_id != parse_id(user_id):
            raise DomainError("not_found")
        return application_view(found)

    def approve(self, support_user_id: object, application_id: object, cause: Cause) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            found = self.records.application(application_id)
            if found.state == "approved":
                return application_view(found)
            # BI-4: free whatever the price list says; VAT on nothing is nothing.
            line = {"item": "educational", "description": DESCRIPTIONS["educational"], "quantity": 1,
                    "unit_price_rials": 0, "amount_rials": 0}
            invoice = {"invoice_id": str(uuid.uuid5(found.id, "invoice")), "kind": "educational", "lines": [line],
                       "subtotal_rials": 0, "discount_rials": 0, "vat_percent": self.catalog.vat_percent,
                       "vat_rials": 0, "total_rials": 0}
            found.approve(parse_id(support_user_id), invoice, self.records.now(), LICENCE_MONTHS)
            account = BusinessAccount(tenant_id=found.tenant_id, owner_user_id=found.applicant_user_id,
                                      business_name=sealed_name({"business_name": found.institution_name},
                                                                found.tenant_id)["business_name"],
                                      business_type="educational")
            self.records.save(found, account, cause=cause)
            return application_view(found)

        return self.records.retrying(attempt)

    def reject(self, support_user_id: object, application_id: object, reason: object, cause: Cause
               ) -> dict[str, Any]:
        said = plain_line(reason, 300)
        if said is None and isinstance(reason, str) and hidden_characters(reason):
            raise DomainError("invalid_text", field="reason")
        if said is None:
            raise DomainError("reason_required")  # the applicant is told it by SMS
        def attempt() -> dict[str, Any]:
            found = self.records.application(application_id)
            found.reject(parse_id(support_user_id), said)
            self.records.save(found, cause=cause)
            return application_view(found)

        return self.records.retrying(attempt)

    # -- the lists and the licence document (issue #19) --------------------------------------------
    def pending(self) -> list[dict[str, Any]]:
        """The applications waiting for a decision, oldest first, as support lists them."""
        return [application_view(self.records.application(key)) for key in self.index.waiting()]

    def of_applicant(self, user_id: object) -> list[dict[str, Any]]:
        """The caller's own applications, newest first (the portal's licence page)."""
        return [application_view(self.records.application(key))
                for key in self.index.of_applicant(parse_id(user_id))]

    def attach_document(self, user_id: object, application_id: object, content: bytes, cause: Cause
                        ) -> dict[str, Any]:
        applicant = parse_id(user_id)
        document = inspected(content)  # refused before anything is written
        found = self.records.application(application_id)
        if found.applicant_user_id != applicant:
            raise DomainError("not_found")  # nothing of a stranger's upload is written
        if found.state != "submitted":
            raise DomainError("application_already_decided", state=found.state)
        self._scan(content)  # refused or unscanned: nothing is written
        name = self.documents.name_for(found.id, document)
        self.documents.keep(name, content)  # first the file, then the fact: a fact never names a missing file

        def attempt() -> dict[str, Any]:
            application = self.records.application(application_id)
            application.attach_document(applicant, {"file": name, "media_type": document.media_type,
                                                    "size_bytes": document.size_bytes, "sha256": document.sha256})
            self.records.save(application, cause=cause)
            return application_view(application)

        return self.records.retrying(attempt)

    def _scan(self, content: bytes) -> None:
        try:
            found = self.scanner.scan(content)
        except ScannerUnavailable as exc:
            get_logger().warning("billing.virus_scanner_unavailable", error=str(exc)[:200])
            raise DomainError("scanner_unavailable") from None
        if found is not None:
            get_logger().warning("billing.document_infected", signature=found[:100])
            raise DomainError("infected_document")

    def document(self, user_id: object, application_id: object, support: bool) -> dict[str, Any]:
        """The document's bytes and kind, for its applicant or support."""
        found = self.records.application(application_id)
        if not support and found.applicant_user_id != parse_id(user_id):
            raise DomainError("not_found")
        if found.document is None:
            raise DomainError("not_found")
        return {"media_type": found.document["media_type"], "content": self.documents.read(found.document["file"]),
                "file_name": f"licence-{found.id}.{found.document['file'].rsplit('.', 1)[-1]}"}
