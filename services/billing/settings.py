"""Billing's own settings, read once, in service.build_application (the composition root);
the catalog's prices are read from the same mapping by ``Catalog.from_env``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from services.billing.zarinpal import DEFAULT_GRAPHQL_URL


@dataclass(frozen=True)
class BillingSettings:
    gateway_url: str = "http://127.0.0.1:8030"  # Zarinpal's REST base (the sandbox locally)
    merchant_id: str = "00000000-0000-0000-0000-000000000000"
    access_token: str = "development"  # Bearer token of the GraphQL API (refunds)
    gateway_timeout_seconds: float = 10.0
    graphql_url: str = DEFAULT_GRAPHQL_URL
    terminal_id: str = ""
    public_base_url: str = "http://127.0.0.1:8000"  # where browsers reach the gateway (the callback)
    reconcile_seconds: float = 10.0
    inquiry_after_seconds: float = 600.0
    give_up_seconds: float = 3600.0
    refund_retry_base_seconds: float = 30.0
    # The taxpayer system (سامانه مؤدیان, issue #19): its v2 API (tools/tax_sandbox.py locally),
    # the memory id it assigned the vendor, the seller's economic code, the vendor's key and
    # certificate (PEM files; empty: a development pair under var/keys/).
    moadian_url: str = "http://127.0.0.1:8040/requestsmanager/api/v2/"
    moadian_memory_id: str = "A1B2C3"
    moadian_seller_tin: str = "14100000004"
    moadian_key_file: str = ""
    moadian_certificate_file: str = ""
    moadian_system_key_file: str = ""  # the system's public key (PEM); empty: the one server-information gives
    moadian_timeout_seconds: float = 10.0
    moadian_retry_base_seconds: float = 10.0
    moadian_ask_after_seconds: float = 5.0
    # Uploaded documents scanned by clamd before they are kept (issue #19): on unless VIRUS_SCAN=off;
    # locally tools/clamd_standin.py on clamd's own port, a real clamd in production.
    virus_scan: bool = True
    clamd_host: str = "127.0.0.1"
    clamd_port: int = 3310
    clamd_timeout_seconds: float = 10.0

    @property
    def inquiry_after(self) -> timedelta:
        return timedelta(seconds=self.inquiry_after_seconds)

    @property
    def give_up_after(self) -> timedelta:
        return timedelta(seconds=self.give_up_seconds)

    @property
    def refund_retry_base(self) -> timedelta:
        return timedelta(seconds=self.refund_retry_base_seconds)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BillingSettings:
        d = cls()
        return cls(gateway_url=env.get("PAYMENT_GATEWAY_URL", d.gateway_url),
                   merchant_id=env.get("PAYMENT_MERCHANT_ID", d.merchant_id),
                   access_token=env.get("PAYMENT_ACCESS_TOKEN", d.access_token),
                   gateway_timeout_seconds=float(env.get("PAYMENT_GATEWAY_TIMEOUT_SECONDS",
                                                         d.gateway_timeout_seconds)),
                   graphql_url=env.get("PAYMENT_GRAPHQL_URL", d.graphql_url),
                   terminal_id=env.get("PAYMENT_TERMINAL_ID", d.terminal_id),
                   public_base_url=env.get("PUBLIC_BASE_URL", d.public_base_url),
                   reconcile_seconds=float(env.get("BILLING_RECONCILE_SECONDS", d.reconcile_seconds)),
                   inquiry_after_seconds=float(env.get("PAYMENT_INQUIRY_AFTER_SECONDS", d.inquiry_after_seconds)),
                   give_up_seconds=float(env.get("PAYMENT_GIVE_UP_SECONDS", d.give_up_seconds)),
                   refund_retry_base_seconds=float(env.get("REFUND_RETRY_BASE_SECONDS",
                                                           d.refund_retry_base_seconds)),
                   moadian_url=env.get("MOADIAN_URL", d.moadian_url),
                   moadian_memory_id=env.get("MOADIAN_MEMORY_ID", d.moadian_memory_id),
                   moadian_seller_tin=env.get("MOADIAN_SELLER_TIN", d.moadian_seller_tin),
                   moadian_key_file=env.get("MOADIAN_KEY_FILE", d.moadian_key_file),
                   moadian_certificate_file=env.get("MOADIAN_CERTIFICATE_FILE", d.moadian_certificate_file),
                   moadian_system_key_file=env.get("MOADIAN_SYSTEM_KEY_FILE", d.moadian_system_key_file),
                   moadian_timeout_seconds=float(env.get("MOADIAN_TIMEOUT_SECONDS", d.moadian_timeout_seconds)),
                   moadian_retry_base_seconds=float(env.get("MOADIAN_RETRY_BASE_SECONDS",
                                                            d.moadian_retry_base_seconds)),
                   moadian_ask_after_seconds=float(env.get("MOADIAN_ASK_AFTER_SECONDS", d.moadian_ask_after_seconds)),
                   virus_scan=env.get("VIRUS_SCAN", "on").strip().lower() not in ("off", "0", "false", "no"),
                   clamd_host=env.get("CLAMD_HOST", d.clamd_host), clamd_port=int(env.get("CLAMD_PORT", d.clamd_port)),
                   clamd_timeout_seconds=float(env.get("CLAMD_TIMEOUT_SECONDS", d.clamd_timeout_seconds)))
