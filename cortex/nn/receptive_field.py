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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_integer
from ..mosaic import Mosaic
from ..receptive_fields import Gaussian
from ..visual_field import VisualField
from .layers import Dense, Flatten
from .network import Sequential

__all__ = ["LayerRF", "effective_receptive_field", "receptive_field", "unit_tiling"]


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


def _spatial_index(layer: object, n_spatial: int) -> int:
    """A layer index among the spatial layers; negative counts from the last one."""
    index = check_integer(layer, "layer")
    if n_spatial == 0:
        raise ValueError(
            f"`layer` must index a spatial layer, but the model has none (got {index})"
        )
    resolved = index + n_spatial if index < 0 else index
    if not 0 <= resolved < n_spatial:
        raise ValueError(
            f"`layer` must index one of the {n_spatial} spatial layers "
            f"({-n_spatial}..{n_spatial - 1}), got {index}"
        )
    return resolved


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
    for index, layer in enumerate(model):
        if isinstance(layer, Flatten | Dense):
            break
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
        Index of a spatial layer.
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
    ValueError
        If ``layer`` is not a spatial layer of the model, or no unit is
        centred on the field.
    """
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {type(field).__name__}")
    geometry = receptive_field(model, field.shape)
    layer = _spatial_index(layer, len(geometry))
    info = geometry[layer]
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
    input_shape: tuple[int, int, int],
    *,
    layer: int = -1,
    channel: int = 0,
    x: np.ndarray | None = None,
    n_samples: int = 16,
    seed: int | None = 0,
) -> np.ndarray:
    """Gradient map of a layer's centre unit with respect to the input (Luo et al. 2016).

    Parameters
    ----------
    model : Sequential
        The network (its parameter gradients are left at zero).
    input_shape : (C, H, W)
        Per-sample input shape.
    layer : int, optional
        Index of a spatial layer (negative counts from the last spatial one).
    channel : int, optional
        Output channel of the unit.
    x : numpy.ndarray, shape (N, C, H, W), optional
        Inputs at which to take the gradient (it depends on them through
        ReLUs and max pooling); the map is averaged over the batch.  Default:
        ``n_samples`` images of seeded Gaussian white noise (Luo et al. 2016).
        For a linear network the map does not depend on ``x``.
    n_samples : int, optional
        Number of noise images when ``x`` is None.
    seed : int or None, optional
        Seed of the noise images.

    Returns
    -------
    numpy.ndarray, shape (H, W)
        ``d unit / d input`` summed over input channels: the effective RF.
    """
    model = _check_model(model)
    shape = _input_shape(input_shape, model)
    geometry = receptive_field(model, shape)
    layer = _spatial_index(layer, len(geometry))
    c_out, ho, wo = geometry[layer].output_shape
    channel = check_integer(channel, "channel", minimum=0)
    if channel >= c_out:
        raise ValueError(f"`channel` must be < {c_out}, got {channel}")
    dtype = (
        np.float64 if any(getattr(lyr, "dtype", "") == "float64" for lyr in model) else np.float32
    )
    if x is None:
        # Gaussian white noise, as Luo et al.: a zero input would switch off every ReLU
        # whose bias is <= 0 and send every max-pool gradient to the same tap
        n_samples = check_integer(n_samples, "n_samples", minimum=1)
        x = np.random.default_rng(seed).standard_normal((n_samples,) + shape).astype(dtype)
    was_training = [lyr.training for lyr in model]
    model.eval()
    try:
        h = x
        for lyr in model.layers[: layer + 1]:
            h = lyr.forward(h)
        grad = np.zeros_like(h)
        grad[:, channel, ho // 2, wo // 2] = 1.0
        for lyr in reversed(model.layers[: layer + 1]):
            grad = lyr.backward(grad)
    finally:
        model.zero_grad()
        for lyr, flag in zip(model, was_training, strict=True):
            lyr.training = flag
    return grad.sum(axis=1).mean(axis=0)
