"""Uploads scanned for viruses (issue #19): billing's clamd client against tools/clamd_standin.py
over loopback (clean, EICAR, a stream in many chunks, a dropped connection, a scanner that never
answers, one that is not there), each scan counted by its outcome (what the VirusScannerUnavailable
alert reads), and the licence document refused when infected (422) or when no verdict can be had
(503), nothing kept either way, unless scanning is switched off."""

from __future__ import annotations

import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.billing.settings import BillingSettings
from services.billing.virus_scan import OUTCOMES, ClamdClient, NoScanning, ScannerUnavailable, verdict
from shared.kernel import metrics
from tests.support.billing import CAUSE, memory_app
from tests.support.network import free_port
from tests.support.rules import refused
from tests.unit.billing.test_licence_desk import APPLICATION, PDF
from tools import clamd_standin
from tools.clamd_standin import EICAR

# The EICAR string inside an otherwise valid PDF: what a scanner must catch in a real upload.
INFECTED_PDF = PDF.replace(b"%%EOF", EICAR + b"\n%%EOF")


@pytest.fixture
def standin() -> Iterator[clamd_standin.Server]:
    server = clamd_standin.serve()
    yield server
    server.shutdown()
    server.server_close()


def client(server: clamd_standin.Server, **options: float) -> ClamdClient:
    host, port = server.server_address[:2]
    return ClamdClient(str(host), int(port), timeout=options.get("timeout", 10.0))


def test_a_clean_stream_is_ok_and_eicar_is_found(standin: clamd_standin.Server) -> None:
    scanner = client(standin)
    assert scanner.ping()
    assert scanner.scan(PDF) is None
    assert scanner.scan(INFECTED_PDF) == "Eicar-Test-Signature"
    assert scanner.scan(b"") is None  # nothing but the zero-length chunk


def test_a_stream_sent_in_many_chunks_is_scanned_whole(standin: clamd_standin.Server) -> None:
    # EICAR split across chunk boundaries: the stand-in, like clamd, scans the reassembled stream.
    content = b"x" * 1000 + EICAR + b"y" * 1000
    host, port = standin.server_address[:2]
    small_chunks = ClamdClient(str(host), int(port), chunk_bytes=7)
    assert small_chunks.scan(content) == "Eicar-Test-Signature" and small_chunks.scan(b"z" * 5000) is None


def test_the_bytes_on_the_wire_are_the_documented_protocol() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received: list[bytes] = []

    def answer() -> None:
        connection, _ = listener.accept()
        data = b""
        while not data.endswith(struct.pack(">I", 0)):
            data += connection.recv(4096)
        received.append(data)
        connection.sendall(b"stream: OK\0")
        connection.close()

    threading.Thread(target=answer, daemon=True).start()
    assert ClamdClient("127.0.0.1", port, chunk_bytes=4).scan(b"abcdef") is None
    listener.close()
    assert received == [b"zINSTREAM\0" + struct.pack(">I", 4) + b"abcd" + struct.pack(">I", 2) + b"ef"
                        + struct.pack(">I", 0)]


def test_a_dropped_connection_a_silent_scanner_and_none_at_all_give_no_verdict(
        standin: clamd_standin.Server) -> None:
    standin.behaviour = "drop"
    with pytest.raises(ScannerUnavailable, match="without a reply"):
        client(standin).scan(PDF)
    standin.behaviour = "silent"
    with pytest.raises(ScannerUnavailable):
        client(standin, timeout=0.3).scan(PDF)
    with pytest.raises(ScannerUnavailable):
        ClamdClient("127.0.0.1", free_port(), timeout=1).scan(PDF)  # nothing listens
    assert not ClamdClient("127.0.0.1", free_port(), timeout=1).ping()


def clamd_scans() -> dict[str, float]:
    """provider_calls_total{provider="clamd", operation="scan"} per outcome, over every service label."""
    counted = dict.fromkeys(OUTCOMES, 0.0)
    for family in metrics.REGISTRY.collect():
        for sample in family.samples:
            if sample.name == "provider_calls_total" and sample.labels["provider"] == "clamd":
                assert sample.labels["operation"] == "scan"
                counted[sample.labels["outcome"]] += sample.value
    return counted


def test_each_scan_is_counted_clean_infected_or_without_a_verdict(standin: clamd_standin.Server) -> None:
    scanner = client(standin, timeout=0.3)
    before = clamd_scans()
    assert scanner.scan(PDF) is None and scanner.scan(INFECTED_PDF) == "Eicar-Test-Signature"
    standin.behaviour = "silent"
    with pytest.raises(ScannerUnavailable):
        scanner.scan(PDF)
    standin.behaviour = "drop"
    with pytest.raises(ScannerUnavailable):
        scanner.scan(PDF)
    with pytest.raises(ScannerUnavailable):
        ClamdClient("127.0.0.1", free_port(), timeout=1).scan(PDF)  # refused: nothing listens
    after = clamd_scans()
    assert {outcome: after[outcome] - before[outcome] for outcome in OUTCOMES} == {
        "ok": 1, "infected": 1, "timeout": 1, "failed": 2}


def test_the_scan_series_exist_at_zero_before_the_first_scan() -> None:
    # increase() in the alert cannot see a series' first sample: a counter that appeared only at
    # billing's first refused upload after a start would leave that refusal unalerted.
    ClamdClient("127.0.0.1", free_port())
    lines = [line for line in metrics.exposition().splitlines()
             if line.startswith("provider_calls_total{") and 'provider="clamd"' in line]
    for outcome in OUTCOMES:
        assert any(f'outcome="{outcome}"' in line for line in lines), outcome


def test_replies_other_than_ok_or_found_are_no_verdict() -> None:
    assert verdict("stream: OK") is None and verdict("stream: Win.Test.EICAR_HDB-1 FOUND") == "Win.Test.EICAR_HDB-1"
    for reply in ("INSTREAM size limit exceeded. ERROR", "UNKNOWN COMMAND", ""):
        with pytest.raises(ScannerUnavailable):
            verdict(reply)


def test_an_infected_document_is_refused_and_nothing_is_kept(standin: clamd_standin.Server, tmp_path: Path) -> None:
    app = memory_app(documents_dir=tmp_path / "documents", virus_scanner=client(standin))
    applicant = uuid.uuid4()
    submitted = app.educational.apply(applicant, APPLICATION, None, CAUSE)["application_id"]
    refused("infected_document", lambda: app.educational.attach_document(applicant, submitted, INFECTED_PDF, CAUSE))
    assert app.educational.application(applicant, submitted, False)["document"] is None
    assert not (tmp_path / "documents").exists()
    standin.behaviour = "drop"
    refused("scanner_unavailable", lambda: app.educational.attach_document(applicant, submitted, PDF, CAUSE))
    assert app.educational.application(applicant, submitted, False)["document"] is None
    assert not (tmp_path / "documents").exists()
    standin.behaviour = "normal"
    assert app.educational.attach_document(applicant, submitted, PDF, CAUSE)["document"] is not None


def test_with_scanning_switched_off_a_document_is_kept_unscanned(tmp_path: Path) -> None:
    app = memory_app(documents_dir=tmp_path / "documents", virus_scanner=NoScanning())
    applicant = uuid.uuid4()
    submitted = app.educational.apply(applicant, APPLICATION, None, CAUSE)["application_id"]
    assert app.educational.attach_document(applicant, submitted, INFECTED_PDF, CAUSE)["document"] is not None


def test_the_settings_switch_scanning_and_name_the_scanner() -> None:
    default = BillingSettings.from_env({})
    assert default.virus_scan and (default.clamd_host, default.clamd_port) == ("127.0.0.1", 3310)
    chosen = BillingSettings.from_env({"VIRUS_SCAN": "off", "CLAMD_HOST": "clamd.infra", "CLAMD_PORT": "3311"})
    assert not chosen.virus_scan and (chosen.clamd_host, chosen.clamd_port) == ("clamd.infra", 3311)
