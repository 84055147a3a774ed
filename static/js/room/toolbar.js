// The wall's toolbar: push the teacher's setup (with or without its weights), lock
// controls (the Share menu's list of hideable parts), pause and resume everyone, "eyes on
// me", a timer, and "Projecting" (names anonymised). Each button shows what the server
// last said (the room message), not what was clicked.

import { hideChoices } from "../controls/share.js";
import { html as el } from "../draw/dom.js";
import { clock } from "../controls/room.js";

const MIN_MINUTES = 1;
const MAX_MINUTES = 1440; // a day

/** The teacher's settings of a room message: {locks, anonymise, paused, eyes, timer_ends}. */
export const settingsOf = (room) => ({ ...room, ...room?.settings });

/** teacher: room/api.js teacherApi; fail(error, doing) shows a failure. */
export function bindToolbar(root, teacher, fail) {
  const q = (s) => root.querySelector(s);
  const push = q("[data-wall-push]");
  const weights = q("[data-wall-push-weights]");
  const lockList = q("[data-wall-lock-list]");
  const lockCount = q("[data-wall-lock-count]");
  const pause = q("[data-wall-pause]");
  const eyes = q("[data-wall-eyes]");
  const anonymise = q("[data-wall-anonymise]");
  const anonymiseState = q("[data-wall-anonymise-state]");
  const minutesError = q("[data-wall-minutes-error]");
  const timerForm = q("[data-wall-timer-form]");
  const minutes = q("[data-wall-minutes]");
  const stop = q("[data-wall-timer-stop]");
  const countdown = q("[data-wall-countdown]");
  let settings = {};
  let ticker = null;

  const act = (button, doing, run) => async () => {
    button.disabled = true;
    try {
      await run();
    } catch (error) {
      fail(error, doing);
    } finally {
      button.disabled = false;
    }
  };
  const patch = (p) => teacher.patch(p);

  push.addEventListener("click", act(push, "push your setup", async () => {
    const reply = await teacher.push(weights.checked);
    push.textContent = `Pushed to ${reply?.pushed ?? 0}`;
    setTimeout(() => (push.textContent = "Push my setup"), 2500);
  }));

  for (const [label, name] of hideChoices()) {
    const box = el("input", { type: "checkbox", "data-wall-lock": name });
    const item = el("label", { class: "wall-lock" });
    item.append(box, document.createTextNode(` ${label}`));
    lockList.append(item);
    box.addEventListener("change", async () => {
      const locks = [...lockList.querySelectorAll("[data-wall-lock]:checked")].map((b) => b.dataset.wallLock);
      try {
        await patch({ locks });
      } catch (error) {
        box.checked = !box.checked;
        fail(error, "lock that control");
      }
    });
  }

  const toggle = (button, field, doing) =>
    button.addEventListener("click", act(button, doing, () => patch({ [field]: !settings[field] })));
  toggle(pause, "paused", "pause the class");
  toggle(eyes, "eyes", "call the class's eyes");
  toggle(anonymise, "anonymise", "switch names");

  /** The timer's own error, under its field (null clears it). */
  function timerError(text) {
    minutesError.textContent = text ?? "";
    minutesError.hidden = !text;
    minutes.setAttribute("aria-invalid", String(Boolean(text)));
  }
  minutes.addEventListener("input", () => timerError(null));
  timerForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = minutes.value.trim() === "" ? NaN : Number(minutes.value);
    if (!(value >= MIN_MINUTES && value <= MAX_MINUTES)) {
      timerError(`Timer: ${MIN_MINUTES} to ${MAX_MINUTES} minutes.`);
      minutes.focus();
      return;
    }
    timerError(null);
    try {
      await patch({ timer: Math.round(value * 60) });
    } catch (error) {
      timerError(`Could not start the timer: ${error?.message || "the server could not be reached"}`);
    }
  });
  stop.addEventListener("click", act(stop, "stop the timer", () => patch({ timer: 0 })));

  function tick() {
    const ends = settings.timer_ends;
    const left = ends ? ends - Date.now() / 1000 : 0;
    countdown.hidden = !ends;
    stop.hidden = !ends;
    if (ends) countdown.textContent = left > 0 ? clock(left) : "Time is up";
    clearInterval(ticker);
    ticker = ends && left > 0 ? setInterval(tick, 1000) : null;
  }

  /** Show the room's settings as the server has them. */
  return function show(room) {
    settings = settingsOf(room);
    const locks = new Set(settings.locks ?? []);
    for (const box of lockList.querySelectorAll("[data-wall-lock]")) box.checked = locks.has(box.dataset.wallLock);
    lockCount.textContent = locks.size ? `(${locks.size})` : "";
    pause.setAttribute("aria-pressed", String(Boolean(settings.paused)));
    pause.textContent = settings.paused ? "Resume all" : "Pause all";
    eyes.setAttribute("aria-pressed", String(Boolean(settings.eyes)));
    eyes.textContent = settings.eyes ? "Release eyes" : "Eyes on me";
    anonymise.setAttribute("aria-pressed", String(Boolean(settings.anonymise)));
    anonymiseState.textContent = settings.anonymise ? "✓ names hidden" : "names shown";
    tick();
  };
}
