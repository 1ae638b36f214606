"""cortex.lattices: Poisson-disk, exclusion (dmin) and foveated mosaics against their targets."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial import ConvexHull, Voronoi, cKDTree
from scipy.spatial.distance import pdist
from strategies import NON_FINITE, refused_cheaply

import cortex
from cortex import Mosaic, VisualField
from cortex.lattices import (
    EXCLUSION_RI_RANGE,
    HORTON_HOYT_E2,
    HORTON_HOYT_M0,
    exclusion_mosaic,
    foveated,
    poisson_disk,
)
from cortex.mosaic_stats import POISSON_REGULARITY_INDEX, regularity_index


def uniform_probes(field, n, rng):
    """Points uniform over the field's extent (where the builders put centres)."""
    left, right, bottom, top = field.extent
    return np.column_stack([rng.uniform(left, right, n), rng.uniform(bottom, top, n)])


def assert_raster_order(mosaic):
    x, y = mosaic.centers.T
    order = np.lexsort((x, -y))
    np.testing.assert_array_equal(order, np.arange(mosaic.n_neurons))


def voronoi_density(centers, keep):
    """1 / (Voronoi cell area) of the kept sites (cells bounded by other sites)."""
    vor = Voronoi(centers)
    out = np.full(len(centers), np.nan)
    for i in np.flatnonzero(keep):
        region = vor.regions[vor.point_region[i]]
        if region and -1 not in region:
            out[i] = 1.0 / ConvexHull(vor.vertices[region]).volume
    return out


# -- Poisson-disk sampling ------------------------------------------------------------------
@given(
    min_distance=st.floats(0.25, 2.0),
    width=st.floats(1.0, 6.0),
    height=st.floats(1.0, 6.0),
    seed=st.integers(0, 2**32),
)
def test_poisson_disk_keeps_min_distance_and_leaves_no_gap(min_distance, width, height, seed):
    field = VisualField(width, height, pixels_per_degree=10)
    mosaic = poisson_disk(field, min_distance, seed=seed)
    assert isinstance(mosaic, Mosaic)
    assert mosaic.lattice == "custom" and mosaic.spacing == min_distance
    np.testing.assert_array_equal(mosaic.scales, 1.0)
    assert np.all(field.contains(*mosaic.centers.T))
    assert_raster_order(mosaic)
    if mosaic.n_neurons > 1:  # hard core: no pair closer than min_distance
        assert pdist(mosaic.centers).min() >= min_distance
    # maximal: every point of the field within 1.5 min_distance of a centre (< Bridson's 2r)
    probes = uniform_probes(field, 4000, np.random.default_rng(seed % 1000))
    gaps, _ = cKDTree(mosaic.centers).query(probes)
    assert gaps.max() <= 1.5 * min_distance


@pytest.mark.parametrize("k", [1, 3, 30])
def test_poisson_disk_guarantees_hold_for_any_number_of_tries(k, rng):
    field = VisualField(8.0, 6.0, pixels_per_degree=10)
    r = 0.4
    mosaic = poisson_disk(field, r, seed=5, k=k)
    assert pdist(mosaic.centers).min() >= r
    gaps, _ = cKDTree(mosaic.centers).query(uniform_probes(field, 20000, rng))
    assert gaps.max() <= 1.5 * r
    if k == 30:  # Bridson's default: nearly maximal by itself, about 0.62-0.7 / r**2
        assert 0.6 < mosaic.density * r * r < 0.75
        assert gaps.max() < 1.25 * r


def test_poisson_disk_statistics_on_a_larger_field():
    field = VisualField(16.0, 16.0, pixels_per_degree=8)
    r = 0.4
    mosaic = poisson_disk(field, r, seed=1)
    # density of the interior (away from the uncrowded edges)
    inner = np.all(np.abs(mosaic.centers) < 6.0, axis=1)
    assert inner.sum() / 144.0 * r * r == pytest.approx(0.63, rel=0.05)
    nn = cortex.mosaic_stats.nearest_neighbor_distances(mosaic)
    assert nn.distances.min() >= r
    assert nn.distances.max() < 2.0 * r
    assert regularity_index(mosaic) > 3 * POISSON_REGULARITY_INDEX  # far more regular


def test_poisson_disk_is_seeded():
    field = VisualField(6.0, 4.0, pixels_per_degree=10)
    a = poisson_disk(field, 0.5, seed=7)
    b = poisson_disk(field, 0.5, seed=7)
    c = poisson_disk(field, 0.5, seed=8)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.centers.shape != c.centers.shape or not np.array_equal(a.centers, c.centers)
    g1 = poisson_disk(field, 0.5, seed=np.random.default_rng(3))
    g2 = poisson_disk(field, 0.5, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(g1.centers, g2.centers)


def test_poisson_disk_on_a_field_smaller_than_the_distance():
    field = VisualField(0.3, 0.2, pixels_per_degree=10)
    mosaic = poisson_disk(field, 1.0, seed=0)
    assert mosaic.n_neurons == 1
    single = VisualField(0.1, 0.1, pixels_per_degree=10)  # one pixel, 0.14 deg corner to corner
    for seed in range(5):
        assert poisson_disk(single, 0.15, seed=seed).n_neurons == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"field": (4.0, 4.0)}, TypeError, "`field` must be a VisualField"),
        ({"min_distance": "0.5"}, TypeError, "`min_distance` must be a real number"),
        ({"min_distance": True}, TypeError, "`min_distance` must be a real number"),
        ({"min_distance": None}, TypeError, "`min_distance`"),
        ({"min_distance": -1.0}, ValueError, r"`min_distance` must be > 0, got -1.0"),
        ({"min_distance": 0.0}, ValueError, "`min_distance` must be > 0"),
        ({"min_distance": 1e-7}, ValueError, r"`min_distance` must be in \[1e-06, 1e\+06\] deg"),
        ({"min_distance": 1e7}, ValueError, r"`min_distance` must be in \[1e-06, 1e\+06\] deg"),
        ({"k": 0}, ValueError, r"`k` must be in \[1, 10000\], got 0"),
        ({"k": 10**5}, ValueError, "`k` must be in"),
        ({"k": 2.5}, TypeError, "`k` must be an integer"),
        ({"k": True}, TypeError, "`k` must be an integer"),
        ({"seed": -1}, ValueError, "`seed` must be >= 0"),
        ({"seed": "1"}, TypeError, "`seed` must be an integer"),
    ],
)
def test_poisson_disk_refuses_bad_inputs(kwargs, error, match):
    args = {"field": VisualField(2.0, 2.0, 10), "min_distance": 0.5, **kwargs}
    field, r = args.pop("field"), args.pop("min_distance")
    with pytest.raises(error, match=match):
        poisson_disk(field, r, **args)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_poisson_disk_refuses_non_finite_distances(bad):
    with pytest.raises(ValueError, match="`min_distance` must be finite"):
        poisson_disk(VisualField(2.0, 2.0, 10), bad)


def test_poisson_disk_refuses_too_many_points_cheaply(small_budget):
    field = VisualField(100.0, 100.0, 1.0)
    refused_cheaply(
        lambda: poisson_disk(field, 1e-3), match="Poisson-disk sampling with min_distance=0.001"
    )
    with pytest.raises(cortex.MemoryBudgetError, match="memory budget"):
        poisson_disk(field, 0.01)


# -- exclusion (dmin) mosaics ---------------------------------------------------------------
EXCLUSION_FIELD = VisualField(12.0, 12.0, pixels_per_degree=8)


@pytest.mark.parametrize("target", [2.0, 2.5, 4.0, 6.0, 8.0])
def test_exclusion_mosaic_reaches_its_regularity_and_density(target):
    density = 4.0
    mosaic = exclusion_mosaic(EXCLUSION_FIELD, density, target, seed=11)
    assert isinstance(mosaic, Mosaic) and mosaic.lattice == "custom"
    assert abs(regularity_index(mosaic) - target) <= 0.1
    assert mosaic.n_neurons == 576
    assert mosaic.density == pytest.approx(density, rel=0.05)
    # the density is uniform: the central half of the field holds its share
    inner = np.all(np.abs(mosaic.centers) < 3.0, axis=1)
    assert inner.sum() / 36.0 == pytest.approx(density, rel=0.2)
    # hard core: every pair at least the truncated exclusion distance apart
    floor = mosaic.spacing * (1.0 - 1.5 / target)
    assert pdist(mosaic.centers).min() >= floor
    assert np.all(EXCLUSION_FIELD.contains(*mosaic.centers.T))
    assert_raster_order(mosaic)


def test_exclusion_regularity_grows_with_the_exclusion_distance():
    spacings = [exclusion_mosaic(EXCLUSION_FIELD, 4.0, t, seed=2).spacing for t in (2.5, 4, 6)]
    assert spacings[0] < spacings[1] < spacings[2]


@pytest.mark.parametrize("tolerance", [0.02, 0.3])
def test_exclusion_mosaic_honours_the_tolerance(tolerance):
    mosaic = exclusion_mosaic(EXCLUSION_FIELD, 4.0, 5.0, seed=3, tolerance=tolerance)
    assert abs(regularity_index(mosaic) - 5.0) <= tolerance


def test_exclusion_mosaic_near_poisson():
    target = POISSON_REGULARITY_INDEX
    assert EXCLUSION_RI_RANGE[0] == target
    mosaic = exclusion_mosaic(EXCLUSION_FIELD, 4.0, target, seed=4)
    assert abs(regularity_index(mosaic) - target) <= 0.1


def test_exclusion_mosaic_is_seeded():
    a = exclusion_mosaic(EXCLUSION_FIELD, 3.0, 4.0, seed=21)
    b = exclusion_mosaic(EXCLUSION_FIELD, 3.0, 4.0, seed=21)
    c = exclusion_mosaic(EXCLUSION_FIELD, 3.0, 4.0, seed=22)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.spacing == b.spacing
    assert not np.array_equal(a.centers, c.centers)


def test_exclusion_mosaic_that_cannot_converge_says_so():
    with pytest.raises(
        RuntimeError, match=r"did not reach `regularity_index` 4 within .*closest: \d"
    ):
        exclusion_mosaic(EXCLUSION_FIELD, 4.0, 4.0, seed=0, tolerance=1e-9, max_iter=3)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"field": None}, TypeError, "`field` must be a VisualField"),
        ({"density": "4"}, TypeError, "`density` must be a real number"),
        ({"density": -1.0}, ValueError, r"`density` must be > 0, got -1.0"),
        ({"density": 0.0}, ValueError, "`density` must be > 0"),
        ({"density": math.nan}, ValueError, "`density` must be finite"),
        ({"density": math.inf}, ValueError, "`density` must be finite"),
        ({"density": 0.2}, ValueError, r"`density` x field area must give at least 50 centres"),
        ({"regularity_index": "4"}, TypeError, "`regularity_index` must be a real number"),
        ({"regularity_index": False}, TypeError, "`regularity_index` must be a real number"),
        ({"regularity_index": math.nan}, ValueError, "`regularity_index` must be finite"),
        ({"regularity_index": math.inf}, ValueError, "`regularity_index` must be finite"),
        ({"regularity_index": -2.0}, ValueError, "`regularity_index` must be > 0"),
        ({"regularity_index": 1.5}, ValueError, r"`regularity_index` must be in \[1.91306, 8\]"),
        ({"regularity_index": 1.9}, ValueError, "`regularity_index` must be in"),
        ({"regularity_index": 8.5}, ValueError, r"`regularity_index` must be in .* got 8.5"),
        ({"regularity_index": 100.0}, ValueError, "`regularity_index` must be in"),
        ({"tolerance": 0.0}, ValueError, "`tolerance` must be > 0"),
        ({"tolerance": -0.1}, ValueError, "`tolerance` must be > 0"),
        ({"tolerance": 2.0}, ValueError, r"`tolerance` must be in \[0, 1\]"),
        ({"tolerance": math.nan}, ValueError, "`tolerance` must be finite"),
        ({"tolerance": "0.1"}, TypeError, "`tolerance` must be a real number"),
        ({"max_iter": 0}, ValueError, "`max_iter` must be >= 1"),
        ({"max_iter": 2.0}, TypeError, "`max_iter` must be an integer"),
        ({"seed": -3}, ValueError, "`seed` must be >= 0"),
        ({"seed": 1.5}, TypeError, "`seed` must be an integer"),
    ],
)
def test_exclusion_mosaic_refuses_bad_inputs(kwargs, error, match):
    args = {"field": EXCLUSION_FIELD, "density": 4.0, "regularity_index": 4.0, **kwargs}
    field, density, ri = args.pop("field"), args.pop("density"), args.pop("regularity_index")
    with pytest.raises(error, match=match):
        exclusion_mosaic(field, density, ri, **args)


def test_exclusion_mosaic_refuses_too_many_points_cheaply(small_budget):
    refused_cheaply(
        lambda: exclusion_mosaic(EXCLUSION_FIELD, 1e8, 4.0), match="an exclusion mosaic of density"
    )


# -- foveated lattices ----------------------------------------------------------------------
FOVEA_FIELD = VisualField(16.0, 16.0, pixels_per_degree=8)


def horton_hoyt(ecc):
    return HORTON_HOYT_M0 / (ecc + HORTON_HOYT_E2)


def steep(ecc):
    """A user's magnification unlike Horton & Hoyt's: 12 mm/deg at fixation, falling as 1/E^2."""
    return 12.0 / (1.0 + ecc / 2.0) ** 2


def expected_count(magnification, spacing_mm, e_lo, e_hi):
    """Sites expected between two eccentricities: (M(E) / spacing)**2 integrated over the annulus."""
    e = np.linspace(e_lo, e_hi, 20001)
    return np.trapezoid(2.0 * np.pi * e * (magnification(e) / spacing_mm) ** 2, e)


def annuli(magnification, spacing_mm, e_max, rings_per_annulus=10):
    """Eccentricity bins each about ``rings_per_annulus`` site spacings wide on the cortex."""
    e = np.linspace(0.0, e_max, 20001)
    m = magnification(e)
    cortex_r = np.concatenate([[0.0], np.cumsum(0.5 * (m[1:] + m[:-1]) * np.diff(e))])
    steps = np.arange(0.0, cortex_r[-1], rings_per_annulus * spacing_mm)
    return np.interp(steps, cortex_r, e)


@pytest.mark.parametrize(
    ("magnification", "spacing_mm"),
    [(None, 0.5), (None, 1.0), (horton_hoyt, 0.7), (steep, 0.25)],
)
def test_foveated_density_and_spacing_follow_the_magnification(magnification, spacing_mm):
    field = FOVEA_FIELD
    mosaic = foveated(field, magnification=magnification, spacing_mm=spacing_mm)
    m_of = horton_hoyt if magnification is None else magnification
    ecc = mosaic.eccentricity
    assert mosaic.lattice == "custom" and math.isnan(mosaic.spacing)
    assert np.all(field.contains(*mosaic.centers.T))
    assert_raster_order(mosaic)
    assert np.count_nonzero(ecc == 0.0) == 1  # one site at fixation
    e_max = 7.9  # annuli inside the field
    # 1. site counts in annuli ~10 spacings wide on the cortex: within 15% of the integral
    edges = annuli(m_of, spacing_mm, e_max)
    assert len(edges) >= 4
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        count = np.count_nonzero((ecc >= lo) & (ecc < hi))
        assert count == pytest.approx(expected_count(m_of, spacing_mm, lo, hi), rel=0.15)
    # 2. local density (1 / Voronoi cell area) against (M(E) / spacing)**2, site by site,
    # for sites whose cell is closed by neighbours on all sides (two spacings from the edge)
    inner = (ecc > 0.0) & (ecc < e_max)
    closed = inner & (ecc < e_max - 2.0 * spacing_mm / m_of(e_max))
    local = voronoi_density(mosaic.centers, closed)
    ratio = local / (m_of(ecc) / spacing_mm) ** 2
    ratio = ratio[closed & np.isfinite(ratio)]
    assert ratio.size > 0.5 * closed.sum()
    assert np.median(ratio) == pytest.approx(1.0, abs=0.03)
    assert np.all(np.abs(ratio - 1.0) < 0.15)
    # 3. nearest-neighbour distance at eccentricity E: spacing_mm / M(E)
    nn, _ = cKDTree(mosaic.centers).query(mosaic.centers, k=2)
    nn_ratio = nn[inner, 1] / (spacing_mm / m_of(ecc[inner]))
    assert np.median(nn_ratio) == pytest.approx(1.0, abs=0.03)
    assert np.all(np.abs(nn_ratio - 1.0) < 0.15)


def test_foveated_user_callables_match_the_default():
    default = foveated(FOVEA_FIELD, spacing_mm=0.8)
    same = foveated(FOVEA_FIELD, magnification=horton_hoyt, spacing_mm=0.8)
    np.testing.assert_allclose(same.centers, default.centers, atol=1e-12)
    np.testing.assert_allclose(same.scales, default.scales, rtol=1e-12)
    other = foveated(FOVEA_FIELD, m0=10.0, e2=2.0, spacing_mm=0.8)
    assert other.n_neurons < default.n_neurons  # M(0) = 5 < 23 mm/deg: sparser fovea


def test_foveated_constant_magnification_is_uniform():
    m = 4.0  # mm/deg everywhere; a scalar result is broadcast
    mosaic = foveated(FOVEA_FIELD, magnification=lambda e: m, spacing_mm=1.0)
    np.testing.assert_array_equal(mosaic.scales, 1.0)  # M(0) / M(E) = 1
    left, right, bottom, top = FOVEA_FIELD.extent
    assert mosaic.density == pytest.approx(m**2, rel=0.05)
    inner = np.all(np.abs(mosaic.centers) < 5.0, axis=1)
    assert inner.sum() / 100.0 == pytest.approx(m**2, rel=0.05)


def test_foveated_rf_scales_follow_eccentricity():
    exact = foveated(FOVEA_FIELD, rf_rtol=None)
    ecc = exact.eccentricity
    np.testing.assert_allclose(exact.scales, (ecc + HORTON_HOYT_E2) / HORTON_HOYT_E2, rtol=1e-12)
    linear = foveated(FOVEA_FIELD, rf_slope=0.2, rf_rtol=None)
    np.testing.assert_allclose(linear.scales, 1.0 + 0.2 * linear.eccentricity, rtol=1e-12)
    flat = foveated(FOVEA_FIELD, rf_slope=0.0)
    np.testing.assert_array_equal(flat.scales, 1.0)
    user = foveated(FOVEA_FIELD, magnification=steep, spacing_mm=0.5, rf_rtol=None)
    np.testing.assert_allclose(user.scales, steep(0.0) / steep(user.eccentricity), rtol=1e-12)
    quantised = foveated(FOVEA_FIELD)  # default: 5% levels
    np.testing.assert_allclose(quantised.centers, exact.centers)
    assert np.all(np.abs(quantised.scales / exact.scales - 1.0) <= 0.05 + 1e-9)
    assert len(np.unique(quantised.scales)) < 40 < exact.n_neurons


def test_foveated_covers_the_whole_field_including_corners():
    field = VisualField(10.0, 4.0, pixels_per_degree=10)
    mosaic = foveated(field, spacing_mm=0.5)
    probes = uniform_probes(field, 5000, np.random.default_rng(0))
    gaps, _ = cKDTree(mosaic.centers).query(probes)
    # no hole wider than the local spacing: the rings reach the corners
    assert np.all(gaps <= 1.2 * 0.5 / horton_hoyt(np.hypot(*probes.T)))


def test_foveated_is_deterministic():
    a, b = foveated(FOVEA_FIELD), foveated(FOVEA_FIELD)
    np.testing.assert_array_equal(a.centers, b.centers)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"magnification": "17.3 / (E + 0.75)"}, TypeError, "`magnification` must be a callable"),
        ({"magnification": 17.3}, TypeError, "`magnification` must be a callable"),
        (
            {"magnification": lambda e: -1.0 - e},
            ValueError,
            r"`magnification` must return finite values > 0 \(mm/deg\), got -1.0 at "
            r"eccentricity 0 deg",
        ),
        ({"magnification": lambda e: 0.0 * e}, ValueError, "must return finite values > 0"),
        (
            {"magnification": lambda e: np.where(e > 3.0, np.nan, 1.0)},
            ValueError,
            r"`magnification` must return finite values > 0 .* got nan at eccentricity 3",
        ),
        (
            {"magnification": lambda e: np.where(e > 0, 1.0, np.inf)},
            ValueError,
            "got inf at eccentricity 0 deg",
        ),
        ({"magnification": lambda e: e.astype(str)}, TypeError, "must return real numbers"),
        ({"magnification": lambda e: e > 1}, TypeError, "must return real numbers"),
        ({"magnification": lambda e: np.ones(3)}, ValueError, "one value per eccentricity"),
        ({"magnification": lambda: 1.0}, TypeError, "`magnification` must accept an array"),
        ({"magnification": horton_hoyt, "m0": 10.0}, ValueError, "cannot be combined"),
        ({"magnification": horton_hoyt, "e2": 1.0}, ValueError, "cannot be combined"),
        ({"m0": -17.3}, ValueError, "`m0` must be > 0"),
        ({"m0": math.nan}, ValueError, "`m0` must be finite"),
        ({"m0": "17.3"}, TypeError, "`m0` must be a real number"),
        ({"e2": 0.0}, ValueError, "`e2` must be > 0"),
        ({"e2": math.inf}, ValueError, "`e2` must be finite"),
        ({"spacing_mm": 0.0}, ValueError, "`spacing_mm` must be > 0"),
        ({"spacing_mm": -1.0}, ValueError, r"`spacing_mm` must be > 0, got -1.0"),
        ({"spacing_mm": math.nan}, ValueError, "`spacing_mm` must be finite"),
        ({"spacing_mm": 1e7}, ValueError, r"`spacing_mm` must be in \[1e-06, 1e\+06\] mm"),
        ({"spacing_mm": None}, TypeError, "`spacing_mm` must be a real number"),
        ({"rf_slope": -0.1}, ValueError, "`rf_slope` must be >= 0"),
        ({"rf_slope": 1e4}, ValueError, r"`rf_slope` must be in \[0, 1000\] 1/deg"),
        ({"rf_slope": "0.2"}, TypeError, "`rf_slope` must be a real number"),
        ({"rf_rtol": 0.0}, ValueError, "`rf_rtol` must be > 0"),
        ({"rf_rtol": 5.0}, ValueError, r"`rf_rtol` must be in \[0, 1\]"),
        (
            {"magnification": lambda e: 1.0 / (e + 1e-7)},  # M(0) / M(8 deg) = 8e7
            ValueError,
            r"the RF scales M\(0\) / M\(E\) .* must be in \[1e-06, 1e\+06\]",
        ),
    ],
)
def test_foveated_refuses_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        foveated(FOVEA_FIELD, **kwargs)


@given(bad=NON_FINITE)
def test_foveated_refuses_non_finite_magnifications_anywhere(bad):
    def magnification(e):
        out = HORTON_HOYT_M0 / (e + HORTON_HOYT_E2)
        out[len(out) // 2] = bad
        return out

    with pytest.raises(ValueError, match="`magnification` must return finite values > 0"):
        foveated(FOVEA_FIELD, magnification=magnification)


def test_foveated_refuses_bad_fields_and_too_many_sites(small_budget):
    with pytest.raises(TypeError, match="`field` must be a VisualField"):
        foveated("field")
    refused_cheaply(lambda: foveated(FOVEA_FIELD, spacing_mm=1e-4), match="a foveated lattice")
    huge_rf = VisualField(2000.0, 2000.0, pixels_per_degree=0.05)
    with pytest.raises(ValueError, match=r"the RF scales 1 \+ rf_slope \* E \(`rf_slope`\)"):
        foveated(huge_rf, spacing_mm=2.0, rf_slope=1000.0)
