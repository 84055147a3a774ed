"""The websocket's messages from a client (docs/protocol.md), one pydantic model per type,
and the error message the server answers a bad one with."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from server.protocol.rest import ConfigPatch, Coordinate, Point, SetParam, Speed, Strict


# -- websocket: client -> server ----------------------------------------------------------
class Play(Strict):
    type: Literal["play"]


class Pause(Strict):
    type: Literal["pause"]


class Step(Strict):
    type: Literal["step"]


class StepD(Strict):
    """A GAN's discriminator stage alone."""

    type: Literal["step_d"]


class StepG(Strict):
    """A GAN's generator stage alone."""

    type: Literal["step_g"]


class Reset(Strict):
    type: Literal["reset"]


class Regenerate(Strict):
    type: Literal["regenerate"]


class SetConfig(Strict):
    type: Literal["config"]
    config: ConfigPatch


class SetWeight(SetParam):
    type: Literal["set_weight"]


class SetSpeed(Strict):
    type: Literal["speed"]
    speed: Speed


class Ack(Strict):
    type: Literal["ack"]
    seq: int | None = Field(None, ge=0, lt=2**32, description="the frame's sequence number")


class View(Strict):
    """What frames a viewer wants: output grid size, neuron maps and their size."""

    type: Literal["view"]
    grid: int = Field(100, ge=10, le=200)
    maps: bool = True
    map_size: int = Field(25, ge=5, le=50)
    fps: float = Field(60, ge=0.1, le=120, description="most frames per second this viewer wants")
    render: Literal["server", "client"] = Field(
        "server",
        description="client: frames carry no grids; the viewer renders them from the weights",
    )


class AddPoint(Point):
    type: Literal["add_point"]


class RemovePoint(Strict):
    """Remove the point nearest (x, y), if one lies within 0.5."""

    type: Literal["remove_point"]
    x: Coordinate
    y: Coordinate


class ClearPoints(Strict):
    type: Literal["clear_points"]


ClientMessage = Annotated[
    Play
    | Pause
    | Step
    | StepD
    | StepG
    | Reset
    | Regenerate
    | SetConfig
    | SetWeight
    | SetSpeed
    | Ack
    | View
    | AddPoint
    | RemovePoint
    | ClearPoints,
    Field(discriminator="type"),
]


def error_message(field: str, message: str) -> dict[str, Any]:
    """The websocket's error message."""
    return {"type": "error", "field": field, "message": message}
