"""What the gateway shares with provisioning: its error table (the route takes no body)."""

from __future__ import annotations

# code → (HTTP status, Persian, English), merged into shared/http/errors.py
ERRORS: dict[str, tuple[int, str, str]] = {
    "tenant_not_found": (
        404, "کسب‌وکاری با این شناسه آماده‌سازی نشده است؛ اگر تازه پرداخت کرده‌اید چند لحظهٔ دیگر دوباره ببینید.",
        "No business with this id has been provisioned; if you have just paid, look again in a moment."),
}
