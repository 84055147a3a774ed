"""The page's copy of the config rules (static/js/state/rules.js) agrees with the server's
(server/sessions/rules.py): every case of tests/helpers/follow_cases.py gives the same
whole config through followChanges in the page as through follow_changes, and the loss
the data calls for (dataLoss / data_loss) and each dataset's class range agree for every
dataset, problem and class count the server offers."""

from __future__ import annotations

from typing import Any

import pytest

from server.engine.data import datasets
from server.protocol.rest import Config
from server.sessions.rules import data_loss, follow_changes
from tests.helpers.follow_cases import CASES

from .conftest import Playground

pytestmark = pytest.mark.e2e


def server_follow(config: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The whole config after the server's rule applied `patch` to `config`."""
    model = Config.model_validate(config)
    changes = dict(patch)
    follow_changes(model, changes)
    return Config.model_validate({**model.model_dump(), **changes}).model_dump(mode="json")


def test_follow_changes_matches_the_server_on_every_case(playground: Playground) -> None:
    page = playground.open()
    cases = [
        {"config": Config.model_validate(config).model_dump(mode="json"), "patch": patch}
        for _, config, patch, _ in CASES
    ]
    results = page.evaluate(
        """async ([url, options, cases]) => {
          const { followChanges } = await import(url);
          return cases.map(({ config, patch }) =>
            ({ ...config, ...followChanges(config, patch, options) }));
        }""",
        [playground.module_url("followChanges"), playground.options(), cases],
    )
    assert len(results) == len(CASES) > 10
    for (name, _, _, want), case, page_result in zip(CASES, cases, results, strict=True):
        server_result = server_follow(case["config"], case["patch"])
        assert page_result == server_result, name
        assert {k: page_result[k] for k in want} == want, name


def test_data_loss_and_class_ranges_match_the_server(playground: Playground) -> None:
    page = playground.open()
    grid = [
        {"problem": spec.problem, "dataset": name, "classes": classes}
        for name, spec in datasets.DATASETS.items()
        for classes in range(2, datasets.MAX_CLASSES + 1)
    ]
    grid += [{**g, "problem": "regression"} for g in grid if g["classes"] == 2]
    result = page.evaluate(
        """async ([url, options, grid]) => {
          const { dataLoss, classRange } = await import(url);
          return {
            losses: grid.map((g) => dataLoss(g)),
            ranges: options.datasets.map((d) => [d.name, classRange(options, d.name)]),
          };
        }""",
        [playground.module_url("dataLoss"), playground.options(), grid],
    )
    want = [data_loss(g["problem"], g["dataset"], g["classes"]) for g in grid]
    assert result["losses"] == want
    assert {None, "mse", "cross_entropy"} <= set(want)  # every answer the rule has is tried
    ranges = {name: list(spec.classes) for name, spec in datasets.DATASETS.items()}
    assert dict(result["ranges"]) == ranges
