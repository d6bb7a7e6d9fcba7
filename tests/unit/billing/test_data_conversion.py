"""A new business arriving mid-year (AR-5, the FAQ's «تغییر سیستم»): converting its data from
other software is done by support and is an order line; it costs nothing for a returning
customer (one billing sold a business before, deleted since or not) and the catalog's price
for anyone else. Self-service import through the template is not an order line at all."""

from __future__ import annotations

import uuid

import pytest

from services.billing.application import BillingApplication
from services.billing.catalog import Catalog
from services.billing.domain import BusinessAccount, business_subject
from shared.kernel.subject_keys import Personal
from tests.support.billing import CAUSE, NEW_ORDER, memory_app
from tests.support.rules import refused

CONVERT = NEW_ORDER | {"data_conversion": True}


@pytest.fixture
def app() -> BillingApplication:
    return memory_app()


def sold(app: BillingApplication, customer: uuid.UUID, business_type: str = "trading") -> uuid.UUID:
    """A business billing sold ``customer`` before (its account, as a succeeded payment opens it)."""
    tenant = uuid.uuid4()
    app.save(BusinessAccount(tenant_id=tenant, owner_user_id=customer,
                             business_name=Personal(business_subject(tenant), "کافه نارنج"),
                             business_type=business_type))
    return tenant


def conversion_line(placed: dict[str, object]) -> dict[str, object]:
    invoice = placed["invoice"]
    assert isinstance(invoice, dict)
    [line] = [line for line in invoice["lines"] if line["item"] == "data_conversion"]
    return dict(line)


def test_a_new_customers_conversion_is_a_priced_line_with_vat(app: BillingApplication) -> None:
    placed = app.place_order(uuid.uuid4(), CONVERT, None, CAUSE)
    line = conversion_line(placed)
    assert (line["quantity"], line["unit_price_rials"], line["amount_rials"]) == (1, 40_000_000, 40_000_000)
    assert "تبدیل اطلاعات" in str(line["description"])
    invoice = placed["invoice"]
    assert isinstance(invoice, dict)
    assert invoice["subtotal_rials"] == 100_000_000 + 35_000_000 + 40_000_000
    assert invoice["vat_rials"] == 17_500_000  # 10% of the whole subtotal, the conversion included
    assert placed["data_conversion"] is True


def test_a_returning_customers_conversion_costs_nothing_and_says_why(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    earlier = sold(app, customer)
    placed = app.place_order(customer, CONVERT | {"returning_tenant_id": str(earlier)}, None, CAUSE)
    line = conversion_line(placed)
    assert (line["unit_price_rials"], line["amount_rials"]) == (0, 0)
    assert "رایگان برای مشتریان قدیم" in str(line["description"])
    invoice = placed["invoice"]
    assert isinstance(invoice, dict) and invoice["subtotal_rials"] == 135_000_000
    assert placed["conversion_free_for"] == str(earlier)


def test_only_a_business_billing_sold_this_customer_makes_them_returning(app: BillingApplication) -> None:
    customer, stranger = uuid.uuid4(), uuid.uuid4()
    someone_elses = sold(app, stranger)
    licensed = sold(app, customer, business_type="educational")  # free licence: nothing was bought
    for named in (str(someone_elses), str(licensed), str(uuid.uuid4()), "not-a-uuid"):
        error = refused("not_a_returning_customer", lambda n=named: app.place_order(
            customer, CONVERT | {"returning_tenant_id": n}, None, CAUSE))
        assert error.details == {"field": "returning_tenant_id"}


def test_conversion_is_ordered_with_a_new_business_and_a_change_can_add_or_drop_it(app: BillingApplication) -> None:
    customer = uuid.uuid4()
    earlier = sold(app, customer)
    renewal = {"kind": "renewal", "tenant_id": str(earlier), "products": ["accounting"], "period_months": 12,
               "data_conversion": True}
    refused("invalid_products", lambda: app.place_order(customer, renewal, None, CAUSE))

    placed = app.place_order(customer, NEW_ORDER, None, CAUSE)
    assert not [line for line in placed["invoice"]["lines"] if line["item"] == "data_conversion"]
    change = {k: v for k, v in CONVERT.items() if k != "kind"}
    changed = app.change_order(customer, placed["order_id"], change, CAUSE)
    assert changed["revision"] == 2 and not changed["invoice_current"]  # the invoice is for revision 1
    recalculated = app.calculate_invoice(customer, placed["order_id"], CAUSE)
    assert conversion_line(recalculated)["amount_rials"] == 40_000_000


def test_the_price_comes_from_configuration() -> None:
    app = memory_app(catalog=Catalog.from_env({"PRICE_DATA_CONVERSION_RIALS": "25000000"}))
    assert conversion_line(app.place_order(uuid.uuid4(), CONVERT, None, CAUSE))["amount_rials"] == 25_000_000
    assert app.catalog_view()["data_conversion_rials"] == 25_000_000
