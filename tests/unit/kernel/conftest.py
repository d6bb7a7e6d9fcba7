"""Fixtures the kernel's tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.kernel.config import Settings
from shared.kernel.tracing import Tracing


@pytest.fixture
def exported() -> Iterator[tuple[Tracing, InMemorySpanExporter]]:
    """A tracing that exports its spans into memory."""
    tracing, spans = Tracing(), InMemorySpanExporter()
    tracing.configure(Settings(service="billing", namespace="t1", environment="test"), exporter=spans)
    yield tracing, spans
    tracing.shutdown()
