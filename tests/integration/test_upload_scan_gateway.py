"""Uploads scanned for viruses through the running platform (issue #19): billing started as the
platform tests start it, scanning through tools/clamd_standin.py over TCP. A licence document
carrying the EICAR test string is refused through the gateway (422, Persian and English) and
nothing is kept; a clean one is kept; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import requests

from tests.integration.test_support_gateway import PDF, Desk
from tests.integration.test_support_gateway import licence_desk as licence_desk
from tools.clamd_standin import EICAR

INFECTED = PDF.replace(b"%%EOF", EICAR + b"\n%%EOF")


@pytest.mark.parametrize("store", ["sqlite", "postgres"], indirect=True)
def test_an_infected_licence_document_is_refused_and_nothing_is_kept(licence_desk: Desk) -> None:
    desk = licence_desk
    _, applicant = desk.signed_in("09121000051")
    applied = desk.ask("POST", "/billing/educational-applications", applicant, {
        "institution_name": "هنرستان فنی", "licence_number": "۱۲۴/ص/۱۴۰۴", "contact_mobile": "09121000051"})
    application = applied.json()["application_id"]
    document = f"/billing/educational-applications/{application}/document"

    def upload(content: bytes) -> requests.Response:
        return requests.put(f"{desk.url}{document}", data=content, timeout=30,
                            headers={"Authorization": f"Bearer {applicant}", "Content-Type": "application/pdf"})

    infected = upload(INFECTED)
    assert infected.status_code == 422 and infected.json()["error"] == "infected_document", infected.text
    assert "ویروس" in infected.json()["message"]["fa"] and "virus" in infected.json()["message"]["en"]
    assert desk.ask("GET", f"/billing/educational-applications/{application}", applicant).json()["document"] is None
    assert desk.ask("GET", document, applicant).status_code == 404
    clean = upload(PDF)
    assert clean.status_code == 200 and clean.json()["document"]["size_bytes"] == len(PDF), clean.text
