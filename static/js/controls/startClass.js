// "Start a class": this tab's session becomes the room's setup (POST /api/rooms), the
// browser keeps the teacher key (localStorage playground.rooms.teacher, {CODE: {key,
// session}}), the teacher's wall opens in a new tab, and a dialog shows the code, the
// join link and its QR code.

import { TEACHER_KEY, KeptMap } from "../net/remember.js";
import { roomsApi } from "../room/api.js";
import { qrUrl } from "./share.js";
import { bindDialog, describeError, openDialog, showError } from "./dialogs.js";

/** sessionId(): this tab's session id, or null. */
export function bindStartClass(root, sessionId) {
  const button = root.querySelector("[data-room-start]");
  const dialog = root.querySelector("[data-start-dialog]");
  if (!button || !dialog) return;
  const teacher = new KeptMap(TEACHER_KEY);
  const error = dialog.querySelector("[data-start-error]");
  const done = dialog.querySelector("[data-start-done]");
  const code = dialog.querySelector("[data-start-code]");
  const link = dialog.querySelector("[data-start-link]");
  const wall = dialog.querySelector("[data-start-wall]");
  const qr = dialog.querySelector("[data-start-qr]");
  bindDialog(dialog);
  dialog.querySelector("[data-start-close]").addEventListener("click", () => dialog.close());
  link.addEventListener("focus", () => link.select());

  button.addEventListener("click", async () => {
    button.disabled = true;
    showError(error, null);
    done.hidden = true;
    // opened now, in the click, so no pop-up blocker stops it; it goes to the wall below
    const tab = window.open("about:blank", "_blank");
    try {
      const session = sessionId();
      const room = await roomsApi.start(session ? { session } : {});
      teacher.set(room.code, { key: room.key, session });
      const joinUrl = new URL(room.join_url, window.location.href).href;
      const wallUrl = new URL(room.wall_url, window.location.href).href;
      code.textContent = room.code;
      link.value = joinUrl;
      wall.href = wallUrl;
      qr.src = qrUrl(joinUrl);
      done.hidden = false;
      if (tab) tab.location.href = wallUrl;
    } catch (e) {
      tab?.close();
      showError(error, describeError(e, "start a class"));
    } finally {
      button.disabled = false;
      openDialog(dialog, button);
    }
  });
}
