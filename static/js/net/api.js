// The REST API (docs/api.md): JSON in and out, snake_case, errors as ApiError.

/** "config.hidden" -> "hidden"; anything else -> null. */
const fromField = (f) => (typeof f === "string" && f.startsWith("config.") ? f.split(".")[1] : null);

export class ApiError extends Error {
  constructor(status, body) {
    super(ApiError.describe(status, body));
    this.status = status;
    this.body = body;
  }

  /** The config field a 422 complains about ("hidden"), when it names one. */
  get configField() {
    const detail = this.body?.detail;
    if (this.body?.field) return fromField(this.body.field);
    if (Array.isArray(detail)) {
      for (const d of detail) {
        const loc = d.loc ?? [];
        const i = loc.indexOf("config");
        if (i >= 0 && typeof loc[i + 1] === "string") return loc[i + 1];
      }
    }
    return fromField(detail?.field);
  }

  static describe(status, body) {
    const detail = body?.detail ?? body?.message;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail) && detail[0]?.msg) return detail[0].msg;
    return `the server answered ${status}`;
  }
}

/** fetch JSON from the app; an ApiError for any answer but 2xx (room/api.js uses it too). */
export async function request(method, path, body, { keepalive = false, contentType = "application/json", headers = {} } = {}) {
  const init = { method, keepalive, headers: { accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["content-type"] = contentType;
    init.body = contentType === "application/json" ? JSON.stringify(body) : body;
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { detail: text };
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

const session = (id) => `/api/sessions/${encodeURIComponent(id)}`;

export const api = {
  datasets: () => request("GET", "/api/datasets"),
  createSession: (config) => request("POST", "/api/sessions", { config }),
  /** The session as the server has it now; a 404 when it is gone. */
  session: (id) => request("GET", session(id)),
  /** A gone session's last checkpoint, {ended, epoch, saved_at, config}; a 404 when none is kept. */
  lastCopy: (id) => request("GET", `${session(id)}/last-copy`),
  /** A new live session (paused) from a gone session's last checkpoint. */
  openLastCopy: (id) => request("POST", `${session(id)}/last-copy`),
  deleteSession: (id) => request("DELETE", session(id), undefined, { keepalive: true }),
  data: (id) => request("GET", `${session(id)}/data`),
  history: (id) => request("GET", `${session(id)}/history`),
  metrics: (id) => request("GET", `${session(id)}/metrics`),
  generative: (id, size = 50) => request("GET", `${session(id)}/generative?size=${size}`),
  /** Your own points from a CSV file (a File or text); a bad file is a 422 naming row and column. */
  uploadCsv: (id, file) => request("PUT", `${session(id)}/data.csv`, file, { contentType: "text/csv" }),
  importModel: (id, model) => request("POST", `${session(id)}/import`, model),
  /** Where to download an export: model.py, state_dict.pt, model.json or data.csv. */
  exportUrl: (id, name) => `${session(id)}/export/${name}`,
};

const experiment = (id) => `/api/experiments/${encodeURIComponent(id)}`;
const shared = (token) => `/api/shares/${encodeURIComponent(token)}`;

/** Saved experiments (docs/api.md): every call carries the browser's owner key. */
export function experimentsApi(owner) {
  const call = (method, path, body) => request(method, path, body, { headers: { "X-Owner-Key": owner.key } });
  return {
    list: () => call("GET", "/api/experiments"),
    save: (sessionId, name) => call("POST", "/api/experiments", { session: sessionId, name }),
    rename: (id, name) => call("PATCH", experiment(id), { name }),
    remove: (id) => call("DELETE", experiment(id)),
    /** A new live session (paused) from the saved copy. */
    open: (id) => call("POST", `${experiment(id)}/open`),
    share: (id) => call("POST", `${experiment(id)}/share`),
    unshare: (id) => call("DELETE", `${experiment(id)}/share`),
  };
}

/** Share links (no key): the read-only view of a saved experiment, and a fork of it. */
export const shares = {
  get: (token) => request("GET", shared(token)),
  fork: (token) => request("POST", `${shared(token)}/fork`),
};

/** A new session with `config`; a field the server refuses (a 422 naming it) falls back to
 * its default, one field at a time (dataset and problem together), and is tried again. */
export async function createFitting(client, config, defaults) {
  let tried = { ...config };
  for (let tries = 0; ; tries++) {
    try {
      return await client.createSession(tried);
    } catch (error) {
      const field = error instanceof ApiError && error.status === 422 ? error.configField : null;
      if (!field || tries > Object.keys(tried).length) throw error;
      tried = { ...tried, [field]: defaults[field] };
      if (field === "dataset" || field === "problem") {
        tried.problem = defaults.problem;
        tried.dataset = defaults.dataset;
      }
    }
  }
}
