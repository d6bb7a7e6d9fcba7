// Talking to the gateway: JSON in and out, the session's tokens in sessionStorage (gone when
// the tab closes), one refresh on a 401 through /identity/sessions/refresh, and every failure
// as an ApiError carrying the gateway's error body ({error, message, fields, rules, hints,
// retry_after}) so a page can put each message next to the field it concerns.

const TOKENS = "portal.tokens";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `http_${status}`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.error || (status === 0 ? "network_error" : `http_${status}`);
  }
}

export function tokens() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKENS) || "null");
  } catch {
    return null;
  }
}

export function keepTokens(answer) {
  sessionStorage.setItem(TOKENS, JSON.stringify({
    access_token: answer.access_token, refresh_token: answer.refresh_token,
  }));
}

export function forgetTokens() { sessionStorage.removeItem(TOKENS); }

export function loggedIn() { return Boolean(tokens()?.access_token); }

async function send(method, path, body, auth, extra = {}) {
  const headers = { ...extra, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const held = tokens();
  if (auth && held?.access_token) headers.Authorization = `Bearer ${held.access_token}`;
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit",
    });
  } catch {
    return { status: 0, body: null, response: null };
  }
  const type = response.headers.get("Content-Type") || "";
  let parsed = null;
  if (type.includes("json")) {
    try { parsed = await response.json(); } catch { parsed = null; }
  }
  return { status: response.status, body: parsed, response };
}

let refreshing = null;

/** Swap the refresh token for new tokens, once even when several requests got a 401 together. */
async function refresh() {
  const held = tokens();
  if (!held?.refresh_token) return false;
  refreshing ??= send("POST", "/identity/sessions/refresh", { refresh_token: held.refresh_token }, false)
    .then(({ status, body }) => {
      if (status === 200 && body?.access_token) {
        keepTokens(body);
        return true;
      }
      forgetTokens();
      return false;
    })
    .finally(() => { refreshing = null; });
  return refreshing;
}

/** A fresh Idempotency-Key: made once per form, sent with each of its submits, so that a double
 *  submit or a retry after a lost answer creates one thing (the gateway honours the header). */
export function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One API call; resolves to the JSON body of a 2xx answer, or throws ApiError. ``headers``: more
 *  request headers (an Idempotency-Key); Accept, Content-Type and Authorization stay the portal's. */
export async function api(method, path, body = undefined, { auth = false, headers = {} } = {}) {
  let answer = await send(method, path, body, auth, headers);
  if (answer.status === 401 && auth && (await refresh())) answer = await send(method, path, body, auth, headers);
  if (answer.status >= 200 && answer.status < 300) return answer.body ?? {};
  if (answer.status === 401 && auth) {
    forgetTokens();
    window.dispatchEvent(new CustomEvent("portal:logged-out"));
  }
  throw new ApiError(answer.status, answer.body);
}

/** A protected file (an export) fetched with the token and handed to the browser to save. */
export async function download(path, filename) {
  const get = () => fetch(path, { headers: { Authorization: `Bearer ${tokens()?.access_token || ""}` } });
  let response = await get().catch(() => null);
  if (response?.status === 401 && (await refresh())) response = await get().catch(() => null);
  if (!response?.ok) {
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    throw new ApiError(response ? response.status : 0, body);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file sent as the request's body (PUT), with its progress told as a fraction (fetch cannot
 *  tell an upload's progress, XMLHttpRequest can); the JSON answer, or an ApiError. */
export async function upload(path, file, onProgress = () => {}) {
  const put = () => new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", path);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.setRequestHeader("Authorization", `Bearer ${tokens()?.access_token || ""}`);
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = null; }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener("error", () => resolve({ status: 0, body: null }));
    xhr.send(file);
  });
  let answer = await put();
  if (answer.status === 401 && (await refresh())) answer = await put();
  if (answer.status >= 200 && answer.status < 300) return answer.body ?? {};
  throw new ApiError(answer.status, answer.body);
}
