"""The SMS a business's admin gets when it is ready (PR-2 … PR-5, NO-1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.notifications.notices import notices_for
from shared.events.provisioning import TenantProvisionedV1


def test_the_admin_is_told_the_business_is_ready_in_persian_and_english() -> None:
    admin = uuid.uuid4()
    event = TenantProvisionedV1(
        tenant_id=uuid.uuid4(), source="payment", source_id=uuid.uuid4(), business_name="شرکت آفتاب",
        business_type="manufacturing", chart_of_accounts="manufacturing", chart_version="1405.1",
        chart_account_count=206, admin_user_id=admin, seats=3, support_until=datetime(2027, 11, 28, 10, tzinfo=UTC),
        support_channels=("ticket", "phone", "in_person"), initial_training_offered=True)
    [notice] = notices_for(event)
    assert notice.user_id == admin and notice.template == "provisioning.tenant_provisioned"
    fa = notice.text("fa")
    assert "«شرکت آفتاب»" in fa and "تولیدی" in fa and "۲۰۶ حساب" in fa and "۲ کاربر دیگر" in fa
    assert "۱۴۰۶/۰۹/۰۷" in fa  # Jalali, Persian digits
    en = notice.text("en")
    assert "manufacturing chart of accounts (206 accounts)" in en and "1406/09/07" in en and "2 more users" in en
