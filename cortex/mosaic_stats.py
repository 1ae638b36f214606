"""Mosaic statistics: the measures anatomists take of real retinal and cortical mosaics.

Every function takes a :class:`~cortex.Mosaic` and measures its RF centres
(degrees), with an **edge correction**: a statistic that a point near the
border of the field would get wrong (its nearest neighbour, its Voronoi cell,
its neighbours at a distance, the RFs over it) is corrected, or taken only
over the points far enough from the border for it to be right.  The field's
border is the edge of its pixel grid, :attr:`cortex.VisualField.extent`
(every RF centre lies inside it); the mosaic is assumed to continue beyond it
with the same statistics.  (The nearest-neighbour guard measures to the
outermost pixel centres, :attr:`cortex.VisualField.limits`, half a pixel
inside that edge: slightly stricter.)  Pass ``edge_correction=False`` for the
raw values.

Nearest neighbours and the regularity index
    :func:`nearest_neighbor_distances` and :func:`regularity_index`, the
    mean nearest-neighbour distance over its standard deviation: about 1.91
    for a Poisson (random) process (Wassle & Riemann 1978), 2-4 for the
    mosaics of retinal ganglion cells, infinite for a perfect lattice.  Edge
    correction keeps the points whose nearest neighbour is closer than the
    border (Wassle & Riemann's guard region).

Voronoi domains
    :func:`voronoi_areas`: the area of the region of the field closer to each
    centre than to any other (its Voronoi domain or "territory"), and the
    coefficient of variation of those areas: 0 for a lattice (a square of
    side ``d`` on a square lattice, a hexagon of area ``sqrt(3) / 2 * d**2``
    on a hexagonal one), about 0.53 for a Poisson process, in between for
    real mosaics (Wassle & Riemann 1978).  Edge correction keeps only the
    cells that no centre outside the field could change.

Density recovery profile
    :func:`density_recovery_profile` (Rodieck 1991): the density of centres
    in annuli of growing radius around each centre, averaged over centres.
    Flat at the mean density for a Poisson process; zero out to the spacing
    for a lattice, with peaks at the distances of its neighbours.  The
    "dead zone" around each centre, where neighbours are rarer than on
    average, is summarised by Rodieck's effective radius.  Edge correction
    divides the counts by the part of each annulus that lies inside the
    field (computed exactly).

Coverage distribution
    :func:`coverage_distribution`: over the points of the field, the
    fraction covered by exactly 0, 1, 2, ... RF contours, and their mean, the
    (measured) coverage factor.  Edge correction ignores a margin of one RF
    radius at the border, where RFs centred outside the field are missing.

The references for the values quoted in the docstrings:

* Wassle H, Riemann HJ (1978). The mosaic of nerve cells in the mammalian
  retina. Proc R Soc Lond B 200:441-461.
* Gilbert EN (1962). Random subdivisions of space into crystals. Ann Math
  Stat 33:958-972.
* Rodieck RW (1991). The density recovery profile: a method for the analysis
  of points in the plane applicable to retinal studies. Vis Neurosci 6:95-111.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import Voronoi, cKDTree

from ._validation import budget_chunk, check_bool, check_memory, check_positive
from .mosaic import Mosaic
from .receptive_fields import ReceptiveField

__all__ = [
    "POISSON_REGULARITY_INDEX",
    "POISSON_VORONOI_CV",
    "CoverageDistribution",
    "DensityRecoveryProfile",
    "NearestNeighbors",
    "VoronoiCells",
    "coverage_distribution",
    "density_recovery_profile",
    "nearest_neighbor_distances",
    "regularity_index",
    "voronoi_areas",
]

#: Regularity index of a Poisson process in the plane: the mean nearest-neighbour
#: distance ``1 / (2 sqrt(rho))`` over its s.d. ``sqrt((4 - pi) / (4 pi rho))``, i.e.
#: ``sqrt(pi / (4 - pi))`` = 1.913 (Wassle & Riemann 1978), whatever the density.
POISSON_REGULARITY_INDEX = math.sqrt(math.pi / (4.0 - math.pi))

#: Coefficient of variation of the Voronoi cell areas of a Poisson process in the
#: plane: ``sqrt(0.280)`` = 0.529 (the variance of the area of a Poisson-Voronoi cell
#: is 0.280 times its squared mean; Gilbert 1962), whatever the density.
POISSON_VORONOI_CV = math.sqrt(0.2802)

# Memory estimates (private; stated in the docstrings), bytes held at once.
#: per centre for the KD-tree and the nearest-neighbour query (tree, distances, indices).
_NN_BYTES_PER_SITE = 128
#: per centre for scipy.spatial.Voronoi (Qhull's peak, measured about 1.5 KiB) and the cells.
_VORONOI_BYTES_PER_SITE = 2048
#: per centre for the density recovery profile: the KD-tree and one radius's disc areas.
_DRP_BYTES_PER_SITE = 256
#: per disc area computed at once by the edge correction (its float64 temporaries).
_AREA_BYTES_PER_DISC = 96
#: per bin of the density recovery profile (edges, counts, areas, densities).
_DRP_BYTES_PER_BIN = 64
#: per sample point of the coverage distribution: its coordinates (16 B) plus
#: Mosaic.coverage's own 64 B (checked again by it).
_COVERAGE_BYTES_PER_SAMPLE = 96
#: relative amount by which the bin edges of the profile are lowered, so that a
#: distance equal to an edge up to rounding (a lattice spacing) falls in the bin above.
_EDGE_RTOL = 1e-9


def _check_mosaic(mosaic: object) -> Mosaic:
    if not isinstance(mosaic, Mosaic):
        raise TypeError(f"`mosaic` must be a Mosaic, got {type(mosaic).__name__}")
    return mosaic


def _half_extent(mosaic: Mosaic) -> tuple[float, float]:
    """Half width and half height (deg) of the field's pixel grid: the window of the centres."""
    left, right, bottom, top = mosaic.field.extent
    return right, top


def _border_distance(mosaic: Mosaic) -> np.ndarray:
    """Distance (deg) from each centre to the box of the outermost pixel centres.

    That box (:attr:`VisualField.limits`) lies half a pixel inside the field's
    edge, so the nearest-neighbour guard is a little stricter than needed.
    """
    half_w, half_h = mosaic.field.limits
    x, y = mosaic.centers[:, 0], mosaic.centers[:, 1]
    return np.minimum(half_w - np.abs(x), half_h - np.abs(y))


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# -- nearest neighbours --------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NearestNeighbors:
    """Nearest-neighbour distances of a mosaic, edge-corrected.

    Returned by :func:`nearest_neighbor_distances`.

    Attributes
    ----------
    distances : numpy.ndarray, shape (n_kept,)
        Distance (deg) from each kept point to its nearest neighbour.
    index : numpy.ndarray of int, shape (n_kept,)
        Which sites of the mosaic were kept (increasing).
    n_excluded : int
        Points left out by the edge correction.
    """

    distances: np.ndarray
    index: np.ndarray
    n_excluded: int

    @property
    def mean(self) -> float:
        """Mean nearest-neighbour distance (deg); nan if no point was kept."""
        return float(np.mean(self.distances)) if self.distances.size else math.nan

    @property
    def std(self) -> float:
        """Standard deviation (deg, ``ddof=1``); nan with fewer than two points."""
        return float(np.std(self.distances, ddof=1)) if self.distances.size > 1 else math.nan

    @property
    def regularity_index(self) -> float:
        """:attr:`mean` / :attr:`std`: ``inf`` if all equal (1e-12 relative), nan if < 2 points."""
        if self.distances.size < 2:
            return math.nan
        mean, std = self.mean, self.std
        if std <= 1e-12 * mean:
            return math.inf
        return mean / std


def nearest_neighbor_distances(mosaic: Mosaic, *, edge_correction: bool = True) -> NearestNeighbors:
    """Distance from each RF centre to its nearest neighbour.

    Parameters
    ----------
    mosaic : Mosaic
        The RF centres.
    edge_correction : bool, optional
        Keep only the points whose nearest neighbour is closer than the
        border of the field (a point nearer the border might have its true
        nearest neighbour outside the field: Wassle & Riemann's guard
        region); default True.  The border is taken at the outermost pixel
        centres (:attr:`cortex.VisualField.limits`), half a pixel inside the
        field's edge.

    Returns
    -------
    NearestNeighbors
        The distances (deg), which sites they belong to, and how many were
        excluded.  A mosaic of one centre gives no distance (and one
        exclusion).

    Raises
    ------
    TypeError
        If ``mosaic`` is not a Mosaic or ``edge_correction`` not a bool.
    cortex.MemoryBudgetError
        If the KD-tree and the query (about 128 bytes per centre) would
        exceed :func:`cortex.memory_budget`.

    Examples
    --------
    >>> import cortex
    >>> from cortex.mosaic_stats import nearest_neighbor_distances
    >>> field = cortex.VisualField(4.0, 4.0, pixels_per_degree=20)
    >>> nn = nearest_neighbor_distances(cortex.Mosaic.from_lattice(field, 0.5, "square"))
    >>> round(nn.mean, 6), round(nn.std, 6)
    (0.5, 0.0)
    """
    mosaic = _check_mosaic(mosaic)
    edge_correction = check_bool(edge_correction, "edge_correction")
    centers = mosaic.centers
    if len(centers) < 2:
        return NearestNeighbors(
            _read_only(np.empty(0)), _read_only(np.empty(0, dtype=np.intp)), len(centers)
        )
    check_memory(
        _NN_BYTES_PER_SITE * float(len(centers)),
        f"the nearest neighbours of {len(centers)} centres",
    )
    distance, _ = cKDTree(centers).query(centers, k=2)
    nearest = distance[:, 1]
    keep = np.ones(len(centers), dtype=bool)
    if edge_correction:
        keep = nearest < _border_distance(mosaic)
    index = np.flatnonzero(keep)
    return NearestNeighbors(
        _read_only(nearest[index].copy()), _read_only(index), int(len(centers) - index.size)
    )


def regularity_index(mosaic: Mosaic, *, edge_correction: bool = True) -> float:
    """The regularity index: mean nearest-neighbour distance over its s.d.

    About :data:`POISSON_REGULARITY_INDEX` (1.91) for a Poisson process,
    2-4 for retinal ganglion-cell mosaics, 5-10 or more for cone and
    horizontal-cell mosaics (Wassle & Riemann 1978); infinite for a perfect
    lattice (every distance equal).

    Parameters
    ----------
    mosaic : Mosaic
        The RF centres.
    edge_correction : bool, optional
        As :func:`nearest_neighbor_distances`.

    Returns
    -------
    float
        The index; ``inf`` when every kept distance is equal (to rounding,
        1e-12 relative), nan with fewer than two kept points.

    Raises
    ------
    TypeError
        As :func:`nearest_neighbor_distances`.
    cortex.MemoryBudgetError
        As :func:`nearest_neighbor_distances`.

    Examples
    --------
    >>> import cortex
    >>> from cortex.mosaic_stats import regularity_index
    >>> field = cortex.VisualField(4.0, 4.0, pixels_per_degree=20)
    >>> regularity_index(cortex.Mosaic.from_lattice(field, 0.5, "hexagonal"))
    inf
    """
    return nearest_neighbor_distances(mosaic, edge_correction=edge_correction).regularity_index


# -- Voronoi domains -----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class VoronoiCells:
    """Areas of the Voronoi cells of a mosaic, edge-corrected.

    Returned by :func:`voronoi_areas`.

    Attributes
    ----------
    areas : numpy.ndarray, shape (n_kept,)
        Area of each kept cell, in deg**2.
    index : numpy.ndarray of int, shape (n_kept,)
        Which sites of the mosaic the cells belong to (increasing).
    n_excluded : int
        Cells left out: unbounded, shared by coincident centres, or (with
        edge correction) changeable by a centre outside the field.
    """

    areas: np.ndarray
    index: np.ndarray
    n_excluded: int

    @property
    def mean(self) -> float:
        """Mean cell area (deg**2); nan if no cell was kept."""
        return float(np.mean(self.areas)) if self.areas.size else math.nan

    @property
    def std(self) -> float:
        """Standard deviation of the areas (deg**2, ``ddof=1``); nan with fewer than two cells."""
        return float(np.std(self.areas, ddof=1)) if self.areas.size > 1 else math.nan

    @property
    def cv(self) -> float:
        """Coefficient of variation :attr:`std` / :attr:`mean` (0 for a lattice, 0.53 random)."""
        return self.std / self.mean if self.areas.size > 1 else math.nan


def _voronoi(
    mosaic: Mosaic, edge_correction: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The kept Voronoi cells: ``(areas, index, vertices, starts)``.

    ``vertices`` (m, 2) lists the polygons' vertices (deg) one cell after the
    other, counter-clockwise; cell ``j`` starts at row ``starts[j]``.
    """
    centers = mosaic.centers
    n = len(centers)
    empty = np.empty(0), np.empty(0, dtype=np.intp), np.empty((0, 2)), np.empty(0, dtype=np.intp)
    if n < 3:
        return empty
    check_memory(_VORONOI_BYTES_PER_SITE * float(n), f"the Voronoi diagram of {n} centres")
    if np.linalg.matrix_rank(centers - centers.mean(axis=0)) < 2:
        return empty  # no bounded cell: every cell of collinear centres is a strip
    diagram = Voronoi(centers)
    regions = [diagram.regions[r] for r in diagram.point_region]
    lengths = np.fromiter(map(len, regions), dtype=np.intp, count=n)
    flat = np.fromiter(itertools.chain.from_iterable(regions), dtype=np.intp, count=lengths.sum())
    owner = np.repeat(np.arange(n), lengths)
    # Coincident centres share one region (or get an empty one): no cell of their own.
    shared = np.bincount(diagram.point_region)[diagram.point_region] > 1
    drop = (lengths < 3) | shared
    unbounded = flat < 0
    np.logical_or.at(drop, owner[unbounded], True)
    vertices = diagram.vertices[np.where(unbounded, 0, flat)]
    if edge_correction:
        # Each vertex is the centre of a circle through its cell's site that holds no
        # centre: the cell is final if no centre outside the field could fall in one.
        half_w, half_h = _half_extent(mosaic)
        radius = np.hypot(*(vertices - centers[owner]).T)
        outside = (np.abs(vertices[:, 0]) + radius > half_w) | (
            np.abs(vertices[:, 1]) + radius > half_h
        )
        np.logical_or.at(drop, owner[outside], True)
    kept = ~drop[owner]
    owner, vertices = owner[kept], vertices[kept]
    if owner.size == 0:
        return empty
    index = np.flatnonzero(~drop)
    starts = np.concatenate([[0], np.cumsum(lengths[index])[:-1]])
    # Order each (convex) cell's vertices counter-clockwise around its vertex mean.
    counts = lengths[index]
    middle = np.add.reduceat(vertices, starts, axis=0) / counts[:, None]
    group = np.repeat(np.arange(index.size), counts)
    offset = vertices - middle[group]
    order = np.lexsort((np.arctan2(offset[:, 1], offset[:, 0]), group))
    vertices = vertices[order]
    following = np.arange(len(vertices)) + 1
    following[starts + counts - 1] = starts  # the last vertex of a cell wraps to its first
    x, y = vertices[:, 0], vertices[:, 1]
    cross = x * y[following] - x[following] * y
    areas = 0.5 * np.abs(np.add.reduceat(cross, starts))
    return areas, index, vertices, starts


def voronoi_areas(mosaic: Mosaic, *, edge_correction: bool = True) -> VoronoiCells:
    """Area of each centre's Voronoi cell (its territory), in deg**2.

    A centre's Voronoi cell is the part of the plane closer to it than to any
    other centre.  The areas' coefficient of variation measures regularity
    (Wassle & Riemann 1978): 0 for a lattice (every cell ``d**2`` on a square
    lattice of spacing ``d``, ``sqrt(3) / 2 * d**2`` on a hexagonal one),
    about :data:`POISSON_VORONOI_CV` (0.53) for a Poisson process, whose mean
    area is ``1 / density``.

    Parameters
    ----------
    mosaic : Mosaic
        The RF centres.
    edge_correction : bool, optional
        Keep only the cells that no centre outside the field could change
        (default True): a cell is kept if it is bounded and, for each of its
        vertices, the circle centred on the vertex through the cell's site
        (a circle that holds no centre) lies inside the field.  A cell with a
        vertex outside the field is always dropped.  False keeps every
        bounded cell, those along the border included (their areas are wrong:
        too large, as the centres beyond the border are missing).

    Returns
    -------
    VoronoiCells
        The areas (deg**2), the sites they belong to, how many cells were
        left out, and the mean, s.d. and coefficient of variation.  Unbounded
        cells (those of the outermost centres) and the cells of coincident
        centres (which have no cell of their own) are never kept; fewer than
        three centres, or collinear ones, have no bounded cell.

    Raises
    ------
    TypeError
        If ``mosaic`` is not a Mosaic or ``edge_correction`` not a bool.
    cortex.MemoryBudgetError
        If the Voronoi diagram (about 2 KiB per centre) would exceed
        :func:`cortex.memory_budget`.

    Examples
    --------
    >>> import cortex
    >>> from cortex.mosaic_stats import voronoi_areas
    >>> field = cortex.VisualField(4.0, 4.0, pixels_per_degree=20)
    >>> cells = voronoi_areas(cortex.Mosaic.from_lattice(field, 0.5, "square"))
    >>> len(cells.areas), cells.n_excluded, round(cells.mean, 9), round(cells.cv, 9)
    (25, 24, 0.25, 0.0)
    """
    mosaic = _check_mosaic(mosaic)
    edge_correction = check_bool(edge_correction, "edge_correction")
    areas, index, _, _ = _voronoi(mosaic, edge_correction)
    return VoronoiCells(_read_only(areas), _read_only(index), int(mosaic.n_neurons - index.size))


# -- density recovery profile --------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class DensityRecoveryProfile:
    """The density recovery profile of a mosaic (Rodieck 1991).

    Returned by :func:`density_recovery_profile`.

    Attributes
    ----------
    radii : numpy.ndarray, shape (n_bins + 1,)
        Bin edges in degrees, ``k * bin_width``: bin ``k`` holds the
        distances in ``[radii[k], radii[k + 1])``.
    density : numpy.ndarray, shape (n_bins,)
        Density of centres (per deg**2) at those distances from a centre.
    counts : numpy.ndarray of int, shape (n_bins,)
        Neighbours found in each annulus, summed over the reference centres
        (every pair counted from both ends).
    mean_density : float
        Centres per deg**2 over the field: ``n / (width * height)`` of the
        field's pixel grid.
    effective_radius : float
        Rodieck's effective radius (deg) of the dead zone around a centre
        (see :func:`density_recovery_profile`).
    """

    radii: np.ndarray
    density: np.ndarray
    counts: np.ndarray
    mean_density: float
    effective_radius: float

    @property
    def bin_width(self) -> float:
        """Width of the annuli (deg)."""
        return float(self.radii[1] - self.radii[0])

    @property
    def bin_centers(self) -> np.ndarray:
        """Middle radius of each annulus (deg), shape ``(n_bins,)``."""
        return 0.5 * (self.radii[:-1] + self.radii[1:])


def _disc_area_in_window(
    x: np.ndarray, y: np.ndarray, r: np.ndarray | float, half_w: float, half_h: float
) -> np.ndarray:
    """Area (deg**2) of the disc of radius ``r`` about each ``(x, y)`` inside the window.

    The window is ``|x| <= half_w, |y| <= half_h`` and every centre lies in
    it (up to rounding); ``x``, ``y`` and ``r`` (>= 0) broadcast together.
    Exact: the disc is cut into its upper and lower halves, and the part of
    each half above a height ``h`` between ``X = -left`` and ``X = right``
    integrates in closed form.
    """
    r = np.asarray(r, dtype=float)
    left = np.clip(half_w + x, 0.0, None)
    right = np.clip(half_w - x, 0.0, None)
    below = np.clip(half_h + y, 0.0, None)
    above = np.clip(half_h - y, 0.0, None)
    r2 = r * r
    safe_r = np.where(r > 0, r, 1.0)  # a disc of radius 0 has no chord: area 0

    def cap(h: np.ndarray | float) -> np.ndarray:
        # Area of {X**2 + Y**2 <= r**2, Y >= h, -left <= X <= right}, for h >= 0.
        half_chord = np.sqrt(np.clip(r2 - np.square(h), 0.0, None))
        a = np.clip(-left, -half_chord, half_chord)
        b = np.clip(right, -half_chord, half_chord)

        def primitive(c: np.ndarray) -> np.ndarray:
            root = np.sqrt(np.clip(r2 - c * c, 0.0, None))
            return 0.5 * (c * root + r2 * np.arcsin(np.clip(c / safe_r, -1.0, 1.0))) - h * c

        return primitive(b) - primitive(a)

    half = cap(0.0)
    return np.clip((half - cap(above)) + (half - cap(below)), 0.0, math.pi * r2)


def _summed_disc_areas(
    x: np.ndarray, y: np.ndarray, radii: np.ndarray, half_w: float, half_h: float
) -> np.ndarray:
    """For each radius, the areas of the discs about every centre inside the window, summed.

    Several radii at a time (a block of at most ~2**18 disc areas, about
    96 bytes of temporaries each, fewer if the memory budget asks); a loop
    over blocks of radii only.
    """
    n = max(1, x.size)
    largest = max(1, min(radii.size, 2**18 // n))
    block = budget_chunk(largest, _AREA_BYTES_PER_DISC * float(n), _DRP_BYTES_PER_SITE * float(n))
    total = np.empty(radii.size)
    for start in range(0, radii.size, block):
        chunk = radii[start : start + block, None]
        total[start : start + block] = _disc_area_in_window(x, y, chunk, half_w, half_h).sum(axis=1)
    return total


def density_recovery_profile(
    mosaic: Mosaic,
    *,
    bin_width: float | None = None,
    max_radius: float | None = None,
    edge_correction: bool = True,
) -> DensityRecoveryProfile:
    """The density recovery profile (DRP) of a mosaic (Rodieck 1991).

    Around every centre, the other centres at distances in the annuli
    ``[k * w, (k + 1) * w)`` are counted; the counts, summed over the
    centres, are divided by the summed areas of the annuli: the density of
    centres (per deg**2) at each distance from a centre.  A Poisson process
    gives a flat profile at the mean density; a regular mosaic has a "dead
    zone" of low density around each centre (zero out to the spacing for a
    lattice).

    Rodieck's **effective radius** summarises the dead zone: the number of
    centres missing near a centre, ``V = sum_k (mean_density - density[k]) *
    annulus_area[k]`` over the bins ``k`` below the first one whose density
    reaches the mean density (every bin if none does), is the number a disc
    of radius ``r_e = sqrt(V / (pi * mean_density))`` would hold at the mean
    density.  It is 0 for a Poisson process up to noise, and the spacing for
    a lattice whose spacing is a bin edge (the bins below hold no centre).

    Parameters
    ----------
    mosaic : Mosaic
        The RF centres, at least two.
    bin_width : float, optional
        Width ``w`` of the annuli in degrees, > 0.  Default: a fifth of the
        mean nearest-neighbour distance (:func:`nearest_neighbor_distances`,
        with the same ``edge_correction``; without it if no centre is kept).
    max_radius : float, optional
        Largest distance in degrees, > 0: the annuli are as many as cover
        it, ``ceil(max_radius / bin_width)`` (at least one).  Default: five
        mean nearest-neighbour distances (25 bins with the default width).
    edge_correction : bool, optional
        Divide the counts by the areas of the parts of the annuli that lie
        inside the field (computed exactly), instead of the whole annuli;
        default True.  Without it the density falls near the
        largest radii, where annuli leave the field.

    Returns
    -------
    DensityRecoveryProfile
        The bin edges (deg), the density per bin (per deg**2), the counts,
        the mean density and the effective radius (deg).  A distance equal
        to a bin edge up to rounding (1e-9 relative) falls in the bin that
        starts at that edge.  With edge correction, the density is the
        area-weighted mean of each centre's density (the total count over
        the total area searched), so centres whose annulus barely enters
        the field weigh little; a bin whose annuli lie wholly outside the
        field has density ``nan``.

    Raises
    ------
    TypeError
        If ``mosaic`` is not a Mosaic, ``bin_width`` or ``max_radius`` not a
        real number (booleans are refused), or ``edge_correction`` not a bool.
    ValueError
        If ``bin_width`` or ``max_radius`` is not finite and > 0, the mosaic
        has fewer than two centres, or a default is asked for when every
        nearest-neighbour distance is 0 (centres all in one place).
    cortex.MemoryBudgetError
        If the KD-tree (about 256 bytes per centre) and the bins (about 64
        bytes each) would exceed :func:`cortex.memory_budget`: the bins are
        too narrow for the largest radius.

    Examples
    --------
    >>> import cortex
    >>> from cortex.mosaic_stats import density_recovery_profile
    >>> field = cortex.VisualField(8.0, 8.0, pixels_per_degree=20)
    >>> mosaic = cortex.Mosaic.from_lattice(field, 0.5, "hexagonal")
    >>> drp = density_recovery_profile(mosaic, bin_width=0.1, max_radius=1.0)
    >>> drp.radii[:3], len(drp.density)
    (array([0. , 0.1, 0.2]), 10)
    >>> drp.density[:5]  # nothing closer than the spacing
    array([0., 0., 0., 0., 0.])
    >>> round(drp.effective_radius, 2)  # the whole spacing is a dead zone
    0.5
    """
    mosaic = _check_mosaic(mosaic)
    if bin_width is not None:
        bin_width = check_positive(bin_width, "bin_width")
    if max_radius is not None:
        max_radius = check_positive(max_radius, "max_radius")
    edge_correction = check_bool(edge_correction, "edge_correction")
    n = mosaic.n_neurons
    if n < 2:
        raise ValueError(
            f"`mosaic` must have at least 2 centres for a density recovery profile, got {n}"
        )
    if bin_width is None or max_radius is None:
        nn = nearest_neighbor_distances(mosaic, edge_correction=edge_correction)
        if nn.distances.size == 0:
            nn = nearest_neighbor_distances(mosaic, edge_correction=False)
        if not nn.mean > 0:
            raise ValueError(
                "the default `bin_width` and `max_radius` follow the mean nearest-neighbour "
                "distance, which is 0 (the centres are all in one place); pass them"
            )
        bin_width = nn.mean / 5.0 if bin_width is None else bin_width
        max_radius = 5.0 * nn.mean if max_radius is None else max_radius
    ratio = max_radius / bin_width
    n_bins_float = max(1.0, math.ceil(ratio * (1.0 - 1e-9))) if ratio < 1e18 else ratio
    check_memory(
        _DRP_BYTES_PER_SITE * float(n) + _DRP_BYTES_PER_BIN * n_bins_float,
        f"the density recovery profile of {n} centres in {n_bins_float:.4g} bins of "
        f"{bin_width:g} deg up to {max_radius:g} deg",
    )
    n_bins = int(n_bins_float)
    radii = np.arange(n_bins + 1) * bin_width
    centers = mosaic.centers
    tree = cKDTree(centers)
    # Ordered pairs (self pairs included) closer than each edge (lowered by 1e-9 relative).
    within = np.asarray(tree.count_neighbors(tree, radii[1:] * (1.0 - _EDGE_RTOL)), dtype=np.int64)
    counts = np.diff(np.concatenate([[n], within]))  # bin 0 drops the n self pairs
    half_w, half_h = _half_extent(mosaic)
    if edge_correction:
        x, y = centers[:, 0], centers[:, 1]
        area = np.diff(_summed_disc_areas(x, y, radii, half_w, half_h))
    else:
        area = n * math.pi * np.diff(np.square(radii))
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(area > 0, counts / np.where(area > 0, area, 1.0), math.nan)
    mean_density = n / (4.0 * half_w * half_h)
    reached = np.flatnonzero(density >= mean_density)
    first = int(reached[0]) if reached.size else n_bins
    shells = math.pi * np.diff(np.square(radii[: first + 1]))
    deficit = np.nan_to_num(mean_density - density[:first], nan=0.0)
    missing = max(0.0, float(np.sum(deficit * shells)))
    effective_radius = math.sqrt(missing / (math.pi * mean_density))
    return DensityRecoveryProfile(
        _read_only(radii),
        _read_only(density),
        _read_only(counts),
        float(mean_density),
        effective_radius,
    )


# -- coverage ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CoverageDistribution:
    """How many RF contours cover the points of the field, as a distribution.

    Returned by :func:`coverage_distribution`.

    Attributes
    ----------
    values : numpy.ndarray of int, shape (k_max + 1,)
        The coverage values ``0, 1, ..., k_max`` (``k_max`` the largest seen).
    counts : numpy.ndarray of int, shape (k_max + 1,)
        How many sample points are covered by exactly ``values[k]`` RFs.
    fraction : numpy.ndarray, shape (k_max + 1,)
        ``counts / counts.sum()``: the fraction of the (sampled) field covered
        by exactly ``values[k]`` RFs; sums to 1.
    margin : float
        Width (deg) of the border band left out by the edge correction (0
        without it).
    """

    values: np.ndarray
    counts: np.ndarray
    fraction: np.ndarray
    margin: float

    @property
    def n_samples(self) -> int:
        """Number of sample points."""
        return int(np.sum(self.counts))

    @property
    def mean(self) -> float:
        """Mean number of RFs over a point: the measured coverage factor."""
        return float(np.sum(self.values * self.fraction))

    @property
    def fraction_uncovered(self) -> float:
        """Fraction of the field that no RF covers (``fraction[0]``): gaps in the tiling."""
        return float(self.fraction[0])


def coverage_distribution(
    mosaic: Mosaic,
    rf: ReceptiveField,
    *,
    level: str | float = "half-max",
    resolution: float | None = None,
    edge_correction: bool = True,
) -> CoverageDistribution:
    """The fraction of the field covered by exactly 0, 1, 2, ... RF contours.

    The counts come from :meth:`cortex.Mosaic.coverage` at sample points of
    the field; their mean is the measured coverage factor (compare
    :meth:`cortex.Mosaic.coverage_factor`, density times RF area), and the
    fraction covered by none measures the gaps in the tiling.

    Parameters
    ----------
    mosaic : Mosaic
        The RF centres and scales.
    rf : ReceptiveField
        The RF model at scale 1; neuron ``i``'s contour is the model's
        contour at ``level`` times ``mosaic.scales[i]``.
    level : {"sigma", "half-max"} or float, optional
        The contour that counts as covering (see :func:`cortex.contour_radius`).
    resolution : float, optional
        Distance between sample points in degrees, > 0: a square grid
        centred on fixation.  Default: the field's pixel centres.
    edge_correction : bool, optional
        Leave out the sample points closer to the field's border than one RF
        radius (the largest contour semi-axis times the largest scale), which
        RFs centred beyond the border would also cover; default True.

    Returns
    -------
    CoverageDistribution
        The coverage values, how many sample points have each, their
        fractions, and the margin left out; ``.mean`` is the measured
        coverage factor, ``.fraction_uncovered`` the fraction with no RF.

    Raises
    ------
    TypeError
        If ``mosaic`` is not a Mosaic, ``rf`` not a ReceptiveField, ``level``
        of the wrong type, ``resolution`` not a real number (booleans are
        refused) or ``edge_correction`` not a bool.
    ValueError
        If ``level`` is invalid, ``resolution`` is not finite and > 0, or no
        sample point lies farther than the margin from the border (the RFs
        are as large as the field: pass ``edge_correction=False``).
    cortex.MemoryBudgetError
        If the sample points (about 96 bytes each) would exceed
        :func:`cortex.memory_budget`.

    Examples
    --------
    >>> import cortex
    >>> from cortex.mosaic_stats import coverage_distribution
    >>> field = cortex.VisualField(6.0, 6.0, pixels_per_degree=20)
    >>> mosaic = cortex.Mosaic.from_lattice(field, 0.5, "hexagonal")
    >>> dist = coverage_distribution(mosaic, cortex.Gaussian(0.3))  # half-max radius 0.35 deg
    >>> dist.values, dist.fraction_uncovered  # the RFs tile the field: no gap
    (array([0, 1, 2, 3]), 0.0)
    >>> round(dist.mean, 1), round(mosaic.coverage_factor(cortex.Gaussian(0.3)), 1)
    (1.8, 1.8)
    """
    mosaic = _check_mosaic(mosaic)
    if not isinstance(rf, ReceptiveField):
        raise TypeError(f"`rf` must be a ReceptiveField, got {type(rf).__name__}")
    a, b, _ = rf.contour(level)
    if resolution is not None:
        resolution = check_positive(resolution, "resolution")
    edge_correction = check_bool(edge_correction, "edge_correction")
    margin = max(a, b) * float(np.max(mosaic.scales)) if edge_correction else 0.0
    half_w, half_h = _half_extent(mosaic)
    room_x, room_y = half_w - margin, half_h - margin
    if resolution is None:
        x_all, y_all = mosaic.field.coordinates()
        n_x = float(np.count_nonzero(np.abs(x_all) <= room_x))
        n_y = float(np.count_nonzero(np.abs(y_all) <= room_y))
        what = "pixel centres"
    else:
        n_x = math.floor(2.0 * room_x / resolution + 1e-9) + 1.0 if room_x >= 0 else 0.0
        n_y = math.floor(2.0 * room_y / resolution + 1e-9) + 1.0 if room_y >= 0 else 0.0
        what = f"sample points {resolution:g} deg apart"
    if n_x < 1 or n_y < 1:
        raise ValueError(
            f"no sample point of the field ({2 * half_w:g} x {2 * half_h:g} deg) lies farther "
            f"than the margin of one RF radius ({margin:.4g} deg) from its border; use a "
            "larger field or pass edge_correction=False"
        )
    check_memory(
        _COVERAGE_BYTES_PER_SAMPLE * n_x * n_y,
        f"the coverage at {n_x * n_y:.4g} {what}",
    )
    if resolution is None:
        xs = x_all[np.abs(x_all) <= room_x]
        ys = y_all[np.abs(y_all) <= room_y]
    else:
        xs = (np.arange(int(n_x)) - (n_x - 1) / 2) * resolution
        ys = (np.arange(int(n_y)) - (n_y - 1) / 2) * resolution
    gx, gy = np.meshgrid(xs, ys)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    del gx, gy
    covered = mosaic.coverage(rf, level, points=points)
    counts = np.bincount(covered)
    return CoverageDistribution(
        values=_read_only(np.arange(counts.size)),
        counts=_read_only(counts),
        fraction=_read_only(counts / covered.size),
        margin=float(margin),
    )
