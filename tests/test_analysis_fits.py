"""Tests of cortex.analysis.fits: RF centre, size and Gabor parameters recovered exactly."""

import math

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from cortex import (
    Gabor,
    Gaussian,
)
from cortex import analysis as A
from cortex.nn import Conv2D


def shifted(kernel, shape, row, col):
    out = np.zeros(shape)
    h, w = kernel.shape
    out[row : row + h, col : col + w] = kernel
    return out


def test_half_max_region_and_gaussian_fit_of_an_off_centre_gaussian():
    ppd = 20
    sigma = 0.2
    k = Gaussian(sigma).kernel(ppd)  # 25 x 25
    m = shifted(k, (41, 41), 4, 10)  # its centre at pixel (16, 22) of a 41 x 41 map
    x0, y0 = (22 - 20) / ppd, (20 - 16) / ppd
    region = A.half_max_region(m, ppd)
    assert region.center == pytest.approx((x0, y0), abs=1e-9)
    # half-max contour radius sigma sqrt(2 ln 2), area pi r^2 (pixel-counted)
    assert region.diameter == pytest.approx(2 * sigma * math.sqrt(2 * math.log(2)), rel=0.05)
    fit = A.fit_gaussian(m, ppd)
    assert fit.converged and fit.r2 > 0.9999  # the kernel is cut at 3 sigma
    assert fit.center == pytest.approx((x0, y0), abs=1e-6)
    assert fit.sigma_major == pytest.approx(sigma, rel=1e-3)
    assert fit.sigma_minor == pytest.approx(sigma, rel=1e-3)
    off = A.half_max_region(-m, ppd)
    assert off.sign == -1 and off.area == region.area


def angle_diff(a, b, period):
    return abs((a - b + period / 2) % period - period / 2)


@settings(deadline=None, max_examples=25)
@given(
    orientation=st.floats(0, 179.9),
    sf=st.floats(1.0, 4.0),
    phase=st.floats(-179, 180),
    aspect=st.floats(0.7, 1.6),
)
def test_fit_gabor_recovers_the_parameters_of_a_cortex_gabor(orientation, sf, phase, aspect):
    ppd = 16
    g = Gabor(sf, orientation=orientation, phase=phase)
    g = Gabor(sf, orientation=orientation, phase=phase, sigma_y=g.sigma_x * aspect)
    kernel = g.kernel(ppd)
    fit = A.fit_gabor(kernel, ppd)
    assert fit.converged and fit.r2 > 0.9999
    assert angle_diff(fit.orientation, orientation, 180) < 0.1
    assert fit.spatial_frequency == pytest.approx(sf, rel=1e-3)
    assert angle_diff(fit.phase, phase, 360) < 0.5
    assert fit.sigma_x == pytest.approx(g.sigma_x, rel=1e-3)
    assert fit.sigma_y == pytest.approx(g.sigma_y, rel=1e-3)
    # the fit as a cortex.Gabor reproduces the kernel
    back = fit.to_receptive_field(ppd).kernel(ppd)
    if back.shape == kernel.shape:
        np.testing.assert_allclose(back, kernel, atol=1e-4 * np.abs(kernel).max())


def test_gabor_likeness_separates_gabor_banks_from_random_filters():
    ppd = 3.5  # 7 x 7 px filters, as in the MNIST ConvNet
    bank = Conv2D.from_receptive_fields(
        [Gabor(0.8, orientation=o, phase=p) for o in (0, 45, 90, 135) for p in (0, 90)],
        pixels_per_degree=ppd,
        kernel_size=7,
    ).params["weight"]
    frac, fits = A.gabor_likeness(bank, pixels_per_degree=ppd)
    assert frac == 1.0 and len(fits) == 8
    random = Conv2D(1, 16, 7, seed=0).params["weight"]
    frac_random, _ = A.gabor_likeness(random, threshold=0.8)
    assert frac_random <= 0.1
    with pytest.raises(ValueError, match="threshold"):
        A.gabor_likeness(bank, threshold=1.5)


def test_fit_that_does_not_converge_is_flagged_with_a_warning(monkeypatch):
    real = scipy.optimize.least_squares

    def failing(*args, **kwargs):
        result = real(*args, **{**kwargs, "max_nfev": 1})
        result.success = False
        result.message = "max_nfev reached"
        return result

    monkeypatch.setattr(scipy.optimize, "least_squares", failing)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        fit = A.fit_gabor(Gabor(2.0).kernel(16), 16)
    assert not fit.converged
    with pytest.warns(RuntimeWarning, match="did not converge"):
        assert not A.fit_gaussian(Gaussian(0.3).kernel(20), 20).converged
    with pytest.warns(RuntimeWarning, match="1 of 1 Gabor fits did not converge"):
        frac, _ = A.gabor_likeness(Gabor(2.0).kernel(16)[None], pixels_per_degree=16)
    assert frac == 0.0


def test_bad_maps_get_clear_errors():
    with pytest.raises(ValueError, match="all zeros"):
        A.fit_gabor(np.zeros((7, 7)))
    with pytest.raises(ValueError, match="must be finite"):
        A.fit_gaussian(np.full((7, 7), np.nan))
    with pytest.raises(ValueError, match="at least 3x3"):
        A.fit_gabor(np.ones((2, 5)))
    with pytest.raises(ValueError, match="2-D"):
        A.half_max_region(np.ones((2, 3, 4)))


# -- degenerate filters: a clear error, or None with a warning in a bank -------------------------
@pytest.mark.parametrize("value", [0.0, 1.0, -3e-7])
def test_a_constant_filter_is_refused_by_the_fits_and_skipped_by_gabor_likeness(value):
    gabor = Gabor(0.8, orientation=30.0).kernel(3.5)
    flat = np.full(gabor.shape, value)
    what = "is all zeros" if value == 0 else "is constant"
    with pytest.raises(ValueError, match=f"`kernel` {what}"):
        A.fit_gabor(flat)
    with pytest.raises(ValueError, match=f"`rf_map` {what}"):
        A.fit_gaussian(flat)
    bank = np.stack([flat, gabor])
    with pytest.warns(RuntimeWarning, match="1 of 2 filters are constant"):
        fraction, fits = A.gabor_likeness(bank, pixels_per_degree=3.5)
    assert fits[0] is None and fits[1].converged and fraction == 0.5


def test_fits_at_extreme_magnitudes_are_exactly_scaled():
    kernel = Gabor(2.0, orientation=30.0, phase=40.0).kernel(16)
    base = A.fit_gabor(kernel, 16)
    for scale in (2.0**-1000, 2.0**900):  # powers of 2: the same fit, exactly scaled
        fit = A.fit_gabor(kernel * scale, 16)
        assert fit.orientation == base.orientation and fit.phase == base.phase
        assert fit.amplitude == base.amplitude * scale and fit.r2 == base.r2
    gauss = Gaussian(0.3).kernel(20)
    assert A.half_max_region(gauss * 2.0**1020, 20) == A.half_max_region(gauss, 20)
    region = A.half_max_region(gauss * 1e308, 20)
    assert region.center == pytest.approx((0.0, 0.0), abs=1e-12) and region.area > 0
    assert A.fit_gaussian(gauss * 1e-310, 20).converged
    with pytest.raises(ValueError, match=r"`kernel` must be at most 1e\+300 in magnitude"):
        A.fit_gabor(kernel * 1e305)
