"""Population responses: RF models on a mosaic, looking at images.

A :class:`Population` is one or more neuron *types* (RF models) whose RFs sit
at every site of a :class:`~cortex.Mosaic`: the biological reading of a
ConvNet layer, with one feature map per type.  Its linear stage is the
cross-correlation of each image with each RF kernel, read at the RF centres
(:func:`cortex.correlation.correlate_sampled`).  Neurons that share an RF size
(a mosaic scale) share one correlation.  Neuron ``j`` of the population is type
``j // n_sites`` at site ``j % n_sites``.

:func:`connectivity_matrix` builds the same linear stage as an explicit
``scipy.sparse`` matrix of local connections, ``(n_neurons, H * W)``, whose
row ``j`` holds neuron ``j``'s RF weights at its location: the literal
"locally connected neurons with shared weights".

Images are contrast images (0 = mean luminance) and are zero outside the
field, so RFs that hang over the border see zero there.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Union

import numpy as np
import scipy.sparse

from ._io import atomic_write
from ._schema import (
    build,
    check_scalars,
    json_keys,
    json_list,
    json_number,
    json_object,
    scalars_to_dict,
)
from ._validation import (
    MemoryBudgetError,
    _describe,
    as_float_array,
    budget_chunk,
    check_choice,
    check_finite,
    check_integer,
    check_memory,
    check_positive,
    check_range,
    format_bytes,
)
from .correlation import METHODS, _correlate
from .mosaic import Mosaic, _build_mosaic, _check_mosaic_dict
from .receptive_fields import (
    _KERNEL_BYTES_PER_PIXEL,
    ReceptiveField,
    _check_n_sigma,
    _check_rf_dict,
    contour_radius,
)
from .visual_field import VisualField

__all__ = [
    "DivisiveNormalization",
    "HalfSquare",
    "NakaRushton",
    "Population",
    "Rectify",
    "connectivity_matrix",
    "linear_responses",
    "load_population",
    "responses",
    "save_population",
]

#: The format of :meth:`Population.to_dict` (and of the files of :func:`save_population`).
POPULATION_FORMAT = "cortex.population/1"


# -- static nonlinearities ---------------------------------------------------
#: the largest exponent of NakaRushton and DivisiveNormalization: measured exponents
#: are about 1-5 in V1, and 100 is already a step function.
_MAX_EXPONENT = 100.0


def _as_drive(x: object) -> np.ndarray:
    """The input of a nonlinearity: a finite real array (float32 kept), empty allowed."""
    return as_float_array(x, "x", allow_empty=True)


def _finite_result(out: np.ndarray, x: np.ndarray, what: str) -> np.ndarray:
    """Refuse a nonlinearity's result that overflowed (ValueError naming ``x``)."""
    if not np.all(np.isfinite(out)):
        largest = float(np.max(np.abs(x))) if x.size else 0.0
        raise ValueError(
            f"`x` is too large for {what}: the result overflows {out.dtype} "
            f"(largest |x| = {largest:g})"
        )
    return out


def _check_exponent(value: object) -> float:
    exponent = check_positive(value, "exponent")
    return check_range(exponent, "exponent", 0.0, _MAX_EXPONENT, low_open=True)


class _Nonlinearity:
    """Base of the built-in static nonlinearities: their conversion to and from plain data."""

    def to_dict(self) -> dict[str, Any]:
        """The nonlinearity as plain data: ``{"type": "NakaRushton", "c50": 0.1, ...}``.

        Returns
        -------
        dict
            JSON-compatible: ``"type"`` (the class name) and every parameter.
            :meth:`from_dict` rebuilds an equal nonlinearity, bit for bit.

        Raises
        ------
        TypeError
            If the object is a subclass of a built-in nonlinearity (its own
            parameters would be lost).

        Examples
        --------
        >>> from cortex import NakaRushton
        >>> NakaRushton(c50=0.1).to_dict()
        {'type': 'NakaRushton', 'c50': 0.1, 'exponent': 2.0, 'r_max': 1.0}
        """
        name = type(self).__name__
        if _NONLINEARITIES.get(name) is not type(self):
            raise TypeError(
                f"{name} cannot be written as plain data: only the nonlinearities "
                f"{', '.join(_NONLINEARITIES)} can"
            )
        return scalars_to_dict(self, name)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> _Nonlinearity:
        """Rebuild a nonlinearity from :meth:`to_dict`'s plain data.

        Parameters
        ----------
        d : dict
            ``{"type": name, parameter: number, ...}`` (parameters with
            defaults may be left out).  ``NakaRushton.from_dict`` (etc.)
            accepts only its own type.

        Returns
        -------
        Rectify, HalfSquare, NakaRushton or DivisiveNormalization
            The nonlinearity.

        Raises
        ------
        TypeError
            If ``d`` is not a dict or a value is not a number (booleans and
            strings are refused); the message names the key, e.g.
            ``nonlinearity.c50``.
        ValueError
            If ``"type"`` is wrong, a key is missing or unknown, a number is
            NaN or infinite, or the constructor refuses a value.
        """
        models = {name: c for name, c in _NONLINEARITIES.items() if issubclass(c, cls)}
        name, kwargs = check_scalars(d, "nonlinearity", cls, models, what="a static nonlinearity")
        return build(models[name], kwargs, "nonlinearity")


@dataclass(frozen=True)
class Rectify(_Nonlinearity):
    """Half-wave rectification: ``max(x - threshold, 0)``.

    Parameters
    ----------
    threshold : float, optional
        Response threshold (same units as the linear response).

    Raises
    ------
    TypeError
        If ``threshold`` is not a real number (booleans are refused).
    ValueError
        If ``threshold`` is NaN or infinite.
    """

    threshold: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_finite(self.threshold, "threshold"))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Apply to responses ``(N, n_neurons)``.

        Raises
        ------
        TypeError
            If ``x`` is not numeric.
        ValueError
            If ``x`` holds NaN or infinite values, or ``x - threshold``
            overflows.
        """
        x = _as_drive(x)
        with np.errstate(over="ignore"):
            out = np.maximum(x - self.threshold, 0.0)
        return _finite_result(out, x, "Rectify")


@dataclass(frozen=True)
class HalfSquare(_Nonlinearity):
    """Half-squaring: ``max(x - threshold, 0) ** 2`` (Heeger 1992).

    Parameters
    ----------
    threshold : float, optional
        Response threshold.

    Raises
    ------
    TypeError
        If ``threshold`` is not a real number (booleans are refused).
    ValueError
        If ``threshold`` is NaN or infinite.
    """

    threshold: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_finite(self.threshold, "threshold"))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Apply to responses ``(N, n_neurons)``.

        Raises
        ------
        TypeError
            If ``x`` is not numeric.
        ValueError
            If ``x`` holds NaN or infinite values, or the square overflows
            (``|x - threshold|`` above about ``1e154`` in float64).
        """
        x = _as_drive(x)
        with np.errstate(over="ignore"):
            out = np.maximum(x - self.threshold, 0.0) ** 2
        return _finite_result(out, x, "HalfSquare")


@dataclass(frozen=True)
class NakaRushton(_Nonlinearity):
    """Contrast saturation: ``r_max * x^n / (x^n + c50^n)`` for ``x >= 0`` (0 below).

    Computed with a ratio ``<= 1`` raised to the power ``n`` (``(x / c50)^n``
    below ``c50``, ``(c50 / x)^n`` above), which neither overflows nor
    divides 0 by 0 for any finite input: the response is always in
    ``[0, r_max]``.

    Parameters
    ----------
    c50 : float
        Semi-saturation input (response is ``r_max / 2`` there), > 0.
    exponent : float, optional
        ``n``, in ``(0, 100]`` (measured exponents are about 1-5; 100 is
        already a step at ``c50``).
    r_max : float, optional
        Saturated response, > 0.

    Raises
    ------
    TypeError
        If a parameter is not a real number (booleans are refused).
    ValueError
        If a parameter is not finite and > 0, or ``exponent`` exceeds 100.
    """

    c50: float
    exponent: float = 2.0
    r_max: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "c50", check_positive(self.c50, "c50"))
        object.__setattr__(self, "exponent", _check_exponent(self.exponent))
        object.__setattr__(self, "r_max", check_positive(self.r_max, "r_max"))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Apply to responses ``(N, n_neurons)``.

        Raises
        ------
        TypeError
            If ``x`` is not numeric.
        ValueError
            If ``x`` holds NaN or infinite values.
        """
        x = _as_drive(x)
        positive = np.maximum(x, 0.0)
        with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
            # each branch raises a ratio <= 1 to the power n: nothing overflows, and what
            # underflows is the true (tiny) value; the other branch's values are not used
            below = (positive / self.c50) ** self.exponent  # x < c50
            above = (self.c50 / positive) ** self.exponent  # x >= c50
            out = np.where(positive < self.c50, below / (1.0 + below), 1.0 / (1.0 + above))
        return self.r_max * out


@dataclass(frozen=True)
class DivisiveNormalization(_Nonlinearity):
    """Divisive normalisation over the population (Carandini & Heeger 2012).

    ``r_j = r_max * x_j^n / (sigma^n + mean_k x_k^n)`` with ``x = max(x, 0)``
    and the mean over all neurons of the population, per image.  Every term
    is divided by ``m^n``, ``m = max(sigma, max_k x_k)``, first, so nothing
    overflows or underflows to ``0 / 0``.

    Parameters
    ----------
    sigma : float
        Semi-saturation constant, > 0.
    exponent : float, optional
        ``n``, in ``(0, 100]``.
    r_max : float, optional
        Gain, > 0.

    Raises
    ------
    TypeError
        If a parameter is not a real number (booleans are refused).
    ValueError
        If a parameter is not finite and > 0, or ``exponent`` exceeds 100.
    """

    sigma: float
    exponent: float = 2.0
    r_max: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", check_positive(self.sigma, "sigma"))
        object.__setattr__(self, "exponent", _check_exponent(self.exponent))
        object.__setattr__(self, "r_max", check_positive(self.r_max, "r_max"))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Apply to responses ``(N, n_neurons)`` (or one image's ``(n_neurons,)``).

        Raises
        ------
        TypeError
            If ``x`` is not numeric.
        ValueError
            If ``x`` is not at least 1-D, holds NaN or infinite values, or the
            result overflows (``r_max`` times the number of neurons above the
            float range).
        """
        x = _as_drive(x)
        if x.ndim == 0:
            raise ValueError("`x` must be at least 1-D (responses of a population), got a scalar")
        if x.shape[-1] == 0:
            return np.zeros_like(x)
        positive = np.maximum(x, 0.0)
        scale = np.maximum(positive.max(axis=-1, keepdims=True), self.sigma)
        with np.errstate(under="ignore", over="ignore"):
            xn = (positive / scale) ** self.exponent
            pool = (self.sigma / scale) ** self.exponent + xn.mean(axis=-1, keepdims=True)
            out = self.r_max * xn / pool
        return _finite_result(out, x, "DivisiveNormalization")


Nonlinearity = Union[str, Callable[[np.ndarray], np.ndarray]]  # noqa: UP007
_NONLINEARITIES: dict[str, type[_Nonlinearity]] = {
    cls.__name__: cls for cls in (Rectify, HalfSquare, NakaRushton, DivisiveNormalization)
}
_NAMED = {"rectify": Rectify, "half-square": HalfSquare}


def _resolve_nonlinearities(nonlinearity: object) -> list[Callable[[np.ndarray], np.ndarray]]:
    if nonlinearity is None:
        return []
    items = list(nonlinearity) if isinstance(nonlinearity, list | tuple) else [nonlinearity]
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(_NAMED[check_choice(item, "nonlinearity", tuple(_NAMED))]())
        elif isinstance(item, type):
            raise TypeError(
                f"`nonlinearity` must be an instance, got the class {item.__name__}; "
                f"use {item.__name__}(...)"
            )
        elif callable(item):
            out.append(item)
        else:
            raise TypeError(
                "`nonlinearity` must be None, 'rectify', 'half-square', a nonlinearity object "
                f"or a sequence of them, got {type(item).__name__}"
            )
    return out


# -- populations -------------------------------------------------------------
@dataclass(frozen=True)
class _Group:
    """Sites sharing one RF scale: each type has one kernel for all of them.

    Attributes
    ----------
    sites : numpy.ndarray of int
        Indices into the mosaic's sites, ascending.
    rows, cols : numpy.ndarray of int
        Their centre pixels.
    kernels : tuple of numpy.ndarray
        One kernel per type at this scale (complex for an energy type); types
        may have kernels of different sizes.
    """

    sites: np.ndarray  # indices into the mosaic's sites
    rows: np.ndarray
    cols: np.ndarray
    kernels: tuple[np.ndarray, ...]  # one (complex or real) kernel per type


@dataclass(frozen=True, eq=False)
class Population:
    """Neurons of one or more RF types at every site of a mosaic.

    Parameters
    ----------
    rf : ReceptiveField or sequence of ReceptiveField
        The RF model of each neuron type at scale 1 (a bank: e.g. Gabors at
        several orientations).  Each neuron's RF is its type's model scaled
        by its site's ``mosaic.scales``.
    mosaic : Mosaic
        The RF centres (shared by all types).
    n_sigma : float, optional
        Kernels cover each RF to ``n_sigma`` times its largest sigma, in
        ``(0, 100]``.
    level : {"sigma", "half-max"} or float, optional
        The RF contour that should tile the field; a regular lattice whose
        spacing leaves gaps at this contour gets a warning.

    Attributes
    ----------
    types : tuple of ReceptiveField
        The RF model of each type, in the order given (``rf`` as a tuple).
    n_sigma : float
        Kernel support: each neuron's kernel reaches ``n_sigma`` times its
        RF's largest sigma (:attr:`~cortex.ReceptiveField.support_sigma`,
        after its site's scale) from the centre pixel, so a larger RF has a
        larger kernel.  It changes the responses only through the truncation.
    level : str or float
        The contour used by the construction-time gap check (and by
        :func:`cortex.plotting.plot_mosaic` when asked); it does not change
        the responses.
    groups : tuple of _Group
        The mosaic's sites grouped by scale (one group per distinct value of
        ``mosaic.scales``), each with its site indices, their pixel rows and
        columns, and one kernel per type at that scale.  Computed once, on
        first use; the responses run one correlation per group and kernel
        shape.

    Notes
    -----
    **Neuron order.**  Responses, :attr:`centers`, :attr:`neuron_type` and the
    rows of :func:`connectivity_matrix` list the neurons type by type: neuron
    ``j`` is type ``j // n_sites`` (an index into :attr:`types`) at mosaic
    site ``j % n_sites`` (a row of ``mosaic.centers``).  So
    ``r.reshape(N, n_types, n_sites)`` gives one map of sites per type, and
    ``r[:, t * n_sites + i]`` is type ``t`` at site ``i``.  A
    :class:`~cortex.ComplexCell` type is one neuron per site (its quadrature
    pair is squared and summed), not two.

    Raises
    ------
    TypeError
        If ``rf`` is neither a ReceptiveField nor a sequence of them (None
        and strings are refused), ``mosaic`` is not a Mosaic, or ``n_sigma``
        or ``level`` has the wrong type.
    ValueError
        If ``rf`` is empty, ``n_sigma`` is not in ``(0, 100]``, ``level`` is
        invalid, the mosaic's scales take an RF model out of its range (see
        :class:`~cortex.Gaussian`), or a kernel is larger than the field.
    cortex.MemoryBudgetError
        If the kernels (one per type and distinct RF size) would exceed
        :func:`cortex.memory_budget`.

    Warns
    -----
    UserWarning
        If the RFs leave gaps between lattice sites (coverage below 1).

    Examples
    --------
    >>> from cortex import DifferenceOfGaussians, Mosaic, Population, VisualField
    >>> field = VisualField(4.0, 4.0, pixels_per_degree=16)
    >>> mosaic = Mosaic.from_lattice(field, spacing=0.25)
    >>> pop = Population(DifferenceOfGaussians(0.15, 0.45), mosaic)
    >>> pop.n_neurons == mosaic.n_neurons
    True
    """

    rf: ReceptiveField | Sequence[ReceptiveField]
    mosaic: Mosaic
    n_sigma: float = 3.0
    level: str | float = "half-max"

    def __post_init__(self) -> None:
        if isinstance(self.rf, ReceptiveField):
            types = (self.rf,)
        elif isinstance(self.rf, str | bytes) or not isinstance(self.rf, Iterable):
            raise TypeError(
                f"`rf` must be a ReceptiveField or a sequence of them, got {_describe(self.rf)}"
            )
        else:
            types = tuple(self.rf)
        if not types:
            raise ValueError("`rf` must hold at least one ReceptiveField, got an empty sequence")
        for i, rf in enumerate(types):
            if not isinstance(rf, ReceptiveField):
                raise TypeError(f"`rf[{i}]` must be a ReceptiveField, got {type(rf).__name__}")
        if not isinstance(self.mosaic, Mosaic):
            raise TypeError(f"`mosaic` must be a Mosaic, got {type(self.mosaic).__name__}")
        object.__setattr__(self, "n_sigma", _check_n_sigma(self.n_sigma))
        object.__setattr__(self, "_types", types)
        field = self.mosaic.field
        ppd = field.pixels_per_degree
        lo, hi = float(self.mosaic.scales.min()), float(self.mosaic.scales.max())
        for i, rf in enumerate(types):
            for scale in (lo, hi):
                try:
                    rf.scaled(scale)
                except ValueError as exc:
                    raise ValueError(
                        f"`mosaic.scales` (from {lo:g} to {hi:g}) take `rf[{i}]` out of its "
                        f"range: {exc}"
                    ) from None
        biggest = max(types, key=lambda r: r.support_sigma).scaled(hi)
        side = 2 * biggest.kernel_radius(ppd, self.n_sigma) + 1
        rows, cols = field.shape
        if side > rows or side > cols:
            raise ValueError(
                f"the largest RF kernel is {side}x{side} pixels ({self.n_sigma:g} sigma of "
                f"{biggest.support_sigma:.4g} deg at {ppd:g} px/deg), larger than the field "
                f"({rows}x{cols} pixels); use a larger field, smaller RFs or a smaller `n_sigma`"
            )
        contour_radius(self.level)  # validates `level` for every mosaic
        self._check_kernel_memory()
        for rf in types:
            if self.mosaic.check_gaps(rf, self.level, stacklevel=4):
                break

    # -- plain data ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The population as plain data (JSON-compatible), for :meth:`from_dict`.

        Returns
        -------
        dict
            Only dicts, lists, strings, floats and None (see Notes); every
            float is the population's own, so :meth:`from_dict` rebuilds it
            bit for bit, also through :func:`json.dumps` /
            :func:`json.loads` (which write and read floats exactly).

        Raises
        ------
        TypeError
            If an RF type is not one of cortex's models (a subclass of one
            included): ``population.rf[i]`` is named.

        See Also
        --------
        save_population : Write it to a JSON file, atomically.

        Notes
        -----
        The layout (format ``"cortex.population/1"``)::

            {"format": "cortex.population/1",
             "type": "Population",
             "rf": {"type": "Gaussian", "sigma": 0.25, "amplitude": 1.0},
             "mosaic": {"type": "Mosaic",
                        "field": {"type": "VisualField", "width": 2.0,
                                  "height": 2.0, "pixels_per_degree": 10.0},
                        "centers": [[-0.8, 0.8], [-0.4, 0.8], ...],
                        "scales": [1.0, 1.0, ...],
                        "lattice": "square", "spacing": 0.4, "jitter": 0.0},
             "n_sigma": 3.0,
             "level": "half-max"}

        ``"rf"`` is one model's dict when the population was built from one
        model, else a list of them (one per type, in order); the models are
        those of :meth:`ReceptiveField.to_dict`.  ``"centers"`` lists the
        ``[x, y]`` pairs (degrees) in site order and ``"scales"`` one factor
        per site.  The ``"spacing"`` of custom centres (``nan``) is ``null``:
        JSON has no NaN.  ``"level"`` is a string or a number.  Response
        nonlinearities are not part of a population (they are an argument of
        :func:`responses`); each has its own ``to_dict``.

        Examples
        --------
        >>> import json
        >>> from cortex import Gaussian, Mosaic, Population, VisualField
        >>> field = VisualField(2.0, 2.0, pixels_per_degree=10)
        >>> pop = Population(Gaussian(0.25), Mosaic.from_lattice(field, 0.4, "square"))
        >>> d = pop.to_dict()
        >>> d["format"], d["type"], d["rf"]
        ('cortex.population/1', 'Population', {'type': 'Gaussian', 'sigma': 0.25, 'amplitude': 1.0})
        >>> d["mosaic"]["centers"][:2], d["mosaic"]["spacing"]
        ([[-0.8, 0.8], [-0.4, 0.8]], 0.4)
        >>> text = json.dumps(d)  # plain JSON
        """
        if isinstance(self.rf, ReceptiveField):
            rf: Any = _rf_to_dict(self.rf, "population.rf")
        else:
            rf = [_rf_to_dict(t, f"population.rf[{i}]") for i, t in enumerate(self.types)]
        return {
            "format": POPULATION_FORMAT,
            "type": "Population",
            "rf": rf,
            "mosaic": self.mosaic.to_dict(),
            "n_sigma": float(self.n_sigma),
            "level": self.level if isinstance(self.level, str) else float(self.level),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Population:
        """Rebuild a population from :meth:`to_dict`'s plain data.

        The whole dict is checked against the schema first (format, known
        ``"type"`` names, required and known keys, value types, the shapes of
        the centres and scales); the sizes of the arrays are checked against
        :func:`cortex.memory_budget`; only then is anything built, and the
        constructors apply their own range checks.

        Parameters
        ----------
        d : dict
            The layout of :meth:`to_dict`.  ``"n_sigma"`` and ``"level"`` may
            be left out (defaults 3 and ``"half-max"``), as may the mosaic's
            ``"scales"``, ``"lattice"``, ``"spacing"`` and ``"jitter"`` and
            the RF parameters that have defaults.

        Returns
        -------
        Population
            The population: same field, RF models, centres and scales, bit for
            bit, so the same responses.

        Raises
        ------
        TypeError
            If ``d`` or a part of it is not a dict or list where one is
            expected, or a value has the wrong type (booleans and strings are
            not numbers); the message names the key path, e.g.
            ``population.mosaic.field.width``.
        ValueError
            If ``"format"`` is not ``"cortex.population/1"``, a ``"type"`` is
            unknown, a key is missing or unknown, a number is NaN or
            infinite, the centres are not a non-empty list of ``[x, y]``
            pairs, the scales not one number per centre, or a constructor
            refuses a value; the message names the key path, e.g.
            ``"`population.mosaic.centers` must be a list of [x, y] pairs,
            got ..."``.
        cortex.MemoryBudgetError
            If the mosaic's arrays (checked before they are built) or the
            population's kernels would exceed :func:`cortex.memory_budget`.

        Warns
        -----
        UserWarning
            As the constructor (RFs leaving gaps in a regular lattice).

        Examples
        --------
        >>> import json
        >>> import numpy as np
        >>> from cortex import Gaussian, Mosaic, Population, VisualField
        >>> field = VisualField(2.0, 2.0, pixels_per_degree=10)
        >>> pop = Population(Gaussian(0.25), Mosaic.from_lattice(field, 0.4, "square"))
        >>> copy = Population.from_dict(json.loads(json.dumps(pop.to_dict())))
        >>> image = np.random.default_rng(0).standard_normal(field.shape)
        >>> bool(np.array_equal(copy.responses(image), pop.responses(image)))
        True
        >>> Population.from_dict({**pop.to_dict(), "n_sigma": True})
        Traceback (most recent call last):
            ...
        TypeError: `population.n_sigma` must be a number, got True (type bool)
        """
        return _build_population(cls, _check_population_dict(d, "population"), "population")

    def _check_kernel_memory(self) -> None:
        """Refuse a population whose kernels (per type and RF size) exceed the budget."""
        ppd = self.field.pixels_per_degree
        sizes = np.unique(self.mosaic.scales)
        total, largest = 0.0, 0.0
        for rf in self.types:
            support = self.n_sigma * (rf.support_sigma * sizes) * ppd
            sides = 2.0 * np.ceil(support - 1e-9) + 1.0
            per_pixel = 16.0 if rf.is_energy else 8.0
            total += per_pixel * float(np.sum(sides**2))
            working = _KERNEL_BYTES_PER_PIXEL[rf.is_energy] * float(sides.max()) ** 2
            largest = max(largest, working)
        side = int(max(2 * rf.kernel_radius(ppd, self.n_sigma) + 1 for rf in self.types))
        check_memory(
            total + largest,
            f"the RF kernels of the population ({len(self.types)} type(s) x {sizes.size} RF "
            f"size(s), kernels up to {side}x{side} px at scale 1)",
        )

    @property
    def types(self) -> tuple[ReceptiveField, ...]:
        """The RF model of each neuron type."""
        return self._types  # type: ignore[attr-defined]

    @property
    def field(self) -> VisualField:
        """The mosaic's :class:`~cortex.VisualField`."""
        return self.mosaic.field

    @property
    def n_types(self) -> int:
        """Number of neuron types."""
        return len(self.types)

    @property
    def n_sites(self) -> int:
        """Number of mosaic sites."""
        return self.mosaic.n_neurons

    @property
    def n_neurons(self) -> int:
        """``n_types * n_sites``."""
        return self.n_types * self.n_sites

    @property
    def is_energy(self) -> bool:
        """Whether any type is an energy (quadrature-pair) model."""
        return any(rf.is_energy for rf in self.types)

    @property
    def neuron_type(self) -> np.ndarray:
        """Type index of each neuron, ``(n_neurons,)``."""
        return np.repeat(np.arange(self.n_types), self.n_sites)

    @property
    def centers(self) -> np.ndarray:
        """RF centre of each neuron in degrees, ``(n_neurons, 2)``."""
        return np.tile(self.mosaic.centers, (self.n_types, 1))

    def kernels(self, site: int = 0) -> list[np.ndarray]:
        """The RF kernel of each type at one site (its scale applied).

        Parameters
        ----------
        site : int, optional
            Mosaic site index, ``-n_sites <= site < n_sites``.

        Returns
        -------
        list of numpy.ndarray
            One odd-sided kernel per type.

        Raises
        ------
        TypeError
            If ``site`` is not an integer (booleans are refused).
        ValueError
            If ``site`` is out of range.
        """
        site = check_integer(site, "site")
        if not -self.n_sites <= site < self.n_sites:
            raise ValueError(
                f"`site` must be in [{-self.n_sites}, {self.n_sites}) for a mosaic of "
                f"{self.n_sites} sites, got {site}"
            )
        scale = float(self.mosaic.scales[site])
        ppd = self.field.pixels_per_degree
        return [rf.scaled(scale).kernel(ppd, n_sigma=self.n_sigma) for rf in self.types]

    @cached_property
    def groups(self) -> tuple[_Group, ...]:
        """Sites grouped by RF size, with each type's kernel at that size."""
        rows, cols = self.mosaic.pixel_centers
        ppd = self.field.pixels_per_degree
        out = []
        unique, inverse = np.unique(self.mosaic.scales, return_inverse=True)
        for g, scale in enumerate(unique):
            sites = np.flatnonzero(inverse == g)
            kernels = tuple(
                rf.scaled(float(scale)).kernel(ppd, n_sigma=self.n_sigma) for rf in self.types
            )
            out.append(_Group(sites, rows[sites], cols[sites], kernels))
        return tuple(out)

    def linear_responses(self, images: object, *, method: str = "auto") -> np.ndarray:
        """See :func:`linear_responses`."""
        return linear_responses(self, images, method=method)

    def responses(
        self, images: object, *, method: str = "auto", nonlinearity: object = None
    ) -> np.ndarray:
        """See :func:`responses`."""
        return responses(self, images, method=method, nonlinearity=nonlinearity)


def _rf_to_dict(rf: ReceptiveField, where: str) -> dict[str, Any]:
    try:
        return rf.to_dict()
    except TypeError as exc:
        raise TypeError(f"`{where}`: {exc}") from None


def _check_population_dict(d: object, where: str) -> dict[str, Any]:
    """Check a population's plain data against the schema, memory included; nothing built.

    Returns the plan of :func:`_build_population`: ``rf`` (``(class,
    kwargs)`` or a list of them), ``mosaic`` (checked keyword arguments) and
    the optional ``n_sigma`` and ``level``.
    """
    if not isinstance(d, Mapping):
        raise TypeError(
            f"`{where}` must be a dict (a JSON object) describing a Population, got {_describe(d)}"
        )
    if "format" not in d:
        raise ValueError(
            f"`{where}.format` is missing: a population's plain data holds "
            f'"format": "{POPULATION_FORMAT}"'
        )
    version = d["format"]
    if not isinstance(version, str):
        raise TypeError(f"`{where}.format` must be a string, got {_describe(version)}")
    if version != POPULATION_FORMAT:
        raise ValueError(
            f"`{where}.format` must be {POPULATION_FORMAT!r} (the format this version of cortex "
            f"reads), got {version!r}"
        )
    json_object(d, where, ("Population",), "a Population")
    json_keys(
        d, where, "Population", ("rf", "mosaic"), ("n_sigma", "level"), header=("format", "type")
    )
    plan: dict[str, Any] = {}
    rf = d["rf"]
    if isinstance(rf, Mapping):
        plan["rf"] = _check_rf_dict(rf, f"{where}.rf")
    else:
        items = json_list(rf, f"{where}.rf", "an RF model (a dict) or a list of them")
        if not items:
            raise ValueError(f"`{where}.rf` must hold at least one RF model, got an empty list")
        plan["rf"] = [_check_rf_dict(item, f"{where}.rf[{i}]") for i, item in enumerate(items)]
    if "n_sigma" in d:
        plan["n_sigma"] = json_number(d["n_sigma"], f"{where}.n_sigma")
    if "level" in d:
        level = d["level"]
        if isinstance(level, str):
            plan["level"] = level
        else:
            try:
                plan["level"] = json_number(level, f"{where}.level")
            except TypeError:
                raise TypeError(
                    f"`{where}.level` must be a string or a number, got {_describe(level)}"
                ) from None
    plan["mosaic"] = _check_mosaic_dict(d["mosaic"], f"{where}.mosaic")
    return plan


def _build_population(cls: type[Population], plan: dict[str, Any], where: str) -> Population:
    """Build the population :func:`_check_population_dict` checked, errors naming key paths."""
    if isinstance(plan["rf"], tuple):
        model, kwargs = plan["rf"]
        rf: Any = build(model, kwargs, f"{where}.rf")
    else:
        rf = tuple(
            build(model, kwargs, f"{where}.rf[{i}]")
            for i, (model, kwargs) in enumerate(plan["rf"])
        )
    mosaic = _build_mosaic(plan["mosaic"], f"{where}.mosaic")
    return build(cls, {**plan, "rf": rf, "mosaic": mosaic}, where)


# -- files -------------------------------------------------------------------------------
#: bytes of memory per byte of a population file that reading it holds at once: the file's
#: bytes and text, and the Python objects JSON parsing makes (a float is 24 bytes, a pair
#: of them in a list about 120 for some 40 characters of text).
_JSON_BYTES_PER_CHAR = 8


def _check_path(path: object) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be a str or path-like, got {_describe(path)}")
    return Path(path)


def _json_text(value: object, indent: int = 0) -> str:
    """JSON of plain data, indented, with each list of numbers (or of pairs) kept compact."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {_json_text(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}" if items else "{}"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        items = [inner + _json_text(v, indent + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        rows = [inner + json.dumps(row, allow_nan=False) for row in value]  # one pair a line
        return "[\n" + ",\n".join(rows) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


def save_population(population: Population, path: str | os.PathLike) -> Path:
    """Write a population to a JSON file (:meth:`Population.to_dict`), atomically.

    Parameters
    ----------
    population : Population
        The neurons.
    path : str or path-like
        Destination (conventionally ``.json``; used as given).  The text is
        written to a temporary file in the same directory and renamed over
        ``path``, so a failed or killed write leaves any old file as it was.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``population`` is not a Population, ``path`` not a path, or an RF
        type cannot be written (see :meth:`Population.to_dict`).
    OSError
        If the file cannot be written (:class:`FileNotFoundError` for a
        missing directory, no permission, disk full...); the message names
        ``path``.

    See Also
    --------
    load_population : Read it back.

    Examples
    --------
    >>> import json, os, tempfile
    >>> from cortex import (
    ...     Gaussian, Mosaic, Population, VisualField, load_population, save_population
    ... )
    >>> field = VisualField(2.0, 2.0, pixels_per_degree=10)
    >>> pop = Population(Gaussian(0.25), Mosaic.from_lattice(field, 0.4, "square"))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_population(pop, os.path.join(tmp, "pop.json"))
    ...     with open(path) as f:
    ...         plain = json.load(f)  # a plain JSON file
    ...     copy = load_population(path)
    >>> plain["format"], copy.n_neurons == pop.n_neurons
    ('cortex.population/1', True)
    """
    population = _check_population(population)
    path = _check_path(path)
    data = (_json_text(population.to_dict()) + "\n").encode("utf-8")
    atomic_write(path, lambda handle: handle.write(data))
    return path


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not plain JSON (JSON has no NaN or infinity)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def load_population(path: str | os.PathLike) -> Population:
    """Read a population written by :func:`save_population` (or any such JSON file).

    The file's size is checked against :func:`cortex.memory_budget` before
    it is read, its JSON against the schema of :meth:`Population.from_dict`
    before anything is built.

    Parameters
    ----------
    path : str or path-like
        The JSON file.

    Returns
    -------
    Population
        The population, equal bit for bit to the one saved.

    Raises
    ------
    TypeError
        If ``path`` is not a path.
    FileNotFoundError
        If the file does not exist (:class:`IsADirectoryError` for a
        directory).
    ValueError
        If the file is not UTF-8 JSON (NaN and infinities, which JSON does not
        have, and repeated keys are refused), or its content fails
        :meth:`Population.from_dict`: the message names the file and the key
        path, e.g. ``population.mosaic.centers``.
    cortex.MemoryBudgetError
        If reading the file or building the population would exceed
        :func:`cortex.memory_budget` (a ValueError too; the message names the
        file).

    Warns
    -----
    UserWarning
        As :class:`Population` (RFs leaving gaps in a regular lattice).

    See Also
    --------
    save_population : Write one.

    Examples
    --------
    >>> import os, tempfile
    >>> from cortex import (
    ...     Gabor, Mosaic, Population, VisualField, load_population, save_population
    ... )
    >>> field = VisualField(3.0, 3.0, pixels_per_degree=16)
    >>> bank = [Gabor(2.0, orientation=angle) for angle in (0.0, 90.0)]
    >>> pop = Population(bank, Mosaic.from_lattice(field, 0.25, "jittered", seed=1))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     copy = load_population(save_population(pop, os.path.join(tmp, "v1.json")))
    >>> copy.types == pop.types, bool((copy.mosaic.centers == pop.mosaic.centers).all())
    (True, True)
    """
    path = _check_path(path)
    where = repr(str(path))
    if path.is_dir():
        raise IsADirectoryError(f"`path` {where} is a directory, not a population file")
    if not path.exists():
        raise FileNotFoundError(f"`path` {where} does not exist")
    size = path.stat().st_size
    check_memory(
        _JSON_BYTES_PER_CHAR * float(size),
        f"reading the population file {where} ({format_bytes(size)})",
    )
    try:
        text = path.read_bytes().decode("utf-8")
        content = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError too
        raise ValueError(
            f"{where} is not a cortex population file: not plain UTF-8 JSON ({exc})"
        ) from None
    try:
        return Population.from_dict(content)
    except MemoryBudgetError as exc:
        raise MemoryBudgetError(f"{where}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} is not a valid cortex population file: {exc}") from None


def _check_population(population: object) -> Population:
    if not isinstance(population, Population):
        raise TypeError(f"`population` must be a Population, got {type(population).__name__}")
    return population


def _as_images(images: object, population: Population) -> tuple[np.ndarray, bool]:
    array = as_float_array(images, "images", ndims=(2, 3))
    single = array.ndim == 2
    if single:
        array = array[np.newaxis]
    expected = population.field.shape
    if array.shape[1:] != expected:
        raise ValueError(
            f"`images` must have the field's shape {expected} in the last two axes, "
            f"got shape {array.shape[1:]}"
        )
    return array, single


def _banks(
    kernels: tuple[np.ndarray, ...],
) -> list[tuple[tuple[int, int], list[np.ndarray], dict[int, tuple[int, int | None]]]]:
    """Group a site group's kernels by shape into real banks that correlate together.

    Types whose kernels differ in size (a DoG next to a Gabor, Gabors of two
    spatial frequencies) go to separate banks.  A complex (energy) kernel
    takes two slots of its bank, its real and imaginary parts.

    Returns
    -------
    list of (shape, bank, slots)
        ``bank`` lists real kernels of one ``shape``; ``slots[t] = (re, im)``
        gives type ``t``'s rows in the bank (``im`` None for a real kernel).
    """
    banks: dict[tuple[int, int], tuple[list, dict]] = {}
    for t, kernel in enumerate(kernels):
        bank, slots = banks.setdefault(kernel.shape, ([], {}))
        if np.iscomplexobj(kernel):
            slots[t] = (len(bank), len(bank) + 1)
            bank.extend([kernel.real, kernel.imag])
        else:
            slots[t] = (len(bank), None)
            bank.append(kernel)
    return [(shape, bank, slots) for shape, (bank, slots) in banks.items()]


def _is_dask_array(value: object) -> bool:
    """Whether ``value`` is a dask array (checked without importing dask)."""
    return type(value).__module__.startswith("dask.") and hasattr(value, "dask")


def linear_responses(population: Population, images: object, *, method: str = "auto") -> np.ndarray:
    """The linear stage: each neuron's RF weights summed over the image.

    Parameters
    ----------
    population : Population
        The neurons.
    images : array_like, shape (H, W) or (N, H, W)
        Contrast images on the population's field (float32 is kept).
    method : {"auto", "fft", "direct", "centers", "separable"}, optional
        How to correlate (see :mod:`cortex.correlation`); ``"auto"`` picks the
        cheapest for each RF size from the problem size
        (:func:`~cortex.choose_method`).

    Returns
    -------
    numpy.ndarray, shape (n_neurons,) or (N, n_neurons)
        ``sum_p w_j(p) I(p)`` for each neuron ``j``.  Complex
        (``even + i odd``) if the population has an energy type.

    Raises
    ------
    TypeError
        If ``population`` is not a Population or ``images`` is not numeric.
    ValueError
        If ``images`` has the wrong shape, is empty or holds NaN/inf,
        ``method`` is unknown, or the responses overflow (image values too
        large for the RFs' gains).
    cortex.MemoryBudgetError
        If the responses and the padded copy of the images would exceed
        :func:`cortex.memory_budget`; pass fewer images at a time.
    """
    population = _check_population(population)
    if _is_dask_array(images):  # a lazy image set: a lazy result (cortex.scale, extra "dask")
        from .scale import linear_responses as lazy_linear_responses

        return lazy_linear_responses(population, images, method=method)
    array, single = _as_images(images, population)
    check_choice(method, "method", METHODS)
    out = _linear_checked(population, array, method)
    return out[0] if single else out


def _linear_checked(population: Population, array: np.ndarray, method: str) -> np.ndarray:
    """:func:`linear_responses` of images ``(N, H, W)`` already checked (``_as_images``).

    For callers that validated their frames once (a :class:`cortex.movies.Movie`
    checks its frames when it is made) and respond block by block.
    """
    n_images = array.shape[0]
    dtype = np.result_type(array.dtype, np.complex64 if population.is_energy else np.float32)
    step = _images_per_chunk(population, n_images, array.dtype, np.dtype(dtype))
    out = np.zeros((n_images, population.n_types, population.n_sites), dtype=dtype)
    for start in range(0, n_images, step):  # chunks of images keep the working set in budget
        _linear_chunk(population, array[start : start + step], out[start : start + step], method)
    out = out.reshape(n_images, population.n_neurons)
    if not np.all(np.isfinite(out)):
        raise ValueError(
            f"`images`: the responses overflow {out.dtype} (largest |image value| "
            f"{float(np.max(np.abs(array))):g}); scale the images down"
        )
    return out


def _linear_chunk(population: Population, images: np.ndarray, out: np.ndarray, method: str) -> None:
    """The linear stage of ``images`` ``(n, H, W)`` into ``out`` ``(n, n_types, n_sites)``."""
    x = images[:, np.newaxis]  # (n, 1, H, W): one input channel
    for group in population.groups:
        # one RF size: its sites are all sites in order, and a slice avoids a scatter
        sites = slice(None) if len(population.groups) == 1 else group.sites
        for shape, bank, slots in _banks(group.kernels):
            weight = np.stack(bank)[:, np.newaxis].astype(images.dtype, copy=False)
            # a kernel centred on pixel (r, c) has its corner at (r, c) of the input padded
            # by half a kernel
            padding = (shape[0] // 2, shape[1] // 2)
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused later
                if _writes_in_place(population, slots, out, weight):  # type t is kernel t
                    _correlate(x, weight, group.rows, group.cols, padding, method, out=out)
                    continue
                sampled = _correlate(x, weight, group.rows, group.cols, padding, method)
                for t, (re, im) in slots.items():
                    value = sampled[:, re] if im is None else sampled[:, re] + 1j * sampled[:, im]
                    out[:, t, sites] = value


def _writes_in_place(population: Population, slots: dict, out: np.ndarray, weight) -> bool:
    """Whether a bank's correlation can be written straight into ``out``.

    So it can with one group whose types are the bank's real kernels in order, in
    ``out``'s dtype.
    """
    return (
        len(population.groups) == 1
        and out.dtype == weight.dtype
        and len(slots) == out.shape[1] == weight.shape[0]
        and all(re == t and im is None for t, (re, im) in slots.items())
    )


def _images_per_chunk(
    population: Population, n_images: int, image_dtype: np.dtype, dtype: np.dtype
) -> int:
    """How many images to respond to at once; refuses (before allocating) if one cannot fit.

    The responses of all images are held at once; per image of a chunk, three
    more arrays of its responses (one correlation's sampled values and their
    energy / real parts) and two padded copies of the image.  The correlation's
    own chunks are bounded separately (:data:`cortex.correlation.CHUNK_BYTES`).
    """
    rows, cols = population.field.shape
    side = max(max(k.shape) for group in population.groups for k in group.kernels)
    padded = float(rows + side) * (cols + side) * image_dtype.itemsize
    result = float(n_images) * population.n_neurons * dtype.itemsize
    per_image = 3.0 * population.n_neurons * dtype.itemsize + 2.0 * padded
    check_memory(
        result + per_image,
        f"the responses of {population.n_neurons} neurons to {n_images} image(s)",
    )
    return budget_chunk(n_images, per_image, result)


def responses(
    population: Population,
    images: object,
    *,
    method: str = "auto",
    nonlinearity: object = None,
) -> np.ndarray:
    """Population responses: linear stage, energy for complex cells, then nonlinearities.

    Parameters
    ----------
    population : Population
        The neurons.
    images : array_like, shape (H, W) or (N, H, W)
        Contrast images on the population's field.
    method : {"auto", "fft", "direct", "centers", "separable"}, optional
        Correlation method (see :func:`linear_responses`).
    nonlinearity : None, str, callable or sequence of them, optional
        Static nonlinearities applied in order to the ``(N, n_neurons)``
        responses: ``"rectify"`` (:class:`Rectify`), ``"half-square"``
        (:class:`HalfSquare`), :class:`NakaRushton`,
        :class:`DivisiveNormalization` (pools over the population), or any
        callable on arrays.

    Returns
    -------
    numpy.ndarray, shape (n_neurons,) or (N, n_neurons)
        Real responses.  Energy types give ``even**2 + odd**2``.

    Raises
    ------
    TypeError, ValueError, cortex.MemoryBudgetError
        As :func:`linear_responses`, and for an unknown nonlinearity, or a
        built-in nonlinearity whose result would overflow.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex import Gaussian, Mosaic, Population, VisualField, responses
    >>> field = VisualField(2.0, 2.0, pixels_per_degree=10)
    >>> pop = Population(Gaussian(0.25), Mosaic.from_lattice(field, 0.4, "square"))
    >>> r = responses(pop, np.ones(field.shape), nonlinearity="rectify")
    >>> r.shape
    (25,)
    """
    steps = _resolve_nonlinearities(nonlinearity)
    if _is_dask_array(images):  # a lazy image set: a lazy result (cortex.scale, extra "dask")
        from .scale import responses as lazy_responses

        return lazy_responses(
            _check_population(population), images, method=method, nonlinearity=nonlinearity
        )
    linear = linear_responses(population, images, method=method)
    if population.is_energy:
        energy_mask = np.repeat([rf.is_energy for rf in population.types], population.n_sites)
        real_dtype = linear.real.dtype
        with np.errstate(over="ignore"):
            out = np.where(energy_mask, np.abs(linear) ** 2, linear.real).astype(real_dtype)
        if not np.all(np.isfinite(out)):
            raise ValueError(
                f"`images`: the energy responses overflow {real_dtype} (squared amplitudes "
                f"up to {float(np.max(np.abs(linear))):g}); scale the images down"
            )
    else:
        out = linear
    for step in steps:
        out = step(out)
    return out


def connectivity_matrix(population: Population) -> scipy.sparse.csr_array:
    """The population's linear stage as explicit local connections.

    Parameters
    ----------
    population : Population
        The neurons.

    Returns
    -------
    scipy.sparse.csr_array, shape (n_neurons, H * W)
        Row ``j`` holds neuron ``j``'s RF kernel placed at its centre pixel
        (pixels outside the field dropped), over the row-major flattened image,
        so ``images.reshape(N, -1) @ W.T`` equals
        ``linear_responses(population, images)``.  Complex for energy types.

    Raises
    ------
    TypeError
        If ``population`` is not a Population.
    ValueError
        If the matrix would hold more than 2**31 - 1 non-zeros.
    cortex.MemoryBudgetError
        If building the matrix (about ``2 * (4 + itemsize) + 5`` bytes per
        non-zero, the estimate made before allocating) would exceed
        :func:`cortex.memory_budget`; use :func:`linear_responses`, which
        never builds it.
    """
    population = _check_population(population)
    height, width = population.field.shape
    dtype = np.complex128 if population.is_energy else np.float64
    nnz = sum(len(group.sites) * sum(k.size for k in group.kernels) for group in population.groups)
    if max(nnz, height * width) > np.iinfo(np.int32).max:
        raise ValueError(
            f"the connectivity matrix would hold {nnz} non-zeros (over 2**31 - 1); "
            "use a coarser mosaic or `linear_responses`"
        )
    # per non-zero (measured: 24 bytes real, 38 complex): the pieces (data + int32
    # indices) and their concatenation or reordered copy, one group's mask and indices
    per_entry = 2.0 * (4 + np.dtype(dtype).itemsize) + 5
    check_memory(
        per_entry * nnz + 8.0 * population.n_neurons,
        f"the connectivity matrix of {population.n_neurons} neurons ({nnz} non-zeros)",
    )
    # Built directly in CSR form: each row's columns are its kernel window clipped to the
    # field, already in ascending order, so no COO sort and no int64 temporaries.
    data, indices, counts, neurons = [], [], [], []
    for group in population.groups:
        for t, kernel in enumerate(group.kernels):
            kh, kw = kernel.shape
            r = (group.rows[:, None, None] + (np.arange(kh) - kh // 2)[None, :, None]).astype(
                np.int32
            )
            c = (group.cols[:, None, None] + (np.arange(kw) - kw // 2)[None, None, :]).astype(
                np.int32
            )
            inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)  # (n, kh, kw)
            counts.append(inside.sum(axis=(1, 2)))
            indices.append((r * np.int32(width) + c)[inside])
            data.append(np.broadcast_to(kernel[None], inside.shape)[inside].astype(dtype))
            neurons.append(t * population.n_sites + group.sites)
    indptr = np.zeros(population.n_neurons + 1, dtype=np.int32)
    np.cumsum(np.concatenate(counts), out=indptr[1:])
    matrix = scipy.sparse.csr_array(
        (np.concatenate(data), np.concatenate(indices), indptr),
        shape=(population.n_neurons, height * width),
    )
    order = np.concatenate(neurons)
    if np.any(order[1:] < order[:-1]):  # several RF sizes: rows back in neuron order
        matrix = matrix[np.argsort(order, kind="stable")]
    return matrix


# This module was ``cortex.responses`` until that name was given to the function alone
# (a module shadowed by a function of the same name confused ``import cortex.responses``).
# ``from cortex.responses import Population`` keeps working through this alias; the
# attribute ``cortex.responses`` stays the function.
sys.modules.setdefault(__name__.rpartition(".")[0] + ".responses", sys.modules[__name__])
