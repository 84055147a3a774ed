"""The page itself: loading, accessibility, the URL hash, guided-demo flags."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, expect

from .conftest import Playground

pytestmark = pytest.mark.e2e

NAMELESS_CONTROLS = """() => {
  const visible = (el) => el.offsetParent !== null || el.getClientRects().length > 0;
  const name = (el) => {
    if (el.getAttribute("aria-label")) return el.getAttribute("aria-label");
    const by = el.getAttribute("aria-labelledby");
    const text = (id) => document.getElementById(id)?.textContent ?? "";
    if (by) return by.split(/\\s+/).map(text).join(" ");
    if (el.labels && el.labels.length) return el.labels[0].textContent;
    return el.textContent;
  };
  const controls = document.querySelectorAll(
    "button, select, input, [role=button], [role=radio], [role=radiogroup], [role=img]");
  const nameless = [...controls].filter(visible).filter((el) => !name(el).trim());
  return nameless.map((el) => el.outerHTML.slice(0, 80));
}"""


def test_page_loads_without_console_errors(playground: Playground) -> None:
    page = playground.open()
    expect(page).to_have_title("Neural Playground")
    expect(page.locator("[data-epoch]")).to_have_text("000,000")
    expect(page.get_by_role("radio", name="Circle")).to_have_attribute("aria-checked", "true")
    for name in ("Data", "Features", "Output"):
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="2 hidden layers")).to_be_visible()
    # neurons of the default 2-4-2-1 network, the loss chart drawn by Plotly
    expect(page.get_by_role("img", name="Neuron")).to_have_count(6)
    expect(page.locator("[data-loss-chart] .main-svg").first).to_be_attached()
    assert playground.errors == []


def test_every_control_has_an_accessible_name(playground: Playground) -> None:
    page = playground.open()
    assert page.evaluate(NAMELESS_CONTROLS) == []
    # tooltips explain controls, and are their accessible descriptions too
    lr = page.get_by_label("Learning rate")
    assert "step" in (lr.get_attribute("aria-description") or "")
    page.get_by_text("Noise:").hover()
    expect(page.get_by_role("tooltip")).to_contain_text("scattered")


def test_copied_url_reproduces_the_setup(new_playground: Callable[[], Playground], server) -> None:
    first = new_playground()
    page = first.open("seed=7")
    page.get_by_role("radio", name="Exclusive or").click()
    page.get_by_role("button", name="X₁X₂", exact=True).click()
    page.get_by_role("button", name="X₂", exact=True).click()
    page.get_by_role("button", name="Add a hidden layer").click()
    page.get_by_role("button", name="Add a neuron to layer 3").click()
    page.get_by_label("Learning rate").select_option("0.1")
    page.get_by_label("Activation", exact=True).select_option("relu")
    page.get_by_label("Regularization", exact=True).select_option("l2")
    page.get_by_label("Regularization rate").select_option("0.003")
    page.get_by_label("Noise").fill("15")
    page.get_by_label("Batch size").fill("20")
    page.get_by_label("Show test data").check()
    expected = {
        "problem": "classification",
        "dataset": "xor",
        "seed": 7,
        "noise": 15,
        "features": ["x1", "x1_x2"],
        "hidden": [4, 2, 3],
        "learning_rate": 0.1,
        "activation": "relu",
        "regularization": "l2",
        "regularization_rate": 0.003,
        "batch_size": 20,
    }
    first.wait_config(expected)
    url = page.url

    second = new_playground()
    copy = second.page
    copy.goto(url)
    second.wait_connected()
    expect(copy.get_by_role("radio", name="Exclusive or")).to_have_attribute("aria-checked", "true")

    def feature(label: str) -> Locator:
        return copy.get_by_role("button", name=label, exact=True)

    expect(feature("X₁X₂")).to_have_attribute("aria-pressed", "true")
    expect(feature("X₂")).to_have_attribute("aria-pressed", "false")
    expect(copy.get_by_role("heading", name="3 hidden layers")).to_be_visible()
    expect(copy.get_by_role("img", name="Neuron")).to_have_count(9)
    expect(copy.get_by_label("Learning rate")).to_have_value("0.1")
    expect(copy.get_by_label("Activation", exact=True)).to_have_value("relu")
    expect(copy.get_by_label("Regularization", exact=True)).to_have_value("l2")
    expect(copy.get_by_label("Regularization rate")).to_have_value("0.003")
    expect(copy.get_by_label("Noise")).to_have_value("15")
    expect(copy.get_by_label("Batch size")).to_have_value("20")
    expect(copy.get_by_label("Show test data")).to_be_checked()
    # the server runs the same setup in a session of its own
    session = second.session()
    assert session["id"] != first.session()["id"]
    remote = httpx.get(f"{server.url}/api/sessions/{session['id']}").json()["config"]
    assert {k: remote[k] for k in expected} == expected
    assert urlsplit(copy.url).fragment == urlsplit(url).fragment
    assert first.errors == second.errors == []


@pytest.mark.parametrize(
    "flags",
    [
        "learning_rate_hide=true&noise_hide=true&dataset_hide=true&hideText=true",
        "learningRate_hide=true&noise_hide=true&dataset_hide=true&hideText=true",
    ],
    ids=["ours", "tfp-names"],
)
def test_hide_flags_hide_their_controls(playground: Playground, flags: str) -> None:
    page = playground.open(flags)
    expect(page.get_by_label("Learning rate")).to_be_hidden()
    expect(page.get_by_label("Noise")).to_be_hidden()
    expect(page.get_by_role("radio", name="Circle")).to_be_hidden()
    expect(page.get_by_text("Which dataset do you want to use?")).to_be_hidden()
    # everything else stays
    expect(page.get_by_label("Activation", exact=True)).to_be_visible()
    expect(page.get_by_label("Batch size")).to_be_visible()
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    # the flags survive in the URL, so the demo link can be shared on
    assert "noise_hide=true" in page.url


def test_garbage_hash_falls_back_to_defaults_field_by_field(playground: Playground) -> None:
    garbage = (
        "dataset=nope&hidden=99,x&learning_rate=abc&noise=500&features=&activation=%3Cscript%3E"
        "&batch_size=7&%E0%A4%A=1&seed=a%26b&regularization_rate=1e999&&=&speed=fast&show_test=maybe"
    )
    page = playground.open(garbage)
    expect(page.get_by_role("radio", name="Circle")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("heading", name="2 hidden layers")).to_be_visible()
    expect(page.get_by_label("Learning rate")).to_have_value("0.03")
    expect(page.get_by_label("Noise")).to_have_value("0")
    expect(page.get_by_label("Activation", exact=True)).to_have_value("tanh")
    expect(page.get_by_label("Regularization rate")).to_have_value("0")
    x1 = page.get_by_role("button", name="X₁", exact=True)
    expect(x1).to_have_attribute("aria-pressed", "true")
    # the one valid field is kept
    expect(page.get_by_label("Batch size")).to_have_value("7")
    config = playground.session()["config"]
    assert config["batch_size"] == 7 and config["hidden"] == [4, 2]
    # a seed with & is neither ours nor TFP's: a fresh one, made as TFP makes it
    assert re.fullmatch(r"[01]\.\d{5}", config["seed"]), config["seed"]
    # and the page says what it did not use, each value with what its field takes
    notice = page.get_by_role("note")
    expect(notice).to_contain_text("Not used from this link, the defaults instead:")
    expect(notice).to_contain_text("dataset=nope (circle, xor,")
    expect(notice).to_contain_text("hidden=99,x (at most 6 layers of 1 to 8 neurons")
    expect(notice).to_contain_text("learning_rate=abc (above 0, at most 10)")
    expect(notice).to_contain_text("noise=500 (0 to 50)")
    expect(notice).to_contain_text("and 6 more.")  # features, activation, seed, rate, …
    assert playground.errors == []


def test_a_tfp_link_with_bad_values_says_which(playground: Playground) -> None:
    page = playground.open("networkShape=9,9,9,9,9,9,9&batchSize=-5&seed=0.5&x=false&y=false")
    notice = page.get_by_role("note")
    expect(notice).to_contain_text("networkShape=9,9,9,9,9,9,9 (at most 6 layers")
    expect(notice).to_contain_text("batchSize=-5 (1 to 30)")
    expect(notice).to_contain_text("features=none (at least one input)")
    assert playground.session()["config"]["hidden"] == [4, 2]
    clean = playground.open("networkShape=3&seed=0.5")  # a good link: no notice
    expect(clean.get_by_role("note")).to_be_hidden()
