"""Tests of cortex.analysis against analytic spectra, closed forms and independent placements."""

import math
import warnings

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from cortex import (
    DifferenceOfGaussians,
    Gabor,
    Gaussian,
    Mosaic,
    NakaRushton,
    Population,
    VisualField,
)
from cortex import analysis as A
from cortex.nn import Conv2D, Flatten, MaxPool2D, ReLU, Sequential

# an odd number of pixels: (0, 0) deg is a pixel centre, so the RF sits exactly there
FIELD = VisualField(2.05, 2.05, pixels_per_degree=20)  # 41 x 41 px


def one_neuron(rf, field=FIELD):
    return (rf, Mosaic(field, [[0.0, 0.0]]))


def spectrum_amplitude(rf, f, orientation_deg):
    """|H| of the RF's analytic Fourier transform at frequency f along the given directions."""
    t = np.deg2rad(orientation_deg)
    return np.abs(rf.frequency_response(f * np.cos(t), f * np.sin(t)))


def hwhh_of(x, r):
    """Half width at half height of a finely sampled single-peaked curve (brute force)."""
    half = r.min() + (r.max() - r.min()) / 2
    above = x[r >= half]
    return (above.max() - above.min()) / 2


# -- tuning curves ------------------------------------------------------------------
@settings(deadline=None, max_examples=10)
@given(orientation=st.floats(0, 179), sf=st.floats(2.0, 4.0))
def test_orientation_tuning_matches_the_analytic_spectrum(orientation, sf):
    g = Gabor(sf, orientation=orientation)
    values = np.arange(0, 180, 2.5)
    curve = A.tuning_curve(
        one_neuron(g),
        "orientation",
        values,
        spatial_frequency=sf,
        orientation=0.0,
        nonlinearity=None,
        statistic="f1",
    )
    # linear neuron: the F1 over phase is the spectrum's amplitude at (sf, theta)
    expected = spectrum_amplitude(g, sf, values)
    np.testing.assert_allclose(curve.responses[:, 0], expected, atol=0.02 * expected.max())
    pref = curve.preferred()[0]
    assert abs((pref - orientation + 90) % 180 - 90) < 1.0
    fine = np.arange(orientation - 90, orientation + 90, 0.01)
    analytic = hwhh_of(fine, spectrum_amplitude(g, sf, fine))
    assert curve.bandwidth()[0] == pytest.approx(analytic, abs=0.6)
    assert curve.orientation_selectivity_index()[0] > 0.95


def test_spatial_frequency_tuning_peak_and_octave_bandwidth():
    g = Gabor(2.5, orientation=20.0)
    values = np.geomspace(0.4, 9.0, 60)
    curve = A.tuning_curve(
        one_neuron(g),
        "spatial_frequency",
        values,
        orientation=20.0,
        nonlinearity=None,
        statistic="f1",
    )
    assert curve.preferred()[0] == pytest.approx(2.5, rel=0.02)
    # analytic: octaves between the half-height frequencies of |H| along the orientation
    f = np.geomspace(0.4, 9.0, 20000)
    amp = spectrum_amplitude(g, f, np.full(f.size, 20.0))
    half = amp.min() + (amp.max() - amp.min()) / 2
    inside = f[amp >= half]
    assert curve.bandwidth()[0] == pytest.approx(math.log2(inside.max() / inside.min()), abs=0.05)
    assert curve.summary()["bandwidth_octaves"][0] == pytest.approx(curve.bandwidth()[0])


def test_osi_circular_variance_and_hwhh_closed_forms():
    theta = np.arange(0, 180, 5.0)
    r = 1 + np.cos(np.deg2rad(2 * (theta - 60)))  # 0 at the orthogonal orientation
    curve = A.TuningCurve("orientation", theta, r[:, None], {}, "mean", ("u",))
    assert curve.preferred()[0] == pytest.approx(60, abs=0.2)
    assert curve.orientation_selectivity_index()[0] == pytest.approx(1.0)
    assert curve.circular_variance()[0] == pytest.approx(0.5)  # 1 - (n/2) / n
    assert curve.bandwidth()[0] == pytest.approx(45.0, abs=0.5)  # cos(2 d) = 0
    flat = A.TuningCurve("orientation", theta, np.ones((theta.size, 1)), {}, "mean", ("u",))
    assert flat.silent[0]
    assert np.isnan(flat.circular_variance()[0])


def test_preferred_grating_search_finds_the_gabor():
    best = A.preferred_grating(one_neuron(Gabor(3.0, orientation=110.0)))
    assert best["orientation"] == pytest.approx(110.0, abs=1.5)
    assert best["spatial_frequency"] == pytest.approx(3.0, rel=0.06)


def test_phase_tuning_and_modulation_ratio_separate_simple_and_complex_cells():
    from cortex import ComplexCell

    phases = np.arange(0, 360, 15.0)
    simple = A.tuning_curve(
        one_neuron(Gabor(2.0)), "phase", phases, spatial_frequency=2.0, orientation=0.0
    )
    assert simple.preferred()[0] == pytest.approx(0.0, abs=2.0)  # even Gabor: bright bar at 0
    assert simple.bandwidth()[0] > 0
    ori = np.arange(0, 180, 10.0)
    s = A.tuning_curve(one_neuron(Gabor(2.0)), "orientation", ori, spatial_frequency=2.0)
    c = A.tuning_curve(one_neuron(ComplexCell(2.0)), "orientation", ori, spatial_frequency=2.0)
    assert s.modulation_ratio[0] > 1 > c.modulation_ratio[0]
    assert c.preferred()[0] == pytest.approx(0.0, abs=1.0)


def test_contrast_tuning_recovers_the_naka_rushton_c50():
    g = Gabor(2.0)
    gain = float(g.frequency_response(2.0, 0.0).real)  # response to a contrast-1 grating
    curve = A.tuning_curve(
        one_neuron(g),
        "contrast",
        np.geomspace(0.01, 1.0, 15),
        orientation=0.0,
        spatial_frequency=2.0,
        n_phases=1,
        phase=0.0,
        nonlinearity=["rectify", NakaRushton(c50=0.15, exponent=2.0)],
    )
    (fit,) = curve.contrast_fit()
    assert fit.converged
    # the neuron saturates at linear drive 0.15, i.e. at contrast 0.15 / gain
    assert fit.c50 == pytest.approx(0.15 / gain, rel=0.02)
    assert fit.exponent == pytest.approx(2.0, rel=0.02)
    summary = curve.summary()
    assert summary["c50"][0] == pytest.approx(fit.c50)
    assert "preferred" not in summary


@settings(deadline=None, max_examples=20)
@given(c50=st.floats(0.05, 0.6), n=st.floats(1.0, 4.0), r_max=st.floats(0.5, 50))
def test_naka_rushton_fit_recovers_its_parameters(c50, n, r_max):
    c = np.geomspace(0.01, 1.0, 16)
    r = r_max * c**n / (c**n + c50**n) + 0.3
    fit = A.fit_naka_rushton(c, r)
    assert fit.converged
    assert fit.c50 == pytest.approx(c50, rel=1e-3)
    assert fit.exponent == pytest.approx(n, rel=1e-3)
    assert fit.r2 > 0.999999


def test_naka_rushton_fit_that_cannot_converge_says_so():
    c = np.linspace(0.0, 1.0, 10)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        fit = A.fit_naka_rushton(c, 3 * c)  # never saturates: c50 runs to its bound
    assert not fit.converged


def test_silent_neuron_gives_nan_with_a_warning():
    def silence(r):
        return np.zeros_like(r)

    with pytest.warns(RuntimeWarning, match="never respond"):
        curve = A.tuning_curve(
            one_neuron(Gabor(2.0)),
            "orientation",
            np.arange(0, 180, 30.0),
            spatial_frequency=2.0,
            orientation=0.0,
            nonlinearity=silence,
        )
    assert np.isnan(curve.preferred()[0])
    assert np.isnan(curve.bandwidth()[0])
    assert np.isnan(curve.orientation_selectivity_index()[0])
    summary = curve.summary()
    assert summary["preferred"] == [None] and summary["hwhh_deg"] == [None]
    with pytest.warns(RuntimeWarning, match="never responded"):
        est = A.spike_triggered_average(one_neuron(Gabor(2.0)), 50, nonlinearity=silence, seed=0)
    assert np.isnan(est.maps).all()


def test_bandwidth_is_nan_when_the_curve_does_not_fall_to_half_height():
    sf = np.geomspace(1.0, 1.5, 8)  # a sliver around the peak
    curve = A.tuning_curve(
        one_neuron(Gabor(2.0)),
        "spatial_frequency",
        sf,
        orientation=0.0,
        nonlinearity=None,
        statistic="f1",
    )
    assert np.isnan(curve.bandwidth()[0])


# -- the same experiments on a ConvNet unit ---------------------------------------------
def gabor_convnet(rfs, ppd=20):
    conv = Conv2D.from_receptive_fields(
        rfs, pixels_per_degree=ppd, dtype="float64", normalize=False
    )
    return Sequential([conv, ReLU(), MaxPool2D(2), Flatten()])


def test_convnet_unit_tuning_equals_the_population_neuron_with_the_same_rf():
    g = Gabor(3.0, orientation=40.0)
    model = gabor_convnet([g, Gabor(3.0, orientation=130.0)])
    field = VisualField(2.0, 2.0, pixels_per_degree=20)  # 40 x 40 px
    values = np.arange(0, 180, 10.0)
    unit_curve = A.tuning_curve(
        (model, 0, 0, (20, 20)),
        "orientation",
        values,
        field=field,
        spatial_frequency=3.0,
        orientation=0.0,
        nonlinearity=None,
    )
    # the unit at output (20, 20) is centred on input pixel (20, 20) ('same' padding)
    x, y = field.px_to_deg(20, 20)
    pop_curve = A.tuning_curve(
        (g, Mosaic(field, [[x, y]])),
        "orientation",
        values,
        spatial_frequency=3.0,
        orientation=0.0,
        nonlinearity=None,
    )
    np.testing.assert_allclose(unit_curve.responses, pop_curve.responses, rtol=1e-9, atol=1e-12)
    assert unit_curve.preferred()[0] == pytest.approx(40.0, abs=1.0)
    deeper = A.tuning_curve(
        (model, 2, 1), "orientation", values, field=field, spatial_frequency=3.0, orientation=0.0
    )
    assert deeper.preferred()[0] == pytest.approx(130.0, abs=2.0)


def test_linear_rf_of_a_first_layer_unit_is_its_filter_in_place():
    model = gabor_convnet([Gabor(3.0, orientation=70.0)])
    field = VisualField(2.0, 2.0, pixels_per_degree=20)
    rf = A.linear_receptive_field((model, 0, 0, (12, 25)), field=field)[0]
    w = model[0].params["weight"][0, 0]
    k = w.shape[0] // 2
    expected = np.zeros(field.shape)
    padded = np.zeros((field.shape[0] + 2 * k, field.shape[1] + 2 * k))
    padded[12 : 12 + w.shape[0], 25 : 25 + w.shape[1]] = w  # window of output (12, 25)
    expected = padded[k:-k, k:-k]
    np.testing.assert_allclose(rf, expected, atol=1e-12)


def test_population_linear_rf_is_the_kernel_placed_at_the_centre():
    g = Gabor(3.0, orientation=15.0)
    rf = A.linear_receptive_field(one_neuron(g))[0]
    kernel = g.kernel(FIELD.pixels_per_degree)
    h = kernel.shape[0] // 2
    c = FIELD.shape[0] // 2
    expected = np.zeros(FIELD.shape)
    expected[c - h : c + h + 1, c - h : c + h + 1] = kernel
    np.testing.assert_allclose(rf, expected, atol=1e-12)


# -- reverse correlation ----------------------------------------------------------------
SMALL = VisualField(1.2, 1.2, pixels_per_degree=20)  # 24 x 24 px = 576 pixels


def test_sta_of_a_linear_neuron_converges_to_its_kernel_and_a_rectified_one_to_half():
    target = one_neuron(Gabor(3.5, orientation=45.0), SMALL)
    ref = A.linear_receptive_field(target)[0]
    linear = A.spike_triggered_average(target, 20000, nonlinearity=None, seed=1).maps[0]
    rectified = A.spike_triggered_average(target, 20000, seed=1).maps[0]
    # least-squares scale of the estimate onto the true kernel
    assert np.sum(linear * ref) / np.sum(ref * ref) == pytest.approx(1.0, abs=0.03)
    assert np.sum(rectified * ref) / np.sum(ref * ref) == pytest.approx(0.5, abs=0.02)  # Bussgang


def test_sta_correlation_reaches_0_9_at_6000_stimuli_on_576_pixels():
    target = one_neuron(Gabor(3.5, orientation=45.0), SMALL)
    counts, corr, est = A.rf_mapping_convergence(target, [250, 1000, 6000], seed=0)
    assert corr.shape == (3, 1)
    assert corr[-1, 0] >= 0.9
    assert corr[0, 0] < corr[1, 0] < corr[2, 0]
    assert est.n_stimuli == 6000 and est.maps.shape == (1, *SMALL.shape)


def test_convergence_estimates_equal_separate_runs_and_do_not_depend_on_batch_size():
    target = one_neuron(DifferenceOfGaussians(0.08, 0.18), SMALL)
    _, _, est = A.rf_mapping_convergence(target, [100, 700], seed=3, batch_size=64)
    alone = A.spike_triggered_average(target, 700, seed=3, batch_size=500)
    np.testing.assert_allclose(est.maps, alone.maps, rtol=1e-9, atol=1e-12)
    again = A.spike_triggered_average(target, 700, seed=3, batch_size=500)
    np.testing.assert_array_equal(alone.maps, again.maps)


def test_whitening_undoes_pink_noise_correlations():
    # a linear neuron: the STA converges to C k (k blurred by the stimulus correlations C),
    # the whitened estimate to k itself
    target = one_neuron(Gabor(3.5, orientation=0.0), SMALL)
    ref = A.linear_receptive_field(target)
    kw = dict(noise="pink", nonlinearity=None, seed=0)
    sta = A.spike_triggered_average(target, 3000, **kw)
    white = A.spike_triggered_average(target, 3000, method="whitened", **kw)
    assert A.map_correlation(sta.maps, ref)[0] < 0.95
    assert A.map_correlation(white.maps, ref)[0] > 0.999
    ridge = A.spike_triggered_average(target, 3000, method="whitened", alpha=0.1, **kw)
    assert 0.95 < A.map_correlation(ridge.maps, ref)[0] < 0.9999  # shrunk, still close


def test_sta_of_a_convnet_unit_recovers_its_filter():
    model = gabor_convnet([Gabor(3.0, orientation=60.0)])
    field = VisualField(1.6, 1.6, pixels_per_degree=20)
    reference = A.linear_receptive_field((model, 0, 0), field=field)  # the filter in place
    counts, corr, _ = A.rf_mapping_convergence(
        (model, 1, 0), [8000], field=field, seed=0, reference=reference
    )
    assert corr[0, 0] > 0.9


# -- RF size, centre, Gabor fits ----------------------------------------------------------
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


# -- bad input ----------------------------------------------------------------------------
def test_bad_targets_and_arguments_get_clear_errors():
    target = one_neuron(Gabor(2.0))
    values = np.arange(0, 180, 30.0)
    with pytest.raises(ValueError, match="`parameter` must be one of"):
        A.tuning_curve(target, "colour", values)
    with pytest.raises(ValueError, match="`statistic` must be one of"):
        A.tuning_curve(target, "orientation", values, statistic="median")
    with pytest.raises(ValueError, match="must not be empty"):
        A.tuning_curve(target, "orientation", [])
    with pytest.raises(ValueError, match="must be finite"):
        A.tuning_curve(target, "orientation", [0.0, np.nan])
    with pytest.raises(ValueError, match="spatial frequencies must be > 0"):
        A.tuning_curve(target, "spatial_frequency", [0.0, 1.0])
    with pytest.raises(ValueError, match="contrasts must be >= 0"):
        A.tuning_curve(target, "contrast", [-0.1, 1.0])
    with pytest.raises(TypeError, match="`target` must be"):
        A.tuning_curve("V1", "orientation", values)
    pop = Population(Gabor(2.0), Mosaic(FIELD, [[0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"`neurons` must be in \[0, 1\)"):
        A.tuning_curve(pop, "orientation", values, neurons=[3])
    with pytest.raises(ValueError, match="differs from the population's field"):
        A.as_unit(pop, field=SMALL)
    model = gabor_convnet([Gabor(3.0)])
    with pytest.raises(ValueError, match="`field` is required"):
        A.as_unit((model, 0, 0))
    with pytest.raises(ValueError, match="`channel` must be < 1"):
        A.as_unit((model, 0, 5), field=SMALL)
    with pytest.raises(ValueError, match="`layer` must be in"):
        A.as_unit((model, 9, 0), field=SMALL)
    with pytest.raises(ValueError, match="`position` must be within"):
        A.as_unit((model, 0, 0, (99, 0)), field=SMALL)
    with pytest.raises(ValueError, match="has no positions"):
        A.as_unit((model, 3, 0, (0, 0)), field=SMALL)
    rgb = Sequential([Conv2D(3, 2, 3)])
    with pytest.raises(ValueError, match="3 channels"):
        A.as_unit((rgb, 0, 0), field=SMALL)
    with pytest.raises(ValueError, match="`n_stimuli` must be >= 1"):
        A.spike_triggered_average(target, 0)
    with pytest.raises(ValueError, match="`method` must be one of"):
        A.spike_triggered_average(target, 10, method="glm")
    with pytest.raises(ValueError, match="`noise` must be one of"):
        A.spike_triggered_average(target, 10, noise="brown")
    with pytest.raises(ValueError, match="4096"):
        big = VisualField(4.0, 4.0, pixels_per_degree=20)
        A.spike_triggered_average(one_neuron(Gabor(2.0), big), 10, method="whitened")
    with pytest.raises(ValueError, match="increasing"):
        A.rf_mapping_convergence(target, [100, 50])
    with pytest.raises(ValueError, match="all zeros"):
        A.fit_gabor(np.zeros((7, 7)))
    with pytest.raises(ValueError, match="must be finite"):
        A.fit_gaussian(np.full((7, 7), np.nan))
    with pytest.raises(ValueError, match="at least 3x3"):
        A.fit_gabor(np.ones((2, 5)))
    with pytest.raises(ValueError, match="2-D"):
        A.half_max_region(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="needs a orientation tuning curve|needs an"):
        A.tuning_curve(
            target, "phase", values, spatial_frequency=2.0, orientation=0.0
        ).orientation_selectivity_index()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A.map_correlation(np.ones((3, 3)), np.ones((3, 3)))  # constant maps: NaN, silently


def test_zero_linear_rf_of_a_silent_rectified_unit_is_reported():
    model = gabor_convnet([Gabor(3.5)])  # no bias: the ReLU is silent at a blank image
    with pytest.warns(RuntimeWarning, match="linear RF of layer 1 .* is zero"):
        rf = A.linear_receptive_field((model, 1, 0), field=SMALL)
    assert not rf.any()


def test_varied_parameter_needs_no_fixed_value(monkeypatch):
    def no_search(*args, **kwargs):
        raise AssertionError("the preferred-grating search ran")

    monkeypatch.setattr(A, "_preferred_grating", no_search)
    curve = A.tuning_curve(
        one_neuron(Gabor(2.0)), "spatial_frequency", [1.0, 2.0, 4.0], orientation=0.0
    )
    assert curve.grating == {"orientation": 0.0, "contrast": 1.0}
    assert curve.responses[1, 0] == curve.responses.max()
