// The challenge panel: the teacher sets a goal (test loss at most x, or test accuracy at
// least y) and limits, starts and ends it; the live leaderboard follows the server's
// "board" messages, and the podium shows once the challenge ends.

import { goalText } from "../controls/room.js";
import { html as el } from "../draw/dom.js";
import { showError } from "../controls/dialogs.js";
import { displayName } from "./tiles.js";

/** The board's entries in rank order: [{number, name, rank, epoch, seconds, params, value}]. */
export const entriesOf = (board) => board?.ranks ?? [];

function entryText(entry, anonymise) {
  const name = entry.name ?? displayName(entry, anonymise);
  const bits = [];
  if (typeof entry.seconds === "number") bits.push(`${entry.seconds.toFixed(0)} s`);
  if (entry.epoch !== undefined && entry.epoch !== null) bits.push(`epoch ${entry.epoch.toLocaleString("en-US")}`);
  if (entry.params !== undefined && entry.params !== null) bits.push(`${entry.params} parameters`);
  if (typeof entry.value === "number") bits.push(entry.value.toFixed(3));
  return { name, detail: bits.join(" · ") };
}

export function bindChallenge(root, teacher, fail) {
  const form = root.querySelector("[data-challenge-form]");
  const metric = form.querySelector("[data-challenge-metric]");
  const target = form.querySelector("[data-challenge-target]");
  const limits = [...form.querySelectorAll("[data-challenge-limit]")];
  const end = form.querySelector("[data-challenge-end]");
  const error = form.querySelector("[data-challenge-error]");
  const goal = root.querySelector("[data-board-goal]");
  const list = root.querySelector("[data-board-list]");
  const podium = root.querySelector("[data-board-podium]");
  let anonymise = false;
  let lastBoard = null;

  metric.addEventListener("change", () => {
    target.value = metric.value === "test_loss" ? "0.1" : "0.9";
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = Number(target.value);
    if (target.value === "" || !(value >= 0 && value <= 10)) {
      showError(error, "Target: a number from 0 to 10 (accuracy as 0.9 for 90 %).");
      return;
    }
    const body = { metric: metric.value, target: value };
    for (const input of limits) if (input.value !== "") body[input.dataset.challengeLimit] = Number(input.value);
    showError(error, null);
    try {
      await teacher.challenge(body);
    } catch (err) {
      showError(error, `Could not start the challenge: ${err.message}`);
    }
  });
  end.addEventListener("click", async () => {
    try {
      await teacher.endChallenge();
    } catch (err) {
      fail(err, "end the challenge");
    }
  });

  function fill(ol, entries) {
    ol.replaceChildren(
      ...entries.map((entry, i) => {
        const { name, detail } = entryText(entry, anonymise);
        const li = el("li", { class: "board-entry", "data-board-entry": "" });
        li.append(el("span", { class: "board-rank" }, `${entry.rank ?? i + 1}.`), el("span", { class: "board-name" }, name));
        if (detail) li.append(el("span", { class: "board-detail" }, detail));
        return li;
      }),
    );
  }

  /** A board message (or GET /board): the goal, the ranking, the podium after the end. */
  function showBoard(board) {
    lastBoard = board;
    const challenge = board?.challenge ?? null;
    const running = Boolean(challenge);
    end.disabled = !running;
    goal.textContent = challenge ? goalText(challenge) : board?.podium?.length ? "The challenge has ended." : "No challenge running.";
    fill(list, running ? entriesOf(board) : []);
    const top = board?.podium ?? [];
    podium.hidden = running || !top.length;
    fill(podium, top.slice(0, 3));
  }

  return {
    showBoard,
    /** The room's challenge (a room message) and whether names are anonymised. */
    showRoom(room, anon) {
      anonymise = anon;
      const running = room.challenge;
      if (running && !form.contains(document.activeElement)) {
        // the form shows the goal that runs (set from another tab, or before a reload)
        metric.value = running.metric;
        target.value = String(running.target);
        for (const input of limits) input.value = running[input.dataset.challengeLimit] ?? "";
      }
      if (room.board) showBoard(room.board);
      else if (lastBoard) showBoard({ ...lastBoard, challenge: room.challenge ?? null });
    },
  };
}
