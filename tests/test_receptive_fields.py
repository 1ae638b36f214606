import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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
