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
  const compose = document.querySelector("form.compose");
  if (compose) enhanceCompose(compose);
});

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
