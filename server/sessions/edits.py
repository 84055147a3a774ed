"""Edits of a session's points and weights: uploaded data, single points, weights set by
hand and model files. Like Session's own actions they run on the worker thread (through
SessionManager), and a bad edit raises before it changes anything.
"""

from __future__ import annotations

import math

import numpy as np

from server.engine.data import datasets
from server.engine.kinds.mlp import Model
from server.engine.network import check_layers, set_layers
from server.errors import InvalidInput
from server.formats.export import check_finite, load_params, load_training_state
from server.formats.points import (
    REMOVE_RADIUS,
    classes_of,
    empty_split,
    labels_error,
    with_point,
    without_nearest,
)
from server.protocol.rest import ModelFile, Point, SetParam, StreamState
from server.sessions.rules import check_config
from server.sessions.session import Session
from server.sessions.state import State


# -- weights --------------------------------------------------------------------------------
def set_param(session: Session, p: SetParam) -> None:
    net = session.mlp.net
    if p.layer >= len(net.weights):
        raise InvalidInput(f"layer must be 0..{len(net.weights) - 1}", "layer")
    out, inp = net.weights[p.layer].shape
    if p.neuron >= out:
        raise InvalidInput(f"neuron must be 0..{out - 1} in layer {p.layer}", "neuron")
    if p.input is None:
        net.biases[p.layer][p.neuron] = p.value
    else:
        if p.input >= inp:
            raise InvalidInput(f"input must be 0..{inp - 1} in layer {p.layer}", "input")
        net.weights[p.layer][p.neuron, p.input] = p.value
        net.alive[p.layer][p.neuron, p.input] = True  # an explicit edit revives a link
    _weights_edited(session)


def set_params(session: Session, layers: list[tuple[list[list[float]], list[float]]]) -> None:
    problem = check_layers(session.mlp.net, layers)
    if problem:
        raise InvalidInput(problem, "layers")
    check_finite(layers, "layers")
    set_layers(session.mlp.net, layers)
    _weights_edited(session)


def _weights_edited(session: Session) -> None:
    session.mlp.weights_changed()
    if session.state == State.DIVERGED and math.isfinite(session.model.train_loss):
        session.transition(State.PAUSED, "edit weights")
    session.changed()


# -- points: set_data rebuilds the network; single edits keep the weights and the epoch --
def set_data(session: Session, split: datasets.Split) -> None:
    """Replace the points with the caller's own (checked already, off the worker: see
    SessionManager.set_points), in order; rebuilds the network."""
    session.custom_data = True
    session.model.set_data(split)
    session.fresh_weights()
    session.data_version += 1
    session.rebuilt()


def add_point(session: Session, point: Point) -> None:
    """Append one point to the training or test points."""
    wrong = labels_error(
        np.array([point.label]), session.config.problem, classes_of(session.config)
    )
    if wrong:
        raise InvalidInput(wrong[1], "label")
    split = session.model.split
    if len(split.train_y) + len(split.test_y) >= session.settings.max_points:
        raise InvalidInput(f"at most {session.settings.max_points} points in all", "split")
    _edit_points(session, with_point(split, point.x, point.y, point.label, point.split))


def remove_point(session: Session, x: float, y: float) -> None:
    """Remove the point (training or test) nearest (x, y), within REMOVE_RADIUS."""
    split = without_nearest(session.model.split, x, y, REMOVE_RADIUS)
    if split is None:
        raise InvalidInput(f"no point within {REMOVE_RADIUS} of ({x:g}, {y:g})", "x")
    _edit_points(session, split)


def clear_points(session: Session) -> None:
    """Remove every point; training waits until some are added."""
    _edit_points(session, empty_split())


def _edit_points(session: Session, split: datasets.Split) -> None:
    session.model.set_data(split)  # keeps the network; recomputes the losses
    session.custom_data = True
    session.data_version += 1
    if not len(split.train_y):
        session.pause()
    session.changed()


# -- model files ----------------------------------------------------------------------------


def load_model(session: Session, file: ModelFile) -> None:
    """Rebuild from an exported model file: its config, weights, dead links, epoch and
    (when the file has them) carried gradients and optimizer state.

    The points come from the config, unless both the file and the session have
    uploaded points: then the session's are kept."""
    config = file.config
    if config.kind != "mlp":
        raise InvalidInput(f"model files hold mlp sessions; a {config.kind} session is saved "
                           "and shared from the page or POST /api/experiments",
                           "config.kind")  # fmt: skip
    if file.stream is not None and not isinstance(config.seed, str):
        raise InvalidInput("must be null for an integer seed (it is a TFP seed's stream)", "stream")
    check_config(config, session.settings)
    keep = file.custom_data and session.custom_data
    split = session.model.split if keep else session.generate(config)
    if keep:
        for labels in (split.train_y, split.test_y):
            wrong = labels_error(labels, config.problem, classes_of(config))
            if wrong:
                raise InvalidInput(f"the session's points don't fit: {wrong[1]}", "config")
    history = file.history
    if history and history.epoch and history.epoch[-1] > file.epoch:
        raise InvalidInput(f"must end at the file's epoch {file.epoch} or before", "history.epoch")
    saved = session.init_generator.get_state(), session.seeds.state(), session.config.seed
    try:
        if config.seed != session.config.seed and isinstance(config.seed, int):
            session.init_generator.manual_seed(config.seed)
        session.seeds.reseed(config.seed)
        if session.seeds.tfp and not keep:
            split = session.seeds.points(config)  # the stream as the file's session had it
        model = session.build(config, split)
        assert isinstance(model, Model)  # (a model file's config is an mlp's: checked above)
        load_params(model.net, file.params)
        model.weights_changed()  # fresh carried gradients and optimizer state ...
        if file.state is not None:  # ... unless the file has them
            load_training_state(model, file.state)
        if file.stream is not None:  # the next reset and seed are the file session's
            session.seeds.restore(config.seed, file.stream)
    except Exception:  # a bad file changes nothing
        session.init_generator.set_state(saved[0])
        session.seeds.restore(saved[2], StreamState.model_validate(saved[1]) if saved[1] else None)
        raise
    model.epoch = file.epoch
    session.config, session.model = config, model
    if not keep:
        session.custom_data = False
        session.data_version += 1
    session.rebuilt()
    if history and history.epoch:  # the chart goes on from the file's losses
        session.history.load(history.epoch, history.train_loss, history.test_loss, history.stride)
        if history.epoch[-1] != model.epoch:
            session.history.add(model.epoch, model.train_loss, model.test_loss)
