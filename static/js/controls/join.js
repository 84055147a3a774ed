// Joining a class (docs/rooms.md): `/join` asks for the code and a nickname, `/join/CODE`
// only for the nickname (the server suggests a free one; a student may type their own and
// a refused one is explained under the field). A class joined before from this browser is
// joined again without asking (the same session comes back), so a reload keeps the seat.

import { ApiError } from "../net/api.js";
import { JOINED_KEY, KeptMap } from "../net/remember.js";
import { normalCode, roomsApi } from "../room/api.js";
import { bindDialog, openDialog, showError } from "./dialogs.js";

/** The message a failed join shows, and which field it belongs to ("code" or "nickname"). */
export function joinError(error) {
  if (!(error instanceof ApiError)) return { field: "code", text: "The server could not be reached. Try again." };
  const field = error.body?.field === "nickname" || error.status === 422 ? "nickname" : "code";
  if (error.status === 404) return { field: "code", text: "There is no class with this code. Check it with your teacher." };
  if (error.status === 429) return { field, text: `Too many tries: ${error.message} Wait a minute, then try again.` };
  return { field, text: error.message };
}

/**
 * On a join page (the dialog carries data-join), resolve with the joined member's session
 * (a SessionState) or null when the student chose to just play. Elsewhere null at once.
 * `getSession(id)` fetches a SessionState where the join answers only its id.
 */
export function joinClass(root, getSession, location = window.location) {
  const dialog = root.querySelector("[data-join-dialog]");
  if (!dialog || dialog.dataset.join === undefined) return Promise.resolve(null);
  const joined = new KeptMap(JOINED_KEY);
  const form = dialog.querySelector("[data-join-form]");
  const codeStep = dialog.querySelector("[data-join-code-step]");
  const codeInput = dialog.querySelector("[data-join-code]");
  const codeError = dialog.querySelector("[data-join-code-error]");
  const classLine = dialog.querySelector("[data-join-class]");
  const nickname = dialog.querySelector("[data-join-nickname]");
  const nickError = dialog.querySelector("[data-join-nickname-error]");
  const submit = dialog.querySelector("[data-join-submit]");
  let known = null; // the code whose suggestion fills the nickname field
  let suggested = "";
  bindDialog(dialog);
  dialog.addEventListener("cancel", (e) => e.preventDefault()); // Escape: "Just play" is the way out

  return new Promise((resolve) => {
    const finish = async (reply) => {
      joined.set(reply.code, typeof reply.session === "string" ? reply.session : reply.session.id);
      const session = typeof reply.session === "string" ? await getSession(reply.session) : reply.session;
      const path = `/join/${reply.code}`;
      if (location.pathname !== path) history.replaceState(null, "", `${path}${location.hash}`);
      dialog.close();
      resolve(session);
    };

    /** The class behind the typed code: its suggestion becomes the nickname's default. */
    async function lookUp() {
      const code = normalCode(codeInput.value);
      if (!code || code === known) return code;
      try {
        const room = await roomsApi.get(code);
        known = code;
        classLine.textContent = `Class ${room.code}: ${room.students} of ${room.max_students} students joined.`;
        classLine.hidden = false;
        if (!nickname.value || nickname.value === suggested) nickname.value = room.nickname;
        suggested = room.nickname;
        showError(codeError, null);
      } catch (error) {
        known = null;
        classLine.hidden = true;
        showError(codeError, joinError(error).text);
      }
      return code;
    }

    codeInput.addEventListener("change", lookUp);
    codeInput.addEventListener("input", () => {
      if (normalCode(codeInput.value)) lookUp();
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const code = normalCode(codeInput.value);
      if (!code) {
        showError(codeError, "A class code is 6 letters and digits, as your teacher shows it (e.g. ACE479).");
        codeInput.focus();
        return;
      }
      showError(nickError, null);
      submit.disabled = true;
      try {
        const name = nickname.value.trim();
        const earlier = joined.get(code);
        await finish(await roomsApi.join(code, { ...(name ? { nickname: name } : {}), ...(earlier ? { session: earlier } : {}) }));
      } catch (error) {
        const { field, text } = joinError(error);
        showError(field === "nickname" ? nickError : codeError, text);
        (field === "nickname" ? nickname : codeInput).focus();
      } finally {
        submit.disabled = false;
      }
    });
    dialog.querySelector("[data-join-cancel]").addEventListener("click", () => {
      dialog.close();
      history.replaceState(null, "", `/${location.hash}`);
      resolve(null);
    });

    const given = normalCode(dialog.dataset.join);
    const earlier = given ? joined.get(given) : null;
    const ask = () => {
      codeInput.value = given ?? "";
      codeStep.hidden = Boolean(given);
      openDialog(dialog, null);
      if (given) lookUp().then(() => nickname.focus());
      else codeInput.focus();
    };
    if (earlier) {
      // this browser sat in this class before: the same seat, without asking again
      roomsApi.join(given, { session: earlier }).then(finish).catch(ask);
    } else {
      ask();
    }
  });
}
