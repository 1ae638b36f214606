"""cortex.nn: a trainable ConvNet made of populations of locally connected neurons.

A :class:`Conv2D` layer is a population of neuron types with shared-weight
RFs on a square lattice (spacing = stride); :class:`LocallyConnected2D` is the
same without weight sharing.  Layers follow numpy-ml's ``LayerBase``
(``forward``, ``backward``, ``params``, ``grads``); :class:`Sequential`
follows micrograd's ``Module`` (``parameters()``, ``zero_grad()``).
"""

from .io import load_model, load_weights, save_model
from .layers import (
    AvgPool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LocallyConnected2D,
    MaxPool2D,
    ReLU,
)
from .losses import mse, softmax, softmax_cross_entropy
from .network import Sequential
from .optim import SGD, Adam, Optimizer
from .receptive_field import (
    LayerRF,
    effective_receptive_field,
    receptive_field,
    unit_gradient,
    unit_tiling,
)
from .training import DivergenceWarning, History, evaluate, fit, predict, train_step

__all__ = [
    "SGD",
    "Adam",
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "DivergenceWarning",
    "Dropout",
    "Flatten",
    "History",
    "Layer",
    "LayerRF",
    "LocallyConnected2D",
    "MaxPool2D",
    "Optimizer",
    "ReLU",
    "Sequential",
    "effective_receptive_field",
    "evaluate",
    "fit",
    "load_model",
    "load_weights",
    "mse",
    "predict",
    "receptive_field",
    "save_model",
    "softmax",
    "softmax_cross_entropy",
    "train_step",
    "unit_gradient",
    "unit_tiling",
]
