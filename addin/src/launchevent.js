// Entry of the event-handler bundle (commands.html in browsers, the same file alone in classic
// Outlook on Windows). The server puts `var ZEGEL_CONFIG = {base, texts: {nl, en}}` in front of it.
// Classic Outlook's JavaScript-only runtime may only have ES2016: no globalThis, no Object.entries.
/* global ZEGEL_CONFIG, OfficeRuntime */
import { ZegelApi, tokenStore } from "./api.js";
import * as handlers from "./handlers.js";
import { pickTexts } from "./texts.js";

function deps() {
  const config = typeof ZEGEL_CONFIG !== "undefined" ? ZEGEL_CONFIG : { base: "", texts: {} };
  const language = (Office.context && Office.context.displayLanguage) || "nl";
  const texts = pickTexts(config.texts, language);
  // In a browser runtime (commands.html) the API is on the page's own origin; classic Outlook's
  // JavaScript-only runtime has no page, so it uses the server's configured public URL.
  const inPage = typeof location !== "undefined" && /^https?:$/.test(location.protocol);
  const item = Office.context.mailbox && Office.context.mailbox.item;
  const globals = {
    OfficeRuntime: typeof OfficeRuntime !== "undefined" ? OfficeRuntime : undefined,
    get localStorage() { return typeof localStorage !== "undefined" ? localStorage : undefined; },
  };
  const store = tokenStore(globals, item && item.sessionData ? item.sessionData : null);
  const api = new ZegelApi({ base: inPage ? "" : config.base, language: texts.language, store });
  return { Office, texts, api, log: (e) => console.warn(e) };
}

const wire = {
  onNewMessageComposeHandler: handlers.onNewMessageCompose,
  onMessageRecipientsChangedHandler: handlers.onRecipientsChanged,
  onMessageAttachmentsChangedHandler: handlers.onAttachmentsChanged,
  onMessageSendHandler: handlers.onMessageSend,
};

for (const name of Object.keys(wire)) {
  Office.actions.associate(name, (event) => {
    let context;
    try {
      context = deps();
    } catch (error) {
      // Nothing can be checked: a send is stopped, the other events end quietly.
      if (name === "onMessageSendHandler") event.completed({ allowEvent: false, errorMessage: String(error).slice(0, 250) });
      else event.completed();
      return undefined;
    }
    return wire[name](context, event);
  });
}
