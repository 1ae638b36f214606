import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from cortex import DifferenceOfGaussians, Gabor, Gaussian, Mosaic, VisualField


@pytest.fixture
def field():
    return VisualField(6.0, 4.0, pixels_per_degree=20)


def test_square_lattice_count_and_spacing(field):
    m = Mosaic.from_lattice(field, 0.5, "square")
    lim_x, lim_y = field.limits
    nx = 2 * math.floor(lim_x / 0.5) + 1
    ny = 2 * math.floor(lim_y / 0.5) + 1
    assert m.n_neurons == nx * ny
    assert m.density == pytest.approx(4.0)
    # includes fixation, raster order: top row first
    assert np.any(np.all(m.centers == 0.0, axis=1))
    assert m.centers[0, 1] == m.centers[:, 1].max()
    assert np.all(np.diff(m.centers[:, 1]) <= 1e-12)


def test_hexagonal_lattice_has_six_neighbours_at_spacing(field):
    d = 0.4
    m = Mosaic.from_lattice(field, d, "hexagonal")
    tree = cKDTree(m.centers)
    dist, _ = tree.query(m.centers, k=7)
    interior = (np.abs(m.centers[:, 0]) < 2.0) & (np.abs(m.centers[:, 1]) < 1.2)
    np.testing.assert_allclose(dist[interior, 1:], d, rtol=1e-9)
    assert m.density == pytest.approx(2 / (math.sqrt(3) * d * d))


def test_jittered_lattice_is_seeded_and_bounded(field):
    a = Mosaic.from_lattice(field, 0.5, "jittered", jitter=0.3, seed=7)
    b = Mosaic.from_lattice(field, 0.5, "jittered", jitter=0.3, seed=7)
    c = Mosaic.from_lattice(field, 0.5, "jittered", jitter=0.3, seed=8)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert not np.array_equal(a.centers, c.centers)
    hexagonal = Mosaic.from_lattice(field, 0.5, "hexagonal")
    inner = (np.abs(a.centers[:, 0]) < 2.4) & (np.abs(a.centers[:, 1]) < 1.4)
    dist, _ = cKDTree(hexagonal.centers).query(a.centers[inner])
    assert dist.max() <= 0.3 * 0.5 + 1e-12
    assert dist.mean() > 0.05  # really displaced
    rng = np.random.default_rng(7)
    d = Mosaic.from_lattice(field, 0.5, "jittered", seed=rng)
    assert d.jitter == 0.25


# -- coverage: the covering radius of the lattice, both sides of the threshold ---
@pytest.mark.parametrize(
    ("lattice", "threshold", "hole"),
    [
        ("hexagonal", 1 / math.sqrt(3), (0.5, 0.5 / math.sqrt(3))),  # triangle centroid
        ("square", 1 / math.sqrt(2), (0.5, 0.5)),  # square centre
    ],
)
@given(margin=st.floats(0.01, 0.2), u=st.floats(-1, 1), v=st.floats(-1, 1))
def test_discs_cover_lattice_iff_radius_reaches_covering_radius(
    lattice, threshold, hole, margin, u, v
):
    d = 0.5
    field = VisualField(6.0, 6.0, pixels_per_degree=10)
    m = Mosaic.from_lattice(field, d, lattice)
    assert m.covering_radius == pytest.approx(threshold * d)
    # discs of radius r: a Gaussian RF's 1-sigma contour
    above = Gaussian(sigma=threshold * d * (1 + margin))
    below = Gaussian(sigma=threshold * d * (1 - margin))
    # any interior point is covered when r >= threshold ...
    point = np.array([[u * 2.0, v * 2.0]])
    assert m.coverage(above, "sigma", points=point)[0] >= 1
    # ... and the deepest hole is not when r < threshold (independently of where we look)
    holes = np.array([hole]) * d + np.array([[d * round(u * 3), 0.0]])
    if lattice == "square":
        holes[:, 1] += d * round(v * 3)
    assert np.all(m.coverage(below, "sigma", points=holes) == 0)
    assert np.all(m.coverage(above, "sigma", points=holes) >= 1)
    with pytest.warns(UserWarning, match="coverage below 1"):
        assert m.check_gaps(below, "sigma")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not m.check_gaps(above, "sigma")


def test_coverage_map_matches_brute_force_ellipses():
    field = VisualField(3.0, 2.0, pixels_per_degree=10)
    m = Mosaic.from_lattice(field, 0.6, "jittered", seed=3).with_eccentricity_scaling(
        0.2, 0.3, n_levels=3
    )
    rf = Gabor(1.5, orientation=30.0, sigma_x=0.15, sigma_y=0.3)
    counts = m.coverage(rf, "half-max")
    x, y = field.grid()
    r = math.sqrt(2 * math.log(2))
    t = math.radians(30.0)
    dx = x[..., None] - m.centers[:, 0]
    dy = y[..., None] - m.centers[:, 1]
    u = (dx * math.cos(t) + dy * math.sin(t)) / (r * 0.15 * m.scales)
    v = (-dx * math.sin(t) + dy * math.cos(t)) / (r * 0.3 * m.scales)
    expected = np.sum(u**2 + v**2 <= 1.0, axis=-1)
    np.testing.assert_array_equal(counts, expected)


def test_coverage_factor_is_density_times_area():
    field = VisualField(8.0, 8.0, pixels_per_degree=16)
    d, sigma = 0.5, 0.4
    m = Mosaic.from_lattice(field, d, "hexagonal")
    rf = Gaussian(sigma)
    radius = sigma * math.sqrt(2 * math.log(2))
    expected = 2 / (math.sqrt(3) * d * d) * math.pi * radius**2
    assert m.coverage_factor(rf) == pytest.approx(expected)
    # the mean count over the interior agrees with it
    counts = m.coverage(rf)
    inner = counts[32:-32, 32:-32]
    assert inner.mean() == pytest.approx(expected, rel=0.05)


@given(intercept=st.floats(0.05, 1.0), slope=st.floats(0.0, 0.5))
def test_eccentricity_scaling(intercept, slope):
    field = VisualField(8.0, 6.0, pixels_per_degree=8)
    m = Mosaic.from_lattice(field, 0.5)
    rf = DifferenceOfGaussians(0.1, 0.3)
    exact = m.with_eccentricity_scaling(intercept, slope, reference_size=rf.size, rtol=None)
    sizes = rf.size * exact.scales
    np.testing.assert_allclose(sizes, intercept + slope * np.hypot(*m.centers.T), rtol=1e-12)
    default = m.with_eccentricity_scaling(intercept, slope, reference_size=rf.size)  # rtol 5%
    np.testing.assert_allclose(rf.size * default.scales, sizes, rtol=0.05 + 1e-9)
    q = m.with_eccentricity_scaling(intercept, slope, n_levels=4)
    assert len(np.unique(q.scales)) <= 4
    true = (intercept + slope * q.eccentricity) / intercept
    ratio = (true.max() / true.min()) ** (1 / 4)  # one level's width
    assert np.all(q.scales / true <= ratio * (1 + 1e-9))
    assert np.all(true / q.scales <= ratio * (1 + 1e-9))


def test_pixel_centers_are_nearest_pixels(field):
    m = Mosaic.from_lattice(field, 0.37, "jittered", seed=1)
    rows, cols = m.pixel_centers
    x, y = field.px_to_deg(rows, cols)
    assert np.all(np.abs(x - m.centers[:, 0]) <= 0.5 / 20 + 1e-12)
    assert np.all(np.abs(y - m.centers[:, 1]) <= 0.5 / 20 + 1e-12)


# -- bad input -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"spacing": 0.0}, ValueError, "`spacing` must be > 0, got 0.0"),
        ({"spacing": np.nan}, ValueError, "`spacing` must be finite"),
        ({"spacing": 0.5, "lattice": "triangular"}, ValueError, "`lattice` must be one of"),
        (
            {"spacing": 0.5, "lattice": "square", "jitter": 0.1},
            ValueError,
            "use lattice='jittered'",
        ),
        (
            {"spacing": 0.5, "lattice": "jittered", "jitter": 0.7},
            ValueError,
            "`jitter` must be <= 0.5",
        ),
        ({"spacing": 0.5, "margin": 3.0}, ValueError, "has no neuron inside the field"),
        ({"spacing": 0.5, "margin": -1.0}, ValueError, "`margin` must be >= 0"),
    ],
)
def test_bad_lattices(field, kwargs, error, match):
    with pytest.raises(error, match=match):
        Mosaic.from_lattice(field, **kwargs)


def test_bad_mosaics(field):
    with pytest.raises(TypeError, match="`field` must be a VisualField"):
        Mosaic((6, 4, 20), np.zeros((1, 2)))
    with pytest.raises(TypeError, match="`field` must be a VisualField"):
        Mosaic.from_lattice("field", 0.5)
    with pytest.raises(ValueError, match=r"`centers` must have shape \(n, 2\), got shape \(3, 3\)"):
        Mosaic(field, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="`centers` must lie inside the field"):
        Mosaic(field, [[0.0, 0.0], [10.0, 0.0]])
    with pytest.raises(ValueError, match="`centers` must not be empty"):
        Mosaic(field, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="`centers` must be finite"):
        Mosaic(field, [[np.nan, 0.0]])
    with pytest.raises(ValueError, match=r"`scales` must have shape \(2,\)"):
        Mosaic(field, np.zeros((2, 2)), scales=[1.0])
    with pytest.raises(ValueError, match="`scales` must be > 0"):
        Mosaic(field, np.zeros((2, 2)), scales=[1.0, -1.0])
    m = Mosaic.from_lattice(field, 0.5)
    with pytest.raises(TypeError, match="`rf` must be a ReceptiveField"):
        m.coverage("dog")
    with pytest.raises(ValueError, match="`level` must be one of"):
        m.coverage(Gaussian(0.3), level="fwhm")
    with pytest.raises(ValueError, match=r"`points` must have shape \(m, 2\)"):
        m.coverage(Gaussian(0.3), points=np.zeros((3, 1)))
    with pytest.raises(ValueError, match="`intercept` must be > 0"):
        m.with_eccentricity_scaling(0.0, 0.1)
    with pytest.raises(ValueError, match="`n_levels` must be >= 1"):
        m.with_eccentricity_scaling(0.1, 0.1, n_levels=0)


def test_mosaic_arrays_are_read_only(field):
    m = Mosaic.from_lattice(field, 0.5)
    with pytest.raises(ValueError):
        m.centers[0, 0] = 1.0


def test_mosaic_metadata_is_validated(field):
    pts = np.zeros((1, 2))
    with pytest.raises(ValueError, match="`lattice` must be one of"):
        Mosaic(field, pts, lattice="hex")
    with pytest.raises(ValueError, match="`spacing` must be > 0, got -3.0"):
        Mosaic(field, pts, lattice="hexagonal", spacing=-3.0)
    with pytest.raises(ValueError, match="`spacing` must be finite"):
        Mosaic(field, pts, lattice="square")  # a lattice needs its spacing
    with pytest.raises(ValueError, match="`jitter` must be <= 0.5"):
        Mosaic(field, pts, lattice="jittered", spacing=0.5, jitter=0.9)
