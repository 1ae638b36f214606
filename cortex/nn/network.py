"""A network: an ordered list of layers (micrograd's ``Module``, numpy-ml's ``LayerBase``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .._validation import _describe, check_integer
from .layers import Layer, MaxPool2D, ReLU, _forward

__all__ = ["Sequential"]


class Sequential:
    """Layers applied in order.

    Parameters
    ----------
    layers : iterable of Layer
        The layers; ``model[i]`` is layer ``i``.

    Raises
    ------
    TypeError
        If ``layers`` is not an iterable of Layer objects (None, a single
        layer, a string).
    ValueError
        If ``layers`` is empty.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.nn import Conv2D, Dense, Flatten, ReLU, Sequential
    >>> model = Sequential([Conv2D(1, 4, 3, padding=1, seed=0), ReLU(), Flatten(),
    ...                     Dense(4 * 8 * 8, 10, seed=0)])
    >>> model.forward(np.zeros((2, 1, 8, 8), np.float32)).shape
    (2, 10)

    Notes
    -----
    A ``ReLU`` directly followed by a ``MaxPool2D`` is run in the other order
    (pool, then rectify): the two commute exactly (``max`` of rectified values
    is the rectified ``max``, and the gradient reaches the same input), and
    rectifying the pooled map touches a quarter of the values for 2x2 pools.
    ``forward``/``backward`` give the same numbers either way; only the
    layers' internal caches see the swapped order.
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        if isinstance(layers, Layer | str | bytes) or not isinstance(layers, Iterable):
            raise TypeError(
                f"`layers` must be an iterable (e.g. a list) of Layer objects, got "
                f"{_describe(layers)}"
            )
        self.layers = list(layers)
        self._executed: list[Layer] | None = None  # the order of the last forward pass
        if not self.layers:
            raise ValueError("`layers` must hold at least one Layer, got none")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"`layers[{i}]` must be a Layer, got {type(layer).__name__}")

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = ",\n    ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n    {inner},\n])"

    def _order(self) -> list[Layer]:
        """Execution order: the layers, with each ``ReLU, MaxPool2D`` pair swapped."""
        order = list(self.layers)
        i = 0
        while i < len(order) - 1:
            if type(order[i]) is ReLU and type(order[i + 1]) is MaxPool2D:
                order[i], order[i + 1] = order[i + 1], order[i]
                i += 2
            else:
                i += 1
        return order

    def forward(self, x: np.ndarray, *, check_finite: bool = True) -> np.ndarray:
        """Run every layer; caches what ``backward`` needs.

        Parameters
        ----------
        x : array_like
            Input batch, e.g. ``(N, C, H, W)``.
        check_finite : bool, optional
            Refuse NaN or infinite values in ``x`` (checked once, at the first
            layer; the activations behind it are not checked).

        Returns
        -------
        numpy.ndarray
            The last layer's output.

        Raises
        ------
        TypeError
            If ``x`` does not hold real numbers.
        ValueError
            If ``x`` does not fit the first layer, or (with ``check_finite``)
            holds NaN or infinite values.
        """
        self._executed = self._order()
        for i, layer in enumerate(self._executed):
            x = _forward(layer, x, check_finite and i == 0)
        return x

    __call__ = forward

    def backward(self, grad: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate dLoss/dOutput; accumulates parameter gradients.

        Parameters
        ----------
        grad : numpy.ndarray
            dLoss/dOutput.
        input_grad : bool, optional
            Return dLoss/dInput; training passes False so the first layer
            skips that work.

        Returns
        -------
        numpy.ndarray or None
            dLoss/dInput, or None when ``input_grad`` is False.
        """
        executed = self._executed
        if executed is None:
            raise RuntimeError("`backward` called before `forward`")
        for i, layer in enumerate(reversed(executed)):
            first = i == len(executed) - 1
            grad = layer.backward(grad, input_grad=input_grad or not first)
        return grad if input_grad else None

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``(name, param, grad)`` of every trainable parameter, e.g. ``("0.weight", W, dW)``."""
        out = []
        for i, layer in enumerate(self.layers):
            if layer.trainable:
                for key, value in layer.params.items():
                    out.append((f"{i}.{key}", value, layer.grads[key]))
        return out

    def state(self) -> dict[str, np.ndarray]:
        """Every parameter (trainable or frozen), keyed ``"<layer>.<name>"``."""
        return {
            f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()
        }

    def zero_grad(self) -> None:
        """Clear every layer's gradients."""
        for layer in self.layers:
            layer.zero_grad()

    def train(self) -> Sequential:
        """Training mode (dropout active)."""
        for layer in self.layers:
            layer.training = True
        return self

    def eval(self) -> Sequential:
        """Evaluation mode (dropout off)."""
        for layer in self.layers:
            layer.training = False
        return self

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Per-sample output shape for a per-sample input shape (checks every layer).

        Raises
        ------
        TypeError
            If ``input_shape`` is not a tuple of integers.
        ValueError
            If a size is < 1 or a layer does not accept its input's shape.
        """
        if not isinstance(input_shape, tuple | list):
            raise TypeError(
                f"`input_shape` must be a tuple of ints (one sample's shape), got "
                f"{_describe(input_shape)}"
            )
        shape = tuple(check_integer(v, "input_shape", minimum=1) for v in input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    def architecture(self) -> list[dict[str, Any]]:
        """JSON-able description: each layer's class name, config and trainable flag."""
        return [
            {"type": type(layer).__name__, "config": layer.config(), "trainable": layer.trainable}
            for layer in self.layers
        ]

    def n_parameters(self) -> int:
        """Number of scalar parameters (trainable and frozen)."""
        return int(sum(v.size for v in self.state().values()))
