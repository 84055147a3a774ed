// A student's page in a class (store.session.room, docs/rooms.md): the room bar (the
// class, the nickname, the challenge and how far the student got, the timer), the notices
// the teacher raises (the class paused, "eyes on the teacher"), and what the page says
// when the seat ends. The locked controls are hidden by controls/visibility.js.
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
  const ended = root.querySelector("[data-room-ended]");
  const endedText = root.querySelector("[data-room-ended-text]");
  const start = root.querySelector("[data-room-start]");
  let lastRoom = null; // the class this page's session sat in, for when it ends
  let ticker = null;


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
    if (room) {
      lastRoom = room;
      ended.hidden = true;
    }
    document.body.classList.toggle("in-room", Boolean(room));
    if (start) start.hidden = Boolean(room) || Boolean(following);
    bar.hidden = !room || Boolean(following);
    const showNotices = Boolean(room) && !following;
    eyes.hidden = !(showNotices && room.eyes);
    document.body.classList.toggle("eyes-on-teacher", !eyes.hidden);
    if (!room) return;
    set(who, `Class ${room.code} · you are ${room.nickname}`);
    set(goal, goalText(room.challenge));
    set(progress, room.challenge ? progressText(room.progress) : "");
    paused.hidden = !(showNotices && room.paused);
    tick();
  }

  store.addEventListener("session", render);
  store.addEventListener("gone", async () => {
    if (!store.gone || !lastRoom || following) return;
    const { code } = lastRoom;
    // the socket's close reason does not reach the page: a class still there means this
    // student alone was removed from it
    const open = await roomsApi.get(code).then(() => true, () => false);
    const reason = [store.gone.copy?.ended, store.gone.reason].filter(Boolean).join(" ");
    endedText.textContent = open || REMOVED.test(reason)
      ? `You were removed from the class ${code} by the teacher.`
      : `The class ${code} has ended.`;
    ended.hidden = false;
    bar.hidden = true;
    eyes.hidden = true;
    document.body.classList.remove("eyes-on-teacher");
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
