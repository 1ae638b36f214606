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

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Union

import numpy as np
import scipy.sparse

from ._validation import as_float_array, check_choice, check_finite, check_positive
from .correlation import METHODS, _correlate
from .mosaic import Mosaic
from .receptive_fields import ReceptiveField, contour_radius
from .visual_field import VisualField

__all__ = [
    "DivisiveNormalization",
    "HalfSquare",
    "NakaRushton",
    "Population",
    "Rectify",
    "connectivity_matrix",
    "linear_responses",
    "responses",
]


# -- static nonlinearities ---------------------------------------------------
@dataclass(frozen=True)
class Rectify:
    """Half-wave rectification: ``max(x - threshold, 0)``.

    Parameters
    ----------
    threshold : float, optional
        Response threshold (same units as the linear response).
    """

    threshold: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_finite(self.threshold, "threshold"))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Apply to responses ``(N, n_neurons)``."""
        return np.maximum(x - self.threshold, 0.0)


@dataclass(frozen=True)
class HalfSquare:
    """Half-squaring: ``max(x - threshold, 0) ** 2`` (Heeger 1992).

    Parameters
    ----------
    threshold : float, optional
        Response threshold.
    """

    threshold: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_finite(self.threshold, "threshold"))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Apply to responses ``(N, n_neurons)``."""
        return np.maximum(x - self.threshold, 0.0) ** 2


@dataclass(frozen=True)
class NakaRushton:
    """Contrast saturation: ``r_max * x^n / (x^n + c50^n)`` for ``x >= 0`` (0 below).

    Parameters
    ----------
    c50 : float
        Semi-saturation input (response is ``r_max / 2`` there), > 0.
    exponent : float, optional
        ``n``, > 0.
    r_max : float, optional
        Saturated response, > 0.
    """

    c50: float
    exponent: float = 2.0
    r_max: float = 1.0

    def __post_init__(self) -> None:
        for name in ("c50", "exponent", "r_max"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Apply to responses ``(N, n_neurons)``."""
        xn = np.maximum(x, 0.0) ** self.exponent
        return self.r_max * xn / (xn + self.c50**self.exponent)


@dataclass(frozen=True)
class DivisiveNormalization:
    """Divisive normalisation over the population (Carandini & Heeger 2012).

    ``r_j = r_max * x_j^n / (sigma^n + mean_k x_k^n)`` with ``x = max(x, 0)``
    and the mean over all neurons of the population, per image.

    Parameters
    ----------
    sigma : float
        Semi-saturation constant, > 0.
    exponent : float, optional
        ``n``, > 0.
    r_max : float, optional
        Gain, > 0.
    """

    sigma: float
    exponent: float = 2.0
    r_max: float = 1.0

    def __post_init__(self) -> None:
        for name in ("sigma", "exponent", "r_max"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Apply to responses ``(N, n_neurons)``."""
        xn = np.maximum(x, 0.0) ** self.exponent
        pool = self.sigma**self.exponent + xn.mean(axis=-1, keepdims=True)
        return self.r_max * xn / pool


Nonlinearity = Union[str, Callable[[np.ndarray], np.ndarray]]  # noqa: UP007
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
        Kernels cover each RF to ``n_sigma`` times its largest sigma.
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
        If ``rf`` or ``mosaic`` has the wrong type.
    ValueError
        If ``rf`` is empty or a kernel is larger than the field.

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
        types = (self.rf,) if isinstance(self.rf, ReceptiveField) else tuple(self.rf)
        if not types:
            raise ValueError("`rf` must hold at least one ReceptiveField, got an empty sequence")
        for i, rf in enumerate(types):
            if not isinstance(rf, ReceptiveField):
                raise TypeError(f"`rf[{i}]` must be a ReceptiveField, got {type(rf).__name__}")
        if not isinstance(self.mosaic, Mosaic):
            raise TypeError(f"`mosaic` must be a Mosaic, got {type(self.mosaic).__name__}")
        object.__setattr__(self, "n_sigma", check_positive(self.n_sigma, "n_sigma"))
        object.__setattr__(self, "_types", types)
        field = self.mosaic.field
        ppd = field.pixels_per_degree
        biggest = max(types, key=lambda r: r.support_sigma).scaled(float(self.mosaic.scales.max()))
        side = 2 * biggest.kernel_radius(ppd, self.n_sigma) + 1
        rows, cols = field.shape
        if side > rows or side > cols:
            raise ValueError(
                f"the largest RF kernel is {side}x{side} pixels ({self.n_sigma:g} sigma of "
                f"{biggest.support_sigma:.4g} deg at {ppd:g} px/deg), larger than the field "
                f"({rows}x{cols} pixels); use a larger field, smaller RFs or a smaller `n_sigma`"
            )
        contour_radius(self.level)  # validates `level` for every mosaic
        for rf in types:
            if self.mosaic.check_gaps(rf, self.level, stacklevel=4):
                break

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
            Mosaic site index.

        Returns
        -------
        list of numpy.ndarray
            One odd-sided kernel per type.
        """
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


def linear_responses(population: Population, images: object, *, method: str = "auto") -> np.ndarray:
    """The linear stage: each neuron's RF weights summed over the image.

    Parameters
    ----------
    population : Population
        The neurons.
    images : array_like, shape (H, W) or (N, H, W)
        Contrast images on the population's field (float32 is kept).
    method : {"auto", "fft", "direct", "centers"}, optional
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
        If ``images`` has the wrong shape, is empty or holds NaN/inf, or
        ``method`` is unknown.
    """
    population = _check_population(population)
    array, single = _as_images(images, population)
    check_choice(method, "method", METHODS)
    n_images = array.shape[0]
    dtype = np.result_type(array.dtype, np.complex64 if population.is_energy else np.float32)
    out = np.zeros((n_images, population.n_types, population.n_sites), dtype=dtype)
    x = array[:, np.newaxis]  # (N, 1, H, W): one input channel
    for group in population.groups:
        # one RF size: its sites are all sites in order, and a slice avoids a scatter
        sites = slice(None) if len(population.groups) == 1 else group.sites
        for shape, bank, slots in _banks(group.kernels):
            weight = np.stack(bank)[:, np.newaxis].astype(array.dtype, copy=False)
            # a kernel centred on pixel (r, c) has its corner at (r, c) of the input padded
            # by half a kernel
            padding = (shape[0] // 2, shape[1] // 2)
            sampled = _correlate(x, weight, group.rows, group.cols, padding, method)
            for t, (re, im) in slots.items():
                value = sampled[:, re] if im is None else sampled[:, re] + 1j * sampled[:, im]
                out[:, t, sites] = value
    out = out.reshape(n_images, population.n_neurons)
    return out[0] if single else out


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
    method : {"auto", "fft", "direct", "centers"}, optional
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
    TypeError, ValueError
        As :func:`linear_responses`, and for an unknown nonlinearity.

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
    linear = linear_responses(population, images, method=method)
    if population.is_energy:
        energy_mask = np.repeat([rf.is_energy for rf in population.types], population.n_sites)
        real_dtype = linear.real.dtype
        out = np.where(energy_mask, np.abs(linear) ** 2, linear.real).astype(real_dtype)
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
