"""Targets: the units an experiment probes, a population's neurons or a ConvNet unit.

:func:`as_unit` turns any target into a :class:`Unit`: a field, labels, a
``respond(images)`` function and a ``linear_map()`` giving the units' linear
RFs (:func:`linear_receptive_field`).  A ConvNet unit is probed in evaluation
mode and leaves its model exactly as found (see
:func:`cortex.nn.unit_gradient`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np

from .._validation import _describe, check_memory
from ..population import Population, connectivity_matrix, responses
from ..receptive_fields import ReceptiveField
from ..visual_field import VisualField
from ._common import check_labels, float_array, images_per_chunk

__all__ = ["Unit", "as_unit", "linear_receptive_field"]


@dataclass(frozen=True)
class Unit:
    """Units under study, whatever their origin: a population or a ConvNet unit.

    Build one with :func:`as_unit`; the experiments accept a target directly.

    Attributes
    ----------
    field : VisualField
        The field the stimuli are drawn on (the images' pixel grid).
    labels : tuple of str
        One label per unit.
    respond : callable
        ``respond(images)`` maps ``(N, H, W)`` contrast images to ``(N, n_units)``
        float64 responses.
    linear_map : callable
        ``linear_map()`` returns the units' linear RFs ``(n_units, H, W)``
        (see :func:`linear_receptive_field`).

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField`, ``labels`` is not a
        sequence of strings, or ``respond`` / ``linear_map`` is not callable.
    ValueError
        If ``labels`` is empty.
    """

    field: VisualField
    labels: tuple[str, ...]
    respond: Callable[[np.ndarray], np.ndarray] = dataclass_field(repr=False)
    linear_map: Callable[[], np.ndarray] = dataclass_field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.field, VisualField):
            raise TypeError(f"`field` must be a VisualField, got {_describe(self.field)}")
        object.__setattr__(self, "labels", check_labels(self.labels))
        for name in ("respond", "linear_map"):
            if not callable(getattr(self, name)):
                raise TypeError(f"`{name}` must be callable, got {_describe(getattr(self, name))}")

    @property
    def n_units(self) -> int:
        """Number of units."""
        return len(self.labels)

    def __call__(self, images: object) -> np.ndarray:
        """Responses ``(N, n_units)`` to images ``(N, H, W)``, computed in memory-bounded chunks.

        Raises
        ------
        TypeError
            If ``images`` is not numeric (booleans and strings are refused).
        ValueError
            If ``images`` is not ``(H, W)`` or ``(N, H, W)`` on the unit's field,
            is empty or holds NaN or infinite values.
        """
        images = float_array(images, "images", ndims=(2, 3))
        if images.ndim == 2:
            images = images[np.newaxis]
        if images.shape[1:] != self.field.shape:
            raise ValueError(
                f"`images` must have the field's shape {self.field.shape} in the last two "
                f"axes, got shape {images.shape[1:]}"
            )
        return self._chunked(images)

    def _chunked(self, images: np.ndarray) -> np.ndarray:
        """``respond`` over ``(N, H, W)`` float64 images in chunks of ``CHUNK_BYTES["images"]``."""
        step = images_per_chunk(images[0].size)
        parts = [self.respond(images[i : i + step]) for i in range(0, len(images), step)]
        return np.concatenate(parts, axis=0).astype(np.float64, copy=False)


def _is_model(obj: object) -> bool:
    from ..nn.network import Sequential  # local: cortex.nn imports the core, not analysis

    return isinstance(obj, Sequential)


def as_unit(
    target: object,
    *,
    field: VisualField | None = None,
    neurons: object = None,
    nonlinearity: object = "auto",
) -> Unit:
    """Normalise a target (population or ConvNet unit) into a :class:`Unit`.

    Parameters
    ----------
    target : Population, tuple
        The neurons (a population or an ``(rf, mosaic)`` pair) or a ConvNet
        unit ``(model, layer, channel)`` / ``(model, layer, channel, (row, col))``
        (see :mod:`cortex.analysis`): ``layer`` indexes ``model.layers``
        (negative counts from the end), the position defaults to the centre of
        the layer's map.
    field : VisualField, optional
        Required for a ConvNet unit: the visual field of the network's input
        (its ``shape`` is the input's ``(H, W)``).  For a population it must be
        omitted or equal the mosaic's field.
    neurons : int or sequence of int, optional
        For a population: which neurons (indices into its ``n_neurons``
        responses); default all.
    nonlinearity : "auto", None, str, callable or sequence, optional
        Applied to the responses.  ``"auto"``: ``"rectify"`` for a population
        (firing rates), nothing for a ConvNet unit (its layer's output as is).
        Otherwise as the ``nonlinearity`` of :func:`cortex.responses`.

    Returns
    -------
    Unit

    Raises
    ------
    TypeError
        If ``target`` is none of the accepted forms, ``field`` is not a
        :class:`~cortex.VisualField`, ``neurons`` is not an int or a 1-D
        sequence of ints (booleans are refused), or a layer, channel or
        position is not an integer (pair).
    ValueError
        If a neuron index, layer, channel or position is out of range (a
        position given for a feature-vector layer), ``neurons`` is empty,
        ``field`` is missing or does not match, or the network's input is not
        one channel.
    """
    if isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], ReceptiveField):
        target = Population(target[0], target[1])
    if isinstance(target, Population):
        return _population_unit(target, field, neurons, nonlinearity)
    if isinstance(target, tuple) and len(target) in (3, 4) and _is_model(target[0]):
        if neurons is not None:
            raise ValueError("`neurons` applies to populations; a ConvNet unit is one unit")
        return _convnet_unit(target, field, nonlinearity)
    raise TypeError(
        "`target` must be a Population, an (rf, mosaic) pair or a (model, layer, channel) "
        f"ConvNet unit, got {type(target).__name__}"
    )


def _population_unit(
    population: Population, field: object, neurons: object, nonlinearity: object
) -> Unit:
    if field is not None and not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField or None, got {_describe(field)}")
    if field is not None and field != population.mosaic.field:
        raise ValueError(
            f"`field` {field} differs from the population's field {population.mosaic.field}"
        )
    n = population.n_neurons
    if neurons is None:
        index = np.arange(n)
    else:
        try:
            index = np.atleast_1d(np.asarray(neurons))
        except (TypeError, ValueError):  # ragged
            index = np.array([None])
        if index.dtype.kind not in "iu" or index.ndim != 1:
            raise TypeError(
                f"`neurons` must be an int or a 1-D sequence of ints, got {_describe(neurons)}"
            )
        if index.size == 0:
            raise ValueError("`neurons` must pick at least one neuron, got an empty sequence")
        if index.min() < 0 or index.max() >= n:
            raise ValueError(
                f"`neurons` must be in [0, {n}), got values from {index.min()} to {index.max()}"
            )
    steps = "rectify" if isinstance(nonlinearity, str) and nonlinearity == "auto" else nonlinearity
    responses(population, np.zeros((1, *population.mosaic.field.shape)), nonlinearity=steps)

    def respond(images: np.ndarray) -> np.ndarray:
        return responses(population, images, nonlinearity=steps)[:, index]

    def linear_map() -> np.ndarray:
        if any(rf.is_energy for rf in population.types):
            raise ValueError(
                "energy (complex-cell) neurons have no linear RF: their response is "
                "even**2 + odd**2"
            )
        h, w = population.mosaic.field.shape
        check_memory(
            8.0 * len(index) * h * w,
            f"the dense linear RFs of {len(index)} neuron(s) on the {h}x{w} px field",
        )
        rows = connectivity_matrix(population)[index].toarray()
        return rows.reshape(len(index), *population.mosaic.field.shape)

    labels = tuple(f"neuron {i}" for i in index)
    return Unit(population.mosaic.field, labels, respond, linear_map)


def _convnet_unit(target: tuple, field: object, nonlinearity: object) -> Unit:
    from ..nn.layers import Conv2D, LocallyConnected2D
    from ..nn.receptive_field import _probing, _unit_site, unit_gradient
    from ..population import _resolve_nonlinearities

    model, layer, channel = target[:3]
    position = target[3] if len(target) == 4 else None
    if field is None:
        raise ValueError(
            "`field` is required for a ConvNet unit: the VisualField of the network's input"
        )
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {type(field).__name__}")
    layers = model.layers
    first = layers[0]
    if isinstance(first, Conv2D | LocallyConnected2D) and first.in_channels != 1:
        raise ValueError(
            f"the network's input has {first.in_channels} channels; stimuli are grey images "
            "(1 channel)"
        )
    dtype = np.float32 if getattr(first, "dtype", "float32") == "float32" else np.float64
    layer, site = _unit_site(model, layer, channel, position, (1, *field.shape))
    if len(site) == 3:
        position = site[1:]
        label = f"layer {layer} channel {site[0]} at ({site[1]}, {site[2]})"
    else:
        label = f"layer {layer} unit {site[0]}"
    steps = [] if isinstance(nonlinearity, str) and nonlinearity == "auto" else nonlinearity
    post = _resolve_nonlinearities(steps)

    def respond(images: np.ndarray) -> np.ndarray:
        x = images[:, np.newaxis].astype(dtype)
        with _probing(model, backward=False):  # evaluation mode; the model left as found
            for lay in layers[: layer + 1]:
                x = lay.forward(x)
        out = x[(slice(None), *site)].astype(np.float64)[:, np.newaxis]
        for step in post:
            out = step(out)
        return out

    def linear_map() -> np.ndarray:
        blank = np.zeros((1, 1, *field.shape), dtype=dtype)
        grad = unit_gradient(model, layer, site[0], position, x=blank)
        if not np.any(grad):
            warnings.warn(
                f"the linear RF of {label} is zero: the unit is silent at a blank image "
                "(e.g. rectified with no bias); use the layer before the rectification",
                RuntimeWarning,
                stacklevel=3,
            )
        return np.asarray(grad[0], dtype=np.float64)  # (1, H, W): one input channel

    return Unit(field, (label,), respond, linear_map)


def linear_receptive_field(
    target: object, *, field: VisualField | None = None, neurons: object = None
) -> np.ndarray:
    """The units' linear RFs as maps over the field: the reference a mapping should find.

    For a population this is the explicit local connectivity
    (:func:`cortex.connectivity_matrix`): each neuron's kernel placed at its
    centre.  For a ConvNet unit it is the gradient of the unit's output with
    respect to the input at a blank (zero-contrast) image
    (:func:`cortex.nn.unit_gradient`: evaluation mode, so dropout is off, and
    the model's training flags, gradients and caches are left as they were):
    the filter itself for a first-layer unit, the local linearisation deeper
    in the network.  A rectified unit that is silent at a blank image has a
    zero gradient there: ask for the layer before the rectification.

    Parameters
    ----------
    target, field, neurons
        As :func:`as_unit`.

    Returns
    -------
    numpy.ndarray, shape (n_units, H, W)
        Weights per pixel (responses per unit contrast).

    Raises
    ------
    TypeError, ValueError
        For a bad target (see :func:`as_unit`); ValueError for energy
        (complex-cell) neurons, which have no linear RF.
    cortex.MemoryBudgetError
        If the dense maps (``n_units x H x W`` float64) exceed the memory
        budget; checked before they are built.

    Warns
    -----
    RuntimeWarning
        If a ConvNet unit's linear RF is zero (silent at a blank image).
    """
    return as_unit(target, field=field, neurons=neurons).linear_map()
