// Building pages: elements, labelled fields with their own error slot, and placing a
// gateway error next to the field it concerns (or at the top of the form when it concerns none).

import { digits, said, t } from "./i18n.js";

/** h("p", {class: "x"}, "text", child…): an element; attributes starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace an element's content, leaving out the absent parts (replaceChildren would print "null"). */
export function put(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return el;
}

let fieldCounter = 0;

/** A labelled input with help text and an error slot tied to it by aria-describedby. */
export function field({ name, label, type = "text", help, value, tag = "input", options, ...attrs }) {
  const id = `f-${name}-${++fieldCounter}`;
  const errorId = `${id}-error`;
  const helpId = help ? `${id}-help` : null;
  let input;
  if (tag === "select") {
    input = h("select", { id, name, "aria-describedby": [helpId, errorId].filter(Boolean).join(" "), ...attrs },
      ...options.map(([v, text]) => h("option", { value: v, selected: String(v) === String(value) }, text)));
  } else {
    input = h("input", { id, name, type, value, "aria-describedby": [helpId, errorId].filter(Boolean).join(" "),
                         ...attrs });
  }
  const error = h("p", { class: "field-error", id: errorId, role: "alert", hidden: true });
  const wrap = h("div", { class: "field", dataset: { field: name } },
    h("label", { for: id }, label), input, help ? h("p", { class: "help", id: helpId }, help) : null, error);
  return { wrap, input, error };
}

/** A group of checkboxes or radios under one legend, with one error slot. */
export function choices({ name, legend, type = "checkbox", items, checked = [] }) {
  const errorId = `f-${name}-${++fieldCounter}-error`;
  const error = h("p", { class: "field-error", id: errorId, role: "alert", hidden: true });
  const set = h("fieldset", { class: "field choices", dataset: { field: name }, "aria-describedby": errorId },
    h("legend", {}, legend),
    ...items.map(([value, text, extra]) => h("label", { class: "choice" },
      h("input", { type, name, value, checked: checked.includes(value) }), " ", text,
      extra ? h("span", { class: "extra" }, " — ", extra) : null)),
    error);
  return { wrap: set, error };
}

export function clearErrors(form) {
  for (const p of form.querySelectorAll(".field-error, .form-error")) {
    p.hidden = true;
    p.textContent = "";
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/** Put a message next to the named field (its .field-error) and mark the input invalid. */
export function fieldError(form, name, message, extra = null) {
  const wrap = form.querySelector(`[data-field="${name}"]`);
  if (!wrap) return false;
  const slot = wrap.querySelector(".field-error");
  slot.replaceChildren(message, ...(extra ? [" ", extra] : []));
  slot.hidden = false;
  wrap.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
  return true;
}

export function formError(form, message, extra = null) {
  let slot = form.querySelector(".form-error");
  if (!slot) {
    slot = h("p", { class: "form-error", role: "alert" });
    form.prepend(slot);
  }
  slot.replaceChildren(message, ...(extra ? [" ", extra] : []));
  slot.hidden = false;
}

export function errorMessage(error) {
  return said(error?.body?.message) || t("network_error");
}

/**
 * Show an ApiError on a form: `placeFor` maps an error code to the field it concerns;
 * invalid_request's `fields` name theirs; the rest go on top of the form.
 */
export function showError(form, error, placeFor = {}, extra = null) {
  const wait = Number(error?.body?.retry_after);
  // A lock or a throttle says how long it lasts (retry_after, in seconds).
  const message = errorMessage(error) + (wait > 0 ? ` ${t("retry_in", { time: waitText(wait) })}` : "");
  const fields = error?.body?.fields;
  if (error?.code === "invalid_request" && Array.isArray(fields) && fields.length) {
    let placed = false;
    for (const f of fields) {
      const name = String(f.field || "").split(".")[0];
      placed = fieldError(form, name, message) || placed;
    }
    if (placed) return;
  }
  const name = placeFor[error?.code];
  if (!(name && fieldError(form, name, message, extra))) formError(form, message, extra);
  const target = form.querySelector("[aria-invalid='true']");
  target?.focus();
}

/** A live region for a page's announcements (success notes, waiting). */
export function note(text, kind = "info") {
  return h("p", { class: `note ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** 45 → «۴۵ ثانیه», 900 → «۱۵ دقیقه». */
export function waitText(seconds) {
  return seconds < 120 ? t("seconds", { n: secondsText(seconds) }) : t("minutes", { n: secondsText(seconds / 60) });
}

export function secondsText(seconds) { return digits(Math.max(0, Math.ceil(seconds))); }

/** Disable a button while a request runs, so a double click sends it once. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
