"""Uploaded documents scanned for viruses before they are kept (issue #19): a client of ClamAV's
clamd over TCP, as its manual documents INSTREAM: ``zINSTREAM\\0``, the content in chunks each
led by its length (4 bytes, big-endian), a zero-length chunk, then one reply ending in ``\\0``:
``stream: OK`` or ``stream: <signature> FOUND`` (anything else, e.g. ``INSTREAM size limit
exceeded. ERROR``, is no verdict). Sockets only; a real clamd is configuration (host, port).

Each scan is counted as provider_calls_total{provider="clamd", operation="scan"}: ``ok`` (clean),
``infected``, or without a verdict ``timeout`` / ``failed`` — what the VirusScannerUnavailable alert
watches (docs/operations.md)."""

from __future__ import annotations

import socket
import struct
from typing import Protocol

from shared.kernel import metrics

CHUNK_BYTES = 64 * 1024  # well under clamd's StreamMaxLength (25 MB by default) per chunk
MAX_REPLY_BYTES = 4096
PROVIDER, OPERATION = "clamd", "scan"
OUTCOMES = ("ok", "infected", "timeout", "failed")


class ScannerUnavailable(Exception):
    """No verdict (refused connection, timeout, dropped, an ERROR reply): the upload waits."""


class VirusScanner(Protocol):
    def scan(self, content: bytes) -> str | None:
        """None when clean, else the name of what was found; ScannerUnavailable without a verdict."""


class NoScanning:
    """Scanning switched off (VIRUS_SCAN=off): every document passes."""

    def scan(self, content: bytes) -> str | None:
        return None


class ClamdClient:
    def __init__(self, host: str, port: int, *, timeout: float = 10.0, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.host, self.port, self.timeout, self.chunk_bytes = host, port, timeout, chunk_bytes
        metrics.provider_series(PROVIDER, OPERATION, OUTCOMES)  # uploads are rare: alert on the first failure

    def scan(self, content: bytes) -> str | None:
        # ScannerUnavailable counts "timeout" when a socket timeout caused it, else "failed".
        with metrics.provider_call(PROVIDER, OPERATION) as call:
            try:
                with socket.create_connection((self.host, self.port), timeout=self.timeout) as connection:
                    connection.sendall(b"zINSTREAM\0")
                    for start in range(0, len(content), self.chunk_bytes):
                        chunk = content[start:start + self.chunk_bytes]
                        connection.sendall(struct.pack(">I", len(chunk)) + chunk)
                    connection.sendall(struct.pack(">I", 0))
                    reply = _reply(connection)
            except OSError as exc:  # refused, reset, timed out (socket.timeout is an OSError)
                raise ScannerUnavailable(f"clamd {self.host}:{self.port}: {exc}") from exc
            found = verdict(reply)
            if found is not None:
                call.outcome = "infected"
            return found

    def ping(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as connection:
                connection.sendall(b"zPING\0")
                return _reply(connection) == "PONG"
        except (OSError, ScannerUnavailable):
            return False


def _reply(connection: socket.socket) -> str:
    received = b""
    while not received.endswith(b"\0"):
        part = connection.recv(1024)
        if not part:
            break
        received += part
        if len(received) > MAX_REPLY_BYTES:
            raise ScannerUnavailable("clamd: reply too long")
    if not received:
        raise ScannerUnavailable("clamd: the connection closed without a reply")
    return received.rstrip(b"\0").decode("utf-8", "replace").strip()


def verdict(reply: str) -> str | None:
    """``stream: OK`` → None; ``stream: <name> FOUND`` → name; anything else: no verdict."""
    answer = reply.removeprefix("stream:").strip()
    if answer == "OK":
        return None
    if answer.endswith(" FOUND"):
        return answer.removesuffix(" FOUND").strip() or "unknown"
    raise ScannerUnavailable(f"clamd: {reply[:200]}")
