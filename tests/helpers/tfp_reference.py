"""TensorFlow Playground's nn.ts training semantics, point by point, in plain Python floats.

A slow, obviously-correct oracle for the engine: one Node per neuron, one Link per
weight, one point at a time, written from the rules in the design notes ("Training
semantics"). Parameters go in and come out in torch.nn.Linear layout (weights[l] is
out x in, biases[l] has out values) so a test can start the engine and this reference
from identical numbers and compare them after every epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence


def _sigmoid(x: float) -> float:
    if x < -700:  # math.exp would overflow; JavaScript gives 1 / Infinity = 0
        return 0.0
    return 1 / (1 + math.exp(-x))


# name -> (f(x), f'(x)), both from the node's total input, as nn.ts defines them.
ACTIVATIONS: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "tanh": (math.tanh, lambda x: 1 - math.tanh(x) * math.tanh(x)),
    "relu": (lambda x: max(0.0, x), lambda x: 0.0 if x <= 0 else 1.0),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "linear": (lambda x: x, lambda x: 1.0),
}

# name -> R'(w): L1 is |w| (derivative sign(w), 0 at 0), L2 is w²/2 (derivative w).
REGULARIZATIONS: dict[str, Callable[[float], float] | None] = {
    "none": None,
    "l1": lambda w: -1.0 if w < 0 else (1.0 if w > 0 else 0.0),
    "l2": lambda w: w,
}

FEATURES: dict[str, Callable[[float, float], float]] = {
    "x1": lambda x, y: x,
    "x2": lambda x, y: y,
    "x1_squared": lambda x, y: x * x,
    "x2_squared": lambda x, y: y * y,
    "x1_x2": lambda x, y: x * y,
    "sin_x1": lambda x, y: math.sin(x),
    "sin_x2": lambda x, y: math.sin(y),
}


def make_inputs(points: Sequence[Sequence[float]], features: Sequence[str]) -> list[list[float]]:
    """Points (x, y) -> one input vector per point, features in FEATURES order."""
    chosen = [name for name in FEATURES if name in set(features)]
    return [[FEATURES[name](float(x), float(y)) for name in chosen] for x, y in points]


class Node:
    """A neuron: its bias, incoming and outgoing links, and the values of the last pass."""

    def __init__(self, bias: float, activation: str) -> None:
        self.bias = bias
        self.activation, self.activation_der = ACTIVATIONS[activation]
        self.input_links: list[Link] = []
        self.outputs: list[Link] = []
        self.total_input = 0.0
        self.output = 0.0
        self.output_der = 0.0  # dE/d(output)
        self.input_der = 0.0  # dE/d(total input)
        self.acc_input_der = 0.0
        self.num_accumulated_ders = 0

    def update_output(self) -> float:
        # bias first, then each link in input order, as nn.ts sums them
        total = self.bias
        for link in self.input_links:
            total += link.weight * link.source.output
        self.total_input = total
        self.output = self.activation(total)
        return self.output


class Link:
    """A weight from ``source`` to ``dest``; L1 may kill it for good."""

    def __init__(self, source: Node, dest: Node, weight: float, regularization: str) -> None:
        self.source = source
        self.dest = dest
        self.weight = weight
        self.regularization = regularization
        self.is_dead = False
        self.acc_error_der = 0.0
        self.num_accumulated_ders = 0


class TFPNetwork:
    """Layers of Nodes joined by Links, trained exactly as TensorFlow Playground trains."""

    def __init__(
        self,
        weights: Sequence[Sequence[Sequence[float]]],
        biases: Sequence[Sequence[float]],
        activation: str,
        output_activation: str,
        regularization: str = "none",
    ) -> None:
        n_inputs = len(weights[0][0])
        self.layers: list[list[Node]] = [[Node(0.0, "linear") for _ in range(n_inputs)]]
        for index, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
            last = index == len(weights) - 1
            below = self.layers[-1]
            layer = []
            for row, b in zip(weight, bias, strict=True):
                assert len(row) == len(below), "weights must be out x in"
                node = Node(float(b), output_activation if last else activation)
                for source, w in zip(below, row, strict=True):
                    link = Link(source, node, float(w), regularization)
                    node.input_links.append(link)
                    source.outputs.append(link)
                layer.append(node)
            self.layers.append(layer)
        assert len(self.layers[-1]) == 1, "one output node"

    # -- nn.ts: forwardProp, backProp (square error), updateWeights ---------------------
    def forward(self, inputs: Sequence[float]) -> float:
        """Set the input nodes, update every node layer by layer; return the output."""
        for node, value in zip(self.layers[0], inputs, strict=True):
            node.output = float(value)
        for layer in self.layers[1:]:
            for node in layer:
                node.update_output()
        return self.layers[-1][0].output

    def backprop(self, target: float) -> None:
        """Accumulate dE/dbias and dE/dw of E = 0.5·(output − target)² for the last point."""
        out = self.layers[-1][0]
        out.output_der = out.output - target
        for index in range(len(self.layers) - 1, 0, -1):
            layer = self.layers[index]
            for node in layer:
                node.input_der = node.output_der * node.activation_der(node.total_input)
                node.acc_input_der += node.input_der
                node.num_accumulated_ders += 1
            for node in layer:
                for link in node.input_links:
                    if link.is_dead:
                        continue
                    link.acc_error_der += node.input_der * link.source.output
                    link.num_accumulated_ders += 1
            if index == 1:
                continue
            for node in self.layers[index - 1]:
                node.output_der = 0.0
                for link in node.outputs:
                    node.output_der += link.weight * link.dest.input_der

    def update_weights(self, learning_rate: float, regularization_rate: float) -> None:
        """Step every bias and live weight by the mean accumulated gradient, then clear."""
        for layer in self.layers[1:]:
            for node in layer:
                if node.num_accumulated_ders > 0:
                    node.bias -= learning_rate * node.acc_input_der / node.num_accumulated_ders
                    node.acc_input_der = 0.0
                    node.num_accumulated_ders = 0
                for link in node.input_links:
                    if link.is_dead:
                        continue
                    der = REGULARIZATIONS[link.regularization]
                    regul_der = der(link.weight) if der is not None else 0.0  # at w before
                    if link.num_accumulated_ders > 0:
                        link.weight -= (
                            learning_rate / link.num_accumulated_ders
                        ) * link.acc_error_der
                        stepped = link.weight - (learning_rate * regularization_rate) * regul_der
                        if link.regularization == "l1" and link.weight * stepped < 0:
                            link.weight = 0.0
                            link.is_dead = True
                        else:
                            link.weight = stepped
                        link.acc_error_der = 0.0
                        link.num_accumulated_ders = 0

    # -- playground.ts: oneStep and getLoss ---------------------------------------------
    def train_epoch(
        self,
        inputs: Sequence[Sequence[float]],
        targets: Sequence[float],
        learning_rate: float,
        batch_size: int,
        regularization_rate: float = 0.0,
    ) -> None:
        """One pass in order; update when (i + 1) % batch_size == 0; leftovers carry over."""
        for i, (x, t) in enumerate(zip(inputs, targets, strict=True)):
            self.forward(x)
            self.backprop(float(t))
            if (i + 1) % batch_size == 0:
                self.update_weights(learning_rate, regularization_rate)

    def loss(self, inputs: Sequence[Sequence[float]], targets: Sequence[float]) -> float:
        """Mean of 0.5·(output − target)² over the points."""
        total = 0.0
        for x, t in zip(inputs, targets, strict=True):
            total += 0.5 * (self.forward(x) - float(t)) ** 2
        return total / len(targets)

    # -- parameters in torch.nn.Linear layout -------------------------------------------
    def weights(self) -> list[list[list[float]]]:
        """[(out x in)] per layer."""
        return [
            [[ln.weight for ln in node.input_links] for node in layer] for layer in self.layers[1:]
        ]

    def biases(self) -> list[list[float]]:
        return [[node.bias for node in layer] for layer in self.layers[1:]]

    def dead_links(self) -> list[tuple[int, int, int]]:
        """(layer, neuron, input) of every dead link."""
        return [
            (index, j, i)
            for index, layer in enumerate(self.layers[1:])
            for j, node in enumerate(layer)
            for i, link in enumerate(node.input_links)
            if link.is_dead
        ]
