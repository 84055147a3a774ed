// Classroom rooms over REST (docs/rooms.md): what anyone may ask (a room's suggestion of
// a nickname, joining it, starting one) and what only the teacher may, every call of which
// carries the teacher key in X-Teacher-Key. Errors are the app's ApiError (net/api.js).

import { ApiError, request } from "../net/api.js";

export const CODE_ALPHABET = "ACEFGHKMNPRTWXY34679"; // server/protocol/rooms.py
export const CODE_LENGTH = 6;

/** A code as a person typed it (any case, spaces or dashes), or null if it cannot be one. */
export function normalCode(typed) {
  const code = String(typed ?? "").replace(/[\s\-_.]+/g, "").toUpperCase();
  if (code.length !== CODE_LENGTH) return null;
  return [...code].every((c) => CODE_ALPHABET.includes(c)) ? code : null;
}

function call(method, path, body, headers = {}) {
  return request(method, path, body, { headers });
}

const room = (code) => `/api/rooms/${encodeURIComponent(code)}`;

/** What a student's page (or anyone) may ask. */
export const roomsApi = {
  /** {code, students, max_students, nickname}: a 404 for an unknown code. */
  get: (code) => call("GET", room(code)),
  /** {nickname?, session?} -> {code, nickname, number, session}. */
  join: (code, body) => call("POST", `${room(code)}/join`, body),
  /** {session?} -> {code, key, join_url, wall_url, qr, expires, setup}. */
  start: (body) => call("POST", "/api/rooms", body),
  board: (code) => call("GET", `${room(code)}/board`),
};

/** The teacher's calls on room `code`, each with `key`. */
export function teacherApi(code, key) {
  const auth = { "X-Teacher-Key": key };
  const at = (path = "") => `${room(code)}${path}`;
  const member = (session, path = "") => at(`/members/${encodeURIComponent(session)}${path}`);
  const t = (method, path, body) => call(method, path, body, auth);
  return {
    room: () => t("GET", at("/teacher")),
    patch: (patch) => t("PATCH", at(), patch),
    push: (weights) => t("POST", at("/push"), { weights }),
    challenge: (goal) => t("PUT", at("/challenge"), goal),
    endChallenge: () => t("DELETE", at("/challenge")),
    rename: (session, nickname) => t("PATCH", member(session), { nickname }),
    reset: (session) => t("POST", member(session, "/reset")),
    snapshot: (session, name) => t("POST", member(session, "/snapshot"), name ? { name } : {}),
    remove: (session) => t("DELETE", member(session)),
    snapshots: () => t("GET", at("/snapshots")),
    deleteSnapshot: (id) => t("DELETE", at(`/snapshots/${encodeURIComponent(id)}`)),
    curves: () => t("GET", at("/curves")),
    close: () => t("DELETE", at()),
    /** The results table as a Blob (a link cannot send the key). */
    async results() {
      const response = await fetch(at("/results.csv"), { headers: auth });
      if (!response.ok) {
        let body = null;
        try {
          body = await response.json();
        } catch {
          body = null;
        }
        throw new ApiError(response.status, body);
      }
      return response.blob();
    },
  };
}
