"""Your own data from the page (issue #5): clicks add and remove points, CSV upload and
download, and exporting a model.json then importing it into another page."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import Playground, Server, click_plot

pytestmark = pytest.mark.e2e


def points(server: Server, session_id: str) -> dict:
    return dict(httpx.get(f"{server.url}/api/sessions/{session_id}/data").json())


def test_clicks_add_and_remove_points(playground: Playground, server: Server) -> None:
    page = playground.open("seed=4")
    page.get_by_role("button", name="Step one epoch").click()
    expect(page.locator("[data-epoch]")).to_have_text("000,001")
    session = playground.session()
    before = points(server, session["id"])
    page.get_by_role("radio", name="class +1").click()
    expect(page.get_by_role("radio", name="class +1")).to_have_attribute("aria-checked", "true")
    assert "add_class=1" in page.url

    click_plot(page, 2.5, -3.5)
    playground.wait_session(lambda s: s["data_version"] != session["data_version"])
    after = points(server, session["id"])
    assert len(after["train"]) == len(before["train"]) + 1
    added = [p for p in after["train"] if p not in before["train"]]
    assert len(added) == 1
    x, y, label = added[0]
    assert abs(x - 2.5) < 0.1 and abs(y + 3.5) < 0.1 and label == 1
    assert playground.session()["epoch"] == 1  # the weights and the epoch stay

    version = playground.session()["data_version"]
    click_plot(page, 2.5, -3.5, shift=True)
    playground.wait_session(lambda s: s["data_version"] != version)
    assert points(server, session["id"]) == before
    assert playground.errors == []


GOOD_CSV = b"x,y,label,split\n1,1,1,train\n-1,-1,-1,train\n2,-2,1,train\n0.5,-1,-1,test\n"
BAD_CSV = b"x,y,label,split\n1,1,1,train\n0,0,2,train\n"


def test_csv_upload_and_a_bad_file(playground: Playground, server: Server) -> None:
    page = playground.open("seed=6")
    session = playground.session()
    upload = page.locator("[data-upload-file]")
    upload.set_input_files({"name": "good.csv", "mimeType": "text/csv", "buffer": GOOD_CSV})
    playground.wait_session(lambda s: s["data_version"] != session["data_version"])
    expect(page.locator("[data-points-message]")).to_have_text(
        "Training on the points from good.csv."
    )
    good = points(server, session["id"])
    assert good == {
        "train": [[1, 1, 1], [-1, -1, -1], [2, -2, 1]],
        "test": [[0.5, -1, -1]],
    }
    playground.wait_points_drawn("(n) => n === 3")  # the page shows the 3 training points

    upload.set_input_files({"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD_CSV})
    message = page.locator("[data-points-message]")
    expect(message).to_contain_text("bad.csv was not used")
    expect(message).to_contain_text("row 3, column label")
    expect(page.get_by_role("alert")).to_contain_text("row 3, column label")
    assert points(server, session["id"]) == good  # nothing changed
    # a good file right after a bad one: its success message, and the bad one's error goes
    upload.set_input_files({"name": "good.csv", "mimeType": "text/csv", "buffer": GOOD_CSV})
    expect(message).to_have_text("Training on the points from good.csv.")
    expect(page.get_by_role("alert")).to_have_count(0)

    # the download is the same points, as CSV
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = download.value.path().read_text()
    assert text.splitlines()[0].replace(" ", "") == "x,y,label,split"
    assert len(text.strip().splitlines()) == 5
    # clear all: no points left, the losses read "–"
    version = playground.session()["data_version"]
    page.get_by_role("button", name="Clear all points").click()
    playground.wait_session(lambda s: s["data_version"] != version)
    assert points(server, session["id"]) == {"train": [], "test": []}
    expect(page.locator('[data-loss="train"]')).to_have_text("–")


def test_export_then_import_into_a_fresh_page(
    new_playground: Callable[[], Playground], server: Server
) -> None:
    first = new_playground()
    page = first.open("dataset=xor&seed=8&hidden=3&optimizer=sgd")
    session = first.session()
    httpx.post(f"{server.url}/api/sessions/{session['id']}/train", json={"epochs": 25})
    expect(page.locator("[data-epoch]")).to_have_text("000,025")
    page.get_by_text("Export", exact=True).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="model.json").click()
    model = json.loads(download.value.path().read_text())
    assert model["epoch"] == 25
    # the other downloads are there too
    for name in ("model.py", "state_dict.pt", "data.csv"):
        href = page.get_by_role("link", name=name).first.get_attribute("href")
        assert href == f"/api/sessions/{session['id']}/export/{name}"
    params = httpx.get(f"{server.url}/api/sessions/{session['id']}/params").json()

    second = new_playground()
    fresh = second.open("seed=1")
    fresh.locator("[data-import-file]").set_input_files(
        {"name": "model.json", "mimeType": "application/json", "buffer": json.dumps(model).encode()}
    )
    expect(fresh.locator("[data-epoch]")).to_have_text("000,025")
    expect(fresh.get_by_role("radio", name="Exclusive or")).to_have_attribute(
        "aria-checked", "true"
    )
    expect(fresh.get_by_role("heading", name="1 hidden layer")).to_be_visible()
    imported = second.session()
    assert imported["id"] != session["id"]
    assert httpx.get(f"{server.url}/api/sessions/{imported['id']}/params").json() == params
    assert "seed=8" in fresh.url
    # and it trains on from there
    fresh.get_by_role("button", name="Step one epoch").click()
    expect(fresh.locator("[data-epoch]")).to_have_text("000,026")
    # a file that is not a model changes nothing
    fresh.locator("[data-import-file]").set_input_files(
        {"name": "notes.json", "mimeType": "application/json", "buffer": b'{"format": "x"}'}
    )
    expect(fresh.get_by_role("alert")).to_contain_text("Could not import notes.json")
    assert second.session()["epoch"] == 26
    assert first.errors == []
    assert [e for e in second.errors if "status of 422" not in e] == []  # only the refusal
