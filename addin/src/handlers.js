// What the add-in does on Outlook's launch events. Pure logic over injected dependencies
// ({Office, api, texts}), so node --test runs it against office-addin-mock and a fake server.
// The item's state is shared with the task pane: read it fresh, and write back only what changed.
import {
  addAttachment, attachmentContent, bodyType, call, clearNotice, getAttachments, getContent, getRecipients,
  loadState, rememberMessageId, showNotice, updateState,
} from "./mailbox.js";
import { ApiError } from "./api.js";

export const METHODS = ["account", "sms", "password", "none"];
export const MIN_PASSWORD = 8; // the server's MIN_AGREED_PASSWORD; the server checks again
const MAX_INLINE_BYTES = 25 * 1024 * 1024; // Outlook attachments read for a scan
const KEPT_FINDINGS = 20; // per part, so the state stays far below sessionData's 50,000 characters
const EARLY_TIMEOUT = 8000;
const SEND_TIMEOUT = 20000;

export function format(text, values = {}) {
  return String(text).replace(/\{(\w+)\}/g, (m, key) => (key in values ? String(values[key]) : m));
}

function hash(parts) {
  const text = parts.join("\u0000");
  let value = 0x811c9dc5; // FNV-1a: a short, stable key of what a scan looked at
  for (let i = 0; i < text.length; i++) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return `${text.length}:${value.toString(16)}`;
}

function compact(result) {
  return {
    findings: result.findings.slice(0, KEPT_FINDINGS).map((f) => ({ rule: f.rule, level: f.level,
      location: f.location, file: f.file || null, detector: f.detector, message: f.message })),
    secure_required: Boolean(result.secure_required), blocked: Boolean(result.blocked),
  };
}

const NOTHING = { findings: [], secure_required: false, blocked: false };

/** Scan subject, body and Zegel uploads (one request), and the item's own attachments (another, only
 *  when they changed: reading and sending their bytes is the expensive part). Reuses the parts of
 *  the last scan whose input is unchanged. Returns the new scan; the caller stores it. */
export async function scan(deps, state, { timeout = EARLY_TIMEOUT } = {}) {
  const { Office, api } = deps;
  const content = await getContent(Office);
  const { files } = await getAttachments(Office);
  const recipients = (await getRecipients(Office)).map((r) => r.email.toLowerCase()).sort();
  const uploads = state.uploads.map((u) => u.id);
  const textKey = hash([content.subject, content.body_html, ...uploads, "|", ...recipients]);
  const filesKey = hash([...files.map((a) => `${a.id}:${a.size}:${a.name}`), "|", ...recipients]);
  const last = state.scan || {};
  const text = last.textKey === textKey && last.text ? last.text : compact(await api.request("POST", "/dlp/scan", {
    subject: content.subject, body_html: content.body_html, uploads, recipients }, { timeout }));
  let inline = last.filesKey === filesKey && last.files ? last.files : null;
  if (!inline) {
    const readable = files.filter((a) => a.size <= MAX_INLINE_BYTES);
    inline = readable.length ? compact(await api.request("POST", "/dlp/scan", {
      files: await Promise.all(readable.map(async (a) => ({ name: a.name, content: await attachmentContent(Office, a) }))),
      recipients }, { timeout })) : NOTHING;
  }
  return {
    textKey, filesKey, text, files: inline, findings: [...text.findings, ...inline.findings],
    secure_required: text.secure_required || inline.secure_required, blocked: text.blocked || inline.blocked,
  };
}

function stored(result) {
  return { textKey: result.textKey, filesKey: result.filesKey, text: result.text, files: result.files };
}

/** Store a scan; a warning the user has not been told about yet turns secure sending on. Returns
 *  whether it did. A user who turned it off again after being told keeps it off. */
export async function applyScan(Office, result) {
  return updateState(Office, (state) => {
    state.scan = stored(result);
    if (result.secure_required && !state.secure && !state.warned) {
      state.secure = true;
      state.warned = true;
      return true;
    }
    return false;
  });
}

async function report(deps, result, turnedOn) {
  const { Office, texts } = deps;
  const shown = result.findings.filter((f) => f.level !== "info" || f.rule);
  if (!shown.length) {
    await clearNotice(Office);
    return;
  }
  const first = shown.find((f) => f.level !== "info") || shown[0];
  let text = turnedOn ? format(texts.secure_turned_on, { message: first.message }) : first.message;
  if (shown.length > 1) text = format(texts.more_findings, { message: text, n: shown.length - 1 });
  await showNotice(Office, text, { openPane: texts.open_pane });
}

async function scanAndReport(deps, event, { nudge = false } = {}) {
  try {
    if (!(await deps.api.signedIn())) {
      // Without a login the organisation's rules cannot be asked: say so once, when a message is started.
      if (nudge) await showNotice(deps.Office, deps.texts.sign_in_hint, { openPane: deps.texts.open_pane });
      return;
    }
    await syncRecipients(deps);
    const result = await scan(deps, await loadState(deps.Office));
    await report(deps, result, await applyScan(deps.Office, result));
  } catch (error) {
    // An early scan is a courtesy; the send handler scans again and decides.
    if (deps.log) deps.log(error);
  } finally {
    event.completed();
  }
}

/** Give recipients the state does not know yet the sender's saved default (or the organisation's).
 *  Returns the item's recipients and the state after the change. */
export async function syncRecipients(deps, { timeout = EARLY_TIMEOUT } = {}) {
  const recipients = await getRecipients(deps.Office);
  const known = (await loadState(deps.Office)).recipients;
  const unknown = recipients.filter((r) => !known[r.email.toLowerCase()]);
  if (!unknown.length) return { recipients, state: await loadState(deps.Office) };
  const answer = await deps.api.request("POST", "/recipients/check", {
    recipients: unknown.map((r) => ({ email: r.email, type: r.type })),
  }, { timeout });
  const state = await updateState(deps.Office, (s) => {
    answer.recipients.forEach((info, i) => {
      const key = unknown[i].email.toLowerCase();
      if (s.recipients[key]) return; // the pane set it meanwhile
      const saved = info.default;
      let method = saved ? saved.method : answer.org_default;
      if (method === "account" && !info.has_account) method = "sms";
      s.recipients[key] = {
        method, phone: (saved && saved.phone) || "", password: "", remember: false, has_account: info.has_account,
      };
    });
  });
  return { recipients, state };
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

/** event.completed exactly once, whatever happens. */
function finisher(event) {
  let done = false;
  const finish = (options) => {
    if (!done) {
      done = true;
      event.completed(options);
    }
  };
  finish.allow = () => finish({ allowEvent: true });
  finish.block = (message, { openPane = null } = {}) => {
    const options = { allowEvent: false, errorMessage: message.slice(0, 250) };
    if (openPane) {
      // Mailbox 1.14: a button in the Smart Alerts dialog that opens the task pane.
      options.commandId = "zegelComposeButton";
      options.cancelLabel = openPane.slice(0, 20);
    }
    finish(options);
  };
  return finish;
}

export async function onNewMessageCompose(deps, event) {
  return scanAndReport(deps, event, { nudge: true });
}

export async function onRecipientsChanged(deps, event) {
  return scanAndReport(deps, event);
}

export async function onAttachmentsChanged(deps, event) {
  return scanAndReport(deps, event);
}

function explain(texts, error) {
  if (error instanceof ApiError && error.status === 0) return texts.unreachable;
  if (error instanceof ApiError && error.status === 401) return texts.signed_out;
  return format(texts.server_error, { message: error.message });
}

/** Smart Alerts: either the message goes through Zegel and Outlook sends the placeholder, or it
 *  goes out untouched (secure off, nothing found), or it is blocked with a message that says why. */
export async function onMessageSend(deps, event) {
  const finish = finisher(event);
  try {
    await decideSend(deps, finish);
  } catch (error) {
    if (deps.log) deps.log(error);
    finish.block(explain(deps.texts, error), { openPane: deps.texts.open_pane });
  }
}

async function decideSend(deps, finish) {
  const { Office, api, texts } = deps;
  const signedIn = await api.signedIn();
  // A login that expired or was revoked asks for a new one; only someone who never signed in (or
  // logged out) sends as if there were no add-in (docs/security.md).
  if (!signedIn && await api.sessionEnded()) return finish.block(texts.signed_out, { openPane: texts.open_pane });
  let state;
  try {
    state = await loadState(Office);
  } catch (error) {
    // Without the state we cannot know whether secure sending is on: nothing goes out unchecked.
    if (!signedIn) return finish.allow();
    return finish.block(texts.state_failed);
  }
  if (!state.secure) {
    if (!signedIn) return finish.allow();
    let result;
    try {
      result = await scan(deps, state, { timeout: SEND_TIMEOUT });
    } catch (error) {
      // Without an answer we cannot know whether a blocking rule matches.
      return finish.block(explain(texts, error), { openPane: texts.open_pane });
    }
    const blocking = result.findings.find((f) => f.level === "block");
    const warning = result.findings.find((f) => f.level === "warning");
    let turnedOn;
    try {
      turnedOn = await applyScan(Office, result);
    } catch (error) {
      if (deps.log) deps.log(error);
      turnedOn = Boolean(warning) && !state.warned; // not stored, but the user has to see it all the same
    }
    if (blocking) return finish.block(format(texts.blocked, { message: blocking.message }), { openPane: texts.open_pane });
    if (warning && turnedOn) {
      return finish.block(format(texts.warning_at_send, { message: warning.message }), { openPane: texts.open_pane });
    }
    return finish.allow();
  }
  if (!signedIn) return finish.block(texts.signed_out, { openPane: texts.open_pane });
  return sendSecurely(deps, finish);
}

async function sendSecurely(deps, finish) {
  const { Office, api, texts } = deps;
  const item = Office.context.mailbox.item;
  const { recipients, state } = await syncRecipients(deps, { timeout: SEND_TIMEOUT });
  if (!recipients.length) return finish.block(texts.no_recipients);
  const missing = missingVerification(recipients, state);
  if (missing.length) {
    return finish.block(format(texts.missing_verification, { names: missing.map((r) => r.email).join(", ") }),
      { openPane: texts.open_pane });
  }
  const { files, cloud } = await getAttachments(Office);
  // A cloud attachment is a link to a file elsewhere: it cannot go through Zegel, nor stay next to
  // the placeholder.
  if (cloud.length) return finish.block(format(texts.cloud_attachments, { names: cloud.map((a) => a.name).join(", ") }));
  const content = await getContent(Office);
  const format_ = await bodyType(Office);
  // What to put back if the swap fails half-way, in the item's own format.
  const original = format_ === "text" ? await call(item.body, "getAsync", Office.CoercionType.Text) : content.body_html;
  const inline = [];
  for (const a of files) {
    inline.push({ attachment: a, name: a.name, content_type: a.contentType || "application/octet-stream",
      content: await attachmentContent(Office, a) });
  }
  let sent;
  try {
    sent = await api.request("POST", "/messages/outlook", {
      subject: content.subject, body_html: content.body_html,
      recipients: recipients.map((r) => {
        const s = state.recipients[r.email.toLowerCase()];
        return { email: r.email, type: r.type, remember: Boolean(s.remember),
          verification: { method: s.method, phone: s.method === "sms" ? s.phone : null,
            password: s.method === "password" ? s.password : null } };
      }),
      attachments: state.uploads.map((u) => u.id),
      files: inline.map(({ name, content_type: type, content: data }) => ({ name, content_type: type, content: data })),
    }, { timeout: 60000 });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return finish.block(texts.signed_out, { openPane: texts.open_pane });
    return finish.block(explain(texts, error), { openPane: texts.open_pane });
  }
  // Swap the content for the placeholder. The header changes nothing visible, so it goes first; when
  // a later step fails, what was changed is put back and the stored message deleted again.
  let bodyChanged = false;
  const removed = [];
  try {
    await call(item.internetHeaders, "setAsync", { "x-zegel-message-id": sent.id });
    await (format_ === "text"
      ? call(item.body, "setAsync", sent.placeholder_text, { coercionType: Office.CoercionType.Text })
      : call(item.body, "setAsync", sent.placeholder_html, { coercionType: Office.CoercionType.Html }));
    bodyChanged = true;
    for (const entry of inline) {
      try {
        await call(item, "removeAttachmentAsync", entry.attachment.id);
      } catch (error) {
        // Outlook may have dropped it itself (an inline image of the replaced body): gone is fine.
        const still = (await getAttachments(Office)).files.some((a) => a.id === entry.attachment.id);
        if (still) throw error;
      }
      removed.push(entry);
    }
    // Ids of attachments are not stable on every client: check that none of the files is left.
    const left = (await getAttachments(Office)).files.filter((a) => inline.some((e) => e.name === a.name && e.attachment.size === a.size));
    if (left.length) throw new Error(`attachments left: ${left.map((a) => a.name).join(", ")}`);
  } catch (error) {
    if (deps.log) deps.log(error);
    await putBack(deps, original, format_, bodyChanged, removed);
    try { await api.request("DELETE", `/messages/${sent.id}`); } catch (_e) { /* the server expires it */ }
    return finish.block(texts.replace_failed);
  }
  try {
    await rememberMessageId(Office, sent.id); // for the read pane in Sent Items
  } catch (error) {
    if (deps.log) deps.log(error);
  }
  try {
    // Passwords and uploads belong to the message now; a later send of this item starts clean.
    await updateState(Office, (s) => { s.recipients = {}; s.uploads = []; s.scan = null; });
  } catch (error) {
    if (deps.log) deps.log(error);
  }
  return finish.allow();
}

async function putBack(deps, original, format_, bodyChanged, removed) {
  const { Office } = deps;
  const item = Office.context.mailbox.item;
  try {
    await call(item.internetHeaders, "removeAsync", ["x-zegel-message-id"]);
  } catch (error) {
    if (deps.log) deps.log(error);
  }
  try {
    if (bodyChanged) {
      await call(item.body, "setAsync", original,
        { coercionType: format_ === "text" ? Office.CoercionType.Text : Office.CoercionType.Html });
    }
  } catch (error) {
    if (deps.log) deps.log(error);
  }
  for (const entry of removed) {
    try {
      await addAttachment(Office, entry.name, entry.content, Boolean(entry.attachment.isInline));
    } catch (error) {
      if (deps.log) deps.log(error);
    }
  }
}
