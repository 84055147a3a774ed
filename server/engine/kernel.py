"""One MLP's training as compiled loops (numba): TFP's rules and training.py's arithmetic
order, point by point, in float64, on flat buffers (engine/compiled.py binds a model's
tensors to views of them, so nothing is copied per call).

Layout (``lay``, one row per layer l): inputs, outputs, where its weights start in P
(row-major (out, in)), where its biases start in P (after every weight), where its
outputs start and where its inputs start in the neuron buffers (row 0's inputs: the
point itself, copied in). P holds every weight then every bias; G (the gradient sums),
S[0] (momentum's velocity, adam's m) and S[1] (adam's v) share its layout; AL (alive) the
weights'. ``cfg``: loss, regularization, optimizer, batch size, points carried, cursor
(the last two are read and written back). ``hyp``: learning rate, regularization rate,
momentum, beta1, beta2, epsilon. ``steps[0]``: the optimizer's update count (adam's t).

Every function is compiled once per machine and cached on disk: every network shape
shares one signature, so nothing recompiles when a network changes. Compiled with numpy's
error model (a division by zero gives inf or NaN, as in torch, without a check per
division) and FMA contraction; ``run`` releases the interpreter lock (the buffers are the
worker thread's alone), so the event loop works on the other core meanwhile.
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
# cfg's entries
LOSS, REG, OPT, BATCH, CARRIED, CURSOR = range(6)
# hyp's entries
LR, RATE, MU, BETA1, BETA2, EPS = range(6)
# a layer's row in lay
N_IN, N_OUT, W_AT, B_AT, OUT_AT, IN_AT = range(6)


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _tanh(z: float) -> float:
    """tanh through exp: within a few ulps of libm's (expm1 near 0, where 1 - 2/(e + 1)
    would lose the relative precision) and much faster: tanh was 40 % of a default
    epoch; |z| > 19 is ±1 to double precision."""
    if z > 19.0:
        return 1.0
    if z < -19.0:
        return -1.0
    if -0.25 < z < 0.25:  # near 0 expm1 keeps the relative precision
        e = math.expm1(2.0 * z)
        return e / (e + 2.0)
    return 1.0 - 2.0 / (math.exp(2.0 * z) + 1.0)


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _f(code: int, z: float) -> float:
    if code == TANH:
        return _tanh(z)
    if code == RELU:
        return z if z > 0.0 else 0.0
    if code == SIGMOID:
        return 1.0 / (1.0 + math.exp(-z))
    return z


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _df(code: int, z: float, a: float) -> float:
    if code == TANH:
        return 1.0 - a * a
    if code == RELU:
        return 1.0 if z > 0.0 else 0.0
    if code == SIGMOID:
        return a * (1.0 - a)
    return 1.0


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _top(Z, at, n):  # type: ignore[no-untyped-def]
    """The largest of Z[at : at + n] (softmax's shift)."""
    top = Z[at]
    for j in range(1, n):
        top = max(top, Z[at + j])
    return top


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _forward(x, P, lay, acts, Z, A):  # type: ignore[no-untyped-def]
    """One point through every layer: Z and A hold each layer's z and f(z) (A's first
    entries: the point)."""
    for k in range(x.shape[0]):
        A[k] = x[k]
    for layer in range(lay.shape[0]):
        n_in, n_out, wo, bo, oo, io = lay[layer]
        code = acts[layer]
        for j in range(n_out):
            s = 0.0
            row = wo + j * n_in
            for k in range(n_in):
                s += A[io + k] * P[row + k]
            Z[oo + j] = P[bo + j] + s
        if code == SOFTMAX:
            top = _top(Z, oo, n_out)
            total = 0.0
            for j in range(n_out):
                A[oo + j] = math.exp(Z[oo + j] - top)
                total += A[oo + j]
            for j in range(n_out):
                A[oo + j] /= total
        else:
            for j in range(n_out):
                A[oo + j] = _f(code, Z[oo + j])


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _accumulate(x, y, P, G, lay, acts, loss, Z, A, D):  # type: ignore[no-untyped-def]
    """Add one point's gradients to G (TFP: dLoss/dz at the output, then back layer by
    layer, the sums over each layer's outputs in torch's order)."""
    _forward(x, P, lay, acts, Z, A)
    last = lay.shape[0] - 1
    n_out, oo = lay[last, N_OUT], lay[last, OUT_AT]
    code = acts[last]
    if loss == CE:
        if code == SOFTMAX:
            for j in range(n_out):
                D[oo + j] = A[oo + j] - (1.0 if j == int(y) else 0.0)
        else:
            D[oo] = A[oo] - (y + 1.0) / 2.0
    else:
        D[oo] = (A[oo] - y) * _df(code, Z[oo], A[oo])
    for layer in range(last, -1, -1):
        n_in, n_out, wo, bo, oo, io = lay[layer]
        for j in range(n_out):
            d = D[oo + j]
            row = wo + j * n_in
            for k in range(n_in):
                G[row + k] += d * A[io + k]
            G[bo + j] += d
        if layer > 0:
            hcode = acts[layer - 1]
            for k in range(n_in):
                s = 0.0
                for j in range(n_out):
                    s += D[oo + j] * P[wo + j * n_in + k]
                D[io + k] = s * _df(hcode, Z[io + k], A[io + k])


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _step(opt, g, S, i, hyp, t):  # type: ignore[no-untyped-def]
    """The optimizer's amount to subtract for mean gradient g (optimizers.py's arithmetic),
    updating its slots S[:, i]."""
    lr = hyp[LR]
    if opt == SGD:
        return lr * g
    if opt == MOMENTUM:
        S[0, i] = hyp[MU] * S[0, i] + g
        return lr * S[0, i]
    b1, b2 = hyp[BETA1], hyp[BETA2]
    S[0, i] = b1 * S[0, i] + (1 - b1) * g
    S[1, i] = b2 * S[1, i] + (1 - b2) * g * g
    m_hat = S[0, i] / (1 - b1**t)
    v_hat = S[1, i] / (1 - b2**t)
    return lr * m_hat / (math.sqrt(v_hat) + hyp[EPS])


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _update(P, AL, G, S, lay, count, reg, opt, hyp, steps):  # type: ignore[no-untyped-def]
    """One TFP update from the sums over ``count`` points, then clear them."""
    n = float(count)
    lr, rate = hyp[LR], hyp[RATE]
    t = 0.0
    if opt != SGD:
        steps[0] += 1.0
        t = steps[0]
    for layer in range(lay.shape[0]):
        n_in, n_out, wo, bo = (
            lay[layer, N_IN],
            lay[layer, N_OUT],
            lay[layer, W_AT],
            lay[layer, B_AT],
        )
        for j in range(n_out):
            i = bo + j
            if opt == SGD:
                P[i] = P[i] - G[i] * lr / n
            else:
                P[i] = P[i] - _step(opt, G[i] / n, S, i, hyp, t)
            G[i] = 0.0
        step = lr / n
        for i in range(wo, wo + n_out * n_in):
            old = P[i]
            if opt == SGD:
                stepped = old - step * G[i] if AL[i] else old
            else:  # a dead link's slots move on with a zero gradient, as in torch
                g = (G[i] if AL[i] else 0.0) / n
                stepped = old - _step(opt, g, S, i, hyp, t)
            if AL[i]:
                if reg == REG_L2:
                    P[i] = stepped - (lr * rate) * old
                elif reg == REG_L1:
                    sign = 1.0 if old > 0.0 else (-1.0 if old < 0.0 else 0.0)
                    penalized = stepped - (lr * rate) * sign
                    if stepped * penalized < 0.0:
                        P[i] = 0.0
                        AL[i] = False
                    else:
                        P[i] = penalized
                else:
                    P[i] = stepped
            G[i] = 0.0


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def mean_loss(X, Y, P, lay, acts, loss, Z, A):  # type: ignore[no-untyped-def]
    """The loss over the points (engine/objectives.py's means); NaN for none."""
    if X.shape[0] == 0:
        return math.nan
    last = lay.shape[0] - 1
    n_out, oo = lay[last, N_OUT], lay[last, OUT_AT]
    code = acts[last]
    total = 0.0
    for i in range(X.shape[0]):
        _forward(X[i], P, lay, acts, Z, A)
        if loss == CE:
            if code == SOFTMAX:
                top = _top(Z, oo, n_out)
                s = 0.0
                for j in range(n_out):
                    s += math.exp(Z[oo + j] - top)
                total += -(Z[oo + int(Y[i])] - top - math.log(s))
            else:
                z, target = Z[oo], (Y[i] + 1.0) / 2.0
                total += max(z, 0.0) - z * target + math.log1p(math.exp(-abs(z)))
        else:
            p = A[oo]
            if code == SIGMOID:
                p = 2.0 * p - 1.0
            total += 0.5 * (p - Y[i]) ** 2
    return total / X.shape[0]


@njit(cache=True, error_model="numpy", fastmath={"contract"}, nogil=True)
def run(X, Y, TX, TY, P, AL, G, S, steps, lay, acts, cfg, hyp, tmp, out, budget):  # type: ignore[no-untyped-def]
    """Train from the cursor, point by point, updating after every batch-th point of the
    epoch, for up to ``budget`` points or ``out.shape[0]`` epochs, whichever comes first
    (a call may end anywhere in an epoch: the next goes on from there, with the same
    arithmetic). After each epoch both losses go to ``out``; an epoch whose train loss is
    not finite ends the call. Returns the epochs completed."""
    Z, A, D = tmp[0], tmp[1], tmp[2]
    loss, reg, opt, batch = cfg[LOSS], cfg[REG], cfg[OPT], cfg[BATCH]
    carried, cursor = cfg[CARRIED], cfg[CURSOR]
    n = X.shape[0]
    done, used = 0, 0
    while done < out.shape[0]:
        while cursor < n and used < budget:
            _accumulate(X[cursor], Y[cursor], P, G, lay, acts, loss, Z, A, D)
            carried += 1
            cursor += 1
            used += 1
            if cursor % batch == 0:
                _update(P, AL, G, S, lay, carried, reg, opt, hyp, steps)
                carried = 0
        if cursor < n:
            break
        cursor = 0
        train = mean_loss(X, Y, P, lay, acts, loss, Z, A)
        out[done, 0] = train
        out[done, 1] = mean_loss(TX, TY, P, lay, acts, loss, Z, A)
        done += 1
        if not math.isfinite(train) or used >= budget:
            break
    cfg[CARRIED], cfg[CURSOR] = carried, cursor
    return done


def layout(sizes: list[int]) -> np.ndarray:
    """``lay`` for a network of these sizes (inputs first)."""
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    rows, w_at, b_at, out_at = [], 0, weights, sizes[0]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False):
        rows.append((n_in, n_out, w_at, b_at, out_at, out_at - n_in))
        w_at, b_at, out_at = w_at + n_in * n_out, b_at + n_out, out_at + n_out
    return np.array(rows, dtype=np.int64)
