// What the add-in does on Outlook's launch events. Pure logic over injected dependencies
// ({Office, api, texts}), so node --test runs it against office-addin-mock and a fake server.
import {
  attachmentContent, call, clearNotice, getAttachments, getContent, getRecipients, loadState, saveState,
  showNotice,
} from "./mailbox.js";
import { ApiError } from "./api.js";

export const METHODS = ["account", "sms", "password", "none"];
export const MIN_PASSWORD = 8; // the server's MIN_AGREED_PASSWORD; the server checks again
const MAX_INLINE_BYTES = 25 * 1024 * 1024; // Outlook attachments sent along in the send request

export function format(text, values = {}) {
  return String(text).replace(/\{(\w+)\}/g, (m, key) => (key in values ? String(values[key]) : m));
}

/** A short, stable key of what a scan looked at, so the send handler can reuse an earlier scan. */
export function scanKey(content, attachments, uploads) {
  const text = [content.subject, content.body_html, ...attachments.map((a) => `${a.id}:${a.size}`),
    ...uploads.map((u) => u.id)].join("\u0000");
  let hash = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${text.length}:${hash.toString(16)}`;
}

/** Scan subject, body, the item's attachments and the Zegel uploads; reuse the last scan when
 *  nothing changed. Returns {findings, secure_required, blocked}. */
export async function scan(deps, state, { attachments = null } = {}) {
  const { Office, api } = deps;
  const content = await getContent(Office);
  const items = attachments || await getAttachments(Office);
  const key = scanKey(content, items, state.uploads);
  if (state.scan && state.scan.key === key) return state.scan;
  const files = [];
  for (const a of items) {
    if (a.size > MAX_INLINE_BYTES) continue; // too large to read here; the server checks it at send
    files.push({ name: a.name, content: await attachmentContent(Office, a) });
  }
  const recipients = (await getRecipients(Office)).map((r) => r.email);
  const result = await api.request("POST", "/dlp/scan", {
    subject: content.subject, body_html: content.body_html, uploads: state.uploads.map((u) => u.id),
    files, recipients,
  }, { timeout: 8000 });
  state.scan = { key, findings: result.findings, secure_required: result.secure_required, blocked: result.blocked };
  return state.scan;
}

/** Tell the user what was found; a warning turns secure sending on and says so. */
async function report(deps, state, result) {
  const { Office, texts } = deps;
  const shown = result.findings.filter((f) => f.level !== "info" || f.rule);
  if (!shown.length) {
    await clearNotice(Office);
    return;
  }
  const first = shown.find((f) => f.level !== "info") || shown[0];
  let text = first.message;
  if (result.secure_required && !state.secure) {
    state.secure = true;
    state.warned = true;
    text = format(texts.secure_turned_on, { message: first.message });
  }
  if (shown.length > 1) text = format(texts.more_findings, { message: text, n: shown.length - 1 });
  await showNotice(Office, text, { openPane: texts.open_pane });
}

async function scanAndReport(deps, event) {
  try {
    if (!(await deps.api.signedIn())) return;
    const state = await loadState(deps.Office);
    await syncRecipients(deps, state);
    const result = await scan(deps, state);
    await report(deps, state, result);
    await saveState(deps.Office, state);
  } catch (error) {
    // An early scan is a courtesy; the send handler scans again and decides.
    if (deps.log) deps.log(error);
  } finally {
    event.completed();
  }
}

/** Add the sender's saved defaults (or the organisation's) for recipients the state does not know. */
export async function syncRecipients(deps, state) {
  const recipients = await getRecipients(deps.Office);
  const unknown = recipients.filter((r) => !state.recipients[r.email.toLowerCase()]);
  if (!unknown.length) return recipients;
  const answer = await deps.api.request("POST", "/recipients/check", {
    recipients: unknown.map((r) => ({ email: r.email, type: r.type })),
  }, { timeout: 4000 });
  answer.recipients.forEach((info, i) => {
    const key = unknown[i].email.toLowerCase();
    const saved = info.default;
    let method = saved ? saved.method : answer.org_default;
    if (method === "account" && !info.has_account) method = answer.org_default === "account" ? "sms" : answer.org_default;
    state.recipients[key] = {
      method, phone: (saved && saved.phone) || "", password: "", remember: false, has_account: info.has_account,
    };
  });
  return recipients;
}

/** Recipients whose verification cannot be used as it stands (checked again by the server). */
export function missingVerification(recipients, state) {
  return recipients.filter((r) => {
    const s = state.recipients[r.email.toLowerCase()];
    if (!s || !METHODS.includes(s.method)) return true;
    if (s.method === "sms") return !(s.phone || "").trim();
    if (s.method === "password") return (s.password || "").length < MIN_PASSWORD;
    if (s.method === "account") return s.has_account === false;
    return false;
  });
}

function block(event, message, { openPane = null } = {}) {
  const options = { allowEvent: false, errorMessage: message.slice(0, 250) };
  // Mailbox 1.14: a button in the Smart Alerts dialog that opens the task pane.
  if (openPane) options.commandId = "zegelComposeButton";
  if (openPane) options.cancelLabel = openPane.slice(0, 20);
  event.completed(options);
}

export async function onNewMessageCompose(deps, event) {
  return scanAndReport(deps, event);
}

export async function onRecipientsChanged(deps, event) {
  return scanAndReport(deps, event);
}

export async function onAttachmentsChanged(deps, event) {
  return scanAndReport(deps, event);
}

/** Smart Alerts: either the message goes through Zegel and Outlook sends the placeholder, or it
 *  goes out untouched (secure off, nothing found), or it is blocked with a message that says why. */
export async function onMessageSend(deps, event) {
  const { Office, api, texts } = deps;
  let state;
  try {
    state = await loadState(Office);
  } catch (_error) {
    state = null;
  }
  if (!state) return block(event, texts.unreachable);
  const signedIn = await api.signedIn();
  if (!state.secure) {
    if (!signedIn) return event.completed({ allowEvent: true }); // a user who never signed in to Zegel
    let result;
    try {
      result = await scan(deps, state);
    } catch (error) {
      // Without an answer we cannot know whether a blocking rule matches: nothing goes out unchecked.
      return block(event, error instanceof ApiError && error.status === 0 ? texts.unreachable
        : format(texts.server_error, { message: error.message }), { openPane: texts.open_pane });
    }
    const blocking = result.findings.find((f) => f.level === "block");
    if (blocking) {
      await saveState(Office, state);
      return block(event, format(texts.blocked, { message: blocking.message }), { openPane: texts.open_pane });
    }
    const warning = result.findings.find((f) => f.level === "warning");
    if (warning && !state.warned) {
      state.secure = true;
      state.warned = true;
      await saveState(Office, state);
      return block(event, format(texts.warning_at_send, { message: warning.message }), { openPane: texts.open_pane });
    }
    await saveState(Office, state);
    return event.completed({ allowEvent: true });
  }
  if (!signedIn) return block(event, texts.signed_out, { openPane: texts.open_pane });
  return sendSecurely(deps, event, state);
}

async function sendSecurely(deps, event, state) {
  const { Office, api, texts } = deps;
  let recipients;
  let stored = null;
  try {
    recipients = await syncRecipients(deps, state);
    if (!recipients.length) return block(event, texts.no_recipients);
    const missing = missingVerification(recipients, state);
    if (missing.length) {
      await saveState(Office, state);
      return block(event, format(texts.missing_verification, { names: missing.map((r) => r.email).join(", ") }),
        { openPane: texts.open_pane });
    }
    const content = await getContent(Office);
    const attachments = await getAttachments(Office);
    const files = [];
    for (const a of attachments) {
      files.push({ name: a.name, content_type: a.contentType || "application/octet-stream",
        content: await attachmentContent(Office, a) });
    }
    stored = await api.request("POST", "/messages/outlook", {
      subject: content.subject, body_html: content.body_html,
      recipients: recipients.map((r) => {
        const s = state.recipients[r.email.toLowerCase()];
        return { email: r.email, type: r.type, remember: Boolean(s.remember),
          verification: { method: s.method, phone: s.method === "sms" ? s.phone : null,
            password: s.method === "password" ? s.password : null } };
      }),
      attachments: state.uploads.map((u) => u.id), files,
    }, { timeout: 60000 });
    await call(Office.context.mailbox.item.body, "setAsync", stored.placeholder_html,
      { coercionType: Office.CoercionType.Html });
    for (const a of attachments) await call(Office.context.mailbox.item, "removeAttachmentAsync", a.id);
    await call(Office.context.mailbox.item.internetHeaders, "setAsync", { "x-zegel-message-id": stored.id });
  } catch (error) {
    if (stored) {
      // Stored in Zegel but Outlook could not swap the content: take it back rather than send twice.
      try { await api.request("DELETE", `/messages/${stored.id}`); } catch (_e) { /* best effort */ }
      return block(event, texts.replace_failed);
    }
    if (error instanceof ApiError && error.status === 0) return block(event, texts.unreachable);
    if (error instanceof ApiError && error.status === 401) return block(event, texts.signed_out, { openPane: texts.open_pane });
    return block(event, format(texts.server_error, { message: error.message }), { openPane: texts.open_pane });
  }
  // Passwords and uploads belong to the message now; a later send of this item starts clean.
  state.recipients = {};
  state.uploads = [];
  state.scan = null;
  await saveState(Office, state);
  return event.completed({ allowEvent: true });
}
