// The send-time and early-scan handlers against office-addin-mock's Outlook and a fake Zegel server:
// what goes out, what is blocked, and that a non-secure message without findings is left alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OfficeMockObject } from "office-addin-mock";

import { ZegelApi } from "../src/api.js";
import * as handlers from "../src/handlers.js";

const TEXTS = {
  open_pane: "Open Zegel", secure_turned_on: "Secure on: {message}", more_findings: "{message} (+{n})",
  signed_out: "Sign in first.", sign_in_hint: "Sign in to Zegel.", no_recipients: "No recipients.", missing_verification: "Missing: {names}.",
  unreachable: "Zegel unreachable.", server_error: "Refused: {message}", blocked: "Blocked: {message}",
  warning_at_send: "Found: {message} Secure is on now.", replace_failed: "Could not replace.",
  state_failed: "Could not read the settings.", cloud_attachments: "Cloud: {names}.",
};

/** An Outlook compose item whose async calls succeed (unless told to fail) and are recorded. */
function outlook({ subject = "Uitslag", body = "<p>Hallo</p>", to = ["otto@example.nl"], cc = [],
  attachments = [], state = null, bodyType = "html", fail = {} } = {}) {
  const record = { body, removed: [], added: [], headers: {}, notices: {}, sessionData: {}, setBodyCalls: 0,
    properties: {} };
  if (state) for (const [key, value] of Object.entries(state)) record.sessionData[`zegel.${key}`] = JSON.stringify(value);
  const ok = (callback, value) => callback({ status: "succeeded", value });
  const failed = (callback) => callback({ status: "failed", error: { message: "Outlook said no", code: 9000 } });
  const maybe = (name, callback, act) => (fail[name] ? failed(callback) : ok(callback, act()));
  const people = (list) => list.map((emailAddress) => ({ emailAddress, displayName: emailAddress }));
  const present = () => attachments.filter((a) => !record.removed.includes(a.id));
  const mock = new OfficeMockObject({
    context: {
      displayLanguage: "nl-NL",
      mailbox: {
        item: {
          subject: { getAsync: (cb) => ok(cb, subject) },
          body: {
            getAsync: (_type, cb) => ok(cb, record.body),
            getTypeAsync: (cb) => ok(cb, bodyType),
            setAsync: (value, _options, cb) => maybe("body.setAsync", cb, () => { record.body = value; record.setBodyCalls++; }),
          },
          to: { getAsync: (cb) => ok(cb, people(to)) },
          cc: { getAsync: (cb) => ok(cb, people(cc)) },
          bcc: { getAsync: (cb) => ok(cb, []) },
          getAttachmentsAsync: (cb) => ok(cb, present()),
          getAttachmentContentAsync: (id, cb) => ok(cb, { format: "base64", content: attachments.find((a) => a.id === id).content }),
          removeAttachmentAsync: (id, cb) => maybe("removeAttachmentAsync", cb, () => record.removed.push(id)),
          addFileAttachmentFromBase64Async: (content, name, options, cb) => ok(cb, record.added.push({ name, content, options })),
          internetHeaders: {
            setAsync: (headers, cb) => { Object.assign(record.headers, headers); ok(cb); },
            removeAsync: (names, cb) => { for (const name of names) delete record.headers[name]; ok(cb); },
          },
          loadCustomPropertiesAsync: (cb) => ok(cb, {
            get: (key) => record.properties[key],
            set: (key, value) => { record.properties[key] = value; },
            saveAsync: (callback) => ok(callback),
          }),
          sessionData: {
            getAllAsync: (cb) => maybe("sessionData.getAllAsync", cb, () => ({ ...record.sessionData })),
            setAsync: (key, value, cb) => maybe("sessionData.setAsync", cb, () => { record.sessionData[key] = value; }),
            removeAsync: (key, cb) => { delete record.sessionData[key]; ok(cb); },
          },
          notificationMessages: {
            replaceAsync: (key, details, cb) => { record.notices[key] = details; ok(cb); },
            removeAsync: (key, cb) => { delete record.notices[key]; ok(cb); },
          },
        },
      },
    },
    CoercionType: { Html: "html", Text: "text" },
    MailboxEnums: { ItemNotificationMessageType: { InsightMessage: "insightMessage", ErrorMessage: "errorMessage" },
      ActionType: { ShowTaskPane: "showTaskPane" } },
  }, "outlook");
  const state_ = () => Object.fromEntries(Object.entries(record.sessionData)
    .filter(([key]) => key.startsWith("zegel.") && key !== "zegel.tokens")
    .map(([key, value]) => [key.slice("zegel.".length), JSON.parse(value)]));
  return { Office: mock, record, state: state_, setState: (change) => {
    for (const [key, value] of Object.entries(change)) record.sessionData[`zegel.${key}`] = JSON.stringify(value);
  } };
}

/** A Zegel server in memory: routes by method and path, records the requests. */
function server(routes, { signedIn = true } = {}) {
  const requests = [];
  const tokens = signedIn ? { access_token: "a", refresh_token: "r", expires_at: Date.now() + 3600e3 } : null;
  const store = { get: async () => tokens && { ...tokens, fromSharedPlace: true }, ended: async () => false,
    set: async () => {}, clear: async () => {} };
  const fetch = async (url, init) => {
    const path = url.replace(/^.*\/api\/v1/, "");
    const body = init.body ? JSON.parse(init.body) : null;
    requests.push({ method: init.method, path, body, headers: init.headers });
    const route = routes[`${init.method} ${path}`];
    if (!route) return new Response(JSON.stringify({ error: { code: "not_found", message: "nope" } }), { status: 404 });
    const [status, data] = await route(body);
    return new Response(data === null ? null : JSON.stringify(data), { status, headers: { "Content-Type": "application/json" } });
  };
  return { api: new ZegelApi({ base: "https://zegel.test", fetch, store }), requests };
}

function event() {
  const calls = [];
  return { completed: (options) => calls.push(options ?? {}), calls };
}

const CLEAN_SCAN = async () => [200, { findings: [], secure_required: false, blocked: false }];
const SECURE_STATE = {
  secure: true,
  recipients: {
    "otto@example.nl": { method: "sms", phone: "+31612345678", password: "", remember: true, has_account: false },
    "petra@example.nl": { method: "password", phone: "", password: "appeltaart-42", remember: false, has_account: false },
  },
  uploads: [{ id: "up1", name: "scan.pdf", size: 52428800 }],
};

test("secure send: stored in Zegel, body becomes the placeholder, attachments removed, header set", async () => {
  const outlookItem = outlook({ to: ["otto@example.nl"], cc: ["petra@example.nl"], body: "<p>BSN 111222333</p>",
    attachments: [{ id: "att1", name: "brief.txt", size: 5, contentType: "text/plain", content: "aGFsbG8=" }],
    state: SECURE_STATE });
  const { api, requests } = server({
    "POST /messages/outlook": async (body) => [201, { id: "msg42", conversation_id: "c1", link: "https://zegel.test/r/x",
      recipients: [], placeholder_html: "<p>Open the secure message: https://zegel.test/r/x</p>", placeholder_text: "…" }],
  });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);

  assert.deepEqual(e.calls, [{ allowEvent: true }]);
  const sent = requests.find((r) => r.path === "/messages/outlook").body;
  assert.equal(sent.subject, "Uitslag");
  assert.equal(sent.body_html, "<p>BSN 111222333</p>");
  assert.deepEqual(sent.attachments, ["up1"]);
  assert.deepEqual(sent.files, [{ name: "brief.txt", content_type: "text/plain", content: "aGFsbG8=" }]);
  assert.deepEqual(sent.recipients, [
    { email: "otto@example.nl", type: "to", remember: true, verification: { method: "sms", phone: "+31612345678", password: null } },
    { email: "petra@example.nl", type: "cc", remember: false, verification: { method: "password", phone: null, password: "appeltaart-42" } },
  ]);
  assert.equal(outlookItem.record.body, "<p>Open the secure message: https://zegel.test/r/x</p>");
  assert.deepEqual(outlookItem.record.removed, ["att1"]);
  assert.deepEqual(outlookItem.record.headers, { "x-zegel-message-id": "msg42" });
  assert.equal(outlookItem.record.properties.zegelMessageId, "msg42"); // for the read pane in Sent Items
  // The agreed password does not stay in the item after it was sent.
  assert.deepEqual(outlookItem.state().recipients, {});
});

test("secure send with a recipient without usable verification is blocked, with a button to the pane", async () => {
  const state = structuredClone(SECURE_STATE);
  state.recipients["petra@example.nl"].password = "kort";
  const outlookItem = outlook({ to: ["otto@example.nl", "petra@example.nl"], state });
  const { api, requests } = server({});
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls.length, 1);
  assert.equal(e.calls[0].allowEvent, false);
  assert.equal(e.calls[0].errorMessage, "Missing: petra@example.nl.");
  assert.equal(e.calls[0].commandId, "zegelComposeButton");
  assert.equal(requests.filter((r) => r.path === "/messages/outlook").length, 0);
  assert.equal(outlookItem.record.setBodyCalls, 0);
});

test("a new recipient gets the sender's saved default, or the organisation's when there is none", async () => {
  const outlookItem = outlook({ to: ["otto@example.nl", "nieuw@example.nl"], state: { secure: true } });
  const { api } = server({
    "POST /recipients/check": async (body) => [200, { org_default: "sms", recipients: body.recipients.map((r) => ({
      email: r.email, has_account: false, problem: null, phone: null,
      default: r.email === "otto@example.nl" ? { method: "sms", phone: "+31612345678" } : null })) }],
  });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  // otto's saved phone is usable; the new address has the organisation's SMS without a number.
  assert.equal(e.calls[0].allowEvent, false);
  assert.equal(e.calls[0].errorMessage, "Missing: nieuw@example.nl.");
  assert.equal(outlookItem.state().recipients["otto@example.nl"].phone, "+31612345678");
});

test("server down while secure is on: blocked, nothing changed in the item", async () => {
  const outlookItem = outlook({ to: ["otto@example.nl", "petra@example.nl"], state: SECURE_STATE, body: "<p>geheim</p>" });
  const api = new ZegelApi({ base: "https://zegel.test", store: { get: async () => ({ access_token: "a", expires_at: Date.now() + 3600e3 }), ended: async () => false },
    fetch: async () => { throw new TypeError("fetch failed"); } });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls.length, 1);
  assert.equal(e.calls[0].allowEvent, false);
  assert.equal(e.calls[0].errorMessage, "Zegel unreachable.");
  assert.equal(outlookItem.record.body, "<p>geheim</p>");
  assert.deepEqual(outlookItem.record.headers, {});
});

test("the server refusing the message blocks the send with its reason", async () => {
  const outlookItem = outlook({ to: ["otto@example.nl", "petra@example.nl"], state: SECURE_STATE });
  const { api } = server({
    "POST /messages/outlook": async () => [400, { error: { code: "invalid_phone", message: "Dit is geen geldig mobiel nummer." } }],
  });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls[0].allowEvent, false);
  assert.equal(e.calls[0].errorMessage, "Refused: Dit is geen geldig mobiel nummer.");
  assert.equal(outlookItem.record.setBodyCalls, 0);
});

test("a blocking rule while secure is off blocks the send", async () => {
  const outlookItem = outlook({ body: "<p>IBAN NL91ABNA0417164300</p>" });
  const { api, requests } = server({
    "POST /dlp/scan": async () => [200, { secure_required: true, blocked: true, findings: [{ rule: "r1", level: "block",
      location: "body", detector: "iban", excerpt: "NL91…4300", message: "IBAN in het bericht." }] }],
  });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls[0].allowEvent, false);
  assert.equal(e.calls[0].errorMessage, "Blocked: IBAN in het bericht.");
  assert.equal(requests[0].body.body_html, "<p>IBAN NL91ABNA0417164300</p>");
  assert.equal(outlookItem.record.setBodyCalls, 0);
});

test("a warning at send that the user was not shown turns secure sending on and stops the send once", async () => {
  const outlookItem = outlook({ body: "<p>bsn 111222333</p>" });
  const { api } = server({
    "POST /dlp/scan": async () => [200, { secure_required: true, blocked: false, findings: [{ rule: "r1", level: "warning",
      location: "body", detector: "bsn", excerpt: "1112…", message: "BSN in het bericht." }] }],
  });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls[0].errorMessage, "Found: BSN in het bericht. Secure is on now.");
  assert.equal(outlookItem.state().secure, true);
});

test("a non-secure send without findings passes untouched", async () => {
  const attachments = [{ id: "att1", name: "rooster.txt", size: 5, contentType: "text/plain", content: "aGFsbG8=" }];
  const outlookItem = outlook({ body: "<p>Tot morgen!</p>", attachments });
  const { api, requests } = server({ "POST /dlp/scan": CLEAN_SCAN });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.deepEqual(e.calls, [{ allowEvent: true }]);
  // Text and the item's attachments are scanned apart (the attachments only when they change).
  assert.deepEqual(requests.map((r) => r.path), ["/dlp/scan", "/dlp/scan"]);
  assert.equal(requests[0].body.body_html, "<p>Tot morgen!</p>");
  assert.deepEqual(requests[1].body.files, [{ name: "rooster.txt", content: "aGFsbG8=" }]);
  assert.equal(outlookItem.record.body, "<p>Tot morgen!</p>");
  assert.deepEqual(outlookItem.record.removed, []);
  assert.deepEqual(outlookItem.record.headers, {});
});

test("a user who never signed in to Zegel sends as if there were no add-in", async () => {
  const outlookItem = outlook({ body: "<p>BSN 111222333</p>" });
  const { api, requests } = server({}, { signedIn: false });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.deepEqual(e.calls, [{ allowEvent: true }]);
  assert.equal(requests.length, 0);
});

test("the early scan shows a warning as an Insight message with a button, and turns secure on", async () => {
  const outlookItem = outlook({ body: "<p>bsn 111222333</p>" });
  const { api } = server({
    "POST /recipients/check": async (body) => [200, { org_default: "none", recipients: body.recipients.map((r) => ({
      email: r.email, has_account: false, default: null, problem: null, phone: null })) }],
    "POST /dlp/scan": async () => [200, { secure_required: true, blocked: false, findings: [
      { rule: "r1", level: "warning", location: "body", detector: "bsn", excerpt: "1112…", message: "Gevoelige inhoud gevonden: BSN in het bericht." },
      { rule: "r2", level: "info", location: "body", detector: "list:medical", excerpt: "huisarts", message: "Woord uit lijst." }] }],
  });
  const e = event();
  await handlers.onRecipientsChanged({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls.length, 1);
  const notice = outlookItem.record.notices["zegel-dlp"];
  assert.equal(notice.type, "insightMessage");
  assert.equal(notice.message, "Secure on: Gevoelige inhoud gevonden: BSN in het bericht. (+1)");
  assert.ok(notice.message.length <= 150);
  assert.equal(notice.actions[0].actionType, "showTaskPane");
  const state = outlookItem.state();
  assert.equal(state.secure, true);
  assert.equal(state.recipients["otto@example.nl"].method, "none");
  assert.ok(state.scan.textKey && state.scan.filesKey);
});

test("notices are cut to Outlook's 150 characters", async () => {
  const outlookItem = outlook({});
  const { api } = server({
    "POST /recipients/check": async (body) => [200, { org_default: "none", recipients: body.recipients.map((r) => ({
      email: r.email, has_account: false, default: null, problem: null, phone: null })) }],
    "POST /dlp/scan": async () => [200, { secure_required: false, blocked: false, findings: [
      { rule: "r2", level: "info", location: "body", detector: "list:medical", excerpt: "x", message: "x".repeat(400) }] }],
  });
  await handlers.onNewMessageCompose({ Office: outlookItem.Office, api, texts: TEXTS }, event());
  assert.equal(outlookItem.record.notices["zegel-dlp"].message.length, 150);
});


const SENT = async () => [201, { id: "msg7", conversation_id: "c7", link: "https://zegel.test/r/y", recipients: [],
  placeholder_html: "<p>Link: https://zegel.test/r/y</p>", placeholder_text: "Link: https://zegel.test/r/y" }];

test("a plain-text item gets the text placeholder", async () => {
  const outlookItem = outlook({ to: ["otto@example.nl", "petra@example.nl"], state: SECURE_STATE, bodyType: "text",
    body: "geheim" });
  const { api } = server({ "POST /messages/outlook": SENT });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.deepEqual(e.calls, [{ allowEvent: true }]);
  assert.equal(outlookItem.record.body, "Link: https://zegel.test/r/y");
});

test("when Outlook fails half-way through the swap, the item is put back and the stored message deleted", async () => {
  const attachments = [{ id: "att1", name: "brief.txt", size: 5, contentType: "text/plain", content: "aGFsbG8=" },
    { id: "att2", name: "foto.jpg", size: 5, contentType: "image/jpeg", content: "/9j/4A==" }];
  const outlookItem = outlook({ to: ["otto@example.nl", "petra@example.nl"], state: SECURE_STATE, body: "<p>geheim</p>",
    attachments });
  let removals = 0;
  const original = outlookItem.Office.context.mailbox.item.removeAttachmentAsync;
  outlookItem.Office.context.mailbox.item.removeAttachmentAsync = (id, cb) => (++removals === 2
    ? cb({ status: "failed", error: { message: "busy" } }) : original(id, cb));
  const { api, requests } = server({ "POST /messages/outlook": SENT, "DELETE /messages/msg7": async () => [204, null] });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.deepEqual(e.calls, [{ allowEvent: false, errorMessage: "Could not replace." }]);
  assert.equal(outlookItem.record.body, "<p>geheim</p>");
  assert.deepEqual(outlookItem.record.added, [{ name: "brief.txt", content: "aGFsbG8=", options: { isInline: false } }]);
  assert.deepEqual(outlookItem.record.headers, {}); // the header is taken off again
  assert.ok(requests.some((r) => r.method === "DELETE" && r.path === "/messages/msg7"));
  // The recipients' settings stay, so the user can simply send again.
  assert.ok(outlookItem.state().recipients["petra@example.nl"].password);
});

test("secure send with a cloud attachment is blocked: a shared link cannot go through Zegel", async () => {
  const outlookItem = outlook({ to: ["otto@example.nl", "petra@example.nl"], state: SECURE_STATE,
    attachments: [{ id: "c1", name: "Dossier.docx", size: 0, attachmentType: "cloud" }] });
  const { api, requests } = server({ "POST /messages/outlook": SENT });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls[0].errorMessage, "Cloud: Dossier.docx.");
  assert.equal(requests.filter((r) => r.path === "/messages/outlook").length, 0);
});

test("when the item's state cannot be read, a signed-in user's send is blocked, not sent unchecked", async () => {
  const outlookItem = outlook({ body: "<p>BSN 111222333</p>", fail: { "sessionData.getAllAsync": true } });
  const { api } = server({ "POST /dlp/scan": CLEAN_SCAN });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.deepEqual(e.calls, [{ allowEvent: false, errorMessage: "Could not read the settings." }]);
});

test("the send completes even when Outlook refuses to store the state", async () => {
  const outlookItem = outlook({ body: "<p>bsn 111222333</p>", fail: { "sessionData.setAsync": true } });
  const { api } = server({
    "POST /dlp/scan": async () => [200, { secure_required: true, blocked: false, findings: [{ rule: "r1", level: "warning",
      location: "body", detector: "bsn", excerpt: "1112…", message: "BSN in het bericht." }] }],
  });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls.length, 1);
  assert.equal(e.calls[0].errorMessage, "Found: BSN in het bericht. Secure is on now.");
});

test("a user who turned secure sending off after the warning may send without Zegel", async () => {
  const outlookItem = outlook({ body: "<p>bsn 111222333</p>", state: { secure: false, warned: true } });
  const { api } = server({
    "POST /dlp/scan": async () => [200, { secure_required: true, blocked: false, findings: [{ rule: "r1", level: "warning",
      location: "body", detector: "bsn", excerpt: "1112…", message: "BSN in het bericht." }] }],
  });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.deepEqual(e.calls, [{ allowEvent: true }]);
  assert.equal(outlookItem.state().secure, false);
});

test("a change the pane made while a handler scanned is not overwritten", async () => {
  const outlookItem = outlook({ body: "<p>Hallo</p>", state: { secure: false } });
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  const { api } = server({
    "POST /recipients/check": async (body) => [200, { org_default: "none", recipients: body.recipients.map((r) => ({
      email: r.email, has_account: false, default: null, problem: null, phone: null })) }],
    "POST /dlp/scan": async () => { await gate; return CLEAN_SCAN(); },
  });
  const e = event();
  const running = handlers.onRecipientsChanged({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  await new Promise((resolve) => setTimeout(resolve, 10));
  // Meanwhile the user switches secure sending on and finishes an upload in the pane.
  outlookItem.setState({ secure: true, uploads: [{ id: "u9", name: "x", size: 1 }] });
  release();
  await running;
  assert.equal(outlookItem.state().secure, true);
  assert.deepEqual(outlookItem.state().uploads, [{ id: "u9", name: "x", size: 1 }]);
  assert.equal(e.calls.length, 1);
});

test("the pane and a handler refreshing at once: the one that lost uses the winner's tokens", async () => {
  let saved = { access_token: "old", refresh_token: "r1", expires_at: Date.now() - 1000 };
  const store = { get: async () => saved && { ...saved, fromSharedPlace: true }, ended: async () => false,
    set: async (t) => { saved = t; }, clear: async () => { saved = null; } };
  const fetch = async (url) => {
    if (url.endsWith("/auth/refresh")) {
      // The other runtime refreshed first: r1 is spent, and the store already holds the new pair.
      saved = { access_token: "new", refresh_token: "r2", expires_at: Date.now() + 3600e3 };
      return new Response(JSON.stringify({ error: { code: "invalid_token", message: "spent" } }), { status: 401 });
    }
    return new Response(JSON.stringify({ ok: true }), { status: 200 });
  };
  const api = new ZegelApi({ base: "https://zegel.test", fetch, store });
  assert.equal(await api.accessToken(), "new");
  assert.equal(saved.refresh_token, "r2"); // not signed out
});


test("a new message of a user who is not signed in gets a notice to sign in, and nothing is scanned", async () => {
  const outlookItem = outlook({ body: "<p>BSN 111222333</p>" });
  const { api, requests } = server({}, { signedIn: false });
  const e = event();
  await handlers.onNewMessageCompose({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls.length, 1);
  assert.equal(outlookItem.record.notices["zegel-dlp"].message, "Sign in to Zegel.");
  assert.equal(outlookItem.record.notices["zegel-dlp"].actions[0].actionType, "showTaskPane");
  assert.equal(requests.length, 0);
});

test("two changes at once in one runtime both stay (the switch and a recipient's method)", async () => {
  const { updateState } = await import("../src/mailbox.js");
  const outlookItem = outlook({ state: { secure: false, recipients: { "otto@example.nl": { method: "sms" } } } });
  await Promise.all([
    updateState(outlookItem.Office, (s) => { s.secure = true; }),
    updateState(outlookItem.Office, (s) => { s.recipients["otto@example.nl"].method = "none"; }),
  ]);
  assert.equal(outlookItem.state().secure, true);
  assert.equal(outlookItem.state().recipients["otto@example.nl"].method, "none");
});

test("a login that expired blocks the send with a sign-in button instead of sending unchecked", async () => {
  const outlookItem = outlook({ body: "<p>BSN 111222333</p>" });
  const store = { get: async () => null, ended: async () => true, set: async () => {}, clear: async () => {} };
  const api = new ZegelApi({ base: "https://zegel.test", store, fetch: async () => { throw new Error("no network needed"); } });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.equal(e.calls[0].allowEvent, false);
  assert.equal(e.calls[0].errorMessage, "Sign in first.");
  assert.equal(e.calls[0].commandId, "zegelComposeButton");
});

test("tokens that only this item holds are not refreshed (another runtime may have spent them)", async () => {
  const { tokenStore } = await import("../src/api.js");
  const expired = JSON.stringify({ access_token: "a", refresh_token: "r1", expires_at: Date.now() - 1000 });
  const sessionData = {
    getAllAsync: (cb) => cb({ status: "succeeded", value: JSON.stringify({ "zegel.tokens": expired }) }), // a string, as some clients answer
    setAsync: (k, v, cb) => cb({ status: "succeeded" }), removeAsync: (k, cb) => cb({ status: "succeeded" }),
  };
  let refreshes = 0;
  const api = new ZegelApi({ base: "https://zegel.test", store: tokenStore({}, sessionData),
    fetch: async () => { refreshes++; return new Response("{}", { status: 200 }); } });
  assert.equal(await api.signedIn(), true);
  assert.equal(await api.accessToken(), null);
  assert.equal(refreshes, 0);
});

test("the item's state is read when Outlook answers getAllAsync with a JSON string", async () => {
  const { loadState } = await import("../src/mailbox.js");
  const outlookItem = outlook({});
  outlookItem.Office.context.mailbox.item.sessionData.getAllAsync = (cb) => cb({ status: "succeeded",
    value: JSON.stringify({ "zegel.secure": "true" }) });
  assert.equal((await loadState(outlookItem.Office)).secure, true);
});

test("an inline image Outlook dropped itself when the body was replaced does not stop the send", async () => {
  const attachments = [{ id: "img1", name: "logo.png", size: 5, contentType: "image/png", content: "iVBORw==", isInline: true }];
  const outlookItem = outlook({ to: ["otto@example.nl", "petra@example.nl"], state: SECURE_STATE, attachments });
  const item = outlookItem.Office.context.mailbox.item;
  const setBody = item.body.setAsync;
  item.body.setAsync = (value, options, cb) => setBody(value, options, (result) => {
    outlookItem.record.removed.push("img1"); // gone with the old body
    cb(result);
  });
  item.removeAttachmentAsync = (id, cb) => cb({ status: "failed", error: { message: "no such attachment" } });
  const { api } = server({ "POST /messages/outlook": SENT });
  const e = event();
  await handlers.onMessageSend({ Office: outlookItem.Office, api, texts: TEXTS }, e);
  assert.deepEqual(e.calls, [{ allowEvent: true }]);
});
