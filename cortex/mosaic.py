"""Mosaics: where the RFs of one neuron type sit, and how big each one is.

A :class:`Mosaic` holds RF centres in degrees over a
:class:`~cortex.VisualField` and a per-neuron scale factor that multiplies
every length of the RF model (so a neuron with scale 2 has an RF twice as
wide, with half the preferred spatial frequency).  Lattices are centred on
fixation: a square lattice of spacing ``d`` has a site every ``d`` degrees in
``x`` and ``y``; a hexagonal one has rows ``d * sqrt(3) / 2`` apart, every
other row shifted by ``d / 2``.

Two classic facts about tiling follow from the lattice geometry and are
tested: discs of radius ``r`` centred on a hexagonal lattice cover the plane
without gaps iff ``r >= d / sqrt(3)``; on a square lattice iff
``r >= d / sqrt(2)`` (the lattices' covering radii).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from numbers import Real
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ._schema import (
    build,
    check_scalars,
    json_keys,
    json_list,
    json_number,
    json_numbers,
    json_object,
    json_string,
)
from ._validation import (
    MAX_POSITION,
    SIGMA_RANGE,
    _describe,
    as_float_array,
    as_rng,
    check_choice,
    check_integer,
    check_memory,
    check_positive,
    check_range,
)
from .receptive_fields import ReceptiveField
from .visual_field import VisualField

__all__ = ["LATTICES", "Mosaic"]

#: Lattice names accepted by :meth:`Mosaic.from_lattice`.
LATTICES = ("square", "hexagonal", "jittered")

# Numeric ranges (private; stated in the docstrings).
#: lattice spacing, degrees: a millionth of a degree is below any pixel a field can have
#: at 1e6 px/deg, and the count of sites is bounded by the memory budget.
_SPACING_RANGE = (1e-6, 1e6)
#: per-site RF scale factors (RF sizes vary about 100-fold across the visual field).
_SCALE_RANGE = (1e-6, 1e6)
#: slope of RF size against eccentricity, deg/deg (about 0.1-0.3 in V1).
_SLOPE_RANGE = (0.0, 1e3)
#: bytes per candidate lattice site that :meth:`Mosaic.from_lattice` holds at once
#: (index grids, positions, jitter, masks, sorting), and per point of
#: :meth:`Mosaic.coverage` (coordinates, rotated copies, counts); measured with tracemalloc.
_LATTICE_BYTES_PER_SITE = 128
_COVERAGE_BYTES_PER_POINT = 64
#: bytes per site that :meth:`Mosaic.from_dict` holds at once: the centres and scales read
#: from the lists, and the constructor's copies, masks and pixel indices.
_FROM_DICT_BYTES_PER_SITE = 128
#: the keys of a mosaic's plain data after ``"type"``: required, then optional.
_DICT_REQUIRED = ("field", "centers")
_DICT_OPTIONAL = ("scales", "lattice", "spacing", "jitter")


def _check_spacing(value: object) -> float:
    spacing = check_positive(value, "spacing")
    return check_range(spacing, "spacing", *_SPACING_RANGE, unit="deg")


def _check_jitter(value: object) -> float:
    jitter = check_positive(value, "jitter", allow_zero=True)
    if jitter > 0.5:
        raise ValueError(f"`jitter` must be <= 0.5 (in units of spacing), got {jitter}")
    return jitter


def _n_lattice_sites(lattice: str, spacing: float, half_w: float, half_h: float) -> float:
    """How many candidate sites :func:`_lattice_points` would make (a float: never overflows)."""
    row_step = spacing if lattice == "square" else spacing * math.sqrt(3.0) / 2.0
    n_rows = math.floor(half_h / row_step + 1e-9) + 1.0
    n_cols = math.floor(half_w / spacing + 1e-9) + 2.0
    return (2.0 * n_rows + 1.0) * (2.0 * n_cols + 1.0)


def _lattice_points(
    lattice: str, spacing: float, half_w: float, half_h: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sites of a lattice centred on fixation inside ``|x| <= half_w``, ``|y| <= half_h``."""
    if lattice == "square":
        row_step, shift = spacing, 0.0
    else:
        row_step, shift = spacing * math.sqrt(3.0) / 2.0, spacing / 2.0
    n_rows = int(math.floor(half_h / row_step + 1e-9)) + 1
    n_cols = int(math.floor(half_w / spacing + 1e-9)) + 2
    rows = np.arange(-n_rows, n_rows + 1)
    cols = np.arange(-n_cols, n_cols + 1)
    ri, ci = np.meshgrid(rows, cols, indexing="ij")
    x = ci * spacing + (ri % 2) * shift
    y = -ri * row_step  # row index grows downwards, like images
    return x.ravel(), y.ravel()


@dataclass(frozen=True, eq=False)
class Mosaic:
    """RF centres of one neuron type over a visual field, with per-neuron scales.

    Most users build one with :meth:`from_lattice`; the constructor takes
    arbitrary centres.

    Parameters
    ----------
    field : VisualField
        The visual field the neurons look at.
    centers : array_like, shape (n, 2)
        RF centres ``(x, y)`` in degrees.  Every centre must fall on a pixel
        of the field.
    scales : array_like, shape (n,), optional
        Factor multiplying the RF model's lengths for each neuron (default 1).
    lattice : str, optional
        Name of the lattice the centres come from (``"custom"`` if none).
    spacing : float, optional
        Lattice spacing in degrees (``nan`` for custom centres).
    jitter : float, optional
        Largest displacement of a site from its lattice position, in units of
        ``spacing`` (0 for a regular lattice).

    Attributes
    ----------
    field : VisualField
        As given.
    centers : numpy.ndarray, shape (n, 2)
        Read-only float64 copy of the centres, ``(x, y)`` in degrees; row ``i``
        is site ``i``, the order every per-neuron array of cortex follows.
    scales : numpy.ndarray, shape (n,)
        Read-only float64 factor per site (all ones when none were given, never
        None): a population's RF at site ``i`` is its model ``.scaled(scales[i])``.
        Sites of equal scale share one kernel and one correlation
        (:attr:`cortex.Population.groups`).
    lattice : {"square", "hexagonal", "jittered", "custom"}
        The lattice the centres came from; metadata for plots and statistics
        (coverage, gap warnings), it does not move the centres.
    spacing : float
        Lattice spacing in degrees, ``nan`` for custom centres; the gap check
        of :meth:`check_gaps` compares RF contours with it.
    jitter : float
        Largest displacement of a site from its lattice position, as a
        fraction of ``spacing``; 0 for regular lattices and custom centres.

    Raises
    ------
    TypeError
        If ``field`` is not a VisualField, the arrays are not numeric
        (boolean arrays are refused), ``lattice`` is not a string, or
        ``spacing`` / ``jitter`` is not a real number.
    ValueError
        If the shapes are wrong, values are not finite, scales are not in
        ``[1e-6, 1e6]``, there are no centres, a centre lies outside the
        field, ``lattice`` is unknown, ``spacing`` is not in ``[1e-6, 1e6]``
        deg (or nan for custom centres) or ``jitter`` not in ``[0, 0.5]``.

    Examples
    --------
    >>> from cortex import Mosaic, VisualField
    >>> field = VisualField(4.0, 4.0, pixels_per_degree=16)
    >>> mosaic = Mosaic.from_lattice(field, spacing=0.5, lattice="hexagonal")
    >>> mosaic.n_neurons
    67
    """

    field: VisualField
    centers: np.ndarray
    scales: np.ndarray | None = None
    lattice: str = "custom"
    spacing: float = math.nan
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.field, VisualField):
            raise TypeError(f"`field` must be a VisualField, got {type(self.field).__name__}")
        _refuse_bools(self.centers, "centers")
        centers = as_float_array(self.centers, "centers", ndims=(2,), keep_float32=False)
        if centers.shape[1] != 2:
            raise ValueError(f"`centers` must have shape (n, 2), got shape {centers.shape}")
        inside = np.all(np.abs(centers) <= MAX_POSITION, axis=1)  # far away: outside
        inside[inside] = self.field.contains(centers[inside, 0], centers[inside, 1])
        if not np.all(inside):
            bad = centers[~inside][0]
            raise ValueError(
                f"`centers` must lie inside the field (|x| <= {self.field.limits[0]:.4g}, "
                f"|y| <= {self.field.limits[1]:.4g} deg); {int(np.sum(~inside))} do not, "
                f"e.g. ({bad[0]:.4g}, {bad[1]:.4g})"
            )
        if self.scales is None:
            scales = np.ones(len(centers))
        else:
            _refuse_bools(self.scales, "scales")
            scales = as_float_array(self.scales, "scales", ndims=(1,), keep_float32=False)
            if scales.shape != (len(centers),):
                raise ValueError(
                    f"`scales` must have shape ({len(centers)},) like `centers`, "
                    f"got shape {scales.shape}"
                )
            if np.any(scales <= 0):
                raise ValueError(f"`scales` must be > 0, got minimum {scales.min()}")
            lo, hi = float(scales.min()), float(scales.max())
            if lo < _SCALE_RANGE[0] or hi > _SCALE_RANGE[1]:
                raise ValueError(
                    f"`scales` must be in [{_SCALE_RANGE[0]:g}, {_SCALE_RANGE[1]:g}], got values "
                    f"from {lo:g} to {hi:g}"
                )
        if centers is self.centers or np.shares_memory(centers, np.asarray(self.centers)):
            centers = centers.copy()  # never freeze the caller's array
        centers.flags.writeable = False
        scales = scales.copy() if scales is self.scales else scales
        scales.flags.writeable = False
        object.__setattr__(self, "centers", centers)
        object.__setattr__(self, "scales", scales)
        check_choice(self.lattice, "lattice", LATTICES + ("custom",))
        if self.lattice != "custom":
            object.__setattr__(self, "spacing", _check_spacing(self.spacing))
        elif isinstance(self.spacing, bool | np.bool_) or not isinstance(self.spacing, Real):
            raise TypeError(
                f"`spacing` must be a real number (nan for custom centres), got "
                f"{type(self.spacing).__name__}"
            )
        elif not math.isnan(self.spacing):
            object.__setattr__(self, "spacing", _check_spacing(self.spacing))
        else:
            object.__setattr__(self, "spacing", math.nan)
        object.__setattr__(self, "jitter", _check_jitter(self.jitter))

    # -- plain data ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The mosaic as plain data (JSON-compatible), for :meth:`from_dict`.

        Returns
        -------
        dict
            ``{"type": "Mosaic", "field": {...}, "centers": [[x, y], ...],
            "scales": [s, ...], "lattice": name, "spacing": d, "jitter": j}``:
            the field's :meth:`VisualField.to_dict`, the centres as a list of
            ``[x, y]`` pairs (degrees, site order kept), one scale per site,
            and the lattice metadata.  A ``nan`` spacing (custom centres) is
            written as ``None`` (JSON ``null``: JSON has no NaN).  Every float
            comes back bit for bit from :meth:`from_dict`, also through
            :func:`json.dumps` / :func:`json.loads`.

        Examples
        --------
        >>> from cortex import Mosaic, VisualField
        >>> mosaic = Mosaic(VisualField(2.0, 2.0, 8), [[0.0, 0.0], [0.5, -0.25]])
        >>> d = mosaic.to_dict()
        >>> d["centers"], d["scales"], d["lattice"], d["spacing"]
        ([[0.0, 0.0], [0.5, -0.25]], [1.0, 1.0], 'custom', None)
        """
        return {
            "type": "Mosaic",
            "field": self.field.to_dict(),
            "centers": self.centers.tolist(),
            "scales": self.scales.tolist(),
            "lattice": self.lattice,
            "spacing": None if math.isnan(self.spacing) else float(self.spacing),
            "jitter": float(self.jitter),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Mosaic:
        """Rebuild a mosaic from :meth:`to_dict`'s plain data.

        The whole dict is checked first (known keys, value types, the shapes
        of ``centers`` and ``scales``, their size against
        :func:`cortex.memory_budget`); only then are the arrays built and the
        constructor's own checks applied.

        Parameters
        ----------
        d : dict
            ``{"type": "Mosaic", "field": {...}, "centers": [[x, y], ...]}``
            and optionally ``"scales"`` (a list of one number per centre, or
            null for all ones), ``"lattice"`` (default ``"custom"``),
            ``"spacing"`` (a number, or null for none: custom centres) and
            ``"jitter"`` (default 0).

        Returns
        -------
        Mosaic
            The mosaic.

        Raises
        ------
        TypeError
            If ``d`` is not a dict or a value has the wrong type (booleans and
            strings are not numbers); the message names the key path, e.g.
            ``mosaic.centers[3][0]``.
        ValueError
            If a ``"type"`` is wrong, a key is missing or unknown, a number
            is NaN or infinite, ``centers`` is not a non-empty list of
            ``[x, y]`` pairs, ``scales`` does not hold one number per centre,
            or a constructor refuses a value (the message names the key).
        cortex.MemoryBudgetError
            If the mosaic's arrays would exceed :func:`cortex.memory_budget`
            (checked before any array is built).
        """
        return _build_mosaic(_check_mosaic_dict(d, "mosaic"), "mosaic")

    # -- construction --------------------------------------------------------
    @classmethod
    def from_lattice(
        cls,
        field: VisualField,
        spacing: float,
        lattice: str = "hexagonal",
        *,
        jitter: float | None = None,
        margin: float = 0.0,
        seed: int | np.random.Generator | None = None,
    ) -> Mosaic:
        """Centres on a regular or jittered lattice centred on fixation.

        Parameters
        ----------
        field : VisualField
            The visual field.
        spacing : float
            Distance between neighbouring sites in degrees, in ``[1e-6, 1e6]``.
        lattice : {"square", "hexagonal", "jittered"}, optional
            ``"jittered"`` is a hexagonal lattice whose sites are displaced
            uniformly within a disc of radius ``jitter * spacing``.
        jitter : float, optional
            Displacement radius in units of ``spacing``, in ``[0, 0.5]``
            (default 0.25 for ``"jittered"``; must be 0 or None otherwise).
        margin : float, optional
            Keep sites at least this far (degrees) inside the field's edge.
        seed : None, int or numpy.random.Generator, optional
            Randomness of the jitter; same seed, same mosaic.

        Returns
        -------
        Mosaic
            Sites sorted in raster order (top row first, left to right).

        Raises
        ------
        TypeError
            If ``field`` is not a VisualField, ``spacing``, ``jitter`` or
            ``margin`` is not a real number (booleans are refused),
            ``lattice`` is not a string or ``seed`` has another type.
        ValueError
            If ``lattice`` is unknown, ``spacing`` is not in ``[1e-6, 1e6]``
            deg, ``jitter`` is out of range or given for a regular lattice,
            ``margin`` is negative, or no site falls inside the field.
        cortex.MemoryBudgetError
            If the candidate sites (about 128 bytes each) would exceed
            :func:`cortex.memory_budget`: the spacing is too fine for the
            field.
        """
        if not isinstance(field, VisualField):
            raise TypeError(f"`field` must be a VisualField, got {type(field).__name__}")
        spacing = _check_spacing(spacing)
        check_choice(lattice, "lattice", LATTICES)
        margin = check_positive(margin, "margin", allow_zero=True)
        if jitter is not None:
            jitter = _check_jitter(jitter)
        if lattice == "jittered":
            jitter = 0.25 if jitter is None else jitter
        elif jitter not in (None, 0.0):
            raise ValueError(
                f"`jitter` must be 0 for a {lattice!r} lattice, got {jitter!r}; "
                "use lattice='jittered'"
            )
        else:
            jitter = 0.0
        rng = as_rng(seed)  # validated for every lattice, used only to jitter
        rng = rng if jitter > 0 else None
        lim_x, lim_y = field.limits
        half_w, half_h = lim_x - margin, lim_y - margin
        kind = "square" if lattice == "square" else "hexagonal"
        n_sites = _n_lattice_sites(kind, spacing, lim_x + spacing, lim_y + spacing)
        check_memory(
            _LATTICE_BYTES_PER_SITE * n_sites,
            f"a {lattice} lattice of spacing {spacing:g} deg over the {field.width:g} x "
            f"{field.height:g} deg field (about {n_sites:.3g} sites)",
        )
        x, y = _lattice_points(
            "square" if lattice == "square" else "hexagonal",
            spacing,
            lim_x + spacing,
            lim_y + spacing,
        )
        if rng is not None:
            radius = jitter * spacing * np.sqrt(rng.uniform(size=x.size))
            angle = rng.uniform(0.0, 2.0 * math.pi, size=x.size)
            x = x + radius * np.cos(angle)
            y = y + radius * np.sin(angle)
        keep = (np.abs(x) <= half_w + 1e-9) & (np.abs(y) <= half_h + 1e-9)
        if not np.any(keep):
            raise ValueError(
                f"a {lattice} lattice of spacing {spacing:g} deg with margin {margin:g} deg "
                f"has no neuron inside the field ({field.width:g} x {field.height:g} deg)"
            )
        x, y = x[keep], y[keep]
        order = np.lexsort((x, -y))
        centers = np.column_stack([x[order], y[order]])
        return cls(field, centers, lattice=lattice, spacing=spacing, jitter=jitter)

    def with_eccentricity_scaling(
        self,
        intercept: float,
        slope: float,
        *,
        reference_size: float | None = None,
        n_levels: int | None = None,
        rtol: float | None = 0.05,
    ) -> Mosaic:
        """Make RF size grow linearly with eccentricity (cortical magnification).

        Each neuron's RF size becomes ``intercept + slope * eccentricity``
        degrees, i.e. its scale is that size divided by ``reference_size``.

        Parameters
        ----------
        intercept : float
            RF size at fixation in degrees, in ``[1e-6, 1e6]``.
        slope : float
            Growth of RF size per degree of eccentricity, in ``[0, 1000]``
            (about 0.1-0.3 in primate V1 for the RF's sigma-like size).
        reference_size : float, optional
            The size of the RF model at scale 1, in degrees, in ``[1e-6,
            1e6]``; pass ``rf.size`` so the model's size follows the formula
            exactly.  Default: ``intercept`` (the model is the foveal RF).
        n_levels : int, optional
            Quantise the scales to this many geometrically spaced levels, so
            the population needs only ``n_levels`` correlations (one per RF
            size).  The worst relative size error is then
            ``(max / min) ** (1 / (2 * n_levels)) - 1``.
        rtol : float or None, optional
            When ``n_levels`` is not given: use as few levels as keep every
            size within this relative error of the formula (default 5%), in
            ``(0, 1]``.
            ``None`` (with ``n_levels=None``) keeps every distinct size exactly
            (one correlation per neuron: slow for large mosaics).

        Returns
        -------
        Mosaic
            A mosaic with the same centres and the new scales.

        Raises
        ------
        TypeError
            If a parameter is not a number of the right kind (``n_levels`` an
            integer; booleans are refused).
        ValueError
            If a parameter is out of range, or the scales the formula gives
            leave ``[1e-6, 1e6]``.
        cortex.MemoryBudgetError
            If the quantisation levels (``n_levels``, or as many as ``rtol``
            asks for) would exceed :func:`cortex.memory_budget`.
        """
        intercept = _check_size(intercept, "intercept")
        slope = check_range(
            check_positive(slope, "slope", allow_zero=True), "slope", *_SLOPE_RANGE, unit="deg/deg"
        )
        reference = (
            intercept if reference_size is None else _check_size(reference_size, "reference_size")
        )
        if n_levels is not None:
            n_levels = check_integer(n_levels, "n_levels", minimum=1)
        elif rtol is not None:
            rtol = check_range(check_positive(rtol, "rtol"), "rtol", 0.0, 1.0, low_open=True)
        scales = (intercept + slope * self.eccentricity) / reference
        lo, hi = scales.min(), scales.max()
        if lo < _SCALE_RANGE[0] or hi > _SCALE_RANGE[1]:
            raise ValueError(
                f"the RF scales (intercept + slope * eccentricity) / reference_size must be in "
                f"[{_SCALE_RANGE[0]:g}, {_SCALE_RANGE[1]:g}], got values from {lo:g} to {hi:g} "
                f"(intercept={intercept:g}, slope={slope:g}, reference_size={reference:g})"
            )
        scales = _quantised(scales, n_levels, rtol)
        return replace(self, scales=scales)

    def with_coverage(
        self,
        rf: ReceptiveField,
        target: float | Callable[[np.ndarray], np.ndarray],
        level: str | float = "half-max",
        *,
        n_levels: int | None = None,
        rtol: float | None = 0.002,
    ) -> Mosaic:
        """Size each neuron's RF so the mosaic covers the field ``target`` times over.

        The coverage factor of a mosaic (the mean number of RF contours over
        a point) is its density times the contour area.  Here each site gets
        the RF whose contour area at ``level`` is ``target`` times the area
        of its own tile of the field (its Voronoi cell, clipped to the
        field's extent): the tiles sum to the field, so the coverage factor
        (:meth:`coverage_factor`) is
        ``target`` exactly for a uniform target, on any mosaic (lattice,
        Poisson-disk, foveated), and follows ``target(eccentricity)`` where
        it varies.  Midget ganglion cells tile the retina with a coverage of
        about 1, parasol cells about 3 (Dacey 1993, J Neurosci 13:5334).

        Parameters
        ----------
        rf : ReceptiveField
            The RF model at scale 1; every neuron gets ``rf.scaled(scale)``.
        target : float or callable
            The coverage factor, in ``(0, 1e6]``, or a function of
            eccentricity (deg, an array) returning one per site.
        level : {"sigma", "half-max"} or float, optional
            The contour that counts (as :meth:`coverage`).
        n_levels, rtol : optional
            Quantise the scales as :meth:`with_eccentricity_scaling` (default:
            sizes within 0.2% of the exact ones, so coverage within 0.4%);
            the quantised scales are then rescaled together so the total RF
            area is unchanged.

        Returns
        -------
        Mosaic
            The same centres with the new scales.

        Raises
        ------
        TypeError
            If ``rf`` is not a ReceptiveField or ``target`` not a number or a
            callable.
        ValueError
            If ``target`` (or what it returns: one finite value > 0 per site)
            is out of range, the mosaic has fewer than 2 sites, or the scales
            leave ``[1e-6, 1e6]``.
        cortex.MemoryBudgetError
            If the tiling (about 2 KiB per site) would exceed the budget.

        Examples
        --------
        >>> from cortex import Gaussian, Mosaic, VisualField
        >>> field = VisualField(4.0, 4.0, pixels_per_degree=16)
        >>> mosaic = Mosaic.from_lattice(field, 0.2, "hexagonal").with_coverage(Gaussian(0.1), 3.0)
        >>> counts = mosaic.coverage(Gaussian(0.1))  # RFs over each pixel
        >>> round(float(counts[16:-16, 16:-16].mean()), 1)  # away from the border
        3.0
        """
        _check_rf(rf)
        a, b, _ = rf.contour(level)
        if callable(target) and not isinstance(target, Real):
            values = np.asarray(target(self.eccentricity), dtype=float)
            if values.shape not in ((), (self.n_neurons,)):
                raise ValueError(
                    f"`target` must return one coverage per site ({self.n_neurons}), got shape "
                    f"{values.shape}"
                )
            values = np.broadcast_to(values, (self.n_neurons,))
            if not np.all(np.isfinite(values)) or np.any(values <= 0) or np.any(values > 1e6):
                raise ValueError(
                    "`target` must return coverage factors in (0, 1e6], got values from "
                    f"{np.nanmin(values):g} to {np.nanmax(values):g}"
                )
        else:
            values = check_range(check_positive(target, "target"), "target", 0.0, 1e6)
        if self.n_neurons < 2:
            raise ValueError("`with_coverage` needs at least 2 sites to tile the field")
        left, right, bottom, top = self.field.extent
        tiles = _tile_areas(self.centers, ((right - left) / 2, (top - bottom) / 2))
        exact = np.sqrt(values * tiles / (math.pi * a * b))
        lo, hi = float(exact.min()), float(exact.max())
        if lo < _SCALE_RANGE[0] or hi > _SCALE_RANGE[1]:
            raise ValueError(
                f"the RF scales for coverage {target if np.ndim(values) == 0 else 'target(E)'} "
                f"must be in [{_SCALE_RANGE[0]:g}, {_SCALE_RANGE[1]:g}], got values from {lo:g} "
                f"to {hi:g}; choose a smaller or larger `rf`"
            )
        if n_levels is not None:
            n_levels = check_integer(n_levels, "n_levels", minimum=1)
        elif rtol is not None:
            rtol = check_range(check_positive(rtol, "rtol"), "rtol", 0.0, 1.0, low_open=True)
        scales = _quantised(exact, n_levels, rtol)
        # the same total RF area as the exact scales: the coverage factor stays exact
        scales = scales * math.sqrt(float(np.sum(exact**2) / np.sum(scales**2)))
        return replace(self, scales=np.clip(scales, *_SCALE_RANGE))

    # -- geometry ------------------------------------------------------------
    @property
    def n_neurons(self) -> int:
        """Number of RF centres."""
        return len(self.centers)

    @property
    def eccentricity(self) -> np.ndarray:
        """Distance of each centre from fixation in degrees, ``(n,)``."""
        return np.hypot(self.centers[:, 0], self.centers[:, 1])

    @property
    def pixel_centers(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the pixel each RF is centred on (nearest pixel), ``(n,)`` ints.

        Responses are computed with the RF kernel centred on this pixel.
        """
        return self.field.nearest_pixel(self.centers[:, 0], self.centers[:, 1])

    @property
    def density(self) -> float:
        """Neurons per square degree: ``1 / cell area`` for a lattice, else n / field area."""
        if self.lattice == "square":
            return 1.0 / self.spacing**2
        if self.lattice in ("hexagonal", "jittered"):
            return 2.0 / (math.sqrt(3.0) * self.spacing**2)
        left, right, bottom, top = self.field.extent
        return self.n_neurons / ((right - left) * (top - bottom))

    @property
    def covering_radius(self) -> float:
        """Smallest disc radius (deg) that covers the plane from a regular lattice.

        ``spacing / sqrt(2)`` for a square lattice, ``spacing / sqrt(3)`` for
        a hexagonal one, plus ``jitter * spacing`` for a jittered one (an
        upper bound); ``nan`` for custom centres.
        """
        if self.lattice == "square":
            return self.spacing / math.sqrt(2.0)
        if self.lattice in ("hexagonal", "jittered"):
            return self.spacing / math.sqrt(3.0) + self.jitter * self.spacing
        return math.nan

    # -- coverage ------------------------------------------------------------
    def coverage(
        self,
        rf: ReceptiveField,
        level: str | float = "half-max",
        points: object = None,
    ) -> np.ndarray:
        """How many RF contours cover each point.

        Parameters
        ----------
        rf : ReceptiveField
            The RF model at scale 1; each neuron's contour is the model's
            envelope contour (:meth:`ReceptiveField.contour`) times its scale.
        level : {"sigma", "half-max"} or float, optional
            Which contour counts as "covering" (see
            :func:`~cortex.contour_radius`).
        points : array_like, shape (m, 2), optional
            Positions ``(x, y)`` in degrees.  Default: every pixel centre of
            the field.

        Returns
        -------
        numpy.ndarray of int
            Counts, shape ``(H, W)`` for the field's pixels or ``(m,)``.

        Raises
        ------
        TypeError
            If ``rf`` is not a ReceptiveField, ``points`` is not numeric or
            ``level`` has the wrong type.
        ValueError
            If ``level`` is invalid, or ``points`` is not ``(m, 2)``, empty,
            not finite or farther than ``1e9`` deg from fixation.
        cortex.MemoryBudgetError
            If the counting (about 64 bytes per point) would exceed
            :func:`cortex.memory_budget`.
        """
        _check_rf(rf)
        a, b, angle = rf.contour(level)
        if points is None:
            rows, cols = self.field.shape
            n_points = float(rows) * cols
        else:
            _refuse_bools(points, "points")
            pts = as_float_array(points, "points", ndims=(2,), keep_float32=False)
            if pts.shape[1] != 2:
                raise ValueError(f"`points` must have shape (m, 2), got shape {pts.shape}")
            worst = float(np.max(np.abs(pts)))
            if worst > MAX_POSITION:
                raise ValueError(
                    f"`points` must be in [-{MAX_POSITION:g}, {MAX_POSITION:g}] deg, "
                    f"got {worst:g}"
                )
            n_points = float(len(pts))
        check_memory(_COVERAGE_BYTES_PER_POINT * n_points, f"the coverage at {n_points:.0f} points")
        if points is None:
            x, y = self.field.grid()
            px, py, shape = x.ravel(), y.ravel(), x.shape
        else:
            px, py, shape = pts[:, 0], pts[:, 1], (len(pts),)
        t = math.radians(angle)
        c, s = math.cos(t), math.sin(t)

        def to_unit(x: np.ndarray, y: np.ndarray, scale: float) -> np.ndarray:
            # Coordinates in which this group's contour ellipse is the unit circle.
            return np.column_stack([(x * c + y * s) / (a * scale), (-x * s + y * c) / (b * scale)])

        counts = np.zeros(px.size, dtype=np.int64)
        for scale in np.unique(self.scales):  # one KD-tree per RF size
            sel = self.scales == scale
            tree = cKDTree(to_unit(self.centers[sel, 0], self.centers[sel, 1], scale))
            counts += tree.query_ball_point(
                to_unit(px, py, scale), r=1.0 + 1e-12, return_length=True
            )
        return counts.reshape(shape)

    def coverage_factor(self, rf: ReceptiveField, level: str | float = "half-max") -> float:
        """Density times mean RF area at ``level``: the mean number of RFs over a point.

        Parameters
        ----------
        rf : ReceptiveField
            The RF model at scale 1.
        level : {"sigma", "half-max"} or float, optional
            The contour whose area counts.

        Returns
        -------
        float
            ``density * pi * a * b * mean(scale**2)`` (dimensionless).

        Raises
        ------
        TypeError, ValueError
            If ``rf`` is not a ReceptiveField or ``level`` is invalid.
        """
        _check_rf(rf)
        a, b, _ = rf.contour(level)
        return float(self.density * math.pi * a * b * np.mean(self.scales**2))

    def check_gaps(
        self, rf: ReceptiveField, level: str | float = "half-max", *, stacklevel: int = 2
    ) -> bool:
        """Warn if RFs at ``level`` leave gaps between the sites of a regular lattice.

        The test is geometric: the smallest contour semi-axis (times the
        smallest scale) must reach the lattice's :attr:`covering_radius`.
        Custom mosaics are not checked (use :meth:`coverage`).

        Parameters
        ----------
        rf : ReceptiveField
            The RF model at scale 1.
        level : {"sigma", "half-max"} or float, optional
            The contour that must tile.
        stacklevel : int, optional
            Passed to :func:`warnings.warn` (>= 1).

        Returns
        -------
        bool
            True if a gap was found (and warned about).

        Raises
        ------
        TypeError, ValueError
            If ``rf`` is not a ReceptiveField, ``level`` is invalid or
            ``stacklevel`` is not an integer >= 1.

        Warns
        -----
        UserWarning
            If the lattice spacing leaves gaps (coverage below 1).
        """
        _check_rf(rf)
        stacklevel = check_integer(stacklevel, "stacklevel", minimum=1)
        needed = self.covering_radius
        if math.isnan(needed):
            return False
        a, b, _ = rf.contour(level)
        radius = min(a, b) * float(self.scales.min())
        if radius < needed * (1 - 1e-9):
            warnings.warn(
                f"coverage below 1: RFs of radius {radius:.4g} deg at the {level!s} contour "
                f"leave gaps in a {self.lattice} lattice of spacing {self.spacing:.4g} deg "
                f"(gap-free needs radius >= {needed:.4g} deg)",
                UserWarning,
                stacklevel=stacklevel,
            )
            return True
        return False


def _quantised(scales: np.ndarray, n_levels: int | None, rtol: float | None) -> np.ndarray:
    """Scales snapped to geometric levels (``n_levels``, or as many as ``rtol`` asks for)."""
    lo, hi = float(scales.min()), float(scales.max())
    if n_levels is None and rtol is not None:
        wanted = math.log(hi / lo) / (2 * math.log1p(rtol)) - 1e-12
        check_memory(
            24.0 * wanted, f"quantising the RF scales to {wanted:.3g} levels (rtol={rtol:g})"
        )
        n_levels = max(1, math.ceil(wanted))
    if n_levels is None:
        return scales
    check_memory(24.0 * n_levels, f"quantising the RF scales to {n_levels} levels")
    if hi <= lo * (1 + 1e-12):  # one size up to rounding: one level
        return np.full_like(scales, lo)
    edges = np.geomspace(lo, hi, n_levels + 1)
    idx = np.clip(np.searchsorted(edges, scales, side="right") - 1, 0, n_levels - 1)
    return np.sqrt(edges[:-1] * edges[1:])[idx]


#: bytes per site of :func:`_tile_areas` (the Voronoi diagram of five copies of the sites)
_TILE_BYTES_PER_SITE = 2048


def _tile_areas(centers: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    """Area (deg^2) of each site's Voronoi cell clipped to the rectangle ``|x| <= hw, |y| <= hh``.

    The sites are mirrored across the four edges: the bisector of a site and
    its mirror image is the edge, so the cells of the original sites are
    their Voronoi cells clipped to the rectangle, bounded, and they tile it.
    """
    from scipy.spatial import Voronoi

    n = len(centers)
    check_memory(_TILE_BYTES_PER_SITE * n, f"the Voronoi tiling of {n} sites")
    hw, hh = limits
    x, y = centers[:, 0], centers[:, 1]
    mirrored = [
        centers,
        np.column_stack([2 * hw - x, y]),
        np.column_stack([-2 * hw - x, y]),
        np.column_stack([x, 2 * hh - y]),
        np.column_stack([x, -2 * hh - y]),
    ]
    diagram = Voronoi(np.concatenate(mirrored))
    regions = [diagram.regions[r] for r in diagram.point_region[:n]]
    sizes = np.fromiter((len(r) for r in regions), dtype=np.intp, count=n)
    flat = np.fromiter((v for r in regions for v in r), dtype=np.intp, count=int(sizes.sum()))
    vx, vy = diagram.vertices[flat, 0], diagram.vertices[flat, 1]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    # the next vertex of each polygon (cyclically): the shoelace formula, polygon by polygon
    following = np.arange(flat.size) + 1
    following[np.cumsum(sizes) - 1] = starts
    cross = vx * vy[following] - vx[following] * vy
    return 0.5 * np.abs(np.add.reduceat(cross, starts))


def _refuse_bools(value: object, name: str) -> None:
    """Booleans are not numbers: refuse boolean arrays (TypeError naming ``name``)."""
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be an array of numbers, got {value!r}")
    try:
        kind = np.asarray(value).dtype.kind
    except (TypeError, ValueError):
        return  # ragged: as_float_array phrases it
    if kind == "b":
        raise TypeError(f"`{name}` must hold numbers, got booleans")


def _check_size(value: object, name: str) -> float:
    """An RF size in degrees: > 0 and in the range of RF sigmas."""
    return check_range(check_positive(value, name), name, *SIGMA_RANGE, unit="deg")


def _check_rf(rf: object) -> ReceptiveField:
    if not isinstance(rf, ReceptiveField):
        raise TypeError(f"`rf` must be a ReceptiveField, got {type(rf).__name__}")
    return rf


def _check_mosaic_dict(d: object, where: str) -> dict[str, Any]:
    """Check a mosaic's plain data (memory included) and read its arrays; nothing built else.

    Returns the keyword arguments of the constructor, with ``field`` the
    (checked) keyword arguments of its VisualField.
    """
    json_object(d, where, ("Mosaic",), "a Mosaic")
    json_keys(d, where, "Mosaic", _DICT_REQUIRED, _DICT_OPTIONAL)
    field = check_scalars(d["field"], f"{where}.field", VisualField, ("VisualField",))[1]
    path = f"{where}.centers"
    pairs = json_list(d["centers"], path, "a list of [x, y] pairs")
    n = len(pairs)
    if n == 0:
        raise ValueError(f"`{path}` must hold at least one [x, y] pair, got an empty list")
    check_memory(_FROM_DICT_BYTES_PER_SITE * float(n), f"`{where}` ({n} sites)")
    flat = []
    for i, pair in enumerate(pairs):
        if isinstance(pair, list | tuple) and len(pair) == 2:
            flat.extend(pair)
            continue
        if isinstance(pair, list | tuple):
            seen = f"a list of {len(pair)} item(s)"
        else:
            seen = _describe(pair)
        shape_only = isinstance(pair, list | tuple | Real) and not isinstance(pair, bool)
        error = ValueError if shape_only else TypeError
        raise error(f"`{path}` must be a list of [x, y] pairs, got {seen} at `{path}[{i}]`")
    scales = d.get("scales")
    if scales is not None:
        scales = json_list(scales, f"{where}.scales", "a list of numbers (one per centre) or null")
        if len(scales) != n:
            raise ValueError(
                f"`{where}.scales` must hold one number per centre ({n}), got {len(scales)}"
            )
    kwargs: dict[str, Any] = {"field": field}
    kwargs["centers"] = json_numbers(flat, lambda i: f"{path}[{i // 2}][{i % 2}]").reshape(n, 2)
    if scales is not None:
        kwargs["scales"] = json_numbers(list(scales), lambda i: f"{where}.scales[{i}]")
    if "lattice" in d:
        kwargs["lattice"] = json_string(d["lattice"], f"{where}.lattice")
    if "spacing" in d:
        spacing = json_number(d["spacing"], f"{where}.spacing", nullable=True)
        lattice = kwargs.get("lattice", "custom")
        if spacing is None and lattice != "custom":
            raise ValueError(
                f"`{where}.spacing` must be a number for a {lattice!r} lattice, got null "
                "(only custom centres have no spacing)"
            )
        kwargs["spacing"] = math.nan if spacing is None else spacing
    if "jitter" in d:
        kwargs["jitter"] = json_number(d["jitter"], f"{where}.jitter")
    return kwargs


def _build_mosaic(kwargs: dict[str, Any], where: str) -> Mosaic:
    """Build the mosaic that :func:`_check_mosaic_dict` checked, errors naming key paths."""
    field = build(VisualField, kwargs["field"], f"{where}.field")
    return build(Mosaic, {**kwargs, "field": field}, where)
