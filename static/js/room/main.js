// Wires the teacher's wall (/room/CODE, docs/rooms.md): the key this browser keeps, the
// header, the wall's websocket and its tiles, the toolbar, the challenge, the class views
// and the spotlight. No logic of its own beyond routing messages.

import { ApiError } from "../net/api.js";
import { KeptMap, TEACHER_KEY } from "../net/remember.js";
import { qrUrl, shareBase } from "../controls/share.js";
import { teacherApi } from "./api.js";
import { bindChallenge } from "./challenge.js";
import { confirmIn, tileMenu } from "./menu.js";
import { BAD_KEY, ROOM_CLOSED, WallSocket } from "./socket.js";
import { bindSpotlight } from "./spotlight.js";
import { displayName, TileBoard } from "./tiles.js";
import { bindToolbar, settingsOf } from "./toolbar.js";
import { bindViews } from "./views.js";

const root = document.querySelector("[data-wall]");
const code = root.dataset.code;
const q = (s) => document.querySelector(s);
const errorLine = q("[data-wall-error]");
const connection = q("[data-wall-connection]");
const kept = new KeptMap(TEACHER_KEY);
const key = kept.get(code)?.key;

/** Say what failed, in the server's words. */
function fail(error, doing) {
  const why = error instanceof ApiError ? error.message : error?.message || "the server could not be reached";
  errorLine.textContent = `Could not ${doing}: ${why}`;
  errorLine.hidden = false;
}

/** The wall has no class to show (closed, unknown, or no key here): only the code and a
 * centred message with the way back stay; the join link, QR code, count, toolbar and
 * views go. */
function ended(title, text) {
  const parts = "[data-wall-join-block], [data-wall-qr], [data-wall-head-actions], [data-wall-error], [data-wall-toolbar], .wall-tabs, [data-wall-panel]";
  for (const part of document.querySelectorAll(parts)) part.hidden = true;
  q("[data-wall-ended-title]").textContent = title;
  q("[data-wall-ended-text]").textContent = text;
  q("[data-wall-ended]").hidden = false;
  document.body.classList.add("wall-closed");
}
const CLOSED_TEXT = "Its students' sessions, snapshots and results are deleted. Students who want to go on start fresh on their own page.";

async function showJoinLink() {
  let lan = [];
  try {
    const reply = await fetch("/api/share", { headers: { accept: "application/json" } });
    if (reply.ok) lan = (await reply.json()).lan_urls ?? [];
  } catch {
    lan = [];
  }
  const join = `${shareBase(window.location, lan)}/join/${code}`;
  q("[data-wall-join]").textContent = join;
  q("[data-wall-qr]").src = qrUrl(join);
}

function start() {
  const teacher = teacherApi(code, key);
  let anonymise = false;
  let socket = null;
  const showSettings = bindToolbar(document, teacher, fail);
  const challenge = bindChallenge(document, teacher, fail);
  const views = bindViews(root, teacher, fail);
  const spotlight = bindSpotlight(document, teacher, fail);
  const confirm = (title, text, yes) => confirmIn(q("[data-wall-confirm]"), title, text, yes);
  const act = (doing, run) => run().then(() => (errorLine.hidden = true)).catch((e) => fail(e, doing));
  const nameOf = (m) => displayName(m, anonymise);

  const menu = tileMenu({
    spotlight: (m) => spotlight.open(m, nameOf(m)),
    snapshot: (m) => act("take a snapshot", async () => {
      await teacher.snapshot(m.session, nameOf(m));
      views.refreshGallery();
    }),
    reset: async (m) => {
      if (await confirm(`Reset ${nameOf(m)}'s network?`, "It gets new initial weights and goes back to epoch 0: what it has learned is lost.", "Reset")) {
        act("reset the network", () => teacher.reset(m.session));
      }
    },
    rename: async (m) => {
      const name = await tiles.editName(m);
      if (name) act("rename the student", () => teacher.rename(m.session, name));
    },
    remove: async (m) => {
      if (await confirm(`Remove ${nameOf(m)}?`, "Their session ends and their page says they were removed from the class.", "Remove")) {
        act("remove the student", () => teacher.remove(m.session));
      }
    },
  });
  const tiles = new TileBoard(q("[data-wall-tiles]"), {
    ack: (seq) => socket?.ack(seq),
    openMenu: (m, button, tile) => menu.open(m, button, tile),
  });

  function showRoom(room) {
    const settings = settingsOf(room);
    anonymise = Boolean(settings.anonymise);
    const members = room.members ?? [];
    tiles.setMembers(members, anonymise);
    const n = members.length;
    q("[data-wall-count]").textContent = `${n} student${n === 1 ? "" : "s"}`;
    q("[data-wall-empty]").hidden = n > 0;
    showSettings(room);
    challenge.showRoom(room, anonymise);
    views.setAnonymise(anonymise);
  }
  function showBoard(board) {
    challenge.showBoard(board);
    tiles.setRanks(new Map((board?.ranks ?? []).map((r) => [r.number, r.rank])));
  }

  socket = new WallSocket(code, key, {
    open: () => (connection.textContent = "Live"),
    message: (m) => {
      if (m.type === "room") showRoom(m.room);
      else if (m.type === "board") showBoard(m.board);
      else if (m.type === "error") fail({ message: m.message }, "do that");
    },
    tile: (buffer) => tiles.receive(buffer),
    down: (s) => (connection.textContent = `Connection lost; retrying in ${s} s…`),
    ended: (closeCode) => {
      if (closeCode === BAD_KEY) ended(`This browser's key is not the teacher key of class ${code}.`, "Open the wall from the browser that started the class.");
      else if (closeCode === ROOM_CLOSED) ended(`Class ${code} is closed.`, CLOSED_TEXT);
      else ended(`There is no class ${code}.`, "It was closed, or it expired.");
    },
  });

  teacher.room().then((room) => {
    showRoom(room);
    if (room.board) showBoard(room.board);
  }, (e) => fail(e, "load the class"));
  socket.open();

  q("[data-wall-sort]").addEventListener("change", (e) => tiles.sortBy(e.target.value));
  q("[data-wall-close]").addEventListener("click", async () => {
    if (!(await confirm(`Close class ${code}?`, "Every student's session, the snapshots and the results are deleted.", "Close the class"))) return;
    act("close the class", async () => {
      await teacher.close();
      socket.stop();
      kept.set(code, null);
      ended(`Class ${code} is closed.`, CLOSED_TEXT);
    });
  });
  for (const tab of document.querySelectorAll("[data-wall-tab]")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll("[data-wall-tab]")) {
        const on = other === tab;
        other.setAttribute("aria-selected", String(on));
        other.tabIndex = on ? 0 : -1;
        q(`[data-wall-panel="${other.dataset.wallTab}"]`).hidden = !on;
      }
      views.shown(tab.dataset.wallTab === "views");
    });
  }
}

showJoinLink();
if (key) {
  start();
} else {
  ended(`This browser does not hold the teacher key of class ${code}.`, "Open the wall from the browser that started the class.");
}
