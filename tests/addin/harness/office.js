// A stand-in for Microsoft's office.js inside the harness: the Office API calls the task pane and
// the handlers use, answered from the harness page's item (window.parent.harness) and recorded.
(function () {
  "use strict";
  const host = window.parent.harness;
  const item = host.item;
  const copy = (value) => (value === undefined ? null : JSON.parse(JSON.stringify(value)));
  const callbackOf = (args) => [...args].reverse().find((a) => typeof a === "function");
  function answer(name, args, value) {
    host.calls.push({ name, args: copy([...args].filter((a) => typeof a !== "function")) });
    const cb = callbackOf(args);
    if (cb) setTimeout(() => cb({ status: "succeeded", value }), 0);
  }
  function failed(name, args, message) {
    host.calls.push({ name, args: copy([...args].filter((a) => typeof a !== "function")), failed: message });
    const cb = callbackOf(args);
    if (cb) setTimeout(() => cb({ status: "failed", error: { message, code: 9000 } }), 0);
  }
  const people = (list) => list.map((emailAddress) => ({ emailAddress, displayName: emailAddress }));
  const recipients = (kind) => ({
    getAsync() { answer(`${kind}.getAsync`, arguments, people(item[kind])); },
  });
  const mailboxItem = {
    itemType: "message",
    subject: { getAsync() { answer("subject.getAsync", arguments, item.subject); } },
    body: {
      getAsync() { answer("body.getAsync", arguments, item.body); },
      getTypeAsync() { answer("body.getTypeAsync", arguments, item.bodyType || "html"); },
      setAsync(value) { item.body = value; answer("body.setAsync", arguments); host.render(); },
    },
    to: recipients("to"), cc: recipients("cc"), bcc: recipients("bcc"),
    getAttachmentsAsync() {
      answer("getAttachmentsAsync", arguments, item.attachments.map(({ content, ...rest }) => rest));
    },
    getAttachmentContentAsync(id) {
      const found = item.attachments.find((a) => a.id === id);
      if (!found) return failed("getAttachmentContentAsync", arguments, "no such attachment");
      answer("getAttachmentContentAsync", arguments, { format: "base64", content: found.content });
    },
    addFileAttachmentFromBase64Async(content, name) {
      const id = `added-${item.attachments.length + 1}`;
      item.attachments.push({ id, name, size: atob(content).length, contentType: "application/octet-stream",
        attachmentType: "file", content });
      answer("addFileAttachmentFromBase64Async", arguments, id);
      host.render();
    },
    loadCustomPropertiesAsync() {
      const properties = {
        get: (key) => item.properties[key],
        set: (key, value) => { item.properties[key] = value; },
        remove: (key) => { delete item.properties[key]; },
        saveAsync() { answer("customProperties.saveAsync", arguments); },
      };
      answer("loadCustomPropertiesAsync", arguments, properties);
    },
    removeAttachmentAsync(id) {
      item.attachments = item.attachments.filter((a) => a.id !== id);
      answer("removeAttachmentAsync", arguments);
      host.render();
    },
    internetHeaders: {
      setAsync(headers) { Object.assign(item.headers, headers); answer("internetHeaders.setAsync", arguments); },
      removeAsync(names) { for (const name of names) delete item.headers[name]; answer("internetHeaders.removeAsync", arguments); },
    },
    getAllInternetHeadersAsync() {
      answer("getAllInternetHeadersAsync", arguments,
        Object.entries(item.headers).map(([k, v]) => `${k}: ${v}`).join("\r\n"));
    },
    sessionData: {
      getAllAsync() { answer("sessionData.getAllAsync", arguments, { ...item.sessionData }); },
      setAsync(key, value) { item.sessionData[key] = value; answer("sessionData.setAsync", arguments); },
      removeAsync(key) { delete item.sessionData[key]; answer("sessionData.removeAsync", arguments); },
    },
    notificationMessages: {
      replaceAsync(key, details) { item.notices[key] = details; answer("notificationMessages.replaceAsync", arguments); host.render(); },
      removeAsync(key) { delete item.notices[key]; answer("notificationMessages.removeAsync", arguments); host.render(); },
    },
    addHandlerAsync(type, handler) { host.paneHandlers.push({ type, handler }); answer("addHandlerAsync", arguments); },
  };
  window.Office = {
    onReady(callback) {
      const info = { host: "Outlook", platform: "OfficeOnline" };
      return new Promise((resolve) => setTimeout(() => { if (callback) callback(info); resolve(info); }, 0));
    },
    context: {
      displayLanguage: host.language,
      mailbox: { item: mailboxItem },
      requirements: { isSetSupported: () => true },
    },
    actions: { associate(name, handler) { host.actions[name] = handler; } },
    CoercionType: { Html: "html", Text: "text" },
    EventType: { RecipientsChanged: "olkRecipientsChanged", AttachmentsChanged: "olkAttachmentsChanged" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    MailboxEnums: {
      ItemNotificationMessageType: { InsightMessage: "insightMessage", ErrorMessage: "errorMessage",
        InformationalMessage: "informationalMessage" },
      ActionType: { ShowTaskPane: "showTaskPane" },
    },
  };
})();
