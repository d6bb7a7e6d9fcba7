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
from services.billing.purchases import fingerprint, idempotency_key, parsed
from services.billing.records import Records
from shared.http.billing import EducationalApplicationRequest
from shared.kernel.errors import DomainError
from shared.kernel.ids import parse_id
from shared.kernel.mobile import normalize_mobile, to_latin_digits
from shared.kernel.store import Cause
from shared.kernel.subject_keys import Personal

LICENCE_MONTHS = 12
_LICENCE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z/_-]{0,49}$")


def application_view(app: EducationalApplication) -> dict[str, Any]:
    return {"application_id": str(app.id), "tenant_id": str(app.tenant_id), "state": app.state,
            "institution_name": name_of(app.institution_name), "licence_number": app.licence_number,
            "invoice": app.invoice}


class Educational:
    def __init__(self, records: Records, catalog: Catalog) -> None:
        self.records, self.catalog = records, catalog

    def apply(self, user_id: object, body: Mapping[str, Any], key: object, cause: Cause) -> dict[str, Any]:
        applicant = parse_id(user_id)
        request = parsed(EducationalApplicationRequest, body)
        institution = request.institution_name
        licence = to_latin_digits(request.licence_number).strip()
        if not _LICENCE.fullmatch(licence):
            raise DomainError("invalid_licence_number")
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
        def attempt() -> dict[str, Any]:
            found = self.records.application(application_id)
            found.reject(parse_id(support_user_id), str(reason or "")[:300])
            self.records.save(found, cause=cause)
            return application_view(found)

        return self.records.retrying(attempt)
