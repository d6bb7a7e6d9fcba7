"""Billing's settings and catalog come from the environment the composition root passes
(service.build_application); nothing below it reads os.environ."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

from services.billing.catalog import Catalog
from services.billing.settings import BillingSettings
from services.billing.zarinpal import DEFAULT_GRAPHQL_URL

BILLING = Path(__file__).resolve().parents[3] / "services" / "billing"


def test_defaults_work_on_a_developers_machine() -> None:
    settings = BillingSettings.from_env({})
    assert settings == BillingSettings()
    assert settings.gateway_url == "http://127.0.0.1:8030" and settings.graphql_url == DEFAULT_GRAPHQL_URL
    assert settings.inquiry_after == timedelta(minutes=10) and settings.give_up_after == timedelta(hours=1)
    assert settings.refund_retry_base == timedelta(seconds=30) and settings.reconcile_seconds == 10


def test_every_setting_is_read_from_its_variable() -> None:
    settings = BillingSettings.from_env({
        "PAYMENT_GATEWAY_URL": "https://payment.zarinpal.com", "PAYMENT_MERCHANT_ID": "m",
        "PAYMENT_ACCESS_TOKEN": "tok", "PAYMENT_GATEWAY_TIMEOUT_SECONDS": "3", "PAYMENT_GRAPHQL_URL": "https://g/",
        "PAYMENT_TERMINAL_ID": "77", "PUBLIC_BASE_URL": "https://portal", "BILLING_RECONCILE_SECONDS": "3600",
        "PAYMENT_INQUIRY_AFTER_SECONDS": "60", "PAYMENT_GIVE_UP_SECONDS": "120", "REFUND_RETRY_BASE_SECONDS": "5"})
    assert settings == BillingSettings(
        gateway_url="https://payment.zarinpal.com", merchant_id="m", access_token="tok", gateway_timeout_seconds=3,
        graphql_url="https://g/", terminal_id="77", public_base_url="https://portal", reconcile_seconds=3600,
        inquiry_after_seconds=60, give_up_seconds=120, refund_retry_base_seconds=5)


def test_prices_and_vat_are_checked() -> None:
    with pytest.raises(ValueError, match="VAT_PERCENT"):
        Catalog.from_env({"VAT_PERCENT": "101"})
    with pytest.raises(ValueError, match="negative"):
        Catalog.from_env({"PRICE_PAYROLL_6M": "-1"})
    assert Catalog.from_env({"RESTORE_PRICE_RIALS": "7"}).invoice_for({"kind": "restore"})["subtotal_rials"] == 7


def test_only_the_composition_root_reads_the_environment() -> None:
    readers = []
    for module in BILLING.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.Attribute) and node.attr == "environ" for node in ast.walk(tree)):
            readers.append(module.name)
    assert sorted(readers) == ["service.py", "settings.py"]


def test_no_module_of_billing_imports_its_application_but_the_edge() -> None:
    importers = sorted(module.name for module in BILLING.glob("*.py")
                       if "services.billing.application" in module.read_text(encoding="utf-8"))
    assert importers == ["service.py"]
