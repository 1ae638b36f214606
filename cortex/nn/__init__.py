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


# -- the PyTorch bridge (extra ``cortex[torch]``): torch is imported on the first call only --
def to_torch(model: Sequential, *, dtype: object = None) -> object:
    """Convert a cortex ConvNet into a ``torch.nn.Sequential`` with the same parameters and outputs.

    Needs PyTorch (``pip install 'cortex[torch]'``); it is imported at the
    first call, never by ``import cortex.nn``.  Each layer becomes its torch
    counterpart (:class:`Conv2D` -> ``torch.nn.Conv2d``, :class:`Dense` ->
    ``torch.nn.Linear``, :class:`ReLU`, :class:`MaxPool2D`, :class:`AvgPool2D`
    (``count_include_pad=True``), :class:`Flatten`, :class:`Dropout` (same
    ``p``), and :class:`LocallyConnected2D` ->
    :class:`cortex.nn.torch_bridge.LocallyConnected2d`) with its parameters
    copied in the same layout, so the torch model computes the same outputs
    and the same gradients w.r.t. its input and its parameters under the
    same loss, to float rounding: within ``1e-5`` (float32) or ``1e-10``
    (float64) of the largest value (see Notes).

    Parameters
    ----------
    model : Sequential
        The cortex network.  Input tensors are ``(N, C, H, W)`` as in cortex.
    dtype : {None, "float32", "float64"}, numpy or torch float type, optional
        Dtype of the torch parameters (feed inputs of that dtype).  None: the
        model's own (float32 for a model without parameters).

    Returns
    -------
    torch.nn.Sequential
        One module per layer, in order.  Each module's ``training`` flag is
        the layer's (``Sequential.train()`` / ``eval()``), and the parameters
        of a frozen layer (``trainable=False``) have ``requires_grad=False``.
        Parameters are copies on the CPU: training one model leaves the other
        unchanged (move it with ``.to(device)``).

    Raises
    ------
    ImportError
        If PyTorch is not installed (the message names the extra
        ``cortex[torch]``).
    TypeError
        If ``model`` is not a :class:`Sequential`, or ``dtype`` is not
        float32/float64.
    ValueError
        If a layer has no torch counterpart (a user-defined layer: the
        message names its index and type), or ``dtype`` is None and the
        layers mix float32 and float64 parameters.

    See Also
    --------
    from_torch : the way back.

    Notes
    -----
    The two libraries sum in different orders, so results differ by
    rounding: about ``1e-7`` (float32) and ``1e-15`` (float64) of the
    magnitude of the terms summed.  That is the size of the result unless
    its terms cancel; an output or gradient much smaller than its terms
    (possible in small random networks) carries a proportionally larger
    relative difference, in either library against exact arithmetic.

    :class:`Dropout` becomes ``torch.nn.Dropout`` with the same ``p``, but the
    random masks of the two libraries differ: outputs are equal in
    evaluation mode (``model.eval()``) only.  A :class:`Conv2D`'s ``method``
    (how cortex computes the correlation) has no torch counterpart and is
    dropped.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from cortex.nn import Conv2D, Dense, Flatten, ReLU, Sequential, to_torch
    >>> model = Sequential([Conv2D(1, 4, 3, padding=1, seed=0), ReLU(), Flatten(),
    ...                     Dense(4 * 8 * 8, 10, seed=0)])
    >>> net = to_torch(model)
    >>> net[0]
    Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> x = np.random.default_rng(0).random((2, 1, 8, 8), dtype=np.float32)
    >>> with torch.no_grad():
    ...     out = net(torch.from_numpy(x)).numpy()
    >>> bool(np.allclose(out, model.forward(x), atol=1e-5))
    True
    """
    from .torch_bridge import to_torch as _to_torch

    return _to_torch(model, dtype=dtype)


def from_torch(module: object) -> Sequential:
    """Convert a supported ``torch.nn.Sequential`` into a cortex ConvNet with the same outputs.

    Needs PyTorch (``pip install 'cortex[torch]'``).  The way back from
    :func:`to_torch`, and the way in for models built in PyTorch, so their
    units can be studied with :mod:`cortex.analysis` (tuning curves, RF
    mapping, ...).

    Parameters
    ----------
    module : torch.nn.Sequential
        Layers of the types ``torch.nn.Conv2d`` (dilation 1, groups 1,
        ``padding_mode="zeros"``, one stride and one padding for both axes;
        ``padding="same"`` only with an odd square kernel),
        ``torch.nn.Linear``, ``torch.nn.ReLU``, ``torch.nn.MaxPool2d`` (no
        dilation, ``ceil_mode`` or ``return_indices``), ``torch.nn.AvgPool2d``
        (``count_include_pad=True``, no ``ceil_mode`` or
        ``divisor_override``), ``torch.nn.Flatten`` (``start_dim=1,
        end_dim=-1``), ``torch.nn.Dropout`` (``p < 1``) and
        :class:`cortex.nn.torch_bridge.LocallyConnected2d`; nested
        ``torch.nn.Sequential`` containers are flattened.  Parameters must be
        float32 or float64, finite, and frozen or trainable as a whole per
        layer.

    Returns
    -------
    Sequential
        One cortex layer per torch layer, with copies of the parameters (in
        their dtype, bit for bit), each layer's training mode, and
        ``trainable=False`` for layers whose parameters do not require
        gradients.

    Raises
    ------
    ImportError
        If PyTorch is not installed (the message names the extra
        ``cortex[torch]``).
    TypeError
        If ``module`` is not a ``torch.nn.Module``.
    ValueError
        If ``module`` is not a ``torch.nn.Sequential`` (or overrides its
        ``forward``), is empty, or has a layer that cortex cannot represent:
        the message names the layer (its index in the Sequential, dotted for
        nested ones), its type and the unsupported setting, e.g.
        ``layer 0 (Conv2d): dilation=(2, 2) is not supported``.  Also for
        layers with hooks (which change what they compute), parameters of
        another dtype or non-finite values.

    See Also
    --------
    to_torch : the way there.

    Notes
    -----
    The conversion checks each layer's settings, not the shapes of the data
    the model will see: a ``torch.nn.Linear`` becomes a :class:`Dense`, which
    takes ``(N, features)`` inputs, so a Linear that PyTorch applies to the
    last axis of a 4-D tensor (no ``Flatten`` before it) is refused by cortex
    when the model runs, with an error naming the expected shape.
    :class:`Dropout` outputs match in evaluation mode only (the random masks
    differ).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from cortex.nn import from_torch
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
    ...                           torch.nn.MaxPool2d(2), torch.nn.Flatten(),
    ...                           torch.nn.Linear(4 * 4 * 4, 10))
    >>> model = from_torch(net)
    >>> [type(layer).__name__ for layer in model]
    ['Conv2D', 'ReLU', 'MaxPool2D', 'Flatten', 'Dense']
    >>> x = np.random.default_rng(0).random((2, 1, 8, 8), dtype=np.float32)
    >>> with torch.no_grad():
    ...     expected = net(torch.from_numpy(x)).numpy()
    >>> bool(np.allclose(model.forward(x), expected, atol=1e-5))
    True
    >>> from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, dilation=2)))
    Traceback (most recent call last):
    ...
    ValueError: layer 0 (Conv2d): dilation=(2, 2) is not supported (cortex needs dilation 1)
    """
    from .torch_bridge import from_torch as _from_torch

    return _from_torch(module)


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
    "from_torch",
    "load_model",
    "load_weights",
    "mse",
    "predict",
    "receptive_field",
    "save_model",
    "softmax",
    "softmax_cross_entropy",
    "to_torch",
    "train_step",
    "unit_gradient",
    "unit_tiling",
]
