import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import NON_FINITE, budget, log_uniform, outside, refused_cheaply

import cortex
from cortex import (
    ComplexCell,
    DifferenceOfGaussians,
    Gabor,
    Gaussian,
    contour_radius,
    dog_kernel,
    gabor_kernel,
    gaussian_kernel,
)


# -- analytic reference values ------------------------------------------------
def test_gaussian_profile_matches_formula():
    rf = Gaussian(sigma=0.5, amplitude=2.0)
    x = np.array([0.0, 0.3, -1.0])
    y = np.array([0.0, -0.4, 0.2])
    expected = 2.0 / (2 * math.pi * 0.25) * np.exp(-(x**2 + y**2) / 0.5)
    np.testing.assert_allclose(rf.profile(x, y), expected, rtol=0, atol=1e-12)


def test_dog_profile_matches_formula():
    rf = DifferenceOfGaussians(0.1, 0.4, surround_weight=0.8, polarity="off", amplitude=3.0)
    x = np.array([0.0, 0.05, 0.3, 1.2])
    y = np.array([0.0, 0.1, -0.2, 0.0])
    r2 = x**2 + y**2

    def g(s):
        return np.exp(-r2 / (2 * s * s)) / (2 * math.pi * s * s)

    expected = -3.0 * (g(0.1) - 0.8 * g(0.4))
    np.testing.assert_allclose(rf.profile(x, y), expected, rtol=0, atol=1e-12)
    assert rf.profile(0.0, 0.0) < 0  # OFF centre


def test_gabor_profile_orientation_convention():
    # orientation 0: vertical bars, luminance varies along x only
    g0 = Gabor(2.0, orientation=0.0, sigma_x=0.3, sigma_y=1e3)
    assert g0.profile(0.0, 0.5) == pytest.approx(g0.profile(0.0, 0.0), rel=1e-6)
    assert g0.profile(0.25, 0.0) < 0  # half a cycle away along x: the dark flank
    # orientation 90: horizontal bars, varies along y (y up)
    g90 = Gabor(2.0, orientation=90.0, sigma_x=0.3, sigma_y=1e3)
    assert g90.profile(0.5, 0.0) == pytest.approx(g90.profile(0.0, 0.0), rel=1e-6)
    assert g90.profile(0.0, 0.25) < 0
    # an odd Gabor at 90 deg is positive above fixation (y up): cos(2 pi f y + 90) = -sin
    odd = Gabor(2.0, orientation=90.0, phase=-90.0, sigma_x=0.3)
    assert odd.profile(0.0, 0.1) > 0 > odd.profile(0.0, -0.1)


def test_kernel_geometry_and_row_order():
    odd = Gabor(1.0, orientation=90.0, phase=-90.0, sigma_x=0.4)
    k = odd.kernel(10, n_sigma=3)
    h = math.ceil(3 * 0.4 * 10 - 1e-9)  # 12 px: 3 sigma of 0.4 deg at 10 px/deg
    assert k.shape == (2 * h + 1, 2 * h + 1)
    # row 0 is the top of the field: the positive lobe (y > 0) is in the upper half
    assert k[:h].sum() > 0 > k[h + 1 :].sum()
    # even Gabor at 90 deg is the transpose of the one at 0 deg
    k0 = Gabor(1.0, 0.0, sigma_x=0.4).kernel(10)
    k90 = Gabor(1.0, 90.0, sigma_x=0.4).kernel(10)
    np.testing.assert_allclose(k90, k0.T, atol=1e-15)


@given(
    sigma=st.floats(0.05, 2.0),
    ppd=st.floats(2.0, 40.0),
    n_sigma=st.floats(0.5, 5.0),
)
def test_kernel_is_odd_and_covers_n_sigma(sigma, ppd, n_sigma):
    rf = Gaussian(sigma)
    side = rf.kernel(ppd, n_sigma=n_sigma).shape[0] if sigma * ppd >= 0.5 else None
    if side is None:
        return
    h = side // 2
    assert side % 2 == 1
    assert h / ppd >= n_sigma * sigma - 1e-9  # covers n_sigma sigmas
    assert (h - 1) / ppd < n_sigma * sigma  # and not more than one pixel beyond


def test_kernel_sums_to_integral():
    k = gaussian_kernel(0.3, 20, amplitude=2.5, n_sigma=6)
    assert k.sum() == pytest.approx(2.5, rel=1e-6)
    # the response is independent of the sampling density
    assert gaussian_kernel(0.3, 50, n_sigma=6).sum() == pytest.approx(1.0, rel=1e-6)


# -- frequency response == FFT of the sampled kernel --------------------------
def _fft_of_kernel(kernel, ppd, size=128):
    """Continuous-FT estimate from the DFT of the kernel, with frequencies in cyc/deg."""
    h = kernel.shape[0] // 2
    padded = np.zeros((size, size), dtype=kernel.dtype)
    padded[: 2 * h + 1, : 2 * h + 1] = kernel
    padded = np.roll(padded, (-h, -h), axis=(0, 1))  # centre pixel at index (0, 0)
    spectrum = np.fft.fft2(padded)
    f = np.fft.fftfreq(size) * ppd
    fx = f[np.newaxis, :]
    fy = -f[:, np.newaxis]  # rows grow downwards, y grows up
    return spectrum, fx, fy


rf_strategy = st.one_of(
    st.builds(Gaussian, sigma=st.floats(0.15, 0.6), amplitude=st.floats(0.5, 2.0)),
    st.builds(
        lambda sc, ratio, w, pol: DifferenceOfGaussians(sc, sc * ratio, w, pol),
        st.floats(0.15, 0.3),
        st.floats(1.5, 3.0),
        st.floats(0.0, 1.2),
        st.sampled_from(["on", "off"]),
    ),
    st.builds(
        lambda f, o, p, s, a: Gabor(f, o, p, sigma_x=s, sigma_y=s * a),
        st.floats(0.5, 2.0),
        st.floats(-180, 180),
        st.floats(-180, 180),
        st.floats(0.2, 0.4),
        st.floats(0.75, 1.5),
    ),
    st.builds(
        lambda f, o, s: ComplexCell(f, o, sigma_x=s),
        st.floats(0.5, 2.0),
        st.floats(-180, 180),
        st.floats(0.2, 0.4),
    ),
)


@given(rf=rf_strategy)
def test_frequency_response_matches_fft_of_kernel(rf):
    ppd = 10.0  # every sigma is >= 1.5 px and every frequency <= Nyquist / 2.5
    kernel = rf.kernel(ppd, n_sigma=6)
    spectrum, fx, fy = _fft_of_kernel(kernel, ppd, size=max(128, kernel.shape[0]))
    analytic = rf.frequency_response(fx, fy)
    scale = np.abs(analytic).max()
    np.testing.assert_allclose(spectrum, analytic, rtol=0, atol=2e-3 * scale)


@given(rf=rf_strategy, factor=st.floats(0.3, 3.0), f=st.floats(0.0, 3.0), angle=st.floats(0, 360))
def test_scaling_stretches_space_and_compresses_frequency(rf, factor, f, angle):
    fx, fy = f * math.cos(math.radians(angle)), f * math.sin(math.radians(angle))
    big = rf.scaled(factor)
    assert big.size == pytest.approx(rf.size * factor)
    assert big.frequency_response(fx / factor, fy / factor) == pytest.approx(
        rf.frequency_response(fx, fy), abs=1e-12
    )
    # the profile is stretched and its peak lowered by factor**2 (volume preserved)
    assert big.profile(0.1 * factor, -0.05 * factor) == pytest.approx(
        rf.profile(0.1, -0.05) / factor**2, abs=1e-12
    )


def test_balanced_dog_has_no_dc():
    dog = DifferenceOfGaussians(0.1, 0.3)
    assert dog.balanced
    assert abs(dog.frequency_response(0, 0)) == 0.0
    assert not DifferenceOfGaussians(0.1, 0.3, surround_weight=0.5).balanced
    # band-pass: peak response at a non-zero frequency
    f = np.linspace(0, 5, 501)
    peak = f[np.argmax(np.abs(dog.frequency_response(f, 0 * f)))]
    sc, ss = 0.1, 0.3
    expected = math.sqrt(math.log(ss**2 / sc**2) / (2 * math.pi**2 * (ss**2 - sc**2)))
    assert peak == pytest.approx(expected, abs=0.01)


@given(f0=st.floats(0.5, 8.0), octaves=st.floats(0.5, 2.5))
def test_gabor_bandwidth(f0, octaves):
    k = math.sqrt(math.log(2) / 2)
    sigma = k / (math.pi * f0) * (2**octaves + 1) / (2**octaves - 1)
    g = Gabor(f0, sigma_x=sigma)
    assert g.bandwidth == pytest.approx(octaves, rel=1e-9)
    # half amplitude at the upper edge of the band (the mirror term is negligible there)
    upper = f0 * 2 ** (octaves / 2) * 2 / (1 + 2**-octaves) / 2 ** (octaves / 2)
    ratio = abs(g.frequency_response(upper, 0.0)) / abs(g.frequency_response(f0, 0.0))
    assert ratio == pytest.approx(0.5, abs=0.02)


def test_default_gabor_has_one_octave_bandwidth():
    assert Gabor(3.0).bandwidth == pytest.approx(1.0)
    assert Gabor(3.0).aspect_ratio == 1.0
    assert Gabor(3.0, sigma_x=0.2, sigma_y=0.4).aspect_ratio == 2.0


def test_complex_cell_is_a_quadrature_pair():
    cc = ComplexCell(2.0, orientation=30.0, sigma_x=0.3)
    even, odd = cc.quadrature_pair()
    assert (even.phase, odd.phase) == (0.0, 90.0)
    k = cc.kernel(20)
    np.testing.assert_allclose(k.real, even.kernel(20), atol=1e-15)
    np.testing.assert_allclose(k.imag, odd.kernel(20), atol=1e-15)
    # energy response to a grating at the RF centre is (nearly) phase invariant
    x = (np.arange(k.shape[0]) - k.shape[0] // 2) / 20
    xx, yy = np.meshgrid(x, -x)
    u = xx * math.cos(math.radians(30)) + yy * math.sin(math.radians(30))
    energies = [
        abs(np.sum(k * np.cos(2 * math.pi * 2.0 * u + p))) ** 2 for p in np.linspace(0, 6, 13)
    ]
    assert np.ptp(energies) < 0.01 * np.mean(energies)
    assert cc.is_energy and not even.is_energy


def test_contours():
    assert contour_radius("sigma") == 1.0
    assert contour_radius("half-max") == pytest.approx(math.sqrt(2 * math.log(2)))
    assert contour_radius(2) == 2.0
    g = Gaussian(0.5)
    a, b, angle = g.contour("half-max")
    assert g.profile(a, 0.0) == pytest.approx(g.profile(0.0, 0.0) / 2)
    gab = Gabor(1.0, orientation=20.0, sigma_x=0.2, sigma_y=0.5)
    assert gab.contour("sigma") == (0.2, 0.5, 20.0)
    assert DifferenceOfGaussians(0.1, 0.3).contour("sigma")[:2] == (0.1, 0.1)


def test_kernel_functions_match_classes():
    np.testing.assert_array_equal(gaussian_kernel(0.2, 10), Gaussian(0.2).kernel(10))
    np.testing.assert_array_equal(
        dog_kernel(0.1, 0.3, 10, polarity="off"),
        DifferenceOfGaussians(0.1, 0.3, polarity="off").kernel(10),
    )
    np.testing.assert_array_equal(
        gabor_kernel(2.0, 20, orientation=45, phase=90), Gabor(2.0, 45, 90).kernel(20)
    )


# -- bad input -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Gaussian(-1.0), ValueError, r"`sigma` must be > 0, got -1.0"),
        (lambda: Gaussian(np.nan), ValueError, "`sigma` must be finite"),
        (lambda: Gaussian(np.inf), ValueError, "`sigma` must be finite"),
        (lambda: Gaussian("1"), TypeError, "`sigma` must be a real number"),
        (lambda: Gaussian(1.0, amplitude=0), ValueError, "`amplitude` must be non-zero"),
        (lambda: DifferenceOfGaussians(0.3, 0.1), ValueError, "`sigma_surround` must be >"),
        (
            lambda: DifferenceOfGaussians(0.1, 0.3, -1.0),
            ValueError,
            "`surround_weight` must be >= 0",
        ),
        (
            lambda: DifferenceOfGaussians(0.1, 0.3, polarity="up"),
            ValueError,
            r"`polarity` must be one of \('on', 'off'\)",
        ),
        (lambda: Gabor(0.0), ValueError, "`spatial_frequency` must be > 0"),
        (lambda: Gabor(1.0, orientation=np.nan), ValueError, "`orientation` must be finite"),
        (lambda: Gabor(1.0, sigma_x=-0.1), ValueError, "`sigma_x` must be > 0"),
        (lambda: ComplexCell(1.0, sigma_y=0), ValueError, "`sigma_y` must be > 0"),
        (lambda: Gaussian(0.2).kernel(0), ValueError, "`pixels_per_degree` must be > 0"),
        (lambda: Gaussian(0.2).kernel(10, n_sigma=-1), ValueError, "`n_sigma` must be > 0"),
        (lambda: Gaussian(0.2).scaled(0), ValueError, "`factor` must be > 0"),
        (
            lambda: contour_radius("fwhm"),
            ValueError,
            r"`level` must be one of \('sigma', 'half-max'\)",
        ),
        (lambda: contour_radius(-1), ValueError, "`level` must be > 0"),
    ],
)
def test_bad_parameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_suspicious_sampling_warns():
    with pytest.warns(UserWarning, match="under half a pixel"):
        Gaussian(0.01).kernel(10)
    with pytest.warns(UserWarning, match="exceeds the Nyquist frequency"):
        Gabor(8.0, sigma_x=0.5).kernel(10)


@given(
    sc=st.floats(0.08, 0.3),
    ratio=st.floats(1.2, 4.0),
    n_sigma=st.floats(1.0, 6.0),
    ppd=st.sampled_from([8.0, 16.0, 32.0]),
    polarity=st.sampled_from(["on", "off"]),
)
def test_balanced_dog_kernel_sums_to_zero_at_any_truncation(sc, ratio, n_sigma, ppd, polarity):
    dog = DifferenceOfGaussians(sc, sc * ratio, polarity=polarity)
    k = dog.kernel(ppd, n_sigma=n_sigma)
    assert abs(k.sum()) <= 1e-13 * np.abs(k).sum()
    # the centre is the analytic profile; only the surround is rescaled, by a factor
    # that tends to 1 as the support grows
    h = k.shape[0] // 2
    offsets = np.arange(-h, h + 1) / ppd
    x, y = offsets[np.newaxis, :], -offsets[:, np.newaxis]
    centre = Gaussian(sc).profile(x, y) / ppd**2
    surround = Gaussian(sc * ratio).profile(x, y) / ppd**2
    sign = 1.0 if polarity == "on" else -1.0
    factor = (sign * k - centre) / -surround  # per pixel: the surround's scale
    np.testing.assert_allclose(factor, centre.sum() / surround.sum(), rtol=1e-6)


def test_unbalanced_dog_kernel_keeps_the_volume_ratio():
    dog = DifferenceOfGaussians(0.1, 0.3, surround_weight=0.4, amplitude=2.0)
    for n_sigma in (2.0, 3.0, 6.0):
        k = dog.kernel(20, n_sigma=n_sigma)
        centre = Gaussian(0.1, amplitude=2.0).kernel(20, n_sigma=n_sigma * 3).sum()
        assert k.sum() == pytest.approx(centre * (1 - 0.4), rel=1e-12)
    # 6 surround sigmas: the truncation is negligible and the kernel equals the profile
    k = dog.kernel(20, n_sigma=6.0)
    h = k.shape[0] // 2
    offsets = np.arange(-h, h + 1) / 20
    expected = dog.profile(offsets[np.newaxis, :], -offsets[:, np.newaxis]) / 400
    np.testing.assert_allclose(k, expected, rtol=0, atol=1e-9 * np.abs(expected).max())


# -- bad input, numeric ranges and the memory budget (issue 11) ------------------------
#: values that are not real numbers: each must give a TypeError naming the argument.
NOT_NUMBERS = st.sampled_from([None, "1", b"1", True, False, np.bool_(True), 1 + 2j, [1.0], {}])
#: finite magnitudes at the edges of float64.
EXTREMES = st.sampled_from([5e-324, 1e-300, 1e300, 1.7e308, -5e-324, -1e-300, -1e300, -1.7e308])
ANY_FINITE = st.floats(allow_nan=False, allow_infinity=False)


SIGMA_BAD = outside(1e-6, 1e6)
AMPLITUDE_BAD = st.one_of(NON_FINITE, st.just(0.0), outside(-1e100, 1e100))
#: (constructor, valid arguments, argument, bad values giving ValueError)
CONSTRUCTOR_CASES = [
    (Gaussian, {"sigma": 0.2}, "sigma", SIGMA_BAD),
    (Gaussian, {"sigma": 0.2}, "amplitude", AMPLITUDE_BAD),
    (
        DifferenceOfGaussians,
        {"sigma_center": 0.1, "sigma_surround": 0.3},
        "sigma_center",
        SIGMA_BAD,
    ),
    (
        DifferenceOfGaussians,
        {"sigma_center": 0.1, "sigma_surround": 0.3},
        "sigma_surround",
        st.one_of(SIGMA_BAD, st.floats(1e-6, 0.1)),  # below 1e-6 or not above the centre
    ),
    (
        DifferenceOfGaussians,
        {"sigma_center": 0.1, "sigma_surround": 0.3},
        "surround_weight",
        outside(0.0, 100.0),
    ),
    (
        DifferenceOfGaussians,
        {"sigma_center": 0.1, "sigma_surround": 0.3},
        "amplitude",
        outside(0.0, 1e100, low_open=True),
    ),
    (Gabor, {"spatial_frequency": 2.0}, "spatial_frequency", outside(0.0, 1e5, low_open=True)),
    (Gabor, {}, "spatial_frequency", st.floats(5e-324, 5.6e-7)),  # default sigma_x > 1e6 deg
    (Gabor, {"spatial_frequency": 2.0}, "orientation", NON_FINITE),
    (Gabor, {"spatial_frequency": 2.0}, "phase", NON_FINITE),
    (Gabor, {"spatial_frequency": 2.0}, "sigma_x", SIGMA_BAD),
    (Gabor, {"spatial_frequency": 2.0}, "sigma_y", SIGMA_BAD),
    (Gabor, {"spatial_frequency": 2.0}, "amplitude", AMPLITUDE_BAD),
    (ComplexCell, {"spatial_frequency": 2.0}, "spatial_frequency", outside(0, 1e5, low_open=True)),
    (ComplexCell, {"spatial_frequency": 2.0}, "orientation", NON_FINITE),
    (ComplexCell, {"spatial_frequency": 2.0}, "sigma_x", SIGMA_BAD),
    (ComplexCell, {"spatial_frequency": 2.0}, "sigma_y", SIGMA_BAD),
    (ComplexCell, {"spatial_frequency": 2.0}, "amplitude", AMPLITUDE_BAD),
]
CASE_IDS = [f"{cls.__name__}-{name}" for cls, _, name, _ in CONSTRUCTOR_CASES]


@pytest.mark.parametrize(("cls", "valid", "name", "bad_values"), CONSTRUCTOR_CASES, ids=CASE_IDS)
@given(data=st.data())
def test_constructors_refuse_bad_values_naming_them(cls, valid, name, bad_values, data):
    bad = data.draw(bad_values)
    with pytest.raises(ValueError, match=name):
        cls(**{**valid, name: bad})


@pytest.mark.parametrize(("cls", "valid", "name", "bad_values"), CONSTRUCTOR_CASES, ids=CASE_IDS)
@given(bad=NOT_NUMBERS)
def test_constructors_refuse_non_numbers_naming_them(cls, valid, name, bad_values, bad):
    if bad is None and name in ("sigma_x", "sigma_y"):
        return  # None is their default (derived from the frequency)
    with pytest.raises(TypeError, match=f"`{name}`"):
        cls(**{**valid, name: bad})


@given(bad=st.one_of(NOT_NUMBERS, st.sampled_from(["up", "ON", ""])))
def test_dog_refuses_bad_polarity(bad):
    error = ValueError if isinstance(bad, str) else TypeError
    with pytest.raises(error, match="`polarity`"):
        DifferenceOfGaussians(0.1, 0.3, polarity=bad)


#: RF models with parameters drawn over their whole documented range.
any_amplitude = st.builds(
    lambda sign, magnitude: sign * magnitude,
    st.sampled_from([1.0, -1.0]),
    log_uniform(5e-324, 1e100),
)
sigmas = log_uniform(1e-6, 1e6)


@st.composite
def dogs(draw):
    a, b = draw(sigmas), draw(sigmas)
    assume(a != b)
    return DifferenceOfGaussians(
        min(a, b),
        max(a, b),
        draw(st.floats(0.0, 100.0)),
        draw(st.sampled_from(["on", "off"])),
        draw(log_uniform(5e-324, 1e100)),
    )


@st.composite
def gabors(draw, cls=Gabor):
    if draw(st.booleans()):  # explicit envelope: any frequency in (0, 1e5]
        frequency = draw(log_uniform(5e-324, 1e5))
        sigma_x, sigma_y = draw(sigmas), draw(st.one_of(st.none(), sigmas))
    else:  # default envelope: 0.56 / f must stay <= 1e6 deg
        frequency, sigma_x, sigma_y = draw(log_uniform(5.63e-7, 1e5)), None, None
    extra = {} if cls is ComplexCell else {"phase": draw(ANY_FINITE)}
    return cls(
        frequency,
        orientation=draw(ANY_FINITE),
        sigma_x=sigma_x,
        sigma_y=sigma_y,
        amplitude=draw(any_amplitude),
        **extra,
    )


any_rf = st.one_of(
    st.builds(Gaussian, sigmas, any_amplitude), dogs(), gabors(), gabors(ComplexCell)
)
offsets = st.floats(-1e9, 1e9)
frequencies = st.floats(-1e9, 1e9)


@given(rf=any_rf, ppd=log_uniform(1e-6, 1e6), n_sigma=st.floats(0.0, 100.0, exclude_min=True))
def test_accepted_models_give_finite_kernels(rf, ppd, n_sigma):
    with budget("8M"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # badly sampled, aliased: allowed
        try:
            kernel = rf.kernel(ppd, n_sigma=n_sigma)
        except cortex.MemoryBudgetError:
            return  # refused before allocating
    assert kernel.shape[0] == kernel.shape[1] == 2 * rf.kernel_radius(ppd, n_sigma) + 1
    assert np.all(np.isfinite(kernel))


@given(rf=any_rf, x=offsets, y=offsets, fx=frequencies, fy=frequencies)
def test_accepted_models_give_finite_profiles_and_spectra(rf, x, y, fx, fy):
    assert np.all(np.isfinite(rf.profile(np.array([x, 0.0, -x]), np.array([y, 0.0, y]))))
    assert np.all(np.isfinite(rf.frequency_response(np.array([fx, 0.0]), np.array([fy, 0.0]))))
    assert math.isfinite(rf.size)
    assert all(math.isfinite(v) for v in rf.contour("half-max"))


@given(rf=any_rf, factor=st.one_of(log_uniform(5e-324, 1.7e308), EXTREMES))
def test_scaled_is_in_range_or_refused_naming_the_factor(rf, factor):
    if factor <= 0:
        with pytest.raises(ValueError, match="`factor` must be > 0"):
            rf.scaled(factor)
        return
    try:
        big = rf.scaled(factor)
    except ValueError as exc:
        assert "`factor`" in str(exc)
        return
    assert np.all(np.isfinite(big.profile(0.0, 0.0)))
    assert math.isclose(big.size, rf.size * factor, rel_tol=1e-9)


RF_EXAMPLES = [Gaussian(0.2), DifferenceOfGaussians(0.1, 0.3), Gabor(2.0), ComplexCell(2.0)]


@given(
    rf=st.sampled_from(RF_EXAMPLES),
    name=st.sampled_from(["pixels_per_degree", "n_sigma"]),
    data=st.data(),
)
def test_kernel_refuses_bad_sampling_naming_it(rf, name, data):
    ranges = {
        "pixels_per_degree": outside(1e-6, 1e6),
        "n_sigma": outside(0.0, 100.0, low_open=True),
    }
    if data.draw(st.booleans()):
        bad, error = data.draw(NOT_NUMBERS), TypeError
    else:
        bad, error = data.draw(ranges[name]), ValueError
    kwargs = {"pixels_per_degree": 10.0, "n_sigma": 3.0, name: bad}
    for call in (rf.kernel, rf.kernel_radius):
        with pytest.raises(error, match=f"`{name}`"):
            call(kwargs["pixels_per_degree"], n_sigma=kwargs["n_sigma"])


BAD_POINTS = [
    (None, TypeError),
    ("1", TypeError),
    (True, TypeError),
    (np.array([True]), TypeError),
    (1j, TypeError),
    ([[1.0], [1.0, 2.0]], TypeError),
    (math.nan, ValueError),
    (-math.inf, ValueError),
    (np.array([0.0, np.inf]), ValueError),
    (1e300, ValueError),
    (-1.7e308, ValueError),
]


@given(
    rf=st.sampled_from(RF_EXAMPLES),
    method=st.sampled_from(["profile", "frequency_response"]),
    position=st.sampled_from([0, 1]),
    case=st.sampled_from(BAD_POINTS),
)
def test_profile_and_spectrum_refuse_bad_points_naming_them(rf, method, position, case):
    bad, error = case
    args = [0.0, 0.0]
    args[position] = bad
    name = {"profile": ("x", "y"), "frequency_response": ("fx", "fy")}[method][position]
    with pytest.raises(error, match=f"`{name}`"):
        getattr(rf, method)(*args)


@given(rf=st.sampled_from(RF_EXAMPLES), bad=st.one_of(NOT_NUMBERS, NON_FINITE, EXTREMES))
def test_scaled_refuses_bad_factors(rf, bad):
    error = TypeError if not isinstance(bad, float) else ValueError
    with pytest.raises(error, match="`factor`"):
        rf.scaled(bad)


@given(
    level=st.one_of(
        NOT_NUMBERS,
        outside(1e-3, 100.0),
        st.sampled_from(["fwhm", "", "Sigma"]),
        EXTREMES,
    )
)
def test_contour_levels_refused_naming_level(level):
    error = ValueError if isinstance(level, str | float) else TypeError
    with pytest.raises(error, match="`level`"):
        contour_radius(level)
    with pytest.raises(error, match="`level`"):
        Gaussian(0.2).contour(level)


@given(level=st.floats(1e-3, 100.0))
def test_accepted_contour_levels_are_finite(level):
    a, b, _ = Gabor(2.0, sigma_x=1e6, sigma_y=1e-6).contour(level)
    assert math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda bad: gaussian_kernel(bad, 10.0), "sigma"),
        (lambda bad: gaussian_kernel(0.2, bad), "pixels_per_degree"),
        (lambda bad: gaussian_kernel(0.2, 10.0, amplitude=bad), "amplitude"),
        (lambda bad: gaussian_kernel(0.2, 10.0, n_sigma=bad), "n_sigma"),
        (lambda bad: dog_kernel(bad, 0.3, 10.0), "sigma_center"),
        (lambda bad: dog_kernel(0.1, bad, 10.0), "sigma_surround"),
        (lambda bad: dog_kernel(0.1, 0.3, bad), "pixels_per_degree"),
        (lambda bad: dog_kernel(0.1, 0.3, 10.0, surround_weight=bad), "surround_weight"),
        (lambda bad: dog_kernel(0.1, 0.3, 10.0, amplitude=bad), "amplitude"),
        (lambda bad: gabor_kernel(bad, 10.0), "spatial_frequency"),
        (lambda bad: gabor_kernel(2.0, bad), "pixels_per_degree"),
        (lambda bad: gabor_kernel(2.0, 10.0, orientation=bad), "orientation"),
        (lambda bad: gabor_kernel(2.0, 10.0, sigma_x=bad), "sigma_x"),
        (lambda bad: gabor_kernel(2.0, 10.0, n_sigma=bad), "n_sigma"),
    ],
)
@given(bad=st.one_of(NOT_NUMBERS, NON_FINITE, st.sampled_from([1e300, -1e300, 1.7e308])))
def test_kernel_functions_refuse_bad_values_naming_them(call, name, bad):
    if bad is None and name == "sigma_x":
        return  # its default
    if name == "orientation" and math.isfinite(bad if isinstance(bad, float) else math.nan):
        return  # any finite angle is an orientation
    error = ValueError if isinstance(bad, float) else TypeError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(error, match=f"`{name}`"):
            call(bad)


def test_issue_11_cases():
    with pytest.raises(ValueError, match=r"`sigma` must be in \[1e-06, 1e\+06\] deg"):
        Gaussian(1e-200)  # its kernel was NaN
    with pytest.raises(ValueError, match=r"`spatial_frequency` must be in \(0, 100000\]"):
        Gabor(1e300, sigma_x=0.2)  # NaN kernel
    with pytest.raises(ValueError, match=r"`amplitude` must be in \[-1e\+100, 1e\+100\]"):
        Gabor(2.0, sigma_x=0.2, amplitude=1e308)  # inf kernel
    with pytest.raises(TypeError, match="`x` must be a real number"):
        Gaussian(0.2).profile(None, 0)  # was NaN
    with pytest.raises(ValueError, match="`factor` 0.001 takes the RF out of range"):
        Gaussian(1e-6).scaled(1e-3)
    # tiny frequencies are fine with an explicit envelope (a blob, as fits produce)
    assert np.all(np.isfinite(Gabor(1e-9, sigma_x=0.3, amplitude=1e-300).kernel(10)))


def test_valid_values_at_the_ends_of_the_ranges():
    assert Gaussian(1e-6).sigma == 1e-6 and Gaussian(1e6).sigma == 1e6
    assert DifferenceOfGaussians(0.1, 0.3, surround_weight=100.0).surround_weight == 100.0
    assert Gabor(1e5, sigma_x=1e-6).spatial_frequency == 1e5
    assert contour_radius(1e-3) == 1e-3 and contour_radius(100) == 100.0
    assert Gaussian(0.5).kernel_radius(1e-6, 100.0) == 1


def test_oversized_kernels_are_refused_before_allocating(small_budget):
    refused_cheaply(lambda: Gaussian(1e6).kernel(16), match=r"kernel of Gaussian\(sigma=1000000")
    refused_cheaply(lambda: Gabor(1.0).kernel(1e6))
    refused_cheaply(lambda: ComplexCell(1.0).kernel(1e4, n_sigma=10))
    refused_cheaply(lambda: DifferenceOfGaussians(0.1, 100.0).kernel(100))
    refused_cheaply(lambda: gaussian_kernel(10.0, 1000.0))
    refused_cheaply(lambda: dog_kernel(1.0, 30.0, 100.0))
    refused_cheaply(lambda: gabor_kernel(0.01, 100.0))
    # the largest kernel that fits is computed
    side = 2 * Gaussian(1.0).kernel_radius(200.0) + 1  # 1201 px: 69 MB of working memory
    with pytest.raises(cortex.MemoryBudgetError, match=f"{side}x{side} px"):
        Gaussian(1.0).kernel(200.0)
    assert Gaussian(1.0).kernel(100.0).shape == (601, 601)
