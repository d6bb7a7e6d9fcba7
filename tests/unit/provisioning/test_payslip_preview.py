"""The payslip preview (PR-6) as provisioning answers it: computed with the formulas and
tables in the business's own books (the ones seeded there, or the tenant's own changes), for
its admin or support only, refused before payroll is bought; a provisional year says so."""

from __future__ import annotations

import json
import uuid

import pytest

from services.provisioning import policies
from services.provisioning.application import ProvisioningApplication
from shared.kernel.errors import DomainError
from tests.support.provisioning import MemoryBooks, provisioning_app
from tests.support.provisioning_orders import inbound, payment

# The worker of tests/unit/provisioning/test_payroll.py: Ordibehesht 1404 (31 days).
WORKER = {"daily_wage": 10_000_000, "years_of_service": 3, "married": 1, "children": 2, "overtime_hours": 22,
          "loan_installment_amount": 15_000_000, "advance_amount": 20_000_000}


@pytest.fixture
def app() -> ProvisioningApplication:
    return provisioning_app()


def bought_payroll(app: ProvisioningApplication) -> tuple[uuid.UUID, uuid.UUID]:
    admin = uuid.uuid4()
    paid = payment(products=("accounting", "payroll"), payer=admin)
    policies.handle(app, inbound(paid))
    return paid.tenant_id, admin


def test_the_preview_uses_the_books_formulas_and_shows_each_line(app: ProvisioningApplication) -> None:
    tenant, admin = bought_payroll(app)
    slip = app.payslip_preview(tenant, admin, [], WORKER, 1404, 2)
    # gross 412,090,736; deductions 27,391,616 + 22,852,912 + 15,000,000 + 20,000,000 = 85,244,528
    assert (slip["gross_pay"], slip["total_deductions"], slip["net_pay"]) == (412_090_736, 85_244_528, 326_846_208)
    assert slip["employer_cost"] == 78_261_760 + 11_739_264          # 20% + 3% of 391,308,800
    assert (slip["month_days"], slip["days_paid"], slip["month_label"]) == (31, 31, "اردیبهشت ۱۴۰۴")
    assert slip["provisional"] is False and slip["table"]["jalali_from"] == "1404/01/01"
    lines = {line["code"]: line for line in slip["lines"]}
    assert lines["housing_allowance"] == {"code": "housing_allowance", "fa": "حق مسکن", "en": "Housing allowance",
                                          "kind": "earning", "amount": 9_000_000}
    assert slip["rounding"]["fa"] and slip["rounding"]["en"]


def test_a_provisional_year_says_so(app: ProvisioningApplication) -> None:
    tenant, admin = bought_payroll(app)
    slip = app.payslip_preview(tenant, admin, [], {"daily_wage": 4_000_000}, 1405, 9, "en")
    assert slip["provisional"] is True and slip["table"]["status"] == "provisional"
    assert "1404" in slip["table"]["provisional_why"]["en"] and slip["table"]["provisional_why"]["fa"]
    assert slip["month_label"] == "1405/09"


def test_the_tenants_own_formulas_and_figures_are_used(app: ProvisioningApplication) -> None:
    tenant, admin = bought_payroll(app)
    books = app.books
    assert isinstance(books, MemoryBooks)
    with books.open(tenant) as connection:  # the tenant pays a housing allowance of 12,000,000 in 1404
        constants = json.loads(connection.execute(
            "SELECT constants FROM payroll_tables WHERE jalali_from = '1404/01/01'").fetchone()[0])
        connection.execute("UPDATE payroll_tables SET constants = ? WHERE jalali_from = '1404/01/01'",
                           (json.dumps({**constants, "housing_monthly": 12_000_000}),))
    slip = app.payslip_preview(tenant, admin, ["support"], WORKER, 1404, 2)
    assert {line["code"]: line["amount"] for line in slip["lines"]}["housing_allowance"] == 12_000_000
    assert slip["gross_pay"] == 412_090_736 + 3_000_000


def test_only_its_admin_or_support_and_only_with_payroll(app: ProvisioningApplication) -> None:
    tenant, _ = bought_payroll(app)
    with pytest.raises(DomainError) as refused:
        app.payslip_preview(tenant, uuid.uuid4(), [], WORKER, 1404, 2)
    assert refused.value.code == "forbidden"
    admin = uuid.uuid4()
    without = payment(payer=admin)  # accounting only
    policies.handle(app, inbound(without))
    with pytest.raises(DomainError) as refused:
        app.payslip_preview(without.tenant_id, admin, [], WORKER, 1404, 2)
    assert refused.value.code == "payroll_not_active"
    with pytest.raises(DomainError) as refused:
        app.payslip_preview(uuid.uuid4(), admin, ["support"], WORKER, 1404, 2)
    assert refused.value.code == "tenant_not_found"


def test_a_bad_record_is_refused_with_its_field(app: ProvisioningApplication) -> None:
    tenant, admin = bought_payroll(app)
    with pytest.raises(DomainError) as refused:
        app.payslip_preview(tenant, admin, [], {"daily_wage": 4_000_000, "absent_days": 40}, 1404, 7)
    assert (refused.value.code, refused.value.details) == ("invalid_payroll_input", {"field": "absent_days"})
    with pytest.raises(DomainError) as refused:
        app.payslip_preview(tenant, admin, [], WORKER, 1404, 13)
    assert refused.value.code == "invalid_payroll_month"
