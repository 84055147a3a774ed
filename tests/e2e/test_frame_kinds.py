"""Frames name their model kind (byte 37 of the header, docs/protocol.md): the page decodes
the common header itself and hands the rest to the kind's module (static/js/kinds/); a
kind byte it has no module for is named in a notice, and the page keeps working."""

from __future__ import annotations

import re
import time

from playwright.sync_api import WebSocketRoute, expect

from tests.e2e.conftest import TEST_SEED, Playground

UNKNOWN = 9
KIND_OFFSET = 37  # the former flags2 byte

# A hand-made MLP frame: 2 inputs -> 1 output, grid 2x2, no maps, kind byte `kind`.
MAKE_FRAME = """(kind) => {
  const buffer = new ArrayBuffer(48 + 8 + 16 + 8 + 4);
  const v = new DataView(buffer);
  v.setUint8(0, 2); v.setUint8(1, 1); v.setUint8(2, 2); v.setUint16(4, 2, true);
  v.setUint32(8, 77, true); v.setUint32(32, 5, true); v.setUint8(37, kind);
  v.setUint16(48, 2, true); v.setUint16(50, 1, true);
  v.setFloat64(56, -0.5, true); v.setFloat64(64, 0.75, true); v.setFloat64(72, 0.1, true);
  new Uint8Array(buffer, 80, 4).set([0, 128, 255, 7]);
  return buffer;
}"""


def test_the_kind_byte_picks_the_decoder(playground: Playground) -> None:
    page = playground.open()
    result = page.evaluate(
        f"""async ([frameUrl, kindsUrl]) => {{
          const {{ decodeFrame, UnknownKind }} = await import(frameUrl);
          const {{ KINDS }} = await import(kindsUrl);
          const make = {MAKE_FRAME};
          const f = decodeFrame(make(0));
          let unknown = null;
          try {{ decodeFrame(make({UNKNOWN})); }} catch (e) {{
            unknown = [e instanceof UnknownKind, e.code, e.message];
          }}
          let truncated = null;
          try {{ decodeFrame(make(0).slice(0, 70)); }} catch (e) {{ truncated = e.message; }}
          return {{ kinds: Object.keys(KINDS), kind: f.kind, epoch: f.epoch, seq: f.seq,
                    state: f.state, sizes: f.sizes, grid: [...f.grid], unknown, truncated }};
        }}""",
        [playground.module_url("UnknownKind"), playground.module_url("KINDS")],
    )
    assert result["kinds"] == ["mlp", "gan", "autoencoder"]
    assert (result["kind"], result["epoch"], result["seq"], result["state"]) == (
        "mlp",
        77,
        5,
        "running",
    )
    assert (result["sizes"], result["grid"]) == ([2, 1], [0, 128, 255, 7])
    message = f"this server sends a model kind this page cannot draw: {UNKNOWN}"
    assert result["unknown"] == [True, UNKNOWN, message]
    assert result["truncated"] == "truncated frame"


def test_a_frame_of_an_unknown_kind_shows_a_notice(playground: Playground) -> None:
    """The server's frames, with their kind byte changed on the way: the page names the
    kind in a notice, draws none of them and throws nothing; it keeps acking, so frames
    keep coming while it trains."""
    page = playground.page
    frames: list[int] = []

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if isinstance(message, bytes):
                frames.append(len(message))
                changed = bytearray(message)
                changed[KIND_OFFSET] = UNKNOWN
                message = bytes(changed)
            ws.send(message)

        server.on_message(from_server)

    page.route_web_socket("**/ws/sessions/*", route)
    page.goto(f"{playground.base}/#seed={TEST_SEED}")
    expect(page.get_by_role("status")).to_have_text("Connected")
    notice = page.locator("[data-notice]")
    expect(notice).to_have_text(f"This server sends a model kind this page cannot draw: {UNKNOWN}.")
    expect(page.locator("[data-network]")).to_have_class(re.compile(r"\bstale\b"))  # none drawn
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    deadline = time.monotonic() + 15
    while len(frames) < 5 and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets the route see the frames the page acks for
    assert len(frames) >= 5, frames
    expect(notice).to_be_visible()
    assert playground.errors == []
