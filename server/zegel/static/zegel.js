// Progressive enhancements; every page also works without this file.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // The rules page: the regular-expression field only where a rule is one.
  for (const row of document.querySelectorAll("tr.dlp-rule")) {
    const detector = row.querySelector('select[name$="_detector"]');
    const pattern = row.querySelector(".pattern");
    const show = () => { pattern.hidden = detector.value !== "regex"; };
    detector.addEventListener("change", show);
    show();
  }
  const compose = document.querySelector("form.compose");
  if (compose) {
    enhanceCompose(compose);
    enhanceUploads(compose);
    enhanceDlp(compose);
  }
});

function makeButton(label, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function enhanceCompose(form) {
  const lookupUrl = form.dataset.lookupUrl;
  const rowsInput = form.querySelector('input[name="rows"]');
  const addButton = form.querySelector(".add-recipient");
  addButton.hidden = false;
  addButton.addEventListener("click", () => {
    // A copy of the last row, renumbered and emptied; the server reads rows r0…r(rows-1).
    const rows = form.querySelectorAll(".recipient-row");
    const last = rows[rows.length - 1];
    const index = rows.length;
    const copy = last.cloneNode(true);
    copy.dataset.row = String(index);
    for (const field of copy.querySelectorAll("[name]")) {
      field.name = field.name.replace(/^r\d+_/, `r${index}_`);
      if (field.type === "checkbox") field.checked = false;
      else if (field.tagName !== "SELECT") field.value = "";
    }
    last.after(copy);
    rowsInput.value = String(index + 1);
    enhanceRow(copy);
    copy.querySelector('input[type="email"]').focus();
  });
  for (const row of form.querySelectorAll(".recipient-row")) enhanceRow(row);

  function enhanceRow(row) {
    const email = row.querySelector('input[type="email"]');
    const method = row.querySelector("select.method");
    const showFields = () => {
      row.querySelector(".for-sms").hidden = method.value !== "sms";
      row.querySelector(".for-password").hidden = method.value !== "password";
    };
    method.addEventListener("change", showFields);
    showFields();
    // Zegel-account is only offered to recipients that have one; the sender's default is pre-filled.
    const account = method.querySelector('option[value="account"]');
    email.addEventListener("change", async () => {
      const address = email.value.trim();
      if (!address) return;
      const resp = await fetch(`${lookupUrl}?email=${encodeURIComponent(address)}`, { credentials: "same-origin" });
      if (!resp.ok) return;
      const info = await resp.json();
      account.disabled = !info.has_account;
      if (!info.has_account && method.value === "account") method.value = form.dataset.orgDefault;
      if (info.default) {
        method.value = info.default.method;
        if (info.default.phone) row.querySelector(".for-sms").value = info.default.phone;
        row.querySelector('input[type="checkbox"]').checked = true;
      }
      showFields();
    });
  }
  // A small rich-text editor: its HTML goes to body_html, which the server sanitises.
  const editor = form.querySelector(".editor");
  const textarea = form.querySelector("textarea[name=body_text]");
  const hidden = form.querySelector("input[name=body_html]");
  const toolbar = form.querySelector(".editor-toolbar");
  if (editor && textarea && hidden) {
    editor.hidden = false;
    toolbar.hidden = false;
    textarea.hidden = true;
    if (textarea.value) editor.innerText = textarea.value;
    for (const button of toolbar.querySelectorAll("button[data-command]")) {
      button.addEventListener("click", () => {
        editor.focus();
        document.execCommand(button.dataset.command);
      });
    }
    form.addEventListener("submit", () => {
      hidden.value = editor.innerHTML;
      textarea.value = editor.innerText;
    });
  }
}

// Attachments up to 50 GB: each file goes to /api/v1/uploads/ with tus-js-client, in pieces, so it can
// pause, survive a lost connection and continue after a reload (the same file chosen again is found by
// its fingerprint). The form sends only the ids of finished uploads.
function enhanceUploads(form) {
  const zone = form.querySelector(".upload-zone");
  if (!zone || !window.tus || !window.tus.isSupported) return; // the plain 25 MB file field stays
  const texts = JSON.parse(zone.dataset.texts);
  const endpoint = new URL(zone.dataset.endpoint, window.location.href).href;
  const account = zone.dataset.account;
  const list = form.querySelector("ul.uploads");
  const plain = form.querySelector(".plain-attachments");
  const send = form.querySelector('button[type="submit"]');
  const sendWait = form.querySelector(".send-wait");
  const filePicker = zone.querySelector(".file-picker");
  const folderPicker = zone.querySelector(".folder-picker");
  const PARALLEL = 3;
  const CHUNK = 64 * 1024 * 1024; // one PATCH per 64 MB: finite requests, also through buffering proxies
  const items = new Set();
  zone.hidden = false;
  plain.hidden = true;
  plain.querySelector("input").disabled = true;
  form.querySelector('label[for="attachments"]').htmlFor = filePicker.id;

  const number = new Intl.NumberFormat(document.documentElement.lang || "nl", { maximumFractionDigits: 1 });
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_m, key) => String(values[key]));
  const bytes = (n) => {
    const units = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
    return `${number.format(n)} ${units[i]}`;
  };
  const duration = (s) => {
    s = Math.max(1, Math.round(s));
    if (s < 90) return fill(texts.seconds, { n: s });
    if (s < 5400) return fill(texts.minutes, { n: Math.round(s / 60) });
    return fill(texts.hours, { n: Math.floor(s / 3600), m: Math.round((s % 3600) / 60) });
  };
  const fingerprint = (path, file) => ["zegel", account, path, file.size, file.lastModified, endpoint].join("|");

  function refreshSend() {
    const busy = [...items].some((item) => item.state !== "done");
    send.disabled = busy;
    sendWait.hidden = !busy;
    sendWait.textContent = texts.wait;
  }

  function schedule() {
    let running = [...items].filter((item) => item.state === "uploading").length;
    for (const item of items) {
      if (running >= PARALLEL) break;
      if (item.state === "queued") { item.begin(); running += 1; }
    }
    refreshSend();
  }

  const button = (label, onClick) => makeButton(label, "link", onClick);

  // The DLP check listens for this, and asks to remove files with "zegel:remove-files".
  const changed = () => form.dispatchEvent(new CustomEvent("zegel:attachments"));

  function removeDone(li, id) {
    terminate(new URL(id, endpoint).href);
    li.remove();
    changed();
  }

  function terminate(url) {
    return fetch(url, { method: "DELETE", headers: { "Tus-Resumable": "1.0.0" }, credentials: "same-origin" });
  }

  function finished(li, id) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "upload";
    input.value = id;
    li.append(input);
    li.dataset.id = id;
    li.querySelector(".actions")?.replaceChildren(button(texts.remove, () => removeDone(li, id)));
  }

  class Item {
    constructor(file, path) {
      this.state = "queued";
      this.samples = [];
      this.li = document.createElement("li");
      this.li.className = "upload";
      this.li.zegelItem = this;
      this.li.innerHTML = '<span class="name"></span> <span class="muted size"></span> <progress max="100" value="0"></progress> <span class="status"></span> <span class="actions"></span>';
      this.li.querySelector(".name").textContent = path;
      this.li.querySelector(".size").textContent = `(${bytes(file.size)})`;
      this.progress = this.li.querySelector("progress");
      this.status = this.li.querySelector(".status");
      this.pauseButton = button(texts.pause, () => this.pause());
      this.resumeButton = button(texts.resume, () => this.resume());
      this.li.querySelector(".actions").append(this.pauseButton, this.resumeButton,
                                               button(texts.cancel, () => this.cancel()));
      this.show(texts.waiting);
      list.append(this.li);
      const metadata = { filename: file.name, filetype: file.type || "application/octet-stream" };
      if (path !== file.name) metadata.relativePath = path;
      this.upload = new window.tus.Upload(file, {
        endpoint, metadata, chunkSize: CHUNK, removeFingerprintOnSuccess: true,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
        fingerprint: () => Promise.resolve(fingerprint(path, file)),
        onProgress: (sent, total) => this.moved(sent, total),
        onShouldRetry: (err) => {
          const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
          const retry = (status < 400 || status >= 500 || status === 409 || status === 423) && navigator.onLine !== false;
          if (retry) this.show(texts.retrying);
          return retry;
        },
        onError: (err) => {
          this.state = "error";
          if (navigator.onLine === false) {
            this.show(texts.retrying); // the "online" event below resumes it
          } else {
            this.show(fill(texts.failed, { reason: (err && err.message ? err.message : String(err)).split("\n")[0].slice(0, 160) }));
          }
          schedule();
        },
        onSuccess: () => {
          this.state = "done";
          this.progress.value = 100;
          this.show(texts.done);
          this.li.classList.add("done");
          finished(this.li, this.upload.url.split("/").pop());
          items.delete(this);
          schedule();
          changed();
        },
      });
      items.add(this);
    }

    show(text) {
      this.status.textContent = text;
      this.pauseButton.hidden = this.state !== "uploading" && this.state !== "queued";
      this.resumeButton.hidden = this.state !== "paused" && this.state !== "error";
    }

    async begin() {
      this.state = "uploading";
      this.samples = [];
      this.show(texts.starting);
      const previous = await this.upload.findPreviousUploads();
      if (previous.length) {
        this.upload.resumeFromPreviousUpload(previous[0]);
        resumed(previous[0].urlStorageKey);
      }
      if (this.state === "uploading") this.upload.start();
    }

    moved(sent, total) {
      this.progress.value = total ? (100 * sent) / total : 100;
      const now = performance.now();
      this.samples.push([now, sent]);
      while (this.samples.length > 2 && now - this.samples[0][0] > 5000) this.samples.shift();
      if (now - (this.shownAt || 0) < 500) return;
      this.shownAt = now;
      const [t0, b0] = this.samples[0];
      const speed = now > t0 ? ((sent - b0) * 1000) / (now - t0) : 0;
      if (speed > 0) this.show(fill(texts.speed, { speed: bytes(speed), left: duration((total - sent) / speed) }));
    }

    pause() {
      if (this.state === "uploading") this.upload.abort();
      this.state = "paused";
      this.show(texts.paused);
      schedule();
    }

    resume() {
      this.state = "queued";
      this.show(texts.waiting);
      schedule();
    }

    cancel() {
      this.state = "cancelled";
      items.delete(this);
      this.li.remove();
      this.upload.abort(true).catch(() => {}); // also removes what already arrived on the server
      schedule();
      changed();
    }
  }

  function add(entries) {
    for (const [file, path] of entries) new Item(file, path);
    schedule();
  }

  // Uploads finished before the form came back (for instance with an error) can still be removed.
  for (const li of list.querySelectorAll("li.upload.done")) {
    const id = li.dataset.id;
    const actions = document.createElement("span");
    actions.className = "actions";
    li.append(actions);
    actions.append(button(texts.remove, () => removeDone(li, id)));
  }
  form.addEventListener("zegel:remove-files", (event) => {
    for (const li of [...list.querySelectorAll("li.upload")]) {
      if (!event.detail.names.includes(li.querySelector(".name").textContent)) continue;
      if (li.zegelItem && li.zegelItem.state !== "done") li.zegelItem.cancel();
      else if (li.dataset.id) removeDone(li, li.dataset.id);
    }
  });

  zone.querySelector(".pick-files").addEventListener("click", () => filePicker.click());
  zone.querySelector(".pick-folder").addEventListener("click", () => folderPicker.click());
  filePicker.addEventListener("change", () => {
    add([...filePicker.files].map((file) => [file, file.name]));
    filePicker.value = "";
  });
  folderPicker.addEventListener("change", () => {
    add([...folderPicker.files].map((file) => [file, file.webkitRelativePath || file.name]));
    folderPicker.value = "";
  });

  // Drag and drop, folders included (walked with the File System Entries API).
  const readEntries = (reader) => new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  async function walk(entry, out) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push([file, entry.fullPath.replace(/^\//, "")]);
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
        for (const child of batch) await walk(child, out);
      }
    }
  }
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => { event.preventDefault(); zone.classList.add("dragover"); });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("dragover"));
  zone.addEventListener("drop", async (event) => {
    event.preventDefault();
    zone.classList.remove("dragover");
    const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry());
    if (entries.every(Boolean)) {
      const out = [];
      for (const entry of entries) await walk(entry, out);
      add(out);
    } else {
      add([...event.dataTransfer.files].map((file) => [file, file.name]));
    }
  });

  form.addEventListener("submit", (event) => {
    if (send.disabled) event.preventDefault();
  });
  window.addEventListener("online", () => {
    for (const item of items) if (item.state === "error") item.resume();
  });

  // Uploads this browser started for this account and did not finish (a reload, a crash):
  // choosing the same file again continues it; "Forget" throws it away.
  const notice = zone.querySelector(".unfinished");
  const storage = window.tus.defaultOptions.urlStorage;
  let unfinished = [];
  function showUnfinished() {
    notice.hidden = !unfinished.length;
    if (!unfinished.length) return;
    const names = unfinished.map((entry) => entry.metadata.relativePath || entry.metadata.filename).join(", ");
    notice.textContent = fill(texts.unfinished, { names });
    notice.append(" ", button(texts.forget, async () => {
      for (const entry of unfinished) {
        await storage.removeUpload(entry.urlStorageKey);
        if (entry.uploadUrl) terminate(entry.uploadUrl).catch(() => {});
      }
      unfinished = [];
      showUnfinished();
    }));
  }
  function resumed(key) { // chosen again: no longer something to remind of
    unfinished = unfinished.filter((entry) => entry.urlStorageKey !== key);
    showUnfinished();
  }
  storage.findAllUploads().then((stored) => {
    unfinished = stored.filter((entry) => entry.urlStorageKey.includes(`zegel|${account}|`));
    showUnfinished();
  });
}

// DLP while composing: the organisation's rules run on the server as the user types and adds files;
// findings show in a bar (orange for warnings, grey for notices) with the manual's actions. A warning
// switches secure sending on: "None" is no longer a verification the sender can choose.
function enhanceDlp(form) {
  const bar = form.querySelector(".dlp-bar");
  if (!bar) return;
  const texts = JSON.parse(bar.dataset.texts);
  const csrf = form.querySelector('input[name="csrf_token"]').value;
  const list = bar.querySelector(".dlp-findings");
  const secureLine = bar.querySelector(".dlp-secure");
  const dismissed = new Set();
  let findings = [];
  let timer = null;
  let sequence = 0;
  const key = (f) => [f.rule, f.detector, f.location, f.file].join("|");

  function collect() {
    const editor = form.querySelector(".editor");
    const textarea = form.querySelector("textarea[name=body_text]");
    return {
      subject: form.querySelector("#subject").value,
      body_html: editor && !editor.hidden ? editor.innerHTML : textarea.value,
      uploads: [...form.querySelectorAll('input[name="upload"]')].map((input) => input.value),
      recipients: [...form.querySelectorAll('input[type="email"]')].map((i) => i.value.trim()).filter(Boolean),
    };
  }

  async function scan() {
    const mine = ++sequence; // only the newest answer counts
    let resp;
    try {
      resp = await fetch(bar.dataset.url, {
        method: "POST", credentials: "same-origin", body: JSON.stringify(collect()),
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      });
    } catch {
      return; // offline: the server checks again when the message is sent
    }
    if (!resp.ok || mine !== sequence) return;
    const result = await resp.json();
    findings = result.findings;
    render();
    secure(result.secure_required);
  }

  function later(delay = 800) {
    clearTimeout(timer);
    timer = setTimeout(scan, delay);
  }

  const action = (label, onClick) => makeButton(label, "button secondary small", onClick);

  function render() {
    list.replaceChildren();
    const open = findings.filter((f) => !dismissed.has(key(f)));
    for (const f of open) {
      const li = document.createElement("li");
      li.className = `dlp-finding ${f.level}`;
      const text = document.createElement("span");
      text.className = "dlp-message";
      text.textContent = f.message;
      const actions = document.createElement("span");
      actions.className = "dlp-buttons";
      if (f.file && (f.location === "attachment" || f.location === "attachment_name")) {
        actions.append(action(texts.remove_files, () => {
          form.dispatchEvent(new CustomEvent("zegel:remove-files", { detail: { names: [f.file.split(" › ")[0]] } }));
          later(0);
        }));
      }
      actions.append(action(texts.close, () => { dismissed.add(key(f)); render(); }));
      li.append(text, actions);
      list.append(li);
    }
    if (findings.length && !open.length) {
      const li = document.createElement("li");
      li.className = "dlp-finding closed";
      li.textContent = texts.closed.replace("{n}", String(findings.length));
      list.append(li);
    }
    const serious = findings.some((f) => f.level !== "info");
    bar.hidden = !findings.length;
    bar.classList.toggle("warning", serious);
    bar.classList.toggle("info", !serious);
  }

  function secure(on) {
    secureLine.hidden = !on;
    secureLine.textContent = texts.secure_on;
    const preferred = bar.dataset.orgDefault && bar.dataset.orgDefault !== "none" ? bar.dataset.orgDefault : "sms";
    for (const select of form.querySelectorAll("select.method")) {
      select.querySelector('option[value="none"]').disabled = on;
      if (on && select.value === "none") {
        select.value = preferred;
        select.dispatchEvent(new Event("change"));
      }
    }
  }

  bar.querySelector(".dlp-close-all").addEventListener("click", () => {
    for (const f of findings) dismissed.add(key(f));
    render();
  });
  bar.querySelector(".dlp-open-all").addEventListener("click", () => { dismissed.clear(); render(); });
  form.addEventListener("input", (event) => {
    if (event.target.closest(".editor, #subject, textarea[name=body_text], input[type=email]")) later();
  });
  form.addEventListener("zegel:attachments", () => later(0));
  later(0);
}
