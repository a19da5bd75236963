// The Outlook item calls the add-in uses, as promises. Every function takes the Office object, so
// the same code runs against office.js, the test harness and office-addin-mock.

/** Call an Office "…Async(args…, callback)" method and resolve with its value; a callback that
 *  never comes is an error after `timeout` ms, so a handler always gets to finish its event. */
export function call(target, method, ...args) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${method} did not answer`)), CALL_TIMEOUT);
    target[method](...args, (result) => {
      clearTimeout(timer);
      if (result && result.status === "failed") {
        const error = new Error((result.error && result.error.message) || `${method} failed`);
        error.officeError = result.error;
        reject(error);
      } else {
        resolve(result ? result.value : undefined);
      }
    });
  });
}

const CALL_TIMEOUT = 30000;
const STATE_PREFIX = "zegel.";
const FIELDS = ["secure", "warned", "recipients", "uploads", "scan", "account"];
const MESSAGE_ID_PROPERTY = "zegelMessageId";

/** All of the item's sessionData as an object (some clients answer with a JSON string). */
export async function sessionEntries(sessionData) {
  const all = await call(sessionData, "getAllAsync");
  return typeof all === "string" ? JSON.parse(all || "{}") : all || {};
}

/** The add-in's state of one compose item: kept in the item's sessionData (Mailbox 1.11), so the
 *  task pane and the event handlers see the same, and nothing of it is saved with the draft. One
 *  key per field, so a runtime writing one field cannot undo another runtime's change to another.
 *  Throws when it cannot be read: callers decide what that means (the send handler blocks). */
export async function loadState(Office) {
  const all = await sessionEntries(Office.context.mailbox.item.sessionData);
  const raw = {};
  for (const field of FIELDS) {
    const text = all[STATE_PREFIX + field];
    if (text !== undefined && text !== null && text !== "") raw[field] = JSON.parse(text);
  }
  return normaliseState(raw);
}

let updates = Promise.resolve();

/** Change the state: read, change, write the fields that changed. Changes from this runtime run one
 *  after the other (two at once would each write back the other's old copy). */
export function updateState(Office, change) {
  const run = updates.then(async () => {
    const state = await loadState(Office);
    const before = JSON.parse(JSON.stringify(state));
    const result = change(state);
    const sessionData = Office.context.mailbox.item.sessionData;
    for (const field of FIELDS) {
      const text = JSON.stringify(state[field]);
      if (text !== JSON.stringify(before[field])) await call(sessionData, "setAsync", STATE_PREFIX + field, text);
    }
    return result === undefined ? state : result;
  });
  updates = run.catch(() => undefined);
  return run;
}

export function normaliseState(value) {
  const state = value && typeof value === "object" ? value : {};
  return {
    secure: Boolean(state.secure),
    // address (lower case) → {method, phone, password, remember}
    recipients: state.recipients && typeof state.recipients === "object" ? state.recipients : {},
    // finished Zegel uploads: [{id, name, size}]
    uploads: Array.isArray(state.uploads) ? state.uploads : [],
    // the last DLP scan: {key, findings, secure_required}
    scan: state.scan && typeof state.scan === "object" ? state.scan : null,
    // warnings the user has been told about; turning secure off after that is their choice
    warned: Boolean(state.warned),
    account: typeof state.account === "string" ? state.account : null,
  };
}

function safeParse(text) {
  try {
    return JSON.parse(text);
  } catch (_error) {
    return null;
  }
}

export async function getRecipients(Office) {
  const item = Office.context.mailbox.item;
  const [to, cc, bcc] = await Promise.all(["to", "cc", "bcc"].map((kind) => call(item[kind], "getAsync")));
  const seen = new Set();
  const out = [];
  for (const [kind, list] of [["to", to], ["cc", cc], ["bcc", bcc]]) {
    for (const r of list || []) {
      const email = (r.emailAddress || "").trim();
      const key = email.toLowerCase();
      if (!email || seen.has(key)) continue;
      seen.add(key);
      out.push({ email, name: r.displayName || "", type: kind });
    }
  }
  return out;
}

export async function getContent(Office) {
  const item = Office.context.mailbox.item;
  const [subject, body] = await Promise.all([
    call(item.subject, "getAsync"),
    call(item.body, "getAsync", Office.CoercionType.Html),
  ]);
  return { subject: subject || "", body_html: body || "" };
}

/** The item's attachments: files (and attached items) whose bytes can be read, and cloud links. */
export async function getAttachments(Office) {
  const list = (await call(Office.context.mailbox.item, "getAttachmentsAsync")) || [];
  return { files: list.filter((a) => a.attachmentType !== "cloud"), cloud: list.filter((a) => a.attachmentType === "cloud") };
}

/** An attachment's bytes as base64 (files and .eml items; Mailbox 1.8). */
export async function attachmentContent(Office, attachment) {
  const content = await call(Office.context.mailbox.item, "getAttachmentContentAsync", attachment.id);
  if (content.format === "base64") return content.content;
  if (content.format === "eml") return toBase64(content.content);
  throw new Error(`unsupported attachment format ${content.format}`);
}

function toBase64(text) {
  if (typeof TextEncoder === "undefined" || typeof btoa === "undefined") {
    throw new Error("this Outlook cannot read attached e-mails");
  }
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function addAttachment(Office, name, base64, isInline = false) {
  return call(Office.context.mailbox.item, "addFileAttachmentFromBase64Async", base64, name, { isInline });
}

/** "html" or "text": the placeholder goes in in the item's own format. */
export async function bodyType(Office) {
  const item = Office.context.mailbox.item;
  return item.body.getTypeAsync ? call(item.body, "getTypeAsync") : "html";
}

/** The Zegel message id, kept with the item (custom properties survive into Sent Items, where
 *  Outlook does not show internet headers to add-ins). */
export async function rememberMessageId(Office, id) {
  const properties = await call(Office.context.mailbox.item, "loadCustomPropertiesAsync");
  properties.set(MESSAGE_ID_PROPERTY, id);
  await call(properties, "saveAsync");
}

export async function rememberedMessageId(Office) {
  const properties = await call(Office.context.mailbox.item, "loadCustomPropertiesAsync");
  return properties.get(MESSAGE_ID_PROPERTY) || null;
}

export function removeAttachment(Office, id) {
  return call(Office.context.mailbox.item, "removeAttachmentAsync", id);
}

const NOTICE_KEY = "zegel-dlp";

/** One notification bar in the item for Zegel's findings; actions open the task pane. */
export async function showNotice(Office, text, { openPane = null, error = false } = {}) {
  const item = Office.context.mailbox.item;
  const message = text.length > 150 ? `${text.slice(0, 149)}…` : text;
  const details = error
    ? { type: Office.MailboxEnums.ItemNotificationMessageType.ErrorMessage, message }
    : { type: Office.MailboxEnums.ItemNotificationMessageType.InsightMessage, message, icon: "Icon.16x16" };
  if (openPane && !error) {
    details.actions = [{
      actionType: Office.MailboxEnums.ActionType.ShowTaskPane,
      actionText: openPane.slice(0, 30),
      commandId: "zegelComposeButton",
      contextData: "{}",
    }];
  }
  await call(item.notificationMessages, "replaceAsync", NOTICE_KEY, details);
}

export async function clearNotice(Office) {
  try {
    await call(Office.context.mailbox.item.notificationMessages, "removeAsync", NOTICE_KEY);
  } catch (_error) {
    // there was none
  }
}
