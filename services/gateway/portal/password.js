// The password rules as the user types — the same rules identity enforces
// (services/identity/passwords.py): printable ASCII, 8–128 characters, a lower-case and an
// upper-case letter, a digit and a special character — and the two hints at the usual
// cause of trouble: a Persian keyboard, and Caps Lock (read from the key events themselves,
// and guessed from the shape "pASSWORD" as identity does).

import { t } from "./i18n.js";
import { field, h } from "./ui.js";

const SPECIAL = /[!-/:-@[-`{-~]/; // Python's string.punctuation
const PERSIAN = /[\u0600-\u06FF\u200c]/;

export const RULES = {
  ascii_only: (p) => [...p].every((ch) => ch.charCodeAt(0) >= 32 && ch.charCodeAt(0) < 127),
  min_length_8: (p) => [...p].length >= 8,
  max_length_128: (p) => [...p].length <= 128,
  needs_lowercase: (p) => /[a-z]/.test(p),
  needs_uppercase: (p) => /[A-Z]/.test(p),
  needs_digit: (p) => /[0-9]/.test(p),
  needs_special: (p) => SPECIAL.test(p),
};

export function failedRules(password) {
  return Object.keys(RULES).filter((rule) => !RULES[rule](password));
}

function capsShape(password) {
  const letters = [...password].filter((ch) => /[A-Za-z]/.test(ch));
  return letters.length >= 2 && /[a-z]/.test(letters[0]) && letters.slice(1).every((ch) => /[A-Z]/.test(ch));
}

/** The password field with its live rule list and hints. */
export function passwordField({ name = "password", label = t("password"), autocomplete = "new-password",
                                showRules = true } = {}) {
  const { wrap, input, error } = field({ name, label, type: "password", autocomplete, required: true,
                                         maxlength: 1024, spellcheck: "false", autocapitalize: "off" });
  input.setAttribute("dir", "ltr");
  const toggle = h("label", { class: "choice show-password" },
    h("input", { type: "checkbox", onchange: (e) => { input.type = e.target.checked ? "text" : "password"; } }),
    " ", t("show_password"));
  const items = {};
  const list = h("ul", { class: "rules", id: `${input.id}-rules`, "aria-live": "polite" },
    ...Object.keys(RULES).map((rule) => {
      const state = h("span", { class: "visually-hidden" });
      items[rule] = { li: h("li", { dataset: { rule }, class: "unmet" }, h("span", { class: "mark", "aria-hidden": "true" }),
        t(`rule_${rule}`), " ", state), state };
      return items[rule].li;
    }));
  const hints = {
    caps_lock: h("p", { class: "hint", dataset: { hint: "caps_lock" }, role: "status", hidden: true }, t("hint_caps_lock")),
    persian_keyboard: h("p", { class: "hint", dataset: { hint: "persian_keyboard" }, role: "status", hidden: true },
      t("hint_persian_keyboard")),
  };
  let capsKey = false;

  function update() {
    const value = input.value;
    const failed = new Set(failedRules(value));
    for (const [rule, { li, state }] of Object.entries(items)) {
      const met = !failed.has(rule);
      li.className = met ? "met" : "unmet";
      state.textContent = `(${met ? t("rule_met") : t("rule_unmet")})`;
    }
    hints.caps_lock.hidden = !(capsKey || capsShape(value));
    hints.persian_keyboard.hidden = !PERSIAN.test(value);
  }

  const readCaps = (event) => {
    if (typeof event.getModifierState === "function") capsKey = event.getModifierState("CapsLock");
    update();
  };
  input.addEventListener("keydown", readCaps);
  input.addEventListener("keyup", readCaps);
  input.addEventListener("input", update);
  input.addEventListener("blur", () => { capsKey = false; update(); });
  input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby")} ${list.id}`);

  const block = h("div", { class: "password-block" }, wrap, toggle,
    hints.caps_lock, hints.persian_keyboard,
    showRules ? h("div", { class: "rules-box" }, h("p", { class: "rules-title" }, t("rules_title")), list) : null);
  /** The gateway's word wins: rules and hints from a weak_password answer are shown as failed. */
  function showServer(body) {
    for (const r of Array.isArray(body?.rules) ? body.rules : []) {
      const item = items[r.rule || r];
      if (item) {
        item.li.className = "unmet";
        item.state.textContent = `(${t("rule_unmet")})`;
      }
    }
    for (const hint of Array.isArray(body?.hints) ? body.hints : []) {
      if (hints[hint.hint || hint]) hints[hint.hint || hint].hidden = false;
    }
  }

  update();
  return { block, input, error, update, showServer, valid: () => failedRules(input.value).length === 0 };
}
