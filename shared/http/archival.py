"""Archival's request bodies and error table (AR-1 … AR-5), shared by the gateway and the
OpenAPI document; merged into shared/http/errors.py."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["xlsx", "csv", "json"] = "xlsx"


class RestoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # an opening-balances workbook


class OpeningBalancesUpload(BaseModel):
    """An opening-balances workbook sent as JSON (the portal's way; an xlsx body or a multipart
    `file` with an `as_of` field or query parameter are the others)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workbook_base64: str = Field(min_length=1, max_length=(MAX_UPLOAD_BYTES * 4) // 3 + 8)
    as_of: str | None = Field(default=None, max_length=30, description="Jalali, e.g. 1405/07/01 or ۱۴۰۵/۰۷/۰۱; "
                              "else the workbook's own as-of row")

ERRORS: dict[str, tuple[int, str, str]] = {
    "invalid_export_format": (422, "قالب خروجی باید xlsx، csv یا json باشد.",
                              "The export format must be xlsx, csv or json."),
    "no_books": (409, "هنوز دفاتری برای این کسب‌وکار ساخته نشده است.", "This business has no books yet."),
    "tenant_deleted": (410, "اطلاعات این کسب‌وکار حذف شده است؛ بازگردانی از پشتیبان با پرداخت هزینه ممکن است.",
                       "This business's data was deleted; a paid restore from backup may be possible."),
    "not_deleted": (409, "اطلاعات این کسب‌وکار حذف نشده است؛ بازگردانی فقط پس از حذف معنا دارد.",
                    "This business's data has not been deleted; a restore is only for deleted data."),
    "no_backup_retained": (409, "هیچ نسخهٔ پشتیبانی از این کسب‌وکار دیگر نگهداری نمی‌شود؛ بازگردانی ممکن نیست.",
                           "No backup of this business is kept any more; it cannot be restored."),
    "export_not_ready": (409, "فایل خروجی آماده نیست.", "The export is not ready."),
    "invalid_workbook": (422, "فایل یک کارپوشهٔ اکسل (xlsx) خوانا نیست.",
                         "The file is not a readable Excel (xlsx) workbook."),
    "invalid_opening_balances": (422, "برخی ردیف‌ها نادرست است؛ هیچ ردیفی وارد نشد. خطاها را در فهرست زیر ببینید.",
                                 "Some rows are wrong; nothing was imported. See the problems listed."),
    "opening_balances_exist": (409, "مانده‌های افتتاحیه قبلاً وارد شده است.", "Opening balances were already imported."),
    "file_too_large": (413, "فایل بزرگ‌تر از حد مجاز (۵ مگابایت) است.", "The file is larger than allowed (5 MB)."),
}
