import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from strategies import NON_FINITE, budget, log_uniform, outside, refused_cheaply

import cortex
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


# -- bad input, numeric ranges and the memory budget (issue 11) ------------------------
NOT_NUMBERS = st.sampled_from([None, "1", b"1", True, False, np.bool_(True), 1 + 2j, [1.0], {}])
EXTREMES = st.sampled_from([5e-324, 1e-300, 1e300, 1.7e308, -5e-324, -1e-300, -1e300, -1.7e308])
FIELD = VisualField(4.0, 3.0, pixels_per_degree=10)


LATTICE_ARGUMENTS = {
    "spacing": outside(1e-6, 1e6),
    "margin": st.one_of(NON_FINITE, st.floats(max_value=0.0, exclude_max=True)),
    "jitter": outside(0.0, 0.5),
}


@given(name=st.sampled_from(sorted(LATTICE_ARGUMENTS)), data=st.data())
def test_from_lattice_refuses_bad_values_naming_them(name, data):
    kwargs = {"spacing": 0.5, "lattice": "jittered", name: None}
    if data.draw(st.booleans()):
        bad = data.draw(NOT_NUMBERS.filter(lambda v: v is not None or name == "spacing"))
        error = TypeError
    else:
        bad, error = data.draw(LATTICE_ARGUMENTS[name]), ValueError
    kwargs[name] = bad
    with pytest.raises(error, match=f"`{name}`"):
        Mosaic.from_lattice(FIELD, **kwargs)


@given(
    lattice=st.one_of(NOT_NUMBERS, st.sampled_from(["hex", "", "custom", "Square"])),
)
def test_from_lattice_refuses_bad_lattices(lattice):
    error = ValueError if isinstance(lattice, str) else TypeError
    with pytest.raises(error, match="`lattice`"):
        Mosaic.from_lattice(FIELD, 0.5, lattice)


@given(
    seed=st.sampled_from([-1, 1.5, "a", True, [1], 2**70 * -1]),
    lattice=st.sampled_from(["square", "jittered"]),
)
def test_from_lattice_refuses_bad_seeds_for_every_lattice(seed, lattice):
    with pytest.raises((TypeError, ValueError), match="`seed`"):
        Mosaic.from_lattice(FIELD, 0.5, lattice, seed=seed)


@given(
    spacing=log_uniform(1e-6, 1e6),
    lattice=st.sampled_from(["square", "hexagonal", "jittered"]),
    jitter=st.floats(0.0, 0.5),
    margin=st.one_of(st.just(0.0), log_uniform(1e-300, 1e300)),
    seed=st.integers(0, 2**64),
)
def test_accepted_lattices_are_finite_or_refused(spacing, lattice, jitter, margin, seed):
    with budget("8M"):
        try:
            mosaic = Mosaic.from_lattice(
                FIELD,
                spacing,
                lattice,
                jitter=jitter if lattice == "jittered" else None,
                margin=margin,
                seed=seed,
            )
        except cortex.MemoryBudgetError:
            return  # too fine for the budget: refused before allocating
        except ValueError as exc:
            assert "has no neuron inside the field" in str(exc)
            return
        assert np.all(np.isfinite(mosaic.centers)) and mosaic.n_neurons >= 1
        assert math.isfinite(mosaic.density) and math.isfinite(mosaic.covering_radius)
        rf = Gaussian(0.2)
        assert math.isfinite(mosaic.coverage_factor(rf))
        assert mosaic.coverage(rf).shape == FIELD.shape


BAD_ARRAYS = [
    (None, TypeError),
    ("abc", TypeError),
    (np.array([[True, False]]), TypeError),
    ([[1.0, 2.0], [1.0]], TypeError),
    (np.zeros((1, 2), complex), TypeError),
    (np.zeros((0, 2)), ValueError),
    (np.full((1, 2), np.nan), ValueError),
    (np.full((1, 2), -np.inf), ValueError),
    (np.zeros(2), ValueError),
    (np.zeros((1, 3)), ValueError),
]


@given(case=st.sampled_from(BAD_ARRAYS))
def test_mosaic_refuses_bad_centers_and_points(case):
    bad, error = case
    with pytest.raises(error, match="`centers`"):
        Mosaic(FIELD, bad)
    if bad is None:
        return  # points=None is the default: every pixel
    with pytest.raises(error, match="`points`"):
        Mosaic(FIELD, [[0.0, 0.0]]).coverage(Gaussian(0.2), points=bad)


@given(bad=st.sampled_from([1e300, -1.7e308, 5e9]))
def test_far_centers_are_outside_and_far_points_refused(bad):
    with pytest.raises(ValueError, match="`centers` must lie inside the field"):
        Mosaic(FIELD, [[bad, 0.0]])
    with pytest.raises(ValueError, match="`points` must be in"):
        Mosaic(FIELD, [[0.0, 0.0]]).coverage(Gaussian(0.2), points=[[0.0, bad]])


@given(
    scale=st.one_of(NON_FINITE, outside(1e-6, 1e6), EXTREMES),
)
def test_mosaic_refuses_scales_out_of_range(scale):
    with pytest.raises(ValueError, match="`scales`"):
        Mosaic(FIELD, [[0.0, 0.0], [0.5, 0.0]], scales=[1.0, scale])


@given(case=st.sampled_from([("ab", TypeError), ([True, False], TypeError), (3j, TypeError)]))
def test_mosaic_refuses_non_numeric_scales(case):
    bad, error = case
    with pytest.raises(error, match="`scales`"):
        Mosaic(FIELD, [[0.0, 0.0], [0.5, 0.0]], scales=bad)


@given(spacing=st.one_of(NOT_NUMBERS, NON_FINITE, outside(1e-6, 1e6)))
def test_mosaic_metadata_refuses_bad_spacings(spacing):
    for lattice in ("custom", "square"):
        if lattice == "custom" and isinstance(spacing, float) and math.isnan(spacing):
            continue  # nan is the custom mosaic's spacing
        error = ValueError if isinstance(spacing, float) else TypeError
        with pytest.raises(error, match="`spacing`"):
            Mosaic(FIELD, [[0.0, 0.0]], lattice=lattice, spacing=spacing)


SCALING_ARGUMENTS = {
    "intercept": outside(1e-6, 1e6),
    "slope": outside(0.0, 1e3),
    "reference_size": outside(1e-6, 1e6),
    "rtol": outside(0.0, 1.0, low_open=True),
}


@given(name=st.sampled_from(sorted(SCALING_ARGUMENTS) + ["n_levels"]), data=st.data())
def test_eccentricity_scaling_refuses_bad_values_naming_them(name, data):
    mosaic = Mosaic.from_lattice(FIELD, 0.5)
    kwargs = {"intercept": 0.2, "slope": 0.1}
    if data.draw(st.booleans()):
        bad = data.draw(NOT_NUMBERS.filter(lambda v: v is not None))
        error = TypeError
    elif name == "n_levels":
        bad = data.draw(st.sampled_from([1.5, 2.0, math.nan]))
        error = TypeError
        if data.draw(st.booleans()):
            bad, error = data.draw(st.integers(max_value=0)), ValueError
    else:
        bad, error = data.draw(SCALING_ARGUMENTS[name]), ValueError
    kwargs[name] = bad
    with pytest.raises(error, match=f"`{name}`"):
        mosaic.with_eccentricity_scaling(**kwargs)


@given(
    intercept=log_uniform(1e-6, 1e6),
    slope=st.one_of(st.just(0.0), log_uniform(1e-300, 1e3)),
    reference=st.one_of(st.none(), log_uniform(1e-6, 1e6)),
    rtol=st.one_of(st.none(), log_uniform(1e-12, 1.0)),
)
def test_accepted_eccentricity_scalings_are_in_range_or_refused(intercept, slope, reference, rtol):
    mosaic = Mosaic.from_lattice(FIELD, 0.5)
    with budget("8M"):
        try:
            scaled = mosaic.with_eccentricity_scaling(
                intercept, slope, reference_size=reference, rtol=rtol
            )
        except cortex.MemoryBudgetError:
            return  # too many levels for the budget (a tiny rtol)
        except ValueError as exc:
            assert "the RF scales" in str(exc)
            return
    assert np.all(np.isfinite(scaled.scales))
    assert scaled.scales.min() >= 1e-6 and scaled.scales.max() <= 1e6


@given(
    rf=st.sampled_from(["dog", None, 3]),
    level=st.sampled_from(["fwhm", -1.0, 1e300, True, None]),
    stacklevel=st.sampled_from([0, -1, 1.5, "2", None]),
)
def test_coverage_and_gap_checks_refuse_bad_arguments(rf, level, stacklevel):
    mosaic = Mosaic.from_lattice(FIELD, 0.5)
    for call in (mosaic.coverage, mosaic.coverage_factor, mosaic.check_gaps):
        with pytest.raises(TypeError, match="`rf`"):
            call(rf)
        with pytest.raises((TypeError, ValueError), match="`level`"):
            call(Gaussian(0.3), level)
    with pytest.raises((TypeError, ValueError), match="`stacklevel`"):
        mosaic.check_gaps(Gaussian(0.3), stacklevel=stacklevel)


def test_issue_11_cases(small_budget):
    field = VisualField(2.0, 2.0, 10.0)
    refused_cheaply(lambda: Mosaic.from_lattice(field, 1e-4), match="lattice of spacing 0.0001")
    with pytest.raises(ValueError, match=r"`spacing` must be in \[1e-06, 1e\+06\] deg"):
        Mosaic.from_lattice(field, 5e-324)  # was an OverflowError
    with pytest.raises(TypeError, match="`jitter` must be a real number"):
        Mosaic.from_lattice(field, 0.5, "jittered", jitter="0.1")
    with pytest.raises(TypeError, match="`jitter` must be a real number"):
        Mosaic.from_lattice(field, 0.5, "square", jitter=False)


def test_budget_refusals_are_cheap(small_budget):
    field = VisualField(6.0, 6.0, 10.0)
    mosaic = Mosaic.from_lattice(field, 0.5)
    refused_cheaply(lambda: Mosaic.from_lattice(field, 3e-4, "jittered"))
    refused_cheaply(
        lambda: mosaic.with_eccentricity_scaling(0.1, 0.3, n_levels=10**12), match="levels"
    )
    refused_cheaply(lambda: mosaic.with_eccentricity_scaling(0.1, 0.3, rtol=1e-300), match="rtol")
    big = VisualField(200.0, 200.0, 10.0)  # 4 Mpx: one image fits in 64 MiB, the counts do not
    sparse = Mosaic(big, [[0.0, 0.0]])
    refused_cheaply(lambda: sparse.coverage(Gaussian(1.0)), match="the coverage at 4000000 points")


def test_valid_lattices_are_unchanged():
    m = Mosaic.from_lattice(VisualField(4.0, 4.0, pixels_per_degree=16), 0.5, "hexagonal")
    assert m.n_neurons == 67
    a = Mosaic.from_lattice(FIELD, 0.5, "jittered", seed=3)
    b = Mosaic.from_lattice(FIELD, 0.5, "jittered", seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a.centers, b.centers)
    assert Mosaic(FIELD, [[0.0, 0.0]], lattice="custom").spacing != 0  # nan stays nan


# -- target coverage --------------------------------------------------------------------------
def _interior_coverage(mosaic, rf, margin_px):
    counts = mosaic.coverage(rf)
    return float(counts[margin_px:-margin_px, margin_px:-margin_px].mean())


@settings(deadline=None, max_examples=15)
@given(
    n=st.integers(2, 200),
    seed=st.integers(0, 2**16),
    size=st.tuples(st.floats(1.0, 6.0), st.floats(1.0, 6.0)),
)
def test_tiles_partition_the_field(n, seed, size):
    from cortex.mosaic import _tile_areas

    field = VisualField(size[0], size[1], pixels_per_degree=10)
    rng = np.random.default_rng(seed)
    hw, hh = field.limits
    centers = rng.uniform([-hw, -hh], [hw, hh], (n, 2))
    areas = _tile_areas(centers, (size[0] / 2, size[1] / 2))
    assert np.all(areas > 0)
    np.testing.assert_allclose(areas.sum(), size[0] * size[1], rtol=1e-9)


def test_tiles_of_a_lattice_are_its_cells():
    from cortex.mosaic import _tile_areas

    field = VisualField(6.0, 6.0, pixels_per_degree=20)
    for lattice, cell in (("square", 0.3**2), ("hexagonal", math.sqrt(3) / 2 * 0.3**2)):
        mosaic = Mosaic.from_lattice(field, 0.3, lattice)
        areas = _tile_areas(mosaic.centers, (3.0, 3.0))
        inner = np.max(np.abs(mosaic.centers), axis=1) < 2.5
        np.testing.assert_allclose(areas[inner], cell, rtol=1e-9)


@pytest.mark.parametrize("target", [1.0, 3.0])
@pytest.mark.parametrize("kind", ["hexagonal", "square", "random"])
def test_with_coverage_reaches_a_uniform_target(kind, target):
    # midget-like (1) and parasol-like (3) coverage, on lattices and on random centres
    field = VisualField(5.0, 5.0, pixels_per_degree=32)
    rf = Gaussian(0.05)
    if kind == "random":
        rng = np.random.default_rng(7)
        base = Mosaic(field, rng.uniform(-2.45, 2.45, (600, 2)))
    else:
        base = Mosaic.from_lattice(field, 0.2, kind)
    mosaic = base.with_coverage(rf, target)
    np.testing.assert_array_equal(mosaic.centers, base.centers)
    # the mean number of RFs over a pixel, away from the border: within 2% of the target
    assert abs(_interior_coverage(mosaic, rf, 32) / target - 1) < 0.02
    if kind == "random":  # custom centres: the coverage factor is the target exactly
        assert mosaic.coverage_factor(rf) == pytest.approx(target, rel=1e-9)


def test_with_coverage_follows_a_function_of_eccentricity():
    field = VisualField(6.0, 6.0, pixels_per_degree=40)
    rf = Gaussian(0.05)
    mosaic = Mosaic.from_lattice(field, 0.12, "hexagonal").with_coverage(rf, lambda e: 1 + 0.5 * e)
    counts = mosaic.coverage(rf)
    x, y = field.grid()
    e = np.hypot(x, y)
    for lo in (0.5, 1.0, 1.5, 2.0, 2.5):
        ring = (e >= lo) & (e < lo + 0.5)
        assert abs(counts[ring].mean() / (1 + 0.5 * e[ring]).mean() - 1) < 0.02


def test_with_coverage_rejects_bad_targets():
    field = VisualField(2.0, 2.0, pixels_per_degree=10)
    mosaic = Mosaic.from_lattice(field, 0.3, "hexagonal")
    rf = Gaussian(0.1)
    with pytest.raises(ValueError, match="`target` must be > 0"):
        mosaic.with_coverage(rf, 0.0)
    with pytest.raises(ValueError, match="`target` must be finite"):
        mosaic.with_coverage(rf, float("nan"))
    with pytest.raises(TypeError, match="`target`"):
        mosaic.with_coverage(rf, "three")
    with pytest.raises(ValueError, match="`target` must return coverage factors in"):
        mosaic.with_coverage(rf, lambda e: -e)
    with pytest.raises(ValueError, match="`target` must return one coverage per site"):
        mosaic.with_coverage(rf, lambda e: np.ones(3))
    with pytest.raises(TypeError, match="`rf` must be a ReceptiveField"):
        mosaic.with_coverage("gaussian", 1.0)
    with pytest.raises(ValueError, match="at least 2 sites"):
        Mosaic(field, [[0.0, 0.0]]).with_coverage(rf, 1.0)
    with pytest.raises(ValueError, match="RF scales for coverage"):
        mosaic.with_coverage(Gaussian(1e-9 * 1000), 1e6)
