"""The invitation's SMS (issue #19): sent to the invited number itself (no account needed),
in Persian, with the permissions in words from the one table and a link to the portal's
accept page; once per event, whatever the redeliveries; nothing after the business's purge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications import templates
from shared.events import tenancy
from shared.kernel.store import AlreadyHandled
from tests.support.notifications import FakeSms, deliver, envelope_at, notifications_in_memory, purge_of

TENANT, INVITATION, ADMIN = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
AT = datetime(2027, 3, 14, 6, 30, tzinfo=UTC)


def invited(**changes: object) -> tenancy.MemberInvitedV1:
    values: dict[str, object] = dict(
        tenant_id=TENANT, business_name="فروشگاه آفتاب", invitation_id=INVITATION, mobile="+989121234567",
        permissions=("sales.read", "sales.write"), invited_by_user_id=ADMIN, invited_at=AT,
        expires_at=AT + timedelta(days=7))
    return tenancy.MemberInvitedV1(**(values | changes))  # type: ignore[arg-type]


def test_the_text_names_the_business_the_rights_in_words_the_deadline_and_the_link() -> None:
    fa = templates.invitation(invited(), "https://portal.example.ir/")
    assert "«فروشگاه آفتاب»" in fa and "دیدن فروش، ثبت فروش" in fa and "sales.read" not in fa
    assert "۱۴۰۶/۰۱/۰۱" in fa  # 21 March 2027 is 1 Farvardin 1406, in Persian digits
    assert fa.splitlines()[-1] == f"https://portal.example.ir/#/invitations/{TENANT}/{INVITATION}"
    en = templates.invitation(invited(permissions=()), "https://portal.example.ir", "en")
    assert "no permissions" in en and "1406/01/01" in en and "sign up or log in with this number" in en


def test_the_invited_number_gets_one_sms_whatever_the_redeliveries() -> None:
    sms = FakeSms()
    app = notifications_in_memory(sms, portal_url="https://portal.example.ir")
    envelope = deliver(app, invited())
    with pytest.raises(AlreadyHandled):
        deliver(app, invited(), envelope=envelope)
    [(to, text, _)] = sms.sent
    assert to == "+989121234567" and text.endswith(f"/#/invitations/{TENANT}/{INVITATION}")
    [listed] = app.messages_to("۰۹۱۲۱۲۳۴۵۶۷")
    assert listed["template"] == "tenancy.member_invited" and listed["status"] == "sent"


def test_no_invitation_is_sent_for_a_business_purged_since() -> None:
    sms = FakeSms()
    app = notifications_in_memory(sms)
    lapse = tenancy.TenantLapsedV1(tenant_id=TENANT, business_name="فروشگاه آفتاب", admin_user_id=ADMIN,
                                   lapsed_at=datetime(2026, 12, 1, tzinfo=UTC))
    deliver(app, purge_of(lapse))  # purged on 1 March 2027
    deliver(app, invited(), envelope=envelope_at(invited(), datetime(2027, 2, 1, tzinfo=UTC)))
    assert sms.sent == []
