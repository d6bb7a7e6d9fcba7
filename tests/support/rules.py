"""Asserting a rule refused something: the DomainError code a use case raised."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.kernel.errors import DomainError


def refused(code: str, action: Callable[[], object]) -> DomainError:
    """``action()`` must raise DomainError ``code``; the error, for its details."""
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code, (caught.value.code, caught.value.details)
    return caught.value
