// The Zegel task pane in Outlook: sign in, "Veilig versturen", recipient verification, large
// attachments, DLP findings and "Controleer" while composing; the secure conversation when reading.
// Office.onReady wiring only; the shared logic lives in addin/src and is tested with node --test.
import { ApiError, ZegelApi, tokenStore } from "../addin/src/api.js";
import { METHODS, applyScan, format, missingVerification, scan, syncRecipients } from "../addin/src/handlers.js";
import {
  call, getAttachments, getRecipients, loadState, rememberedMessageId, removeAttachment, updateState,
} from "../addin/src/mailbox.js";

const config = JSON.parse(document.getElementById("zegel-config").textContent);
const texts = config.texts;
const $ = (selector) => document.querySelector(selector);
let api;
let Office_;
let challenge = null;
let closedFindings = new Set();

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function status(text, kind = "info") {
  const box = $("#status");
  box.textContent = text || "";
  box.dataset.kind = kind;
  box.hidden = !text;
}

function show(view) {
  for (const id of ["login-view", "code-view", "compose-view", "read-view"]) $(`#${id}`).hidden = id !== view;
  $("#account-bar").hidden = view === "login-view" || view === "code-view";
}

function explain(error) {
  if (error instanceof ApiError && error.status === 0) return texts.unreachable;
  return error.message || String(error);
}

// --- signing in ---------------------------------------------------------------------

function wireLogin() {
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    status("");
    const remember = $("#remember").checked;
    try {
      challenge = await api.login($("#email").value.trim(), $("#password").value, remember);
      challenge.remember = remember;
      $("#password").value = "";
      show("code-view");
      $("#code").focus();
    } catch (error) {
      status(explain(error), "error");
    }
  });
  $("#code-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    status("");
    try {
      await api.verify(challenge.challenge_id, $("#code").value.trim(), challenge.remember);
      $("#code").value = "";
      await start();
    } catch (error) {
      status(explain(error), "error");
    }
  });
  $("#resend").addEventListener("click", async () => {
    try {
      await api.request("POST", "/auth/resend", { challenge_id: challenge.challenge_id }, { auth: false });
      status(texts.code_sent);
    } catch (error) {
      status(explain(error), "error");
    }
  });
  $("#logout").addEventListener("click", async () => {
    try { await api.logout(); } catch (_e) { /* signed out locally anyway */ }
    show("login-view");
  });
}

async function loadAccount() {
  const me = await api.request("GET", "/me");
  const select = $("#account");
  select.replaceChildren(...me.accounts.map((a) => el("option", { value: a.id, text: a.name, title: a.email })));
  select.disabled = me.accounts.length < 2;
  return me;
}

// --- compose ------------------------------------------------------------------------

function deps() {
  return { Office: Office_, api, texts };
}

async function renderCompose(me) {
  const state = await loadState(Office_);
  if (state.account && [...$("#account").options].some((o) => o.value === state.account)) $("#account").value = state.account;
  $("#secure").checked = state.secure;
  $("#save-unencrypted").checked = Boolean(me.settings && me.settings.save_sent_unencrypted);
  await refreshRecipients();
  renderUploads(state);
  show("compose-view");
  runScan();
}

async function refreshRecipients() {
  let recipients;
  let state;
  try {
    ({ recipients, state } = await syncRecipients(deps()));
  } catch (error) {
    status(explain(error), "error");
    recipients = await getRecipients(Office_);
    state = await loadState(Office_);
  }
  $("#secure").checked = state.secure;
  const body = $("#recipients tbody");
  body.replaceChildren(...recipients.map((r) => recipientRow(r, state.recipients[r.email.toLowerCase()] || {})));
  $("#recipients").hidden = !recipients.length;
  $("#no-recipients").hidden = recipients.length > 0;
}

function recipientRow(recipient, setting) {
  const key = recipient.email.toLowerCase();
  const label = recipient.name && recipient.name !== recipient.email ? `${recipient.name} <${recipient.email}>` : recipient.email;
  const remember = el("input", { type: "checkbox", "aria-label": format(texts.remember_for, { email: recipient.email }) });
  remember.checked = Boolean(setting.remember);
  const method = el("select", { "aria-label": format(texts.method_for, { email: recipient.email }) },
    ...METHODS.map((m) => el("option", { value: m, text: texts[`method_${m}`],
      disabled: m === "account" && setting.has_account === false })));
  method.value = setting.method || "none";
  const settings = el("td", { class: "settings" });
  const problem = el("div", { class: "problem", role: "alert", hidden: true });
  const row = el("tr", { "data-recipient": key },
    el("td", { class: "who", title: recipient.email, text: label }),
    el("td", { class: "default", "data-label": texts.default_label }, remember), el("td", { class: "method" }, method),
    settings);

  const save = (change) => updateState(Office_, (state) => {
    state.recipients[key] = { ...(state.recipients[key] || {}), ...change };
  }).catch((error) => status(explain(error), "error"));
  const field = () => {
    const current = method.value;
    if (current === "sms") {
      const input = el("input", { type: "tel", value: setting.phone || "", placeholder: "06 12345678",
        "aria-label": format(texts.phone_for, { email: recipient.email }), autocomplete: "off" });
      input.addEventListener("change", async () => {
        await save({ phone: input.value.trim() });
        await checkOne(recipient, input, problem);
      });
      return input;
    }
    if (current === "password") {
      const input = el("input", { type: "password", value: setting.password || "", autocomplete: "new-password",
        "aria-label": format(texts.password_for, { email: recipient.email }), minlength: 8 });
      input.addEventListener("change", () => save({ password: input.value }));
      return input;
    }
    return el("span", { class: "muted", text: current === "account" ? texts.account_hint : "—" });
  };
  settings.append(field(), problem);
  method.addEventListener("change", async () => {
    setting.method = method.value;
    await save({ method: method.value });
    settings.replaceChildren(field(), problem);
    problem.hidden = true;
  });
  remember.addEventListener("change", () => save({ remember: remember.checked }));
  return row;
}

/** The server validates the phone number (phonenumbers, region NL) and says what is wrong. */
async function checkOne(recipient, input, problem) {
  try {
    const answer = await api.request("POST", "/recipients/check", { recipients: [{ email: recipient.email,
      type: recipient.type, verification: { method: "sms", phone: input.value } }] });
    const info = answer.recipients[0];
    problem.textContent = info.problem || "";
    problem.hidden = !info.problem;
    if (info.phone) {
      input.value = info.phone;
      await updateState(Office_, (state) => { state.recipients[recipient.email.toLowerCase()].phone = info.phone; });
    }
  } catch (error) {
    problem.textContent = explain(error);
    problem.hidden = false;
  }
}

// --- DLP findings ---------------------------------------------------------------------

let scanTimer = null;
function runScan(delay = 0) {
  clearTimeout(scanTimer);
  scanTimer = setTimeout(async () => {
    try {
      const result = await scan(deps(), await loadState(Office_));
      const turnedOn = await applyScan(Office_, result);
      $("#secure").checked = (await loadState(Office_)).secure; // a handler may have changed it too
      renderFindings(result, turnedOn);
    } catch (error) {
      status(explain(error), "error");
    }
  }, delay);
}

function renderFindings(result, turnedOn) {
  const box = $("#findings");
  const findings = result.findings;
  const open = findings.filter((f, i) => !closedFindings.has(findingKey(f, i)));
  $("#subject-warning").hidden = !findings.some((f) => f.location === "subject");
  box.replaceChildren();
  box.hidden = !findings.length;
  if (!findings.length) return;
  const warning = findings.some((f) => f.level !== "info");
  box.className = `findings ${warning ? "warning" : "info"}`;
  if (turnedOn) box.append(el("p", { class: "turned-on", role: "status", text: texts.secure_on_now }));
  const list = el("ul");
  findings.forEach((f, i) => {
    const key = findingKey(f, i);
    if (closedFindings.has(key)) return;
    const actions = el("span", { class: "actions" });
    if (f.file) {
      actions.append(el("button", { type: "button", text: texts.remove_file, onclick: () => removeFile(f.file) }));
    }
    actions.append(el("button", { type: "button", text: texts.close, onclick: () => {
      closedFindings.add(key);
      renderFindings(result, false);
    } }));
    list.append(el("li", { class: f.level }, el("span", { class: "message", text: f.message }), actions));
  });
  box.append(list);
  const bar = el("p", { class: "all" });
  if (open.length) {
    bar.append(el("button", { type: "button", text: texts.close_all, onclick: () => {
      findings.forEach((f, i) => closedFindings.add(findingKey(f, i)));
      renderFindings(result, false);
    } }));
  }
  if (closedFindings.size) {
    bar.append(el("span", { class: "muted", text: format(texts.closed_count, { n: findings.length - open.length }) }),
      el("button", { type: "button", text: texts.open_all, onclick: () => {
        closedFindings = new Set();
        renderFindings(result, false);
      } }));
  }
  box.append(bar);
}

function findingKey(f, i) {
  return `${f.rule}|${f.location}|${f.file || ""}|${f.detector}|${i}`;
}

/** Remove a file a finding points at: an Outlook attachment, or one of the Zegel uploads. */
async function removeFile(name) {
  const top = name.split("/")[0];
  try {
    for (const a of (await getAttachments(Office_)).files) {
      if (a.name === name || a.name === top) await removeAttachment(Office_, a.id);
    }
    await updateState(Office_, (state) => {
      state.uploads = state.uploads.filter((u) => u.name !== name && u.name.split("/")[0] !== top);
      state.scan = null;
    });
    renderUploads(await loadState(Office_));
    runScan();
  } catch (error) {
    status(explain(error), "error");
  }
}

// --- uploads (tus, up to 50 GB) ---------------------------------------------------------

const CHUNK = 64 * 1024 * 1024;
const running = new Map();

function humanSize(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
  return `${value.toLocaleString(texts.language, { maximumFractionDigits: unit ? 1 : 0 })} ${units[unit]}`;
}

function renderUploads(state) {
  const list = $("#uploads");
  for (const li of [...list.querySelectorAll("li.done")]) li.remove();
  for (const u of state.uploads) {
    list.append(el("li", { class: "upload done", "data-upload": u.id },
      el("span", { class: "name", text: u.name }), " ", el("span", { class: "muted", text: `(${humanSize(u.size)})` }),
      " ", el("span", { class: "status", text: texts.upload_done }), " ",
      el("button", { type: "button", text: texts.remove, onclick: async () => {
        await updateState(Office_, (s) => { s.uploads = s.uploads.filter((x) => x.id !== u.id); s.scan = null; });
        renderUploads(await loadState(Office_));
        runScan();
      } })));
  }
}

function addFiles(files) {
  for (const file of files) {
    const path = file.webkitRelativePath || file.name;
    const progress = el("progress", { max: 100, value: 0 });
    const text = el("span", { class: "status", text: texts.upload_waiting });
    const pause = el("button", { type: "button", text: texts.pause });
    const resume = el("button", { type: "button", text: texts.resume, hidden: true });
    const cancel = el("button", { type: "button", text: texts.cancel });
    const li = el("li", { class: "upload" }, el("span", { class: "name", text: path }), " ",
      el("span", { class: "muted", text: `(${humanSize(file.size)})` }), progress, text, pause, resume, cancel);
    $("#uploads").append(li);
    const started = Date.now();
    const metadata = { filename: file.name, filetype: file.type || "application/octet-stream" };
    if (path !== file.name) metadata.relativePath = path;
    const upload = new window.tus.Upload(file, {
      endpoint: `${config.base}/api/v1/uploads/`, metadata, chunkSize: CHUNK, removeFingerprintOnSuccess: true,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      fingerprint: () => Promise.resolve(["zegel-addin", path, file.size, file.lastModified].join("|")),
      onBeforeRequest: async (req) => {
        req.setHeader("Authorization", `Bearer ${await api.accessToken()}`);
      },
      onProgress: (sent, total) => {
        progress.value = total ? Math.floor((sent / total) * 100) : 0;
        const seconds = (Date.now() - started) / 1000;
        const speed = seconds > 0 ? sent / seconds : 0;
        const left = speed > 0 ? Math.ceil((total - sent) / speed) : null;
        text.textContent = format(texts.upload_progress, { percent: progress.value, speed: `${humanSize(speed)}/s`,
          left: left === null ? "…" : left > 90 ? `${Math.ceil(left / 60)} min` : `${left} s` });
      },
      onError: (error) => {
        text.textContent = format(texts.upload_failed, { reason: String(error.message || error).split("\n")[0].slice(0, 140) });
        pause.hidden = true;
        resume.hidden = false;
      },
      onSuccess: async () => {
        running.delete(li);
        li.remove();
        const id = upload.url.split("/").pop();
        await updateState(Office_, (state) => {
          state.uploads.push({ id, name: path, size: file.size });
          state.scan = null;
        });
        renderUploads(await loadState(Office_));
        updateCheckReadiness();
        runScan();
      },
    });
    running.set(li, upload);
    pause.addEventListener("click", () => { upload.abort(); pause.hidden = true; resume.hidden = false; text.textContent = texts.paused; });
    resume.addEventListener("click", () => { upload.start(); pause.hidden = false; resume.hidden = true; });
    cancel.addEventListener("click", async () => {
      running.delete(li);
      li.remove();
      try { await upload.abort(true); } catch (_e) { /* gone already */ }
      updateCheckReadiness();
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  }
  updateCheckReadiness();
}

function updateCheckReadiness() {
  $("#uploads-busy").hidden = running.size === 0;
}

// --- Controleer -------------------------------------------------------------------------

async function checkAll() {
  const out = $("#check-result");
  out.replaceChildren(el("p", { class: "muted", text: texts.checking }));
  const problems = [];
  try {
    const { recipients, state } = await syncRecipients(deps());
    if (!recipients.length) problems.push(texts.no_recipients);
    if (state.secure && recipients.length) {
      const answer = await api.request("POST", "/recipients/check", { recipients: recipients.map((r) => {
        const s = state.recipients[r.email.toLowerCase()] || {};
        return { email: r.email, type: r.type, verification: { method: s.method || "none",
          phone: s.method === "sms" ? s.phone || "" : null, password: s.method === "password" ? s.password || "" : null } };
      }) });
      for (const info of answer.recipients) if (info.problem) problems.push(`${info.email}: ${info.problem}`);
      for (const r of missingVerification(recipients, state)) {
        if (!answer.recipients.some((i) => i.problem && i.email.toLowerCase() === r.email.toLowerCase())) {
          problems.push(format(texts.missing_verification, { names: r.email }));
        }
      }
    }
    if (running.size) problems.push(texts.uploads_busy);
    const result = await scan(deps(), state);
    if (await applyScan(Office_, result)) {
      state.secure = true;
      $("#secure").checked = true;
    }
    renderFindings(result, false);
    if (result.blocked && !state.secure) problems.push(texts.blocked_unless_secure);
    else if (result.secure_required && !state.secure) problems.push(texts.secure_advised);
    if (state.uploads.length && !state.secure) problems.push(texts.uploads_need_secure);
  } catch (error) {
    problems.push(explain(error));
  }
  out.replaceChildren(problems.length
    ? el("div", { class: "problems", role: "alert" }, el("p", { text: texts.check_problems }),
      el("ul", {}, ...problems.map((p) => el("li", { text: p }))))
    : el("p", { class: "ok", role: "status", text: texts.check_ok }));
}

function wireCompose() {
  $("#secure").addEventListener("change", async (event) => {
    const on = event.target.checked;
    try {
      await updateState(Office_, (state) => { state.secure = on; });
    } catch (error) {
      // The switch shows what the send handler will see, never more.
      event.target.checked = !on;
      status(explain(error), "error");
    }
    $("#check-result").replaceChildren();
  });
  $("#pick-files").addEventListener("change", (event) => { addFiles([...event.target.files]); event.target.value = ""; });
  $("#pick-folder").addEventListener("change", (event) => { addFiles([...event.target.files]); event.target.value = ""; });
  $("#check").addEventListener("click", checkAll);
  $("#account").addEventListener("change", () => updateState(Office_, (state) => { state.account = $("#account").value; })
    .catch((error) => status(explain(error), "error")));
  $("#save-unencrypted").addEventListener("change", async (event) => {
    try {
      await api.request("PUT", "/settings", { save_sent_unencrypted: event.target.checked });
      status(texts.settings_saved);
    } catch (error) {
      event.target.checked = !event.target.checked;
      status(explain(error), "error");
    }
  });
  const item = Office_.context.mailbox.item;
  const again = () => runScan(800);
  if (item.addHandlerAsync) {
    item.addHandlerAsync(Office_.EventType.RecipientsChanged, () => refreshRecipients());
    item.addHandlerAsync(Office_.EventType.AttachmentsChanged, () => runScan());
  }
  // Outlook has no event for typing: look again while the pane is visible.
  setInterval(() => { if (document.visibilityState === "visible") again(); }, 5000);
}

// --- read mode ------------------------------------------------------------------------

/** The Zegel message an Outlook item stands for: the id the send handler kept with the item (in
 *  Sent Items), else its x-zegel-message-id header (received mail), else the link in its body. */
async function zegelMessage() {
  const item = Office_.context.mailbox.item;
  const id = await rememberedMessageId(Office_).catch(() => null)
    || /^x-zegel-message-id:\s*(\S+)/im.exec((await call(item, "getAllInternetHeadersAsync").catch(() => "")) || "")?.[1];
  if (id) return api.request("GET", `/messages/${encodeURIComponent(id)}`);
  const body = await call(item.body, "getAsync", Office_.CoercionType.Html).catch(() => "");
  const link = /https?:\/\/[^\s"'<>]+\/r\/[A-Za-z0-9_-]+/.exec(body || "");
  return link ? api.request("POST", "/messages/lookup", { link: link[0] }) : null;
}

function envelope(readStatus) {
  if (!readStatus) return null;
  const { read, total } = readStatus;
  const icon = read === 0 ? "envelope-closed.svg" : read < total ? "envelope-open.svg" : "envelope-open-blue.svg";
  const title = read === 0 ? texts.read_none : read < total ? format(texts.read_some, { read, total }) : texts.read_all;
  return el("span", { class: "envelope", title },
    el("img", { src: `${config.static}${icon}`, alt: title, width: 18, height: 18 }),
    read > 0 && read < total ? el("span", { text: String(read) }) : null);
}

async function renderRead() {
  show("read-view");
  const view = $("#conversation");
  view.replaceChildren(el("p", { class: "muted", text: texts.loading }));
  try {
    const message = await zegelMessage();
    if (!message) {
      view.replaceChildren(el("p", { text: texts.not_zegel }));
      return;
    }
    const conversation = await api.request("GET", `/conversations/${encodeURIComponent(message.conversation_id)}`);
    view.replaceChildren(el("h2", { text: conversation.subject }),
      ...conversation.messages.map((m) => messageCard(m)), replyForm(conversation));
  } catch (error) {
    view.replaceChildren(el("p", { class: "error", role: "alert",
      text: error instanceof ApiError && error.status === 404 ? texts.not_found : explain(error) }));
  }
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString(texts.language, { dateStyle: "medium", timeStyle: "short" }) : "";
}

function messageCard(m) {
  const body = el("div", { class: "body" });
  body.innerHTML = m.body_html; // sanitised by the server (nh3) when stored; the CSP allows no inline script
  // A link in a message opens in the browser, not inside the pane.
  for (const a of body.querySelectorAll("a[href]")) {
    a.setAttribute("target", "_blank");
    a.setAttribute("rel", "noopener noreferrer");
  }
  const card = el("article", { class: `message${m.revoked ? " revoked" : ""}`, "data-message": m.id },
    el("header", {}, el("strong", { text: m.author.name || m.author.email }), " ",
      el("span", { class: "muted", text: when(m.created_at) }), envelope(m.read_status)),
    m.revoked ? el("p", { class: "muted", text: texts.revoked }) : null, body);
  if (m.attachments.length) {
    card.append(el("ul", { class: "attachments" }, ...m.attachments.map((a) => el("li", {
      text: `${a.name} (${humanSize(a.size)})${a.removed ? ` — ${texts.attachment_removed}` : ""}` }))));
  }
  if (m.read_status) {
    const table = el("table", { class: "readers" }, el("thead", {}, el("tr", {},
      el("th", { text: texts.recipient }), el("th", { text: texts.status }), el("th", {}))));
    const rows = m.recipients.map((r) => el("tr", { "data-recipient": r.email },
      el("td", { text: r.email }),
      el("td", { text: r.revoked ? texts.access_revoked : r.read_at ? format(texts.read_at, { when: when(r.read_at) }) : texts.not_read }),
      el("td", {}, el("button", { type: "button", text: r.revoked ? texts.restore_access : texts.revoke_access,
        onclick: () => act(`/messages/${m.id}/recipients/${r.id}/${r.revoked ? "restore" : "revoke"}`,
          r.revoked ? null : texts.confirm_revoke_access) }))));
    table.append(el("tbody", {}, ...rows));
    card.append(table, el("p", {}, el("button", { type: "button", class: m.revoked ? "" : "danger",
      text: m.revoked ? texts.restore_message : texts.revoke_message,
      onclick: () => act(`/messages/${m.id}/${m.revoked ? "restore" : "revoke"}`, m.revoked ? null : texts.confirm_revoke) })));
  }
  return card;
}

async function act(path, question) {
  // window.confirm is not available in all Outlook clients: ask in the pane.
  if (question && !(await ask(question))) return;
  try {
    await api.request("POST", path);
    await renderRead();
  } catch (error) {
    status(explain(error), "error");
  }
}

function ask(question) {
  return new Promise((resolve) => {
    const box = $("#confirm");
    $("#confirm-text").textContent = question;
    box.hidden = false;
    const done = (answer) => { box.hidden = true; resolve(answer); };
    $("#confirm-yes").onclick = () => done(true);
    $("#confirm-no").onclick = () => done(false);
  });
}

function replyForm(conversation) {
  const last = conversation.messages[conversation.messages.length - 1];
  const area = el("textarea", { rows: 5, "aria-label": texts.reply_label, required: true });
  // A reply to one's own message goes to the same recipients; agreed passwords are typed again.
  const passwords = (last.read_status ? last.recipients : []).filter((r) => r.method === "password")
    .map((r) => ({ email: r.email, input: el("input", { type: "password", autocomplete: "new-password", required: true,
      minlength: 8, "aria-label": format(texts.password_for, { email: r.email }) }) }));
  const form = el("form", { class: "reply" }, el("h3", { text: texts.reply_title }), area,
    ...passwords.map((p) => el("label", {}, format(texts.password_for, { email: p.email }), p.input)),
    el("button", { type: "submit", class: "primary", text: texts.reply_send }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.request("POST", "/messages", { reply_to: last.id, body_text: area.value,
        passwords: Object.fromEntries(passwords.map((p) => [p.email, p.input.value])) });
      status(texts.reply_sent);
      await renderRead();
    } catch (error) {
      status(explain(error), "error");
    }
  });
  return form;
}

// --- start ------------------------------------------------------------------------------

async function start() {
  status("");
  const tokens = await api.store.get();
  if (!tokens) {
    show("login-view");
    return;
  }
  await api.store.set(tokens); // into this item's sessionData too, for its send handler
  let me;
  try {
    me = await loadAccount();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401)) {
      show("login-view");
      return;
    }
    status(explain(error), "error");
    return;
  }
  if (config.mode === "read") await renderRead();
  else await renderCompose(me);
}

Office.onReady(async () => {
  Office_ = Office;
  const language = String(Office.context.displayLanguage || "").toLowerCase().startsWith("nl") ? "nl" : "en";
  if (language !== config.language && !new URLSearchParams(location.search).has("lang")) {
    const url = new URL(location.href);
    url.searchParams.set("lang", language);
    location.replace(url.toString());
    return;
  }
  const item = Office.context.mailbox.item;
  // Compose items also carry the tokens in their sessionData, which the send handler can always read.
  const sessionData = config.mode !== "read" && item && item.sessionData ? item.sessionData : null;
  api = new ZegelApi({ base: config.base, language: config.language, store: tokenStore(globalThis, sessionData) });
  wireLogin();
  if (config.mode !== "read") wireCompose();
  await start();
});
