import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import NON_FINITE, budget, log_uniform, outside, refused_cheaply

from cortex import (
    ComplexCell,
    DifferenceOfGaussians,
    DivisiveNormalization,
    Gabor,
    Gaussian,
    HalfSquare,
    Mosaic,
    NakaRushton,
    Population,
    Rectify,
    VisualField,
    choose_method,
    connectivity_matrix,
    correlate_sampled,
    linear_responses,
    responses,
)
from cortex.stimuli import grating

METHODS = ("fft", "direct", "centers", "separable")


def naive_responses(population, images):
    """Independent oracle: one dot product per neuron, weights from the analytic profile.

    Uses neither the kernels nor any correlation: for each neuron the RF profile is
    evaluated at every pixel's offset from the neuron's centre pixel, inside the
    square support of half-width ``kernel_radius``.
    """
    field = population.field
    ppd = field.pixels_per_degree
    rows, cols = field.shape
    ii, jj = np.mgrid[0:rows, 0:cols]
    r0, c0 = population.mosaic.pixel_centers
    out = np.zeros((images.shape[0], population.n_neurons), dtype=complex)
    for t, rf in enumerate(population.types):
        for s in range(population.n_sites):
            scaled = rf.scaled(float(population.mosaic.scales[s]))
            h = scaled.kernel_radius(ppd, population.n_sigma)
            inside = (np.abs(ii - r0[s]) <= h) & (np.abs(jj - c0[s]) <= h)
            dx = (jj - c0[s]) / ppd
            dy = (r0[s] - ii) / ppd
            if isinstance(scaled, DifferenceOfGaussians):
                w = _truncated_dog(scaled, dx, dy, inside, r0[s], c0[s], h) / ppd**2
            else:
                w = np.where(inside, scaled.profile(dx, dy), 0.0) / ppd**2
            out[:, t * population.n_sites + s] = np.tensordot(images, w, axes=([1, 2], [0, 1]))
    return out


def _truncated_dog(dog, dx, dy, inside, r0, c0, h):
    """A DoG sampled on its square support with the surround's volume matched to the centre's.

    The kernel's documented truncation rule, from the two Gaussian profiles: the
    window is placed in full (even where it hangs over the field's border) to get the
    sampled volumes, then clipped to the field.
    """
    sign = dog.amplitude if dog.polarity == "on" else -dog.amplitude
    centre = Gaussian(dog.sigma_center).profile
    surround = Gaussian(dog.sigma_surround).profile
    ppd_offsets = dx[0, 1] - dx[0, 0]
    window = np.arange(-h, h + 1) * ppd_offsets
    wx, wy = np.meshgrid(window, -window)
    ratio = centre(wx, wy).sum() / surround(wx, wy).sum()
    w = sign * (centre(dx, dy) - dog.surround_weight * ratio * surround(dx, dy))
    return np.where(inside, w, 0.0)


@st.composite
def populations(draw, max_pixels=28):
    ppd = draw(st.sampled_from([8.0, 10.0]))
    rows = draw(st.integers(12, max_pixels))
    cols = draw(st.integers(12, max_pixels))
    field = VisualField(cols / ppd, rows / ppd, ppd)
    kind = draw(st.sampled_from(["gaussian", "dog", "gabor", "complex", "bank", "mixed"]))
    s = draw(st.floats(0.12, 0.25))
    if kind == "gaussian":
        rf = Gaussian(s)
    elif kind == "dog":
        rf = DifferenceOfGaussians(s * 0.6, s * 1.4, draw(st.floats(0, 1)), "off")
    elif kind == "gabor":
        rf = Gabor(1.0 / (3 * s), draw(st.floats(0, 180)), draw(st.floats(0, 360)), sigma_x=s)
    elif kind == "complex":
        rf = ComplexCell(1.0 / (3 * s), draw(st.floats(0, 180)), sigma_x=s)
    elif kind == "bank":
        rf = [Gabor(1.0 / (3 * s), o, sigma_x=s) for o in (0, 60, 120)]
    else:  # types of different models and kernel sizes in one population
        zoo = [
            Gaussian(s * 0.5),
            DifferenceOfGaussians(s * 0.4, s, draw(st.floats(0, 1))),
            Gabor(1.0 / (3 * s), draw(st.floats(0, 180)), sigma_x=s * 0.7),
            Gabor(1.0 / (2 * s), draw(st.floats(0, 180)), 90.0, sigma_x=s * 0.9),
            ComplexCell(1.0 / (3 * s), draw(st.floats(0, 180)), sigma_x=s * 0.6),
        ]
        picks = draw(st.lists(st.sampled_from(range(len(zoo))), min_size=2, max_size=4))
        rf = [zoo[i] for i in picks]
    lattice = draw(st.sampled_from(["square", "hexagonal", "jittered"]))
    spacing = draw(st.floats(0.1, 0.6))
    mosaic = Mosaic.from_lattice(field, spacing, lattice, seed=draw(st.integers(0, 99)))
    if draw(st.booleans()):
        mosaic = mosaic.with_eccentricity_scaling(0.8, 0.3, n_levels=draw(st.integers(1, 3)))
    n_sigma = draw(st.sampled_from([2.0, 3.0]))
    biggest = max(rf if isinstance(rf, list) else [rf], key=lambda r: r.support_sigma)
    h = biggest.scaled(float(mosaic.scales.max())).kernel_radius(ppd, n_sigma)
    assume(2 * h + 1 <= min(rows, cols))  # kernels larger than the field are an error
    with warnings.catch_warnings():
        # sparse lattices may leave gaps, and the (lazily built) kernels of small RFs or
        # fine carriers may be badly sampled: build them here, where that is expected
        warnings.simplefilter("ignore", UserWarning)
        pop = Population(rf, mosaic, n_sigma=n_sigma)
        pop.groups  # noqa: B018 - computes and caches the kernels
        return pop


@given(
    pop=populations(),
    n=st.integers(1, 3),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_all_paths_equal_naive_loop(pop, n, dtype, seed):
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((n,) + pop.field.shape).astype(dtype)
    expected = naive_responses(pop, images.astype(np.float64))
    scale = np.abs(expected).max() + 1e-12
    tol = 1e-10 if dtype == np.float64 else 2e-5
    for method in ("auto",) + METHODS:
        got = linear_responses(pop, images, method=method)
        assert got.shape == (n, pop.n_neurons)
        assert got.dtype.itemsize == (2 if pop.is_energy else 1) * np.dtype(dtype).itemsize
        np.testing.assert_allclose(got, expected, rtol=0, atol=tol * scale, err_msg=method)
    matrix = connectivity_matrix(pop)
    assert matrix.shape == (pop.n_neurons, images[0].size)
    sparse = images.reshape(n, -1).astype(np.float64) @ matrix.T
    np.testing.assert_allclose(sparse, expected, rtol=0, atol=1e-10 * scale)


@given(pop=populations(max_pixels=20), a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_linearity(pop, a, b):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2,) + pop.field.shape)
    lhs = linear_responses(pop, a * x + b * y)
    rhs = a * linear_responses(pop, x) + b * linear_responses(pop, y)
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=1e-9 * (1 + np.abs(rhs).max()))


@given(
    period=st.integers(2, 5),
    shift=st.sampled_from([(1, 0), (0, 1), (1, 1), (-1, 0)]),
    method=st.sampled_from(METHODS),
)
def test_translation_equivariance(period, shift, method):
    ppd = 10.0
    field = VisualField(8.0, 7.0, ppd)
    mosaic = Mosaic.from_lattice(field, period / ppd, "square")
    pop = Population(Gabor(1.0, 30.0, sigma_x=0.35), mosaic)
    rng = np.random.default_rng(period)
    image = rng.standard_normal(field.shape)
    dr, dc = shift[0] * period, shift[1] * period  # shift by whole lattice periods (pixels)
    moved = np.zeros_like(image)
    rows, cols = field.shape
    moved[max(dr, 0) : rows + min(dr, 0), max(dc, 0) : cols + min(dc, 0)] = image[
        max(-dr, 0) : rows - max(dr, 0), max(-dc, 0) : cols - max(dc, 0)
    ]
    r0 = linear_responses(pop, image, method=method)
    r1 = linear_responses(pop, moved, method=method)
    # the neuron at site (x, y) now sees what the neuron one period up-left saw
    x, y = mosaic.centers.T
    h = pop.types[0].kernel_radius(ppd, pop.n_sigma) + 2 * period + 1
    lim_x, lim_y = field.limits
    away = (np.abs(x) <= lim_x - h / ppd) & (np.abs(y) <= lim_y - h / ppd)
    index = {(round(a * ppd), round(b * ppd)): i for i, (a, b) in enumerate(mosaic.centers)}
    checked = 0
    for i in np.flatnonzero(away):
        src = index[(round(x[i] * ppd) - dc, round(y[i] * ppd) + dr)]
        assert r1[i] == pytest.approx(r0[src], abs=1e-10)
        checked += 1
    assert checked > 5


def test_balanced_dog_ignores_uniform_field():
    field = VisualField(6.0, 6.0, 16)
    mosaic = Mosaic.from_lattice(field, 0.2, margin=1.5)  # RFs entirely inside the field
    for n_sigma in (1.5, 2.0, 2.5, 3.0, 5.0):  # the truncated surround is renormalised
        balanced = Population(DifferenceOfGaussians(0.1, 0.3), mosaic, n_sigma=n_sigma)
        r = responses(balanced, np.ones(field.shape))
        # relative to the centre alone (volume 1)
        assert np.abs(r).max() < 1e-12
    for n_sigma in (2.0, 5.0):  # the sampled centre's volume, halved by the surround
        unbalanced = Population(
            DifferenceOfGaussians(0.1, 0.3, surround_weight=0.5), mosaic, n_sigma=n_sigma
        )
        centre = Gaussian(0.1).kernel(16, n_sigma=n_sigma * 3).sum()
        np.testing.assert_allclose(responses(unbalanced, np.ones(field.shape)), 0.5 * centre)


def test_gabor_population_peaks_at_preferred_orientation_and_frequency():
    field = VisualField(4.0, 4.0, 16)
    mosaic = Mosaic.from_lattice(field, 0.5, margin=1.0)
    prefs = (0.0, 45.0, 90.0, 135.0)
    f0 = 2.0
    pop = Population([ComplexCell(f0, o) for o in prefs], mosaic)
    orientations = np.arange(0.0, 180.0, 7.5)
    frequencies = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0])
    o_grid, f_grid = np.meshgrid(orientations, frequencies, indexing="ij")
    stimuli = grating(field, f_grid.ravel(), o_grid.ravel(), 0.0)
    r = responses(pop, stimuli).reshape(len(orientations), len(frequencies), pop.n_types, -1)
    mean = r.mean(axis=-1)
    for t, pref in enumerate(prefs):
        oi, fi = np.unravel_index(np.argmax(mean[:, :, t]), mean.shape[:2])
        assert orientations[oi] == pytest.approx(pref)
        assert frequencies[fi] == pytest.approx(f0)
    # a simple cell with a matched phase peaks too, and the grating's phase matters to it
    simple = Population(Gabor(f0, 45.0), Mosaic(field, [[0.0, 0.0]]))
    phases = np.arange(0, 360, 30.0)
    rs = responses(simple, grating(field, f0, 45.0, phases))[:, 0]
    assert phases[np.argmax(rs)] == 0.0
    assert rs.min() < 0 < rs.max()


def test_energy_equals_sum_of_squared_quadrature_pair(rng):
    field = VisualField(3.0, 2.5, 12)
    mosaic = Mosaic.from_lattice(field, 0.3)
    cc = ComplexCell(2.0, 20.0)
    even, odd = cc.quadrature_pair()
    images = rng.standard_normal((2,) + field.shape)
    e = responses(Population(even, mosaic), images)
    o = responses(Population(odd, mosaic), images)
    np.testing.assert_allclose(responses(Population(cc, mosaic), images), e**2 + o**2, rtol=1e-10)
    mixed = Population([even, cc], mosaic)
    r = responses(mixed, images)
    np.testing.assert_allclose(r[:, : mosaic.n_neurons], e)
    np.testing.assert_allclose(r[:, mosaic.n_neurons :], e**2 + o**2, rtol=1e-10)


def test_nonlinearities(rng):
    field = VisualField(4.0, 4.0, 10)
    pop = Population(Gabor(1.5), Mosaic.from_lattice(field, 0.3))
    images = rng.standard_normal((3,) + field.shape)
    lin = responses(pop, images)
    np.testing.assert_array_equal(
        responses(pop, images, nonlinearity="rectify"), np.maximum(lin, 0)
    )
    np.testing.assert_array_equal(
        responses(pop, images, nonlinearity="half-square"), np.maximum(lin, 0) ** 2
    )
    np.testing.assert_array_equal(
        responses(pop, images, nonlinearity=Rectify(0.01)), np.maximum(lin - 0.01, 0)
    )
    np.testing.assert_array_equal(
        responses(pop, images, nonlinearity=HalfSquare(0.01)), np.maximum(lin - 0.01, 0) ** 2
    )
    nr = NakaRushton(c50=0.2, exponent=2.0, r_max=3.0)
    assert nr(np.array([0.2]))[0] == pytest.approx(1.5)
    assert nr(np.array([-1.0]))[0] == 0.0
    assert nr(np.array([1e6]))[0] == pytest.approx(3.0)
    dn = DivisiveNormalization(sigma=0.1, exponent=2.0)
    got = responses(pop, images, nonlinearity=dn)
    x2 = np.maximum(lin, 0) ** 2
    expected = x2 / (0.01 + x2.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(got, expected)
    chained = responses(pop, images, nonlinearity=["rectify", nr])
    np.testing.assert_allclose(chained, nr(np.maximum(lin, 0)))
    np.testing.assert_allclose(responses(pop, images, nonlinearity=np.tanh), np.tanh(lin))


def test_connectivity_is_local_with_shared_weights():
    field = VisualField(5.0, 4.0, 10)
    mosaic = Mosaic.from_lattice(field, 0.5, "square", margin=1.25)  # RFs inside the field
    rf = Gabor(1.5, 30.0)
    pop = Population(rf, mosaic)
    w = connectivity_matrix(pop).toarray().reshape(pop.n_neurons, *field.shape)
    kernel = rf.kernel(10)
    h = kernel.shape[0] // 2
    rows, cols = mosaic.pixel_centers
    for i in range(pop.n_neurons):
        window = w[i, rows[i] - h : rows[i] + h + 1, cols[i] - h : cols[i] + h + 1]
        np.testing.assert_array_equal(window, kernel)  # the same weights, shifted
        assert np.count_nonzero(w[i]) == np.count_nonzero(kernel)  # nothing outside the RF


def test_choose_method_prefers_centers_for_sparse_sites_and_full_for_dense():
    assert choose_method((1024, 1024), (31, 31), 16, 18_000) == "centers"
    assert choose_method((1024, 1024), (31, 31), 16, 1024 * 1024) in ("fft", "direct")
    assert choose_method((64, 64), (5, 5), 16, 4096) == "centers"  # small bank, dense: GEMM
    assert choose_method((256, 256), (9, 9), 1, 256 * 256) == "fft"  # scipy direct: ~10 ns/MAC


def test_correlate_sampled_matches_scipy(rng):
    import scipy.signal

    images = rng.standard_normal((2, 15, 12))
    kernels = rng.standard_normal((3, 5, 7))
    rows = np.array([0, 7, 14, 3])
    cols = np.array([0, 5, 11, 11])
    for method in ("auto",) + METHODS:
        got = correlate_sampled(images, kernels, rows, cols, method=method)
        for n in range(2):
            for k in range(3):
                full = scipy.signal.correlate(images[n], kernels[k], mode="same", method="direct")
                np.testing.assert_allclose(got[n, k], full[rows, cols], atol=1e-12)
    with pytest.raises(ValueError, match="odd sides"):
        correlate_sampled(images, np.ones((1, 4, 3)), rows, cols)
    with pytest.raises(ValueError, match="`method` must be one of"):
        correlate_sampled(images, kernels, rows, cols, method="fast")


# -- bad input -------------------------------------------------------------------
@pytest.fixture
def pop():
    field = VisualField(2.0, 1.5, 10)
    return Population(Gaussian(0.15), Mosaic.from_lattice(field, 0.2))


@pytest.mark.parametrize(
    ("images", "error", "match"),
    [
        (
            np.zeros((2, 3, 4, 5)),
            ValueError,
            r"`images` must be 2-D or 3-D, got shape \(2, 3, 4, 5\)",
        ),
        (np.zeros(5), ValueError, r"`images` must be 2-D or 3-D, got shape \(5,\)"),
        (np.zeros((0, 15, 20)), ValueError, r"`images` must not be empty, got shape \(0, 15, 20\)"),
        (np.zeros((15, 21)), ValueError, r"the field's shape \(15, 20\).*got shape \(15, 21\)"),
        (np.full((15, 20), np.nan), ValueError, "`images` must be finite, got 300 NaN"),
        (np.full((15, 20), np.inf), ValueError, "`images` must be finite"),
        (np.full((15, 20), "a"), TypeError, "`images` must hold numbers"),
        (np.zeros((15, 20), complex), TypeError, "`images` must be real"),
    ],
)
def test_bad_images(pop, images, error, match):
    with pytest.raises(error, match=match):
        responses(pop, images)


def test_bad_arguments(pop):
    image = np.zeros(pop.field.shape)
    with pytest.raises(
        ValueError,
        match=r"`method` must be one of \('auto', 'fft', 'direct', 'centers', 'separable'\), got 'gpu'",
    ):
        responses(pop, image, method="gpu")
    with pytest.raises(ValueError, match="`nonlinearity` must be one of"):
        responses(pop, image, nonlinearity="relu")
    with pytest.raises(TypeError, match="`nonlinearity` must be None"):
        responses(pop, image, nonlinearity=3)
    with pytest.raises(TypeError, match="`population` must be a Population"):
        responses("pop", image)
    with pytest.raises(TypeError, match="`population` must be a Population"):
        connectivity_matrix(None)
    with pytest.raises(ValueError, match="`c50` must be > 0"):
        NakaRushton(0.0)
    with pytest.raises(ValueError, match="`sigma` must be > 0"):
        DivisiveNormalization(-1.0)


def test_bad_populations():
    field = VisualField(2.0, 2.0, 10)
    mosaic = Mosaic.from_lattice(field, 0.2)
    with pytest.raises(
        ValueError, match=r"kernel is 61x61 pixels .* larger than the field \(20x20"
    ):
        Population(Gaussian(1.0), mosaic)
    with pytest.raises(ValueError, match="at least one ReceptiveField"):
        Population([], mosaic)
    with pytest.raises(TypeError, match=r"`rf\[1\]` must be a ReceptiveField, got str"):
        Population([Gaussian(0.1), "gabor"], mosaic)
    with pytest.raises(TypeError, match="`mosaic` must be a Mosaic"):
        Population(Gaussian(0.1), mosaic.centers)
    with pytest.warns(UserWarning, match="coverage below 1"):
        Population(Gaussian(0.02), Mosaic.from_lattice(field, 0.5))


def test_single_image_and_batch_agree(pop, rng):
    images = rng.standard_normal((3,) + pop.field.shape)
    batch = responses(pop, images)
    for i in range(3):  # equal to rounding: BLAS may block a batch's product differently
        np.testing.assert_allclose(responses(pop, images[i]), batch[i], rtol=1e-12, atol=1e-15)
    assert responses(pop, images[0]).shape == (pop.n_neurons,)
    assert math.isclose(pop.n_neurons, pop.mosaic.n_neurons)


@pytest.mark.parametrize("method", ["fft", "direct", "centers"])
def test_correlate_sampled_rejects_bad_input_the_same_way_for_every_method(method, rng):
    images = rng.standard_normal((1, 10, 10))
    kernels = rng.standard_normal((2, 3, 3))
    ok = np.array([0, 9])
    with pytest.raises(ValueError, match=r"`rows` must be in \[0, 10\), got 10"):
        correlate_sampled(images, kernels, np.array([10]), np.array([0]), method=method)
    with pytest.raises(ValueError, match=r"`cols` must be in \[0, 10\), got -1"):
        correlate_sampled(images, kernels, np.array([0]), np.array([-1]), method=method)
    with pytest.raises(TypeError, match="`rows` must hold integers"):
        correlate_sampled(images, kernels, ok * 1.0, ok, method=method)
    with pytest.raises(ValueError, match="same length"):
        correlate_sampled(images, kernels, ok, ok[:1], method=method)
    with pytest.raises(ValueError, match=r"`images` must be 3-D, got shape \(10, 10\)"):
        correlate_sampled(images[0], kernels, ok, ok, method=method)
    with pytest.raises(ValueError, match="`images` must be finite"):
        correlate_sampled(images * np.nan, kernels, ok, ok, method=method)


def test_kernel_larger_than_either_side_of_the_field_is_an_error():
    field = VisualField(8.0, 0.5, 10)  # 5 x 80 pixels
    with pytest.raises(ValueError, match=r"kernel is 31x31 pixels .* \(5x80 pixels\)"):
        Population(Gaussian(0.5), Mosaic.from_lattice(field, 0.5, "square"))
    with pytest.raises(ValueError, match="`level` must be one of"):
        Population(Gaussian(0.05), Mosaic(field, [[0.0, 0.0]]), level="bogus")


# -- bad input, numeric ranges and the memory budget (issue 11) ------------------------
NOT_NUMBERS = st.sampled_from([None, "1", b"1", True, False, np.bool_(True), 1 + 2j, [1.0], {}])
EXTREMES = [5e-324, 1e-300, 1e300, 1.7e308, -5e-324, -1e-300, -1e300, -1.7e308]
FIELD = VisualField(2.0, 1.5, 10)
SITE = Mosaic(FIELD, [[0.0, 0.0]])


@given(rf=st.sampled_from([None, "gabor", b"g", 3, 2.5, True, Gaussian, {"a": 1}, [None]]))
def test_population_refuses_what_is_not_an_rf_naming_rf(rf):
    with pytest.raises(TypeError, match=r"`rf(\[0\])?` must be a ReceptiveField"):
        Population(rf, SITE)


@given(mosaic=st.sampled_from([None, FIELD, SITE.centers, "mosaic", 1]))
def test_population_refuses_what_is_not_a_mosaic(mosaic):
    with pytest.raises(TypeError, match="`mosaic` must be a Mosaic"):
        Population(Gaussian(0.1), mosaic)


@given(data=st.data())
def test_population_refuses_bad_n_sigma_and_level(data):
    if data.draw(st.booleans()):
        bad = data.draw(st.one_of(NOT_NUMBERS.filter(lambda v: not isinstance(v, str | bytes))))
        with pytest.raises(TypeError, match="`n_sigma`"):
            Population(Gaussian(0.1), SITE, n_sigma=bad)
        with pytest.raises(TypeError, match="`level`"):
            Population(Gaussian(0.1), SITE, level=bad)
    else:
        bad = data.draw(outside(1e-3, 100.0))
        with pytest.raises(ValueError, match="`level`"):
            Population(Gaussian(0.1), SITE, level=bad)
        if not 0 < bad <= 100:
            with pytest.raises(ValueError, match="`n_sigma`"):
                Population(Gaussian(0.1), SITE, n_sigma=bad)


def test_population_blames_the_scales_for_an_rf_out_of_range():
    mosaic = Mosaic(FIELD, [[0.0, 0.0], [0.2, 0.0]], scales=[1.0, 1e-6])
    with pytest.raises(ValueError, match=r"`mosaic.scales` \(from 1e-06 to 1\) take `rf\[0\]`"):
        Population(Gaussian(0.1), mosaic)


@given(site=st.sampled_from([None, 1.0, "0", True, 2, -3, 10**20]))
def test_kernels_refuse_bad_sites(site):
    pop = Population(Gaussian(0.1), Mosaic(FIELD, [[0.0, 0.0], [0.2, 0.0]]))
    with pytest.raises((TypeError, ValueError), match="`site`"):
        pop.kernels(site)
    assert len(pop.kernels(-1)) == 1  # Python indexing still works


POSITIVE_BAD = st.one_of(NON_FINITE, st.floats(max_value=0.0))
NONLINEARITY_CASES = [
    (NakaRushton, {}, "c50", POSITIVE_BAD),
    (NakaRushton, {"c50": 0.5}, "exponent", outside(0.0, 100.0, low_open=True)),
    (NakaRushton, {"c50": 0.5}, "r_max", POSITIVE_BAD),
    (DivisiveNormalization, {}, "sigma", POSITIVE_BAD),
    (DivisiveNormalization, {"sigma": 0.5}, "exponent", outside(0.0, 100.0, low_open=True)),
    (DivisiveNormalization, {"sigma": 0.5}, "r_max", POSITIVE_BAD),
    (Rectify, {}, "threshold", NON_FINITE),
    (HalfSquare, {}, "threshold", NON_FINITE),
]
NONLINEARITY_IDS = [f"{c.__name__}-{n}" for c, _, n, _ in NONLINEARITY_CASES]


@pytest.mark.parametrize(
    ("cls", "valid", "name", "bad_values"), NONLINEARITY_CASES, ids=NONLINEARITY_IDS
)
@given(data=st.data())
def test_nonlinearities_refuse_bad_parameters_naming_them(cls, valid, name, bad_values, data):
    if data.draw(st.booleans()):
        bad, error = data.draw(NOT_NUMBERS), TypeError
    else:
        bad, error = data.draw(bad_values), ValueError
    with pytest.raises(error, match=f"`{name}`"):
        cls(**{**valid, name: bad})


ALL_NONLINEARITIES = [
    Rectify(),
    HalfSquare(0.1),
    NakaRushton(0.5),
    DivisiveNormalization(0.5),
]


@given(
    step=st.sampled_from(ALL_NONLINEARITIES),
    x=st.sampled_from(
        [
            None,
            "abc",
            [[1.0], [1.0, 2.0]],
            np.zeros(2, complex),
            np.array([1.0, np.nan]),
            np.array([np.inf]),
        ]
    ),
)
def test_nonlinearities_refuse_bad_input_naming_x(step, x):
    with pytest.raises((TypeError, ValueError), match="`x`"):
        step(x)


finite_responses = st.lists(
    st.one_of(st.floats(-1e308, 1e308), st.sampled_from(EXTREMES)), min_size=1, max_size=6
).map(np.array)


@given(
    c50=log_uniform(5e-324, 1.7e308),
    exponent=st.one_of(log_uniform(5e-324, 100.0)),
    r_max=log_uniform(5e-324, 1.7e308),
    x=finite_responses,
)
def test_naka_rushton_is_finite_and_bounded_for_every_accepted_input(c50, exponent, r_max, x):
    out = NakaRushton(c50, exponent, r_max)(x)
    assert np.all(np.isfinite(out)) and np.all(out >= 0) and np.all(out <= r_max)
    assert np.all(out[x <= 0] == 0)


@given(
    c50=log_uniform(1e-3, 1e3),
    exponent=st.floats(0.5, 6.0),
    x=st.lists(st.floats(0.0, 1e3), min_size=1, max_size=5).map(np.array),
)
def test_naka_rushton_equals_the_textbook_formula(c50, exponent, x):
    expected = x**exponent / (x**exponent + c50**exponent)
    # below ~1e-150 the two forms' powers underflow differently (relative error ~1e-11 at
    # 1e-168, found by hypothesis): compare there in absolute terms
    np.testing.assert_allclose(NakaRushton(c50, exponent)(x), expected, rtol=1e-12, atol=1e-150)


@given(
    sigma=log_uniform(5e-324, 1.7e308),
    exponent=log_uniform(5e-324, 100.0),
    r_max=log_uniform(5e-324, 1e300),
    x=st.one_of(finite_responses, finite_responses.map(lambda a: np.stack([a, -a]))),
)
def test_normalisation_and_thresholds_are_finite_or_refused_naming_x(sigma, exponent, r_max, x):
    for step in (
        DivisiveNormalization(sigma, exponent, r_max),
        Rectify(sigma),
        HalfSquare(-sigma),
    ):
        try:
            out = step(x)
        except ValueError as exc:
            assert "`x` is too large" in str(exc)
            continue
        assert np.all(np.isfinite(out)) and out.shape == x.shape


def test_normalisation_equals_the_textbook_formula(rng):
    x = rng.standard_normal((4, 30))
    xn = np.maximum(x, 0) ** 3
    expected = 2.0 * xn / (0.2**3 + xn.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(DivisiveNormalization(0.2, 3.0, 2.0)(x), expected, rtol=1e-12)
    assert DivisiveNormalization(0.2)(np.zeros((2, 0))).shape == (2, 0)
    with pytest.raises(ValueError, match="`x` must be at least 1-D"):
        DivisiveNormalization(0.2)(1.0)


def test_nonlinearities_keep_float32(rng):
    x = rng.standard_normal((2, 5)).astype(np.float32)
    for step in ALL_NONLINEARITIES:
        assert step(x).dtype == np.float32


@given(
    images=st.sampled_from(
        [
            None,
            "abc",
            np.zeros((15, 20), complex),
            np.zeros((0, 15, 20)),
            np.zeros(20),
            np.full((15, 20), np.nan),
            np.zeros((15, 19)),
            [[1.0], [1.0, 2.0]],
        ]
    ),
    func=st.sampled_from([linear_responses, responses]),
)
def test_responses_refuse_bad_images_naming_them(images, func):
    pop = Population(Gaussian(0.15), Mosaic.from_lattice(FIELD, 0.2))
    with pytest.raises((TypeError, ValueError), match="`images`"):
        func(pop, images)


@given(
    method=st.sampled_from([None, 3, True, "gpu", "FFT", ""]),
    func=st.sampled_from([linear_responses, responses]),
)
def test_responses_refuse_bad_methods(method, func):
    pop = Population(Gaussian(0.15), Mosaic.from_lattice(FIELD, 0.2))
    with pytest.raises((TypeError, ValueError), match="`method`"):
        func(pop, np.zeros(FIELD.shape), method=method)


@given(
    rf=st.sampled_from([Gaussian(0.15, amplitude=1e100), ComplexCell(2.0, sigma_x=0.15)]),
    value=st.sampled_from([1e250, -1.7e308, 1e200]),
)
def test_overflowing_responses_are_refused_naming_the_images(rf, value):
    pop = Population(rf, Mosaic(FIELD, [[0.0, 0.0]]))
    images = np.full(FIELD.shape, value)
    try:
        r = responses(pop, images)
    except ValueError as exc:
        assert "`images`" in str(exc) and "overflow" in str(exc)
        return
    assert np.all(np.isfinite(r))


def test_issue_11_cases(small_budget):
    with pytest.raises(TypeError, match="`rf` must be a ReceptiveField or a sequence"):
        Population(None, SITE)  # was "'NoneType' object is not iterable"
    with pytest.raises(ValueError, match=r"`exponent` must be in \(0, 100\], got 2000"):
        NakaRushton(0.5, exponent=2000)  # was NaN
    # 48 deg at 16 px/deg with a dense mosaic: the matrix is refused before it is built
    big = VisualField(48.0, 48.0, 16.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pop = Population(Gaussian(0.1), Mosaic.from_lattice(big, 1 / 8))
    pop.groups  # noqa: B018 - the kernels and centre pixels, computed once, before measuring
    refused_cheaply(lambda: connectivity_matrix(pop), match="the connectivity matrix of")


def test_many_kernels_are_refused_at_construction(small_budget):
    field = VisualField(40.0, 40.0, 16.0)
    rng = np.random.default_rng(0)
    centers = rng.uniform(-19.0, 19.0, (5000, 2))
    mosaic = Mosaic(field, centers, scales=np.linspace(1.0, 2.0, 5000))  # 5000 RF sizes
    refused_cheaply(
        lambda: Population(Gaussian(0.5), mosaic), match=r"1 type\(s\) x 5000 RF size\(s\)"
    )


def test_large_batches_of_images_are_refused_before_allocating():
    pop = Population(ComplexCell(2.0), Mosaic.from_lattice(VisualField(4.0, 4.0, 16.0), 0.125))
    images = np.zeros((400, 64, 64))  # the responses alone (7 MB) exceed the budget
    with budget("1M"):
        refused_cheaply(lambda: linear_responses(pop, images), match="400 image")
        refused_cheaply(lambda: responses(pop, images))
    assert responses(pop, images[:2]).shape == (2, pop.n_neurons)


def test_batches_whose_working_set_exceeds_the_budget_stream_in_chunks(rng):
    pop = Population(Gabor(2.0, sigma_x=0.3), Mosaic.from_lattice(VisualField(4.0, 4.0, 16.0), 0.5))
    images = rng.standard_normal((60, 64, 64))
    whole = linear_responses(pop, images)
    with budget("300K"):  # the responses fit, 60 padded copies of the images do not
        chunked = linear_responses(pop, images)
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-14)
