// The lasting banner of a session that is gone (store.gone): what happened, and what the
// person can do next: open the last copy the server kept, start fresh with this page's
// setup, or go to their saved experiments. It stays until they pick one.

const ENDED = {
  expired: "This session expired: nobody used it for a while, so the server let it go.",
  deleted: "This session was deleted.",
  restarted: "This session ended when the server restarted.",
};

/** "14:02" today, "3 May, 14:02" another day; "" for a time that is no time. */
export function savedWhen(iso, now = new Date()) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const time = at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  if (at.toDateString() === now.toDateString()) return time;
  return `${at.toLocaleDateString("en-GB", { day: "numeric", month: "short" })}, ${time}`;
}

/** What the banner says of `gone` ({copy, error, reason}); reason: the server's words as
 * it closed the socket ("the session was removed from the class"). */
export function goneText({ copy, error, reason }) {
  if (error) return error;
  if (!copy && reason) return `${reason[0].toUpperCase()}${reason.slice(1)}, and the server kept no copy of it.`;
  if (!copy) return "This session is gone (it expired or was deleted), and the server kept no copy of it.";
  const when = savedWhen(copy.saved_at);
  const saved = `Its last saved copy is at epoch ${copy.epoch.toLocaleString("en-US")}${when ? `, saved ${when}` : ""}.`;
  return `${ENDED[copy.ended] ?? "This session has ended."} ${saved}`;
}

/** actions: openCopy(), startFresh(), showExperiments(). */
export function bindGone(root, store, actions) {
  const banner = root.querySelector("[data-gone]");
  const title = root.querySelector("[data-gone-title]");
  const text = root.querySelector("[data-gone-text]");
  const openCopy = root.querySelector("[data-gone-copy]");
  const fresh = root.querySelector("[data-gone-fresh]");
  const experiments = root.querySelector("[data-gone-experiments]");

  store.addEventListener("gone", () => {
    const gone = store.gone;
    banner.hidden = !gone;
    if (!gone) return;
    title.textContent = "Your session is gone"; // controls/room.js words a class's seat
    text.textContent = goneText(gone);
    openCopy.hidden = !gone.copy;
    if (gone.copy) openCopy.textContent = `Open the last saved copy (epoch ${gone.copy.epoch.toLocaleString("en-US")})`;
    for (const button of banner.querySelectorAll("button")) button.disabled = false;
  });

  // one choice at a time: the buttons wait until it is done
  const choose = (action) => async () => {
    for (const button of banner.querySelectorAll("button")) button.disabled = true;
    try {
      await action();
    } finally {
      for (const button of banner.querySelectorAll("button")) button.disabled = false;
    }
  };
  openCopy.addEventListener("click", choose(actions.openCopy));
  fresh.addEventListener("click", choose(actions.startFresh));
  experiments.addEventListener("click", () => actions.showExperiments());
}
