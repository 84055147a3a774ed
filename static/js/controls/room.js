// A student's page in a class (store.session.room, docs/rooms.md): the room bar (the
// class, the nickname, the challenge and how far the student got, the timer), the notices
// the teacher raises (the class paused, "eyes on the teacher": the page's controls inert
// and its shortcuts off meanwhile), and what the page says when the seat ends (one
// notice: the gone banner, in the room's words, with its "Start fresh"). The locked
// controls are hidden by controls/visibility.js. A tooltip never covers a notice: it is
// dismissed as one shows (and the notices sit above it, room.css).
// The spotlight (`/?follow=<id>`) shows one student's session read-only until the teacher
// takes control.

import { roomsApi } from "../room/api.js";

const METRIC_WORDS = {
  test_loss: (t) => `test loss at most ${t}`,
  test_accuracy: (t) => `test accuracy at least ${Math.round(t * 1000) / 10} %`,
};
const LIMIT_WORDS = {
  max_layers: (n) => `at most ${n} hidden layer${n === 1 ? "" : "s"}`,
  max_neurons: (n) => `at most ${n} neurons a layer`,
  max_features: (n) => `at most ${n} input feature${n === 1 ? "" : "s"}`,
  max_epochs: (n) => `within ${n.toLocaleString("en-US")} epochs`,
};

/** "Goal: test accuracy at least 90 %, at most 2 hidden layers" of a challenge, or "". */
export function goalText(challenge) {
  if (!challenge) return "";
  const goal = METRIC_WORDS[challenge.metric]?.(challenge.target) ?? `${challenge.metric} ${challenge.target}`;
  const limits = Object.entries(LIMIT_WORDS)
    .filter(([k]) => challenge[k] !== null && challenge[k] !== undefined)
    .map(([k, words]) => words(challenge[k]));
  return `Goal: ${[goal, ...limits].join(", ")}`;
}

/** What the bar says of the student's progress in the challenge (the server's record of
 * when they reached the goal, with their rank; null before), or "". */
export function progressText(progress) {
  if (!progress) return "Not reached yet";
  const at = typeof progress.epoch === "number" ? ` at epoch ${progress.epoch.toLocaleString("en-US")}` : "";
  const rank = progress.rank ? `: you are number ${progress.rank}` : "";
  return `Goal reached${at}${rank}!`;
}

/** "4:05" for 245 seconds; "0:00" once past. */
export function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const REMOVED = /removed/i;

/** Write `text` into `node` where it changed; no text hides it. */
function set(node, text) {
  if (node.textContent !== text) node.textContent = text;
  node.hidden = !text;
}
const SHORTCUTS = [" ", "ArrowRight", "r", "R"]; // controls/keyboard.js

/** following: the spotlighted session id, or null on a student's (or anyone's) page. */
export function bindRoom(root, store, { following = null } = {}) {
  const bar = root.querySelector("[data-room-bar]");
  const who = root.querySelector("[data-room-who]");
  const goal = root.querySelector("[data-room-goal]");
  const progress = root.querySelector("[data-room-progress]");
  const timer = root.querySelector("[data-room-timer]");
  const paused = root.querySelector("[data-room-paused]");
  const eyes = root.querySelector("[data-room-eyes]");
  const start = root.querySelector("[data-room-start]");
  const gone = root.querySelector("[data-gone]");
  const goneTitle = root.querySelector("[data-gone-title]");
  const goneText = root.querySelector("[data-gone-text]");
  const tip = root.querySelector("[data-tooltip]");
  const pageParts = [...root.querySelectorAll(".masthead, .topbar, main, .footer")];
  let lastRoom = null; // the class this page's session sat in, for when it ends
  let ticker = null;

  /** A notice just showed: no tooltip stays over it. */
  function noticeShown() {
    if (tip) tip.hidden = true;
  }
  function setEyes(on) {
    if (on && eyes.hidden) noticeShown();
    eyes.hidden = !on;
    document.body.classList.toggle("eyes-on-teacher", on);
    // nothing behind the overlay takes the mouse, Tab or a key (keyboard.js checks the class)
    if (!following) for (const part of pageParts) part.inert = on;
  }

  function tick() {
    const ends = store.session?.room?.timer_ends;
    if (!ends) {
      timer.hidden = true;
      clearInterval(ticker);
      ticker = null;
      return;
    }
    const left = ends - Date.now() / 1000;
    set(timer, left > 0 ? `Time left ${clock(left)}` : "Time is up");
    timer.classList.toggle("room-timer-up", left <= 0);
    if (left <= 0) {
      clearInterval(ticker);
      ticker = null;
    } else if (!ticker) {
      ticker = setInterval(tick, 1000);
    }
  }

  function render() {
    const room = store.session?.room ?? null;
    if (room) lastRoom = { ...room, session: store.session.id };
    // another session without a class (started fresh, opened a copy): no student's page now
    else if (store.session && store.session.id !== lastRoom?.session) lastRoom = null;
    document.body.classList.toggle("in-room", Boolean(room));
    // a student's page (and a spotlight) starts no class of its own
    if (start) start.hidden = Boolean(room || lastRoom || following);
    bar.hidden = !room || Boolean(following);
    const showNotices = Boolean(room) && !following;
    setEyes(Boolean(showNotices && room.eyes));
    if (!room) return;
    set(who, `Class ${room.code} · you are ${room.nickname}`);
    set(goal, goalText(room.challenge));
    set(progress, room.challenge ? progressText(room.progress) : "");
    const pausedNow = Boolean(showNotices && room.paused);
    if (pausedNow && paused.hidden) noticeShown();
    paused.hidden = !pausedNow;
    tick();
  }

  store.addEventListener("session", render);
  store.addEventListener("gone", async () => {
    if (!store.gone || !lastRoom || following) return;
    const { code } = lastRoom;
    const seat = store.gone;
    // views/gone.js shows the banner in its own words: hidden (room.css) until ours are in
    gone.dataset.roomSeat = "pending";
    bar.hidden = true;
    setEyes(false);
    noticeShown();
    if (start) start.hidden = true;
    const reason = [seat.copy?.ended, seat.reason].filter(Boolean).join(" ");
    // without the server's reason, a class still there means this student alone was
    // removed from it. Always awaited, so this writes after gone.js's listener.
    const removed = await (REMOVED.test(reason)
      ? Promise.resolve(true)
      : roomsApi.get(code).then(() => true, () => false));
    if (store.gone !== seat) return; // they moved on meanwhile
    goneTitle.textContent = removed
      ? `You were removed from the class ${code} by the teacher.`
      : `The class ${code} has ended.`;
    if (!seat.copy) {
      goneText.textContent = "Your network ended with your seat, and the server kept no copy of it. " +
        "Start fresh to play on by yourself with this page's setup.";
    }
    delete gone.dataset.roomSeat;
  });
  if (following) bindFollow(root, store);
  render();
}

/** The spotlight page: read-only (body.following, the controls inert) until "Take control". */
function bindFollow(root, store) {
  const bar = root.querySelector("[data-follow-bar]");
  const text = root.querySelector("[data-follow-text]");
  const control = root.querySelector("[data-follow-control]");
  const parts = [...root.querySelectorAll(".topbar, main, .masthead-tools")];
  bar.hidden = false;
  function setControl(on) {
    control.setAttribute("aria-pressed", String(on));
    control.textContent = on ? "Hand back (read-only)" : "Take control";
    document.body.classList.toggle("following", !on);
    for (const part of parts) part.inert = !on;
  }
  control.addEventListener("click", () => setControl(control.getAttribute("aria-pressed") !== "true"));
  function describe() {
    const room = store.session?.room;
    const name = room?.nickname ? `${room.nickname}'s network` : "this network";
    text.textContent = control.getAttribute("aria-pressed") === "true"
      ? `You are working on ${name}: the student sees every change.`
      : `You are watching ${name} live (read-only).`;
  }
  // the page's shortcuts (space, R, →) do nothing while read-only
  window.addEventListener(
    "keydown",
    (e) => {
      if (document.body.classList.contains("following") && SHORTCUTS.includes(e.key)) e.preventDefault();
    },
    true,
  );
  store.addEventListener("session", describe);
  control.addEventListener("click", describe);
  setControl(false);
  describe();
}
