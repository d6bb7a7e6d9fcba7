"""Tenancy's request bodies and error table (TE-1 … TE-3, PR-3): the gateway validates the
bodies, tenancy decides the rules. Numbers may be typed in Persian or Arabic-Indic digits."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.tenancy import PERMISSION_VOCABULARY
from shared.http.numbers import WholeNumber
from shared.http.text import PlainLine

ALL_PERMISSIONS = [p for perms in PERMISSION_VOCABULARY.values() for p in perms]


Count = Annotated[WholeNumber, Field(ge=1, le=10_000)]
PermissionName = Annotated[str, Field(min_length=1, max_length=100, json_schema_extra={"enum": ALL_PERMISSIONS})]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganizationRequest(_Body):
    name: PlainLine = Field(min_length=1, max_length=200)
    kind: Literal["office", "branch", "warehouse"]


class MemberRequest(_Body):
    mobile: str = Field(min_length=1, max_length=40)
    permissions: list[PermissionName] = Field(default_factory=list, max_length=50)


class InvitationRequest(_Body):
    """Invite a mobile number (Persian digits welcome) with the permissions the admin ticked."""

    mobile: str = Field(min_length=1, max_length=40)
    permissions: list[PermissionName] = Field(default_factory=list, max_length=50)


class PermissionsRequest(_Body):
    permissions: list[PermissionName] = Field(max_length=50)


class LimitsRequest(_Body):
    """New values (never lower than today's); omitted ones stay."""

    max_organizations: Count | None = None
    max_concurrent_users: Count | None = None
    max_members: Count | None = None

    @model_validator(mode="after")
    def _something(self) -> LimitsRequest:
        if self.max_organizations is None and self.max_concurrent_users is None and self.max_members is None:
            raise ValueError("give at least one of max_organizations, max_concurrent_users, max_members")
        return self


ERRORS: dict[str, tuple[int, str, str]] = {
    "organization_not_found": (404, "سازمان یافت نشد.", "The organization was not found."),
    "member_not_found": (404, "این کاربر عضو این کسب‌وکار نیست.", "This user is not a member of the business."),
    "session_not_found": (404, "این نشست کاری یافت نشد.", "The work session was not found."),
    "user_not_registered": (404, "کاربری با این شمارهٔ موبایل ثبت‌نام نکرده است؛ او را با همین شماره دعوت کنید.",
                            "No user has signed up with this mobile number; invite them by this number instead."),
    "invitation_not_found": (404, "این دعوت‌نامه یافت نشد.", "The invitation was not found."),
    "invitation_not_for_you": (
        403, "این دعوت‌نامه برای شمارهٔ موبایل دیگری است؛ با همان شماره‌ای وارد شوید که پیامک دعوت را گرفته است.",
        "This invitation is for another mobile number; log in with the number the invitation was texted to."),
    "invitation_expired": (410, "مهلت این دعوت‌نامه گذشته است؛ از مدیر کسب‌وکار بخواهید دوباره دعوتتان کند.",
                           "The invitation has expired; ask the business's admin to invite you again."),
    "invitation_revoked": (410, "مدیر کسب‌وکار این دعوت‌نامه را لغو کرده است.",
                           "The business's admin has withdrawn this invitation."),
    "invitation_replaced": (410, "دعوت‌نامهٔ تازه‌تری برای شما فرستاده شده است؛ پیوند آخرین پیامک را باز کنید.",
                            "A newer invitation was sent to you; open the link in the latest SMS."),
    "invitation_already_accepted": (409, "این دعوت‌نامه پیش‌تر پذیرفته شده است.",
                                    "This invitation has already been accepted."),
    "invitation_not_pending": (409, "این دعوت‌نامه دیگر در انتظار پذیرش نیست.",
                               "This invitation is no longer waiting to be accepted."),
    "too_many_invitations": (409, "دعوت‌نامه‌های در انتظار این کسب‌وکار به سقف رسیده است؛ چند دعوت قدیمی را لغو کنید.",
                             "This business has too many pending invitations; withdraw some old ones first."),
    "already_a_member": (409, "این کاربر قبلاً عضو این کسب‌وکار است.", "This user is already a member of the business."),
    "seat_limit_reached": (409, "همهٔ جایگاه‌های کاربری این کسب‌وکار پر است؛ مدیر کسب‌وکار برای افزایش با پشتیبانی "
                                "تماس بگیرد.",
                           "Every user seat of this business is taken; its admin can contact support to add more."),
    "organization_limit_reached": (
        409, "حداکثر تعداد سازمان‌های این کسب‌وکار تعریف شده است؛ برای افزایش با پشتیبانی تماس بگیرید.",
        "The business already has its maximum number of organizations; contact support to raise it."),
    "organization_name_taken": (409, "سازمانی با این نام در این کسب‌وکار وجود دارد.",
                                "The business already has an organization with this name."),
    "concurrent_user_limit": (
        409, "ظرفیت کاربران هم‌زمان این سازمان پر است؛ کمی بعد دوباره تلاش کنید.",
        "This organization has its maximum number of concurrent users; try again shortly."),
    "cannot_change_admin": (409, "دسترسی‌ها و عضویت مدیر کسب‌وکار تغییر نمی‌کند.",
                            "The business admin's membership and permissions cannot be changed."),
    "unknown_permission": (422, "یک یا چند دسترسی ناشناخته است.", "One or more permissions are unknown."),
    "permission_not_purchased": (422, "این دسترسی به بخشی مربوط است که این کسب‌وکار نخریده است.",
                                 "This permission belongs to a module the business has not bought."),
    "invalid_organization_name": (422, "نام سازمان معتبر نیست.", "The organization name is not valid."),
    "invalid_organization_kind": (422, "نوع سازمان باید شعبه، دفتر یا انبار باشد.",
                                  "The organization kind must be branch, office or warehouse."),
    "invalid_limits": (422, "مقدار سقف معتبر نیست.", "A limit value is not valid."),
    "limits_not_raised": (422, "سقف‌ها فقط افزایش می‌یابند و دست‌کم یکی باید بیشتر شود.",
                          "Limits are only raised, and at least one must rise."),
    "subscription_lapsed": (409, "اشتراک این کسب‌وکار به پایان رسیده است؛ برای ادامهٔ کار تمدید کنید.",
                            "This business's subscription has ended; renew to keep working."),
    "business_purged": (410, "اطلاعات این کسب‌وکار حذف شده است.", "This business's data has been deleted."),
    "session_expired": (410, "این نشست کاری منقضی شده است؛ نشست تازه‌ای بگیرید.",
                        "This work session has expired; take a new one."),
}
