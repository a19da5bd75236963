// The built handler bundle as classic Outlook's JavaScript-only runtime may run it: no ES2017+
// built-ins, no globalThis, no window or localStorage, only the script with the server's prelude.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const BUNDLE = new URL("../../server/zegel/static/addin/build/launchevent.js", import.meta.url);

function es2016Runtime(office) {
  const context = vm.createContext({ Office: office, console, setTimeout, clearTimeout });
  vm.runInContext(`
    delete Object.getOwnPropertyDescriptors; delete Object.entries; delete Object.values;
    delete Object.fromEntries; delete Promise.prototype.finally; delete String.prototype.padStart;
    delete String.prototype.padEnd; delete Array.prototype.flat; delete Array.prototype.flatMap;
    delete globalThis.globalThis;`, context);
  return context;
}

function fakeOffice() {
  const actions = {};
  const ok = (cb, value) => cb({ status: "succeeded", value });
  const office = {
    actions: { associate: (name, fn) => { actions[name] = fn; } },
    context: {
      displayLanguage: "nl-NL",
      mailbox: { item: {
        sessionData: { getAllAsync: (cb) => ok(cb, {}), setAsync: (k, v, cb) => ok(cb), removeAsync: (k, cb) => ok(cb) },
        notificationMessages: { replaceAsync: (k, d, cb) => ok(cb), removeAsync: (k, cb) => ok(cb) },
      } },
    },
    CoercionType: { Html: "html", Text: "text" },
    MailboxEnums: { ItemNotificationMessageType: { InsightMessage: "insightMessage" }, ActionType: { ShowTaskPane: "showTaskPane" } },
  };
  return { office, actions };
}

test("the handler bundle registers and finishes its events without ES2017+ built-ins", async () => {
  const source = readFileSync(BUNDLE, "utf8");
  const { office, actions } = fakeOffice();
  const context = es2016Runtime(office);
  const texts = { open_pane: "Open Zegel", sign_in_hint: "Log in.", signed_out: "Log in.", unreachable: "Weg." };
  vm.runInContext(`var ZEGEL_CONFIG = ${JSON.stringify({ base: "https://zegel.test", texts: { nl: texts, en: texts } })};\n${source}`,
    context);
  assert.deepEqual([...Object.keys(actions)].sort(), ["onMessageAttachmentsChangedHandler", "onMessageRecipientsChangedHandler",
    "onMessageSendHandler", "onNewMessageComposeHandler"]);
  // Nobody signed in here (no storage at all): a send goes out as without the add-in, and an early
  // event ends; both call event.completed.
  const completed = await new Promise((resolve) => actions.onMessageSendHandler({ completed: resolve }));
  assert.deepEqual(JSON.parse(JSON.stringify(completed)), { allowEvent: true }); // from another realm
  const early = await new Promise((resolve) => actions.onNewMessageComposeHandler({ completed: () => resolve("done") }));
  assert.equal(early, "done");
});
