"""structlog as JSON lines; the correlation id of the message or request being handled is
bound in a context variable so every line carries it without being passed around."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_configured = False


def configure(service: str, level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    _configured = True


def get_logger(**context: Any) -> Any:
    return structlog.get_logger().bind(**context)


def bind_correlation(correlation_id: str | None, causation_id: str | None = None) -> None:
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id, causation_id=causation_id)


def bind_trace(trace_id: str | None) -> None:
    """The W3C trace id of the work being done: always one parsed by shared/kernel/tracing.py
    (32 hex digits), never a header as a caller sent it."""
    structlog.contextvars.bind_contextvars(trace_id=trace_id)
