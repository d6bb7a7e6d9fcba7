// Sign-up, code entry with a resend countdown, login and password recovery (ID-1 … ID-4).

import { api, keepTokens } from "./api.js";
import { digits, latinDigits, t } from "./i18n.js";
import { passwordField } from "./password.js";
import { busy, clearErrors, errorMessage, field, h, note, put, secondsText, showError } from "./ui.js";

const MOBILE = "portal.mobile";
const rememberMobile = (mobile) => sessionStorage.setItem(MOBILE, mobile);
const rememberedMobile = () => sessionStorage.getItem(MOBILE) || "";
// Which registration attempt this browser made: only that attempt's code verifies it, so a
// code sent for someone else's attempt on the same number cannot set their password.
const REGISTRATION = "portal.registration";

function mobileField(value = rememberedMobile()) {
  return field({ name: "mobile", label: t("mobile"), type: "tel", help: t("mobile_help"), value,
                 autocomplete: "tel", inputmode: "tel", required: true, maxlength: 40, dir: "ltr" });
}

function page(main, title, ...content) {
  put(main, h("h1", { tabindex: "-1" }, title), content);
}

const link = (hash, text) => h("a", { href: hash }, text);

export function signUp(main, { go }) {
  const mobile = mobileField();
  const password = passwordField();
  const submit = h("button", { type: "submit" }, t("signup_submit"));
  const form = h("form", { novalidate: true, "aria-labelledby": "signup-title" }, mobile.wrap, password.block, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const number = latinDigits(mobile.input.value.trim());
    await busy(submit, async () => {
      try {
        const registered = await api("POST", "/identity/registrations", {
          mobile: number, password: password.input.value, locale: document.documentElement.lang });
        rememberMobile(number);
        sessionStorage.setItem(REGISTRATION, registered.registration_id);
        go("#/verify");
      } catch (error) {
        // A number already registered points to recovery, right where the number was typed.
        const recovery = error.code === "mobile_already_registered" ? link("#/recover", t("go_recovery")) : null;
        if (error.code === "weak_password") password.showServer(error.body);
        showError(form, error, { invalid_mobile: "mobile", mobile_already_registered: "mobile",
                                 weak_password: "password" }, recovery);
      }
    });
  });
  page(main, t("signup_title"), h("p", {}, t("signup_intro")), form,
    h("p", {}, t("have_account"), " ", link("#/login", t("nav_login"))));
  main.querySelector("h1").id = "signup-title";
}

/** The resend button: counts down the server's retry_after, in the reader's digits. */
function resendButton(mobile, purpose, status) {
  const button = h("button", { type: "button", class: "secondary", dataset: { role: "resend" } }, t("resend"));
  let timer = null;
  const countdown = (seconds) => {
    const until = Date.now() + seconds * 1000;
    clearInterval(timer);
    const tick = () => {
      const left = (until - Date.now()) / 1000;
      if (left <= 0) {
        clearInterval(timer);
        button.disabled = false;
        button.textContent = t("resend");
        return;
      }
      button.disabled = true;
      button.textContent = t("resend_wait", { seconds: secondsText(left) });
    };
    tick();
    timer = setInterval(tick, 250);
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.replaceChildren();
    try {
      await api("POST", "/identity/verification-codes", { mobile: mobile(), purpose });
      status.replaceChildren(note(t("resent")));
      button.disabled = false;
    } catch (error) {
      button.disabled = false;
      status.replaceChildren(note(errorMessage(error), "error"));
      if (error.body?.retry_after) countdown(Number(error.body.retry_after));
    }
  });
  button.countdown = countdown;  // a page that just asked for a code starts the gap itself
  return button;
}

export function verify(main, { go }) {
  const mobile = rememberedMobile();
  if (!mobile || !sessionStorage.getItem(REGISTRATION)) {  // verifying names this browser's attempt
    go("#/signup");
    return;
  }
  const code = field({ name: "code", label: t("code"), inputmode: "numeric", autocomplete: "one-time-code",
                       required: true, maxlength: 20, dir: "ltr" });
  const submit = h("button", { type: "submit" }, t("verify_submit"));
  const status = h("div", { class: "status" });
  const form = h("form", { novalidate: true }, code.wrap, h("div", { class: "actions" }, submit,
    resendButton(() => mobile, "signup", status)), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    await busy(submit, async () => {
      try {
        const registration_id = sessionStorage.getItem(REGISTRATION);
        await api("POST", "/identity/registrations/verify",
                  { mobile, code: latinDigits(code.input.value.trim()), registration_id });
        sessionStorage.setItem("portal.flash", "verified");
        // Back to where sign-up started from (an invitation's page), through the login.
        const next = sessionStorage.getItem("portal.next");
        go(next ? `#/login?next=${encodeURIComponent(next)}` : "#/login");
      } catch (error) {
        const login = error.code === "already_verified" ? link("#/login", t("nav_login")) : null;
        showError(form, error, { invalid_code: "code", code_expired: "code", too_many_attempts: "code" }, login);
      }
    });
  });
  // The number is isolated (FSI … PDI) so its digits keep their order inside Persian text.
  page(main, t("verify_title"), h("p", {}, t("verify_intro", { mobile: `\u2068${digits(mobile)}\u2069` })), form);
}

export function login(main, { go, query }) {
  const flash = sessionStorage.getItem("portal.flash");
  sessionStorage.removeItem("portal.flash");
  const mobile = mobileField();
  const password = passwordField({ autocomplete: "current-password", showRules: false });
  const submit = h("button", { type: "submit" }, t("login_submit"));
  const form = h("form", { novalidate: true }, mobile.wrap, password.block, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const number = latinDigits(mobile.input.value.trim());
    await busy(submit, async () => {
      try {
        keepTokens(await api("POST", "/identity/sessions", { mobile: number, password: password.input.value }));
        rememberMobile(number);
        // Only a page of this portal: `next` comes from the address bar.
        const next = query.get("next") || "";
        go(/^#\/[\w/?=&%-]*$/.test(next) && !next.startsWith("#/login") ? next : "#/me");
      } catch (error) {
        const extra = error.code === "mobile_not_verified" ? link("#/verify", t("go_verify"))
          : error.code === "account_locked" ? link("#/recover", t("go_recovery")) : null;
        if (error.code === "mobile_not_verified") rememberMobile(number);
        showError(form, error, { invalid_mobile: "mobile", mobile_not_verified: "mobile",
                                 invalid_credentials: "password", account_locked: "password" }, extra);
      }
    });
  });
  page(main, t("login_title"), flash ? note(t(flash === "verified" ? "verified" : "recover_done"), "success") : null,
    form, h("p", {}, link("#/recover", t("forgot"))),
    h("p", {}, t("no_account"), " ", link("#/signup", t("nav_signup"))));
}

export function recover(main, { go }) {
  const mobile = mobileField();
  const send = h("button", { type: "submit" }, t("recover_send"));
  const askForm = h("form", { novalidate: true }, mobile.wrap, send);
  const code = field({ name: "code", label: t("code"), inputmode: "numeric", autocomplete: "one-time-code",
                       required: true, maxlength: 20, dir: "ltr" });
  const password = passwordField({ name: "new_password", label: t("new_password") });
  const confirm = h("button", { type: "submit" }, t("recover_confirm"));
  const status = h("div", { class: "status" });
  const resend = resendButton(() => latinDigits(mobile.input.value.trim()), "password_reset", status);
  const setForm = h("form", { novalidate: true, hidden: true }, code.wrap, password.block,
    h("div", { class: "actions" }, confirm, resend), status);
  askForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(askForm);
    await busy(send, async () => {
      try {
        // Answered alike for every number (a registered one is not told apart), so the page
        // says "if registered" and waits the minute between codes before offering another.
        await api("POST", "/identity/password-resets", { mobile: latinDigits(mobile.input.value.trim()) });
        status.replaceChildren(note(t("recover_sent")));
        resend.countdown(60);
        setForm.hidden = false;
        mobile.input.readOnly = true;
        code.input.focus();
      } catch (error) {
        showError(askForm, error, { invalid_mobile: "mobile", mobile_not_verified: "mobile" });
      }
    });
  });
  setForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(setForm);
    const number = latinDigits(mobile.input.value.trim());
    await busy(confirm, async () => {
      try {
        await api("POST", "/identity/password-resets/confirm", {
          mobile: number, code: latinDigits(code.input.value.trim()), new_password: password.input.value });
        rememberMobile(number);
        sessionStorage.setItem("portal.flash", "recovered");
        go("#/login");
      } catch (error) {
        if (error.code === "weak_password") password.showServer(error.body);
        showError(setForm, error, { invalid_code: "code", code_expired: "code", too_many_attempts: "code",
                                    weak_password: "new_password" });
      }
    });
  });
  page(main, t("recover_title"), h("p", {}, t("recover_intro")), askForm, setForm);
}
