"""A local stand-in for ClamAV's clamd on loopback, speaking the part of its TCP protocol billing
uses (services/billing/virus_scan.py): ``zINSTREAM`` (length-prefixed chunks, a zero-length end)
answered ``stream: OK`` or ``stream: Eicar-Test-Signature FOUND`` when the stream holds the EICAR
test string, and ``zPING`` → ``PONG``. It knows no other virus: it proves the wiring, a real clamd
(docs/operations.md "Virus scanning") does the scanning.

    python -m tools.clamd_standin 127.0.0.1:3310      (make run and the platform tests)

In-process (tests), ``serve()`` returns the server; its ``behaviour`` may be set to ``"drop"``
(close without a reply) or ``"silent"`` (read, never answer) to play a broken scanner."""

from __future__ import annotations

import socketserver
import struct
import sys
import threading
import time

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
STREAM_MAX_BYTES = 25 * 1024 * 1024  # clamd's StreamMaxLength default


class _Handler(socketserver.StreamRequestHandler):
    server: Server

    def handle(self) -> None:
        command = b""
        while not command.endswith((b"\0", b"\n")) and len(command) < 64:
            byte = self.rfile.read(1)
            if not byte:
                return
            command += byte
        name = command[1:-1] if command[:1] in (b"z", b"n") else command[:-1]
        if name == b"PING":
            self.wfile.write(b"PONG\0")
        elif name == b"INSTREAM":
            self._instream()
        else:
            self.wfile.write(b"UNKNOWN COMMAND\0")

    def _instream(self) -> None:
        received = bytearray()
        while True:
            header = self.rfile.read(4)
            if len(header) < 4:
                return
            (length,) = struct.unpack(">I", header)
            if length == 0:
                break
            if len(received) + length > STREAM_MAX_BYTES:
                self.wfile.write(b"INSTREAM size limit exceeded. ERROR\0")
                return
            received += self.rfile.read(length)
        if self.server.behaviour == "drop":
            return
        if self.server.behaviour == "silent":
            time.sleep(60)
            return
        found = EICAR in received
        self.wfile.write(b"stream: Eicar-Test-Signature FOUND\0" if found else b"stream: OK\0")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    behaviour = "normal"


def serve(host: str = "127.0.0.1", port: int = 0) -> Server:
    """The stand-in in a background thread; ``server.server_address`` is where it listens."""
    server = Server((host, port), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str]) -> int:
    host, _, port = (argv[0] if argv else "127.0.0.1:3310").rpartition(":")
    Server((host or "127.0.0.1", int(port)), _Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
