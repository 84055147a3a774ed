"""Every text is readable: axe-core finds no serious or critical problem (colour contrast
of at least 4.5:1 among them) in both palettes, in normal and presenter mode, with the
optional panels open; and the SVG numbers axe does not measure (the plot's axes, the loss
chart's ticks) pass 4.5:1 too.

axe-core comes from the axe-playwright-python package (its bundled axe.min.js). The
page's Content-Security-Policy refuses inline scripts, so Playwright's add_script_tag
(which inlines even a path=) is blocked; page.evaluate runs the source through the
DevTools protocol, which the policy does not govern."""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import Page, expect

from .conftest import ARTIFACTS, Playground

pytestmark = pytest.mark.e2e

AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
BAD = ("serious", "critical")

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
  }));
}"""

# SVG text against the first opaque background behind it (WCAG's relative luminance).
SVG_TEXT_CONTRAST = """() => {
  const rgb = (css) => (css.match(/[\\d.]+/g) ?? []).map(Number);
  const lum = ([r, g, b]) => {
    const linear = (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    const c = [r, g, b].map((v) => linear(v / 255));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const t of document.querySelectorAll("[data-heatmap-axes] text, [data-loss-chart] text")) {
    if (!t.textContent.trim() || !t.getClientRects().length) continue;
    const fill = rgb(getComputedStyle(t).fill);
    const [a, b] = [lum(fill), lum(behind(t))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const what = `"${t.textContent}" ${getComputedStyle(t).fill}`;
    if (ratio < 4.5) low.push(`${what}: ${ratio.toFixed(2)}:1`);
  }
  return low;
}"""

BAD_CSV = b"x,y,label,split\n1,1,1,train\n0,0,2,train\n"  # row 3's label is not +1 or -1
STATES = {
    "default": "",
    "colorblind": "palette=colorblind",
    "presenter": "presenter=true",
    "colorblind-presenter": "palette=colorblind&presenter=true",
    # more classes (six swatches and their digits), the per-class tables, the extras panel
    "classes-details-extras": "dataset=clouds&classes=6&details=true&extras=true&show_test=true",
    "colorblind-regression": "problem=regression&dataset=plane&palette=colorblind&extras=true",
}


def violations(page: Page) -> list[dict]:
    page.evaluate(AXE_SOURCE)
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BAD]


@pytest.mark.parametrize("hash_", STATES.values(), ids=STATES.keys())
def test_no_serious_accessibility_problems(playground: Playground, hash_: str) -> None:
    page = playground.open(hash_)
    expect(page.locator("[data-loss-chart] .main-svg").first).to_be_attached()
    found = violations(page)
    assert found == [], "\n".join(f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found)
    assert page.evaluate(SVG_TEXT_CONTRAST) == []


@pytest.mark.parametrize("palette", ["default", "colorblind"])
def test_floating_parts_are_readable(playground: Playground, palette: str) -> None:
    """The message banner, a tooltip, the open Export menu and the weight editor."""
    page = playground.open(f"palette={palette}&presenter=true")
    # an error banner, as a file the server refuses brings up
    page.locator("[data-upload-file]").set_input_files(
        {"name": "points.csv", "mimeType": "text/csv", "buffer": BAD_CSV}
    )
    expect(page.get_by_role("alert")).to_contain_text("points.csv")
    page.locator('[data-control="export"] > summary').click()
    expect(page.get_by_text("output.png (the picture)")).to_be_visible()
    found = violations(page)
    page.keyboard.press("Escape")
    link = page.get_by_role("button", name="Weight from neuron 1 of layer 2 to the output")
    link.focus()
    link.press("Enter")
    editor = page.get_by_label("New value for weight from neuron 1 of layer 2 to the output")
    expect(editor).to_be_focused()
    found += violations(page)
    page.locator("#noise").focus()
    expect(page.get_by_role("tooltip")).to_be_visible()
    found += violations(page)
    page.screenshot(path=ARTIFACTS / f"contrast-floating-{palette}.png")
    assert found == [], "\n".join(f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found)
