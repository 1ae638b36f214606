"""Irregular and foveated mosaics: Poisson-disk, exclusion (dmin) and log-polar lattices.

Real mosaics of RF centres are neither perfect lattices nor random: every
neuron keeps its neighbours at a distance (an *exclusion zone*), and in
primate cortex the density of RFs falls with eccentricity as the cortical
magnification does.  The builders here return a :class:`~cortex.Mosaic`
(``lattice="custom"``) whose centres, in degrees, follow one of these rules:

:func:`poisson_disk`
    Bridson's (2007) Poisson-disk sampling: random centres no two of which are
    closer than ``min_distance``, packed until no gap is left.
:func:`exclusion_mosaic`
    Galli-Resta's *dmin* model (random sequential adsorption with a minimum
    distance drawn per cell from a normal distribution) at a given density,
    its mean exclusion distance tuned until the regularity index
    (:func:`cortex.mosaic_stats.regularity_index`) reaches a target.
:func:`foveated`
    A lattice that is regular on the *cortex*: sites ``spacing_mm`` apart on
    the map of the visual field given by a cortical magnification ``M(E)``
    (Horton & Hoyt 1991 by default), so about ``spacing_mm / M(E)`` degrees
    apart at eccentricity ``E``.

The centres of every builder fill the field's :attr:`~cortex.VisualField.extent`
(the area its pixels cover; a centre is always on a pixel of the field) and are
sorted in raster order (top row first, left to right), as
:meth:`Mosaic.from_lattice` sorts them.  The randomised builders take a
``seed``: the same seed gives the same mosaic.

References
----------
* Bridson R (2007). Fast Poisson disk sampling in arbitrary dimensions.
  ACM SIGGRAPH 2007 Sketches, article 22.
* Galli-Resta L, Resta G, Tan SS, Reese BE (1997). Mosaics of Islet-1-expressing
  amacrine cells assembled by short-range cellular interactions. J Neurosci
  17:7831-7838.
* Eglen SJ (2012). Cellular spacing: analysis and modelling of retinal mosaics.
  In: Computational Systems Neurobiology, Springer, pp. 365-385.
* Horton JC, Hoyt WF (1991). The representation of the visual field in human
  striate cortex. Arch Ophthalmol 109:816-824.
* Schwartz EL (1980). Computational anatomy and functional architecture of
  striate cortex: a spatial mapping approach to perceptual coding. Vision Res
  20:645-669.
* Wassle H, Riemann HJ (1978). The mosaic of nerve cells in the mammalian
  retina. Proc R Soc Lond B 200:441-461.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from ._validation import (
    _describe,
    as_rng,
    check_integer,
    check_memory,
    check_positive,
    check_range,
)
from .mosaic import Mosaic, _quantised
from .mosaic_stats import POISSON_REGULARITY_INDEX
from .mosaic_stats import regularity_index as _measured_regularity_index
from .visual_field import VisualField

__all__ = [
    "EXCLUSION_RI_RANGE",
    "HORTON_HOYT_E2",
    "HORTON_HOYT_M0",
    "exclusion_mosaic",
    "foveated",
    "poisson_disk",
]

#: Numerator of the cortical magnification of human V1, mm (mm/deg x deg): Horton & Hoyt
#: (1991) give ``M(E) = 17.3 / (E + 0.75)`` mm of cortex per degree.
HORTON_HOYT_M0 = 17.3
#: Eccentricity (deg) at which the magnification has halved (Horton & Hoyt 1991).
HORTON_HOYT_E2 = 0.75
#: Regularity indices :func:`exclusion_mosaic` accepts: from a Poisson process (1.9131)
#: to 8 (cone and horizontal-cell mosaics; the dmin model reaches ~10 at the densest
#: packing it is run at, which leaves room for the sampling noise of the index).
EXCLUSION_RI_RANGE = (POISSON_REGULARITY_INDEX, 8.0)

# Numeric ranges (private; stated in the docstrings).
#: distances in degrees (as Mosaic's spacing) and millimetres of cortex.
_LENGTH_RANGE = (1e-6, 1e6)
#: candidates per active point in Bridson's algorithm.
_K_RANGE = (1, 10_000)
#: growth of the RF scale per degree of eccentricity, 1/deg.
_RF_SLOPE_RANGE = (0.0, 1e3)
#: per-site RF scale factors (as Mosaic's).
_SCALE_RANGE = (1e-6, 1e6)
#: the fewest centres from which exclusion_mosaic measures a regularity index.
_MIN_EXCLUSION_SITES = 50
#: densest packing fraction (rho * pi * mean_dmin**2 / 4) the dmin model is run at: below
#: the jamming limit of random sequential adsorption (0.547), where filling stays fast.
_MAX_PACKING = 0.5
#: candidates drawn per centre before random sequential adsorption counts as jammed.
_RSA_TRIALS_PER_SITE = 1000
#: bytes held per estimated centre (measured with tracemalloc, with a margin): Bridson's
#: background grid, points and active list, the gap probes and the Mosaic's arrays; the
#: adsorption's points, KD-tree, draws and Mosaic; the foveated rings, sites and scales.
_POISSON_BYTES_PER_SITE = 256
_EXCLUSION_BYTES_PER_SITE = 256
_FOVEATED_BYTES_PER_SITE = 256
#: bytes of the largest batch of candidates (adsorption) or of probes (gap filling).
_BATCH_BYTES = 4 * 2**20
_MAX_BATCH = 16384
#: points of the eccentricity grid on which a magnification is integrated.
_N_GRID = 4097
#: relative margin on exclusion distances: a centre accepted at distance >= r*(1+margin)
#: is at least r away however the distance is recomputed (rounding is ~1e-16).
_MARGIN = 1e-9

_OFFSETS_Y, _OFFSETS_X = (a.ravel() for a in np.mgrid[-2:3, -2:3])


# -- shared helpers -----------------------------------------------------------------------
def _check_field(field: object) -> VisualField:
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {_describe(field)}")
    return field


def _check_length(value: object, name: str, unit: str) -> float:
    return check_range(check_positive(value, name), name, *_LENGTH_RANGE, unit=unit)


def _domain(field: VisualField) -> tuple[float, float]:
    """Half-sizes (deg) of the rectangle the centres fill: the extent, less a millionth px.

    A position at the right or bottom edge of the extent has no pixel (the
    pixel grid is half-open); a millionth of a pixel inside it always has one.
    """
    _, right, _, top = field.extent
    inset = 1e-6 / field.pixels_per_degree
    return right - inset, top - inset


def _finish(
    field: VisualField, x: np.ndarray, y: np.ndarray, spacing: float, scales=None
) -> Mosaic:
    """The Mosaic of centres ``(x, y)`` in raster order (top row first, left to right)."""
    order = np.lexsort((x, -y))
    centers = np.column_stack([x[order], y[order]])
    if scales is not None:
        scales = np.asarray(scales)[order]
    return Mosaic(field, centers, scales, lattice="custom", spacing=spacing)


# -- Poisson-disk sampling (Bridson 2007) -----------------------------------------------
class _DiskGrid:
    """Bridson's background grid: cells of side ``r / sqrt(2)`` hold at most one centre."""

    def __init__(self, ax: float, ay: float, r: float) -> None:
        self.ax, self.ay, self.r = ax, ay, r
        self.r2 = (r * (1.0 + _MARGIN)) ** 2
        self.inv_cell = math.sqrt(2.0) / r
        self.nx = max(1, math.ceil(2.0 * ax * self.inv_cell))
        self.ny = max(1, math.ceil(2.0 * ay * self.inv_cell))
        # two empty cells of padding on every side: neighbourhoods need no bounds checks
        self.cells = np.full((self.ny + 4, self.nx + 4), -1, dtype=np.intp)
        # at most one centre per cell; the last row is a sentinel for empty cells (-1)
        capacity = self.nx * self.ny
        self.points = np.empty((capacity + 1, 2))
        self.points[-1] = np.inf
        self.n = 0

    def free(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Which candidates lie in the domain, at least ``r`` from every centre."""
        # cells (+2 for the padding); candidates outside the domain get a clipped cell,
        # and are refused below anyway
        ix = ((x + self.ax) * self.inv_cell).astype(np.intp)
        iy = ((y + self.ay) * self.inv_cell).astype(np.intp)
        ix = np.minimum(np.maximum(ix, 0), self.nx - 1) + 2
        iy = np.minimum(np.maximum(iy, 0), self.ny - 1) + 2
        near = self.cells[iy[:, None] + _OFFSETS_Y, ix[:, None] + _OFFSETS_X]
        q = self.points[near]
        d2 = (q[..., 0] - x[:, None]) ** 2 + (q[..., 1] - y[:, None]) ** 2
        inside = (np.abs(x) <= self.ax) & (np.abs(y) <= self.ay)
        return inside & np.all(d2 >= self.r2, axis=1)

    def add(self, x: float, y: float) -> int:
        """Store a centre of the domain (checked free); returns its index."""
        ix = min(max(int((x + self.ax) * self.inv_cell), 0), self.nx - 1) + 2
        iy = min(max(int((y + self.ay) * self.inv_cell), 0), self.ny - 1) + 2
        index = self.n
        self.points[index] = (x, y)
        self.cells[iy, ix] = index
        self.n += 1
        return index


def _bridson_fill(grid: _DiskGrid, active: list[int], k: int, rng: np.random.Generator) -> None:
    """Bridson's loop: grow from the active centres until every one has failed ``k`` times."""
    r = grid.r
    points = grid.points
    while active:
        u = rng.random(2 * k + 1)
        slot = min(int(u[0] * len(active)), len(active) - 1)
        px, py = points[active[slot]]
        radius = r * np.sqrt(1.0 + 3.0 * u[1 : k + 1])  # uniform over the annulus [r, 2r]
        angle = (2.0 * math.pi) * u[k + 1 :]
        cx = px + radius * np.cos(angle)
        cy = py + radius * np.sin(angle)
        hits = np.flatnonzero(grid.free(cx, cy))
        if hits.size:
            j = hits[0]
            active.append(grid.add(float(cx[j]), float(cy[j])))
        else:  # this centre's annulus is full: retire it
            active[slot] = active[-1]
            active.pop()


def _gap_probes(grid: _DiskGrid, step: float) -> np.ndarray:
    """Nodes of a grid of pitch <= ``step`` over the domain farther than ``r`` from every centre."""
    xs = np.linspace(-grid.ax, grid.ax, max(2, math.ceil(2.0 * grid.ax / step) + 1))
    ys = np.linspace(-grid.ay, grid.ay, max(2, math.ceil(2.0 * grid.ay / step) + 1))
    tree = cKDTree(grid.points[: grid.n])
    bound = grid.r * (1.0 + _MARGIN)
    rows = max(1, _MAX_BATCH // xs.size)
    found = []
    for start in range(0, ys.size, rows):
        px, py = np.meshgrid(xs, ys[start : start + rows])
        probes = np.column_stack([px.ravel(), py.ravel()])
        distance, _ = tree.query(probes, distance_upper_bound=bound)
        found.append(probes[distance >= bound])
    return np.concatenate(found)


def poisson_disk(
    field: VisualField,
    min_distance: float,
    *,
    seed: int | np.random.Generator | None = None,
    k: int = 30,
) -> Mosaic:
    """RF centres by Poisson-disk sampling (Bridson 2007): random, none closer than a distance.

    Bridson's algorithm starts from one random centre and keeps a list of
    *active* centres; it repeatedly picks an active centre at random and
    draws ``k`` candidates uniformly over the annulus ``[min_distance,
    2 * min_distance]`` around it, accepting the first candidate at least
    ``min_distance`` from every centre (looked up in a background grid of
    cells of side ``min_distance / sqrt(2)``, which hold one centre at most)
    and retiring the active centre when all ``k`` fail.  A final pass then
    probes the field on the background grid's nodes and restarts the growth
    from any node still ``min_distance`` from every centre, so the gaps left
    by the ``k`` random tries are filled.

    Guarantees (both tested):

    * no two centres are closer than ``min_distance``;
    * every point of the field is within ``1.5 * min_distance`` of a centre
      (no empty disc of radius ``1.5 * min_distance`` fits between the
      centres; Bridson's algorithm alone promises ``2 * min_distance`` and
      only with high probability), so the sampling is maximal up to the
      probe grid: about ``0.62 / min_distance**2`` centres per square degree
      on large fields (a little more on small ones, whose edges are not
      crowded from outside).

    Nearest-neighbour distances then lie between ``min_distance`` and about
    ``1.5 * min_distance``: the regularity index
    (:func:`cortex.mosaic_stats.regularity_index`) is about 12.

    Parameters
    ----------
    field : VisualField
        The visual field; centres fill its extent (the area its pixels cover).
    min_distance : float
        Smallest distance between two centres, in degrees, in ``[1e-6, 1e6]``.
    seed : None, int or numpy.random.Generator, optional
        Randomness; the same seed gives the same mosaic.
    k : int, optional
        Candidates tried around each active centre, in ``[1, 10000]``
        (default 30, Bridson's choice).  Fewer tries leave more gaps for the
        final pass, which fills them only up to its probe grid: the result
        keeps both guarantees whatever ``k``, but is sparser (about 30% fewer
        centres with ``k=1``).

    Returns
    -------
    Mosaic
        ``lattice="custom"``, ``spacing=min_distance`` (the guaranteed
        smallest distance between centres), unit scales; centres (shape
        ``(n, 2)``, degrees) in raster order.

    Raises
    ------
    TypeError
        If ``field`` is not a VisualField, ``min_distance`` is not a real
        number, ``k`` is not an integer (booleans are refused for both) or
        ``seed`` has another type.
    ValueError
        If ``min_distance`` is not finite or not in ``[1e-6, 1e6]`` deg, ``k``
        is not in ``[1, 10000]`` or ``seed`` is negative.
    cortex.MemoryBudgetError
        If the centres, estimated at ``area / (0.6 * min_distance**2)``
        (about 256 bytes each), would exceed :func:`cortex.memory_budget`.

    See Also
    --------
    exclusion_mosaic : a hard-core mosaic of given density and regularity.

    References
    ----------
    Bridson R (2007). Fast Poisson disk sampling in arbitrary dimensions.
    ACM SIGGRAPH 2007 Sketches, article 22.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial import cKDTree
    >>> from scipy.spatial.distance import pdist
    >>> from cortex import VisualField
    >>> from cortex.lattices import poisson_disk
    >>> field = VisualField(4.0, 4.0, pixels_per_degree=20)
    >>> mosaic = poisson_disk(field, 0.5, seed=0)
    >>> bool(pdist(mosaic.centers).min() >= 0.5), mosaic.spacing, mosaic.lattice
    (True, 0.5, 'custom')
    >>> probes = np.random.default_rng(0).uniform(-2.0, 2.0, size=(10_000, 2))
    >>> gaps, _ = cKDTree(mosaic.centers).query(probes)  # no empty disc of radius 0.75
    >>> bool(gaps.max() <= 1.5 * 0.5)
    True
    """
    field = _check_field(field)
    r = _check_length(min_distance, "min_distance", "deg")
    k = check_integer(k, "k")
    if not _K_RANGE[0] <= k <= _K_RANGE[1]:
        raise ValueError(f"`k` must be in [{_K_RANGE[0]}, {_K_RANGE[1]}], got {k}")
    rng = as_rng(seed)
    ax, ay = _domain(field)
    n_estimate = (2.0 * ax + r) * (2.0 * ay + r) / (0.6 * r * r)
    check_memory(
        _POISSON_BYTES_PER_SITE * n_estimate + _BATCH_BYTES,
        f"Poisson-disk sampling with min_distance={r:g} deg over the {field.width:g} x "
        f"{field.height:g} deg field (about {n_estimate:.3g} centres)",
    )
    grid = _DiskGrid(ax, ay, r)
    active = [grid.add(float(rng.uniform(-ax, ax)), float(rng.uniform(-ay, ay)))]
    while True:
        _bridson_fill(grid, active, k, rng)
        gaps = _gap_probes(grid, r / math.sqrt(2.0))
        if not len(gaps):
            break
        for gx, gy in gaps[rng.permutation(len(gaps))]:
            if grid.free(np.array([gx]), np.array([gy]))[0]:
                active.append(grid.add(float(gx), float(gy)))
        if not active:  # the probes were free only to rounding (1e-9 r): nothing to fill
            break
    points = grid.points[: grid.n]
    return _finish(field, points[:, 0].copy(), points[:, 1].copy(), r)


# -- exclusion (dmin) mosaics (Galli-Resta et al. 1997) ------------------------------------
def _draw_dmin(rng: np.random.Generator, size: int, mean: float, sd: float) -> np.ndarray:
    """Exclusion distances: normal(mean, sd) truncated to ``[max(0, mean - 3 sd), mean + 3 sd]``."""
    low, high = max(0.0, mean - 3.0 * sd), mean + 3.0 * sd
    d = rng.normal(mean, sd, size)
    bad = (d < low) | (d > high)
    while np.any(bad):
        d[bad] = rng.normal(mean, sd, int(np.count_nonzero(bad)))
        bad = (d < low) | (d > high)
    return d


def _first_come(points: np.ndarray, dmin: np.ndarray, reach: float) -> np.ndarray:
    """Which of ``points`` sequential adsorption accepts, in order, among themselves.

    Point ``j`` is accepted iff no accepted ``i < j`` lies closer than ``dmin[j]``.
    """
    accepted = np.ones(len(points), dtype=bool)
    if len(points) < 2 or reach <= 0:
        return accepted
    pairs = cKDTree(points).query_pairs(reach, output_type="ndarray")
    if not len(pairs):
        return accepted
    pairs = np.sort(pairs, axis=1)  # (earlier, later)
    gap = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
    pairs = pairs[gap < dmin[pairs[:, 1]] * (1.0 + _MARGIN)]
    pairs = pairs[np.argsort(pairs[:, 1], kind="stable")]
    for i, j in pairs.tolist():  # i's fate is settled before any pair (., j) with j > i
        if accepted[i]:
            accepted[j] = False
    return accepted


def _adsorb(
    n: int, ax: float, ay: float, mean: float, sd: float, rng: np.random.Generator
) -> np.ndarray | None:
    """Random sequential adsorption of ``n`` centres with per-candidate exclusion distances.

    Candidates are uniform over ``[-ax, ax) x [-ay, ay)``; each gets its own
    distance from :func:`_draw_dmin` and is accepted if it lies at least that
    far from every centre accepted before it.  Candidates are drawn in
    batches and checked at once (a KD-tree of the centres, then the
    candidates of the batch among themselves in order), which gives exactly
    the sequential process.  Returns None if the packing jams first.
    """
    points = np.empty((n, 2))
    reach = mean + 3.0 * sd
    m, trials, batch = 0, 0, 256
    max_trials = _RSA_TRIALS_PER_SITE * n
    while m < n:
        if trials >= max_trials:
            return None
        size = min(batch, max_trials - trials)
        cand = np.column_stack([rng.uniform(-ax, ax, size), rng.uniform(-ay, ay, size)])
        dmin = _draw_dmin(rng, size, mean, sd)
        trials += size
        if m and reach > 0:
            nearest, _ = cKDTree(points[:m]).query(cand, distance_upper_bound=reach)
            keep = np.flatnonzero(nearest >= dmin * (1.0 + _MARGIN))
        else:
            keep = np.arange(size)
        keep = keep[_first_come(cand[keep], dmin[keep], reach)][: n - m]
        points[m : m + keep.size] = cand[keep]
        m += keep.size
        rate = max(keep.size / size, 1e-4)
        batch = int(np.clip(1.2 * (n - m) / rate, 64, _MAX_BATCH))
    return points


def exclusion_mosaic(
    field: VisualField,
    density: float,
    regularity_index: float,
    *,
    seed: int | np.random.Generator | None = None,
    tolerance: float = 0.1,
    max_iter: int = 60,
) -> Mosaic:
    """A hard-core (dmin) mosaic of given density whose regularity index hits a target.

    The mosaic has ``n = round(density * area)`` centres (``area``: the
    field's extent, so :attr:`Mosaic.density` is ``density`` up to the
    rounding of ``n``), placed by Galli-Resta's *dmin* model (Galli-Resta
    et al. 1997; Eglen 2012): random sequential adsorption in which every
    candidate cell draws an exclusion distance from a normal distribution
    (mean ``d``, s.d. ``d / (2 * regularity_index)``, truncated at 3 s.d.) and
    is kept only if no cell placed before it is closer than that distance.
    The s.d. is tied to the target so that the spread of exclusion distances
    alone would allow an index of about twice the target.

    The regularity index of such mosaics grows with the packing fraction
    ``density * pi * d**2 / 4``, from a Poisson process's 1.9131 at ``d = 0``;
    the mean ``d`` is found by bisection on the packing fraction (in ``(0,
    0.5]``, below the jamming limit of the adsorption, 0.547) until the index
    measured on the mosaic by :func:`cortex.mosaic_stats.regularity_index`
    (edge-corrected) is within ``tolerance`` of ``regularity_index``.  The
    index of a finite mosaic fluctuates from one realisation to the next
    (about ``regularity_index / sqrt(2 * n)``), so once the bisection has
    narrowed to that noise it keeps drawing realisations about the root (a new
    one at every iteration) until one is within the tolerance.

    Parameters
    ----------
    field : VisualField
        The visual field; centres fill its extent.
    density : float
        Centres per square degree, > 0; the field must hold at least 50 of
        them (fewer give no meaningful regularity index).
    regularity_index : float
        The target: mean nearest-neighbour distance over its s.d., in
        :data:`EXCLUSION_RI_RANGE` = ``[1.9131, 8]``: from a Poisson process
        (:data:`cortex.mosaic_stats.POISSON_REGULARITY_INDEX`; an exclusion
        zone can only make a mosaic more regular) to the cone and
        horizontal-cell mosaics (retinal ganglion cells: 2-4).  The model
        reaches about 10 at its densest packing, which leaves room for the
        sampling noise of the index.
    seed : None, int or numpy.random.Generator, optional
        Randomness; the same seed gives the same mosaic.
    tolerance : float, optional
        Largest accepted ``|measured - regularity_index|`` (absolute), in
        ``(0, 1]`` (default 0.1).
    max_iter : int, optional
        Most realisations drawn (each one adsorption of ``n`` centres), >= 1
        (default 60).

    Returns
    -------
    Mosaic
        ``lattice="custom"``, unit scales, centres (shape ``(n, 2)``, degrees)
        in raster order, and ``spacing`` = the mean exclusion distance ``d``
        (degrees) of the model that produced it (nan if it is below 1e-6 deg);
        every pair of centres is at least ``d * (1 - 1.5 / regularity_index)``
        apart (the truncation of the distances).

    Raises
    ------
    TypeError
        If ``field`` is not a VisualField, a number is not a real number (or,
        for ``max_iter``, an integer; booleans are refused) or ``seed`` has
        another type.
    ValueError
        If ``density`` or ``tolerance`` is not finite and > 0 (``tolerance``
        at most 1), ``regularity_index`` is not finite or outside
        :data:`EXCLUSION_RI_RANGE`, the field holds fewer than 50 centres at
        this density, ``max_iter`` < 1 or ``seed`` is negative.
    RuntimeError
        If no realisation within ``max_iter`` reaches the tolerance (the
        message gives the closest index measured); a larger field (more
        centres, less noise), a larger tolerance or more iterations help.
    cortex.MemoryBudgetError
        If the ``n`` centres (about 256 bytes each, plus 4 MiB of candidates)
        would exceed :func:`cortex.memory_budget`.

    See Also
    --------
    poisson_disk : a maximal mosaic of one fixed exclusion distance.
    cortex.mosaic_stats.regularity_index : the index measured.

    References
    ----------
    Galli-Resta L, Resta G, Tan SS, Reese BE (1997). Mosaics of
    Islet-1-expressing amacrine cells assembled by short-range cellular
    interactions. J Neurosci 17:7831-7838.

    Eglen SJ (2012). Cellular spacing: analysis and modelling of retinal
    mosaics. In: Computational Systems Neurobiology, Springer, pp. 365-385.

    Wassle H, Riemann HJ (1978). The mosaic of nerve cells in the mammalian
    retina. Proc R Soc Lond B 200:441-461.

    Examples
    --------
    >>> from cortex import VisualField
    >>> from cortex.lattices import exclusion_mosaic
    >>> from cortex.mosaic_stats import regularity_index
    >>> field = VisualField(10.0, 10.0, pixels_per_degree=8)
    >>> mosaic = exclusion_mosaic(field, density=5.0, regularity_index=4.0, seed=1)
    >>> mosaic.n_neurons, mosaic.density
    (500, 5.0)
    >>> abs(regularity_index(mosaic) - 4.0) <= 0.1
    True
    """
    field = _check_field(field)
    density = check_positive(density, "density")
    target = check_positive(regularity_index, "regularity_index")
    low_ri, high_ri = EXCLUSION_RI_RANGE
    if not low_ri <= target <= high_ri:
        raise ValueError(
            f"`regularity_index` must be in [{low_ri:.6g}, {high_ri:g}] (from a Poisson process "
            f"to the most regular exclusion mosaics), got {target:g}"
        )
    tolerance = check_range(check_positive(tolerance, "tolerance"), "tolerance", 0.0, 1.0)
    max_iter = check_integer(max_iter, "max_iter", minimum=1)
    rng = as_rng(seed)
    ax, ay = _domain(field)
    left, right, bottom, top = field.extent
    area = (right - left) * (top - bottom)
    n_float = density * area
    check_memory(
        _EXCLUSION_BYTES_PER_SITE * n_float + _BATCH_BYTES,
        f"an exclusion mosaic of density {density:g} / deg**2 over the {field.width:g} x "
        f"{field.height:g} deg field ({n_float:.3g} centres)",
    )
    n = round(n_float)
    if n < _MIN_EXCLUSION_SITES:
        raise ValueError(
            f"`density` x field area must give at least {_MIN_EXCLUSION_SITES} centres to "
            f"measure a regularity index, got {density:g} / deg**2 x {area:g} deg**2 = {n}; "
            "raise `density` or use a larger field"
        )
    rho = n / (4.0 * ax * ay)  # density over the sampled rectangle
    cv = 1.0 / (2.0 * target)
    low, high = 0.0, _MAX_PACKING
    best = math.inf
    for _ in range(max_iter):
        packing = 0.5 * (low + high)
        mean = math.sqrt(4.0 * packing / (math.pi * rho))
        points = _adsorb(n, ax, ay, mean, cv * mean, rng)
        if points is None:  # jammed: too dense
            high = packing
        else:
            spacing = mean if mean >= _LENGTH_RANGE[0] else math.nan
            mosaic = _finish(field, points[:, 0], points[:, 1], spacing)
            measured = _measured_regularity_index(mosaic)
            if abs(measured - target) <= tolerance:
                return mosaic
            if math.isfinite(measured) and abs(measured - target) < abs(best - target):
                best = measured
            if measured < target:
                low = packing
            elif measured > target:
                high = packing
        if high - low < 1e-3 * _MAX_PACKING:  # narrowed to the noise: look about the root
            low, high = max(0.0, packing - 0.02), min(_MAX_PACKING, packing + 0.02)
    raise RuntimeError(
        f"exclusion_mosaic did not reach `regularity_index` {target:g} within "
        f"`tolerance` {tolerance:g} in {max_iter} realisations of {n} centres (closest: "
        f"{best:.4g}); use a larger field, a larger `tolerance` or more `max_iter`"
    )


# -- foveated lattices (cortical magnification) ---------------------------------------------
def _evaluate_magnification(
    magnification: Callable[[np.ndarray], object], ecc: np.ndarray
) -> np.ndarray:
    """``magnification(ecc)`` as finite, positive float64 values of ``ecc``'s shape."""
    try:
        values = np.asarray(magnification(ecc.copy()))  # the user's function may write to it
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"`magnification` must accept an array of eccentricities (deg): {exc}"
        ) from exc
    if values.dtype.kind not in "iuf":
        raise TypeError(
            f"`magnification` must return real numbers (mm/deg), got dtype {values.dtype}"
        )
    try:
        values = np.broadcast_to(values, ecc.shape).astype(np.float64)
    except ValueError:
        raise ValueError(
            f"`magnification` must return one value per eccentricity (shape {ecc.shape}), "
            f"got shape {values.shape}"
        ) from None
    bad = ~(np.isfinite(values) & (values > 0))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`magnification` must return finite values > 0 (mm/deg), got {float(values[i])} at "
            f"eccentricity {ecc[i]:g} deg ({int(np.count_nonzero(bad))} bad value(s))"
        )
    return values


def _circle_fraction(ecc: np.ndarray, ax: float, ay: float) -> np.ndarray:
    """Fraction of the circle of radius ``ecc`` inside ``|x| <= ax, |y| <= ay``."""
    with np.errstate(divide="ignore"):
        cos_max = np.minimum(1.0, ax / ecc)
        sin_max = np.minimum(1.0, ay / ecc)
    arc = np.maximum(0.0, np.arcsin(sin_max) - np.arccos(cos_max))
    return np.where(ecc > 0, arc / (0.5 * math.pi), 1.0)


def foveated(
    field: VisualField,
    *,
    magnification: Callable[[np.ndarray], object] | None = None,
    m0: float = HORTON_HOYT_M0,
    e2: float = HORTON_HOYT_E2,
    spacing_mm: float = 1.0,
    rf_slope: float | None = None,
    rf_rtol: float | None = 0.05,
) -> Mosaic:
    """A lattice regular on the cortex: density follows the cortical magnification.

    The magnification ``M(E)`` (mm of cortex per degree at eccentricity
    ``E``) maps the visual field onto a cortical sheet in which eccentricity
    ``E`` lies ``R(E) = integral_0^E M(e) de`` mm from the foveal
    representation and a circle of eccentricity ``E`` is ``2 pi E M(E)`` mm
    long (the map is locally isotropic; for Horton & Hoyt's ``M`` it is the
    log-polar map of Schwartz 1980, ``R = m0 log(1 + E / e2)``).  Sites sit on
    this sheet on rings ``spacing_mm`` apart (ring ``i`` at ``R = i *
    spacing_mm``), with ``round(2 pi E M(E) / spacing_mm)`` sites evenly
    spaced on each ring (every other ring turned by half a step), plus one at
    fixation.  Back in the visual field, neighbouring sites at eccentricity
    ``E`` are about ``spacing_mm / M(E)`` degrees apart (along the ring;
    ``1.12 spacing_mm / M(E)`` to the next ring), and the density is about
    ``(M(E) / spacing_mm)**2`` per square degree.

    Parameters
    ----------
    field : VisualField
        The visual field, centred on fixation; sites outside its extent are
        dropped.
    magnification : callable, optional
        ``M(E)``: takes an array of eccentricities in degrees (a float64
        array, 0 included) and returns the magnification in mm/deg, finite and
        > 0, one value per eccentricity (or a scalar).  Default: Horton &
        Hoyt's ``m0 / (E + e2)``.
    m0 : float, optional
        Numerator of the default magnification, mm (mm/deg x deg), in ``[1e-6,
        1e6]`` (default 17.3, human V1: Horton & Hoyt 1991).  Only with the
        default magnification.
    e2 : float, optional
        Eccentricity at which the default magnification halves, deg, in
        ``[1e-6, 1e6]`` (default 0.75).  Only with the default magnification.
    spacing_mm : float, optional
        Distance between neighbouring sites on the cortex, mm, in ``[1e-6,
        1e6]`` (default 1, about a hypercolumn).
    rf_slope : float or None, optional
        How RF size follows eccentricity (every length of a site's RF is the
        model's times its scale).  None (default): in proportion to the local
        spacing, ``scale = M(0) / M(E)`` (for the default magnification
        ``(E + e2) / e2``), so every RF covers the same patch of cortex and
        the coverage is the same at every eccentricity.  A float in ``[0,
        1000]`` (1/deg): ``scale = 1 + rf_slope * E``, a linear growth from
        the model's size at fixation (0: every RF the model's size; for
        :meth:`Mosaic.with_eccentricity_scaling`'s ``intercept`` and
        ``slope``, ``rf_slope = slope / intercept``).  Scale 1 is the RF at
        fixation in both cases.
    rf_rtol : float or None, optional
        Quantise the scales to geometrically spaced levels within this
        relative error, in ``(0, 1]`` (default 5%), as
        :meth:`Mosaic.with_eccentricity_scaling` does, so a population needs
        one correlation per level; None keeps the exact scales.

    Returns
    -------
    Mosaic
        ``lattice="custom"``, ``spacing=nan`` (the spacing varies with
        eccentricity: about ``spacing_mm / M(E)`` deg), centres (shape ``(n,
        2)``, degrees) in raster order and one scale per site (shape ``(n,)``).

    Raises
    ------
    TypeError
        If ``field`` is not a VisualField, ``magnification`` is neither
        callable nor None or returns something other than real numbers, or
        a number is not a real number (booleans are refused).
    ValueError
        If a number is not finite or out of range, ``magnification`` is given
        together with a non-default ``m0`` or ``e2``, returns values that are
        not finite and > 0 or of the wrong shape, or the RF scales leave
        ``[1e-6, 1e6]``.
    cortex.MemoryBudgetError
        If the sites (estimated by integrating ``(M(E) / spacing_mm)**2``
        over the field, about 256 bytes each) would exceed
        :func:`cortex.memory_budget`.

    References
    ----------
    Horton JC, Hoyt WF (1991). The representation of the visual field in
    human striate cortex. Arch Ophthalmol 109:816-824.

    Schwartz EL (1980). Computational anatomy and functional architecture of
    striate cortex: a spatial mapping approach to perceptual coding. Vision
    Res 20:645-669.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex import VisualField
    >>> from cortex.lattices import foveated
    >>> field = VisualField(16.0, 16.0, pixels_per_degree=8)
    >>> mosaic = foveated(field)  # Horton & Hoyt's M(E), sites 1 mm apart on the cortex
    >>> mosaic.centers[np.argmin(mosaic.eccentricity)]  # one site at fixation
    array([0., 0.])

    Between 2 and 7 deg, ``(M(E) / 1 mm)**2`` integrates to 1617 sites:

    >>> ecc = mosaic.eccentricity
    >>> int(np.count_nonzero((ecc >= 2.0) & (ecc < 7.0)))
    1627

    RFs grow as ``(E + 0.75) / 0.75`` (quantised to 5%), up to 14 at the corners:

    >>> round(float(mosaic.scales.max()), 1)
    14.4
    """
    field = _check_field(field)
    m0 = _check_length(m0, "m0", "mm")
    e2 = _check_length(e2, "e2", "deg")
    spacing = _check_length(spacing_mm, "spacing_mm", "mm")
    if magnification is None:

        def magnification(ecc: np.ndarray) -> np.ndarray:
            return m0 / (ecc + e2)

    elif not callable(magnification):
        raise TypeError(
            f"`magnification` must be a callable E (deg) -> M (mm/deg) or None, "
            f"got {_describe(magnification)}"
        )
    elif m0 != HORTON_HOYT_M0 or e2 != HORTON_HOYT_E2:
        raise ValueError(
            f"`m0` and `e2` define the default magnification; they cannot be combined with "
            f"`magnification`, got m0={m0:g}, e2={e2:g}"
        )
    if rf_slope is not None:
        rf_slope = check_range(
            check_positive(rf_slope, "rf_slope", allow_zero=True),
            "rf_slope",
            *_RF_SLOPE_RANGE,
            unit="1/deg",
        )
    if rf_rtol is not None:
        rf_rtol = check_range(check_positive(rf_rtol, "rf_rtol"), "rf_rtol", 0.0, 1.0)
    ax, ay = _domain(field)
    e_max = math.hypot(ax, ay)
    # R(E) on a grid fine both near fixation and out to the corner of the field
    grid = np.unique(
        np.concatenate(
            [[0.0], np.linspace(0.0, e_max, _N_GRID), np.geomspace(e_max * 1e-6, e_max, _N_GRID)]
        )
    )
    m_grid = _evaluate_magnification(magnification, grid)
    steps = np.diff(grid)
    cortex_r = np.concatenate([[0.0], np.cumsum(0.5 * (m_grid[1:] + m_grid[:-1]) * steps)])
    # sites expected inside the field: the density integrated over it
    per_ecc = 2.0 * math.pi * grid * (m_grid / spacing) ** 2 * _circle_fraction(grid, ax, ay)
    n_estimate = 1.0 + float(np.sum(0.5 * (per_ecc[1:] + per_ecc[:-1]) * steps))
    n_rings = math.floor(cortex_r[-1] / spacing)
    check_memory(
        _FOVEATED_BYTES_PER_SITE * (n_estimate + n_rings) + _BATCH_BYTES,
        f"a foveated lattice of spacing {spacing:g} mm over the {field.width:g} x "
        f"{field.height:g} deg field (about {n_estimate:.3g} sites on {n_rings} rings)",
    )
    ring_ecc = np.interp(spacing * np.arange(1, n_rings + 1), cortex_r, grid)
    ring_m = _evaluate_magnification(magnification, ring_ecc)
    counts = np.maximum(1, np.rint(2.0 * math.pi * ring_ecc * ring_m / spacing)).astype(np.int64)
    xs, ys = [np.zeros(1)], [np.zeros(1)]
    # rings in chunks of about _MAX_BATCH candidate sites, each clipped to the field
    bounds = np.searchsorted(np.cumsum(counts), np.arange(0, counts.sum(), _MAX_BATCH), "right")
    bounds = np.unique(np.concatenate([[0], bounds, [n_rings]]))
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        ring = np.repeat(np.arange(start, stop), counts[start:stop])
        first = np.cumsum(counts[start:stop]) - counts[start:stop]
        j = np.arange(ring.size) - np.repeat(first, counts[start:stop])
        theta = 2.0 * math.pi * (j + 0.5 * (ring % 2)) / counts[ring]
        x = ring_ecc[ring] * np.cos(theta)
        y = ring_ecc[ring] * np.sin(theta)
        keep = (np.abs(x) <= ax) & (np.abs(y) <= ay)
        xs.append(x[keep])
        ys.append(y[keep])
    x, y = np.concatenate(xs), np.concatenate(ys)
    ecc = np.hypot(x, y)
    if rf_slope is None:
        scales = m_grid[0] / _evaluate_magnification(magnification, ecc)
        source = "M(0) / M(E) (the `magnification`)"
    else:
        scales = 1.0 + rf_slope * ecc
        source = "1 + rf_slope * E (`rf_slope`)"
    lo, hi = float(scales.min()), float(scales.max())
    if lo < _SCALE_RANGE[0] or hi > _SCALE_RANGE[1]:
        raise ValueError(
            f"the RF scales {source} must be in [{_SCALE_RANGE[0]:g}, {_SCALE_RANGE[1]:g}], "
            f"got values from {lo:g} to {hi:g}"
        )
    if rf_rtol is not None:
        scales = _quantised(scales, None, rf_rtol)
    return _finish(field, x, y, math.nan, scales)
