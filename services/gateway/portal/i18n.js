// Persian first: the words of the portal in Persian and English, Persian digits in Persian
// text, Jalali dates in Tehran time, rials with thousands separators. No library: the Jalali
// conversion is the usual day-count arithmetic, checked against jdatetime in the tests.

const PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
const ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩";
const JALALI_MONTHS = {
  fa: ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"],
  en: ["Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr", "Aban", "Azar", "Dey",
       "Bahman", "Esfand"],
};

let current = localStorage.getItem("portal.lang") === "en" ? "en" : "fa";

export function lang() { return current; }

export function setLang(value) {
  current = value === "en" ? "en" : "fa";
  localStorage.setItem("portal.lang", current);
  document.documentElement.lang = current;
  document.documentElement.dir = current === "fa" ? "rtl" : "ltr";
}

/** Digits as the reader reads them: Persian in Persian text. */
export function digits(text) {
  const s = String(text);
  return current === "fa" ? s.replace(/[0-9]/g, (d) => PERSIAN_DIGITS[+d]) : s;
}

/** What a person typed, with Persian or Arabic-Indic digits made Latin (for the API). */
export function latinDigits(text) {
  return String(text)
    .replace(/[۰-۹]/g, (d) => String(PERSIAN_DIGITS.indexOf(d)))
    .replace(/[٠-٩]/g, (d) => String(ARABIC_DIGITS.indexOf(d)));
}

export function number(n) {
  const grouped = String(Math.trunc(Number(n) || 0)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return current === "fa" ? digits(grouped).replace(/,/g, "٬") : grouped;
}

/** A list in running text: «الف، ب» / "a, b". */
export function joined(items) { return items.join(current === "fa" ? "، " : ", "); }

export function rials(n) { return `${number(n)} ${t("rials")}`; }

/** Gregorian → Jalali (year, month 1–12, day). */
export function toJalali(gy, gm, gd) {
  const before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
  const gy2 = gm > 2 ? gy + 1 : gy;
  let days = 355666 + 365 * gy + Math.floor((gy2 + 3) / 4) - Math.floor((gy2 + 99) / 100)
    + Math.floor((gy2 + 399) / 400) + gd + before[gm - 1];
  let jy = -1595 + 33 * Math.floor(days / 12053);
  days %= 12053;
  jy += 4 * Math.floor(days / 1461);
  days %= 1461;
  if (days > 365) {
    jy += Math.floor((days - 1) / 365);
    days = (days - 1) % 365;
  }
  const jm = days < 186 ? 1 + Math.floor(days / 31) : 7 + Math.floor((days - 186) / 30);
  const jd = days < 186 ? 1 + (days % 31) : 1 + ((days - 186) % 30);
  return [jy, jm, jd];
}

/** A moment from the API: an ISO string, or a service's {utc | iso, jalali, …}. */
export function moment(value) {
  if (!value) return null;
  const text = typeof value === "object" ? value.utc ?? value.iso : value;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

const TEHRAN = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Tehran", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

function tehranParts(date) {
  const parts = Object.fromEntries(TEHRAN.formatToParts(date).map((p) => [p.type, p.value]));
  return { y: +parts.year, m: +parts.month, d: +parts.day, hh: parts.hour, mm: parts.minute };
}

/** e.g. «۷ آذر ۱۴۰۵» / "7 Azar 1405"; with the time in Tehran when asked. */
export function jalali(value, withTime = false) {
  const date = moment(value);
  if (!date) return "";
  const p = tehranParts(date);
  const [jy, jm, jd] = toJalali(p.y, p.m, p.d);
  const day = `${jd} ${JALALI_MONTHS[current][jm - 1]} ${jy}`;
  const text = withTime ? `${day}${current === "fa" ? "، ساعت " : ", "}${p.hh}:${p.mm}` : day;
  return digits(text);
}

/** Today in Tehran as a Jalali [year, month, day]. */
export function jalaliToday() {
  const p = tehranParts(new Date());
  return toJalali(p.y, p.m, p.d);
}

/** A Jalali month's name, 1–12. */
export function monthName(month) { return JALALI_MONTHS[current][month - 1] || ""; }

export function t(key, vars = {}) {
  const entry = STRINGS[key];
  let text = entry ? entry[current === "fa" ? 0 : 1] : key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, value);
  return text;
}

/** A server message {fa, en} (or a bare string) in the reader's language. */
export function said(message) {
  if (!message) return "";
  if (typeof message === "string") return message;
  return message[current] || message.fa || message.en || "";
}

const STRINGS = {
  title: ["حسابداری ابری", "Cloud accounting"],
  skip: ["پرش به محتوا", "Skip to content"],
  switch_lang: ["English", "فارسی"],
  switch_lang_label: ["Switch to English", "تغییر زبان به فارسی"],
  nav_label: ["پیوندهای اصلی", "Main links"],
  nav_signup: ["ثبت‌نام", "Sign up"],
  nav_login: ["ورود", "Log in"],
  nav_me: ["صفحهٔ شخصی", "My page"],
  nav_order: ["خرید اشتراک", "Buy a subscription"],
  nav_logout: ["خروج", "Log out"],
  loading: ["در حال بارگذاری…", "Loading…"],
  network_error: ["ارتباط با سامانه برقرار نشد؛ دوباره تلاش کنید.", "Could not reach the system; please try again."],
  not_found_title: ["صفحه پیدا نشد", "Page not found"],
  not_found_text: ["این نشانی در درگاه وجود ندارد.", "There is no such page in the portal."],
  mobile: ["شمارهٔ موبایل", "Mobile number"],
  mobile_help: ["مثلاً ۰۹۱۲۱۲۳۴۵۶۷", "For example 09121234567"],
  password: ["رمز عبور", "Password"],
  new_password: ["رمز عبور تازه", "New password"],
  show_password: ["نمایش رمز عبور", "Show password"],
  rules_title: ["رمز عبور باید این قواعد را داشته باشد:", "The password must meet these rules:"],
  rule_met: ["رعایت شده", "met"],
  rule_unmet: ["رعایت نشده", "not met"],
  rule_ascii_only: ["فقط حروف، ارقام و نشانه‌های انگلیسی", "English letters, digits and symbols only"],
  rule_min_length_8: ["دست‌کم ۸ کاراکتر", "At least 8 characters"],
  rule_max_length_128: ["حداکثر ۱۲۸ کاراکتر", "At most 128 characters"],
  rule_needs_lowercase: ["دست‌کم یک حرف کوچک انگلیسی (a-z)", "At least one lower-case letter (a-z)"],
  rule_needs_uppercase: ["دست‌کم یک حرف بزرگ انگلیسی (A-Z)", "At least one upper-case letter (A-Z)"],
  rule_needs_digit: ["دست‌کم یک رقم", "At least one digit"],
  rule_needs_special: ["دست‌کم یک نشانهٔ ویژه مانند ! @ # $", "At least one special character such as ! @ # $"],
  hint_caps_lock: ["به نظر می‌رسد Caps Lock روشن است.", "Caps Lock may be on."],
  hint_persian_keyboard: ["به نظر می‌رسد صفحه‌کلید روی فارسی است؛ آن را انگلیسی کنید.",
                          "Your keyboard seems to be in Persian; switch it to English."],
  signup_title: ["ثبت‌نام", "Sign up"],
  signup_intro: ["با شمارهٔ موبایل خود ثبت‌نام کنید؛ کد تأیید پیامک می‌شود.",
                 "Sign up with your mobile number; we will text you a code."],
  signup_submit: ["ثبت‌نام و دریافت کد", "Sign up and get the code"],
  go_recovery: ["فراموشی رمز", "Forgot password"],
  have_account: ["حساب دارید؟", "Have an account?"],
  verify_title: ["تأیید شمارهٔ موبایل", "Confirm your mobile number"],
  verify_intro: ["کد پیامک‌شده به {mobile} را وارد کنید.", "Enter the code texted to {mobile}."],
  code: ["کد تأیید", "Code"],
  verify_submit: ["تأیید", "Confirm"],
  resend: ["ارسال دوبارهٔ کد", "Send the code again"],
  resend_wait: ["ارسال دوباره تا {seconds} ثانیهٔ دیگر", "Send again in {seconds} seconds"],
  resent: ["کد تازه فرستاده شد.", "A new code was sent."],
  verified: ["شماره تأیید شد؛ اکنون وارد شوید.", "Your number is confirmed; please log in."],
  login_title: ["ورود", "Log in"],
  login_submit: ["ورود", "Log in"],
  forgot: ["رمز عبور را فراموش کرده‌اید؟", "Forgot your password?"],
  no_account: ["حساب ندارید؟", "No account yet?"],
  go_verify: ["تأیید شماره", "Confirm the number"],
  retry_in: ["(دوباره تلاش: {time} دیگر)", "(try again in {time})"],
  seconds: ["{n} ثانیه", "{n} seconds"],
  minutes: ["{n} دقیقه", "{n} minutes"],
  recover_title: ["فراموشی رمز", "Forgot password"],
  recover_sent: ["اگر این شماره ثبت‌نام شده باشد، کد تأیید پیامک شد. کدها دست‌کم یک دقیقه فاصله دارند.",
                 "If this number is registered, a recovery code was sent by SMS. Codes are at least a minute apart."],
  recover_intro: ["شمارهٔ موبایل را وارد کنید تا کد تأیید پیامک شود.",
                  "Enter your mobile number and we will text you a recovery code."],
  recover_send: ["ارسال کد تأیید", "Send the code"],
  recover_confirm: ["ثبت رمز عبور تازه", "Set the new password"],
  recover_done: ["رمز عبور تغییر کرد؛ اکنون وارد شوید.", "Your password was changed; please log in."],
  me_title: ["صفحهٔ شخصی", "My page"],
  me_user: ["شمارهٔ موبایل: {mobile}", "Mobile: {mobile}"],
  me_none: ["هنوز در هیچ کسب‌وکاری عضو نیستید.", "You are not in any business yet."],
  me_buy: ["خرید اشتراک برای کسب‌وکار تازه", "Buy a subscription for a new business"],
  role: ["نقش", "Role"],
  role_admin: ["مدیر", "Admin"],
  role_member: ["کاربر", "Member"],
  permissions: ["دسترسی‌ها", "Permissions"],
  business_type: ["نوع کسب‌وکار", "Business type"],
  type_service: ["خدماتی", "Service"],
  type_manufacturing: ["تولیدی", "Manufacturing"],
  type_trading: ["بازرگانی", "Trading"],
  type_educational: ["آموزشی", "Educational"],
  products: ["محصولات", "Products"],
  product_accounting: ["حسابداری", "Accounting"],
  product_payroll: ["حقوق و دستمزد", "Payroll"],
  product_fixed_assets: ["اموال و دارایی ثابت", "Fixed assets"],
  product_educational: ["سامانهٔ آموزشی", "Educational system"],
  product_extra_organizations: ["سازمان اضافه", "Extra organization"],
  product_extra_concurrent_users: ["کاربر هم‌زمان اضافه", "Extra concurrent user"],
  product_restore: ["بازگردانی از پشتیبان", "Restore from backup"],
  product_data_conversion: ["تبدیل اطلاعات از نرم‌افزار دیگر (پشتیبانی)", "Data conversion by support"],
  subscription: ["اشتراک", "Subscription"],
  state_activating: ["در حال فعال‌سازی", "Activating"],
  state_active: ["فعال", "Active"],
  state_lapsed: ["منقضی‌شده", "Lapsed"],
  state_deleted: ["اطلاعات حذف شده", "Data deleted"],
  ends_at: ["پایان اشتراک: {date}", "Ends on {date}"],
  lapsed_at: ["تاریخ انقضا: {date}", "Lapsed on {date}"],
  deletion_due: ["اطلاعات در {date} حذف می‌شود؛ تا آن زمان گزارش‌گیری رایگان است.",
                 "The data will be deleted on {date}; until then reports are free to take."],
  modules: ["ماژول‌های فعال", "Active modules"],
  module_accounting: ["حسابداری", "Accounting"],
  module_treasury: ["خزانه‌داری", "Treasury"],
  module_inventory: ["انبار", "Inventory"],
  module_sales: ["فروش", "Sales"],
  module_payroll: ["حقوق و دستمزد", "Payroll"],
  module_fixed_assets: ["اموال", "Fixed assets"],
  module_educational: ["آموزشی", "Educational"],
  chart: ["سرفصل حساب‌ها (کدینگ)", "Chart of accounts"],
  chart_of: ["کدینگ پیش‌فرض {type} ({accounts} حساب، نسخهٔ {version})",
             "Default chart for {type} ({accounts} accounts, version {version})"],
  provisioning_pending: ["کسب‌وکار در حال آماده‌سازی است…", "The business is being set up…"],
  support_until: ["پشتیبانی تا {date}", "Support until {date}"],
  support: ["پشتیبانی", "Support"],
  backup: ["آخرین نسخهٔ پشتیبان", "Last backup"],
  organizations: ["سازمان‌ها", "Organizations"],
  organizations_count: ["{count} از {max} سازمان", "{count} of {max} organizations"],
  organization_name: ["نام سازمان", "Organization name"],
  organization_kind: ["نوع سازمان", "Kind of organization"],
  kind_office: ["دفتر مرکزی", "Head office"],
  kind_branch: ["شعبه", "Branch"],
  kind_warehouse: ["انبار", "Warehouse"],
  add_organization: ["افزودن سازمان", "Add organization"],
  members: ["کاربران", "Members"],
  seats_count: ["{count} از {max} کاربر", "{count} of {max} members"],
  concurrent_users: ["هم‌زمان حداکثر {max} کاربر در هر سازمان", "At most {max} users at once in each organization"],
  member_mobile: ["موبایل کاربر تازه", "New member's mobile"],
  new_member_permissions: ["دسترسی‌های کاربر تازه", "The new member's permissions"],
  no_permissions: ["بدون دسترسی", "no permissions"],
  manage_member: ["دسترسی‌ها یا حذف {who}", "Permissions or removal of {who}"],
  permissions_of: ["دسترسی‌های {who}", "Permissions of {who}"],
  save_permissions: ["ذخیرهٔ دسترسی‌ها", "Save permissions"],
  permissions_saved: ["دسترسی‌های {who} ذخیره شد.", "The permissions of {who} were saved."],
  remove_member: ["حذف کاربر", "Remove member"],
  remove_confirm: ["{who} از کاربران این کسب‌وکار حذف شود؟", "Remove {who} from this business's members?"],
  remove_yes: ["بله، حذف شود", "Yes, remove"],
  cancel: ["انصراف", "Cancel"],
  member_removed: ["{who} از کاربران حذف شد.", "{who} was removed from the members."],
  invite_member: ["فرستادن دعوت‌نامه", "Send the invitation"],
  invite_help: ["مثلاً ۰۹۱۲۱۲۳۴۵۶۷؛ دعوت‌نامه پیامک می‌شود و پس از پذیرش، یک جایگاه کاربری می‌گیرد.",
                "For example 09121234567; the invitation is texted and takes a user seat once accepted."],
  invitation_sent: ["دعوت‌نامه برای {who} پیامک شد.", "The invitation was texted to {who}."],
  invitations_pending: ["دعوت‌نامه‌های در انتظار پذیرش", "Invitations waiting to be accepted"],
  invitation_until: ["معتبر تا {date}", "valid until {date}"],
  invitation_expired_on: ["مهلت آن در {date} گذشت", "expired on {date}"],
  revoke_invitation: ["لغو دعوت‌نامه", "Withdraw the invitation"],
  invitation_revoked: ["دعوت‌نامهٔ {who} لغو شد.", "The invitation to {who} was withdrawn."],
  invitation_title: ["دعوت به کسب‌وکار", "Invitation to a business"],
  invitation_guest: ["برای دیدن و پذیرفتن این دعوت‌نامه، با همان شمارهٔ موبایلی که پیامک دعوت را گرفته است ثبت‌نام کنید یا وارد شوید.",
                     "To see and accept this invitation, sign up or log in with the mobile number the invitation was texted to."],
  invitation_sign_up: ["ثبت‌نام با این شماره", "Sign up with this number"],
  invitation_log_in: ["ورود (حساب دارم)", "Log in (I have an account)"],
  invitation_switch_user: ["خروج و ورود با شمارهٔ دیگر", "Log out and log in with another number"],
  invitation_intro: ["شما به این کسب‌وکار دعوت شده‌اید:", "You are invited to this business:"],
  invitation_valid_until: ["مهلت پذیرش", "Accept by"],
  invitation_accept: ["پذیرفتن دعوت", "Accept the invitation"],
  invitation_joined: ["اکنون کاربر «{business}» هستید.", "You are now a member of {business}."],
  invitation_state_expired: ["مهلت این دعوت‌نامه گذشته است؛ از مدیر کسب‌وکار بخواهید دوباره دعوتتان کند.",
                             "The invitation has expired; ask the business's admin to invite you again."],
  invitation_state_revoked: ["مدیر کسب‌وکار این دعوت‌نامه را لغو کرده است.", "The business's admin has withdrawn this invitation."],
  invitation_state_replaced: ["دعوت‌نامهٔ تازه‌تری برای شما فرستاده شده است؛ پیوند آخرین پیامک را باز کنید.",
                              "A newer invitation was sent to you; open the link in the latest SMS."],
  invitation_state_accepted: ["این دعوت‌نامه پیش‌تر پذیرفته شده است.", "This invitation has already been accepted."],
  details_unavailable: ["{part} هنوز در دسترس نیست.", "{part}: not available yet."],
  part_provisioning: ["ماژول‌ها و سرفصل حساب‌ها", "Modules and chart of accounts"],
  part_tenancy: ["سازمان‌ها و کاربران", "Organizations and members"],
  part_archival: ["وضعیت بایگانی و خروجی‌های آماده", "Archive state and ready exports"],
  exports: ["خروجی گزارش‌ها", "Report exports"],
  export_format: ["قالب خروجی", "Export format"],
  request_export: ["درخواست خروجی", "Request an export"],
  export_requested: ["درخواست ثبت شد؛ وقتی آماده شد اینجا نمایش داده می‌شود.",
                     "Requested; it will appear here when it is ready."],
  export_queued: ["در صف آماده‌سازی", "Queued"],
  export_building: ["در حال آماده‌سازی", "Being prepared"],
  export_failed: ["ساخته نشد؛ دوباره درخواست کنید", "Failed; please ask again"],
  export_expired: ["مهلت دریافت گذشته است", "No longer available"],
  export_deleted: ["حذف شده", "Deleted"],
  download: ["دریافت فایل {format}", "Download {format}"],
  available_until: ["قابل دریافت تا {date}", "Available until {date}"],
  no_exports: ["هنوز خروجی‌ای نخواسته‌اید.", "No exports yet."],
  reports_closed: ["گزارش‌گیری برای این کسب‌وکار بسته است.", "Reports are closed for this business."],
  order_title: ["خرید اشتراک", "Buy a subscription"],
  business_name: ["نام کسب‌وکار", "Business name"],
  period: ["مدت اشتراک", "Subscription period"],
  months: ["{n} ماه", "{n} months"],
  price_for: ["{months}: {price}", "{months}: {price}"],
  vat_note: ["مالیات بر ارزش افزوده: {percent}٪", "VAT: {percent}%"],
  order_submit: ["ثبت سفارش و صدور فاکتور", "Place the order and issue the invoice"],
  catalog_unavailable: ["فهرست محصولات در دسترس نیست؛ کمی بعد دوباره تلاش کنید.",
                        "The catalog is not available; please try again shortly."],
  choose_product: ["دست‌کم یک محصول را انتخاب کنید.", "Choose at least one product."],
  required: ["این فیلد را پر کنید.", "Please fill in this field."],
  invoice_title: ["فاکتور سفارش", "Order invoice"],
  order_revision: ["نسخهٔ سفارش: {n}", "Order revision: {n}"],
  invoice_revision: ["فاکتور برای نسخهٔ {n} صادر شده است.", "The invoice is for revision {n}."],
  invoice_stale: ["سفارش تغییر کرده و فاکتور به‌روز نیست؛ «محاسبهٔ فاکتور» را بزنید.",
                  "The order changed and the invoice is out of date; press “Calculate invoice”."],
  order_paid: ["این سفارش پرداخت شده است.", "This order has been paid."],
  to_payment: ["دیدن نتیجهٔ پرداخت", "See the payment"],
  item: ["شرح", "Item"],
  quantity: ["تعداد", "Quantity"],
  unit_price: ["مبلغ واحد", "Unit price"],
  amount: ["مبلغ", "Amount"],
  subtotal: ["جمع", "Subtotal"],
  discount: ["تخفیف", "Discount"],
  vat: ["مالیات بر ارزش افزوده ({percent}٪)", "VAT ({percent}%)"],
  total: ["مبلغ قابل پرداخت", "Total to pay"],
  calculate: ["محاسبهٔ فاکتور", "Calculate invoice"],
  pay_online: ["پرداخت آنلاین", "Pay online"],
  change_order: ["تغییر سفارش", "Change the order"],
  save_changes: ["ذخیرهٔ تغییرات", "Save the changes"],
  payment_title: ["نتیجهٔ پرداخت", "Payment result"],
  payment_pending: ["پرداخت در حال بررسی است…", "The payment is being checked…"],
  payment_confirming: ["پرداخت شما در حال تأیید است؛ این صفحه را نبندید، چند لحظهٔ دیگر نتیجه را نشان می‌دهد.",
                       "Your payment is being confirmed; keep this page open, it shows the result in a moment."],
  payment_succeeded: ["پرداخت با موفقیت انجام شد. کسب‌وکار شما در حال فعال‌سازی است.",
                      "The payment succeeded. Your business is being activated."],
  payment_failed: ["پرداخت ناموفق بود.", "The payment failed."],
  refund_by: ["مبلغ {amount} حداکثر تا {date} به حساب شما بازمی‌گردد.",
              "{amount} will be returned to your account by {date} at the latest."],
  no_money_taken: ["مبلغی از حساب شما برداشت نشده است.", "No money was taken from your account."],
  refunded: ["مبلغ در {date} به حساب شما بازگشت.", "The money was returned on {date}."],
  reason_declined: ["بانک تراکنش را نپذیرفت.", "The bank declined the transaction."],
  reason_cancelled_by_customer: ["پرداخت را لغو کردید.", "You cancelled the payment."],
  reason_timeout: ["زمان پرداخت به پایان رسید.", "The payment timed out."],
  reason_verification_failed: ["تأیید تراکنش ناموفق بود.", "The transaction could not be verified."],
  reason_amount_mismatch: ["مبلغ پرداختی با فاکتور نمی‌خواند.", "The amount paid did not match the invoice."],
  reason_gateway_error: ["درگاه پرداخت خطا داد.", "The payment gateway failed."],
  reason_order_already_paid: ["این سفارش پیش‌تر پرداخت شده بود.", "The order had already been paid."],
  reason_order_changed: ["سفارش هنگام پرداخت تغییر کرد؛ فاکتور را دوباره محاسبه کنید.",
                         "The order changed while you were paying; calculate the invoice again."],
  reason_late_success: ["پاسخ بانک پس از پایان مهلت پرداخت رسید.", "The bank answered after the payment had timed out."],
  reason_business_purged: ["اطلاعات این کسب‌وکار پیش از پایان پرداخت حذف شد؛ برای ادامه، نخست بازگردانی از پشتیبان را سفارش دهید.",
                           "The business's data was deleted before the payment completed; order a restore first."],
  try_again: ["بازگشت به فاکتور", "Back to the invoice"],
  buyer_title: ["خریدار در صورت‌حساب رسمی", "Buyer on the official invoice"],
  buyer_help: ["برای کسر مالیات بر ارزش افزوده، کسب‌وکار خریدار را با شناسهٔ ملی معرفی کنید؛ برای خرید شخصی، نیازی نیست.",
               "To claim the VAT, name the buying business by its national id; buying for yourself, you need not."],
  buyer_kind: ["خریدار", "Buyer"],
  buyer_self: ["خودم (بدون شناسه)", "Myself (no id)"],
  buyer_person: ["شخص حقیقی", "A person"],
  buyer_legal: ["شخص حقوقی", "A legal entity"],
  national_code: ["کد ملی", "National code"],
  legal_id: ["شناسهٔ ملی", "National id"],
  economic_code: ["کد اقتصادی", "Economic code"],
  postal_code: ["کد پستی", "Postal code"],
  official_invoice: ["صورت‌حساب رسمی (سامانهٔ مؤدیان)", "Official invoice (taxpayer system)"],
  tax_id: ["شمارهٔ مالیاتی", "Tax id"],
  tax_cancellation: ["صورت‌حساب ابطالی", "Cancelling invoice"],
  tax_state: ["وضعیت", "State"],
  tax_state_pending: ["در صف ارسال", "Waiting to be sent"],
  tax_state_sent: ["ارسال شد؛ در انتظار پاسخ سامانه", "Sent; waiting for the system"],
  tax_state_accepted: ["پذیرفته شد", "Accepted"],
  tax_state_rejected: ["رد شد", "Rejected"],
  // support's rejected e-invoices (issue #19)
  einvoices_title: ["صورت‌حساب‌های الکترونیکی ردشده", "Rejected e-invoices"],
  einvoices_empty: ["صورت‌حساب الکترونیکی ردشده‌ای در انتظار اصلاح نیست.", "No rejected e-invoice is waiting to be corrected."],
  einvoice_payment: ["پرداخت", "Payment"],
  einvoice_issued: ["تاریخ صدور", "Issued"],
  einvoice_total: ["مبلغ کل", "Total"],
  einvoice_buyer: ["خریدار فعلی", "Buyer now"],
  einvoice_no_buyer: ["بدون شناسه (خرید شخصی)", "No id (buying for oneself)"],
  einvoice_errors: ["خطاهای سامانهٔ مؤدیان", "The taxpayer system's errors"],
  einvoice_correct: ["اصلاح خریدار و صدور دوباره", "Correct the buyer and issue again"],
  einvoice_correct_help: ["صورت‌حساب تازه‌ای با شماره و شمارهٔ مالیاتی جدید صادر و ارسال می‌شود؛ صورت‌حساب ردشده می‌ماند.",
                          "A new invoice with its own number and tax id is issued and sent; the rejected one is kept."],
  einvoice_corrected: ["صورت‌حساب تازه با شمارهٔ مالیاتی {tax_id} صادر شد.", "A new invoice was issued, tax id {tax_id}."],
  payment_refunded: ["این پرداخت به درخواست پشتیبانی بازپرداخت شد.", "This payment was refunded by support."],
  to_me: ["رفتن به صفحهٔ شخصی", "Go to my page"],
  rials: ["ریال", "rials"],
  // the books' pages (issue #18): payslip, opening balances, depreciation, branches
  books: ["دفاتر", "Books"],
  branches: ["شعب و کد تفصیلی آن‌ها", "Branches and their detail codes"],
  branch_detail: ["تفصیلی {code}", "detail {code}"],
  branch_detail_pending: ["تفصیلی هنوز ساخته نشده", "detail not made yet"],
  kind_head_office: ["دفتر مرکزی", "Head office"],
  go_payslip: ["پیش‌نمایش فیش حقوقی", "Payslip preview"],
  go_opening_balances: ["ورود مانده‌های افتتاحیه", "Import opening balances"],
  go_depreciation: ["جدول استهلاک دارایی", "Depreciation schedule"],
  back_to_me: ["بازگشت به صفحهٔ شخصی", "Back to my page"],
  whole_number: ["عدد صحیح بدون اعشار وارد کنید (ارقام فارسی یا انگلیسی).",
                 "Enter a whole number (Persian or Latin digits)."],
  provisional: ["موقت", "provisional"],
  payslip_title: ["پیش‌نمایش فیش حقوقی", "Payslip preview"],
  payslip_intro: ["با فرمول‌ها و جدول‌های سالانهٔ دفاتر همین کسب‌وکار حساب می‌شود؛ چیزی ذخیره نمی‌شود.",
                  "Computed with the formulas and yearly tables in this business's own books; nothing is saved."],
  pay_month: ["ماه حقوق", "Pay month"],
  jalali_year: ["سال شمسی", "Jalali year"],
  jalali_month: ["ماه", "Month"],
  record: ["حکم کارگزینی", "Employee record"],
  work: ["کارکرد ماه", "The month's work"],
  deductions: ["کسور", "Deductions"],
  in_rials: ["به ریال", "in rials"],
  daily_wage: ["مزد روزانه (مزد مبنا با پایهٔ سنوات سال‌های پیش)", "Daily wage (with earlier years' seniority base)"],
  years_of_service: ["سابقه نزد همین کارفرما (سال)", "Years with this employer"],
  married: ["وضعیت تأهل", "Marital status"],
  married_0: ["مجرد", "Single"],
  married_1: ["متأهل", "Married"],
  children: ["تعداد فرزندان مشمول حق اولاد", "Children eligible for the allowance"],
  absent_days: ["روزهای غیبت", "Days absent"],
  unpaid_leave_days: ["روزهای مرخصی بدون حقوق", "Days of unpaid leave"],
  overtime_hours: ["ساعات اضافه‌کاری", "Overtime hours"],
  night_hours: ["ساعات شب‌کاری (کارگر غیرنوبتی)", "Night hours (non-shift worker)"],
  shift: ["نوبت‌کاری", "Shift work"],
  shift_none: ["ندارد", "None"],
  shift_morning_evening: ["صبح و عصر (۱۰٪)", "Morning and evening (10%)"],
  shift_three: ["سه نوبت صبح، عصر و شب (۱۵٪)", "Morning, evening and night (15%)"],
  shift_with_night: ["صبح و شب یا عصر و شب (۲۲٫۵٪)", "With night shifts (22.5%)"],
  friday_days: ["جمعه‌های کار (با تعطیل جایگزین)", "Fridays worked (with another rest day)"],
  holiday_hours: ["ساعات کار در تعطیلات رسمی", "Hours worked on official holidays"],
  loan_installment_amount: ["قسط وام", "Loan instalment"],
  advance_amount: ["مساعده", "Advance"],
  other_deductions_amount: ["سایر کسور", "Other deductions"],
  pay_eydi: ["عیدی و پاداش", "Eydi (year-end bonus)"],
  pay_eydi_0: ["در این ماه پرداخت نمی‌شود", "Not paid this month"],
  pay_eydi_1: ["در این ماه پرداخت می‌شود", "Paid this month"],
  compute_payslip: ["محاسبهٔ فیش", "Compute the payslip"],
  upgrade_payroll: ["به‌روزرسانی فرمول‌ها", "Upgrade the formulas"],
  payroll_upgraded: ["فرمول‌ها به‌روز شد؛ فرمول‌های پیشین در سابقهٔ دفاتر ماند.",
                     "The formulas were upgraded; the old ones stay in the books' history."],
  payslip_of: ["فیش حقوقی {month}", "Payslip for {month}"],
  days_of_month: ["روزهای ماه: {days}؛ روزهای پرداختی: {paid}", "Days in the month: {days}; days paid: {paid}"],
  payslip_table: ["جدول ارقام {from}", "Figures of the table from {from}"],
  provisional_payslip: ["ارقام این سال موقت است:", "This year's figures are provisional:"],
  line_rate: ["نرخ", "Rate"],
  line_earning: ["حقوق و مزایا", "Earnings"],
  line_deduction: ["کسور", "Deductions"],
  line_employer_cost: ["سهم کارفرما", "Employer's cost"],
  line_accrual: ["ذخیره (پرداخت نمی‌شود)", "Accrual (not paid)"],
  line_total: ["جمع", "Total"],
  gross_pay: ["جمع حقوق و مزایا", "Gross pay"],
  total_deductions: ["جمع کسور", "Total deductions"],
  net_pay: ["خالص پرداختی", "Net pay"],
  employer_cost: ["هزینهٔ بیمهٔ سهم کارفرما", "Employer's insurance cost"],
  opening_title: ["مانده‌های افتتاحیه", "Opening balances"],
  opening_intro: ["الگو را دریافت و پر کنید، فایل را بفرستید تا پیش از ثبت هر خطا را کنار ردیفش ببینید؛ "
                  + "ثبت نهایی یا همهٔ ردیف‌ها را می‌نویسد یا هیچ‌کدام را.",
                  "Download and fill in the template, send it to see every problem by its row before anything is "
                  + "written; the import writes all the rows or none."],
  get_template: ["دریافت الگوی اکسل", "Download the Excel template"],
  workbook: ["فایل اکسل مانده‌ها (xlsx)", "Balances workbook (xlsx)"],
  as_of: ["تاریخ مانده‌ها (اختیاری)", "As-of date (optional)"],
  as_of_help: ["مانند ۱۴۰۵/۰۱/۰۱؛ خالی بماند تا تاریخ درون فایل خوانده شود.",
               "Like 1405/01/01; leave empty to use the date in the file."],
  choose_file: ["فایل را انتخاب کنید.", "Choose the file."],
  file_too_big: ["فایل بزرگ‌تر از ۵ مگابایت است.", "The file is larger than 5 MB."],
  check_file: ["بررسی فایل (پیش‌نمایش)", "Check the file (preview)"],
  preview_ok: ["هیچ خطایی نیست؛ {rows} ردیف با تاریخ {date} آمادهٔ ثبت است.",
               "No problems; {rows} rows as of {date} are ready to import."],
  preview_bad: ["{count} خطا پیدا شد؛ چیزی ثبت نشده است. فایل را درست کنید و دوباره بفرستید.",
                "{count} problems found; nothing was written. Fix the file and send it again."],
  already_imported: ["مانده‌های افتتاحیه پیش‌تر ثبت شده است؛ ثبت دوباره ممکن نیست.",
                     "Opening balances were already imported; they cannot be imported again."],
  opening_preview: ["پیش‌نمایش ورود مانده‌ها", "Import preview"],
  row: ["ردیف", "Row"],
  sheet: ["کل فایل", "Whole file"],
  account: ["حساب", "Account"],
  detail: ["تفصیلی", "Detail"],
  debit: ["بدهکار", "Debit"],
  credit: ["بستانکار", "Credit"],
  totals: ["جمع", "Totals"],
  problems: ["خطاها", "Problems"],
  warnings: ["هشدارها", "Warnings"],
  column_account_code: ["کد حساب", "account code"],
  column_detail_code: ["کد تفصیلی", "detail code"],
  column_debit: ["بدهکار", "debit"],
  column_credit: ["بستانکار", "credit"],
  column_as_of: ["تاریخ مانده‌ها", "as-of date"],
  import_confirm: ["ثبت نهایی همهٔ ردیف‌ها", "Import all the rows"],
  imported: ["{rows} ردیف با تاریخ {date} ثبت شد.", "{rows} rows as of {date} were imported."],
  depreciation_title: ["جدول استهلاک دارایی", "Depreciation schedule"],
  depreciation_intro: ["بر پایهٔ جدول استهلاک مادهٔ ۱۴۹ (۱۳۹۵) و ماهیت دارایی؛ چیزی ذخیره نمی‌شود.",
                       "By the Article 149 depreciation table (1395) and the asset's category; nothing is saved."],
  category: ["ماهیت دارایی", "Asset category"],
  cost: ["بهای تمام‌شده (ریال)", "Cost (rials)"],
  in_service: ["تاریخ آمادهٔ بهره‌برداری", "Ready for use on"],
  date_help: ["تاریخ شمسی، مانند ۱۴۰۴/۰۳/۱۵", "Jalali, like 1404/03/15"],
  month_help: ["ماه شمسی، مانند ۱۴۰۵/۰۱", "Jalali month, like 1405/01"],
  salvage: ["ارزش اسقاط (ریال، اختیاری)", "Salvage value (rials, optional)"],
  idle_first: ["نخستین ماه بلااستفاده (اختیاری)", "First idle month (optional)"],
  idle_last: ["آخرین ماه بلااستفاده", "Last idle month"],
  through_year: ["تا پایان سال (اختیاری)", "Up to the end of year (optional)"],
  own_method: ["روش دفاتر (اگر با جدول فرق دارد)", "The books' own method (if not the table's)"],
  method_table: ["همان جدول", "The table's"],
  method_straight_line: ["خط مستقیم", "Straight line"],
  method_declining_balance: ["نزولی", "Declining balance"],
  method_none: ["مستهلک نمی‌شود", "Not depreciated"],
  rate_percent: ["نرخ نزولی (درصد)", "Declining rate (percent)"],
  useful_life_years: ["عمر مفید (سال)", "Useful life (years)"],
  compute_schedule: ["محاسبهٔ جدول", "Compute the schedule"],
  method_years: ["{method}، {years} سال", "{method}, {years} years"],
  method_rate: ["{method}، {rate}٪", "{method}, {rate}%"],
  schedule_of: ["استهلاک {category}", "Depreciation of {category}"],
  not_table_policy: ["روش دفاتر کسب‌وکار است نه جدول مالیاتی؛ این رقم هزینهٔ قابل قبول مالیاتی نیست.",
                     "This is the business's own method, not the tax table's; it is not the tax-deductible figure."],
  provisional_schedule: ["ارقام موقت است: ردیف‌های جدول ۱۳۹۵ (بخشنامهٔ ۲۰۰/۹۵/۷۸) خوانده نشده و نرخ‌ها و قواعد از "
                         + "منابع ثانوی است؛ پیش از تکیه بر آن با متن رسمی تطبیق دهید.",
                         "Provisional figures: the 1395 table's rows (circular 200/95/78) were not read; rates and "
                         + "rules come from secondary sources. Check them against the official text first."],
  provisional_reasons: ["چرا موقت است (منابع)", "Why provisional (sources)"],
  schedule_first: ["نخستین ماه استهلاک", "First month depreciated"],
  schedule_last: ["آخرین ماه", "Last month"],
  accounts: ["حساب‌ها", "Accounts"],
  accounts_of: ["بها {cost}، استهلاک انباشته {accumulated}، هزینه {expense}",
                "cost {cost}, accumulated {accumulated}, expense {expense}"],
  year: ["سال", "Year"],
  month_col: ["ماه", "Month"],
  months_count: ["ماه‌ها", "Months"],
  depreciation: ["استهلاک", "Depreciation"],
  accumulated: ["انباشته", "Accumulated"],
  book_value: ["ارزش دفتری", "Book value"],
  by_month: ["ریز ماه به ماه", "Month by month"],
  idle_mark: ["بلااستفاده (۳۰٪)", "idle (30%)"],
  no_depreciation: ["این ماهیت مستهلک نمی‌شود (مانند زمین).", "This category is not depreciated (like land)."],
  not_bought: ["این بخش برای این کسب‌وکار خریداری نشده است.", "This part was not bought for this business."],
  // -- the support desk (issue #19): pages-support.js --------------------------------------------
  nav_support: ["پشتیبانی", "Support"],
  nav_desk: ["میز پشتیبانی", "Support desk"],
  me_support: ["درخواست‌های پشتیبانی", "Support requests"],
  support_title: ["درخواست‌های پشتیبانی", "Support requests"],
  support_intro: ["پرسش یا درخواست خود را بنویسید؛ پاسخ پشتیبانی همین‌جا نمایش داده می‌شود و با پیامک خبر می‌دهیم.",
                  "Write your question or request; support's answer appears here and we tell you by SMS."],
  support_none: ["هنوز درخواستی ثبت نکرده‌اید.", "You have not opened a request yet."],
  support_new: ["درخواست تازه", "New request"],
  support_category: ["موضوع درخواست", "Kind of request"],
  support_category_code_not_received: ["کد تأیید نرسید", "The code never arrived"],
  support_category_educational_licence: ["مجوز آموزشی", "Educational licence"],
  support_category_more_organizations: ["سازمان یا کاربر بیشتر", "More organizations or users"],
  support_category_restore_backup: ["بازگردانی از پشتیبان", "Restore from a backup"],
  support_category_data_conversion: ["انتقال داده از نرم‌افزار دیگر", "Data from other software"],
  support_category_other: ["سایر", "Other"],
  support_subject: ["عنوان", "Subject"],
  support_text: ["شرح درخواست", "Your request"],
  support_text_help: ["تا ۴۰۰۰ کاراکتر؛ رمز عبور یا کد تأیید را ننویسید.",
                      "Up to 4000 characters; never write a password or a code."],
  support_send: ["ثبت درخواست", "Send the request"],
  support_reply: ["ارسال", "Send"],
  support_reply_label: ["پاسخ شما", "Your reply"],
  support_close: ["بستن درخواست", "Close the request"],
  support_back: ["همهٔ درخواست‌ها", "All requests"],
  support_answered_note: ["پشتیبانی پاسخ داده است.", "Support has answered."],
  support_by_support: ["پشتیبانی", "Support"],
  support_by_you: ["شما", "You"],
  support_by_customer: ["مشتری", "Customer"],
  ticket_state_open: ["در انتظار پشتیبانی", "Waiting for support"],
  ticket_state_answered: ["پاسخ داده شد", "Answered"],
  ticket_state_closed: ["بسته", "Closed"],
  desk_title: ["میز پشتیبانی", "Support desk"],
  desk_filter: ["موضوع", "Kind"],
  desk_all: ["همه", "All"],
  desk_waiting_since: ["در انتظار از", "Waiting since"],
  desk_empty: ["درخواستی در انتظار نیست.", "No request is waiting."],
  desk_customer: ["مشتری", "Customer"],
  desk_answer: ["ارسال پاسخ", "Send the answer"],
  desk_answer_label: ["پاسخ پشتیبانی", "Support's answer"],
  desk_answer_help: ["مشتری با پیامک خبردار می‌شود؛ متن پاسخ فقط در صفحهٔ شخصی او دیده می‌شود.",
                     "The customer is told by SMS; the answer itself is read on their personal page."],
  desk_sms: ["پیامک‌های فرستاده‌شده", "SMS sent"],
  desk_sms_unavailable: ["وضعیت پیامک‌ها اکنون در دسترس نیست.", "The SMS states are not available now."],
  desk_timeline: ["رویدادهای کسب‌وکارها", "The businesses' timeline"],
  desk_timeline_empty: ["رویدادی ثبت نشده است.", "No events yet."],
  desk_unavailable: ["این بخش‌ها پاسخ ندادند: {parts}", "These parts did not answer: {parts}"],
  desk_back: ["بازگشت به صف", "Back to the queue"],
  sms_verification_code_signup: ["کد ثبت‌نام", "Sign-up code"],
  sms_verification_code_password_reset: ["کد فراموشی رمز", "Password reset code"],
  sms_support_ticket_answered: ["خبر پاسخ پشتیبانی", "Support answered"],
  sms_status_queued: ["در صف", "Queued"],
  sms_status_sent: ["فرستاده شد", "Sent"],
  sms_status_delivered: ["رسید", "Delivered"],
  sms_status_failed: ["نرسید", "Failed"],
  sms_support_educational_rejected: ["ردِ مجوز آموزشی", "Educational licence rejected"],
  desk_resend_password_reset: ["فرستادن کد فراموشی رمز", "Send a password reset code"],
  desk_resend_signup: ["فرستادن دوبارهٔ کد ثبت‌نام", "Send the sign-up code again"],
  desk_code_sent: ["کد تازه فرستاده شد؛ وضعیت آن در همین فهرست دیده می‌شود.", "A new code was sent; its state shows in this list."],
  licences_title: ["مجوزهای آموزشی در انتظار", "Educational licences waiting"],
  licences_empty: ["درخواستی در انتظار تصمیم نیست.", "No application is waiting for a decision."],
  licence_number: ["شمارهٔ مجوز", "Licence number"],
  licence_document: ["مدرک مجوز", "Licence document"],
  licence_no_document: ["هنوز بارگذاری نشده است", "Not uploaded yet"],
  licence_document_kind: ["{kind}، {size} کیلوبایت", "{kind}, {size} KB"],
  media_application_pdf: ["PDF", "PDF"],
  media_image_png: ["تصویر PNG", "PNG image"],
  media_image_jpeg: ["تصویر JPEG", "JPEG image"],
  licence_approve: ["تأیید مجوز", "Approve"],
  licence_reject: ["رد درخواست", "Reject"],
  licence_reason: ["دلیل رد", "Reason for rejecting"],
  licence_reason_help: ["برای متقاضی پیامک می‌شود؛ روشن و کوتاه بنویسید.", "The applicant is told it by SMS; keep it short and clear."],
  licence_approved: ["مجوز «{name}» تأیید شد.", "The licence of {name} was approved."],
  licence_rejected: ["درخواست «{name}» رد شد و دلیل آن پیامک شد.", "{name} was rejected; the reason was sent by SMS."],
};
