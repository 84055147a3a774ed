"""What the browser tests read from the page through the DOM: what is on screen (canvas
pixels, dots on the plot) and the modules it loaded. Scripts evaluated in the page; none
relies on anything the page exposes for tests."""

HEATMAP_PIXELS = "document.querySelector('[data-heatmap-canvas]').toDataURL()"
# The output plot has been painted (a frame has been drawn): some pixel is not transparent.
PLOT_PAINTED = """() => {
  const c = document.querySelector('[data-heatmap-canvas]');
  if (!c.width || !c.height) return false;
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
  return false;
}"""
# How many separate dots the points layer of the output plot shows (4-connected blobs of
# pixels that are not transparent): what the user sees of the session's points.
POINTS_DRAWN = """() => {
  const c = document.querySelector('[data-heatmap-points]');
  const w = c.width, h = c.height;
  if (!w || !h) return 0;
  const px = c.getContext('2d').getImageData(0, 0, w, h).data;
  const seen = new Uint8Array(w * h);
  let blobs = 0;
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || px[4 * start + 3] === 0) continue;
    blobs += 1;
    const stack = [start];
    seen[start] = 1;
    while (stack.length) {
      const i = stack.pop(), x = i % w, y = (i - x) / w;
      for (const [nx, ny] of [[x + 1, y], [x - 1, y], [x, y + 1], [x, y - 1]]) {
        const j = ny * w + nx;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h || seen[j] || px[4 * j + 3] === 0) continue;
        seen[j] = 1;
        stack.push(j);
      }
    }
  }
  return blobs;
}"""
# The page's module that exports `name`, found among the modules the page loaded (its
# resource timing entries), so a test of a pure module does not hard-code its path.
MODULE_URL = """async (name) => {
  const urls = performance.getEntriesByType('resource').map((e) => e.name).filter((u) => {
    const path = new URL(u).pathname;
    return path.startsWith('/static/js/') && path.endsWith('.js');
  });
  for (const url of urls) if (name in (await import(url))) return url;
  return null;
}"""
# What the page's controls offer (the options the server rendered into the page).
PAGE_OPTIONS = "JSON.parse(document.getElementById('options').textContent)"
# The loss chart's training line as Plotly holds it (the graph div's public `data`):
# the epochs it shows, first and last, and how many.
CHART_EPOCHS = """() => {
  const x = document.querySelector('[data-loss-chart]')?.data?.[0]?.x ?? [];
  const [first, last] = x.length ? [x[0], x[x.length - 1]] : [null, null];
  return { count: x.length, first, last };
}"""
# This tab's session id as the page keeps it (net/remember.js).
STORED_SESSION = "() => sessionStorage.getItem('playground.session')"
# The browser's owner key of saved experiments (net/remember.js).
OWNER_KEY = "() => localStorage.getItem('playground.owner')"
