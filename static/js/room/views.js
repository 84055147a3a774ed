// The class at once: every student's test loss on one Plotly chart (GET /curves), the
// final test losses by architecture (a strip per network shape, from the room's members),
// the gallery of snapshots with two to four side by side, and the results as CSV (fetched
// with the teacher key, then saved from a blob: a link cannot send the header).

import { html as el } from "../draw/dom.js";
import { displayName } from "./tiles.js";

export const REFRESH_MS = 4000;
const MAX_COMPARE = 4;
const LAYOUT = {
  margin: { l: 50, r: 10, t: 10, b: 40 },
  paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "#fff",
  showlegend: false,
  font: { family: "Helvetica Neue, Helvetica, Arial, sans-serif", size: 12 },
};

/** A list out of a reply that is one, or holds one under `key`. */
export const listOf = (reply, ...keys) => (Array.isArray(reply) ? reply : keys.map((k) => reply?.[k]).find(Array.isArray) ?? []);

/** Members grouped by architecture: [{architecture, losses: [...], names: [...]}]. */
export function byArchitecture(members, anonymise) {
  const groups = new Map();
  for (const m of members) {
    if (!m.architecture || !Number.isFinite(m.test_loss)) continue;
    if (!groups.has(m.architecture)) groups.set(m.architecture, { architecture: m.architecture, losses: [], names: [] });
    const group = groups.get(m.architecture);
    group.losses.push(m.test_loss);
    group.names.push(displayName(m, anonymise));
  }
  return [...groups.values()].toSorted((a, b) => a.architecture.localeCompare(b.architecture));
}

export function bindViews(root, teacher, fail) {
  const curvesPlot = root.querySelector("[data-views-curves]");
  const archPlot = root.querySelector("[data-views-arch]");
  const gallery = root.querySelector("[data-views-gallery]");
  const compare = root.querySelector("[data-views-compare]");
  const note = root.querySelector("[data-views-note]");
  const csv = root.querySelector("[data-views-csv]");
  const chosen = new Set(); // snapshot ids side by side
  let snapshots = [];
  let anonymise = false;
  let timer = null;

  async function drawCurves() {
    const Plotly = window.Plotly;
    if (!Plotly) return;
    const curves = listOf(await teacher.curves(), "curves", "members");
    // each member's history: [[epoch, train loss, test loss], ...]
    const traces = curves.map((c) => {
      const name = c.name ?? displayName(c, anonymise);
      const history = c.history ?? [];
      return {
        x: history.map((p) => p[0]),
        y: history.map((p) => p[2]),
        name,
        mode: "lines",
        line: { width: 1.2 },
        hovertemplate: `${name}<br>epoch %{x}: %{y:.3f}<extra></extra>`,
      };
    });
    const layout = { ...LAYOUT, xaxis: { title: { text: "epoch" } }, yaxis: { title: { text: "test loss" }, rangemode: "tozero" } };
    Plotly.react(curvesPlot, traces, layout, { displayModeBar: false, responsive: true });
  }

  function drawArchitectures(members) {
    const Plotly = window.Plotly;
    if (!Plotly) return;
    const traces = byArchitecture(members, anonymise).map((g) => ({
      type: "box",
      y: g.losses,
      name: g.architecture,
      text: g.names,
      boxpoints: "all",
      jitter: 0.4,
      pointpos: 0,
      hovertemplate: "%{text}: %{y:.3f}<extra></extra>",
    }));
    const layout = { ...LAYOUT, margin: { ...LAYOUT.margin, b: 90 }, yaxis: { title: { text: "test loss" }, rangemode: "tozero" } };
    Plotly.react(archPlot, traces, layout, { displayModeBar: false, responsive: true });
  }

  function drawCompare() {
    const picked = snapshots.filter((s) => chosen.has(s.id));
    compare.hidden = picked.length < 2;
    compare.replaceChildren(
      ...picked.map((s) => {
        const figure = el("figure", { class: "compare-item" });
        figure.append(el("img", { src: s.picture ?? s.thumbnail, alt: `Snapshot ${s.name}`, width: 320, height: 320 }), el("figcaption", {}, `${s.name} · epoch ${s.epoch ?? "?"}`));
        return figure;
      }),
    );
  }

  function drawGallery() {
    for (const id of chosen) if (!snapshots.some((s) => s.id === id)) chosen.delete(id);
    gallery.replaceChildren(
      ...snapshots.map((s) => {
        const li = el("li", { class: "gallery-item" });
        const label = el("label", { class: "gallery-pick" });
        const box = el("input", { type: "checkbox", "data-snapshot": s.id });
        box.checked = chosen.has(s.id);
        box.addEventListener("change", () => {
          if (box.checked && chosen.size >= MAX_COMPARE) {
            box.checked = false;
            note.textContent = `At most ${MAX_COMPARE} side by side.`;
            return;
          }
          if (box.checked) chosen.add(s.id);
          else chosen.delete(s.id);
          drawCompare();
        });
        label.append(box, el("img", { src: s.thumbnail, alt: "", width: 100, height: 100 }), el("span", {}, `${s.name} · epoch ${s.epoch ?? "?"}`));
        const remove = el("button", { type: "button", class: "gallery-remove", "aria-label": `Delete the snapshot ${s.name}` }, "×");
        remove.addEventListener("click", async () => {
          try {
            await teacher.deleteSnapshot(s.id);
            await refreshGallery();
          } catch (error) {
            fail(error, "delete the snapshot");
          }
        });
        li.append(label, remove);
        return li;
      }),
    );
    if (!snapshots.length) gallery.append(el("li", { class: "gallery-empty" }, "No snapshots yet: a student's tile menu has Snapshot."));
    drawCompare();
  }

  async function refreshGallery() {
    snapshots = listOf(await teacher.snapshots(), "snapshots", "experiments");
    drawGallery();
  }

  async function refresh() {
    try {
      const room = await teacher.room();
      drawArchitectures(room.members ?? []);
      await drawCurves();
      await refreshGallery();
      note.textContent = "";
    } catch (error) {
      note.textContent = `Could not refresh the class views: ${error.message}`;
    }
  }

  csv.addEventListener("click", async () => {
    try {
      const blob = await teacher.results();
      const a = el("a", { href: URL.createObjectURL(blob), download: `class-${root.dataset.code}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (error) {
      fail(error, "download the results");
    }
  });

  return {
    /** Refresh every few seconds while the views are shown. */
    shown(on) {
      clearInterval(timer);
      timer = null;
      if (!on) return;
      refresh();
      timer = setInterval(refresh, REFRESH_MS);
    },
    setAnonymise(on) {
      anonymise = on;
    },
    refreshGallery: () => refreshGallery().catch((e) => fail(e, "load the gallery")),
  };
}
