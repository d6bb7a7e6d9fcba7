"""What provisioning answers about a business's books beyond the payslip (issue #18): an
asset's depreciation schedule (PR-7) for its admin or support, only once fixed assets are
bought, typed input refused by field; and the tenant view's branches with the detail
(تفصیلی «شعب») codes their inter-branch postings name (TE-1)."""

from __future__ import annotations

import uuid

import pytest

from services.provisioning import policies
from services.provisioning.application import ProvisioningApplication
from shared.events.tenancy import OrganizationAddedV1
from shared.kernel.errors import DomainError
from tests.support.provisioning import provisioning_app
from tests.support.provisioning_orders import inbound, payment

# A laptop bought for 240,000,000 rials, ready for use on ۱۴۰۴/۰۳/۱۵: computers are 3 years
# straight line, so 240,000,000 ÷ 36 = 6,666,666⅔ a month from تیر ۱۴۰۴ (ready mid-month → next month).
LAPTOP = {"category": "computers", "cost": 240_000_000, "in_service": "۱۴۰۴/۰۳/۱۵"}


@pytest.fixture
def app() -> ProvisioningApplication:
    return provisioning_app()


def bought(app: ProvisioningApplication, products: tuple[str, ...] = ("accounting", "fixed_assets"),
           business_type: str = "trading") -> tuple[uuid.UUID, uuid.UUID]:
    admin = uuid.uuid4()
    paid = payment(products=products, payer=admin, business_type=business_type)
    policies.handle(app, inbound(paid))
    return paid.tenant_id, admin


def test_the_admin_gets_a_schedule_with_the_categorys_accounts_and_its_provisional_status(
        app: ProvisioningApplication) -> None:
    tenant, admin = bought(app)
    shown = app.depreciation_schedule(tenant, admin, [], dict(LAPTOP))
    assert shown["first_month"] == {"jalali": "۱۴۰۴/۰۴", "jalali_latin": "1404/04"}
    assert shown["last_month"]["jalali_latin"] == "1407/03"  # 36 months
    years = {y["year"]: y["depreciation"] for y in shown["years"]}
    assert years == {1404: 60_000_000, 1405: 80_000_000, 1406: 80_000_000, 1407: 20_000_000}  # 9, 12, 12, 3 months
    assert sum(years.values()) == 240_000_000 and shown["months"][-1]["book_value"] == 0
    assert shown["category"]["accounts"] == {"cost": "20107", "accumulated": "20206", "expense": "80111"}
    assert shown["provisional"] is True and shown["provisional_why"]["category"]  # the table's rows were not read
    assert shown["table_policy"] is True


def test_the_business_may_use_its_own_method_and_the_schedule_says_it_is_not_the_tables(
        app: ProvisioningApplication) -> None:
    tenant, admin = bought(app)
    car = {"category": "passenger_vehicles", "cost": "۱۰۰۰۰۰۰۰۰۰", "in_service": "1404/01/01",
           "method": "declining_balance", "rate_percent": "25", "through_year": 1405}
    shown = app.depreciation_schedule(tenant, admin, ["support"], car)
    # 25% of 1,000,000,000 in 1404; 25% of the 750,000,000 left in 1405
    assert [(y["year"], y["depreciation"]) for y in shown["years"]] == [(1404, 250_000_000), (1405, 187_500_000)]
    assert shown["table_policy"] is False and shown["category"]["method"] == "declining_balance"


@pytest.mark.parametrize("asset, code, field", [
    ({**LAPTOP, "in_service": "1404/13/01"}, "invalid_jalali_date", "in_service"),
    ({**LAPTOP, "in_service": "۱۴۰۴/۱۲/۳۰"}, "invalid_jalali_date", "in_service"),  # 1404 is not a leap year
    ({**LAPTOP, "category": "spaceships"}, "unknown_asset_category", None),
    ({**LAPTOP, "cost": 0}, "asset_cost_must_be_positive", None),
    ({**LAPTOP, "salvage": 240_000_000}, "salvage_must_be_below_cost", None),
    ({**LAPTOP, "idle": [{"first": "1405/06", "last": "1405/01"}]}, "idle_period_ends_before_it_starts", None),
    ({**LAPTOP, "idle": [{"first": "1405/x", "last": "1405/09"}]}, "invalid_jalali_date", "idle.first"),
    ({**LAPTOP, "method": "declining_balance", "rate_percent": "abc"}, "invalid_number", "rate_percent"),
])
def test_bad_input_is_refused_by_its_field(app: ProvisioningApplication, asset: dict[str, object], code: str,
                                           field: str | None) -> None:
    tenant, admin = bought(app)
    with pytest.raises(DomainError) as refused:
        app.depreciation_schedule(tenant, admin, [], asset)
    assert refused.value.code == code
    if field:
        assert refused.value.details["field"] == field


def test_only_the_admin_or_support_and_only_with_fixed_assets(app: ProvisioningApplication) -> None:
    tenant, admin = bought(app)
    with pytest.raises(DomainError, match="forbidden"):
        app.depreciation_schedule(tenant, uuid.uuid4(), ["customer"], dict(LAPTOP))
    with pytest.raises(DomainError, match="tenant_not_found"):
        app.depreciation_schedule(uuid.uuid4(), admin, [], dict(LAPTOP))
    plain, its_admin = bought(app, products=("accounting",))
    with pytest.raises(DomainError, match="fixed_assets_not_active"):
        app.depreciation_schedule(plain, its_admin, [], dict(LAPTOP))


def test_the_tenant_view_lists_the_head_office_and_each_organization_with_its_detail_code(
        app: ProvisioningApplication) -> None:
    tenant, admin = bought(app)
    assert app.tenant(tenant, admin, [])["branches"] == [
        {"organization_id": None, "name": "دفتر مرکزی", "kind": "head_office", "detail_code": "500001"}]
    tabriz, depot = uuid.uuid4(), uuid.uuid4()
    for organization_id, name, kind in ((tabriz, "شعبهٔ تبریز", "branch"), (depot, "انبار شیراز", "warehouse")):
        policies.handle(app, inbound(OrganizationAddedV1(
            organization_id=organization_id, tenant_id=tenant, name=name, kind=kind, added_by_user_id=admin,
            organizations_count=2, max_organizations=3)))
    assert app.tenant(tenant, admin, [])["branches"][1:] == [
        {"organization_id": str(tabriz), "name": "شعبهٔ تبریز", "kind": "branch", "detail_code": "500002"},
        {"organization_id": str(depot), "name": "انبار شیراز", "kind": "warehouse", "detail_code": "500003"}]


def test_the_tenant_view_offers_the_asset_categories_once_fixed_assets_are_bought(
        app: ProvisioningApplication) -> None:
    tenant, admin = bought(app)
    offered = {c["code"]: c for c in app.tenant(tenant, admin, [])["asset_categories"]}
    assert offered["computers"] == {"code": "computers", "fa": "رایانهٔ شخصی و تجهیزات جانبی",
                                    "en": offered["computers"]["en"], "method": "straight_line",
                                    "rate_percent": None, "useful_life_years": 3, "provisional": True}
    assert offered["land"]["method"] == "none"
    plain, its_admin = bought(app, products=("accounting",))
    assert app.tenant(plain, its_admin, [])["asset_categories"] == []
