"""TensorFlow Playground links open here with TFP's setup: every key of TFP's state.ts
(features, regDataset, networkShape, L1, *_hide, initZero, cosX, tutorial, collectStats,
its string seeds), mixed with our own names; a page without a seed makes one as TFP does;
the loss follows the data unless the person chose one (the same rule as the server's)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import Playground

pytestmark = pytest.mark.e2e

# What TFP's page writes for its default setup (state.ts serialize(), in PROPS order).
TFP_DEFAULT = (
    "activation=tanh&batchSize=10&dataset=circle&regDataset=reg-plane&learningRate=0.03"
    "&regularizationRate=0&noise=0&networkShape=4,2&seed=0.25179&showTestData=false"
    "&discretize=false&percTrainData=50&x=true&y=true&xTimesY=false&xSquared=false"
    "&ySquared=false&cosX=false&sinX=false&cosY=false&sinY=false&collectStats=false"
    "&problem=classification&initZero=false&hideText=false"
)
FRESH_SEED = re.compile(r"[01]\.\d{5}")


def tfp(**changes: str) -> str:
    """TFP's default link with some of its values changed."""
    pairs = dict(p.split("=", 1) for p in TFP_DEFAULT.split("&"))
    return "&".join(f"{k}={v}" for k, v in {**pairs, **changes}.items())


LINKS = {
    "tfp-default": (
        TFP_DEFAULT,
        {
            "problem": "classification",
            "dataset": "circle",
            "seed": "0.25179",
            "features": ["x1", "x2"],
            "hidden": [4, 2],
            "activation": "tanh",
            "learning_rate": 0.03,
            "noise": 0,
            "train_ratio": 50,
            "batch_size": 10,
            "regularization": "none",
            "init_zero": False,
            "loss": "mse",
        },
    ),
    "reg-gauss": (
        tfp(problem="regression", regDataset="reg-gauss", seed="0.1"),
        {"problem": "regression", "dataset": "multi_gauss", "seed": "0.1"},
    ),
    "regression-default-dataset": (
        "problem=regression&dataset=xor&seed=0.2",
        {"problem": "regression", "dataset": "plane"},
    ),
    "empty-network-and-l1": (
        tfp(networkShape="", regularization="L1", regularizationRate="0.003", seed="0.3"),
        {"hidden": [], "regularization": "l1", "regularization_rate": 0.003},
    ),
    "features": (
        tfp(x="false", xSquared="true", sinY="1", seed="0.4"),
        {"features": ["x2", "x1_squared", "sin_x2"]},
    ),
    "init-zero": (tfp(initZero="true", seed="0.5"), {"init_zero": True}),
    "numbers": (
        tfp(
            learningRate="0.3",
            noise="25",
            percTrainData="70",
            batchSize="3",
            activation="relu",
            dataset="spiral",
            networkShape="3,3,2",
            seed="0.6",
        ),
        {
            "learning_rate": 0.3,
            "noise": 25,
            "train_ratio": 70,
            "batch_size": 3,
            "activation": "relu",
            "dataset": "spiral",
            "hidden": [3, 3, 2],
        },
    ),
    "mixed-with-ours": (
        "dataset=spiral&features=x1&sinX=true&learningRate=0.1&learning_rate=0.3&batch_size=5"
        "&batchSize=7&seed=12&optimizer=adam",
        {
            "dataset": "spiral",
            "features": ["x1", "sin_x1"],
            "learning_rate": 0.3,
            "batch_size": 7,
            "seed": 12,
            "optimizer": "adam",
        },
    ),
    "ours-after-tfp-features": (
        "xTimesY=true&features=x2&seed=0.7",
        {"features": ["x2"]},
    ),
}


@pytest.mark.parametrize(("hash_", "want"), list(LINKS.values()), ids=list(LINKS))
def test_a_tfp_link_opens_with_its_setup(
    playground: Playground, hash_: str, want: dict[str, Any]
) -> None:
    page = playground.open(hash_)
    config = playground.wait_config(want)
    assert {k: config[k] for k in want} == want
    # the page's own URL now carries the same setup in our names, seed included
    seed = config["seed"]
    assert f"seed={seed}" in page.url
    assert playground.errors == []


def test_tfp_view_flags_and_text(playground: Playground) -> None:
    page = playground.open(tfp(showTestData="true", discretize="true", hideText="true"))
    expect(page.get_by_label("Show test data")).to_be_checked()
    expect(page.get_by_label("Discretize output")).to_be_checked()
    expect(page.get_by_text("Which dataset do you want to use?")).to_be_hidden()


def test_tutorial_and_collect_stats_are_kept_and_do_nothing(playground: Playground) -> None:
    page = playground.open(tfp(tutorial="dp-reducing-loss", collectStats="true", seed="0.8"))
    playground.wait_config({"seed": "0.8"})
    page.get_by_label("Learning rate").select_option("0.1")  # the page rewrites its hash
    playground.wait_config({"learning_rate": 0.1})
    assert "tutorial=dp-reducing-loss" in page.url and "collectStats=true" in page.url
    assert playground.errors == []


def test_tfp_hide_flags_hide_controls_and_remove_inputs(playground: Playground) -> None:
    flags = (
        "playButton_hide=true&stepButton_hide=true&numHiddenLayers_hide=true"
        "&percTrainData_hide=true&batchSize_hide=true&sinX_hide=true&xSquared_hide=true"
    )
    page = playground.open(tfp(sinX="true", seed="0.9") + "&" + flags)
    expect(page.get_by_role("button", name="Play")).to_be_hidden()
    expect(page.get_by_role("button", name="Step one epoch")).to_be_hidden()
    expect(page.get_by_role("button", name="Add a hidden layer")).to_be_hidden()
    expect(page.get_by_role("button", name="Remove a hidden layer")).to_be_hidden()
    expect(page.get_by_label("Ratio of training to test data")).to_be_hidden()
    expect(page.get_by_label("Batch size")).to_be_hidden()
    # TFP deletes hidden inputs: no row for them, and sinX=true does not switch one on
    expect(page.locator("[data-feature]")).to_have_count(5)
    expect(page.get_by_role("button", name="sin(X₁)", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="X₁²", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="X₁", exact=True)).to_be_visible()
    expect(page.get_by_label("Noise")).to_be_visible()
    assert playground.wait_config({"seed": "0.9"})["features"] == ["x1", "x2"]
    assert "sin_x1_hide=true" in page.url and "hidden_hide=true" in page.url


def test_cos_inputs_show_a_notice_and_add_nothing(playground: Playground) -> None:
    page = playground.open(tfp(cosX="true", cosY="true", seed="0.11"))
    notice = page.locator("[data-notice]")
    expect(notice).to_have_text("cos(X₁)/cos(X₂) are not inputs here, as in TensorFlow Playground.")
    expect(notice).to_be_visible()
    assert playground.wait_config({"seed": "0.11"})["features"] == ["x1", "x2"]
    assert "cosX=true" in page.url  # kept, so a link passed on says the same
    plain = playground.open(tfp(seed="0.12"))
    expect(plain.locator("[data-notice]")).to_be_hidden()


def test_a_page_without_a_seed_makes_one_as_tfp_does(playground: Playground) -> None:
    page = playground.open("dataset=xor", seed=None)
    seed = playground.session()["config"]["seed"]
    assert isinstance(seed, str) and FRESH_SEED.fullmatch(seed), seed
    assert f"seed={seed}" in page.url
    # regenerate: the server picks a new seed, and the URL shows the one the session has
    page.get_by_role("button", name="Regenerate").click()
    playground.wait_session(lambda s: s["config"]["seed"] != seed)
    new = playground.session()["config"]["seed"]
    page.wait_for_function("(seed) => location.hash.includes(`seed=${seed}&`)", arg=new)
    # a data change with a TFP seed draws a new one too, as TFP's page does
    page.get_by_role("radio", name="Circle").click()
    playground.wait_session(
        lambda s: s["config"]["dataset"] == "circle" and s["config"]["seed"] != new
    )
    latest = playground.session()["config"]["seed"]
    page.wait_for_function("(seed) => location.hash.includes(`seed=${seed}&`)", arg=latest)


def test_two_pages_without_seeds_differ_and_a_copied_link_matches(new_playground) -> None:
    first, second = new_playground(), new_playground()
    a = first.open(seed=None)  # each page draws its own (1 in 10⁵ that two agree)
    second.open(seed=None)
    seed_a = first.session()["config"]["seed"]
    assert seed_a != second.session()["config"]["seed"]
    third = new_playground()
    third.open(a.url.split("#", 1)[1])
    assert third.session()["config"]["seed"] == seed_a


def test_the_loss_follows_the_data_unless_chosen(playground: Playground) -> None:
    page = playground.open("seed=3")
    label = page.locator("[data-loss-kind]")
    expect(label).to_have_text("Loss: mean squared error")
    page.get_by_role("radio", name="Gaussian clouds").click()
    page.get_by_label("Classes").fill("4")
    playground.wait_config({"dataset": "clouds", "classes": 4, "loss": "cross_entropy"})
    expect(label).to_have_text("Loss: cross-entropy")
    page.get_by_role("radio", name="Circle").click()
    playground.wait_config({"dataset": "circle", "classes": 2, "loss": "mse"})
    expect(label).to_have_text("Loss: mean squared error")
    # chosen in the menu: it comes back after the 4 classes forced cross-entropy anyway
    page.get_by_role("button", name="More options").click()
    page.get_by_label("Loss", exact=True).select_option("cross_entropy")
    playground.wait_config({"loss": "cross_entropy"})
    page.get_by_role("radio", name="Gaussian clouds").click()
    page.get_by_label("Classes").fill("4")
    playground.wait_config({"dataset": "clouds", "classes": 4})
    page.get_by_role("radio", name="Exclusive or").click()
    playground.wait_config({"dataset": "xor", "classes": 2, "loss": "cross_entropy"})
    expect(label).to_have_text("Loss: cross-entropy")
    # regression allows mse only; back on a TFP dataset the choice holds again
    page.get_by_label("Problem type").select_option("regression")
    playground.wait_config({"problem": "regression", "loss": "mse"})
    page.get_by_label("Problem type").select_option("classification")
    playground.wait_config({"problem": "classification", "loss": "cross_entropy"})
    assert playground.errors == []


def test_a_link_giving_a_loss_counts_as_chosen(playground: Playground) -> None:
    page = playground.open("dataset=circle&loss=cross_entropy&seed=4")
    playground.wait_config({"loss": "cross_entropy"})
    page.get_by_role("radio", name="Gaussian clouds").click()
    page.get_by_label("Classes").fill("3")
    playground.wait_config({"classes": 3})
    page.get_by_role("radio", name="Spiral", exact=True).click()
    playground.wait_config({"dataset": "spiral", "classes": 2, "loss": "cross_entropy"})


def test_hash_parsing_rules(playground: Playground) -> None:
    """parseHash on its own (pure): seeds, TFP booleans, the later key winning."""
    page = playground.open("seed=1")
    result = page.evaluate(
        """async ([url, options]) => {
          const { parseHash, formatHash } = await import(url);
          const fresh = () => 'fresh';
          const parse = (h) => parseHash(h, options, { fresh });
          const seeds = ['12', '0.5', '99999999999', '-4', 'a%20b', 'a%26b', 'x'.repeat(65), '',
                         'x'.repeat(64), '2147483647'].map((s) => parse(`#seed=${s}`).config.seed);
          const tfpBools = ['x=false&y=yes', 'x=&y=false', 'xTimesY=0']
            .map((h) => parse(h).config.features);
          const later = [parse('noise=5&noise=10').config.noise,
                         parse('dataset=xor&dataset=plane').config.dataset,
                         parse('regDataset=reg-gauss').config.dataset,
                         parse('regDataset=reg-gauss&problem=regression').config.dataset,
                         parse('learning_rate_hide=true&learningRate_hide=false').hide.has('learning_rate')];
          const kept = parse('tutorial=spiral-intro&collectStats=true&cosY=true');
          const again = parse('#' + formatHash(kept));
          const compact = formatHash(parse('dataset=xor&seed=7'), { compact: options });
          return { seeds, tfpBools, later, kept: [again.kept, again.cos], compact };
        }""",
        [playground.module_url("parseHash"), playground.options()],
    )
    assert result["seeds"] == [
        12,
        "0.5",
        "99999999999",
        "-4",
        "a b",  # a space is fine, as the server and seedrandom take it
        "fresh",
        "fresh",
        "fresh",
        "x" * 64,
        2147483647,
    ]
    assert result["tfpBools"] == [["x2"], ["x1"], ["x1", "x2", "x1_x2"]]
    assert result["later"] == [10, "plane", "circle", "multi_gauss", False]
    assert result["kept"] == [
        {"tutorial": "spiral-intro", "collectStats": "true", "cosY": "true"},
        ["cosY"],
    ]
    assert result["compact"].startswith("dataset=xor&seed=7")
    assert "learning_rate" not in result["compact"]
