"""Tests of cortex.mosaic_stats: known answers on lattices and Poisson processes, edges, errors."""

import itertools
import math
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.patches import StepPatch  # noqa: E402
from scipy import integrate  # noqa: E402
from scipy.spatial import ConvexHull, Voronoi  # noqa: E402
from scipy.spatial.distance import pdist  # noqa: E402
from strategies import NON_FINITE, budget, log_uniform, refused_cheaply  # noqa: E402

import cortex  # noqa: E402
from cortex import Gaussian, Mosaic, VisualField  # noqa: E402
from cortex.mosaic_stats import (  # noqa: E402
    POISSON_REGULARITY_INDEX,
    POISSON_VORONOI_CV,
    CoverageDistribution,
    DensityRecoveryProfile,
    NearestNeighbors,
    VoronoiCells,
    _disc_area_in_window,
    coverage_distribution,
    density_recovery_profile,
    nearest_neighbor_distances,
    regularity_index,
    voronoi_areas,
)
from cortex.plotting import (  # noqa: E402
    plot_density_recovery_profile,
    plot_nn_histogram,
    plot_voronoi,
)

HALF_MAX = math.sqrt(2.0 * math.log(2.0))
HEX_CELL = math.sqrt(3.0) / 2.0  # area of a hexagonal lattice's cell, in units of spacing**2


# -- helpers -------------------------------------------------------------------------------
def poisson_mosaic(rng, n=3000, width=20.0, height=15.0, ppd=10):
    """``n`` centres uniform over the pixel grid of a ``width x height`` field."""
    field = VisualField(width, height, pixels_per_degree=ppd)
    left, right, bottom, top = field.extent
    x = rng.uniform(left, right * (1 - 1e-12), n)  # [left, right): every centre on a pixel
    y = rng.uniform(bottom * (1 - 1e-12), top, n)
    return Mosaic(field, np.column_stack([x, y]))


def lattice(kind, spacing, n_across):
    """A lattice of ``spacing`` over a field ``n_across`` spacings wide (about 120 px)."""
    width = n_across * spacing
    field = VisualField(width, 0.8 * width, pixels_per_degree=120.0 / width)
    return Mosaic.from_lattice(field, spacing, kind)


LATTICES = st.sampled_from(["square", "hexagonal"])
SPACINGS = log_uniform(1e-2, 1e2)
SIZES = st.integers(9, 14)


@pytest.fixture
def poisson(rng):
    return poisson_mosaic(rng)


@pytest.fixture(scope="module")
def small():
    return lattice("hexagonal", 0.5, 10)


# -- nearest neighbours and the regularity index -------------------------------------------
@given(kind=LATTICES, spacing=SPACINGS, n_across=SIZES)
def test_lattice_nearest_neighbours_are_the_spacing(kind, spacing, n_across):
    mosaic = lattice(kind, spacing, n_across)
    nn = nearest_neighbor_distances(mosaic)
    assert isinstance(nn, NearestNeighbors)
    assert nn.distances.size > 0 and nn.n_excluded + nn.index.size == mosaic.n_neurons
    np.testing.assert_allclose(nn.distances, spacing, rtol=1e-9)
    assert regularity_index(mosaic) == math.inf
    assert nn.regularity_index == math.inf


@pytest.mark.parametrize("seed", [0, 1])
def test_poisson_regularity_index_is_1_91(seed):
    assert POISSON_REGULARITY_INDEX == pytest.approx(1.913, abs=1e-3)
    mosaic = poisson_mosaic(np.random.default_rng(seed))
    assert regularity_index(mosaic) == pytest.approx(POISSON_REGULARITY_INDEX, abs=0.12)
    nn = nearest_neighbor_distances(mosaic)
    density = mosaic.n_neurons / (20.0 * 15.0)
    assert nn.mean == pytest.approx(0.5 / math.sqrt(density), rel=0.05)  # Clark & Evans


def test_nn_edge_correction_drops_a_point_nearer_the_border_than_its_neighbour():
    field = VisualField(6.0, 4.0, pixels_per_degree=20)  # |x| < 3, |y| < 2
    mosaic = Mosaic(field, [[0.0, 0.0], [0.3, 0.0], [2.9, 0.0], [2.5, 0.0]])
    nn = nearest_neighbor_distances(mosaic)
    np.testing.assert_array_equal(nn.index, [0, 1, 3])  # (2.9, 0): neighbour 0.4, border 0.1
    np.testing.assert_allclose(nn.distances, [0.3, 0.3, 0.4])
    assert nn.n_excluded == 1
    raw = nearest_neighbor_distances(mosaic, edge_correction=False)
    np.testing.assert_array_equal(raw.index, [0, 1, 2, 3])
    assert raw.n_excluded == 0


def test_nn_of_a_single_centre_is_empty():
    nn = nearest_neighbor_distances(Mosaic(VisualField(2.0, 2.0, 10), [[0.0, 0.0]]))
    assert nn.distances.size == 0 and nn.n_excluded == 1
    assert math.isnan(nn.mean) and math.isnan(nn.std) and math.isnan(nn.regularity_index)


# -- Voronoi domains -----------------------------------------------------------------------
@given(kind=LATTICES, spacing=SPACINGS, n_across=SIZES)
def test_lattice_voronoi_cells_have_the_cell_area(kind, spacing, n_across):
    mosaic = lattice(kind, spacing, n_across)
    cells = voronoi_areas(mosaic)
    assert isinstance(cells, VoronoiCells)
    assert cells.areas.size > 0 and cells.n_excluded + cells.index.size == mosaic.n_neurons
    expected = spacing**2 * (1.0 if kind == "square" else HEX_CELL)
    np.testing.assert_allclose(cells.areas, expected, rtol=1e-9)
    assert cells.mean == pytest.approx(expected, rel=1e-9)
    assert cells.cv == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_poisson_voronoi_cv_is_0_53(seed):
    mosaic = poisson_mosaic(np.random.default_rng(seed))
    cells = voronoi_areas(mosaic)
    assert POISSON_VORONOI_CV == pytest.approx(0.529, abs=1e-3)
    assert cells.cv == pytest.approx(POISSON_VORONOI_CV, abs=0.05)
    assert cells.mean == pytest.approx(1.0 / mosaic.density, rel=0.05)
    assert cells.areas.size > 0.85 * mosaic.n_neurons


def test_voronoi_areas_match_convex_hulls_of_the_cells(rng):
    mosaic = poisson_mosaic(rng, n=150, width=6.0, height=5.0)
    cells = voronoi_areas(mosaic, edge_correction=False)
    diagram = Voronoi(mosaic.centers)  # oracle: one ConvexHull per cell
    for site, area in zip(cells.index, cells.areas, strict=True):
        region = diagram.regions[diagram.point_region[site]]
        assert -1 not in region
        assert area == pytest.approx(ConvexHull(diagram.vertices[region]).volume, rel=1e-9)


def test_voronoi_edge_correction_drops_cells_that_reach_the_border(poisson):
    corrected = voronoi_areas(poisson)
    raw = voronoi_areas(poisson, edge_correction=False)
    assert set(corrected.index) < set(raw.index)
    dropped = np.setdiff1d(raw.index, corrected.index)
    half_w, half_h = 10.0, 7.5
    x, y = poisson.centers[:, 0], poisson.centers[:, 1]
    border = np.minimum(half_w - np.abs(x), half_h - np.abs(y))
    # the most central dropped cell is still near the border ...
    assert border[dropped].max() < 0.2 * half_h
    # ... and a kept cell's empty circles reach the border, so it is >= NN / 2 away from it
    nn = nearest_neighbor_distances(poisson, edge_correction=False)
    assert np.all(border[corrected.index] >= 0.5 * nn.distances[corrected.index] - 1e-12)
    # border cells, missing their outer neighbours, are too large without the correction
    assert raw.mean > corrected.mean


def test_voronoi_drops_coincident_centres():
    mosaic = lattice("square", 0.5, 12)
    twin = int(np.argmin(np.hypot(*mosaic.centers.T)))  # fixation
    doubled = Mosaic(mosaic.field, np.vstack([mosaic.centers, mosaic.centers[twin]]))
    cells = voronoi_areas(doubled)
    assert twin not in cells.index and mosaic.n_neurons not in cells.index
    np.testing.assert_array_equal(cells.index, np.setdiff1d(voronoi_areas(mosaic).index, [twin]))
    np.testing.assert_allclose(cells.areas, 0.25, rtol=1e-9)


def test_voronoi_of_too_few_or_collinear_centres_is_empty():
    field = VisualField(4.0, 4.0, 10)
    for centers in ([[0.0, 0.0], [1.0, 0.0]], [[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.5, 0.0]]):
        cells = voronoi_areas(Mosaic(field, centers), edge_correction=False)
        assert cells.areas.size == 0 and cells.n_excluded == len(centers)
        assert math.isnan(cells.mean) and math.isnan(cells.cv)


# -- density recovery profile --------------------------------------------------------------
@given(
    kind=LATTICES,
    spacing=SPACINGS,
    n_across=SIZES,
    per_spacing=st.one_of(st.none(), st.integers(2, 6)),
)
def test_lattice_drp_is_zero_below_the_spacing(kind, spacing, n_across, per_spacing):
    mosaic = lattice(kind, spacing, n_across)
    width = None if per_spacing is None else spacing / per_spacing
    drp = density_recovery_profile(mosaic, bin_width=width)
    assert isinstance(drp, DensityRecoveryProfile)
    k = per_spacing or 5  # default: a fifth of the mean NN distance, the spacing
    assert drp.radii[k] == pytest.approx(spacing, rel=1e-9)
    np.testing.assert_array_equal(drp.density[:k], 0.0)
    np.testing.assert_array_equal(drp.counts[:k], 0)
    assert drp.density[k] > drp.mean_density  # the ring of nearest neighbours
    # every bin below the spacing is empty: the dead zone is the whole spacing
    assert drp.effective_radius == pytest.approx(spacing, rel=1e-9)


def test_drp_defaults_are_fifths_of_the_nn_distance(small):
    drp = density_recovery_profile(small)
    assert drp.bin_width == pytest.approx(0.1, rel=1e-9)
    assert len(drp.density) == 25 and drp.radii[-1] == pytest.approx(2.5, rel=1e-9)
    np.testing.assert_allclose(drp.bin_centers, np.arange(25) * 0.1 + 0.05, rtol=1e-9)
    assert len(density_recovery_profile(small, max_radius=1.0).density) == 10
    assert len(density_recovery_profile(small, bin_width=0.3, max_radius=1.0).density) == 4
    assert len(density_recovery_profile(small, bin_width=5.0, max_radius=1.0).density) == 1


@pytest.mark.parametrize("seed", [0, 1])
def test_poisson_drp_is_flat_with_no_dead_zone(seed):
    mosaic = poisson_mosaic(np.random.default_rng(seed))
    nn = nearest_neighbor_distances(mosaic).mean
    coarse = density_recovery_profile(mosaic, bin_width=nn, max_radius=6 * nn)
    assert coarse.mean_density == pytest.approx(mosaic.n_neurons / 300.0)
    np.testing.assert_allclose(coarse.density, coarse.mean_density, rtol=0.1)
    drp = density_recovery_profile(mosaic)
    assert drp.effective_radius < 0.2 * nn


def test_drp_counts_match_the_pairwise_distances(rng):
    mosaic = poisson_mosaic(rng, n=300, width=6.0, height=5.0)
    drp = density_recovery_profile(mosaic, bin_width=0.07, max_radius=1.0, edge_correction=False)
    oracle, _ = np.histogram(pdist(mosaic.centers), bins=drp.radii)
    np.testing.assert_array_equal(drp.counts, 2 * oracle)  # each pair from both ends
    area = mosaic.n_neurons * math.pi * np.diff(drp.radii**2)
    np.testing.assert_allclose(drp.density, drp.counts / area, rtol=1e-12)


def test_drp_edge_correction_keeps_the_profile_flat_out_to_large_radii(poisson):
    raw = density_recovery_profile(poisson, bin_width=1.0, max_radius=6.0, edge_correction=False)
    corrected = density_recovery_profile(poisson, bin_width=1.0, max_radius=6.0)
    np.testing.assert_array_equal(raw.counts, corrected.counts)
    assert raw.density[-1] < 0.7 * raw.mean_density  # annuli leave the field
    np.testing.assert_allclose(corrected.density, corrected.mean_density, rtol=0.1)


def _disc_area_oracle(x, y, r, half_w, half_h):
    """Area of the disc in the window by quadrature over x, split at every kink of the chord."""

    def chord(u):
        h = math.sqrt(max(r * r - (u - x) ** 2, 0.0))
        return max(0.0, min(y + h, half_h) - max(y - h, -half_h))

    lo, hi = max(x - r, -half_w), min(x + r, half_w)
    kinks = [x - r, x + r, -half_w, half_w]
    for edge in (half_h - y, half_h + y):  # where the chord meets the top or bottom edge
        if edge < r:
            kinks += [x - math.sqrt(r * r - edge * edge), x + math.sqrt(r * r - edge * edge)]
    cuts = sorted({lo, hi, *(k for k in kinks if lo < k < hi)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return sum(
            integrate.quad(chord, a, b, epsabs=1e-11, limit=200)[0]
            for a, b in itertools.pairwise(cuts)
        )


@given(
    fx=st.floats(-1.0, 1.0),
    fy=st.floats(-1.0, 1.0),
    r=st.floats(0.0, 5.0),
    half_w=st.floats(0.2, 2.0),
    half_h=st.floats(0.2, 2.0),
)
def test_disc_area_in_window_is_exact(fx, fy, r, half_w, half_h):
    x, y = fx * half_w, fy * half_h
    area = _disc_area_in_window(np.array([x]), np.array([y]), r, half_w, half_h)[0]
    assert area == pytest.approx(_disc_area_oracle(x, y, r, half_w, half_h), abs=1e-7)
    assert 0.0 <= area <= min(math.pi * r * r, 4 * half_w * half_h) * (1 + 1e-12)


# -- coverage distribution -----------------------------------------------------------------
@given(spacing=st.floats(0.2, 2.0), steps=st.integers(8, 18))
def test_disjoint_discs_cover_their_area_fraction(spacing, steps):
    # Square lattice, RF radius r < spacing / 2: each point is under at most one RF.  The
    # field is 9 cells plus the margin r wide, so the sampled part holds 9 x 9 whole cells.
    res = spacing / 40
    radius = steps * res
    width = 9 * spacing + 2 * radius
    mosaic = Mosaic.from_lattice(VisualField(width, width, 1 / res), spacing, "square")
    dist = coverage_distribution(mosaic, Gaussian(radius / HALF_MAX), resolution=res)
    assert isinstance(dist, CoverageDistribution)
    np.testing.assert_array_equal(dist.values, [0, 1])
    assert dist.margin == pytest.approx(radius)
    assert dist.n_samples == (9 * 40 + 1) ** 2
    covered = math.pi * (radius / spacing) ** 2
    assert dist.fraction[1] == pytest.approx(covered, abs=0.01)
    assert dist.fraction_uncovered == pytest.approx(1 - covered, abs=0.01)
    assert dist.mean == pytest.approx(dist.fraction[1])
    assert dist.fraction.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(("factor", "gaps"), [(1.05, False), (0.95, True)])
def test_hexagonal_tiling_has_gaps_iff_rfs_are_below_the_covering_radius(factor, gaps):
    spacing = 0.5
    mosaic = lattice("hexagonal", spacing, 12)
    rf = Gaussian(factor * spacing / math.sqrt(3) / HALF_MAX)
    dist = coverage_distribution(mosaic, rf, resolution=spacing / 50)
    assert (dist.fraction_uncovered > 0) == gaps


def test_coverage_mean_is_the_coverage_factor_once_edges_are_ignored():
    mosaic = lattice("hexagonal", 0.4, 14)  # 5.6 x 4.48 deg
    rf = Gaussian(0.5)  # half-max radius 0.59 deg: a coverage factor of about 7
    factor = mosaic.coverage_factor(rf)
    corrected = coverage_distribution(mosaic, rf)
    raw = coverage_distribution(mosaic, rf, edge_correction=False)
    assert corrected.mean == pytest.approx(factor, rel=0.03)
    assert raw.mean < 0.9 * factor  # points near the border miss the RFs beyond it
    assert corrected.n_samples < raw.n_samples == mosaic.field.shape[0] * mosaic.field.shape[1]
    assert corrected.margin == pytest.approx(0.5 * HALF_MAX) and raw.margin == 0.0


def test_coverage_distribution_summarises_mosaic_coverage(small):
    rf = Gaussian(0.3)
    for level in ("half-max", "sigma", 2.0):
        dist = coverage_distribution(small, rf, level=level, edge_correction=False)
        counts = np.bincount(small.coverage(rf, level).ravel())
        np.testing.assert_array_equal(dist.counts, counts)
        np.testing.assert_array_equal(dist.values, np.arange(counts.size))
        assert dist.mean == pytest.approx(small.coverage(rf, level).mean())


def test_coverage_margin_follows_the_largest_scale(small):
    scaled = small.with_eccentricity_scaling(0.3, 0.1, rtol=None)
    dist = coverage_distribution(scaled, Gaussian(0.3), level="sigma")
    assert dist.margin == pytest.approx(0.3 * scaled.scales.max())


# -- bad inputs ----------------------------------------------------------------------------
FUNCTIONS = [
    nearest_neighbor_distances,
    regularity_index,
    voronoi_areas,
    density_recovery_profile,
]
NOT_NUMBERS = st.sampled_from(["0.1", True, np.bool_(False), [0.1], object()])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_functions_refuse_a_non_mosaic_and_a_non_bool_flag(function, small):
    with pytest.raises(TypeError, match=r"`mosaic` must be a Mosaic, got ndarray"):
        function(small.centers)
    for flag in (1, "yes", None):
        with pytest.raises(TypeError, match=r"`edge_correction` must be True or False"):
            function(small, edge_correction=flag)
    with pytest.raises(TypeError, match=r"`mosaic` must be a Mosaic, got str"):
        coverage_distribution("mosaic", Gaussian(0.3))
    with pytest.raises(TypeError, match=r"`edge_correction` must be True or False"):
        coverage_distribution(small, Gaussian(0.3), edge_correction=0)


@given(
    name=st.sampled_from(["bin_width", "max_radius"]),
    bad=st.one_of(NON_FINITE, st.floats(max_value=0.0)),
)
def test_drp_refuses_bad_widths(name, bad, small):
    match = rf"`{name}` must be (finite|> 0), got"
    with pytest.raises(ValueError, match=match):
        density_recovery_profile(small, **{name: bad})


@given(name=st.sampled_from(["bin_width", "max_radius"]), bad=NOT_NUMBERS)
def test_drp_refuses_non_numbers(name, bad, small):
    with pytest.raises(TypeError, match=rf"`{name}` must be a real number, got"):
        density_recovery_profile(small, **{name: bad})


def test_drp_needs_two_centres_and_a_spread():
    field = VisualField(2.0, 2.0, 10)
    with pytest.raises(ValueError, match=r"`mosaic` must have at least 2 centres.*got 1"):
        density_recovery_profile(Mosaic(field, [[0.0, 0.0]]))
    same = Mosaic(field, [[0.1, 0.1]] * 3)
    with pytest.raises(ValueError, match=r"mean nearest-neighbour distance, which is 0"):
        density_recovery_profile(same)
    assert density_recovery_profile(same, bin_width=0.1, max_radius=0.5).counts[0] == 6


@given(bad=st.one_of(NON_FINITE, st.floats(max_value=0.0)))
def test_coverage_refuses_bad_resolutions(bad, small):
    with pytest.raises(ValueError, match=r"`resolution` must be (finite|> 0), got"):
        coverage_distribution(small, Gaussian(0.3), resolution=bad)


def test_coverage_refuses_bad_rfs_and_levels(small):
    with pytest.raises(TypeError, match=r"`rf` must be a ReceptiveField, got float"):
        coverage_distribution(small, 0.3)
    with pytest.raises(
        ValueError, match=r"`level` must be one of \('sigma', 'half-max'\), got 'fwhm'"
    ):
        coverage_distribution(small, Gaussian(0.3), level="fwhm")
    with pytest.raises(ValueError, match=r"`level` must be (finite|> 0|in)"):
        coverage_distribution(small, Gaussian(0.3), level=math.nan)
    with pytest.raises(TypeError, match=r"`level` must be a real number"):
        coverage_distribution(small, Gaussian(0.3), level=True)
    with pytest.raises(TypeError, match=r"`resolution` must be a real number"):
        coverage_distribution(small, Gaussian(0.3), resolution="0.1")


def test_coverage_refuses_rfs_as_large_as_the_field(small):
    with pytest.raises(ValueError, match=r"no sample point .* margin of one RF radius"):
        coverage_distribution(small, Gaussian(5.0))
    assert coverage_distribution(small, Gaussian(5.0), edge_correction=False).mean > 0


def test_memory_refusals_are_cheap(small):
    with budget("4M"):
        refused_cheaply(
            lambda: density_recovery_profile(small, bin_width=1e-9, max_radius=10.0),
            match="the density recovery profile of",
        )
        refused_cheaply(
            lambda: coverage_distribution(small, Gaussian(0.1), resolution=1e-5),
            match="the coverage at",
        )
    with budget("64K"):
        refused_cheaply(lambda: voronoi_areas(small), match="the Voronoi diagram of")


def test_results_are_read_only(small):
    for array in (
        nearest_neighbor_distances(small).distances,
        voronoi_areas(small).areas,
        density_recovery_profile(small).density,
        coverage_distribution(small, Gaussian(0.3)).fraction,
    ):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0


# -- plots ---------------------------------------------------------------------------------
def _new_ax():
    return plt.figure().add_subplot()


def test_plot_nn_histogram(poisson):
    ax = _new_ax()
    assert plot_nn_histogram(poisson, ax=ax, bins=20) is ax
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    assert len(steps) == 1 and len(steps[0].get_data().values) == 20
    assert steps[0].get_data().values.sum() == nearest_neighbor_distances(poisson).distances.size
    assert "regularity index" in ax.get_title() and "(deg)" in ax.get_xlabel()
    ax2 = plot_nn_histogram(nearest_neighbor_distances(poisson), color="C2")  # a result, gca
    assert ax2 is plt.gca() and ax2.patches
    with pytest.raises(TypeError, match=r"`data` must be a Mosaic or a NearestNeighbors"):
        plot_nn_histogram(poisson.centers)
    with pytest.raises(ValueError, match=r"`bins` must be >= 1, got 0"):
        plot_nn_histogram(poisson, bins=0)


def test_plot_density_recovery_profile(small):
    ax = _new_ax()
    assert plot_density_recovery_profile(small, ax) is ax
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    assert len(steps) == 1 and len(steps[0].get_data().values) == 25
    assert len(ax.lines) == 2  # mean density, effective radius
    drp = density_recovery_profile(small, bin_width=0.05)
    ax = plot_density_recovery_profile(drp, _new_ax(), show_mean=False, show_effective_radius=False)
    assert len(ax.lines) == 0 and ax.patches
    with pytest.raises(TypeError, match=r"`data` must be a Mosaic or a DensityRecoveryProfile"):
        plot_density_recovery_profile([1, 2])
    with pytest.raises(ValueError, match=r"`bin_width` must be > 0"):
        plot_density_recovery_profile(small, bin_width=-1.0)


def test_plot_voronoi(small):
    ax = _new_ax()
    assert plot_voronoi(small, ax, alpha=0.8) is ax
    cells = [c for c in ax.collections if isinstance(c, PolyCollection)]
    kept = voronoi_areas(small)
    assert len(cells) == 1 and len(cells[0].get_paths()) == kept.areas.size
    np.testing.assert_allclose(cells[0].get_array(), kept.areas)
    assert ax.get_xlabel() == "x (deg)" and ax.get_ylabel() == "y (deg)"
    assert len(ax.figure.axes) == 2  # the colorbar
    ax = plot_voronoi(small, _new_ax(), edge_correction=False, colorbar=False, show_centers=False)
    assert len(ax.collections) == 1 and len(ax.figure.axes) == 1
    with pytest.raises(TypeError, match=r"`mosaic` must be a Mosaic"):
        plot_voronoi(small.centers)
    with pytest.raises(ValueError, match=r"`cmap` must be the name of a registered colormap"):
        plot_voronoi(small, cmap="no-such-map")


def test_plots_are_reachable_from_the_package():
    for name in ("plot_nn_histogram", "plot_density_recovery_profile", "plot_voronoi"):
        assert name in cortex.plotting.__all__
