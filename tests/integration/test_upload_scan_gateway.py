"""Uploads scanned for viruses through the running platform (issue #19): billing started as the
platform tests start it, scanning through tools/clamd_standin.py over TCP. A licence document
carrying the EICAR test string is refused through the gateway (422, Persian and English) and
nothing is kept; a clean one is kept; with the scanner gone one is refused 503; billing's metrics
count each scan by outcome, from zero at its start (what the VirusScannerUnavailable alert reads);
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import requests

from services.billing.virus_scan import OUTCOMES
from tests.integration.test_metrics import scrape, total
from tests.integration.test_support_gateway import PDF, Desk
from tests.integration.test_support_gateway import licence_desk as licence_desk
from tests.support.processes import Platform
from tools.clamd_standin import EICAR

INFECTED = PDF.replace(b"%%EOF", EICAR + b"\n%%EOF")


@pytest.mark.parametrize("store", ["sqlite", "postgres"], indirect=True)
def test_an_infected_licence_document_is_refused_and_nothing_is_kept(licence_desk: Desk, platform: Platform) -> None:
    desk = licence_desk

    def scans() -> dict[str, float]:
        samples = scrape(platform.metrics_urls["billing"])
        return {outcome: total(samples, "provider_calls_total", service="billing", provider="clamd",
                               operation="scan", outcome=outcome) for outcome in OUTCOMES}

    started = scrape(platform.metrics_urls["billing"])
    assert {given["outcome"] for name, given, _ in started
            if name == "provider_calls_total" and given.get("provider") == "clamd"} == set(OUTCOMES)  # before any scan
    assert scans() == {"ok": 0, "infected": 0, "timeout": 0, "failed": 0}
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
    assert scans() == {"ok": 1, "infected": 1, "timeout": 0, "failed": 0}

    assert platform.clamd is not None
    platform.clamd.terminate()  # the scanner gone: connections refused
    platform.clamd.wait(10)
    unscanned = upload(PDF)
    assert unscanned.status_code == 503 and unscanned.json()["error"] == "scanner_unavailable", unscanned.text
    assert scans() == {"ok": 1, "infected": 1, "timeout": 0, "failed": 1}
