// Zegel's JSON API with bearer tokens, for the task pane and the event handlers.
// Tokens live where both can read them: OfficeRuntime.storage in classic Outlook on Windows (whose
// event runtime has no localStorage), localStorage elsewhere (the pane and the handlers share an origin).

const TOKENS_KEY = "zegel.tokens";

export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** Where the tokens are kept. Every place both runtimes might read is written, and the freshest copy
 *  wins on reading: OfficeRuntime.storage (classic Outlook on Windows, whose event runtime has no
 *  localStorage), the origin's localStorage (browsers, where pane and handlers share an origin), and the
 *  compose item's sessionData (which every runtime of the item can read). `globals` is passed in:
 *  the JavaScript-only runtime may not have globalThis. */
export function tokenStore(globals, itemSessionData = null) {
  const places = [];
  const runtime = globals.OfficeRuntime && globals.OfficeRuntime.storage;
  if (runtime) {
    places.push({
      shared: true,
      get: () => runtime.getItem(TOKENS_KEY),
      set: (text) => runtime.setItem(TOKENS_KEY, text),
      clear: () => runtime.removeItem(TOKENS_KEY),
    });
  }
  let local = null;
  try {
    local = globals.localStorage || null; // a browser that blocks storage in frames throws here
  } catch (_error) {
    local = null;
  }
  if (local) {
    places.push({
      shared: true,
      get: async () => local.getItem(TOKENS_KEY),
      set: async (text) => local.setItem(TOKENS_KEY, text),
      clear: async () => local.removeItem(TOKENS_KEY),
    });
  }
  if (itemSessionData) {
    const asPromise = (method, ...args) => new Promise((resolve) => {
      itemSessionData[method](...args, (result) => resolve(result && result.status !== "failed" ? result.value : null));
    });
    places.push({
      shared: false,
      get: async () => {
        let all = await asPromise("getAllAsync");
        if (typeof all === "string") all = JSON.parse(all || "{}");
        return all ? all[TOKENS_KEY] : null;
      },
      set: (text) => asPromise("setAsync", TOKENS_KEY, text),
      clear: () => asPromise("removeAsync", TOKENS_KEY),
    });
  }
  const each = (fn) => Promise.all(places.map(async (p) => {
    try {
      return await fn(p);
    } catch (_error) {
      return null; // one place failing must not hide the others
    }
  }));
  const read = async () => (await each(async (p) => ({ value: readValue(await p.get()), shared: p.shared })))
    .filter((entry) => entry && entry.value);
  return {
    /** The freshest tokens, with `fromSharedPlace` telling whether a place other runtimes see has them. */
    get: async () => {
      const found = (await read()).filter((entry) => entry.value.access_token);
      found.sort((a, b) => (b.value.expires_at || 0) - (a.value.expires_at || 0));
      if (!found.length) return null;
      const best = found[0].value;
      const fromSharedPlace = found.some((entry) => entry.shared && entry.value.refresh_token === best.refresh_token);
      return Object.assign({}, best, { fromSharedPlace });
    },
    /** Whether a login ended by itself (expired or revoked) rather than by logging out. */
    ended: async () => (await read()).some((entry) => entry.value.ended),
    set: async (tokens) => {
      const text = JSON.stringify(tokens, (key, value) => (key === "fromSharedPlace" ? undefined : value));
      await each((p) => p.set(text));
    },
    clear: async () => { await each((p) => p.clear()); },
  };
}

function readValue(text) {
  try {
    const value = text ? JSON.parse(text) : null;
    return value && (value.access_token || value.ended) ? value : null;
  } catch (_error) {
    return null;
  }
}

function defaultFetch() {
  return typeof fetch === "function" ? (url, init) => fetch(url, init) : null;
}

export class ZegelApi {
  /** base: the server's URL ("" for same-origin); fetch and store are injectable for tests. */
  constructor({ base = "", fetch = defaultFetch(), store = null, language = "nl" } = {}) {
    this.base = base.replace(/\/$/, "");
    this.fetch = fetch;
    this.store = store || tokenStore(typeof window !== "undefined" ? window : {});
    this.language = language;
    this.refreshing = null;
  }

  async signedIn() {
    return Boolean(await this.store.get());
  }

  /** Signed out because the login expired or was revoked (not by logging out): the handlers then ask
   *  the user to sign in again instead of sending unchecked. */
  async sessionEnded() {
    return this.store.ended();
  }

  async login(email, password, remember) {
    return this.request("POST", "/auth/login", { email, password, remember }, { auth: false });
  }

  async verify(challengeId, code, remember) {
    const tokens = await this.request("POST", "/auth/verify", { challenge_id: challengeId, code, remember },
      { auth: false });
    await this.saveTokens(tokens);
    return tokens;
  }

  async logout() {
    try {
      await this.request("POST", "/auth/logout");
    } finally {
      await this.store.clear();
    }
  }

  async saveTokens(tokens) {
    const expiresAt = Date.now() + (tokens.expires_in || 0) * 1000;
    await this.store.set({ access_token: tokens.access_token, refresh_token: tokens.refresh_token, expires_at: expiresAt });
  }

  /** A valid access token, refreshed when it is (nearly) expired; null when signed out. */
  async accessToken({ forceRefresh = false } = {}) {
    const tokens = await this.store.get();
    if (!tokens) return null;
    if (!forceRefresh && tokens.expires_at - Date.now() > 30000) return tokens.access_token;
    // Refreshing a copy only this item holds could spend a refresh token another runtime has already
    // spent (the server then ends the whole login): leave that to the pane.
    if (!tokens.refresh_token || !tokens.fromSharedPlace) return null;
    // One refresh at a time in this runtime; the pane and the handlers may still race each other.
    if (!this.refreshing) {
      const settle = () => { this.refreshing = null; };
      this.refreshing = this.refresh(tokens).then((token) => { settle(); return token; }, (error) => { settle(); throw error; });
    }
    return this.refreshing;
  }

  async refresh(tokens) {
    try {
      const fresh = await this.request("POST", "/auth/refresh", { refresh_token: tokens.refresh_token }, { auth: false });
      await this.saveTokens(fresh);
      return fresh.access_token;
    } catch (error) {
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
        // Another runtime may have refreshed first (a refresh token is spent once): use its tokens.
        const now = await this.store.get();
        if (now && now.refresh_token !== tokens.refresh_token) return now.access_token;
        await this.store.set({ ended: true }); // expired or revoked: sign in again
        return null;
      }
      throw error;
    }
  }

  /** JSON request; throws ApiError with the server's message, or ApiError(0, "unreachable"). */
  async request(method, path, body = undefined, { auth = true, timeout = 20000, retried = false } = {}) {
    const headers = { Accept: "application/json", "Accept-Language": this.language };
    // FormData does not exist in every runtime (classic Outlook's JavaScript-only one).
    const isForm = typeof FormData !== "undefined" && body instanceof FormData;
    if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
    if (auth) {
      const token = await this.accessToken();
      if (!token) throw new ApiError(401, "signed_out", "");
      headers.Authorization = `Bearer ${token}`;
    }
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), timeout) : null;
    let response;
    try {
      response = await this.fetch(`${this.base}/api/v1${path}`, {
        method, headers, signal: controller ? controller.signal : undefined,
        body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, "unreachable", String(error && error.message));
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (response.status === 401 && auth && !retried) {
      // The access token may have been revoked early: one refresh, then give up.
      if (await this.accessToken({ forceRefresh: true })) {
        return this.request(method, path, body, { auth, timeout, retried: true });
      }
    }
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch (_error) {
      data = null;
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(response.status, error.code || "http_error", error.message || `HTTP ${response.status}`, data);
    }
    return data;
  }
}
