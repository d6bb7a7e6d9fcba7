// The business's books for its admin (issue #18): a payslip preview (PR-6), the opening-balances
// import with its preview (AR-5), an asset's depreciation schedule (PR-7). Each page computes on
// the services and shows what they answer; nothing here invents a figure. A provisional figure
// says «موقت» beside it, with why. Numbers may be typed in Persian or Latin digits, with or
// without thousands separators; a bad one is refused by its field before anything is sent.

import { api, download } from "./api.js";
import { digits, jalaliToday, lang, latinDigits, monthName, number, rials, said, t } from "./i18n.js";
import { busy, clearErrors, errorMessage, field, fieldError, h, note, put, showError } from "./ui.js";

const list = (value) => (Array.isArray(value) ? value : []);
const MAX_WORKBOOK_BYTES = 5 * 1024 * 1024;  // archival's limit (shared/http/archival.py)

/** "۱۰٬۰۰۰٬۰۰۰" → "10000000"; "" when empty; null when it is not a whole number. */
export function wholeNumber(text) {
  const plain = latinDigits(String(text)).replace(/[\s,٬،_]/g, "");
  if (plain === "") return "";
  return /^\d{1,15}$/.test(plain) ? plain : null;
}

/** The numbers a form holds, by field name; a bad one is marked on its field and makes it null. */
function numbers(form, names, required = []) {
  const read = {};
  let ok = true;
  for (const name of names) {
    const input = form.querySelector(`[data-field="${name}"] input`);
    const value = wholeNumber(input ? input.value : "");
    if (value === null || (value === "" && required.includes(name))) {
      fieldError(form, name, value === null ? t("whole_number") : t("required"));
      ok = false;
    } else if (value !== "") {
      read[name] = value;
    }
  }
  return ok ? read : null;
}

function focusFirstError(form) { form.querySelector("[aria-invalid='true']")?.focus(); }

/** An error answer placed on the field it names (`field` from the service, dotted for nested ones). */
function placeError(form, error, placeFor = {}) {
  const named = String(error?.body?.field || "").split(".").join("_");
  if (named && fieldError(form, named, errorMessage(error))) {
    focusFirstError(form);
    return;
  }
  showError(form, error, placeFor);
}

const badge = () => h("span", { class: "badge provisional", dataset: { role: "provisional" } }, t("provisional"));

/** The page's heading and the business it is for; null (and a message) when it cannot be read. */
async function business(main, id, title, current) {
  try {
    const tenant = await api("GET", `/provisioning/tenants/${encodeURIComponent(id)}`, undefined, { auth: true });
    if (!current()) return null;
    put(main, h("h1", {}, title), h("p", { class: "help" }, h("bdi", {}, tenant.business_name || "")));
    return tenant;
  } catch (error) {
    if (current()) put(main, h("h1", {}, title), note(errorMessage(error), "error"), backLink());
    return null;
  }
}

const backLink = () => h("p", {}, h("a", { href: "#/me" }, t("back_to_me")));
const modulesOf = (tenant) => list(tenant.modules).map((m) => m.module);

// -- the payslip preview (PR-6) ----------------------------------------------------------------

const RECORD = ["daily_wage", "years_of_service", "children"];
const WORK = ["absent_days", "unpaid_leave_days", "overtime_hours", "night_hours", "friday_days", "holiday_hours"];
const DEDUCTIONS = ["loan_installment_amount", "advance_amount", "other_deductions_amount"];
const LINE_KINDS = ["rate", "earning", "deduction", "employer_cost", "accrual", "total"];

function numberField(name, label, extra = {}) {
  return field({ name, label, inputmode: "numeric", autocomplete: "off", dir: "ltr", maxlength: 24, ...extra }).wrap;
}

export async function payslip(main, { params, current }) {
  const id = params[0];
  const tenant = await business(main, id, t("payslip_title"), current);
  if (!tenant) return;
  if (!modulesOf(tenant).includes("payroll")) {
    main.append(note(t("not_bought"), "warning"), backLink());
    return;
  }
  const [year, month] = jalaliToday();
  const section = (legend, ...fields) => h("fieldset", { class: "group-box" }, h("legend", {}, legend), ...fields);
  const submit = h("button", { type: "submit" }, t("compute_payslip"));
  const form = h("form", { novalidate: true, dataset: { form: "payslip" } },
    section(t("pay_month"),
      numberField("year", t("jalali_year"), { value: digits(year), maxlength: 6 }),
      field({ name: "month", label: t("jalali_month"), tag: "select", value: month,
              options: [...Array(12).keys()].map((m) => [m + 1, `${monthName(m + 1)} (${digits(m + 1)})`]) }).wrap),
    section(t("record"),
      numberField("daily_wage", `${t("daily_wage")} — ${t("in_rials")}`, { required: true }),
      numberField("years_of_service", t("years_of_service"), { value: digits(0) }),
      field({ name: "married", label: t("married"), tag: "select", value: 0,
              options: [[0, t("married_0")], [1, t("married_1")]] }).wrap,
      numberField("children", t("children"), { value: digits(0) })),
    section(t("work"),
      ...WORK.map((name) => numberField(name, t(name), { value: digits(0) })),
      field({ name: "shift", label: t("shift"), tag: "select", value: "none",
              options: ["none", "morning_evening", "three", "with_night"].map((s) => [s, t(`shift_${s}`)]) }).wrap,
      field({ name: "pay_eydi", label: t("pay_eydi"), tag: "select", value: 0,
              options: [[0, t("pay_eydi_0")], [1, t("pay_eydi_1")]] }).wrap),
    section(`${t("deductions")} — ${t("in_rials")}`, ...DEDUCTIONS.map((name) => numberField(name, t(name), { value: digits(0) }))),
    submit);
  const result = h("section", { class: "result", dataset: { role: "payslip" }, "aria-live": "polite" });
  main.append(form, result, backLink());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const read = numbers(form, ["year", ...RECORD, ...WORK, ...DEDUCTIONS], ["year", "daily_wage"]);
    if (!read) {
      focusFirstError(form);
      return;
    }
    const select = (name) => form.querySelector(`[data-field="${name}"] select`).value;
    const body = { ...read, month: select("month"), married: select("married"), shift: select("shift"),
                   pay_eydi: select("pay_eydi") };
    await busy(submit, async () => {
      try {
        const slip = await api("POST", `/provisioning/tenants/${encodeURIComponent(id)}/payroll/payslip-preview`
                               + (lang() === "en" ? "?locale=en" : ""), body, { auth: true });
        showPayslip(result, slip);
        result.querySelector("h2")?.focus();
      } catch (error) {
        put(result);
        placeError(form, error, { invalid_payroll_month: "year", night_hours_for_shift_worker: "night_hours" });
        if (error.code === "payroll_formulas_outdated") offerUpgrade(form, id, submit);
      }
    });
  });
}

/** Books seeded before payroll 1405.2: the admin upgrades the formulas (the old ones are kept), then computes again. */
function offerUpgrade(form, id, submit) {
  const upgrade = h("button", { type: "button", class: "secondary", dataset: { role: "upgrade-payroll" } },
    t("upgrade_payroll"));
  upgrade.addEventListener("click", () => busy(upgrade, async () => {
    try {
      await api("POST", `/provisioning/tenants/${encodeURIComponent(id)}/payroll/upgrade`, undefined, { auth: true });
      upgrade.replaceWith(note(t("payroll_upgraded"), "success"));
      submit.click();
    } catch (error) {
      upgrade.after(note(errorMessage(error), "error"));
    }
  }));
  form.querySelector(".form-error")?.append(" ", upgrade);
}

function showPayslip(result, slip) {
  const table = slip.table || {};
  const caption = h("caption", {}, t("payslip_table", { from: digits(table.jalali_from || "") }),
    slip.provisional ? [" ", badge()] : null);
  const rows = LINE_KINDS.flatMap((kind) => {
    const lines = list(slip.lines).filter((line) => line.kind === kind);
    if (!lines.length || kind === "total") return [];
    return [h("tr", { class: "group" }, h("th", { colspan: 2, scope: "colgroup" }, t(`line_${kind}`))),
      ...lines.map((line) => h("tr", { dataset: { line: line.code } },
        h("th", { scope: "row" }, lang() === "en" ? line.en : line.fa),
        h("td", { class: "num" }, rials(line.amount), slip.provisional ? [" ", h("span", { class: "mark" }, "*")] : null)))];
  });
  const total = (key, value) => h("tr", { dataset: { total: key } }, h("th", { scope: "row" }, t(key)),
    h("td", { class: "num" }, rials(value)));
  put(result,
    h("h2", { tabindex: "-1" }, t("payslip_of", { month: slip.month_label || "" }), slip.provisional ? [" ", badge()] : null),
    slip.provisional ? note([t("provisional_payslip"), " ", said(table.provisional_why)], "warning") : null,
    h("p", { class: "help" }, t("days_of_month", { days: digits(slip.month_days), paid: digits(slip.days_paid) })),
    h("div", { class: "table-wrap" }, h("table", { dataset: { role: "payslip-lines", provisional: String(!!slip.provisional) } },
      caption, h("tbody", {}, ...rows),
      h("tfoot", {}, total("gross_pay", slip.gross_pay), total("total_deductions", slip.total_deductions),
        total("net_pay", slip.net_pay), total("employer_cost", slip.employer_cost)))),
    slip.provisional ? h("p", { class: "help" }, "* ", t("provisional")) : null,
    h("p", { class: "help" }, said(slip.rounding)),
    table.source ? h("p", { class: "help", dataset: { role: "source" } }, table.source) : null);
}

// -- opening balances (AR-5) ------------------------------------------------------------------

export async function openingBalances(main, { params, current }) {
  const id = params[0];
  const tenant = await business(main, id, t("opening_title"), current);
  if (!tenant) return;
  const template = h("button", { type: "button", class: "secondary", dataset: { role: "template" } }, t("get_template"));
  const templateStatus = h("span", { class: "status" });
  template.addEventListener("click", () => busy(template, async () => {
    try {
      await download("/archival/opening-balances/template", "opening-balances-template.xlsx");
    } catch (error) {
      templateStatus.replaceChildren(note(errorMessage(error), "error"));
    }
  }));
  const file = field({ name: "file", label: t("workbook"), type: "file",
                       accept: ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" });
  const asOf = field({ name: "as_of", label: t("as_of"), help: t("as_of_help"), dir: "ltr", maxlength: 30,
                       autocomplete: "off" });
  const submit = h("button", { type: "submit" }, t("check_file"));
  const form = h("form", { novalidate: true, dataset: { form: "opening-balances" } }, file.wrap, asOf.wrap, submit);
  const result = h("section", { class: "result", dataset: { role: "opening-preview" }, "aria-live": "polite" });
  main.append(h("p", {}, t("opening_intro")), h("p", { class: "actions" }, template, templateStatus), form, result,
              backLink());
  const path = `/archival/tenants/${encodeURIComponent(id)}/opening-balances`;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    put(result);
    const chosen = file.input.files?.[0];
    if (!chosen) {
      fieldError(form, "file", t("choose_file"));
      file.input.focus();
      return;
    }
    if (chosen.size > MAX_WORKBOOK_BYTES) {
      fieldError(form, "file", t("file_too_big"));
      file.input.focus();
      return;
    }
    await busy(submit, async () => {
      let upload;
      try {
        upload = { workbook_base64: await base64Of(chosen) };
        const typed = asOf.input.value.trim();
        if (typed) upload.as_of = latinDigits(typed);
        const preview = await api("POST", `${path}/preview`, upload, { auth: true });
        showPreview(result, preview, () => confirmImport(result, path, upload));
        result.querySelector("h2")?.focus();
      } catch (error) {
        showError(form, error, { invalid_workbook: "file", file_too_large: "file" });
      }
    });
  });
}

function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

const columnName = (column) => (column ? t(`column_${column}`) : "");

function problemList(problems) {
  return h("ul", { class: "plain problems", dataset: { role: "problems" } }, ...problems.map((p) =>
    h("li", { dataset: { row: String(p.row), problem: p.problem } },
      h("strong", {}, p.row ? `${t("row")} ${digits(p.row)}` : t("sheet"),
        p.column ? ` (${columnName(p.column)})` : "", ": "), said(p.message))));
}

function showPreview(result, preview, confirm) {
  const problems = list(preview.problems);
  const warnings = list(preview.warnings);
  const rowsWithProblems = new Set(problems.map((p) => p.row));
  const date = preview.as_of ? (lang() === "en" ? preview.as_of.jalali_latin : preview.as_of.jalali) : "";
  const name = (fa, en) => (lang() === "en" ? en || fa : fa) || "";
  const rows = list(preview.rows).map((row) => h("tr", {
    class: rowsWithProblems.has(row.row) ? "bad" : null, dataset: { row: String(row.row) } },
    h("td", {}, digits(row.row)),
    h("td", {}, h("bdi", {}, digits(row.account_code)), " ", name(row.account_name, row.account_name_en)),
    h("td", {}, row.detail_code ? [h("bdi", {}, digits(row.detail_code)), " ", row.detail_name || ""] : ""),
    h("td", { class: "num" }, row.debit ? number(row.debit) : ""),
    h("td", { class: "num" }, row.credit ? number(row.credit) : "")));
  const importButton = h("button", { type: "button", dataset: { role: "import" } }, t("import_confirm"));
  importButton.addEventListener("click", () => busy(importButton, confirm));
  put(result,
    h("h2", { tabindex: "-1" }, t("opening_preview")),
    preview.already_imported ? note(t("already_imported"), "warning") : null,
    problems.length ? note(t("preview_bad", { count: digits(problems.length) }), "error")
      : note(t("preview_ok", { rows: digits(list(preview.rows).length), date }), "success"),
    problems.length ? problemList(problems) : null,
    warnings.length ? [h("h3", {}, t("warnings")), h("ul", { class: "plain", dataset: { role: "warnings" } },
      ...warnings.map((w) => h("li", {}, w.row ? `${t("row")} ${digits(w.row)}: ` : "", said(w.message))))] : null,
    rows.length ? h("div", { class: "table-wrap" }, h("table", { dataset: { role: "opening-rows" } },
      h("thead", {}, h("tr", {}, ...[t("row"), t("account"), t("detail")].map((c) => h("th", { scope: "col" }, c)),
        h("th", { scope: "col", class: "num" }, t("debit")), h("th", { scope: "col", class: "num" }, t("credit")))),
      h("tbody", {}, ...rows),
      h("tfoot", {}, h("tr", {}, h("th", { colspan: 3, scope: "row" }, t("totals")),
        h("td", { class: "num" }, number(preview.total_debit)), h("td", { class: "num" }, number(preview.total_credit))))))
      : null,
    preview.importable ? h("div", { class: "actions field", dataset: { field: "import" } }, importButton,
      h("p", { class: "field-error", role: "alert", hidden: true })) : null,
    h("div", { class: "status", tabindex: "-1", dataset: { role: "import-status" } }));
}

async function confirmImport(result, path, upload) {
  const status = result.querySelector("[data-role=import-status]");
  try {
    const done = await api("POST", path, upload, { auth: true });
    result.querySelector("[data-field=import]")?.remove();
    const date = lang() === "en" ? done.as_of?.jalali_latin : done.as_of?.jalali;
    status.replaceChildren(note(t("imported", { rows: digits(done.imported_rows), date: date || "" }), "success"));
  } catch (error) {
    status.replaceChildren(note(errorMessage(error), "error"),
      error.code === "invalid_opening_balances" ? problemList(list(error.body.problems)) : "");
  }
  status.focus();
}

// -- an asset's depreciation schedule (PR-7) ---------------------------------------------------

const methodText = (c) => {
  const method = t(`method_${c.method}`);
  if (c.method === "straight_line") return t("method_years", { method, years: digits(c.useful_life_years) });
  if (c.method === "declining_balance") return t("method_rate", { method, rate: digits(c.rate_percent) });
  return method;
};

export async function depreciation(main, { params, current }) {
  const id = params[0];
  const tenant = await business(main, id, t("depreciation_title"), current);
  if (!tenant) return;
  const categories = list(tenant.asset_categories);
  if (!modulesOf(tenant).includes("fixed_assets") || !categories.length) {
    main.append(note(t("not_bought"), "warning"), backLink());
    return;
  }
  const nameOf = (c) => (lang() === "en" ? c.en : c.fa);
  const own = field({ name: "method", label: t("own_method"), tag: "select", value: "",
                      options: [["", t("method_table")], ["straight_line", t("method_straight_line")],
                                ["declining_balance", t("method_declining_balance")]] });
  const submit = h("button", { type: "submit" }, t("compute_schedule"));
  const form = h("form", { novalidate: true, dataset: { form: "depreciation" } },
    field({ name: "category", label: t("category"), tag: "select", value: "computers",
            options: categories.map((c) => [c.code, `${nameOf(c)} — ${methodText(c)}`]) }).wrap,
    numberField("cost", t("cost"), { required: true }),
    field({ name: "in_service", label: t("in_service"), help: t("date_help"), dir: "ltr", maxlength: 20,
            autocomplete: "off", required: true }).wrap,
    numberField("salvage", t("salvage")),
    field({ name: "idle_first", label: t("idle_first"), help: t("month_help"), dir: "ltr", maxlength: 20 }).wrap,
    field({ name: "idle_last", label: t("idle_last"), help: t("month_help"), dir: "ltr", maxlength: 20 }).wrap,
    numberField("through_year", t("through_year"), { maxlength: 6 }),
    own.wrap,
    field({ name: "rate_percent", label: t("rate_percent"), dir: "ltr", inputmode: "decimal", maxlength: 10 }).wrap,
    numberField("useful_life_years", t("useful_life_years"), { maxlength: 4 }),
    submit);
  const result = h("section", { class: "result", dataset: { role: "schedule" }, "aria-live": "polite" });
  main.append(h("p", {}, t("depreciation_intro")), form, result, backLink());
  const text = (name) => form.querySelector(`[data-field="${name}"] input, [data-field="${name}"] select`).value.trim();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const read = numbers(form, ["cost", "salvage", "through_year", "useful_life_years"], ["cost"]);
    if (!text("in_service")) fieldError(form, "in_service", t("required"));
    if (text("idle_first") && !text("idle_last")) fieldError(form, "idle_last", t("required"));
    if (!read || form.querySelector("[aria-invalid='true']")) {
      focusFirstError(form);
      return;
    }
    const body = { category: text("category"), in_service: latinDigits(text("in_service")), ...read };
    if (text("idle_first")) body.idle = [{ first: latinDigits(text("idle_first")), last: latinDigits(text("idle_last")) }];
    if (text("method")) body.method = text("method");
    if (text("rate_percent")) body.rate_percent = latinDigits(text("rate_percent")).replace("٫", ".");
    await busy(submit, async () => {
      try {
        const schedule = await api("POST", `/provisioning/tenants/${encodeURIComponent(id)}/assets/depreciation-schedule`
                                   + (lang() === "en" ? "?locale=en" : ""), body, { auth: true });
        showSchedule(result, schedule);
        result.querySelector("h2")?.focus();
      } catch (error) {
        put(result);
        placeError(form, error, { unknown_asset_category: "category", asset_cost_must_be_positive: "cost",
                                  salvage_must_be_below_cost: "salvage", idle_period_ends_before_it_starts: "idle_last",
                                  idle_periods_overlap: "idle_first", declining_balance_needs_a_rate: "rate_percent",
                                  straight_line_needs_years: "useful_life_years", invalid_jalali_date: "in_service" });
      }
    });
  });
}

function showSchedule(result, s) {
  const c = s.category || {};
  const month = (m) => (m ? (lang() === "en" ? m.jalali_latin : m.jalali) : "");
  const mark = s.provisional ? [" ", h("span", { class: "mark" }, "*")] : null;
  const why = Object.entries(s.provisional_why || {}).filter(([, reason]) => reason);
  const money = (n) => [number(n), ...(mark || [])];
  const head = (...cells) => h("thead", {}, h("tr", {}, ...cells.map((cell, i) =>
    h("th", { scope: "col", class: i ? "num" : null }, cell))));
  put(result,
    h("h2", { tabindex: "-1" }, t("schedule_of", { category: lang() === "en" ? c.en : c.fa }), s.provisional ? [" ", badge()] : null),
    s.provisional ? note(t("provisional_schedule"), "warning") : null,
    s.table_policy === false ? note(t("not_table_policy"), "warning") : null,
    h("dl", { class: "facts" },
      h("dt", {}, t("category")), h("dd", {}, methodText(c)),
      h("dt", {}, t("schedule_first")), h("dd", {}, month(s.first_month)),
      h("dt", {}, t("schedule_last")), h("dd", {}, month(s.last_month)),
      h("dt", {}, t("accounts")), h("dd", { dataset: { role: "accounts" } }, t("accounts_of", {
        cost: digits(c.accounts?.cost || "—"), accumulated: digits(c.accounts?.accumulated || "—"),
        expense: digits(c.accounts?.expense || "—") }))),
    list(s.years).length ? h("div", { class: "table-wrap" }, h("table", { dataset: { role: "schedule-years" } },
      head(t("year"), t("months_count"), t("depreciation"), t("accumulated"), t("book_value")),
      h("tbody", {}, ...list(s.years).map((y) => h("tr", { dataset: { year: String(y.year) } },
        h("th", { scope: "row" }, digits(y.year)), h("td", { class: "num" }, digits(y.months)),
        h("td", { class: "num" }, money(y.depreciation)), h("td", { class: "num" }, money(y.accumulated)),
        h("td", { class: "num" }, money(y.closing_book_value)))))))
      : note(t("no_depreciation")),
    list(s.months).length ? h("details", { class: "months" }, h("summary", {}, t("by_month")),
      h("div", { class: "table-wrap" }, h("table", { dataset: { role: "schedule-months" } },
        head(t("month_col"), t("depreciation"), t("accumulated"), t("book_value")),
        h("tbody", {}, ...list(s.months).map((m) => h("tr", {},
          h("th", { scope: "row" }, month(m.month), m.idle ? ` — ${t("idle_mark")}` : ""),
          h("td", { class: "num" }, number(m.depreciation)), h("td", { class: "num" }, number(m.accumulated)),
          h("td", { class: "num" }, number(m.book_value)))))))) : null,
    s.provisional ? h("p", { class: "help" }, "* ", t("provisional")) : null,
    why.length ? h("details", { class: "reasons", dataset: { role: "provisional-why" } },
      h("summary", {}, t("provisional_reasons")),
      h("ul", { class: "plain", lang: "en", dir: "ltr" }, ...why.map(([name, reason]) => h("li", {}, `${name}: ${reason}`))))
      : null,
    h("p", { class: "help" }, said(s.table)));
}
