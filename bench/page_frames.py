"""The page's frame budget: how long the browser's main thread spends on each frame it draws.

Run: ``python -m bench.page_frames`` (about a minute), ``--seconds 5`` for a smoke check.

A server (``python -m server`` on a free 127.0.0.1 port, per-address limits lifted as in
bench.stream) and Debian's headless Chromium (/usr/bin/chromium, the e2e tests' flags).
For each case the page opens at its window size, plays at the chosen speed, and a wrapper
around ``connection.drawFrame`` (installed with page.evaluate; the page is not changed)
times each frame's handling with performance.now(): decoding, the browser-side render of
the maps when the page draws them itself, and every view's redraw (the translucent output
map, the network, the read-outs; the loss chart redraws on its own timer, 4 times a second,
and is counted by the long-task observer below). Printed per case: frames drawn per
second, median and p95 ms per frame, the worst frame, and the main thread's long tasks
(over 50 ms, from a PerformanceObserver) per second with their total ms per second.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass

from playwright.sync_api import sync_playwright

from bench.stream import ALL_FEATURES, Server, pct

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
LARGEST = f"features={','.join(ALL_FEATURES)}&hidden=8,8,8,8,8,8"


@dataclass(frozen=True)
class Case:
    label: str
    width: int
    height: int
    hash: str


CASES = [
    Case("1920x1080 presenter, default 2-4-2-1", 1920, 1080, "presenter=true"),
    Case("1024x768, default 2-4-2-1", 1024, 768, ""),
    Case("1920x1080 presenter, largest 7-8x6-1", 1920, 1080, f"{LARGEST}&presenter=true"),
    Case("1024x768, largest 7-8x6-1", 1024, 768, LARGEST),
]

INSTRUMENT = """() => {
  const c = window.playground.connection;
  const times = [];
  const longTasks = [];
  const draw = c.drawFrame.bind(c);
  c.drawFrame = () => {
    const had = c.frameBuffer !== null && c.frameBuffer !== undefined;
    const t0 = performance.now();
    draw();
    if (had) times.push(performance.now() - t0);
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(e.duration);
  }).observe({ type: "longtask" });
  window.benchFrames = { times, longTasks, start: performance.now() };
}"""

COLLECT = """() => {
  const b = window.benchFrames;
  return { times: b.times, longTasks: b.longTasks, seconds: (performance.now() - b.start) / 1000 };
}"""


def measure(browser, base: str, case: Case, speed: str, seconds: float) -> dict:
    context = browser.new_context(viewport={"width": case.width, "height": case.height})
    page = context.new_page()
    try:
        page.goto(f"{base}/#{case.hash}&speed={speed}&seed=1")
        page.wait_for_function("() => window.playground?.store.connection.state === 'connected'")
        page.wait_for_function("() => window.playground.store.frame !== null")
        page.evaluate(INSTRUMENT)
        page.get_by_role("button", name="Play").click()
        page.wait_for_timeout(seconds * 1000)  # the measured window: a duration, not a sync
        got = page.evaluate(COLLECT)
        render = page.evaluate("window.playground.connection.view?.render ?? 'server'")
    finally:
        context.close()
    times = got["times"]
    return {
        "fps": len(times) / got["seconds"],
        "median": statistics.median(times) if times else float("nan"),
        "p95": pct(times, 95) if times else float("nan"),
        "worst": max(times, default=float("nan")),
        "long_per_s": len(got["longTasks"]) / got["seconds"],
        "long_ms_per_s": sum(got["longTasks"]) / got["seconds"],
        "render": render,
        "n": len(times),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds per case")
    parser.add_argument("--speed", default="max", help="epochs/s the session trains (or max)")
    args = parser.parse_args(argv)
    server = Server()
    try:
        server.wait_ready_blocking()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"page frames at speed {args.speed}, {args.seconds:g} s a case (translucent map)")
            header = f"{'case':40} {'maps':7} {'frames/s':>8} {'median ms':>9} {'p95 ms':>7}"
            print(header + f" {'worst ms':>8} {'long tasks/s':>12} {'long ms/s':>9}")
            for case in CASES:
                r = measure(browser, server.base, case, args.speed, args.seconds)
                print(
                    f"{case.label:40} {r['render']:7} {r['fps']:8.1f} {r['median']:9.2f} "
                    f"{r['p95']:7.2f} {r['worst']:8.1f} {r['long_per_s']:12.2f} "
                    f"{r['long_ms_per_s']:9.1f}"
                )
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
