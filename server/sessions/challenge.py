"""A room's challenge, checked on one student's session: where it stands (epoch, losses,
accuracy, its size and shape) and whether it reached the goal within the limits. Runs on
the worker thread (runtime/rooms.py calls it a few times a second)."""

from __future__ import annotations

from typing import Any

from server.engine.kinds.mlp import Model
from server.protocol.rooms import Challenge
from server.sessions.history import finite
from server.sessions.session import Session


def parameters(session: Session) -> int:
    """Weights and biases of the network (the leaderboard's "fewest parameters"); a
    generative kind's: both nets'."""
    m = session.model
    if not isinstance(m, Model):
        return sum(int(net.flat.shape[1]) for net in m.nets.values())
    net = m.net
    return sum(int(w.numel()) for w in net.weights) + sum(int(b.numel()) for b in net.biases)


def architecture(session: Session) -> str:
    """The network's shape in a few words: "2 in · 4-2 · tanh" (one group per shape); a
    GAN's "GAN · G 16-16 relu · D 16-16 relu", an autoencoder's "AE 16-16 · 1 · 16-16"."""
    c = session.config
    if c.gan is not None and c.kind == "gan":
        g = c.gan
        return (f"GAN · G {'-'.join(map(str, g.g_hidden)) or 'linear'} {g.g_activation} · "
                f"D {'-'.join(map(str, g.d_hidden)) or 'linear'} {g.d_activation}")  # fmt: skip
    if c.autoencoder is not None and c.kind == "autoencoder":
        a = c.autoencoder
        return (f"AE {'-'.join(map(str, a.encoder)) or '·'} {a.encoder_activation} · "
                f"{a.bottleneck} · {'-'.join(map(str, a.decoder)) or '·'}")  # fmt: skip
    hidden = "-".join(str(n) for n in c.hidden) or "no hidden layer"
    return f"{len(c.features)} in · {hidden} · {c.activation}"


def standing(session: Session) -> dict[str, Any]:
    """What the teacher's views show of a student now."""
    m = session.model
    return {
        "epoch": m.epoch,
        "state": session.state.value,
        "train_loss": finite(m.train_loss),
        "test_loss": finite(m.test_loss),
        "test_accuracy": session.metrics().get("test_accuracy"),
        "params": parameters(session),
        "architecture": architecture(session),
    }


def over_limits(session: Session, challenge: Challenge) -> str | None:
    """Why the session's network is outside the challenge's limits, or None."""
    c = session.config
    if challenge.max_layers is not None and len(c.hidden) > challenge.max_layers:
        return f"{len(c.hidden)} hidden layers (at most {challenge.max_layers})"
    if challenge.max_neurons is not None and max(c.hidden, default=0) > challenge.max_neurons:
        return f"{max(c.hidden)} neurons in a layer (at most {challenge.max_neurons})"
    if challenge.max_features is not None and len(c.features) > challenge.max_features:
        return f"{len(c.features)} input features (at most {challenge.max_features})"
    if challenge.max_epochs is not None and session.model.epoch > challenge.max_epochs:
        return f"past epoch {challenge.max_epochs} (reset to try again)"
    return None


def value(session: Session, challenge: Challenge) -> float | None:
    """The challenge's measure of the session now (None: nothing to measure yet)."""
    if challenge.metric == "test_loss":
        return finite(session.model.test_loss)
    accuracy = session.metrics().get("test_accuracy")
    return None if accuracy is None else float(accuracy)


def reached(session: Session, challenge: Challenge) -> float | None:
    """The measure if the goal is reached within the limits now, else None."""
    measured = value(session, challenge)
    untrained = session.model.epoch == 0  # a fresh network's lucky guess is no finish
    if measured is None or untrained or over_limits(session, challenge) is not None:
        return None
    if challenge.metric == "test_loss":
        return measured if measured <= challenge.target else None
    return measured if measured >= challenge.target else None
