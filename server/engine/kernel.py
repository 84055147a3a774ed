"""WIP (#15): one MLP's epochs as a compiled loop (numba), the same TFP rules and the same
arithmetic order as engine/training.py where it matters, on the network's own tensors
(zero-copy numpy views of torch's CPU float64 storage).

Covered so far: every hidden activation (tanh, relu, sigmoid, linear), outputs tanh and
linear with mse, sigmoid with binary cross-entropy, softmax with cross-entropy; SGD,
momentum and adam;
no / L1 / L2 regularization with TFP's step order and L1's dead links; minibatch
accumulation with the carry between epochs; slot-by-slot training from any position.
Not yet: the worker's choice of engine, compiling at start in the
background with torch as the fallback.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TANH, RELU, SIGMOID, LINEAR, SOFTMAX = 0, 1, 2, 3, 4
ACT_CODES = {"tanh": TANH, "relu": RELU, "sigmoid": SIGMOID, "linear": LINEAR, "softmax": SOFTMAX}
MSE, CE = 0, 1
REG_NONE, REG_L1, REG_L2 = 0, 1, 2
REG_CODES = {"none": REG_NONE, "l1": REG_L1, "l2": REG_L2}
SGD, MOMENTUM, ADAM = 0, 1, 2
OPT_CODES = {"sgd": SGD, "momentum": MOMENTUM, "adam": ADAM}


@njit(cache=True, inline="always")
def _f(code: int, z: float) -> float:
    if code == TANH:
        return math.tanh(z)
    if code == RELU:
        return z if z > 0.0 else 0.0
    if code == SIGMOID:
        return 1.0 / (1.0 + math.exp(-z))
    return z


@njit(cache=True, inline="always")
def _df(code: int, z: float, a: float) -> float:
    if code == TANH:
        return 1.0 - a * a
    if code == RELU:
        return 1.0 if z > 0.0 else 0.0
    if code == SIGMOID:
        return a * (1.0 - a)
    return 1.0


@njit(cache=True)
def _forward(x, W, B, acts, zs, as_):  # type: ignore[no-untyped-def]
    """Layer by layer for one point: zs[l], as_[l] (the last: the output)."""
    below = x
    layers = len(W)
    for layer in range(layers):
        w, b, z, a = W[layer], B[layer], zs[layer], as_[layer]
        code = acts[layer]
        for j in range(w.shape[0]):
            s = 0.0
            for k in range(w.shape[1]):
                s += below[k] * w[j, k]
            z[j] = b[j] + s
        if code == SOFTMAX:
            top = z.max()
            total = 0.0
            for j in range(z.shape[0]):
                a[j] = math.exp(z[j] - top)
                total += a[j]
            for j in range(z.shape[0]):
                a[j] /= total
        else:
            for j in range(z.shape[0]):
                a[j] = _f(code, z[j])
        below = a


@njit(cache=True)
def _accumulate(x, y, W, B, acts, loss, zs, as_, ds, AW, AB):  # type: ignore[no-untyped-def]
    """Add one point's gradients to AW, AB (TFP: dLoss/dz, then back layer by layer)."""
    _forward(x, W, B, acts, zs, as_)
    last = len(W) - 1
    out_z, out_a, delta = zs[last], as_[last], ds[last]
    code = acts[last]
    if loss == CE:
        if code == SOFTMAX:
            for j in range(out_a.shape[0]):
                delta[j] = out_a[j] - (1.0 if j == int(y) else 0.0)
        else:
            delta[0] = out_a[0] - (y + 1.0) / 2.0
    else:
        delta[0] = (out_a[0] - y) * _df(code, out_z[0], out_a[0])
    for layer in range(last, -1, -1):
        below = as_[layer - 1] if layer > 0 else x
        d, aw, ab = ds[layer], AW[layer], AB[layer]
        for j in range(aw.shape[0]):
            for k in range(aw.shape[1]):
                aw[j, k] += d[j] * below[k]
            ab[j] += d[j]
        if layer > 0:
            w, nd = W[layer], ds[layer - 1]
            zb, ab_ = zs[layer - 1], as_[layer - 1]
            hcode = acts[layer - 1]
            for k in range(nd.shape[0]):
                s = 0.0
                for j in range(w.shape[0]):
                    s += d[j] * w[j, k]
                nd[k] = s * _df(hcode, zb[k], ab_[k])


@njit(cache=True, inline="always")
def _step(opt, g, s1, s2, i, j, lr, mu, b1, b2, eps, t):  # type: ignore[no-untyped-def]
    """The optimizer's amount to subtract for mean gradient g (optimizers.py's arithmetic),
    updating its slots s1[i, j] (velocity or m) and s2[i, j] (v)."""
    if opt == SGD:
        return lr * g
    if opt == MOMENTUM:
        s1[i, j] = mu * s1[i, j] + g
        return lr * s1[i, j]
    s1[i, j] = b1 * s1[i, j] + (1 - b1) * g
    s2[i, j] = b2 * s2[i, j] + (1 - b2) * g * g
    m_hat = s1[i, j] / (1 - b1**t)
    v_hat = s2[i, j] / (1 - b2**t)
    return lr * m_hat / (math.sqrt(v_hat) + eps)


@njit(cache=True)
def _update(
    W, B, ALIVE, AW, AB, count, lr, reg, rate, opt, S1W, S1B, S2W, S2B, steps, mu, b1, b2, eps
):  # type: ignore[no-untyped-def]
    """One TFP update from the sums over ``count`` points, then clear them."""
    n = float(count)
    t = 0.0
    if opt != SGD:
        steps[0] += 1.0
        t = steps[0]
    for layer in range(len(W)):
        w, b, alive, aw, ab = W[layer], B[layer], ALIVE[layer], AW[layer], AB[layer]
        s1b, s2b = S1B[layer], S2B[layer]
        s1w, s2w = S1W[layer], S2W[layer]
        for j in range(b.shape[0]):
            if opt == SGD:
                b[j] = b[j] - ab[j] * lr / n
            else:
                b[j] = b[j] - _step(opt, ab[j] / n, s1b, s2b, 0, j, lr, mu, b1, b2, eps, t)
            ab[j] = 0.0
        step = lr / n
        for j in range(w.shape[0]):
            for k in range(w.shape[1]):
                old = w[j, k]
                if opt == SGD:
                    stepped = old - step * aw[j, k] if alive[j, k] else old
                else:  # a dead link's slots move on with a zero gradient, as in torch
                    g = (aw[j, k] if alive[j, k] else 0.0) / n
                    stepped = old - _step(opt, g, s1w, s2w, j, k, lr, mu, b1, b2, eps, t)
                if alive[j, k]:
                    if reg == REG_L2:
                        w[j, k] = stepped - (lr * rate) * old
                    elif reg == REG_L1:
                        sign = 1.0 if old > 0.0 else (-1.0 if old < 0.0 else 0.0)
                        stepped2 = stepped - (lr * rate) * sign
                        if stepped * stepped2 < 0.0:
                            w[j, k] = 0.0
                            alive[j, k] = False
                        else:
                            w[j, k] = stepped2
                    else:
                        w[j, k] = stepped
                aw[j, k] = 0.0


@njit(cache=True)
def train_points(
    X,
    Y,
    W,
    B,
    ALIVE,
    AW,
    AB,
    acts,
    loss,
    zs,
    as_,
    ds,
    state,
    lr,
    batch,
    reg,
    rate,
    start,
    end,
    opt,
    S1W,
    S1B,
    S2W,
    S2B,
    steps,
    mu,
    b1,
    b2,
    eps,
):  # type: ignore[no-untyped-def]
    """Points start..end of the epoch in order, updating after every batch-th point of the
    epoch; ``state[0]`` is the points accumulated and carried. Returns ``end``."""
    for i in range(start, end):
        _accumulate(X[i], Y[i], W, B, acts, loss, zs, as_, ds, AW, AB)
        state[0] += 1
        if (i + 1) % batch == 0:
            _update(W, B, ALIVE, AW, AB, state[0], lr, reg, rate, opt, S1W, S1B, S2W, S2B,
                    steps, mu, b1, b2, eps)  # fmt: skip
            state[0] = 0
    return end


@njit(cache=True)
def mean_loss(X, Y, W, B, acts, loss, zs, as_):  # type: ignore[no-untyped-def]
    """The loss over the points (engine/objectives.py's means)."""
    if X.shape[0] == 0:
        return math.nan
    last = len(W) - 1
    code = acts[last]
    total = 0.0
    for i in range(X.shape[0]):
        _forward(X[i], W, B, acts, zs, as_)
        out_z, out_a = zs[last], as_[last]
        if loss == CE:
            if code == SOFTMAX:
                top = out_z.max()
                s = 0.0
                for j in range(out_z.shape[0]):
                    s += math.exp(out_z[j] - top)
                total += -(out_z[int(Y[i])] - top - math.log(s))
            else:
                z, t = out_z[0], (Y[i] + 1.0) / 2.0
                total += max(z, 0.0) - z * t + math.log1p(math.exp(-abs(z)))
        else:
            p = out_a[0]
            if code == SIGMOID:
                p = 2.0 * p - 1.0
            total += 0.5 * (p - Y[i]) ** 2
    return total / X.shape[0]


def scratch(sizes: list[int]) -> tuple[tuple[np.ndarray, ...], ...]:
    """Per-layer buffers of z, a and delta for one point."""
    return tuple(tuple(np.zeros(n) for n in sizes[1:]) for _ in range(3))  # type: ignore[return-value]
