// Entry of the event-handler bundle (commands.html in browsers, the same file alone in classic
// Outlook on Windows). The server puts ZEGEL_CONFIG = {base, texts: {nl, en}} in front of it.
import { ZegelApi, tokenStore } from "./api.js";
import * as handlers from "./handlers.js";
import { pickTexts } from "./texts.js";

function deps() {
  const config = globalThis.ZEGEL_CONFIG || { base: "", texts: {} };
  const language = (Office.context && Office.context.displayLanguage) || "nl";
  const texts = pickTexts(config.texts, language);
  // In a browser runtime (commands.html) the API is on the page's own origin; classic Outlook's
  // JavaScript-only runtime has no page, so it uses the server's configured public URL.
  const inPage = Boolean(globalThis.location && /^https?:$/.test(globalThis.location.protocol));
  const item = Office.context.mailbox && Office.context.mailbox.item;
  const store = tokenStore(globalThis, item && item.sessionData ? item.sessionData : null);
  const api = new ZegelApi({ base: inPage ? "" : config.base, language: texts.language, store });
  return { Office, texts, api, log: (e) => console.warn(e) };
}

const wire = {
  onNewMessageComposeHandler: handlers.onNewMessageCompose,
  onMessageRecipientsChangedHandler: handlers.onRecipientsChanged,
  onMessageAttachmentsChangedHandler: handlers.onAttachmentsChanged,
  onMessageSendHandler: handlers.onMessageSend,
};

// Object.keys, not Object.entries: classic Outlook's runtime may only have ES2016.
for (const name of Object.keys(wire)) {
  Office.actions.associate(name, (event) => wire[name](deps(), event));
}
