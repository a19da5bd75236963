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
  for (const row of form.querySelectorAll(".recipient-row")) {
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
