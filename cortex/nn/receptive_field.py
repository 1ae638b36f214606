"""Receptive-field arithmetic of stacked layers, and the units' tiling of the input.

For layers ``l = 1..L`` with kernel ``k_l``, stride ``s_l`` and padding ``p_l``
(Araujo, Norris & Sim, "Computing receptive fields of convolutional neural
networks", Distill 2019), with ``r_0 = 1``, ``j_0 = 1``, ``u_0 = 0``, ``P_0 = 0``:

* jump (effective stride): ``j_l = j_{l-1} * s_l``
* RF size: ``r_l = r_{l-1} + (k_l - 1) * j_{l-1}``, i.e.
  ``r_L = sum_l (k_l - 1) prod_{i<l} s_i + 1``
* centre of unit 0 in input pixels: ``u_l = u_{l-1} + ((k_l - 1) / 2 - p_l) * j_{l-1}``
* effective padding: ``P_l = P_{l-1} + p_l * j_{l-1}``

Unit ``i`` of layer ``l`` is centred on input pixel ``u_l + i * j_l`` and sees
input pixels ``u_l + i * j_l +- (r_l - 1) / 2``: a population on a square
lattice of spacing ``j_l`` pixels with RFs ``r_l`` pixels wide.  (When a
kernel is smaller than its stride, the RF has holes and this window is its
bounding box.)

Everywhere here (and in :mod:`cortex.analysis` and
:func:`cortex.plotting.plot_layer_tiling`) ``layer`` is an index into
``model.layers``, negative values counting from the end as in Python.  Layers
from the first :class:`~cortex.nn.Flatten` / :class:`~cortex.nn.Dense` on have
no spatial RF (their units see the whole input); asking for one where a
spatial RF is needed is a ``ValueError`` that names the layer.

:func:`unit_gradient` differentiates one unit's output with respect to the
input, leaving the model exactly as it found it (training flags, parameter
gradients, forward caches).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .._validation import as_rng, check_integer, check_memory
from ..correlation import CHUNK_BYTES
from ..mosaic import Mosaic
from ..receptive_fields import Gaussian
from ..visual_field import VisualField
from .layers import Dense, Flatten, Layer, LocallyConnected2D, _as_numeric, _forward
from .network import Sequential

__all__ = [
    "LayerRF",
    "effective_receptive_field",
    "receptive_field",
    "unit_gradient",
    "unit_tiling",
]


@dataclass(frozen=True)
class LayerRF:
    """Receptive-field geometry of one layer's output units, per axis ``(rows, cols)``.

    Attributes
    ----------
    index : int
        Layer index in the model.
    name : str
        Layer class name.
    size : (int, int)
        RF size ``r`` in input pixels.
    jump : (int, int)
        Effective stride ``j``: input pixels between neighbouring units.
    start : (float, float)
        Centre ``u`` of unit 0 in input pixel coordinates (may be negative
        or fractional).
    padding : (int, int)
        Effective padding ``P`` in input pixels.
    output_shape : tuple of int
        Per-sample output shape ``(C, H, W)``.
    """

    index: int
    name: str
    size: tuple[int, int]
    jump: tuple[int, int]
    start: tuple[float, float]
    padding: tuple[int, int]
    output_shape: tuple[int, ...]


def _check_model(model: object) -> Sequential:
    if not isinstance(model, Sequential):
        raise TypeError(f"`model` must be a Sequential, got {type(model).__name__}")
    return model


def _input_shape(input_size: object, model: Sequential) -> tuple[int, int, int]:
    channels = getattr(model[0], "in_channels", 1)  # default C: what the first layer takes
    if isinstance(input_size, int | np.integer):
        size = check_integer(input_size, "input_size", minimum=1)
        return (channels, size, size)
    if not isinstance(input_size, tuple | list):
        raise TypeError(f"`input_size` must be an int H, (H, W) or (C, H, W), got {input_size!r}")
    if len(input_size) not in (2, 3):
        raise ValueError(f"`input_size` must be H, (H, W) or (C, H, W), got {input_size!r}")
    shape = tuple(input_size)
    if len(shape) == 2:
        shape = (channels,) + shape
    return tuple(check_integer(v, "input_size", minimum=1) for v in shape)  # type: ignore[return-value]


def _model_dtype(model: Sequential) -> type:
    """float64 if any layer computes in float64, else float32."""
    return (
        np.float64 if any(getattr(lay, "dtype", "") == "float64" for lay in model) else np.float32
    )


def _n_spatial(model: Sequential) -> int:
    """Number of leading layers with a spatial RF: those before the first Flatten or Dense."""
    for index, layer in enumerate(model.layers):
        if isinstance(layer, Flatten | Dense):
            return index
    return len(model.layers)


def _resolve_layer(model: object, layer: object, *, spatial: bool = False) -> int:
    """The one meaning of ``layer``: an index into ``model.layers``, negatives Python-style.

    Parameters
    ----------
    model : Sequential
        The network.
    layer : int
        Index in ``[-len(model.layers), len(model.layers))``.
    spatial : bool, optional
        The layer must have a spatial RF (come before the first Flatten/Dense).

    Returns
    -------
    int
        The index in ``[0, len(model.layers))``.

    Raises
    ------
    TypeError
        If ``model`` is not a Sequential or ``layer`` not an integer.
    ValueError
        If ``layer`` is out of range, or ``spatial`` and the layer has no
        spatial RF (the message names the layer's index and class).
    """
    model = _check_model(model)
    n = len(model.layers)
    given = check_integer(layer, "layer")
    if not -n <= given < n:
        raise ValueError(
            f"`layer` must be in [{-n}, {n}) (an index into model.layers), got {given}"
        )
    index = given % n
    n_spatial = _n_spatial(model)
    if spatial and index >= n_spatial:
        first = model.layers[n_spatial]
        where = (
            f"spatial layers are 0..{n_spatial - 1}"
            if n_spatial
            else "the model has no spatial layer"
        )
        raise ValueError(
            f"`layer` {given} is layer {index} ({type(model.layers[index]).__name__}), which has "
            f"no spatial receptive field: from layer {n_spatial} ({type(first).__name__}) on, "
            f"units see the whole input; {where}"
        )
    return index


def _last_spatial(model: Sequential) -> int:
    """Index of the last layer with a spatial RF."""
    n_spatial = _n_spatial(model)
    if n_spatial == 0:
        raise ValueError(
            f"the model has no spatial layer: layer 0 is a {type(model.layers[0]).__name__}"
        )
    return n_spatial - 1


def _unit_site(
    model: Sequential, layer: object, channel: object, position: object, input_shape: tuple
) -> tuple[int, tuple[int, ...]]:
    """Resolve ``(layer, channel, position)`` for inputs of per-sample shape ``input_shape``.

    Returns the layer index and the unit's per-sample output index:
    ``(channel, row, col)`` for a spatial map (``position`` None: its centre
    ``(H // 2, W // 2)``), ``(channel,)`` for a feature vector.
    """
    index = _resolve_layer(model, layer)
    name = type(model.layers[index]).__name__
    shape = tuple(input_shape)
    try:
        for lay in model.layers[: index + 1]:
            shape = lay.output_shape(shape)
    except ValueError as exc:
        raise ValueError(
            f"the network does not accept inputs of shape {tuple(input_shape)}: {exc}"
        ) from exc
    channel = check_integer(channel, "channel", minimum=0)
    if channel >= shape[0]:
        raise ValueError(f"`channel` must be < {shape[0]} (layer {index}, {name}), got {channel}")
    if len(shape) != 3:
        if position is not None:
            raise ValueError(
                f"layer {index} ({name}) has no positions: its outputs are features "
                f"(`channel` picks one); `position` must be None, got {position!r}"
            )
        return index, (channel,)
    if position is None:
        return index, (channel, shape[1] // 2, shape[2] // 2)
    if not isinstance(position, tuple | list) or len(position) != 2:
        raise TypeError(f"`position` must be a (row, col) pair of ints, got {position!r}")
    row, col = (check_integer(v, "position", minimum=0) for v in position)
    if row >= shape[1] or col >= shape[2]:
        raise ValueError(
            f"`position` must be within the {shape[1]}x{shape[2]} map of layer {index} "
            f"({name}), got ({row}, {col})"
        )
    return index, (channel, row, col)


def _bytes_per_sample(layers: Sequence[Layer], input_shape: tuple[int, ...], dtype: type) -> float:
    """Estimated working memory of one sample's forward and backward pass through ``layers``.

    The input and every layer's output, each held as a value and as a
    gradient, plus the patch matrices a LocallyConnected2D keeps for its
    backward pass (Conv2D streams its own in chunks).
    """
    total = math.prod(input_shape)
    shape = tuple(input_shape)
    for layer in layers:
        shape = layer.output_shape(shape)
        total += math.prod(shape)
        if isinstance(layer, LocallyConnected2D):
            total += math.prod(shape[1:]) * layer.in_channels * math.prod(layer.kernel_size)
    return 2.0 * total * np.dtype(dtype).itemsize


@contextmanager
def _probing(model: Sequential, *, backward: bool = True) -> Iterator[None]:
    """Run layers in evaluation mode; on exit the model is exactly as found, even on error.

    Every layer's attributes are restored by reference (training and trainable
    flags, the ``grads`` dict with the user's arrays, forward caches).  Inside,
    dropout is off and parameter gradients are not computed: layers are
    frozen and, with ``backward``, write into throw-away ``grads``, so the
    user's accumulated gradients are never touched.
    """
    saved = [dict(vars(layer)) for layer in model.layers]
    try:
        for layer in model.layers:
            layer.training = False
            layer.trainable = False
            if backward:
                layer.grads = {k: np.zeros_like(v) for k, v in layer.grads.items()}
        yield
    finally:
        for layer, attributes in zip(model.layers, saved, strict=True):
            vars(layer).clear()
            vars(layer).update(attributes)


def unit_gradient(
    model: Sequential,
    layer: int,
    channel: int,
    position: tuple[int, int] | None = None,
    *,
    x: np.ndarray | None = None,
    input_shape: int | tuple[int, ...] | None = None,
) -> np.ndarray:
    """Gradient of one unit's output with respect to the input, per sample.

    The unit is feature ``channel`` of ``model.layers[layer]`` at output
    ``position``.  The derivative is taken in evaluation mode (dropout off),
    and the model is left exactly as it was found, even when an error is
    raised: every layer's ``training`` flag, its ``grads`` (the user's
    accumulated parameter gradients are neither changed nor added to) and its
    forward cache (a ``backward`` pending from an earlier ``forward`` still
    works).

    Parameters
    ----------
    model : Sequential
        The network.
    layer : int
        Index into ``model.layers`` (negative counts from the end).
    channel : int
        The unit's feature map; for a layer with a feature-vector output
        (:class:`~cortex.nn.Flatten`, :class:`~cortex.nn.Dense`) the output
        feature.
    position : (int, int), optional
        Output ``(row, col)`` of the unit in a spatial map; default the centre
        ``(H_out // 2, W_out // 2)``.  Must be None for a feature vector.
    x : numpy.ndarray, shape (N, C, H, W), optional
        Inputs at which to differentiate (the gradient depends on them through
        ReLUs and max pooling).  Default: one blank (all-zero) image of
        ``input_shape``.
    input_shape : int, (H, W) or (C, H, W), optional
        Per-sample input shape of the blank image; required when ``x`` is
        None and ignored otherwise (C defaults to the first layer's input
        channels).

    Returns
    -------
    numpy.ndarray, shape (N, C, H, W)
        ``d unit(x[n]) / d x[n]`` for each sample ``n`` (output units per
        input unit), in the network's dtype.  Reduce it as needed: summed
        over ``C`` and averaged over ``N`` it is the effective RF
        (:func:`effective_receptive_field`).

    Raises
    ------
    TypeError
        If ``model`` is not a Sequential, an index is not an integer, ``x``
        does not hold real numbers or ``position`` is not a pair.
    ValueError
        If ``layer``, ``channel`` or ``position`` is out of range, ``position``
        is given for a feature-vector layer, ``x`` is not a non-empty 4-D batch
        or holds NaN or infinite values, neither ``x`` nor ``input_shape`` is
        given, or the network does not accept the input's shape.
    MemoryBudgetError
        If the blank image of ``input_shape`` and the pass through the network
        would exceed the memory budget (checked before allocating).

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.nn import Conv2D, Sequential, unit_gradient
    >>> conv = Conv2D(1, 1, 3, seed=0, dtype="float64")
    >>> grad = unit_gradient(Sequential([conv]), 0, 0, input_shape=(1, 5, 5))
    >>> grad.shape
    (1, 1, 5, 5)
    >>> bool(np.allclose(grad[0, 0, 1:4, 1:4], conv.params["weight"][0, 0]))  # the filter
    True
    """
    model = _check_model(model)
    if x is None:
        if input_shape is None:
            raise ValueError("`x` or `input_shape` is required: the input to differentiate at")
        shape = _input_shape(input_shape, model)
        index, site = _unit_site(model, layer, channel, position, shape)
        dtype = _model_dtype(model)
        check_memory(
            _bytes_per_sample(model.layers[: index + 1], shape, dtype),
            f"unit_gradient on a blank image of shape {shape} (through layers 0..{index})",
        )
        x = np.zeros((1, *shape), dtype=dtype)
    else:
        x = _as_numeric(x, "x")
        if x.ndim != 4 or x.shape[0] == 0:
            raise ValueError(f"`x` must be a non-empty batch (N, C, H, W), got shape {x.shape}")
        index, site = _unit_site(model, layer, channel, position, x.shape[1:])
    layers = model.layers[: index + 1]
    with _probing(model):
        out = x
        for i, lay in enumerate(layers):
            out = _forward(lay, out, i == 0)  # the input is checked for NaN/inf once
        grad = np.zeros_like(out)
        grad[(slice(None), *site)] = 1
        for lay in reversed(layers):
            grad = lay.backward(grad)
    return grad


def receptive_field(model: Sequential, input_size: int | tuple[int, ...]) -> list[LayerRF]:
    """RF size, jump, start and effective padding of every spatial layer.

    Parameters
    ----------
    model : Sequential
        The network.
    input_size : int, (H, W) or (C, H, W)
        Input size in pixels (C defaults to the first layer's input channels).

    Returns
    -------
    list of LayerRF
        One entry per layer up to the first non-spatial one
        (:class:`~cortex.nn.Flatten` / :class:`~cortex.nn.Dense`, whose units
        see the whole input).  Pointwise layers (ReLU, Dropout) keep the
        previous geometry.

    Raises
    ------
    ValueError
        If a layer does not fit its input (e.g. a kernel larger than the
        padded input).

    Examples
    --------
    >>> from cortex.nn import Conv2D, MaxPool2D, Sequential, receptive_field
    >>> net = Sequential([Conv2D(1, 4, 5, padding=2), MaxPool2D(2), Conv2D(4, 8, 5, padding=2)])
    >>> [(l.size, l.jump) for l in receptive_field(net, 28)]
    [((5, 5), (1, 1)), ((6, 6), (2, 2)), ((14, 14), (2, 2))]
    """
    model = _check_model(model)
    shape: tuple[int, ...] = _input_shape(input_size, model)
    r, j, u, p = [1, 1], [1, 1], [0.0, 0.0], [0, 0]
    out = []
    for index, layer in enumerate(model.layers[: _n_spatial(model)]):
        shape = layer.output_shape(shape)
        geometry = layer.kernel_geometry
        if geometry is not None:
            kernel, stride, padding = geometry
            for a in range(2):
                r[a] = r[a] + (kernel[a] - 1) * j[a]
                u[a] = u[a] + ((kernel[a] - 1) / 2 - padding[a]) * j[a]
                p[a] = p[a] + padding[a] * j[a]
                j[a] = j[a] * stride[a]
        out.append(
            LayerRF(index, type(layer).__name__, tuple(r), tuple(j), tuple(u), tuple(p), shape)
        )
    return out


def unit_tiling(
    model: Sequential, layer: int, field: VisualField
) -> tuple[Mosaic, Gaussian, np.ndarray]:
    """The output units of one layer as a mosaic of RFs over the input's visual field.

    Parameters
    ----------
    model : Sequential
        The network.
    layer : int
        Index into ``model.layers`` (negative counts from the end) of a layer
        with a spatial RF (before the first Flatten/Dense).
    field : VisualField
        The input images' field (its ``shape`` is the input's ``(H, W)``).

    Returns
    -------
    mosaic : Mosaic
        Centres (degrees) of the units whose centre falls on the field, in
        raster order.
    rf : Gaussian
        A disc model of the square RF window: its 1-sigma contour is the
        circle inscribed in the ``r x r`` pixel window (so
        ``plot_mosaic(mosaic, rf, level="sigma")`` draws the tiling).
    units : numpy.ndarray of int, shape (n, 2)
        Output ``(row, col)`` index of each unit in the mosaic.

    Raises
    ------
    TypeError
        If ``model`` is not a Sequential, ``layer`` not an integer or
        ``field`` not a VisualField.
    ValueError
        If ``layer`` is out of range or has no spatial RF (a Flatten or Dense
        layer, or any layer after one), or no unit is centred on the field.
    """
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {type(field).__name__}")
    layer = _resolve_layer(model, layer, spatial=True)
    info = receptive_field(model, field.shape)[layer]
    _, ho, wo = info.output_shape
    ii, jj = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    rows = info.start[0] + ii.ravel() * info.jump[0]
    cols = info.start[1] + jj.ravel() * info.jump[1]
    x, y = field.px_to_deg(rows, cols)
    inside = field.contains(x, y)
    if not np.any(inside):
        raise ValueError(f"no unit of layer {layer} is centred on the field")
    centers = np.column_stack([x[inside], y[inside]])
    mosaic = Mosaic(field, centers, lattice="custom")
    rf = Gaussian(sigma=min(info.size) / (2 * field.pixels_per_degree))
    units = np.column_stack([ii.ravel()[inside], jj.ravel()[inside]])
    return mosaic, rf, units


def effective_receptive_field(
    model: Sequential,
    input_shape: int | tuple[int, ...],
    *,
    layer: int | None = None,
    channel: int = 0,
    x: np.ndarray | None = None,
    n_samples: int = 16,
    seed: int | None = 0,
) -> np.ndarray:
    """Gradient map of a layer's centre unit with respect to the input (Luo et al. 2016).

    The gradient is taken by :func:`unit_gradient`: in evaluation mode, with
    the model left as found (its training flags, accumulated parameter
    gradients and forward caches are untouched).

    Parameters
    ----------
    model : Sequential
        The network.
    input_shape : int, (H, W) or (C, H, W)
        Per-sample input shape (C defaults to the first layer's input channels).
    layer : int, optional
        Index into ``model.layers`` (negative counts from the end) of a layer
        with a spatial RF.  Default None: the last layer with a spatial RF
        (the last one before any Flatten/Dense).
    channel : int, optional
        Output channel of the unit.
    x : numpy.ndarray, shape (N, C, H, W), optional
        Inputs at which to take the gradient (it depends on them through
        ReLUs and max pooling); the map is averaged over the batch.  Default:
        ``n_samples`` images of seeded Gaussian white noise (Luo et al. 2016).
        For a linear network the map does not depend on ``x``.
    n_samples : int, optional
        Number of noise images when ``x`` is None.
    seed : int, numpy.random.Generator or None, optional
        Seed of the noise images.

    Returns
    -------
    numpy.ndarray, shape (H, W)
        ``d unit / d input`` summed over input channels and averaged over the
        inputs: the effective RF.

    Raises
    ------
    TypeError
        If ``model`` is not a Sequential, an index or ``n_samples`` is not an
        integer, ``seed`` is not a seed or ``x`` does not hold real numbers.
    ValueError
        If ``layer`` is out of range or has no spatial RF (the message names
        the layer), ``channel`` is out of range, ``n_samples`` < 1, or ``x``
        does not have the shape ``(N, *input_shape)`` or holds NaN or infinite
        values.
    MemoryBudgetError
        If a single sample's pass through the network would exceed the
        memory budget.

    Notes
    -----
    Memory stays constant whatever ``n_samples`` (or ``len(x)``): the samples
    are drawn and differentiated in chunks of at most
    ``cortex.correlation.CHUNK_BYTES["keep"]`` bytes of working memory, and
    the map is the mean over all of them (equal to the one-chunk result up to
    rounding).  The noise is drawn from one generator in order, so the
    samples are the same whatever the chunk size.
    """
    model = _check_model(model)
    shape = _input_shape(input_shape, model)
    layer = _last_spatial(model) if layer is None else _resolve_layer(model, layer, spatial=True)
    if x is None:
        n_samples = check_integer(n_samples, "n_samples", minimum=1)
        rng = as_rng(seed, "seed")
    else:
        x = _as_numeric(x, "x")
        if x.ndim != 4 or x.shape[1:] != shape:
            raise ValueError(
                f"`x` must have shape (N, {', '.join(map(str, shape))}) to match `input_shape`, "
                f"got {x.shape}"
            )
        if x.shape[0] == 0:
            raise ValueError(f"`x` must be a non-empty batch, got shape {x.shape}")
        n_samples = x.shape[0]
    _unit_site(model, layer, channel, None, shape)  # refuse a bad channel before any work
    dtype = _model_dtype(model)
    per_sample = _bytes_per_sample(model.layers[: layer + 1], shape, dtype)
    if x is None:
        per_sample += 8.0 * math.prod(shape)  # the float64 noise draw
    check_memory(
        per_sample,
        f"effective_receptive_field: one sample of shape {shape} through layers 0..{layer}",
    )
    chunk = max(1, int(CHUNK_BYTES["keep"] // per_sample))

    def inputs(start: int, stop: int) -> np.ndarray:
        if x is None:
            # Gaussian white noise, as Luo et al.: a zero input would switch off every ReLU
            # whose bias is <= 0 and send every max-pool gradient to the same tap; drawn in
            # order from one generator, the samples do not depend on the chunk size
            return rng.standard_normal((stop - start,) + shape).astype(dtype)
        return x[start:stop]

    if n_samples <= chunk:
        grad = unit_gradient(model, layer, channel, x=inputs(0, n_samples))
        return grad.sum(axis=1).mean(axis=0)
    total = np.zeros(shape[1:], dtype=np.float64)
    for start in range(0, n_samples, chunk):
        grad = unit_gradient(model, layer, channel, x=inputs(start, min(start + chunk, n_samples)))
        total += grad.sum(axis=1).sum(axis=0, dtype=np.float64)
    return (total / n_samples).astype(grad.dtype)
