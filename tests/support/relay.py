"""The relay's checkpoint in memory, for tests of the relay's rules (the real ones are
tests/integration/test_relay.py's): it counts its saves and announces no commits (the relay polls)."""

from __future__ import annotations


class MemoryCheckpoint:
    def __init__(self) -> None:
        self.position, self.saves = 0, 0

    def load(self) -> int:
        return self.position

    def save(self, position: int) -> None:
        self.position, self.saves = position, self.saves + 1

    def acquire_leadership(self) -> bool:
        return True

    def listen(self, channel: str) -> bool:
        return False

    def wait_for_commits(self, seconds: float) -> bool:
        raise NotImplementedError("announces nothing: listen() said so")

    def reconnect(self) -> None:
        pass

    def close(self) -> None:
        pass
