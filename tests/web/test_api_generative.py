"""GANs and autoencoders over REST and the websocket, as a notebook or the page uses them
(docs/generative.md): create, train, step D and G, the views, pictures, exports, bad input
named by field, frames of their kind, a class of GANs, and a restart."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from server.protocol.frames import HEADER, KIND_OFFSET
from tests.helpers.api import api, train
from tests.helpers.rooms import join, start

GAN = {"kind": "gan", "seed": 2}
MOONS = {"kind": "autoencoder", "dataset": "moons", "seed": 1}


def create(client: TestClient, config: dict[str, Any]) -> str:
    r = client.post("/api/sessions", json={"config": config})
    assert r.status_code == 201, r.text
    sid: str = r.json()["id"]
    return sid


def body_of(frame: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """A generative frame's JSON and its sections as lists (docs/protocol.md)."""
    (length,) = struct.unpack_from("<I", frame, HEADER.size)
    meta = json.loads(frame[HEADER.size + 4 : HEADER.size + 4 + length])
    at = HEADER.size + -(-(4 + length) // 8) * 8
    sections = {}
    for s in meta["sections"]:
        count = 1
        for n in s["shape"]:
            count *= n
        size = count * (4 if s["dtype"] == "f4" else 1)
        fmt = f"<{count}{'f' if s['dtype'] == 'f4' else 'B'}"
        sections[s["name"]] = (s["shape"], struct.unpack_from(fmt, frame, at))
        at += -(-size // 8) * 8
    assert at == len(frame)  # nothing after the last section's padding
    return meta, sections


def test_a_gan_trains_over_rest_and_shows_its_views(client: TestClient) -> None:
    sid = create(client, GAN)
    r = client.post(api(sid, "/train"), json={"epochs": 600})
    assert r.status_code == 200 and r.json()["epoch"] == 600
    assert [h["epoch"] for h in r.json()["history"]] == list(range(1, 601))
    view = client.get(api(sid, "/generative?size=24")).json()
    assert view["kind"] == "gan" and view["epoch"] == 600
    assert len(view["real"]) == 500 and len(view["fake"]) == len(view["push"]) == 300
    assert len(view["dmap"]) == 24 and all(0 <= p <= 1 for row in view["dmap"] for p in row)
    assert len(view["manifold"]) == 15 and len(view["manifold"][0]) == 15  # 2-D noise: a mesh
    assert view["divergences"][-1][0] == 600 and view["divergences"][0][2] > 0.8
    assert view["metrics"]["js"] < view["divergences"][0][2]  # it learned something
    metrics = client.get(api(sid, "/metrics")).json()
    assert metrics["updates"] == {"d": 1200, "g": 600}  # two D steps per iteration
    assert 0 < metrics["d_real"] < 1 and 0 < metrics["d_fake"] < 1


def test_steps_of_d_and_g_alone(client: TestClient) -> None:
    sid = create(client, {**GAN, "gan": {"d_steps": 3, "g_steps": 2}})
    for action, updates in (("step_d", {"d": 3, "g": 0}), ("step_g", {"d": 3, "g": 2}),
                            ("step", {"d": 6, "g": 4})):  # fmt: skip
        r = client.post(api(sid, f"/{action}"))
        assert r.status_code == 200, r.text
        assert r.json()["metrics"]["updates"] == updates
    assert r.json()["epoch"] == 1 and r.json()["state"] == "paused"
    ae = create(client, MOONS)
    r = client.post(api(ae, "/step_d"))
    assert r.status_code == 409 and "only a gan session" in r.json()["detail"]


def test_the_mlps_routes_say_which_kind_this_is(client: TestClient) -> None:
    sid = create(client, GAN)
    for path in ("/params", "/export/model.json", "/boundary"):
        r = client.get(api(sid, path))
        assert r.status_code == 409 and "gan session" in r.json()["detail"], path
    mlp = create(client, {})
    r = client.get(api(mlp, "/generative"))
    assert r.status_code == 409 and "mlp session" in r.json()["detail"]


def test_bad_settings_are_refused_naming_the_field_and_range(client: TestClient) -> None:
    for config, where, words in (
        ({"kind": "gan", "gan": {"d_steps": 11}}, ["config", "gan", "d_steps"], "10"),
        # the GAN's own bounds, not the MLP's field of the same name (batch 1..30)
        ({"kind": "gan", "gan": {"batch_size": 0}}, ["config", "gan", "batch_size"],
         "(allowed: at least 1 and at most 512)"),
        ({"kind": "gan", "gan": {"g_hidden": [99]}}, ["config", "gan", "g_hidden", 0],
         "(allowed: 0 to 6 layers of 1 to 16 neurons)"),
        ({"kind": "gan", "gan": {"g_hidden": [16, 17]}}, ["config", "gan", "g_hidden", 1], "16"),
        ({"kind": "gan", "gan": {"loss": "wasserstein"}}, ["config", "gan", "loss"], "minimax"),
        ({"kind": "autoencoder", "autoencoder": {"bottleneck": 3}},
         ["config", "autoencoder", "bottleneck"], "1"),
        ({"kind": "vae"}, ["config", "kind"], "autoencoder"),
    ):  # fmt: skip
        r = client.post("/api/sessions", json={"config": config})
        assert r.status_code == 422, config
        detail = r.json()["detail"][0]
        assert detail["loc"][1:] == where and words in detail["msg"], detail
    sid = create(client, GAN)
    r = client.patch(api(sid), json={"config": {"gan": {"batch_size": 0}}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "batch_size"
    assert client.get(api(sid)).json()["config"]["gan"]["batch_size"] == 128  # unchanged


def test_pictures_and_figures(client: TestClient) -> None:
    for config in (GAN, MOONS):
        sid = create(client, config)
        train(client, sid, 20)
        png = client.get(api(sid, "/boundary.png?scale=2"))
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
        assert struct.unpack(">II", png.content[16:24]) == (200, 200)
        import plotly.io

        figure = plotly.io.from_json(client.get(api(sid, "/figure")).text)
        names = {trace.name for trace in figure.data}
        assert "manifold" in names and ("generated" in names or "reconstructed" in names)


def test_the_exported_generator_runs_and_its_weights_load(
    client: TestClient, tmp_path: Path
) -> None:
    sid = create(client, GAN)
    train(client, sid, 50)
    script = client.get(api(sid, "/export/model.py")).text
    path = tmp_path / "gan.py"
    path.write_text(script)
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.strip().splitlines()) == 10 and "D says real" in run.stdout
    raw = client.get(api(sid, "/export/state_dict.pt")).content
    state = torch.load(io.BytesIO(raw), weights_only=True)
    nn = torch.nn
    generator = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                              nn.Linear(16, 2))  # fmt: skip
    generator.load_state_dict(state["generator"])
    view = client.get(api(sid, "/generative")).json()
    assert set(state) == {"generator", "discriminator"} and view["epoch"] == 50
    ae = create(client, MOONS)
    assert set(torch.load(io.BytesIO(client.get(api(ae, "/export/state_dict.pt")).content),
                          weights_only=True)) == {"encoder", "decoder"}  # fmt: skip


def test_frames_of_a_gan_carry_its_kind_and_views(client: TestClient) -> None:
    sid = create(client, GAN)
    with client.websocket_connect(f"/ws/sessions/{sid}") as ws:
        assert ws.receive_json()["type"] == "state"
        ws.send_json({"type": "view", "grid": 30})
        ws.send_json({"type": "step_d"})
        ws.send_json({"type": "step_d"})
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["updates"]["d"] < 4:
            message = ws.receive()
            if message.get("bytes") is None:
                continue
            frame = message["bytes"]
            assert frame[KIND_OFFSET] == 1 and frame[2] == 0  # a gan: no MLP layers
            meta, sections = body_of(frame)
            seen.append(meta)
            ws.send_json({"type": "ack"})
        assert sections["dmap"][0] == [30, 30] and sections["fake"][0] == [300, 2]
        assert sections["manifold"][0] == [15, 15, 2] and meta["js"] is not None
        ws.send_json({"type": "step_g", "extra": 1})
        error = ws.receive_json()
        while error["type"] != "error":
            error = ws.receive_json()
        assert error["field"] == "extra"


def test_a_class_of_gans_gets_the_setup_and_tiles(client: TestClient) -> None:
    teacher = create(client, {**GAN, "gan": {"loss": "least_squares"}})
    room = start(client, session=teacher)
    student = join(client, room["code"], nickname="Ada")
    assert student["session"]["config"]["kind"] == "gan"
    assert student["session"]["config"]["gan"]["loss"] == "least_squares"
    listed = client.get(f"{room['api']}/teacher", headers=room["auth"]).json()["members"]
    assert listed[0]["architecture"] == "GAN · G 16-16 relu · D 16-16 relu"
    assert listed[0]["params"] == (2 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2) + (
        2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    )
    curves = client.get(f"{room['api']}/curves", headers=room["auth"]).json()["members"]
    assert curves[0]["architecture"].startswith("GAN")
    r = client.post(f"{room['api']}/push", json={"weights": True}, headers=room["auth"])
    assert r.status_code == 409 and "weights" in r.json()["detail"]
    r = client.post(f"{room['api']}/push", json={}, headers=room["auth"])
    assert r.status_code == 200 and r.json()["pushed"] == 1
    with client.websocket_connect(f"/ws/rooms/{room['code']}") as ws:
        ws.send_json({"type": "hello", "key": room["key"], "fps": 10})
        while True:
            message = ws.receive()
            if message.get("bytes") is not None:
                break
        tile = message["bytes"][8:]
        assert tile[KIND_OFFSET] == 1
        _, sections = body_of(tile)
        assert sections["dmap"][0] == [20, 20]  # a tile's small map


def test_a_gan_and_an_autoencoder_survive_a_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"), idle_pause=10**6)
    with TestClient(create_app(settings)) as c:
        gan, ae = create(c, GAN), create(c, MOONS)
        c.post(api(gan, "/train"), json={"epochs": 120})
        c.post(api(ae, "/train"), json={"epochs": 7})
        c.post(api(gan, "/step_d"))
        before = {sid: c.get(api(sid, "/generative")).json() for sid in (gan, ae)}
    with TestClient(create_app(settings)) as c:
        for sid, was in before.items():
            assert c.get(api(sid, "/generative")).json() == was
        c.post(api(gan, "/train"), json={"epochs": 30})
        assert c.get(api(gan)).json()["epoch"] == 150


def test_a_saved_and_shared_gan_opens_where_it_was(tmp_path: Path) -> None:
    owner = {"X-Owner-Key": "my-browsers-key-0123456789"}
    with TestClient(create_app(Settings(data_dir=str(tmp_path / "data")))) as c:
        sid = create(c, GAN)
        train(c, sid, 40)
        r = c.post("/api/experiments", json={"session": sid, "name": "ring"}, headers=owner)
        assert r.status_code == 201, r.text
        experiment = r.json()
        thumb = c.get(experiment["thumbnail"])
        assert thumb.status_code == 200 and struct.unpack(">II", thumb.content[16:24]) == (100, 100)
        opened = c.post(f"/api/experiments/{experiment['id']}/open", headers=owner).json()
        assert opened["config"]["kind"] == "gan" and opened["epoch"] == 40
        assert (
            c.get(api(opened["id"], "/generative")).json()["fake"]
            == (c.get(api(sid, "/generative")).json()["fake"])
        )
        share = c.post(f"/api/experiments/{experiment['id']}/share", headers=owner).json()
        page = c.get(share["url"])
        assert page.status_code == 200 and "ring" in page.text
        forked = c.post(f"/api/shares/{share['token']}/fork").json()
        assert forked["config"]["gan"] == opened["config"]["gan"]


def test_a_csv_of_bare_points_is_what_a_gan_learns(client: TestClient) -> None:
    sid = create(client, GAN)
    text = "x,y\n" + "".join(f"{i / 4 - 2},{(i % 5) / 2 - 1}\n" for i in range(16))
    r = client.put(api(sid, "/data.csv"), content=text, headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["custom_data"] and r.json()["epoch"] == 0
    assert len(client.get(api(sid, "/generative")).json()["real"]) == 16
    r = client.put(api(sid, "/data.csv"), content="x\n1\n", headers={"content-type": "text/csv"})
    assert r.status_code == 422 and "column 'y' is missing" in r.text
    mlp = create(client, {})
    r = client.put(api(mlp, "/data.csv"), content=text, headers={"content-type": "text/csv"})
    assert r.status_code == 422 and "column 'label' is missing" in r.text  # an MLP needs labels


def test_a_refused_push_leaves_the_class_setup_as_it_was(client: TestClient) -> None:
    room = start(client, config={"seed": 3})  # an MLP class
    ada = join(client, room["code"], nickname="Ada")
    r = client.patch(api(ada["id"]), json={"config": {"kind": "gan"}})
    assert r.status_code == 200  # Ada tries a GAN of her own
    body = {"session": ada["id"], "weights": True}
    r = client.post(f"{room['api']}/push", json=body, headers=room["auth"])
    assert r.status_code == 409
    assert join(client, room["code"])["session"]["config"]["kind"] == "mlp"
